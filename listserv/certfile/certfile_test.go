package certfile

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tacit/internal/testcert"
)

// A renewed pair is served from the next handshake on; a half-renewed one
// (new certificate, old key) leaves the previous certificate in service
// until the key follows.
func TestRenewal(t *testing.T) {
	t.Parallel()
	ca := testcert.NewCA(t)
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem")
	first := ca.Issue(t, "lists.test")
	testcert.WriteFiles(t, first, certPath, keyPath)
	p, err := Load(certPath, keyPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := serveTLS(t, p.TLSConfig())
	if got := peerSerial(t, srv, ca); got != first.Leaf.SerialNumber.String() {
		t.Fatalf("serial %s, want the first certificate's %s", got, first.Leaf.SerialNumber)
	}

	second := ca.Issue(t, "lists.test")
	testcert.WriteFiles(t, second, certPath, keyPath)
	if got := peerSerial(t, srv, ca); got != second.Leaf.SerialNumber.String() {
		t.Fatalf("after renewal: serial %s, want the new certificate's %s", got, second.Leaf.SerialNumber)
	}

	// The certificate is renewed, its key not yet.
	third := ca.Issue(t, "lists.test")
	keyOnly := filepath.Join(dir, "other-key.pem")
	testcert.WriteFiles(t, third, certPath, keyOnly)
	if got := peerSerial(t, srv, ca); got != second.Leaf.SerialNumber.String() {
		t.Fatalf("with a mismatched key: serial %s, want the previous %s", got, second.Leaf.SerialNumber)
	}
	if err := p.Reload(); err == nil {
		t.Error("Reload of a mismatched pair: no error")
	}
	if err := os.Rename(keyOnly, keyPath); err != nil {
		t.Fatal(err)
	}
	if got := peerSerial(t, srv, ca); got != third.Leaf.SerialNumber.String() {
		t.Fatalf("once the key follows: serial %s, want %s", got, third.Leaf.SerialNumber)
	}
}

// Load names the files it cannot use.
func TestLoadError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "missing.pem"), filepath.Join(dir, "key.pem"), nil)
	if err == nil {
		t.Fatal("Load of a missing file: no error")
	}
	if want := filepath.Join(dir, "missing.pem"); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
}

// The configuration refuses anything older than TLS 1.2.
func TestMinVersion(t *testing.T) {
	t.Parallel()
	ca := testcert.NewCA(t)
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	testcert.WriteFiles(t, ca.Issue(t), certPath, keyPath)
	p, err := Load(certPath, keyPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := serveTLS(t, p.TLSConfig())
	c, err := tls.Dial("tcp", srv, &tls.Config{RootCAs: ca.Pool(), MaxVersion: tls.VersionTLS11})
	if err == nil {
		c.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
}

// serveTLS accepts TLS connections on loopback, completes the handshake
// and closes them, until the test ends.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
			}(c)
		}
	}()
	return ln.Addr().String()
}

// peerSerial opens a new connection verified against ca and returns the
// serial number of the certificate the server showed.
func peerSerial(t *testing.T, addr string, ca *testcert.CA) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "lists.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
}
