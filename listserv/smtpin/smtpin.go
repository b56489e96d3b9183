// Package smtpin is tacit's SMTP front door: a go-smtp Backend and Session
// that enforce sizes, recipient checks, connection caps and timeouts, and
// commit each accepted message with its envelope through a Spool function
// before answering 250. It holds no list logic: whether an address is ours
// is asked of the Accept function, and what happens to a message afterwards
// is the caller's business.
//
// What survives a crash: a message is acknowledged with 250 only after
// Spool has returned, and Spool returns only after an fsync'd commit.
package smtpin

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"

	"tacit/listserv/internal/netlog"
)

// Envelope is what the session learnt about a message besides its bytes.
type Envelope struct {
	From       string
	To         []string
	RemoteAddr string
	Helo       string
}

// Options configure a Server.
// ErrUnavailable, wrapped in an error of Spool or Accept, says that the
// store cannot be reached for now (a database connection lost): the
// client is answered 451, to try again later, and nothing was accepted.
var ErrUnavailable = errors.New("smtpin: store unavailable")

type Options struct {
	// Hostname is the name announced in the greeting and EHLO.
	Hostname string
	// MaxMessageBytes is the largest message accepted (552 beyond).
	MaxMessageBytes int64
	// MaxRecipients is the most RCPT per message (452 beyond).
	MaxRecipients int
	// MaxConnections caps simultaneous connections (421 beyond); 0 means
	// no cap.
	MaxConnections int
	// MaxConnectionsPerIP caps simultaneous connections from one client
	// address (421 beyond); 0 means no cap.
	MaxConnectionsPerIP int
	// MaxMessagesPerMinute caps the messages one client address may
	// start per minute (450 4.7.1 beyond, "slow down"); 0 means no cap.
	MaxMessagesPerMinute int
	// MaxSessionDuration ends a connection this long after it opened,
	// whatever it does (a client sending NOOP forever); 0 means one
	// hour. MaxTransactions caps the messages of one connection (421
	// beyond); 0 means 1000.
	MaxSessionDuration time.Duration
	MaxTransactions    int
	// IdleTimeout bounds the wait for each command line.
	IdleTimeout time.Duration
	// DataTimeout bounds the time to receive one message body.
	DataTimeout time.Duration
	// TLS, when non-nil, makes the server offer STARTTLS.
	TLS *tls.Config
	// Accept reports whether rcpt is an address tacit receives mail for.
	Accept func(ctx context.Context, rcpt string) (bool, error)
	// Spool commits the message durably and returns the id the store
	// gave it, logged as message=ID; the 250 is sent only after it
	// returns nil.
	Spool func(ctx context.Context, env Envelope, raw []byte) (uint64, error)
	// Logger receives one line per transaction; nil discards.
	Logger *slog.Logger
	// Observe, when set, is told of every message accepted (result
	// "accepted", reason "") and every refusal (result "rejected" and the
	// reason logged: "too large", "no such list", "rate limited", …).
	// A refused recipient is one refusal.
	Observe func(result, reason string)
}

// maxLineLength bounds one line, of a command or of a message.
const maxLineLength = 1 << 20

// Server is an SMTP server bound to one listener.
type Server struct {
	o    Options
	srv  *smtp.Server
	rate *rateLimiter
}

// New returns a Server; call Serve to accept connections.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 5 * time.Minute
	}
	if o.DataTimeout == 0 {
		o.DataTimeout = 10 * time.Minute
	}
	if o.MaxSessionDuration <= 0 {
		o.MaxSessionDuration = time.Hour
	}
	if o.MaxTransactions <= 0 {
		o.MaxTransactions = 1000
	}
	if o.Observe == nil {
		o.Observe = func(string, string) {}
	}
	s := &Server{o: o, rate: newRateLimiter(o.MaxMessagesPerMinute, time.Minute)}
	srv := smtp.NewServer(backend{s})
	srv.Domain = o.Hostname
	srv.MaxMessageBytes = o.MaxMessageBytes
	srv.MaxRecipients = o.MaxRecipients
	srv.ReadTimeout = o.IdleTimeout
	srv.WriteTimeout = o.IdleTimeout
	srv.TLSConfig = o.TLS
	// go-smtp applies one line limit to commands and to message lines:
	// long enough for the HTML of real clients, short enough that a
	// command line costs at most 1 MB per connection.
	srv.MaxLineLength = maxLineLength
	srv.ErrorLog = slogErrorLog{o.Logger}
	s.srv = srv
	return s
}

