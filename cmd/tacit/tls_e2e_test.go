package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tacit/internal/testcert"
)

// tlsRig is a `tacit serve` with a certificate from a test authority, as
// on a real server: the list jardin@lists.test with alice and bob.
type tlsRig struct {
	t  *testing.T
	in *instance
	p  *proc
	o  tlsSetup
	ca *testcert.CA
	// caFile is the authority's certificate for clients outside Go;
	// certFile and keyFile are the server's pair, as certbot writes them.
	caFile, certFile, keyFile string
	// The listening addresses of the servers tlsSetup turns on.
	imapAddr, imapsAddr, httpAddr string
}

// tlsSetup says which servers a tlsRig runs besides SMTP.
type tlsSetup struct {
	imap, imaps, http bool
	// httpTLS gives the web server the certificate too.
	httpTLS bool
}

func newTLSRig(t *testing.T, o tlsSetup) *tlsRig {
	t.Helper()
	r := &tlsRig{t: t, in: newInstance(t, "maildir", ""), o: o, ca: testcert.NewCA(t)}
	r.caFile = r.ca.WriteCAFile(t, r.in.dir)
	r.certFile, r.keyFile = filepath.Join(r.in.dir, "fullchain.pem"), filepath.Join(r.in.dir, "privkey.pem")
	testcert.WriteFiles(t, r.ca.Issue(t, "lists.test", "localhost"), r.certFile, r.keyFile)
	r.writeConfig()
	r.in.mustCLI("list", "create", "jardin", "--from-rewrite", "never", "--public-register")
	r.in.mustCLI("member", "add", "jardin", "alice@example.org", "bob@example.org")
	r.p = serveRetrying(t, r.in, r.writeConfig)
	return r
}

// writeConfig writes the configuration with new free ports.
func (r *tlsRig) writeConfig() {
	in := r.in
	port := func(on bool) string {
		if on {
			return freePort(r.t)
		}
		return ""
	}
	in.smtpAddr = freePort(r.t)
	r.imapAddr, r.imapsAddr, r.httpAddr = port(r.o.imap), port(r.o.imaps), port(r.o.http)
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\ndomain = \"lists.test\"\nlanguage = \"en\"\ntimezone = \"UTC\"\n\n", in.dir)
	fmt.Fprintf(&b, "[smtp]\nlisten = %q\nhostname = \"lists.test\"\n%stls_cert = %q\ntls_key = %q\n\n",
		in.smtpAddr, trustedRelayConfig, r.certFile, r.keyFile)
	fmt.Fprintf(&b, "[imap]\nlisten = %q\ntls_listen = %q\n\n", r.imapAddr, r.imapsAddr)
	fmt.Fprintf(&b, "[http]\nlisten = %q\n", r.httpAddr)
	if r.httpAddr != "" {
		fmt.Fprintf(&b, "base_url = %q\n", "https://localhost:"+portOf(r.httpAddr))
	}
	if r.o.httpTLS {
		fmt.Fprintf(&b, "tls_cert = %q\ntls_key = %q\n", r.certFile, r.keyFile)
	}
	b.WriteString("\n[delivery]\nmode = \"maildir\"\n")
	if err := os.WriteFile(in.cfgPath, []byte(b.String()), 0o600); err != nil {
		r.t.Fatal(err)
	}
}

// post is a post by alice to the list, with the trusted relay's
// Authentication-Results, as the SMTP client would send it.
func post(subject, msgID string) []byte {
	return append([]byte("Authentication-Results: "+testRelayID+"; dmarc=pass header.from=example.org\r\n"),
		message("alice@example.org", "jardin@lists.test", subject, msgID, "Bonjour,\nun message chiffré en route.\n")...)
}

// delivered returns the subjects of the copies bob received.
func (r *tlsRig) delivered() []string {
	dir := filepath.Join(r.in.dir, "outbox", "bob@example.org", "new")
	files, _ := os.ReadDir(dir)
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err == nil {
			out = append(out, headerOf(raw, "Subject"))
		}
	}
	return out
}

// waitDelivered waits until bob has a copy whose subject contains s.
func (r *tlsRig) waitDelivered(s string) {
	r.t.Helper()
	if !waitFor(20*time.Second, func() bool {
		for _, got := range r.delivered() {
			if strings.Contains(got, s) {
				return true
			}
		}
		return false
	}) {
		r.t.Fatalf("bob has no copy of %q (has %q); logs:\n%s", s, r.delivered(), r.p.logs.String())
	}
}

