package smtpin

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"tacit/internal/testcert"

	"github.com/emersion/go-smtp"
)

// STARTTLS: the handshake works and the whole transaction runs over it.
func TestStartTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	addr, spooled := serve(t, Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}, nil)
	c, err := smtp.DialStartTLS(addr, &tls.Config{RootCAs: pool, ServerName: "lists.test"})
	if err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	defer c.Close()
	if err := c.SendMail("a@example.org", []string{"list@lists.test"}, strings.NewReader("Subject: tls\r\n\r\nsecret\r\n")); err != nil {
		t.Fatal(err)
	}
	if state, ok := c.TLSConnectionState(); !ok || !state.HandshakeComplete {
		t.Fatalf("the transaction did not run over TLS")
	}
	if got := spooled(); len(got) != 1 || !strings.Contains(string(got[0].raw), "secret") {
		t.Errorf("spooled %+v", got)
	}
	// Without a certificate, STARTTLS is not offered.
	plain, _ := serve(t, Options{}, nil)
	pc, err := smtp.Dial(plain)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if err := pc.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := pc.Extension("STARTTLS"); ok {
		t.Errorf("STARTTLS offered without a certificate")
	}
}

// selfSigned returns a server certificate for lists.test and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) { return testcert.New(t, "lists.test") }

// A client that goes quiet in the middle of a command after STARTTLS gets
// its 421 inside the TLS session, readable, at the idle timeout.
func TestTimeoutOverTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	addr, _ := serve(t, Options{IdleTimeout: 300 * time.Millisecond,
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}, nil)
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(raw)
	expect := func(r *bufio.Reader, code string) {
		t.Helper()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("waiting for %s: %v", code, err)
			}
			if strings.HasPrefix(line, code+" ") {
				return
			}
			if !strings.HasPrefix(line, code+"-") {
				t.Fatalf("waiting for %s: %q", code, line)
			}
		}
	}
	expect(r, "220")
	fmt.Fprint(raw, "EHLO client.test\r\n")
	expect(r, "250")
	fmt.Fprint(raw, "STARTTLS\r\n")
	expect(r, "220")
	tc := tls.Client(raw, &tls.Config{RootCAs: pool, ServerName: "lists.test"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	fmt.Fprint(tc, "EHLO cli") // and nothing more
	all, _ := io.ReadAll(tc)
	if !strings.HasPrefix(string(all), "421 4.4.2 ") || strings.Count(string(all), "\r\n") != 1 {
		t.Errorf("after %v the client read %q, want one 421 4.4.2 line", time.Since(start), all)
	}
}
