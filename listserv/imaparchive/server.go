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
	"golang.org/x/crypto/bcrypt"

	"tacit/listserv/internal/netlog"
)

const (
	// defaultSliceSize is how many archive positions an Archive/k
	// mailbox covers.
	defaultSliceSize = 50_000
	// defaultPollEvery is how often an idling session reads the store.
	defaultPollEvery = time.Second
	// drainTimeout bounds how long Close waits for the sessions and the
	// indexer to end.
	drainTimeout = 5 * time.Second
)

// Options configure a Server.
type Options struct {
	// Store is the tacit store the archive is read from. Required.
	Store Store
	// TLS, when set, offers STARTTLS on the connections of Serve and is
	// what ServeTLS speaks. LOGIN on a plaintext connection is refused
	// unless the connection is from loopback; other plaintext
	// connections are told LOGINDISABLED until STARTTLS.
	TLS *tls.Config
	// Logger receives logins, refusals and errors; nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxFailures is how many failed logins for one address from one
	// client (an IPv4 address or an IPv6 /64) within 15 minutes are
	// allowed before that client's further attempts for that address
	// are refused (default 5). MaxFailuresPerIP is the same per client,
	// whatever the address (default 20). The counts are kept in memory
	// (see login.go).
	MaxFailures      int
	MaxFailuresPerIP int
	// MaxConcurrentChecks is how many password checks may run at once
	// for one address (default 2); one client may run at most
	// max(this, 8). Further attempts are refused at once.
	MaxConcurrentChecks int
	// OnSession, when set, is told +1 when a session opens and -1 when
	// it ends.
	OnSession func(delta int)
}

// Server is the read-only IMAP server of the list archives. Create it
// with New; it is safe for concurrent use.
type Server struct {
	o Options
	// imap serves the connections that may log in as they are (TLS, or
	// plaintext from loopback), strict the plaintext ones from elsewhere
	// (listen.go).
	imap, strict *imapserver.Server
	// local reports whether a client at this address may log in without
	// TLS (loopback; tests change it).
	local     func(net.IP) bool
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
	// compare checks a password against a hash (bcrypt's; tests slow
	// it down).
	compare func(hash, password []byte) error

	// indexed is the last archive position indexed, per list.
	indexMu   sync.Mutex
	indexed   map[string]uint64
	indexOnce sync.Once
	indexDone chan struct{}

	// starting counts the imapserver.Serve calls begun but not yet
	// accepting (see begin).
	starting sync.WaitGroup

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
	if o.MaxConcurrentChecks <= 0 {
		o.MaxConcurrentChecks = defaultMaxChecks
	}
	if o.OnSession == nil {
		o.OnSession = func(int) {}
	}
	s := &Server{
		o:            o,
		limiter:      newLimiter(failureWindow, o.MaxFailures, o.MaxFailuresPerIP, o.MaxConcurrentChecks),
		compare:      bcrypt.CompareHashAndPassword,
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
	s.local = net.IP.IsLoopback
	s.imap = s.newIMAPServer(true)
	s.strict = s.newIMAPServer(false)
	return s
}

// newIMAPServer returns an imapserver of the archive; insecureAuth lets
// its plaintext connections log in (Session.Login still checks).
func (s *Server) newIMAPServer(insecureAuth bool) *imapserver.Server {
	return imapserver.New(&imapserver.Options{
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
		Logger:       printfLogger{s.o.Logger},
		TLSConfig:    s.o.TLS,
		InsecureAuth: insecureAuth,
	})
}

// Serve accepts IMAP connections on ln until Close, then returns nil.
// Clients start in plaintext, and may STARTTLS when Options.TLS is set.
func (s *Server) Serve(ln net.Listener) error {
	local, others := split(ln, s.local)
	lns, ok := s.begin(coalesceListener{local}, coalesceListener{others})
	if !ok {
		return nil
	}
	errc := make(chan error, 1)
	go func() { errc <- s.strict.Serve(lns[1]) }()
	err := s.imap.Serve(lns[0])
	others.Close() // when local stopped first
	return s.served(errors.Join(err, <-errc))
}

// ServeTLS accepts IMAP connections over TLS from the first byte
// (IMAPS, port 993 by custom) on ln until Close, then returns nil. It
// needs Options.TLS.
func (s *Server) ServeTLS(ln net.Listener) error {
	if s.o.TLS == nil {
		return errors.New("imaparchive: ServeTLS without Options.TLS")
	}
	lns, ok := s.begin(tls.NewListener(coalesceListener{ln}, s.o.TLS))
	if !ok {
		return nil
	}
	return s.served(s.imap.Serve(lns[0]))
}

// begin readies lns for imapserver.Serve, one call each, and starts the
// indexer. imapserver's Close must not run while one of its Serve calls
// is starting (their WaitGroup would race): each listener returned tells
// Close, at its first Accept, that its Serve has started. After Close,
// begin closes lns and returns false.
func (s *Server) begin(lns ...net.Listener) ([]net.Listener, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		for _, ln := range lns {
			ln.Close()
		}
		return nil, false
	}
	s.indexOnce.Do(func() { go s.indexLoop() })
	out := make([]net.Listener, len(lns))
	for i, ln := range lns {
		s.starting.Add(1)
		out[i] = &startListener{Listener: ln, started: s.starting.Done}
	}
	return out, true
}

// startListener calls started at its first Accept.
type startListener struct {
	net.Listener
	once    sync.Once
	started func()
}

func (l *startListener) Accept() (net.Conn, error) {
	l.once.Do(l.started)
	return l.Listener.Accept()
}

// served is what Serve and ServeTLS return once imapserver has returned
// err: nil after Close, whatever the listeners said.
func (s *Server) served(err error) error {
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
	s.starting.Wait()
	err := s.imap.Close()
	if serr := s.strict.Close(); err == nil {
		err = serr
	}
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
	msg := fmt.Sprintf(format, args...)
	if netlog.GoneText(msg) {
		// A client that left mid-session: nothing is wrong on our side.
		p.l.Info("imap: client disconnected", "detail", msg)
		return
	}
	p.l.Warn("imap: " + msg)
}
