package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// A real IMAP client, mbsync (Debian's isync), syncs a member's archive to
// a local maildir: the copies are byte for byte what the list delivered.
func TestMbsyncArchiveIsWhatWasDistributed(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("mbsync"); err != nil {
		t.Skip("mbsync is not installed (.ci/run installs isync)")
	}
	in := newInstance(t, "maildir", "")
	imapAddr := freePort(t)
	in.imapAddr = imapAddr
	in.writeConfig(in.smtpAddr)
	in.mustCLI("list", "create", "jardin", "--from-rewrite", "never")
	in.mustCLI("member", "add", "jardin", "alice@example.org", "bob@example.org")
	password := strings.TrimSpace(in.mustCLI("member", "passwd", "jardin", "bob@example.org"))
	p := in.start()
	defer p.stop()
	for i := range 3 {
		msg := message("alice@example.org", "jardin@lists.test", fmt.Sprintf("Nouvelles %d", i),
			fmt.Sprintf("<mbsync.%d@e2e.test>", i), fmt.Sprintf("Bonjour,\nvoici les nouvelles n° %d.\n.\n", i))
		if err := sendMail(in.smtpAddr, "alice@example.org", []string{"jardin@lists.test"}, msg, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	outbox := filepath.Join(in.dir, "outbox", "bob@example.org", "new")
	if !waitFor(20*time.Second, func() bool { f, _ := os.ReadDir(outbox); return len(f) == 3 }) {
		t.Fatal("bob did not get the three posts")
	}
	host, port, _ := strings.Cut(imapAddr, ":")
	synced, out := mbsyncPull(t, mbsyncAccount{Host: host, Port: port, User: "bob@example.org", Pass: password,
		Security: "SSLType None\nAuthMechs LOGIN"})
	delivered := readMaildir(t, outbox)
	if len(synced) != len(delivered) {
		t.Fatalf("mbsync fetched %d messages, want %d\n%s", len(synced), len(delivered), out)
	}
	// A maildir stores lines ending in LF, and mbsync marks what it
	// fetched with its own X-TUID field: apart from that, the same bytes.
	tuid := regexp.MustCompile(`(?m)^X-TUID: .*\n`)
	for i := range synced {
		synced[i] = tuid.ReplaceAll(synced[i], nil)
	}
	for i := range delivered {
		delivered[i] = bytes.ReplaceAll(delivered[i], []byte("\r\n"), []byte("\n"))
	}
	sort.Slice(delivered, func(i, j int) bool { return bytes.Compare(delivered[i], delivered[j]) < 0 })
	sort.Slice(synced, func(i, j int) bool { return bytes.Compare(synced[i], synced[j]) < 0 })
	for i := range delivered {
		if !bytes.Equal(delivered[i], synced[i]) {
			t.Errorf("message %d differs:\ndelivered %q\nsynced    %q", i, delivered[i], synced[i])
		}
	}
}

// mbsyncAccount is the far side of an mbsync run: where, who, and the
// lines that say how the connection is protected.
type mbsyncAccount struct {
	Host, Port, User, Pass string
	// Security holds mbsync's SSLType (and related) lines.
	Security string
}

// mbsyncPull syncs the mailbox jardin of acct into a new local maildir
// with mbsync, as a member's laptop would, and returns the messages
// fetched and mbsync's output.
func mbsyncPull(t *testing.T, acct mbsyncAccount) ([][]byte, []byte) {
	t.Helper()
	local := filepath.Join(t.TempDir(), "mail")
	if err := os.MkdirAll(local, 0o700); err != nil {
		t.Fatal(err)
	}
	rc := fmt.Sprintf(`IMAPAccount tacit
Host %s
Port %s
User %s
Pass %s
%s

IMAPStore remote
Account tacit

MaildirStore local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel archive
Far :remote:
Near :local:
Patterns jardin
Create Near
Sync Pull
SyncState *
`, acct.Host, acct.Port, acct.User, acct.Pass, acct.Security, local, local)
	conf := filepath.Join(t.TempDir(), "mbsyncrc")
	if err := os.WriteFile(conf, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mbsync", "-c", conf, "-a").CombinedOutput()
	if err != nil {
		t.Fatalf("mbsync: %v\n%s", err, out)
	}
	got := readMaildir(t, filepath.Join(local, "jardin", "cur"))
	return append(got, readMaildir(t, filepath.Join(local, "jardin", "new"))...), out
}

// readMaildir returns the files of a maildir folder, sorted by content.
func readMaildir(t *testing.T, dir string) [][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out [][]byte
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i], out[j]) < 0 })
	return out
}
