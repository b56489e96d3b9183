package main

import (
	"encoding/json"
	"errors"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestListExportThenRm runs the real binary with a server: a list gets a
// post and a proposal over SMTP, `list export` writes an mbox that
// Python's mailbox module reads and a register with the members and the
// proposal; `list rm` refuses after a new post until the list is
// exported again, then removes it: gone from `list ls`, and its address
// unknown to SMTP (550).
func TestListExportThenRm(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is needed to read the mbox (apt-get install python3)")
	}
	in := newInstance(t, "maildir", "")
	in.mustCLI("list", "create", "jardin", "--owner", "alice@example.org")
	in.mustCLI("member", "add", "jardin", "alice@example.org", "bob@example.org")
	p := in.start()
	defer p.stop()

	bobGot := func() int {
		fs, _ := os.ReadDir(filepath.Join(in.dir, "outbox", "bob@example.org", "new"))
		return len(fs)
	}
	send := func(subject, id, body string) {
		t.Helper()
		n := bobGot()
		msg := message("Alice <alice@example.org>", "jardin@lists.test", subject, id, body)
		if err := sendMail(in.smtpAddr, "alice@example.org", []string{"jardin@lists.test"}, msg, 10*time.Second); err != nil {
			t.Fatalf("send %q: %v", subject, err)
		}
		if !waitFor(15*time.Second, func() bool { return bobGot() > n }) {
			t.Fatalf("%q never reached bob", subject)
		}
	}
	send("Bonjour", "<post1@example.org>", "From the garden, hello.\n>From here too.\n")
	send("[PROPOSITION] Acheter des graines", "<prop1@example.org>", "Pour le potager.\n")

	// Export to the current directory (the default), through the server.
	out := t.TempDir()
	stdout, stderr, code := runTacit(t, out, "--config", in.cfgPath, "list", "export", "jardin")
	if code != 0 || !strings.Contains(stdout, "2 messages") {
		t.Fatalf("list export: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	mbox := filepath.Join(out, "jardin@lists.test.mbox")
	script := `import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    print(m.get_from().split()[0], "|", m["Subject"], "|", m.get_payload().splitlines()[0])`
	py, err := exec.Command(python, "-c", script, mbox).CombinedOutput()
	if err != nil {
		t.Fatalf("python mailbox: %v\n%s", err, py)
	}
	lines := strings.Split(strings.TrimSpace(string(py)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "alice@example.org | [jardin] Bonjour | ") ||
		!strings.Contains(lines[0], "From the garden, hello.") || !strings.Contains(lines[1], "Acheter des graines") {
		t.Errorf("python read the mbox as:\n%s", py)
	}
	var reg struct {
		Members []struct {
			Address string `json:"address"`
		} `json:"members"`
		Proposals []struct {
			Title  string            `json:"title"`
			Events []json.RawMessage `json:"events"`
		} `json:"proposals"`
	}
	raw, err := os.ReadFile(filepath.Join(out, "jardin@lists.test.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &reg); err != nil {
		t.Fatal(err)
	}
	if len(reg.Members) != 2 || len(reg.Proposals) != 1 || reg.Proposals[0].Title != "Acheter des graines" {
		t.Errorf("register: %s", raw)
	}

	// A post after the export: rm refuses and says what to run.
	send("Encore", "<post2@example.org>", "One more.\n")
	_, stderr, code = in.cli("list", "rm", "jardin")
	if code == 0 || !strings.Contains(stderr, "lancez d'abord tacit list export jardin@lists.test") {
		t.Fatalf("list rm after a new post: exit %d, stderr %q", code, stderr)
	}
	if ls := in.mustCLI("list", "ls"); !strings.Contains(ls, "jardin@lists.test") {
		t.Fatalf("the refused rm removed the list: %q", ls)
	}
	in.mustCLI("list", "export", "jardin", "--output", out)
	if rm := in.mustCLI("list", "rm", "jardin"); !strings.Contains(rm, "3 messages archivés") {
		t.Errorf("list rm said %q", rm)
	}
	if ls := in.mustCLI("list", "ls", "--json"); strings.TrimSpace(ls) != "[]" {
		t.Errorf("list ls after rm: %s", ls)
	}
	err = sendMail(in.smtpAddr, "alice@example.org", []string{"jardin@lists.test"},
		message("alice@example.org", "jardin@lists.test", "Still there?", "<post3@example.org>", "?\n"), 10*time.Second)
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 550 {
		t.Errorf("mail to the removed list: %v, want 550", err)
	}
}
