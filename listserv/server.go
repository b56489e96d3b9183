// Package listserv is the running tacit server. It owns the goroutines:
// the SMTP front door (smtpin), the processing of received messages (the
// post path), the delivery queue runner (outbound) and the admin socket.
// It takes an Options struct, not the configuration file, so that tests
// build servers directly.
//
// What survives a crash: a message acknowledged by SMTP is in the store's
// inbox until its processing is recorded in one transaction (archive, held
// post, queue entries); delivery resumes from the queue; nothing lives only
// in memory.
package listserv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"tacit/config"
	"tacit/listserv/admin"
	"tacit/listserv/dkim"
	"tacit/listserv/imaparchive"
	"tacit/listserv/metrics"
	"tacit/listserv/notice"
	"tacit/listserv/outbound"
	"tacit/listserv/rewrite"
	"tacit/listserv/smtpin"
	"tacit/listserv/unsub"
	"tacit/listserv/webpos"
	"tacit/storage"
)

// SMTPOptions are the limits of the SMTP front door.
type SMTPOptions struct {
	// Listen is the host:port to bind ("127.0.0.1:0" picks a port).
	Listen string
	// Hostname is the EHLO name and the host of generated Message-IDs.
	Hostname        string
	MaxMessageBytes int64
	MaxRecipients   int
	MaxConnections  int
	// MaxConnectionsPerIP and MaxMessagesPerMinute bound one client
	// address; 0 means no bound.
	MaxConnectionsPerIP  int
	MaxMessagesPerMinute int
	IdleTimeout          time.Duration
	DataTimeout          time.Duration
	// TLS, when non-nil, offers STARTTLS.
	TLS *tls.Config
}

// DeliveryOptions tune the delivery queue.
type DeliveryOptions struct {
	// Transport hands messages to the next hop (relay or maildir).
	Transport                outbound.Transport
	Concurrency              int
	RecipientsPerTransaction int
	MaxQueueLifetime         time.Duration
	// RetryBase is the delay before the first retry (0: 30s).
	RetryBase time.Duration
	// RetryMax caps the delay between two retries (0: one hour).
	RetryMax time.Duration
	// Lease is how long a delivery attempt holds its queue entry before
	// another node sharing the store may take it over (0: RetryBase).
	Lease time.Duration
	// DigestTime is the time of day ("18:00", the consensus timezone)
	// of the daily digest (digest.go); "" means 18:00.
	DigestTime string
}

// ConsensusOptions tune the decision engine.
type ConsensusOptions struct {
	// MinDeadline is the shortest deadline a proposal may ask for.
	MinDeadline time.Duration
	// RemindBefore is how long before a deadline the reminder goes out;
	// 0 sends none.
	RemindBefore time.Duration
	// Schedule is the robfig/cron spec of the engine's tick ("" means
	// "@every 30s").
	Schedule string
	// Location is the timezone dates are read and written in (nil: UTC).
	Location *time.Location
	// Authentication is the default authentication mode of lists
	// (storage.AuthDKIMOrConfirm when empty); ConfirmWindow how long a
	// command waits for its confirmation (24h when 0).
	Authentication string
	ConfirmWindow  time.Duration
	// AgendaBefore is how long before a meeting its agenda goes out
	// (72h when 0).
	AgendaBefore time.Duration
}

