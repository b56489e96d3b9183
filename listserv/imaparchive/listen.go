package imaparchive

import (
	"net"
	"sync"
	"time"
)

// imapserver decides once per server, not per connection, whether a
// plaintext connection may log in (its InsecureAuth), and tells clients
// so in CAPABILITY: LOGINDISABLED and no AUTH= until STARTTLS, or the
// reverse. tacit allows plaintext logins from loopback only, so a
// plaintext listener's connections are split between two imapservers:
// those from loopback to one that allows them, the others to one that
// does not. A client elsewhere is thus told not to send its password
// before STARTTLS, rather than refused once it has sent it in clear.

// splitListener accepts on one listener and hands each connection to
// one of its two halves.
type splitListener struct {
	ln        net.Listener
	local     func(net.IP) bool
	closeOnce sync.Once
	// halves[0] gets the connections local accepts, halves[1] the others.
	halves [2]*halfListener
}

// split starts accepting on ln and returns the two halves: the
// connections whose remote address local accepts, and the others.
// Closing either half closes ln, and then both halves.
func split(ln net.Listener, local func(net.IP) bool) (*halfListener, *halfListener) {
	s := &splitListener{ln: ln, local: local}
	for i := range s.halves {
		s.halves[i] = &halfListener{parent: s, conns: make(chan net.Conn), done: make(chan struct{})}
	}
	go s.pump()
	return s.halves[0], s.halves[1]
}

// pump hands each accepted connection to its half until ln fails, then
// passes the failure on to both halves.
func (s *splitListener) pump() {
	var delay time.Duration
	for {
		c, err := s.ln.Accept()
		if ne, ok := err.(interface{ Temporary() bool }); ok && ne.Temporary() {
			// Out of file descriptors, for instance: wait, as
			// net/http and imapserver do, rather than stop serving.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			time.Sleep(delay)
			continue
		}
		if err != nil {
			for _, h := range s.halves {
				h.fail(err)
			}
			return
		}
		delay = 0
		h := s.halves[1]
		if s.local(remoteIP(c)) {
			h = s.halves[0]
		}
		select {
		case h.conns <- c:
		case <-h.done:
			c.Close()
		}
	}
}

func (s *splitListener) close() error {
	var err error
	s.closeOnce.Do(func() { err = s.ln.Close() })
	return err
}

// halfListener is one half of a splitListener.
type halfListener struct {
	parent   *splitListener
	conns    chan net.Conn
	done     chan struct{}
	doneOnce sync.Once
	err      error // why done was closed; set before it is closed
}

func (h *halfListener) fail(err error) {
	h.doneOnce.Do(func() {
		h.err = err
		close(h.done)
	})
}

// Accept returns the next connection of this half.
func (h *halfListener) Accept() (net.Conn, error) {
	select {
	case c := <-h.conns:
		return c, nil
	case <-h.done:
		return nil, h.err
	}
}

// Close closes the listener under both halves.
func (h *halfListener) Close() error {
	h.fail(net.ErrClosed)
	return h.parent.close()
}

// Addr is the address of the listener under both halves.
func (h *halfListener) Addr() net.Addr { return h.parent.ln.Addr() }
