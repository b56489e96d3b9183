package imaparchive

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"tacit/internal/testcert"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	// Either of alice's passwords opens the session; case is ignored.
	f.login(t, jardin, alice)
	c := f.dial(t, nil)
	if err := c.Login("Alice@EXAMPLE.test", "alice-potager").Wait(); err != nil {
		t.Fatalf("login with the other membership's password: %v", err)
	}

	c = f.dial(t, nil)
	wantNo(t, "wrong password", c.Login(bob, "alice-jardin").Wait(), imap.ResponseCodeAuthenticationFailed)
	wantNo(t, "unknown address", c.Login("nobody@example.test", "x").Wait(), imap.ResponseCodeAuthenticationFailed)
	wantNo(t, "empty password", c.Login(bob, "").Wait(), imap.ResponseCodeAuthenticationFailed)
	if err := c.Login(bob, "bob-secret").Wait(); err != nil {
		t.Fatalf("login after failures: %v", err)
	}
}

func TestLoginRateLimited(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, func(o *Options) { o.MaxFailuresPerIP = 8 }, nil)
	c := f.dial(t, nil)
	for range 5 {
		wantNo(t, "bad password", c.Login(bob, "guess").Wait(), imap.ResponseCodeAuthenticationFailed)
	}
	// The sixth attempt for bob from this client is refused even with
	// the right password.
	wantNo(t, "limited", c.Login(bob, "bob-secret").Wait(), imap.ResponseCodeUnavailable)
	// Another address from the same client still may, until the
	// client's own limit.
	if err := f.dial(t, nil).Login(carol, "carol-secret").Wait(); err != nil {
		t.Fatalf("other address: %v", err)
	}
	for range 3 {
		wantNo(t, "bad password", c.Login(carol, "guess").Wait(), imap.ResponseCodeAuthenticationFailed)
	}
	wantNo(t, "IP limited", f.dial(t, nil).Login(alice, "alice-jardin").Wait(), imap.ResponseCodeUnavailable)

	// Fifteen minutes later the failures are forgotten.
	f.advance(15*time.Minute + time.Second)
	if err := c.Login(bob, "bob-secret").Wait(); err != nil {
		t.Fatalf("login after the window: %v", err)
	}
}

// A plaintext LOGIN from another host than loopback is refused; after
// STARTTLS it is accepted.
func TestLoginNeedsTLSOffLoopback(t *testing.T) {
	t.Parallel()
	cert := selfSigned(t)
	f := newFixtureWith(t, func(o *Options) { o.TLS = &tls.Config{Certificates: []tls.Certificate{cert}} }, nil)
	// Reach the server through an address that is not loopback, if the
	// machine has one.
	ip := nonLoopbackIP()
	if ip == nil {
		t.Skip("no non-loopback address to test from")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		t.Skip(err)
	}
	go f.srv.Serve(ln)
	c, err := imapclient.DialInsecure(ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Caps().Has(imap.CapStartTLS) {
		t.Error("STARTTLS not offered")
	}
	wantNo(t, "plaintext login", c.Login(bob, "bob-secret").Wait(), imap.ResponseCodePrivacyRequired)

	tc, err := imapclient.DialStartTLS(ln.Addr().String(), &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if err := tc.Login(bob, "bob-secret").Wait(); err != nil {
		t.Errorf("login after STARTTLS: %v", err)
	}
}

func nonLoopbackIP() net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			return n.IP
		}
	}
	return nil
}

func selfSigned(t *testing.T) tls.Certificate {
	cert, _ := testcert.New(t, "imap.test")
	return cert
}