// Options configure a Server.
type Options struct {
	// Store is the open store; the server does not close it.
	Store *storage.Store
	// Domain is the default host part of list addresses.
	Domain string
	// Language is the default language of lists: "fr" or "en".
	Language string
	// DefaultDeadline is the default deadline of proposals.
	DefaultDeadline time.Duration
	Consensus       ConsensusOptions
	SMTP            SMTPOptions
	Delivery        DeliveryOptions
	// IMAPListen is the host:port of the read-only IMAP archive (""
	// disables it); IMAPTLS, when set, offers STARTTLS there.
	// IMAPTLSListen, when set, serves the same archive over TLS from the
	// first byte (IMAPS); it needs IMAPTLS.
	IMAPListen    string
	IMAPTLS       *tls.Config
	IMAPTLSListen string
	// HTTPListen is the host:port of the HTTP server ("" disables it);
	// HTTPBaseURL is its public URL, announced in mail. HTTPTLS, when
	// set, makes it speak HTTPS only.
	HTTPListen  string
	HTTPBaseURL string
	HTTPTLS     *tls.Config
	// AdminSocket is the path of the unix socket admin commands are
	// served on; "" disables it. The socket is mode 0600 whatever the
	// umask and serves only the server's own user and root.
	AdminSocket string
	// DMARC looks up DMARC policies for the From rewrite; nil disables
	// the "dmarc" mode.
	DMARC rewrite.DMARCPolicy
	// VERP sends list mail one transaction per member with the envelope
	// sender NAME-bounces+member=domain+TAG@DOMAIN, so that every bounce
	// names its member and proves that it is about mail the list sent;
	// without it, recipients are batched by domain and delivery reports
	// count for nobody.
	VERP bool
	// MaxRepliesPerHour caps what the list writes to one address in an
	// hour (replies to commands, moderation notices); 0 means 10.
	MaxRepliesPerHour int
	// MaxPostsPerHour caps the posts one member has distributed in a
	// sliding hour; those beyond are held for the owners (trolls.go).
	// 0 means 10; a negative value, no cap.
	MaxPostsPerHour int
	// BounceThreshold days of hard bounces within BounceWindow disable a
	// member's delivery; 0 means 3 days within 14.
	BounceThreshold int
	BounceWindow    time.Duration
	// Authenticity decides whether a reply is authentic, for lists that
	// require it (DKIM of the author's domain, or a trusted relay).
	Authenticity dkim.Checker
	// DKIM, when set, signs everything the lists send.
	DKIM *dkim.Signer
	// UnsubscribeSecret signs one-click unsubscribe URLs; nil: the
	// store's secret.
	UnsubscribeSecret []byte
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is a running list server. Build it with New, start it with Run.
type Server struct {
	o        Options
	smtp     *smtpin.Server
	smtpLn   net.Listener
	adminLn  net.Listener
	httpLn   net.Listener
	imapLn   net.Listener
	imapsLn  net.Listener
	imap     *imaparchive.Server
	runner   *outbound.Runner
	admin    *admin.Admin
	incoming chan struct{}
	metrics  *metrics.Metrics
	engine   engineHealth
	// proc decides what received messages and due proposals cause.
	proc *processor
}

// withDefaults fills the options left at zero with the defaults of the
// configuration (config.Default, their one home).
func (o Options) withDefaults() Options {
	def := config.Default()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPListen == "" {
		o.HTTPBaseURL = "" // no server: no URL of it may be announced
	}
	if o.Consensus.Location == nil {
		o.Consensus.Location = time.UTC
	}
	if o.Consensus.Authentication == "" {
		o.Consensus.Authentication = def.Consensus.Authentication
	}
	if o.Consensus.ConfirmWindow <= 0 {
		o.Consensus.ConfirmWindow = def.Consensus.ConfirmWindow.Duration
	}
	if o.Consensus.AgendaBefore <= 0 {
		o.Consensus.AgendaBefore = def.Consensus.AgendaBefore.Duration
	}
	if o.MaxRepliesPerHour <= 0 {
		o.MaxRepliesPerHour = def.Delivery.MaxRepliesPerHour
	}
	if o.MaxPostsPerHour == 0 {
		o.MaxPostsPerHour = def.Delivery.MaxPostsPerHour
	}
	if o.BounceThreshold <= 0 {
		o.BounceThreshold = def.Delivery.BounceDays
	}
	if o.BounceWindow <= 0 {
		o.BounceWindow = def.Delivery.BounceWindow.Duration
	}
	if o.DefaultDeadline <= 0 {
		o.DefaultDeadline = def.Consensus.DefaultDeadline.Duration
	}
	if o.Authenticity.AuthservID == "" {
		// The name tacit's own authentication results go under.
		o.Authenticity.AuthservID = o.SMTP.Hostname
	}
	if o.Delivery.RecipientsPerTransaction < 1 {
		o.Delivery.RecipientsPerTransaction = def.Delivery.RecipientsPerTransaction
	}
	return o
}

// New checks the options and binds the listeners, so that their
// addresses are known before Run.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.Delivery.Transport == nil {
		return nil, errors.New("listserv: Options.Store and Options.Delivery.Transport are required")
	}
	o = o.withDefaults()
	notices, err := notice.NewRenderer()
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, incoming: make(chan struct{}, 1),
		metrics: metrics.New(metrics.Options{Store: o.Store, Now: o.Now})}
	s.engine.every = tickInterval(o.Consensus.Schedule)
	vk, err := verpKey(o.Store)
	if err != nil {
		return nil, err
	}
	secret, err := o.Store.Secret()
	if err != nil {
		return nil, err
	}
	wk := webpos.Key(secret) // one-click positions, when HTTP is on
	s.admin = admin.New(admin.Options{Store: o.Store, Domain: o.Domain, Language: o.Language, Now: o.Now,
		Wake: s.wakeInbox, Location: o.Consensus.Location,
		Authenticity: o.Authenticity, Authentication: o.Consensus.Authentication,
		Settle: func(list string, number int, outcome, note string) error {
			return s.proc.Settle(list, number, outcome, note)
		},
		// s.proc is made at the end of New: these run later, on it.
		SendDigest: func(list string) (int, error) { return s.proc.SendDigest(list) }})
	if o.UnsubscribeSecret == nil {
		o.UnsubscribeSecret = secret
		s.o.UnsubscribeSecret = secret
	}
	s.runner = outbound.NewRunner(outbound.RunnerOptions{
		Personalize: s.personalize,
		Store:       o.Store,
		Transport:   o.Delivery.Transport,
		Concurrency: o.Delivery.Concurrency,
		MaxLifetime: o.Delivery.MaxQueueLifetime,
		RetryBase:   o.Delivery.RetryBase,
		RetryMax:    o.Delivery.RetryMax,
		Lease:       o.Delivery.Lease,
		Now:         o.Now,
		Logger:      o.Logger,
		OnAttempt:   s.metrics.Deliveries,
	})
	s.smtp = smtpin.New(smtpin.Options{
		Hostname:             o.SMTP.Hostname,
		MaxMessageBytes:      o.SMTP.MaxMessageBytes,
		MaxRecipients:        o.SMTP.MaxRecipients,
		MaxConnections:       o.SMTP.MaxConnections,
		MaxConnectionsPerIP:  o.SMTP.MaxConnectionsPerIP,
		MaxMessagesPerMinute: o.SMTP.MaxMessagesPerMinute,
		IdleTimeout:          o.SMTP.IdleTimeout,
		DataTimeout:          o.SMTP.DataTimeout,
		TLS:                  o.SMTP.TLS,
		Accept:               s.accept,
		Spool:                s.spool,
		Logger:               o.Logger,
		Observe:              s.metrics.SMTP,
	})
	ln, err := net.Listen("tcp", o.SMTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("listserv: smtp listen: %w", err)
	}
	s.smtpLn = ln
	if err := s.listenIMAP(); err != nil {
		ln.Close()
		return nil, err
	}
	if o.HTTPListen != "" {
		hln, err := net.Listen("tcp", o.HTTPListen)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("listserv: http listen: %w", err)
		}
		s.httpLn = hln
		if s.o.HTTPBaseURL == "" {
			scheme := "http://"
			if o.HTTPTLS != nil {
				scheme = "https://"
			}
			s.o.HTTPBaseURL = scheme + hln.Addr().String()
		}
	}
	if o.AdminSocket != "" {
		aln, err := admin.Listen(o.AdminSocket) // replaces the stale socket of a dead server
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("listserv: admin socket: %w", err)
		}
		s.adminLn = aln
	}
	s.proc = &processor{o: s.o, notices: notices, metrics: s.metrics, verpKey: vk, imapAddr: s.IMAPAddr(),
		imapsAddr: s.IMAPSAddr()}
	if s.httpLn != nil {
		s.proc.webKey = wk
	}
	return s, nil
}

