package imaparchive

import (
	"crypto/tls"
	"net"
	"sync"
)

// go-imap's server flushes its writer after every response: a FETCH of
// 10,000 messages costs 10,000 write system calls, most of the time it
// takes. A coalescing connection lets a session hold its writes while it
// answers one command and send them in large writes.

// coalesceLimit is how much a held connection buffers before it writes.
const coalesceLimit = 64 << 10

// coalesceListener wraps each accepted connection in a coalesceConn.
type coalesceListener struct{ net.Listener }

func (l coalesceListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &coalesceConn{Conn: c}, nil
}

// coalesceConn passes writes straight through, except between hold and
// release, when it gathers them and writes coalesceLimit bytes at a time.
type coalesceConn struct {
	net.Conn
	mu   sync.Mutex
	held bool
	buf  []byte
}

func (c *coalesceConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.held {
		return c.Conn.Write(p)
	}
	c.buf = append(c.buf, p...)
	if len(c.buf) >= coalesceLimit {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (c *coalesceConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	c.buf = c.buf[:0]
	return err
}

// hold starts gathering writes.
func (c *coalesceConn) hold() {
	c.mu.Lock()
	c.held = true
	c.mu.Unlock()
}

// release writes what was gathered and lets writes through again.
func (c *coalesceConn) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held = false
	_ = c.flushLocked() // a broken connection fails the next write too
	if cap(c.buf) > coalesceLimit*2 {
		c.buf = nil
	}
}

// coalescing returns the coalesceConn under nc, through TLS if need be.
func coalescing(nc net.Conn) *coalesceConn {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	cc, _ := nc.(*coalesceConn)
	return cc
}
