package outbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const (
	// idleTimeout is how long an idle connection stays eligible for reuse.
	// Servers drop idle clients after a few minutes (Postfix: 300s); a
	// connection silently lost by a middlebox would otherwise cost a full
	// CommandTimeout on its RSET.
	idleTimeout = time.Minute
	// quitTimeout bounds the polite QUIT sent before closing a connection.
	quitTimeout = 5 * time.Second
)

// RelayOptions configure a Relay.
type RelayOptions struct {
	// Addr is the host:port of the smarthost.
	Addr string
	// Hostname is the name sent with EHLO; "" means os.Hostname.
	Hostname string
	// MaxConns is the number of idle connections kept for reuse; 0 means
	// 4 and a negative value keeps none. It does not limit the number of
	// connections in use at once: that is the caller's concurrency.
	MaxConns int
	// DialTimeout bounds the TCP connect; 0 means 30s.
	DialTimeout time.Duration
	// CommandTimeout bounds the wait for each reply (the greeting, EHLO,
	// MAIL, RCPT, the 354 to DATA, ...); 0 means 5m.
	CommandTimeout time.Duration
	// DataTimeout bounds the transfer of the message and the wait for the
	// final reply to DATA; 0 means 10m.
	DataTimeout time.Duration
	// TLS, when non-nil, makes the relay use STARTTLS when the server
	// offers it; an empty ServerName is filled in from Addr. With TLS set
	// and STARTTLS not offered, the session continues in plaintext but
	// credentials are never sent.
	TLS *tls.Config
	// Username and Password, when Username is set, authenticate with AUTH
	// PLAIN after EHLO. With TLS nil they are sent in the clear (meant for
	// a relay on the loopback interface).
	Username, Password string
	// Logger receives one debug line per transaction and a warning per
	// failed connection; nil discards.
	Logger *slog.Logger
}

// Relay is a Transport that hands every message to one smarthost over
// SMTP, with go-smtp's client. Idle connections are kept and reused for
// later messages (with RSET); a reused connection that turns out to be dead
// is replaced by a fresh one and the transaction retried once.
//
// Each recipient gets its own Result: a RCPT refused with 5xx is permanent,
// with 4xx temporary. A failure of DATA or of the connection applies to
// every recipient that was not refused, permanent only on a 5xx reply to
// DATA. Failures to set up a connection (dial, greeting, EHLO, STARTTLS,
// AUTH) are always temporary: they are about the relay, not the message.
//
// A Relay is safe for concurrent use.
type Relay struct {
	o   RelayOptions
	log *slog.Logger

	mu     sync.Mutex
	idle   []*relayConn // oldest first
	closed bool
}

// NewRelay returns a Relay to o.Addr. It does not connect until the first
// Deliver.
func NewRelay(o RelayOptions) *Relay {
	if o.Hostname == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			o.Hostname = h
		} else {
			o.Hostname = "localhost"
		}
	}
	if o.MaxConns == 0 {
		o.MaxConns = 4
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 30 * time.Second
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = 5 * time.Minute
	}
	if o.DataTimeout <= 0 {
		o.DataTimeout = 10 * time.Minute
	}
	lg := o.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &Relay{o: o, log: lg.With("relay", o.Addr)}
}

// errRelayClosed is reported on every recipient after Close.
var errRelayClosed = errors.New("outbound: relay closed")

// Deliver sends m in one SMTP transaction and returns one Result per
// recipient, in the order of m.To. ctx bounds the whole transaction.
func (r *Relay) Deliver(ctx context.Context, m *Message) []Result {
	return r.DeliverBatch(ctx, []*Message{m}, nil)[0]
}