// Serve accepts connections on l until Close or Shutdown.
func (s *Server) Serve(l net.Listener) error {
	if s.o.MaxConnections > 0 || s.o.MaxConnectionsPerIP > 0 {
		l = newCapListener(l, s.o.MaxConnections, s.o.MaxConnectionsPerIP, s.o.Hostname)
	}
	l = guardListener{Listener: l, max: s.o.MaxSessionDuration, hostname: s.o.Hostname}
	err := s.srv.Serve(l)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("smtpin: serve: %w", err)
	}
	return nil
}

// Shutdown stops accepting connections and waits for open sessions to end
// or ctx to expire, then closes them.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		s.srv.Close()
		return fmt.Errorf("smtpin: shutdown: %w", err)
	}
	return nil
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	g, _ := c.Conn().(*guardConn)
	if g != nil {
		g.smtp.Store(c)
	}
	return &session{s: b.s, conn: c, guard: g, ctx: context.Background()}, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	// guard is the connection under conn (nil when Serve was not used).
	guard *guardConn
	ctx   context.Context
	env   Envelope
	// transactions counts the MAIL commands of the connection; inTx is
	// true between MAIL and the end of the transaction.
	transactions int
	inTx         bool
	// size is the SIZE the client announced for the message, 0 if none.
	size int64
}

var _ smtp.Session = (*session)(nil)

func (ss *session) Reset() {
	ss.env = Envelope{}
	ss.inTx = false
}

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, opts *smtp.MailOptions) error {
	if opts != nil && opts.Size > 0 && ss.s.o.MaxMessageBytes > 0 && opts.Size > ss.s.o.MaxMessageBytes {
		ss.s.o.Observe("rejected", "too large")
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4},
			Message: fmt.Sprintf("Message too big: at most %d bytes", ss.s.o.MaxMessageBytes)}
	}
	if ss.inTx {
		// go-smtp lets a second MAIL through; it would empty the
		// envelope while the recipients stay accepted.
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Nested MAIL command"}
	}
	remote := ss.conn.Conn().RemoteAddr().String()
	if ss.transactions++; ss.transactions > ss.s.o.MaxTransactions {
		ss.s.o.Observe("rejected", "too many messages")
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0},
			Message: "Too many messages on one connection, open a new one"}
	}
	if !ss.s.rate.allow(hostOf(remote), time.Now()) {
		ss.s.o.Logger.Warn("smtp: message rate exceeded", "remote", remote, "from", from)
		ss.s.o.Observe("rejected", "rate limited")
		return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 7, 1},
			Message: "Too many messages from your address, slow down and try again later"}
	}
	ss.env = Envelope{From: from, RemoteAddr: remote, Helo: ss.conn.Hostname()}
	ss.inTx = true
	ss.size = 0
	if opts != nil && opts.Size > 0 {
		ss.size = opts.Size
	}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ok, err := ss.s.o.Accept(ss.ctx, to)
	if err != nil {
		ss.s.o.Logger.Error("smtp: recipient check failed", "rcpt", to, "err", err)
		ss.s.o.Observe("rejected", "recipient check")
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
			Message: "Temporary failure, try again later"}
	}
	if !ok {
		ss.s.o.Observe("rejected", "no such list")
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: "No such list here"}
	}
	to = strings.ToLower(to)
	if !slices.Contains(ss.env.To, to) { // one copy however often it is named
		ss.env.To = append(ss.env.To, to)
	}
	return nil
}

func (ss *session) Data(r io.Reader) error {
	start := time.Now()
	_ = ss.conn.Conn().SetReadDeadline(start.Add(ss.s.o.DataTimeout))
	var buf bytes.Buffer
	if ss.size > 0 && ss.s.o.MaxMessageBytes > 0 {
		// Announced, and no more than the limit (Mail checked): one
		// allocation instead of a doubling buffer's garbage.
		buf.Grow(int(ss.size) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	if err != nil {
		if errors.Is(err, smtp.ErrDataTooLarge) {
			ss.log("rejected", "too large", 0, buf.Bytes(), start)
			return smtp.ErrDataTooLarge
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			ss.log("rejected", "data timeout", 0, buf.Bytes(), start)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2},
				Message: "Timeout while receiving the message"}
		}
		ss.log("rejected", "read error", 0, buf.Bytes(), start)
		return err
	}
	if ss.guard != nil && ss.guard.lostConnection() {
		// go-smtp ends a BDAT chunk at the client's EOF as if it were
		// complete; the client never sees a reply, so nothing is lost.
		ss.log("rejected", "connection lost", 0, buf.Bytes(), start)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2},
			Message: "Connection lost during the message"}
	}
	if len(ss.env.To) == 0 {
		ss.log("rejected", "no recipient", 0, buf.Bytes(), start)
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "No valid recipients"}
	}
	id, err := ss.s.o.Spool(ss.ctx, ss.env, buf.Bytes())
	if err != nil {
		ss.s.o.Logger.Error("smtp: cannot store message", "from", ss.env.From, "err", err)
		if errors.Is(err, syscall.ENOSPC) {
			ss.log("rejected", "disk full", 0, buf.Bytes(), start)
			return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1},
				Message: "Insufficient system storage, try again later"}
		}
		if errors.Is(err, ErrUnavailable) {
			ss.log("rejected", "store unavailable", 0, buf.Bytes(), start)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
				Message: "Service temporarily unavailable, try again later"}
		}
		ss.log("rejected", "store error", 0, buf.Bytes(), start)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
			Message: "Temporary failure, try again later"}
	}
	ss.log("accepted", "", id, buf.Bytes(), start)
	return nil
}

