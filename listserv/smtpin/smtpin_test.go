package smtpin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

type spooled struct {
	env Envelope
	raw []byte
}

// serve starts a Server on loopback whose Accept takes "list@lists.test"
// only, and returns its address and what it spooled.
func serve(t *testing.T, o Options, spoolErr error) (string, func() []spooled) {
	t.Helper()
	var mu sync.Mutex
	var got []spooled
	o.Hostname = "lists.test"
	if o.MaxMessageBytes == 0 {
		o.MaxMessageBytes = 10000
	}
	o.Accept = func(_ context.Context, rcpt string) (bool, error) {
		return strings.EqualFold(rcpt, "list@lists.test"), nil
	}
	o.Spool = func(_ context.Context, env Envelope, raw []byte) (uint64, error) {
		if spoolErr != nil {
			return 0, spoolErr
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, spooled{env, append([]byte(nil), raw...)})
		return uint64(len(got)), nil
	}
	s := New(o)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return l.Addr().String(), func() []spooled {
		mu.Lock()
		defer mu.Unlock()
		return append([]spooled(nil), got...)
	}
}

func smtpErr(err error) *smtp.SMTPError {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se
	}
	return nil
}

func TestAcceptsAndSpoolsRawBytes(t *testing.T) {
	t.Parallel()
	addr, got := serve(t, Options{}, nil)
	msg := "Subject: hi\r\n\r\n..dot-stuffed line\r\nbody\r\n"
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("a@example.org", []string{"List@Lists.Test"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	s := got()
	if len(s) != 1 || string(s[0].raw) != msg || s[0].env.From != "a@example.org" || s[0].env.To[0] != "list@lists.test" {
		t.Fatalf("spooled %+v", s)
	}
}

func TestRefusesOtherRecipients(t *testing.T) {
	t.Parallel()
	addr, _ := serve(t, Options{}, nil)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@example.org", nil); err != nil {
		t.Fatal(err)
	}
	se := smtpErr(c.Rcpt("victim@example.com", nil))
	if se == nil || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) {
		t.Fatalf("RCPT to a foreign address: %v", se)
	}
}

func TestSizeLimits(t *testing.T) {
	t.Parallel()
	addr, got := serve(t, Options{MaxMessageBytes: 100}, nil)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.SendMail("a@example.org", []string{"list@lists.test"}, strings.NewReader(strings.Repeat("x", 500)))
	if se := smtpErr(err); se == nil || se.Code != 552 {
		t.Fatalf("oversized DATA: %v", err)
	}
	if len(got()) != 0 {
		t.Fatal("oversized message spooled")
	}
	// SIZE= announced at MAIL FROM is refused up front.
	c2, _ := smtp.Dial(addr)
	defer c2.Close()
	c2.Hello("client.test")
	if se := smtpErr(c2.Mail("a@example.org", &smtp.MailOptions{Size: 1000})); se == nil || se.Code != 552 {
		t.Fatalf("MAIL SIZE=1000: %v", se)
	}
}

func TestDiskFullIs452(t *testing.T) {
	t.Parallel()
	addr, _ := serve(t, Options{}, fmt.Errorf("storage: receive message: %w", syscall.ENOSPC))
	c, _ := smtp.Dial(addr)
	defer c.Close()
	err := c.SendMail("a@example.org", []string{"list@lists.test"}, strings.NewReader("Subject: x\r\n\r\ny\r\n"))
	if se := smtpErr(err); se == nil || se.Code != 452 || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 1}) {
		t.Fatalf("disk full: %v", err)
	}
}

func TestStoreErrorIsTemporary(t *testing.T) {
	t.Parallel()
	addr, _ := serve(t, Options{}, errors.New("boom"))
	c, _ := smtp.Dial(addr)
	defer c.Close()
	err := c.SendMail("a@example.org", []string{"list@lists.test"}, strings.NewReader("Subject: x\r\n\r\ny\r\n"))
	if se := smtpErr(err); se == nil || se.Code != 451 {
		t.Fatalf("store error: %v", err)
	}
}

func TestIdleClientIsDisconnected(t *testing.T) {
	t.Parallel()
	addr, _ := serve(t, Options{IdleTimeout: 200 * time.Millisecond}, nil)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	r.ReadString('\n') // greeting
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	for {
		if _, err := r.ReadString('\n'); err != nil {
			break
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("idle connection kept %v", d)
	}
}

func TestSlowBodyTimesOut(t *testing.T) {
	t.Parallel()
	addr, got := serve(t, Options{IdleTimeout: 5 * time.Second, DataTimeout: 300 * time.Millisecond}, nil)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	expect := func(prefix string) string {
		t.Helper()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("waiting for %s: %v", prefix, err)
			}
			if len(line) > 3 && line[3] == '-' {
				continue
			}
			if !strings.HasPrefix(line, prefix) {
				t.Fatalf("got %q, want %s", line, prefix)
			}
			return line
		}
	}
	expect("220")
	fmt.Fprint(conn, "EHLO slow.test\r\n")
	expect("250")
	fmt.Fprint(conn, "MAIL FROM:<a@example.org>\r\n")
	expect("250")
	fmt.Fprint(conn, "RCPT TO:<list@lists.test>\r\n")
	expect("250")
	fmt.Fprint(conn, "DATA\r\n")
	expect("354")
	fmt.Fprint(conn, "Subject: slow\r\n\r\n")
	time.Sleep(600 * time.Millisecond) // slower than DataTimeout
	fmt.Fprint(conn, "body\r\n.\r\n")
	line, err := r.ReadString('\n')
	if err == nil && !strings.HasPrefix(line, "421 4.4.2 ") && !strings.HasPrefix(line, "451") {
		t.Fatalf("slow body answered %q, want 421 4.4.2, 451 or a closed connection", line)
	}
	if len(got()) != 0 {
		t.Fatal("a message whose body timed out was spooled")
	}
}

