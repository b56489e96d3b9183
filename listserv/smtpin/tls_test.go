package smtpin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// selfSigned returns a server certificate for lists.test and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lists.test"},
		DNSNames: []string{"lists.test"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

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
