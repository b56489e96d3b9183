package outbound

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tacit/internal/testcert"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"tacit/internal/smtpsink"
)

var (
	testHeader = []byte("From: list@lists.test\r\nSubject: hello\r\nList-Id: <l.lists.test>\r\n\r\n")
	testBody   = []byte("first line\r\n.a line that starts with a dot\r\n\r\nlast line\r\n")
)

func testMessage(to ...string) *Message {
	return &Message{From: "l-bounces@lists.test", To: to, Header: testHeader, Body: testBody}
}

func rcpts(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d@example.test", prefix, i)
	}
	return out
}

func newTestRelay(t *testing.T, addr string, mod func(*RelayOptions)) *Relay {
	t.Helper()
	o := RelayOptions{Addr: addr, Hostname: "tacit.test", CommandTimeout: 10 * time.Second, DataTimeout: 10 * time.Second}
	if mod != nil {
		mod(&o)
	}
	r := NewRelay(o)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// wantAll checks that every result is about the right recipient and
// matches ok / permanent.
func wantAll(t *testing.T, res []Result, to []string, ok, perm bool) {
	t.Helper()
	if len(res) != len(to) {
		t.Fatalf("%d results for %d recipients", len(res), len(to))
	}
	for i, r := range res {
		if r.Recipient != to[i] {
			t.Fatalf("result %d is about %q, want %q", i, r.Recipient, to[i])
		}
		if (r.Err == nil) != ok || r.Permanent != perm {
			t.Fatalf("result %d (%s): err=%v permanent=%v, want ok=%v permanent=%v", i, r.Recipient, r.Err, r.Permanent, ok, perm)
		}
	}
}

func smtpErr(code int) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: fmt.Sprintf("scripted %d", code)}
}

func TestRelayFanOut(t *testing.T) {
	t.Parallel()
	s := smtpsink.Start(t, smtpsink.Options{})
	r := newTestRelay(t, s.Addr(), nil)
	to := rcpts(1000, "m")
	res := r.Deliver(context.Background(), testMessage(to...))
	wantAll(t, res, to, true, false)

	msgs := s.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	if got, want := string(msgs[0].Data), string(testHeader)+string(testBody); got != want {
		t.Errorf("data:\n%q\nwant\n%q", got, want)
	}
	if msgs[0].From != "l-bounces@lists.test" || len(msgs[0].To) != 1000 || msgs[0].To[999] != to[999] {
		t.Errorf("envelope: %q, %d recipients", msgs[0].From, len(msgs[0].To))
	}
}

func TestRelayNullSenderAndEmpty(t *testing.T) {
	t.Parallel()
	s := smtpsink.Start(t, smtpsink.Options{})
	r := newTestRelay(t, s.Addr(), nil)
	if res := r.Deliver(context.Background(), testMessage()); len(res) != 0 {
		t.Fatalf("no recipients: %v", res)
	}
	m := testMessage("a@example.test")
	m.From = ""
	wantAll(t, r.Deliver(context.Background(), m), m.To, true, false)
	if got := s.Messages(); len(got) != 1 || got[0].From != "" {
		t.Fatalf("messages %+v", got)
	}
	if s.Connections() != 1 {
		t.Errorf("connections %d", s.Connections())
	}
}

func TestRelayRcptRefused(t *testing.T) {
	t.Parallel()
	s := smtpsink.Start(t, smtpsink.Options{RcptReply: func(rcpt string) *smtp.SMTPError {
		switch {
		case strings.HasPrefix(rcpt, "gone"):
			return smtpErr(550)
		case strings.HasPrefix(rcpt, "full"):
			return smtpErr(452)
		}
		return nil
	}})
	r := newTestRelay(t, s.Addr(), nil)
	to := []string{"a@example.test", "gone@example.test", "b@example.test", "full@example.test"}
	res := r.Deliver(context.Background(), testMessage(to...))
	for i, want := range []struct{ ok, perm bool }{{true, false}, {false, true}, {true, false}, {false, false}} {
		if (res[i].Err == nil) != want.ok || res[i].Permanent != want.perm {
			t.Errorf("%s: err=%v permanent=%v", res[i].Recipient, res[i].Err, res[i].Permanent)
		}
	}
	var se *smtp.SMTPError
	if !errors.As(res[1].Err, &se) || se.Code != 550 || !strings.Contains(res[1].Err.Error(), "outbound: relay") {
		t.Errorf("refusal not wrapped with its reply: %v", res[1].Err)
	}
	if got := s.Messages(); len(got) != 1 || strings.Join(got[0].To, " ") != "a@example.test b@example.test" {
		t.Fatalf("sink got %+v", got)
	}
}

