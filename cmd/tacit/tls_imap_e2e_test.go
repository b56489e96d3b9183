package main

import (
	"fmt"
	"net"
	"net/mail"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"tacit/internal/testcert"
)

// imaplibRead is what a Python program does to read the archive: argv is
// the mode ("ssl" for IMAPS, "starttls" for the plain port), host, port,
// CA file, login and password. It prints the TLS version, then the
// Subject of each message of the mailbox jardin.
const imaplibRead = `
import imaplib, ssl, sys
mode, host, port, cafile, user, password = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=cafile)
if mode == "ssl":
    m = imaplib.IMAP4_SSL(host, int(port), ssl_context=ctx, timeout=10)
else:
    m = imaplib.IMAP4(host, int(port), timeout=10)
    if "LOGINDISABLED" in m.capabilities:
        sys.exit("LOGINDISABLED before STARTTLS on loopback")
    m.starttls(ssl_context=ctx)
print(m.sock.version())
m.login(user, password)
typ, _ = m.select("jardin", readonly=True)
if typ != "OK":
    sys.exit("SELECT jardin: " + typ)
typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
for part in data:
    if isinstance(part, tuple):
        print(part[1].decode().strip())
m.logout()
`

// A member asks for a password by mail: the answer tells them to use
// IMAPS (SSL/TLS) on its port. Python's imaplib reads the archive with it
// over IMAPS and over STARTTLS on the plain port, and mbsync syncs it
// over IMAPS, each verifying the certificate against the test authority.
func TestIMAPOverTLS(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	r := newTLSRig(t, tlsSetup{imap: true, imaps: true})
	rr := &replyRig{in: r.in, p: r.p}
	bob := &mail.Address{Name: "Bob", Address: "bob@example.org"}
	if err := sendMail(r.in.smtpAddr, "alice@example.org", []string{"jardin@lists.test"},
		post("Nouvelles du jardin", "<imaps.1@e2e.test>"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	r.waitDelivered("Nouvelles du jardin")

	ask := rr.send(t, bob, "jardin-request@lists.test", "mot de passe", "mot de passe\n")
	conf := rr.answerTo(t, bob.Address, ask, "password confirmation")
	confirmed := rr.send(t, bob, "jardin-request@lists.test", "Re: "+conf.subject, "")
	answer := rr.answerTo(t, bob.Address, confirmed, "new password")
	password := regexp.MustCompile(`[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}`).FindString(answer.text)
	if password == "" {
		t.Fatalf("no password in the answer:\n%s", answer.text)
	}
	_, imapsPort, _ := net.SplitHostPort(r.imapsAddr)
	if want := fmt.Sprintf("port %s, SSL/TLS security, login %s", imapsPort, bob.Address); !strings.Contains(
		strings.Join(strings.Fields(answer.text), " "), want) {
		t.Errorf("the password mail does not say %q:\n%s", want, answer.text)
	}

	for _, c := range []struct{ mode, addr string }{{"ssl", r.imapsAddr}, {"starttls", r.imapAddr}} {
		host, port, _ := net.SplitHostPort(c.addr)
		out, err := exec.Command("python3", "-c", imaplibRead, c.mode, host, port, r.caFile,
			bob.Address, password).CombinedOutput()
		if err != nil {
			t.Fatalf("imaplib (%s): %v\n%s", c.mode, err, out)
		}
		if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); !strings.HasPrefix(lines[0], "TLSv1.") ||
			!strings.Contains(string(out), "Nouvelles du jardin") {
			t.Errorf("imaplib (%s) read:\n%s", c.mode, out)
		}
	}

	// Another authority's clients refuse the certificate.
	other := testcert.NewCA(t).WriteCAFile(t, t.TempDir())
	host, port, _ := net.SplitHostPort(r.imapsAddr)
	if out, err := exec.Command("python3", "-c", imaplibRead, "ssl", host, port, other,
		bob.Address, password).CombinedOutput(); err == nil || !strings.Contains(string(out), "CERTIFICATE_VERIFY_FAILED") {
		t.Errorf("imaplib with another CA: %v\n%s", err, out)
	}

	if _, err := exec.LookPath("mbsync"); err != nil {
		t.Skip("mbsync is not installed (.ci/run installs isync)")
	}
	got := mbsyncIMAPS(t, r, bob.Address, password)
	if len(got) != 1 || !strings.Contains(string(got[0]), "Nouvelles du jardin") {
		t.Errorf("mbsync over IMAPS fetched %d messages: %q", len(got), got)
	}
}

// mbsyncIMAPS syncs the mailbox jardin of user over IMAPS with mbsync,
// trusting only the test authority, and returns the messages fetched.
func mbsyncIMAPS(t *testing.T, r *tlsRig, user, password string) [][]byte {
	t.Helper()
	// mbsync matches the certificate by name only, not by IP address.
	got, _ := mbsyncPull(t, mbsyncAccount{Host: "localhost", Port: portOf(r.imapsAddr), User: user, Pass: password,
		Security: "SSLType IMAPS\nCertificateFile " + r.caFile + "\nSystemCertificates no"})
	return got
}