// smtplibStartTLS is what a Python program does to post over STARTTLS,
// verifying the server's certificate against the authority given:
// argv is host, port, CA file, message file. It prints the TLS version.
const smtplibStartTLS = `
import smtplib, ssl, sys
host, port, cafile, msgfile = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=cafile)
with smtplib.SMTP(host, int(port), local_hostname="client.test", timeout=10) as s:
    s.ehlo()
    if not s.has_extn("starttls"):
        sys.exit("STARTTLS is not offered")
    s.starttls(context=ctx)
    s.ehlo()
    print(s.sock.version())
    with open(msgfile, "rb") as f:
        s.sendmail("alice@example.org", ["jardin@lists.test"], f.read())
`

// Python's smtplib and swaks post over STARTTLS, each verifying the
// server's certificate against the test authority: both posts are
// distributed.
func TestSMTPStartTLSClients(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	r := newTLSRig(t, tlsSetup{})
	host, port, _ := net.SplitHostPort(r.in.smtpAddr)
	msgFile := filepath.Join(t.TempDir(), "post.eml")
	if err := os.WriteFile(msgFile, post("Par smtplib", "<smtplib@e2e.test>"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("python3", "-c", smtplibStartTLS, host, port, r.caFile, msgFile).CombinedOutput()
	if err != nil {
		t.Fatalf("smtplib over STARTTLS: %v\n%s", err, out)
	}
	if v := strings.TrimSpace(string(out)); v != "TLSv1.3" && v != "TLSv1.2" {
		t.Errorf("TLS version %q", v)
	}
	r.waitDelivered("Par smtplib")

	if _, err := exec.LookPath("swaks"); err != nil {
		t.Skip("swaks is not installed (.ci/run installs it)")
	}
	swaks := exec.Command("swaks", "--server", host, "--port", port, "--ehlo", "client.test",
		"--tls", "--tls-verify", "--tls-ca-path", r.caFile,
		"--from", "alice@example.org", "--to", "jardin@lists.test", "--data", "-")
	swaks.Stdin = strings.NewReader(string(post("Par swaks", "<swaks@e2e.test>")))
	out, err = swaks.CombinedOutput()
	if err != nil {
		t.Fatalf("swaks --tls: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "TLS started") {
		t.Errorf("swaks did not start TLS:\n%s", out)
	}
	r.waitDelivered("Par swaks")

	// Clients that trust another authority refuse the certificate.
	other := testcert.NewCA(t).WriteCAFile(t, t.TempDir())
	if out, err := exec.Command("python3", "-c", smtplibStartTLS, host, port, other, msgFile).CombinedOutput(); err == nil {
		t.Errorf("smtplib accepted the certificate with another CA:\n%s", out)
	}
	if out, err := exec.Command("swaks", "--server", host, "--port", port, "--tls", "--tls-verify",
		"--tls-ca-path", other, "--to", "jardin@lists.test", "--quit-after", "EHLO").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "certificate verify failed") {
		t.Errorf("swaks with another CA: %v\n%s", err, out)
	}
}

// smtpSerial opens a new SMTP connection, starts TLS verifying against
// the test authority, and returns the serial of the server's certificate.
func (r *tlsRig) smtpSerial() string {
	r.t.Helper()
	c, err := smtp.Dial(r.in.smtpAddr)
	if err != nil {
		r.t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		r.t.Fatal(err)
	}
	if err := c.StartTLS(&tls.Config{RootCAs: r.ca.Pool(), ServerName: "lists.test"}); err != nil {
		r.t.Fatalf("STARTTLS: %v", err)
	}
	st, _ := c.TLSConnectionState()
	return st.PeerCertificates[0].SerialNumber.String()
}

// A renewed certificate written over the files (as certbot does) is
// served from the next connection on, without a restart; SIGHUP reads
// the files again and leaves the server running.
func TestCertificateRenewal(t *testing.T) {
	t.Parallel()
	r := newTLSRig(t, tlsSetup{})
	first := r.ca.Issue(t, "lists.test")
	testcert.WriteFiles(t, first, r.certFile, r.keyFile)
	if got := r.smtpSerial(); got != first.Leaf.SerialNumber.String() {
		t.Fatalf("serial %s, want %s", got, first.Leaf.SerialNumber)
	}
	renewed := r.ca.Issue(t, "lists.test")
	testcert.WriteFiles(t, renewed, r.certFile, r.keyFile)
	if got := r.smtpSerial(); got != renewed.Leaf.SerialNumber.String() {
		t.Fatalf("after renewal: serial %s, want the renewed %s", got, renewed.Leaf.SerialNumber)
	}
	if err := r.p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if got := r.smtpSerial(); got != renewed.Leaf.SerialNumber.String() {
		t.Fatalf("after SIGHUP: serial %s, want %s", got, renewed.Leaf.SerialNumber)
	}
	select {
	case <-r.p.done:
		t.Fatalf("tacit serve ended on SIGHUP: %v", r.p.err)
	default:
	}
	r.p.stop()
}