// personalize gives each member's copy of list mail its VERP envelope
// sender, so that a bounce names the member, and, when the HTTP server
// is on, its own one-click unsubscribe URL and, in a proposal, its own
// one-click positions (personalLinks), signed for that member (signCopy).
// It is called for many copies at once (outbound.Runner).
func (s *Server) personalize(e *storage.QueueEntry, rcpt string, header, body []byte) (string, []byte, []byte) {
	from := e.From
	if s.o.VERP {
		from = s.proc.verpAddress(e.List, rcpt)
	}
	if s.o.HTTPBaseURL == "" {
		return from, header, body
	}
	body, changed := s.proc.personalLinks(e, rcpt, body)
	l := rewrite.List{Address: e.List}
	extra := rewrite.UnsubscribeFields(l, unsub.URL(s.o.HTTPBaseURL, s.o.UnsubscribeSecret, e.List, rcpt))
	return from, s.proc.signCopy(e, extra, header, body, changed), body
}

// IMAPAddr returns the address the IMAP archive listens on, "" when off.
func (s *Server) IMAPAddr() string {
	if s.imapLn == nil {
		return ""
	}
	return s.imapLn.Addr().String()
}

// IMAPSAddr returns the address the IMAP archive listens on over TLS
// from the first byte, "" when off.
func (s *Server) IMAPSAddr() string {
	if s.imapsLn == nil {
		return ""
	}
	return s.imapsLn.Addr().String()
}