// DeliverBatch sends each message in a transaction of its own, all on one
// connection, pipelined when the relay allows it, and returns the results
// of each message as Deliver would. ctx bounds the whole batch.
//
// With done set, each transaction's outcome is told to done as soon as
// its last reply is read, and a message's data is sent (after DATA's
// 354, or with BDAT) only once every command written before it has been
// answered and done has returned: the relay never holds more than one
// transaction whose outcome done has not seen. Without CHUNKING that
// costs nothing; with it, it gives up writing several transactions
// ahead (one round trip per transaction instead of one per window).
func (r *Relay) DeliverBatch(ctx context.Context, ms []*Message, done func(k int, rs []Result)) [][]Result {
	ts := make([]*txn, len(ms))
	out := make([][]Result, len(ms))
	var todo []*Message
	var todoT []*txn
	for k, m := range ms {
		t := &txn{res: make([]Result, len(m.To)), final: make([]bool, len(m.To))}
		if done != nil {
			t.report = func() { done(k, t.res) }
		}
		ts[k], out[k] = t, t.res
		for i, to := range m.To {
			t.res[i].Recipient = to
		}
		if err := checkAddr(m.From); err != nil {
			t.failRest(fmt.Errorf("outbound: relay %s: sender %q: %w", r.o.Addr, m.From, err), true)
			continue
		}
		for i, to := range m.To {
			if err := checkAddr(to); err != nil {
				t.fail(i, fmt.Errorf("outbound: relay %s: recipient %q: %w", r.o.Addr, to, err), true)
			}
		}
		if !t.allFinal() {
			todo, todoT = append(todo, m), append(todoT, t)
		}
	}
	defer func() {
		for _, t := range ts {
			t.end() // those the session did not tell: failed, or never sent
		}
	}()
	if len(todo) == 0 {
		return out
	}

	start := time.Now()
	canonical := canonicalCache()
	fresh := false
	for {
		if err := ctx.Err(); err != nil {
			failAll(todoT, fmt.Errorf("outbound: relay %s: %w", r.o.Addr, err))
			break
		}
		rc, reused, err := r.get(ctx, fresh)
		if err != nil {
			r.log.Warn("relay connection failed", "err", err)
			failAll(todoT, err)
			break
		}
		release := rc.nc.bind(ctx)
		retry, keep := r.session(ctx, rc, reused, todo, todoT, canonical)
		if !release() {
			keep = false // ctx fired: the connection's deadline is spent
		}
		if keep {
			r.put(rc)
		} else {
			rc.close()
		}
		if !retry {
			break
		}
		fresh = true // once, on a connection of our own
	}
	accepted := 0
	for _, t := range todoT {
		accepted += t.accepted()
	}
	r.log.Debug("relay transactions", "transactions", len(todo), "accepted", accepted, "dur", time.Since(start))
	return out
}

// failAll gives err, as temporary, to every recipient not decided yet.
func failAll(ts []*txn, err error) {
	for _, t := range ts {
		t.failRest(err, false)
	}
}

// canonicalCache returns canonicalCRLF, remembering its answer for each
// buffer: the messages of a batch share one body, which may be large.
func canonicalCache() func([]byte) bool {
	type key struct {
		p *byte
		n int
	}
	seen := map[key]bool{}
	return func(p []byte) bool {
		if len(p) < 4096 {
			return canonicalCRLF(p)
		}
		k := key{&p[0], len(p)}
		v, ok := seen[k]
		if !ok {
			v = canonicalCRLF(p)
			seen[k] = v
		}
		return v
	}
}

// Close closes the idle connections (with QUIT) and makes later Deliver
// calls fail. Connections in use are closed when their transaction ends.
func (r *Relay) Close() error {
	r.mu.Lock()
	idle := r.idle
	r.idle = nil
	r.closed = true
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, rc := range idle {
		wg.Go(rc.quit)
	}
	wg.Wait()
	return nil
}

// txn holds the per-recipient outcome of one Deliver call.
type txn struct {
	res   []Result
	final []bool // res[i] is decided
	// report, when set, tells the caller of DeliverBatch the outcome
	// (end calls it once); the transaction's data then waits for every
	// earlier command's reply.
	report func()
	told   bool
}

// end tells the outcome to report, once, when every recipient is decided.
func (t *txn) end() {
	if t.report != nil && !t.told && t.allFinal() {
		t.told = true
		t.report()
	}
}

func (t *txn) fail(i int, err error, perm bool) {
	t.res[i].Err, t.res[i].Permanent, t.final[i] = err, perm, true
}

// failRest gives err to every recipient not decided yet.
func (t *txn) failRest(err error, perm bool) {
	for i := range t.res {
		if !t.final[i] {
			t.fail(i, err, perm)
		}
	}
}

func (t *txn) allFinal() bool {
	for _, f := range t.final {
		if !f {
			return false
		}
	}
	return true
}

func (t *txn) accepted() int {
	n := 0
	for i := range t.res {
		if t.final[i] && t.res[i].Err == nil {
			n++
		}
	}
	return n
}

// wrap adds context to err, and the context's error when ctx is the reason
// the connection failed.
func (r *Relay) wrap(ctx context.Context, what string, err error) error {
	cerr := ctx.Err()
	if dl, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(dl) {
		// The connection's deadline (the context's) can fire a moment
		// before the context's own timer.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("outbound: relay %s: %s: %w: %w", r.o.Addr, what, cerr, err)
	}
	return fmt.Errorf("outbound: relay %s: %s: %w", r.o.Addr, what, err)
}