// log writes the transaction's line and counts its outcome. id is the
// store's id of the message (0 when it was not stored), the key that
// follows a post through the later lines (post, delivery attempt).
func (ss *session) log(result, reason string, id uint64, raw []byte, start time.Time) {
	ss.s.o.Observe(result, reason)
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String("result", result), slog.String("reason", reason))
	if id != 0 {
		attrs = append(attrs, slog.Uint64("message", id))
	}
	if mid := messageID(raw); mid != "" {
		attrs = append(attrs, slog.String("message_id", mid))
	}
	attrs = append(attrs, slog.String("from", ss.env.From), slog.String("rcpt", strings.Join(ss.env.To, ",")),
		slog.Int("size", len(raw)), slog.String("remote", ss.env.RemoteAddr),
		slog.Duration("duration", time.Since(start).Round(time.Microsecond)))
	ss.s.o.Logger.LogAttrs(ss.ctx, slog.LevelInfo, "smtp transaction", attrs...)
}

// messageID returns the Message-ID field of a message's header, unfolded,
// or "" if it has none. Only the header is read, line by line, and the
// value is cut at 200 bytes: it goes into a log line.
func messageID(raw []byte) string {
	const name = "message-id:"
	for len(raw) > 0 {
		line, rest, _ := bytes.Cut(raw, []byte("\n"))
		raw = rest
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			return "" // end of the header
		}
		if len(line) < len(name) || !bytes.EqualFold(line[:len(name)], []byte(name)) {
			continue
		}
		v := bytes.Clone(line[len(name):])
		for len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t') { // folded
			next, rest, _ := bytes.Cut(raw, []byte("\n"))
			raw = rest
			v = append(v, bytes.TrimRight(next, "\r")...)
		}
		v = bytes.TrimSpace(v)
		if len(v) > 200 {
			v = v[:200]
		}
		return strings.ToValidUTF8(string(v), "\uFFFD")
	}
	return ""
}

// capListener refuses connections beyond a total cap, or beyond a cap
// per client address, with a 421 greeting.
type capListener struct {
	net.Listener
	slots    chan struct{} // nil: no total cap
	perIP    int
	hostname string
	mu       sync.Mutex
	byIP     map[string]int
}

func newCapListener(l net.Listener, total, perIP int, hostname string) *capListener {
	c := &capListener{Listener: l, perIP: perIP, hostname: hostname, byIP: map[string]int{}}
	if total > 0 {
		c.slots = make(chan struct{}, total)
	}
	return c
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := hostOf(c.RemoteAddr().String())
		if !l.takeIP(ip) {
			l.refuse(c, "Too many connections from your address")
			continue
		}
		if l.slots == nil {
			return &slotConn{Conn: c, release: func() { l.releaseIP(ip) }}, nil
		}
		select {
		case l.slots <- struct{}{}:
			return &slotConn{Conn: c, release: func() { <-l.slots; l.releaseIP(ip) }}, nil
		default:
			l.releaseIP(ip)
			l.refuse(c, "Too many connections")
		}
	}
}

func (l *capListener) refuse(c net.Conn, why string) {
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "421 4.7.0 %s %s, try again later\r\n", l.hostname, why)
	c.Close()
}

func (l *capListener) takeIP(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perIP > 0 && l.byIP[ip] >= l.perIP {
		return false
	}
	l.byIP[ip]++
	return true
}

func (l *capListener) releaseIP(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
}

// hostOf returns the IP of a host:port.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// rateLimiter is a token bucket per client address: n messages per
// period, refilled continuously.
type rateLimiter struct {
	n      int
	period time.Duration
	mu     sync.Mutex
	bucket map[string]*tokens
}

type tokens struct {
	left float64
	at   time.Time
}

func newRateLimiter(n int, period time.Duration) *rateLimiter {
	return &rateLimiter{n: n, period: period, bucket: map[string]*tokens{}}
}

