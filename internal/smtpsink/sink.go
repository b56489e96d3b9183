// Package smtpsink is a test helper: a real SMTP server on the loopback
// interface, built on go-smtp's server, that records what it accepts.
//
// It stands in for a smarthost in tests and benchmarks of code that sends
// mail. Its answers can be scripted per recipient (Options.RcptReply) and
// per transaction (Options.DataReply); it can be slow (Options.Delay) and it
// can die in the middle of a DATA transfer (Sink.Drop). It speaks plain
// SMTP only: no TLS, no AUTH, no LMTP.
package smtpsink

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// maxMessageBytes is the largest message the sink accepts; a larger one is
// refused with 552.
const maxMessageBytes = 64 << 20

// Options script the answers of a Sink. The zero value accepts everything.
type Options struct {
	// RcptReply is asked about each RCPT TO; a non-nil result refuses that
	// recipient with the given reply. nil accepts every recipient.
	RcptReply func(rcpt string) *smtp.SMTPError
	// DataReply is asked once the message has been read; a non-nil result
	// refuses the message with the given reply and nothing is recorded.
	// nil accepts every message.
	DataReply func(from string, to []string) *smtp.SMTPError
	// Delay is slept after the message has been read and before the reply
	// to DATA is sent, as a slow relay would. Close interrupts it.
	Delay time.Duration
	// RcptDelay, when set, is asked for a time to sleep before each reply
	// to RCPT TO (a relay slow to look its recipients up). Unlike Delay it
	// never stands between a message received and its reply, so a client
	// killed meanwhile leaves nothing recorded that it did not see
	// accepted. Close interrupts it.
	RcptDelay func() time.Duration
	// Discard keeps the envelope of each accepted message but not its
	// bytes (Received.Data is nil), for benchmarks.
	Discard bool
}

// Received is one message the sink accepted.
type Received struct {
	// From is the envelope sender ("" for the null sender).
	From string
	// To lists the recipients accepted in the transaction, in order.
	To []string
	// Data is the message as received (CRLF line ends, dot-unstuffed);
	// nil when Options.Discard is set.
	Data []byte
	// At is when the message was accepted.
	At time.Time
}

// Sink is a running loopback SMTP server. Its methods are safe for
// concurrent use.
type Sink struct {
	o      Options
	srv    *smtp.Server
	ln     net.Listener
	served chan struct{} // closed when Serve has returned
	closed chan struct{} // closed by Close, interrupts Delay
	once   sync.Once

	mu      sync.Mutex
	msgs    []Received
	count   int
	rcpts   map[string]int
	conns   int
	drop    int
	changed chan struct{} // closed and replaced whenever count grows
}

// New starts a Sink listening on 127.0.0.1 on a port chosen by the kernel.
// The caller must Close it.
func New(o Options) (*Sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtpsink: listen: %w", err)
	}
	s := &Sink{
		o:       o,
		served:  make(chan struct{}),
		closed:  make(chan struct{}),
		rcpts:   make(map[string]int),
		changed: make(chan struct{}),
	}
	s.ln = &countingListener{Listener: ln, s: s}

	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, c: c}, nil
	}))
	srv.Domain = "smtpsink.localhost"
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = 0 // unlimited
	// Real smarthosts accept lines longer than RFC 5321's limit; so does
	// the sink (go-smtp's default is 2000 bytes).
	srv.MaxLineLength = 0
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv = srv

	go func() {
		defer close(s.served)
		_ = srv.Serve(s.ln)
	}()
	return s, nil
}

// Start is New for tests: it fails tb if the sink cannot start and closes
// the sink when the test ends.
func Start(tb testing.TB, o Options) *Sink {
	tb.Helper()
	s, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// Addr is the host:port the sink listens on.
func (s *Sink) Addr() string {
	return s.ln.Addr().String()
}

// Messages returns a copy of the accepted messages, in order of acceptance.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, len(s.msgs))
	for i, m := range s.msgs {
		m.To = append([]string(nil), m.To...)
		out[i] = m
	}
	return out
}

// Count is the number of recipients accepted in completed transactions:
// the sum of len(To) over the accepted messages.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Recipients maps each recipient address to the number of accepted
// messages it was a recipient of.
func (s *Sink) Recipients() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.rcpts))
	for k, v := range s.rcpts {
		out[k] = v
	}
	return out
}

// WaitCount waits until Count reaches n and fails tb, reporting the count,
// if it has not after timeout. Call it from the test's goroutine.
func (s *Sink) WaitCount(tb testing.TB, n int, timeout time.Duration) {
	tb.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		count, changed := s.count, s.changed
		s.mu.Unlock()
		if count >= n {
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			tb.Fatalf("smtpsink: %d recipients accepted after %v, want %d", s.Count(), timeout, n)
			return
		}
	}
}

// Connections is the number of SMTP connections accepted so far.
func (s *Sink) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Drop makes the next n DATA commands fail the way a relay that dies does:
// the sink reads the start of the message, then closes the connection
// without replying. Nothing is recorded for them.
func (s *Sink) Drop(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop += n
}

// Close stops the server and closes every connection. It is safe to call
// more than once.
func (s *Sink) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closed)
		if cerr := s.srv.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = fmt.Errorf("smtpsink: close: %w", cerr)
		}
		<-s.served
	})
	return err
}

// takeDrop reports whether the current DATA command is to be dropped.
func (s *Sink) takeDrop() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drop > 0 {
		s.drop--
		return true
	}
	return false
}

// record stores an accepted message and wakes WaitCount.
func (s *Sink) record(m Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	s.count += len(m.To)
	for _, to := range m.To {
		s.rcpts[to]++
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	s *Sink
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.s.mu.Lock()
		l.s.conns++
		l.s.mu.Unlock()
	}
	return c, err
}

// session is one SMTP connection's state. go-smtp calls its methods from
// the connection's goroutine only.
type session struct {
	s    *Sink
	c    *smtp.Conn
	from string
	to   []string
}

func (ss *session) Reset() {
	ss.from = ""
	ss.to = nil
}

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	ss.to = nil
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if f := ss.s.o.RcptDelay; f != nil {
		select {
		case <-time.After(f()):
		case <-ss.s.closed:
		}
	}
	if f := ss.s.o.RcptReply; f != nil {
		if e := f(to); e != nil {
			return e // unwrapped: go-smtp only relays an *SMTPError as is
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	if ss.s.takeDrop() {
		// Take the start of the transfer, then die without a reply.
		var buf [512]byte
		_, _ = r.Read(buf[:])
		_ = ss.c.Conn().Close()
		return errors.New("smtpsink: connection dropped")
	}

	var data []byte
	var err error
	if ss.s.o.Discard {
		_, err = io.Copy(io.Discard, r)
	} else {
		data, err = io.ReadAll(r)
	}
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se // smtp.ErrDataTooLarge gives 552
		}
		return err
	}

	if d := ss.s.o.Delay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ss.s.closed:
			t.Stop()
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "sink closing"}
		}
	}

	to := append([]string(nil), ss.to...)
	if f := ss.s.o.DataReply; f != nil {
		if e := f(ss.from, to); e != nil {
			return e
		}
	}
	ss.s.record(Received{From: ss.from, To: to, Data: data, At: time.Now()})
	return nil
}

// Compile-time check that session is a go-smtp session.
var _ smtp.Session = (*session)(nil)