// isPermanent reports whether err is a 5xx reply. 503 (bad sequence of
// commands) is about the session, not the message: it is retried.
func isPermanent(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code/100 == 5 && se.Code != 503
}

// checkAddr refuses what cannot be sent on an SMTP command line.
func checkAddr(a string) error {
	if strings.ContainsAny(a, "\r\n\x00<>") {
		return errors.New("invalid characters in address")
	}
	return nil
}

func envelopeASCII(m *Message) bool {
	isASCII := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return false
			}
		}
		return true
	}
	if !isASCII(m.From) {
		return false
	}
	for _, to := range m.To {
		if !isASCII(to) {
			return false
		}
	}
	return true
}

// get returns an idle connection (reused is true) or, when there is none or
// fresh is set, a new one.
func (r *Relay) get(ctx context.Context, fresh bool) (rc *relayConn, reused bool, err error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, false, errRelayClosed
	}
	// Drop the connections idle for too long (the oldest come first).
	now := time.Now()
	n := 0
	for n < len(r.idle) && now.Sub(r.idle[n].idleAt) > idleTimeout {
		n++
	}
	stale := append([]*relayConn(nil), r.idle[:n]...)
	r.idle = slices.Delete(r.idle, 0, n)
	if !fresh && len(r.idle) > 0 {
		rc = r.idle[len(r.idle)-1]
		r.idle[len(r.idle)-1] = nil
		r.idle = r.idle[:len(r.idle)-1]
	}
	r.mu.Unlock()
	for _, s := range stale {
		s.close()
	}
	if rc != nil {
		return rc, true, nil
	}
	rc, err = r.dial(ctx)
	return rc, false, err
}

// put returns rc to the pool, or closes it if the pool is full or closed.
func (r *Relay) put(rc *relayConn) {
	r.mu.Lock()
	if r.closed || len(r.idle) >= r.o.MaxConns {
		r.mu.Unlock()
		rc.quit()
		return
	}
	rc.idleAt = time.Now()
	r.idle = append(r.idle, rc)
	r.mu.Unlock()
}

// dial connects and runs the greeting, EHLO, STARTTLS and AUTH.
func (r *Relay) dial(ctx context.Context) (*relayConn, error) {
	d := net.Dialer{Timeout: r.o.DialTimeout}
	raw, err := d.DialContext(ctx, "tcp", r.o.Addr)
	if err != nil {
		return nil, r.wrap(ctx, "dial", err)
	}
	nc := &deadlineConn{Conn: raw}
	release := nc.bind(ctx)
	w, c, err := r.setup(ctx, nc)
	if !release() && err == nil {
		err = r.wrap(ctx, "connect", ctx.Err())
	}
	if err != nil {
		if c != nil {
			_ = c.Close()
		} else {
			_ = nc.Close()
		}
		return nil, err
	}
	return &relayConn{nc: nc, wire: w}, nil
}

