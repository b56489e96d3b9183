package listserv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"tacit/consensus"
	"tacit/listserv/internal/netlog"
	"tacit/listserv/register"
	"tacit/listserv/unsub"
	"tacit/listserv/webpos"
	"tacit/storage"
)

// The HTTP server answers the one-click unsubscribe URLs of RFC 8058
// (/unsubscribe/TOKEN), the one-click positions (/p/TOKEN/ACTION),
// /healthz, /metrics (Prometheus) and the decision register
// (/lists/NAME/decisions…).

// newHTTP builds the HTTP handler of the server.
func (s *Server) newHTTP() http.Handler {
	mux := http.NewServeMux()
	one := unsub.Handler(unsub.Options{
		Secret:      s.o.UnsubscribeSecret,
		Unsubscribe: s.unsubscribe,
		Lang: func(list string) string {
			l, err := s.o.Store.List(list)
			if err != nil {
				return s.o.Language
			}
			return s.proc.listLang(l)
		},
		ListName: func(list string) string {
			if l, err := s.o.Store.List(list); err == nil {
				return l.Name
			}
			return ""
		},
		Logger: s.o.Logger,
	})
	mux.Handle("/unsubscribe/", one) // docs/register.md
	mux.Handle("/u/", one)           // the short form of the first versions
	// One-click positions (docs/membership.md: GET shows, POST acts), when
	// HTTP is on.
	if s.proc.webKey != nil {
		mux.Handle("/p/", s.positions())
	}
	reg := register.Handler(register.Options{Store: s.o.Store, Domain: s.o.Domain, Language: s.o.Language,
		Location: s.o.Consensus.Location, BaseURL: s.o.HTTPBaseURL, Now: s.o.Now, Logger: s.o.Logger})
	mux.Handle("GET /lists/", reg)
	// "/" lists the public registers; any other unknown page gets the
	// register's 404, in French by default, with a way back.
	mux.Handle("/", reg)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", s.metrics.Handler())
	return mux
}

// positions is the handler of one-click positions: the processor applies
// them as the member's mail command.
func (s *Server) positions() http.Handler {
	listOf := func(list string) (storage.List, bool) {
		l, err := s.o.Store.List(list)
		return l, err == nil
	}
	return webpos.Handler(webpos.Options{
		Key: s.proc.webKey,
		Proposal: func(list string, number int) (consensus.Proposal, error) {
			p, err := s.o.Store.Proposal(storage.ProposalRef{List: list, Number: number})
			if errors.Is(err, storage.ErrNotFound) {
				return p, webpos.ErrNotFound
			}
			return p, err
		},
		Position: func(_ context.Context, list string, number int, member string, kind consensus.EventKind,
			reason string) (string, error) {
			why, err := s.proc.WebPosition(list, number, member, kind, reason)
			if errors.Is(err, storage.ErrNotFound) {
				return "", webpos.ErrNotFound
			}
			if err == nil {
				s.runner.Wake() // the acknowledgment goes now
			}
			return why, err
		},
		Member: s.o.Store.IsMember,
		Revoked: func(list string, number int, member string) (bool, error) {
			return s.o.Store.LinkRevoked(storage.LinkRef{List: list, Number: number, Member: member})
		},
		Lang: func(list string) string {
			if l, ok := listOf(list); ok {
				return s.proc.listLang(l)
			}
			return s.o.Language
		},
		ListName: func(list string) string {
			l, _ := listOf(list)
			return l.Name
		},
		ProposalURL: func(list string, number int) string {
			l, ok := listOf(list)
			if u := register.ArchiveURL(s.o.HTTPBaseURL, s.o.Domain, l); ok && u != "" {
				return fmt.Sprintf("%s/%d", u, number)
			}
			return ""
		},
		Location: s.o.Consensus.Location,
		Now:      s.o.Now,
		Logger:   s.o.Logger,
	})
}

// healthz answers 200 when the store answers a read and the engine is
// ticking, else 503 with the reason.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	if _, err := s.o.Store.Version(); err != nil {
		http.Error(w, "store: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if why := s.engine.check(time.Now()); why != "" {
		http.Error(w, why, http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// unsubscribe removes a member at once: the token proves the request
// comes from their mailbox.
func (s *Server) unsubscribe(_ context.Context, list, member string) error {
	removed, err := s.o.Store.RemoveMembers(list, member)
	if errors.Is(err, storage.ErrNotFound) || err == nil && len(removed) == 0 {
		return unsub.ErrNotMember
	}
	return err
}

// serveHTTP serves on ln until ctx is done: HTTPS only when
// Options.HTTPTLS is set, else plain HTTP.
func (s *Server) serveHTTP(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.newHTTP(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 64 << 10, ErrorLog: netlog.ErrorLog(s.o.Logger, "http")}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	var err error
	if s.o.HTTPTLS != nil {
		srv.Handler = strictTransport(srv.Handler)
		srv.TLSConfig = s.o.HTTPTLS.Clone()
		err = srv.ServeTLS(ln, "", "") // the certificate comes from TLSConfig
	} else {
		err = srv.Serve(ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("listserv: http: %w", err)
	}
	return nil
}

// strictTransport tells browsers that reached tacit over HTTPS to come
// back only over HTTPS for a year (HSTS), this host only.
func strictTransport(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		h.ServeHTTP(w, r)
	})
}
