package imaparchive

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Python's imaplib, another client than ours, logs in, selects and
// fetches headers.
func TestPythonImaplib(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	f := newFixture(t)
	f.archive(t, jardin, message("a@example.test", "Bonjour le jardin", "x\r\n"), t0)
	f.archive(t, jardin, multipartMsg, t0)
	f.store.SetSeen(bob, jardin, []uint32{1}, true)
	host, port, _ := net.SplitHostPort(f.addr)

	const script = `
import imaplib, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
M = imaplib.IMAP4(host, port)
M.login(user, pw)
typ, data = M.list()
print("LIST", typ, [d.decode() for d in data])
typ, data = M.select("jardin", readonly=True)
print("SELECT", typ, data[0].decode())
print("UNSEEN", M.response("UNSEEN")[1][0].decode())
typ, data = M.fetch("1:*", "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
for d in data:
    if isinstance(d, tuple):
        print("FETCH", d[0].decode(), repr(d[1].decode()))
typ, data = M.uid("SEARCH", None, "SUBJECT", "jardin")
print("SEARCH", typ, data[0].decode())
typ, data = M.store("1", "+FLAGS", "(\\Deleted)")
print("STORE", typ)
M.logout()
`
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", script, host, port, "Bob@Example.test", "bob-secret").CombinedOutput()
	got := string(out)
	if err != nil {
		// imaplib raises on the refused STORE: that is the last step.
		if !strings.Contains(got, "NOPERM") {
			t.Fatalf("python: %v\n%s", err, got)
		}
	}
	for _, want := range []string{
		`LIST OK`, `"/" "jardin/Proposals/Open"`, "UNSEEN 2",
		"SELECT OK 2",
		`Subject: Bonjour le jardin`, `From: Alice Martin <alice@example.test>`,
		fmt.Sprintf("RFC822.SIZE %d", len(multipartMsg)),
		"SEARCH OK 1 2",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("python output lacks %q:\n%s", want, got)
		}
	}
}
