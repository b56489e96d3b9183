package imaparchive

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"tacit/internal/testcert"
)

// A plaintext client that does not come from loopback is told not to
// send its password (LOGINDISABLED, no AUTH=), is refused if it does,
// and may log in after STARTTLS; a loopback client may log in as it is.
func TestLoginDisabledUntilStartTLS(t *testing.T) {
	t.Parallel()
	ca := testcert.NewCA(t)
	cert := ca.Issue(t, "imap.test")
	remote := newFixtureWith(t, func(o *Options) { o.TLS = &tls.Config{Certificates: []tls.Certificate{cert}} },
		func(s *Server) { s.local = func(net.IP) bool { return false } }) // every client counts as remote

	c := remote.dial(t, nil)
	caps := c.Caps()
	if !caps.Has(imap.CapLoginDisabled) || !caps.Has(imap.CapStartTLS) || caps.Has(imap.Cap("AUTH=PLAIN")) {
		t.Errorf("plaintext capabilities %v: want LOGINDISABLED and STARTTLS, without AUTH=PLAIN", caps)
	}
	wantNo(t, "plaintext login", c.Login(bob, "bob-secret").Wait(), imap.ResponseCodePrivacyRequired)

	tc, err := imapclient.DialStartTLS(remote.addr, &imapclient.Options{
		TLSConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: "imap.test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if caps, err := tc.Capability().Wait(); err != nil || caps.Has(imap.CapLoginDisabled) {
		t.Errorf("capabilities after STARTTLS: %v, %v", caps, err)
	}
	if err := tc.Login(bob, "bob-secret").Wait(); err != nil {
		t.Errorf("login after STARTTLS: %v", err)
	}

	local := newFixtureWith(t, func(o *Options) { o.TLS = &tls.Config{Certificates: []tls.Certificate{cert}} }, nil)
	lc := local.dial(t, nil)
	if lc.Caps().Has(imap.CapLoginDisabled) {
		t.Errorf("loopback capabilities %v: LOGINDISABLED", lc.Caps())
	}
	if err := lc.Login(bob, "bob-secret").Wait(); err != nil {
		t.Errorf("loopback login: %v", err)
	}
}

// IMAPS: TLS from the first byte, beside the plaintext port, on the same
// archive; login is allowed whatever the client's address.
func TestServeTLS(t *testing.T) {
	t.Parallel()
	ca := testcert.NewCA(t)
	cert := ca.Issue(t, "imap.test")
	f := newFixtureWith(t, func(o *Options) { o.TLS = &tls.Config{Certificates: []tls.Certificate{cert}} },
		func(s *Server) { s.local = func(net.IP) bool { return false } })
	f.archive(t, jardin, "Subject: over TLS\r\n\r\nhello\r\n", t0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go f.srv.ServeTLS(ln)
	c, err := imapclient.DialTLS(ln.Addr().String(), &imapclient.Options{
		TLSConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: "imap.test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Caps().Has(imap.CapLoginDisabled) || c.Caps().Has(imap.CapStartTLS) {
		t.Errorf("IMAPS capabilities %v: neither LOGINDISABLED nor STARTTLS expected", c.Caps())
	}
	if err := c.Login(bob, "bob-secret").Wait(); err != nil {
		t.Fatalf("login over IMAPS: %v", err)
	}
	st, err := c.Status("jardin", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || st.NumMessages == nil || *st.NumMessages != 1 {
		t.Errorf("STATUS jardin over IMAPS: %+v, %v", st, err)
	}

	// Without a certificate there is nothing to serve.
	if err := New(Options{Store: f.store}).ServeTLS(ln); err == nil {
		t.Error("ServeTLS without Options.TLS: no error")
	}
}
