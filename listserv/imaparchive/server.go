package imaparchive

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"tacit/storage"
)

const (
	// defaultSliceSize is how many archive positions an Archive/k
	// mailbox covers.
	defaultSliceSize = 50_000
	// defaultPollEvery is how often an idling session reads the store.
	defaultPollEvery = time.Second
	// failureWindow is how long a failed login counts.
	failureWindow = 15 * time.Minute
	// drainTimeout bounds how long Close waits for the sessions and the
	// indexer to end.
	drainTimeout = 5 * time.Second
)

// Options configure a Server.
type Options struct {
	// Store is the tacit store the archive is read from. Required.
	Store *storage.Store
	// TLS, when set, offers STARTTLS. LOGIN on a plaintext connection is
	// refused unless the connection is from loopback (or TLS is active).
	TLS *tls.Config
	// Logger receives logins, refusals and errors; nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxFailures is how many failed logins per address within 15
	// minutes are allowed before further attempts are refused (default
	// 5). MaxFailuresPerIP is the same per client IP (default 20). The
	// counts are kept in memory.
	MaxFailures      int
	MaxFailuresPerIP int
	// OnSession, when set, is told +1 when a session opens and -1 when
	// it ends.
	OnSession func(delta int)
}

// Server is the read-only IMAP server of the list archives. Create it
// with New; it is safe for concurrent use.
type Server struct {
	o         Options
	imap      *imapserver.Server
	limiter   *limiter
	meta      *metaWriter
	sections  *sectionCache
	sliceSize uint64
	pollEvery time.Duration
	done      chan struct{}
	// drainTimeout bounds how long Close waits (drainTimeout; tests
	// shorten it).
	drainTimeout time.Duration
	// indexing, when set (by tests), is called before the indexer reads
	// a message.
	indexing func(list string, seq uint64)

	// indexed is the last archive position indexed, per list.
	indexMu   sync.Mutex
	indexed   map[string]uint64
	indexOnce sync.Once
	indexDone chan struct{}

	mu       sync.Mutex
	closed   bool
	sessions int
	drained  chan struct{}
}

// New returns a server reading o.Store. It serves nothing until Serve.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = 5
	}
	if o.MaxFailuresPerIP <= 0 {
		o.MaxFailuresPerIP = 20
	}
	if o.OnSession == nil {
		o.OnSession = func(int) {}
	}
	s := &Server{
		o:            o,
		limiter:      newLimiter(failureWindow, o.MaxFailures, o.MaxFailuresPerIP),
		sections:     newSectionCache(sectionCacheBytes),
		sliceSize:    defaultSliceSize,
		pollEvery:    defaultPollEvery,
		done:         make(chan struct{}),
		drainTimeout: drainTimeout,
		drained:      make(chan struct{}),
		indexed:      map[string]uint64{},
		indexDone:    make(chan struct{}),
	}
	s.meta = newMetaWriter(o.Store, o.Logger)
	s.imap = imapserver.New(&imapserver.Options{
		NewSession: s.newSession,
		Caps: imap.CapSet{
			imap.CapIMAP4rev1:   {},
			imap.CapNamespace:   {},
			imap.CapMove:        {},
			imap.CapESearch:     {},
			imap.CapSearchRes:   {},
			imap.CapListStatus:  {},
			imap.CapStatusSize:  {},
			imap.CapChildren:    {},
			imap.CapLiteralPlus: {},
		},
		Logger:    printfLogger{o.Logger},
		TLSConfig: o.TLS,
		// Plaintext LOGIN from loopback is allowed: Session.Login
		// refuses the other plaintext connections itself.
		InsecureAuth: true,
	})
	return s
}

// Serve accepts IMAP connections on ln until Close, then returns nil.
func (s *Server) Serve(ln net.Listener) error {
	s.indexOnce.Do(func() { go s.indexLoop() })
	err := s.imap.Serve(coalesceListener{ln})
	select {
	case <-s.done:
		return nil
	default:
	}
	if err != nil {
		return fmt.Errorf("imaparchive: serve: %w", err)
	}
	return nil
}

// Close stops the listeners, closes every connection and waits, five
// seconds at most in all, for the sessions and the indexer to end, so
// that the store can be closed after it. Their work on a message gives up
// when Close is called; should one still be running at the deadline, its
// next read of the closed store fails and it ends.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	if s.sessions == 0 {
		close(s.drained)
	}
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), s.drainTimeout)
	defer cancel()
	err := s.imap.Close()
	select {
	case <-s.drained:
	case <-ctx.Done():
		s.o.Logger.Warn("imap: sessions still running after close")
	}
	s.meta.close()
	s.indexOnce.Do(func() { close(s.indexDone) }) // never started
	select {
	case <-s.indexDone:
	case <-ctx.Done():
		s.o.Logger.Warn("imap: indexer still running after close")
	}
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("imaparchive: close: %w", err)
	}
	return nil
}

// newSession is imapserver's hook for a new connection.
func (s *Server) newSession(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, &imap.Error{Type: imap.StatusResponseTypeBye, Text: "Server shutting down"}
	}
	s.sessions++
	s.o.OnSession(1)
	return &session{srv: s, conn: c}, nil, nil
}

// sessionEnded is called once by each session's Close.
func (s *Server) sessionEnded() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions--
	s.o.OnSession(-1)
	if s.sessions == 0 && s.closed {
		close(s.drained)
	}
}

// printfLogger gives imapserver a Printf on top of slog.
type printfLogger struct{ l *slog.Logger }

func (p printfLogger) Printf(format string, args ...any) {
	p.l.Warn("imap: " + fmt.Sprintf(format, args...))
}

// limiter counts failed logins per address and per IP over a sliding
// window.
type limiter struct {
	window         time.Duration
	maxAddr, maxIP int

	mu     sync.Mutex
	byAddr map[string][]time.Time
	byIP   map[string][]time.Time
}

func newLimiter(window time.Duration, maxAddr, maxIP int) *limiter {
	return &limiter{window: window, maxAddr: maxAddr, maxIP: maxIP,
		byAddr: map[string][]time.Time{}, byIP: map[string][]time.Time{}}
}

// recent drops the failures of key older than the window and returns how
// many remain.
func (l *limiter) recent(m map[string][]time.Time, key string, now time.Time) int {
	ts := m[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	if i == len(ts) {
		delete(m, key)
		return 0
	}
	m[key] = ts[i:]
	return len(ts) - i
}

// blocked reports whether a login for addr from ip must be refused.
func (l *limiter) blocked(addr, ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recent(l.byAddr, addr, now) >= l.maxAddr || l.recent(l.byIP, ip, now) >= l.maxIP
}

// fail records a failed login.
func (l *limiter) fail(addr, ip string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.byAddr)+len(l.byIP) > 100_000 { // keep memory bounded
		for k := range l.byAddr {
			l.recent(l.byAddr, k, now)
		}
		for k := range l.byIP {
			l.recent(l.byIP, k, now)
		}
	}
	l.byAddr[addr] = append(l.byAddr[addr], now)
	l.byIP[ip] = append(l.byIP[ip], now)
}

// succeed forgets the failures of addr.
func (l *limiter) succeed(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.byAddr, addr)
}