func TestConnectionCap(t *testing.T) {
	t.Parallel()
	addr, _ := serve(t, Options{MaxConnections: 2}, nil)
	var held []*smtp.Client
	for range 2 {
		c, err := smtp.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if !strings.HasPrefix(line, "421") {
		t.Fatalf("third connection greeted %q, want 421", line)
	}
	held[0].Close()
	// The freed slot is usable again.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := smtp.Dial(addr)
		if err == nil {
			err = c.Hello("again.test")
			c.Close()
			if err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not released: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	held[1].Close()
}

func TestConnectionCapPerIP(t *testing.T) {
	t.Parallel()
	addr, _ := serve(t, Options{MaxConnectionsPerIP: 2, MaxConnections: 50}, nil)
	var held []*smtp.Client
	for range 2 {
		c, err := smtp.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Hello("client.test"); err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if !strings.HasPrefix(line, "421") || !strings.Contains(line, "from your address") {
		t.Fatalf("third connection from one address greeted %q, want 421", line)
	}
	for _, c := range held {
		c.Close()
	}
}

func TestMessageRatePerIP(t *testing.T) {
	t.Parallel()
	addr, spooled := serve(t, Options{MaxMessagesPerMinute: 3}, nil)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var refused error
	for i := range 5 {
		err := c.SendMail("a@example.org", []string{"list@lists.test"}, strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i)))
		if i < 3 && err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if i >= 3 {
			refused = err
		}
		c.Reset()
	}
	if e := smtpErr(refused); e == nil || e.Code != 450 {
		t.Errorf("beyond the rate: %v, want 450", refused)
	}
	if n := len(spooled()); n != 3 {
		t.Errorf("%d messages spooled, want 3", n)
	}
}

// A client that keeps a connection busy forever (NOOP after NOOP) is cut
// at the session's end; one connection carries a bounded number of
// messages.
func TestSessionBounds(t *testing.T) {
	t.Parallel()
	addr, _ := serve(t, Options{MaxSessionDuration: 700 * time.Millisecond, MaxTransactions: 2, IdleTimeout: 5 * time.Second}, nil)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		err := c.SendMail("a@example.org", []string{"list@lists.test"}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
		if i < 2 && err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if i == 2 {
			if e := smtpErr(err); e == nil || e.Code != 421 {
				t.Errorf("third message on one connection: %v, want 421", err)
			}
		}
		c.Reset()
	}
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		if err := c.Noop(); err != nil {
			if time.Since(start) > 2*time.Second {
				t.Errorf("cut after %v, want about 0.7 s", time.Since(start))
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("a NOOP loop kept the connection past its life")
}

// go-smtp's report of its BDAT goroutine finding no session is one INFO
// line, as is a client that reset its connection; any other recovered
// failure keeps its stack, as an error.
func TestErrorLogFilter(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	l := slogErrorLog{slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Printf("panic serving %v: %v\n%s", "127.0.0.1:5555", "runtime error: invalid memory address or nil pointer dereference",
		"goroutine 7 [running]:\ngithub.com/emersion/go-smtp.(*Conn).handleBdat.func1()\n\t/x/conn.go:1059")
	if s := out.String(); !strings.Contains(s, "level=INFO") || !strings.Contains(s, "remote=127.0.0.1") ||
		strings.Contains(s, "goroutine") || strings.Count(s, "\n") != 1 {
		t.Errorf("the BDAT report: %q", s)
	}
	out.Reset()
	l.Printf("error handling %v: %s", "127.0.0.1:5555", "read tcp 127.0.0.1:25->127.0.0.1:5555: read: connection reset by peer")
	if s := out.String(); !strings.Contains(s, "level=INFO") || !strings.Contains(s, "client disconnected") {
		t.Errorf("a reset: %q", s)
	}
	out.Reset()
	l.Printf("panic serving %v: %v\n%s", "127.0.0.1:5555", "boom", "goroutine 7 [running]:\ntacit/listserv/smtpin.(*session).Data()")
	if s := out.String(); !strings.Contains(s, "level=ERROR") || !strings.Contains(s, "session).Data") {
		t.Errorf("another panic lost its stack: %q", s)
	}
}