// setup has go-smtp's client run the greeting, STARTTLS, EHLO and AUTH;
// the transactions then go over the returned wire, on the same connection.
func (r *Relay) setup(ctx context.Context, nc *deadlineConn) (*wire, *smtp.Client, error) {
	var conn net.Conn = nc
	secure := false
	if r.o.TLS != nil {
		var err error
		conn, secure, err = r.startTLS(ctx, nc)
		if err != nil {
			return nil, nil, err
		}
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout = r.o.CommandTimeout
	c.SubmissionTimeout = r.o.DataTimeout
	if err := c.Hello(r.o.Hostname); err != nil {
		return nil, c, r.wrap(ctx, "EHLO", err)
	}
	if r.o.Username != "" {
		if r.o.TLS != nil && !secure {
			return nil, c, fmt.Errorf("outbound: relay %s: STARTTLS not offered, credentials not sent", r.o.Addr)
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return nil, c, fmt.Errorf("outbound: relay %s: AUTH not offered", r.o.Addr)
		}
		if err := c.Auth(sasl.NewPlainClient("", r.o.Username, r.o.Password)); err != nil {
			return nil, c, r.wrap(ctx, "AUTH PLAIN", err)
		}
	}
	return newWire(conn, c), c, nil
}

// startTLS reads the greeting, sends EHLO and, if the server offers it,
// STARTTLS and the TLS handshake. It returns the connection to hand to
// go-smtp's client, with a greeting replayed in front of it: go-smtp
// v0.25.1 exports no StartTLS on an existing client, and its
// NewClientStartTLS says EHLO as "localhost" and fails, closing the
// connection, when STARTTLS is not offered (so it cannot be opportunistic).
// The client sends its own EHLO afterwards, as RFC 3207 requires after TLS.
func (r *Relay) startTLS(ctx context.Context, nc *deadlineConn) (net.Conn, bool, error) {
	tp := textproto.NewConn(nc)
	step := func() { _ = nc.SetDeadline(time.Now().Add(r.o.CommandTimeout)) }
	step()
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, false, r.wrap(ctx, "greeting", err)
	}
	step()
	if err := tp.PrintfLine("EHLO %s", r.o.Hostname); err != nil {
		return nil, false, r.wrap(ctx, "EHLO", err)
	}
	offered := false
	_, msg, err := tp.ReadResponse(250)
	var perr *textproto.Error
	switch {
	case errors.As(err, &perr):
		// EHLO refused: go-smtp's client falls back to HELO; no TLS.
	case err != nil:
		return nil, false, r.wrap(ctx, "EHLO", err)
	default:
		lines := strings.Split(msg, "\n")
		for _, l := range lines[1:] {
			if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], "STARTTLS") {
				offered = true
			}
		}
	}
	greeting := &replayConn{pending: []byte("220 " + r.o.Addr + " ESMTP\r\n")}
	if !offered {
		greeting.Conn = nc
		return greeting, false, nil
	}
	step()
	if err := tp.PrintfLine("STARTTLS"); err != nil {
		return nil, false, r.wrap(ctx, "STARTTLS", err)
	}
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, false, r.wrap(ctx, "STARTTLS", err)
	}
	if tp.R.Buffered() > 0 {
		// Plaintext sent after the 220 would be taken as protected
		// (CVE-2011-0411); refuse.
		return nil, false, fmt.Errorf("outbound: relay %s: data after STARTTLS reply", r.o.Addr)
	}
	cfg := r.o.TLS
	if cfg.ServerName == "" {
		cfg = cfg.Clone()
		cfg.ServerName, _, _ = net.SplitHostPort(r.o.Addr)
	}
	tc := tls.Client(nc, cfg)
	step()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, false, r.wrap(ctx, "TLS handshake", err)
	}
	_ = nc.SetDeadline(time.Time{})
	greeting.Conn = tc
	return greeting, true, nil
}

// relayConn is one connection to the smarthost.
type relayConn struct {
	nc     *deadlineConn
	wire   *wire
	idleAt time.Time
}

func (rc *relayConn) close() { _ = rc.wire.conn.Close() }

// quit sends QUIT, waiting at most quitTimeout, and closes.
func (rc *relayConn) quit() {
	ctx, cancel := context.WithTimeout(context.Background(), quitTimeout)
	defer cancel()
	release := rc.nc.bind(ctx)
	if _, err := rc.wire.w.WriteString("QUIT\r\n"); err == nil && rc.wire.w.Flush() == nil {
		_ = rc.wire.reply()
	}
	release()
	rc.close()
}

// deadlineConn caps every deadline go-smtp sets at the deadline of the
// context bound to the connection, and expires them all once that context
// is done. go-smtp sets its own deadline before each command and clears it
// after, so a deadline set once from outside would not hold.
type deadlineConn struct {
	net.Conn
	mu      sync.Mutex
	limit   time.Time // the bound context's deadline; zero: none
	expired bool      // the bound context is done
}

// longAgo is a deadline in the past: pending I/O fails at once.
var longAgo = time.Unix(1, 0)

func (d *deadlineConn) clamp(t time.Time) time.Time {
	if d.expired {
		return longAgo
	}
	if !d.limit.IsZero() && (t.IsZero() || t.After(d.limit)) {
		return d.limit
	}
	return t
}

func (d *deadlineConn) SetDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Conn.SetDeadline(d.clamp(t))
}

func (d *deadlineConn) SetReadDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Conn.SetReadDeadline(d.clamp(t))
}

func (d *deadlineConn) SetWriteDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Conn.SetWriteDeadline(d.clamp(t))
}

// bind ties the connection to ctx until release is called. release
// reports false when ctx fired in the meantime: the connection must then
// be closed.
func (d *deadlineConn) bind(ctx context.Context) (release func() bool) {
	d.mu.Lock()
	d.limit, _ = ctx.Deadline()
	d.expired = false
	_ = d.Conn.SetDeadline(d.limit)
	d.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.expired = true
		_ = d.Conn.SetDeadline(longAgo)
	})
	return func() bool {
		ok := stop()
		d.mu.Lock()
		defer d.mu.Unlock()
		d.limit = time.Time{}
		if ok {
			_ = d.Conn.SetDeadline(time.Time{})
		}
		return ok
	}
}

// replayConn returns pending before reading from Conn.
type replayConn struct {
	net.Conn
	pending []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

var _ Transport = (*Relay)(nil)