// allow takes one token for ip, if it has one.
func (r *rateLimiter) allow(ip string, now time.Time) bool {
	if r.n <= 0 {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bucket) > 10000 { // forget the full buckets of past clients
		for k, b := range r.bucket {
			if r.refill(b, now) >= float64(r.n) {
				delete(r.bucket, k)
			}
		}
	}
	b, ok := r.bucket[ip]
	if !ok {
		b = &tokens{left: float64(r.n), at: now}
		r.bucket[ip] = b
	}
	if r.refill(b, now) < 1 {
		return false
	}
	b.left--
	return true
}

func (r *rateLimiter) refill(b *tokens, now time.Time) float64 {
	b.left = min(float64(r.n), b.left+float64(r.n)*now.Sub(b.at).Seconds()/r.period.Seconds())
	b.at = now
	return b.left
}

// guardListener wraps each connection in a guardConn.
type guardListener struct {
	net.Listener
	max      time.Duration
	hostname string
}

func (l guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	end := time.Now().Add(l.max)
	_ = c.SetDeadline(end)
	return &guardConn{Conn: c, end: end, hostname: l.hostname}, nil
}

// guardConn covers three gaps of go-smtp v0.25.1 from below:
//
//   - every deadline go-smtp sets is capped at the end of the
//     connection's life, so NOOP floods end;
//   - a read that times out answers "421 4.4.2" and closes the
//     connection: go-smtp reads commands with net/textproto, which hands a
//     line cut by the deadline over as a whole command and gives the next
//     one a fresh timeout, so a client trickling bytes was never timed out;
//   - it remembers that a read failed (EOF, reset, timeout), so that Data
//     can refuse a BDAT chunk that go-smtp took as complete when the
//     client's EOF cut it short.
type guardConn struct {
	net.Conn
	end      time.Time
	hostname string
	// smtp is the go-smtp connection over this one, set by NewSession;
	// after STARTTLS its Conn is the TLS layer the 421 must go through.
	smtp     atomic.Pointer[smtp.Conn]
	failed   atomic.Bool
	timedOut sync.Once
}

func (c *guardConn) cap(t time.Time) time.Time {
	if t.IsZero() || t.After(c.end) {
		return c.end
	}
	return t
}

func (c *guardConn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.cap(t)) }
func (c *guardConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.cap(t)) }
func (c *guardConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.cap(t)) }

func (c *guardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.failed.Store(true)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.timedOut.Do(c.timeout)
		}
	}
	return n, err
}

// timeout tells the client why it is cut off, then closes the
// connection; whatever go-smtp does with the cut line afterwards fails.
func (c *guardConn) timeout() {
	var w io.Writer = c.Conn
	if sc := c.smtp.Load(); sc != nil {
		if tc, ok := sc.Conn().(*tls.Conn); ok {
			w = nil // mid-handshake: nothing readable can be said
			if tc.ConnectionState().HandshakeComplete {
				w = tc
			}
		}
	}
	if w != nil {
		_ = c.Conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		fmt.Fprintf(w, "421 4.4.2 %s Timeout, closing connection\r\n", c.hostname)
	}
	_ = c.Conn.Close()
}

// lostConnection reports whether a read of the connection has failed.
func (c *guardConn) lostConnection() bool { return c.failed.Load() }

// slotConn gives its slot back once, when closed.
type slotConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *slotConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// slogErrorLog adapts slog to go-smtp's ErrorLog.
type slogErrorLog struct{ l *slog.Logger }

func (e slogErrorLog) Printf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if bdatAfterClose(msg) {
		// go-smtp v0.25.1 starts a goroutine for the first BDAT chunk
		// that asks for the session without holding it; when the
		// client leaves at once the session is gone and the goroutine
		// fails. It is recovered, nothing was accepted, the client is
		// gone: one quiet line instead of a stack per attempt.
		remote, _, _ := strings.Cut(strings.TrimPrefix(msg, "panic serving "), ":")
		e.l.Info("smtp: client disconnected during BDAT", "remote", remote)
		return
	}
	if netlog.GoneText(msg) {
		// A client that left mid-session (a port probe, a monitor, a
		// dropped line): nothing is wrong on our side.
		e.l.Info("smtp: client disconnected", "detail", msg)
		return
	}
	e.l.Error("smtp: " + msg)
}

func (e slogErrorLog) Println(v ...any) {
	e.l.Warn("smtp: " + strings.TrimSpace(fmt.Sprintln(v...)))
}

// bdatAfterClose recognises go-smtp's report of the nil session its BDAT
// goroutine finds after the client has closed the connection.
func bdatAfterClose(msg string) bool {
	return strings.HasPrefix(msg, "panic serving ") &&
		strings.Contains(msg, "nil pointer dereference") &&
		strings.Contains(msg, "handleBdat.func")
}
