package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync/atomic"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// counter is where a workload reads how many recipients were settled so
// far: the internal sink's count, or the sums of tacit's log.
type counter interface {
	count() int64
}

// sink is a loopback SMTP server that accepts everything, discards the
// data and counts the recipients of each message accepted.
type sink struct {
	srv    *gosmtp.Server
	ln     net.Listener
	served chan struct{}
	rcpts  atomic.Int64
	last   atomic.Int64 // UnixNano of the last message accepted
}

// startSink starts a sink on addr ("127.0.0.1:0" for any free port).
func startSink(addr string) (*sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sink: %w", err)
	}
	s := &sink{ln: ln, served: make(chan struct{})}
	s.srv = gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return &sinkSession{s: s}, nil
	}))
	s.srv.Domain = "sink.test"
	s.srv.MaxMessageBytes = 64 << 20
	s.srv.MaxRecipients = 0
	s.srv.MaxLineLength = 0
	s.srv.ReadTimeout = 5 * time.Minute
	s.srv.WriteTimeout = 5 * time.Minute
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

func (s *sink) addr() string { return s.ln.Addr().String() }

func (s *sink) count() int64 { return s.rcpts.Load() }

func (s *sink) close() {
	_ = s.srv.Close()
	<-s.served
}

type sinkSession struct {
	s     *sink
	rcpts int64
}

func (ss *sinkSession) Reset()        { ss.rcpts = 0 }
func (ss *sinkSession) Logout() error { return nil }
func (ss *sinkSession) Mail(string, *gosmtp.MailOptions) error {
	ss.rcpts = 0
	return nil
}
func (ss *sinkSession) Rcpt(string, *gosmtp.RcptOptions) error {
	ss.rcpts++
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("sink: read data: %w", err)
	}
	ss.s.rcpts.Add(ss.rcpts)
	ss.s.last.Store(time.Now().UnixNano())
	ss.rcpts = 0
	return nil
}

// errTimeout is returned by waitCount when the count was not reached.
var errTimeout = errors.New("timed out")

// waitCount polls c every millisecond until it reaches target, and
// returns the time it did.
func waitCount(ctx context.Context, c counter, target int64, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		if c.count() >= target {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%d of %d recipients after %v: %w", c.count(), target, timeout, errTimeout)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("waiting for %d recipients: %w", target, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}