// listenIMAP binds the IMAP archive's listeners, if any.
func (s *Server) listenIMAP() error {
	o := s.o
	if o.IMAPTLSListen != "" && o.IMAPTLS == nil {
		return errors.New("listserv: IMAP over TLS needs a certificate (Options.IMAPTLS)")
	}
	if o.IMAPListen != "" {
		ln, err := net.Listen("tcp", o.IMAPListen)
		if err != nil {
			return fmt.Errorf("listserv: imap listen: %w", err)
		}
		s.imapLn = ln
	}
	if o.IMAPTLSListen != "" {
		ln, err := net.Listen("tcp", o.IMAPTLSListen)
		if err != nil {
			if s.imapLn != nil {
				s.imapLn.Close()
			}
			return fmt.Errorf("listserv: imap tls_listen: %w", err)
		}
		s.imapsLn = ln
	}
	if s.imapLn != nil || s.imapsLn != nil {
		s.imap = imaparchive.New(imaparchive.Options{Store: o.Store, TLS: o.IMAPTLS, Logger: o.Logger, Now: o.Now,
			OnSession: s.metrics.IMAPSession})
	}
	return nil
}

// HTTPAddr returns the address the HTTP server listens on, "" when off.
func (s *Server) HTTPAddr() string {
	if s.httpLn == nil {
		return ""
	}
	return s.httpLn.Addr().String()
}

// SMTPAddr returns the address the SMTP server listens on.
func (s *Server) SMTPAddr() string { return s.smtpLn.Addr().String() }

// Run serves until ctx is cancelled, then stops accepting mail, lets the
// transactions in flight finish (up to ten seconds), and returns.
func (s *Server) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	s.o.Logger.Info("smtp listening", "addr", s.SMTPAddr())
	wg.Go(func() {
		if err := s.smtp.Serve(s.smtpLn); err != nil {
			errc <- err
			cancel()
		}
	})
	wg.Go(func() {
		if err := s.runner.Run(ctx); err != nil {
			errc <- err
			cancel()
		}
	})
	wg.Go(func() { s.processLoop(ctx) })
	wg.Go(func() {
		if err := s.runEngine(ctx); err != nil {
			errc <- err
			cancel()
		}
	})
	if s.adminLn != nil {
		wg.Go(func() { s.admin.Serve(ctx, s.adminLn, s.o.Logger) })
	}
	if s.imapLn != nil {
		s.o.Logger.Info("imap listening", "addr", s.imapLn.Addr().String())
		wg.Go(func() {
			if err := s.imap.Serve(s.imapLn); err != nil {
				errc <- err
				cancel()
			}
		})
	}
	if s.imapsLn != nil {
		s.o.Logger.Info("imap listening over tls", "addr", s.imapsLn.Addr().String())
		wg.Go(func() {
			if err := s.imap.ServeTLS(s.imapsLn); err != nil {
				errc <- err
				cancel()
			}
		})
	}
	if s.imap != nil {
		wg.Go(func() {
			<-ctx.Done()
			s.imap.Close()
		})
	}
	if s.httpLn != nil {
		s.o.Logger.Info("http listening", "addr", s.httpLn.Addr().String())
		wg.Go(func() {
			if err := s.serveHTTP(ctx, s.httpLn); err != nil {
				errc <- err
				cancel()
			}
		})
	}
	<-ctx.Done()
	shutdownCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if err := s.smtp.Shutdown(shutdownCtx); err != nil {
		s.o.Logger.Warn("smtp shutdown", "err", err)
	}
	// Shutdown closes only the listeners Serve has registered: if Serve
	// has not started yet, closing ours is what stops it.
	s.smtpLn.Close()
	if s.adminLn != nil {
		s.adminLn.Close()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// accept tells smtpin whether rcpt is one of our addresses.
func (s *Server) accept(_ context.Context, rcpt string) (bool, error) {
	_, _, ok, err := s.proc.resolve(rcpt)
	return ok, unavailable(err)
}

// unavailable marks an error of a store out of reach for smtpin, which
// answers 451 to it.
func unavailable(err error) error {
	if errors.Is(err, storage.ErrUnavailable) {
		return fmt.Errorf("%w: %w", smtpin.ErrUnavailable, err)
	}
	return err
}

// spool commits a received message, wakes the post path and returns the
// message's id in the store.
func (s *Server) spool(_ context.Context, env smtpin.Envelope, raw []byte) (uint64, error) {
	id, err := s.o.Store.Receive(storage.Envelope{
		From: env.From, To: env.To, RemoteAddr: env.RemoteAddr, Helo: env.Helo,
		ReceivedAt: s.o.Now().UTC(),
	}, raw)
	if err != nil {
		return 0, unavailable(err)
	}
	select {
	case s.incoming <- struct{}{}:
	default:
	}
	return id, nil
}
