package smtpsink

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

const testMsg = "Subject: hi\r\n\r\nhello\r\n.dot line\r\n"

// send delivers one message through a fresh client and returns the first
// error, closing the connection afterwards.
func send(t *testing.T, addr, from string, to []string, body string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestAcceptAndRecord(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	if err := send(t, s.Addr(), "a@x.test", []string{"b@y.test", "c@y.test"}, testMsg); err != nil {
		t.Fatal(err)
	}
	if err := send(t, s.Addr(), "", []string{"b@y.test"}, testMsg); err != nil {
		t.Fatal(err)
	}
	s.WaitCount(t, 3, 5*time.Second)
	msgs := s.Messages()
	if len(msgs) != 2 {
		t.Fatalf("got %d messages", len(msgs))
	}
	if msgs[0].From != "a@x.test" || strings.Join(msgs[0].To, ",") != "b@y.test,c@y.test" {
		t.Errorf("envelope %q %q", msgs[0].From, msgs[0].To)
	}
	if msgs[1].From != "" {
		t.Errorf("null sender recorded as %q", msgs[1].From)
	}
	if string(msgs[0].Data) != testMsg {
		t.Errorf("data %q, want %q", msgs[0].Data, testMsg)
	}
	if msgs[0].At.IsZero() {
		t.Error("At not set")
	}
	if got := s.Recipients(); got["b@y.test"] != 2 || got["c@y.test"] != 1 || len(got) != 2 {
		t.Errorf("recipients %v", got)
	}
	if s.Count() != 3 {
		t.Errorf("count %d", s.Count())
	}
	if s.Connections() != 2 {
		t.Errorf("connections %d", s.Connections())
	}
	// Messages is a copy.
	msgs[0].To[0] = "changed"
	if s.Messages()[0].To[0] != "b@y.test" {
		t.Error("Messages shares its slices")
	}
}

func TestRcptAndDataReplies(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{
		RcptReply: func(rcpt string) *smtp.SMTPError {
			switch {
			case strings.HasPrefix(rcpt, "perm"):
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
			case strings.HasPrefix(rcpt, "temp"):
				return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "try later"}
			}
			return nil
		},
		DataReply: func(from string, to []string) *smtp.SMTPError {
			if from == "spam@x.test" {
				return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "spam"}
			}
			return nil
		},
	})
	if err := send(t, s.Addr(), "a@x.test", []string{"perm@y.test"}, testMsg); code(err) != 550 {
		t.Errorf("perm rcpt: %v", err)
	}
	if err := send(t, s.Addr(), "a@x.test", []string{"temp@y.test"}, testMsg); code(err) != 450 {
		t.Errorf("temp rcpt: %v", err)
	}
	if err := send(t, s.Addr(), "spam@x.test", []string{"ok@y.test"}, testMsg); code(err) != 554 {
		t.Errorf("data: %v", err)
	}
	if s.Count() != 0 || len(s.Messages()) != 0 {
		t.Errorf("refused mail recorded: %d", s.Count())
	}
}

func TestDrop(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	s.Drop(1)
	err := send(t, s.Addr(), "a@x.test", []string{"b@y.test"}, testMsg)
	if err == nil || code(err) != 0 {
		t.Fatalf("dropped DATA: got %v, want a connection error", err)
	}
	if s.Count() != 0 {
		t.Errorf("dropped message recorded")
	}
	if err := send(t, s.Addr(), "a@x.test", []string{"b@y.test"}, testMsg); err != nil {
		t.Fatalf("after drop: %v", err)
	}
	if s.Count() != 1 {
		t.Errorf("count %d", s.Count())
	}
}

func TestDelayAndDiscard(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Delay: 100 * time.Millisecond, Discard: true})
	start := time.Now()
	if err := send(t, s.Addr(), "a@x.test", []string{"b@y.test"}, testMsg); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("answered after %v", d)
	}
	m := s.Messages()
	if len(m) != 1 || m[0].Data != nil || s.Count() != 1 {
		t.Errorf("discard: %+v", m)
	}
}

func TestCloseInterruptsDelay(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Delay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		c, err := smtp.Dial(s.Addr())
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- c.SendMail("a@x.test", []string{"b@y.test"}, strings.NewReader(testMsg))
	}()
	for s.Connections() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("message accepted by a closed sink")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not interrupt Delay")
	}
}

func TestTooLarge(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("sends 64 MB")
	}
	s := Start(t, Options{Discard: true})
	// Raw protocol: go-smtp's dot writer is slow on 64 MB under -race.
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tp := textproto.NewConn(conn)
	expect := func(code int) {
		t.Helper()
		if _, msg, err := tp.ReadResponse(code); err != nil {
			t.Fatalf("want %d: %v %s", code, err, msg)
		}
	}
	expect(220)
	for _, c := range []struct {
		cmd  string
		code int
	}{{"EHLO client.test", 250}, {"MAIL FROM:<a@x.test>", 250}, {"RCPT TO:<b@y.test>", 250}, {"DATA", 354}} {
		if err := tp.PrintfLine("%s", c.cmd); err != nil {
			t.Fatal(err)
		}
		expect(c.code)
	}
	chunk := []byte(strings.Repeat(strings.Repeat("x", 998)+"\r\n", 1024))
	for sent := 0; sent <= maxMessageBytes; sent += len(chunk) {
		if _, err := conn.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := tp.PrintfLine("."); err != nil {
		t.Fatal(err)
	}
	expect(552)
	if s.Count() != 0 {
		t.Error("oversized message recorded")
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			to := []string{fmt.Sprintf("r%d@y.test", i), "all@y.test"}
			c, err := smtp.Dial(s.Addr())
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			errs <- c.SendMail("a@x.test", to, bytes.NewReader([]byte(testMsg)))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	s.WaitCount(t, 2*n, 5*time.Second)
	if got := s.Recipients()["all@y.test"]; got != n {
		t.Errorf("all@y.test got %d", got)
	}
	if s.Connections() != n {
		t.Errorf("connections %d", s.Connections())
	}
}

func TestWaitCountTimeout(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	ft := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WaitCount(ft, 1, 20*time.Millisecond)
	}()
	<-done
	if !strings.Contains(ft.msg, "0 recipients") {
		t.Errorf("timeout message %q", ft.msg)
	}
}

// fakeTB records Fatalf instead of failing the test.
type fakeTB struct {
	testing.TB
	msg string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
}
