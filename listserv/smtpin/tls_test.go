package smtpin

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"

	"tacit/listserv/internal/testcert"

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