func TestRelayAllRcptRefusedSendsNoData(t *testing.T) {
	t.Parallel()
	var datas atomic.Int32
	s := smtpsink.Start(t, smtpsink.Options{
		RcptReply: func(rcpt string) *smtp.SMTPError {
			if strings.HasPrefix(rcpt, "gone") {
				return smtpErr(550)
			}
			return nil
		},
		DataReply: func(string, []string) *smtp.SMTPError { datas.Add(1); return nil },
	})
	r := newTestRelay(t, s.Addr(), nil)
	to := []string{"gone1@example.test", "gone2@example.test"}
	wantAll(t, r.Deliver(context.Background(), testMessage(to...)), to, false, true)
	if datas.Load() != 0 {
		t.Fatal("DATA sent with no recipient accepted")
	}
	// The connection stays usable.
	wantAll(t, r.Deliver(context.Background(), testMessage("ok@example.test")), []string{"ok@example.test"}, true, false)
	if s.Connections() != 1 {
		t.Errorf("connections %d", s.Connections())
	}
}

func TestRelayDataRefused(t *testing.T) {
	t.Parallel()
	s := smtpsink.Start(t, smtpsink.Options{DataReply: func(from string, to []string) *smtp.SMTPError {
		switch {
		case strings.HasPrefix(to[0], "spam"):
			return smtpErr(554)
		case strings.HasPrefix(to[0], "later"):
			return smtpErr(451)
		}
		return nil
	}})
	r := newTestRelay(t, s.Addr(), func(o *RelayOptions) {
		o.Logger = slogDiscard()
	})
	to := []string{"spam@example.test", "b@example.test"}
	wantAll(t, r.Deliver(context.Background(), testMessage(to...)), to, false, true)
	to = []string{"later@example.test", "b@example.test"}
	wantAll(t, r.Deliver(context.Background(), testMessage(to...)), to, false, false)
	to = []string{"fine@example.test"}
	wantAll(t, r.Deliver(context.Background(), testMessage(to...)), to, true, false)
	if s.Count() != 1 || s.Connections() != 1 {
		t.Errorf("count %d connections %d", s.Count(), s.Connections())
	}
}

func TestRelayReusesConnections(t *testing.T) {
	t.Parallel()
	s := smtpsink.Start(t, smtpsink.Options{})
	r := newTestRelay(t, s.Addr(), nil)
	for i := range 100 {
		to := rcpts(3, fmt.Sprintf("r%d-", i))
		wantAll(t, r.Deliver(context.Background(), testMessage(to...)), to, true, false)
	}
	if s.Count() != 300 || len(s.Messages()) != 100 {
		t.Fatalf("count %d", s.Count())
	}
	if c := s.Connections(); c != 1 {
		t.Errorf("100 sequential deliveries used %d connections", c)
	}
}

func TestRelayDropMidData(t *testing.T) {
	t.Parallel()
	s := smtpsink.Start(t, smtpsink.Options{})
	r := newTestRelay(t, s.Addr(), nil)
	to := []string{"a@example.test", "b@example.test"}
	wantAll(t, r.Deliver(context.Background(), testMessage(to...)), to, true, false)

	s.Drop(1)
	res := r.Deliver(context.Background(), testMessage(to...))
	wantAll(t, res, to, false, false)

	wantAll(t, r.Deliver(context.Background(), testMessage(to...)), to, true, false)
	if s.Count() != 4 {
		t.Errorf("count %d", s.Count())
	}
	if c := s.Connections(); c != 2 {
		t.Errorf("connections %d, want 2 (the dropped one replaced once)", c)
	}
}

func TestRelayDeadIdleConnectionRetried(t *testing.T) {
	t.Parallel()
	s := smtpsink.Start(t, smtpsink.Options{})
	r := newTestRelay(t, s.Addr(), nil)
	to := []string{"a@example.test"}
	wantAll(t, r.Deliver(context.Background(), testMessage(to...)), to, true, false)

	// Kill the pooled connection under the client's feet.
	r.mu.Lock()
	if len(r.idle) != 1 {
		r.mu.Unlock()
		t.Fatalf("%d idle connections", len(r.idle))
	}
	_ = r.idle[0].nc.Conn.Close()
	r.mu.Unlock()

	wantAll(t, r.Deliver(context.Background(), testMessage(to...)), to, true, false)
	if s.Count() != 2 || s.Connections() != 2 {
		t.Errorf("count %d connections %d", s.Count(), s.Connections())
	}
}

func TestRelayUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	r := newTestRelay(t, addr, func(o *RelayOptions) { o.DialTimeout = 2 * time.Second })
	to := rcpts(5, "u")
	res := r.Deliver(context.Background(), testMessage(to...))
	wantAll(t, res, to, false, false)
	if !strings.Contains(res[0].Err.Error(), "dial") {
		t.Errorf("error %v", res[0].Err)
	}
}

func TestRelayContextDeadline(t *testing.T) {
	t.Parallel()
	s := smtpsink.Start(t, smtpsink.Options{Delay: time.Minute})
	r := newTestRelay(t, s.Addr(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	to := []string{"a@example.test", "b@example.test"}
	res := r.Deliver(ctx, testMessage(to...))
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Deliver took %v past a 200ms deadline", d)
	}
	wantAll(t, res, to, false, false)
	if !errors.Is(res[0].Err, context.DeadlineExceeded) {
		t.Errorf("error %v does not say the deadline passed", res[0].Err)
	}
	// A cancelled context fails at once and the relay still works after.
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	wantAll(t, r.Deliver(cctx, testMessage(to...)), to, false, false)
}

func TestRelayInvalidAddresses(t *testing.T) {
	t.Parallel()
	s := smtpsink.Start(t, smtpsink.Options{})
	r := newTestRelay(t, s.Addr(), nil)
	res := r.Deliver(context.Background(), testMessage("ok@example.test", "bad\r\nRCPT TO:<x@evil.test>"))
	if res[0].Err != nil || res[1].Err == nil || !res[1].Permanent {
		t.Fatalf("results %+v", res)
	}
	m := testMessage("ok@example.test")
	m.From = "x>\r\nRSET"
	wantAll(t, r.Deliver(context.Background(), m), m.To, false, true)
	if got := s.Recipients(); len(got) != 1 || got["ok@example.test"] != 1 {
		t.Fatalf("recipients %v", got)
	}
}

func TestRelayClose(t *testing.T) {
	t.Parallel()
	s := smtpsink.Start(t, smtpsink.Options{})
	r := NewRelay(RelayOptions{Addr: s.Addr()})
	to := []string{"a@example.test"}
	wantAll(t, r.Deliver(context.Background(), testMessage(to...)), to, true, false)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	res := r.Deliver(context.Background(), testMessage(to...))
	wantAll(t, res, to, false, false)
	if !errors.Is(res[0].Err, errRelayClosed) {
		t.Errorf("error %v", res[0].Err)
	}
}

func TestRelayConcurrent(t *testing.T) {
	t.Parallel()
	s := smtpsink.Start(t, smtpsink.Options{})
	r := newTestRelay(t, s.Addr(), func(o *RelayOptions) { o.MaxConns = 4 })
	const workers, each, per = 16, 20, 5
	var wg sync.WaitGroup
	var failed atomic.Int32
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				to := rcpts(per, fmt.Sprintf("w%d-%d-", w, i))
				for _, res := range r.Deliver(context.Background(), testMessage(to...)) {
					if res.Err != nil {
						failed.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d recipients failed", failed.Load())
	}
	s.WaitCount(t, workers*each*per, 10*time.Second)
	if got := len(s.Recipients()); got != workers*each*per {
		t.Errorf("%d distinct recipients", got)
	}
	if c := s.Connections(); c > workers*each/2 {
		t.Errorf("%d connections for %d messages: no reuse", c, workers*each)
	}
}

// TestRelaySTARTTLSAndAuth runs against a go-smtp server that offers
// STARTTLS and allows AUTH only under TLS.
func TestRelaySTARTTLSAndAuth(t *testing.T) {
	t.Parallel()
	srv := startAuthServer(t, true)
	r := newTestRelay(t, srv.addr, func(o *RelayOptions) {
		o.TLS = srv.clientTLS
		o.Username, o.Password = "user", "secret"
	})
	to := []string{"a@example.test", "b@example.test"}
	for range 3 {
		wantAll(t, r.Deliver(context.Background(), testMessage(to...)), to, true, false)
	}
	srv.mu.Lock()
	if srv.delivered != 3 || srv.plain != 0 || srv.helo != "tacit.test" {
		t.Errorf("delivered %d, %d in plaintext, EHLO %q", srv.delivered, srv.plain, srv.helo)
	}
	if len(srv.clients) != 1 {
		t.Errorf("%d connections", len(srv.clients))
	}
	srv.mu.Unlock()

	// Wrong password: a temporary failure (it is about us, not the mail).
	r2 := newTestRelay(t, srv.addr, func(o *RelayOptions) {
		o.TLS = srv.clientTLS
		o.Username, o.Password = "user", "wrong"
	})
	res := r2.Deliver(context.Background(), testMessage(to...))
	wantAll(t, res, to, false, false)
	var se *smtp.SMTPError
	if !errors.As(res[0].Err, &se) || se.Code != 535 {
		t.Errorf("error %v", res[0].Err)
	}
}

func TestRelaySTARTTLSNotOffered(t *testing.T) {
	t.Parallel()
	s := smtpsink.Start(t, smtpsink.Options{})
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	// Opportunistic: without credentials the mail goes in plaintext.
	r := newTestRelay(t, s.Addr(), func(o *RelayOptions) { o.TLS = cfg })
	to := []string{"a@example.test"}
	wantAll(t, r.Deliver(context.Background(), testMessage(to...)), to, true, false)
	if got := s.Messages(); len(got) != 1 || string(got[0].Data) != string(testHeader)+string(testBody) {
		t.Fatalf("messages %+v", got)
	}
	// With credentials, never in the clear.
	r2 := newTestRelay(t, s.Addr(), func(o *RelayOptions) {
		o.TLS = cfg
		o.Username, o.Password = "user", "secret"
	})
	res := r2.Deliver(context.Background(), testMessage(to...))
	wantAll(t, res, to, false, false)
	if !strings.Contains(res[0].Err.Error(), "STARTTLS not offered") {
		t.Errorf("error %v", res[0].Err)
	}
}

func TestRelaySTARTTLSBadCertificate(t *testing.T) {
	t.Parallel()
	srv := startAuthServer(t, false)
	r := newTestRelay(t, srv.addr, func(o *RelayOptions) {
		o.TLS = &tls.Config{MinVersion: tls.VersionTLS12} // system roots: the test CA is unknown
	})
	to := []string{"a@example.test"}
	res := r.Deliver(context.Background(), testMessage(to...))
	wantAll(t, res, to, false, false)
	if !strings.Contains(res[0].Err.Error(), "TLS handshake") {
		t.Errorf("error %v", res[0].Err)
	}
}

// authServer is a go-smtp server with STARTTLS and AUTH PLAIN.
type authServer struct {
	addr      string
	clientTLS *tls.Config

	mu        sync.Mutex
	clients   map[string]bool // remote addresses seen
	delivered int
	plain     int // messages received without TLS
	helo      string
}

func startAuthServer(t *testing.T, requireAuth bool) *authServer {
	t.Helper()
	cert, pool := selfSigned(t)
	as := &authServer{
		clientTLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		clients:   make(map[string]bool),
	}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		as.mu.Lock()
		as.clients[c.Conn().RemoteAddr().String()] = true
		as.mu.Unlock()
		return &authSession{as: as, c: c, requireAuth: requireAuth}, nil
	})
	srv := smtp.NewServer(be)
	srv.Domain = "relay.test"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	as.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return as
}

type authSession struct {
	as          *authServer
	c           *smtp.Conn
	requireAuth bool
	authed      bool
}

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "user" || password != "secret" {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *authSession) Mail(string, *smtp.MailOptions) error {
	if s.requireAuth && !s.authed {
		return smtp.ErrAuthRequired
	}
	return nil
}

func (s *authSession) Rcpt(string, *smtp.RcptOptions) error { return nil }

func (s *authSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	_, isTLS := s.c.TLSConnectionState()
	s.as.mu.Lock()
	defer s.as.mu.Unlock()
	s.as.delivered++
	if !isTLS {
		s.as.plain++
	}
	s.as.helo = s.c.Hostname()
	return nil
}

func (s *authSession) Reset()        {}
func (s *authSession) Logout() error { return nil }

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) { return testcert.New(t, "relay.test") }
