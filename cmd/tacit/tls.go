package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"tacit/config"
	"tacit/listserv/certfile"
)

// serverTLS is the TLS configuration of each server of `tacit serve`: nil
// where that server has no certificate. Servers given the same files
// share one certfile.Pair.
type serverTLS struct {
	smtp, imap, http *tls.Config
	pairs            []*certfile.Pair
}

// loadTLS reads the certificates the configuration names. An error names
// the configuration keys of the files at fault.
func loadTLS(cfg *config.Config, log *slog.Logger) (*serverTLS, error) {
	st := &serverTLS{}
	byFiles := map[[2]string]*certfile.Pair{}
	load := func(keys, cert, key string) (*tls.Config, error) {
		if cert == "" {
			return nil, nil
		}
		p, ok := byFiles[[2]string{cert, key}]
		if !ok {
			var err error
			if p, err = certfile.Load(cert, key, log); err != nil {
				return nil, fmt.Errorf("%s: %w", keys, err)
			}
			byFiles[[2]string{cert, key}] = p
			st.pairs = append(st.pairs, p)
		}
		return p.TLSConfig(), nil
	}
	var err error
	if st.smtp, err = load("smtp.tls_cert/tls_key", cfg.SMTP.TLSCert, cfg.SMTP.TLSKey); err != nil {
		return nil, err
	}
	if cfg.HTTP.Listen != "" {
		if st.http, err = load("http.tls_cert/tls_key", cfg.HTTP.TLSCert, cfg.HTTP.TLSKey); err != nil {
			return nil, err
		}
	}
	if cfg.IMAP.Listen != "" || cfg.IMAP.TLSListen != "" {
		keys := "imap.tls_cert/tls_key"
		if cfg.IMAP.TLSCert == "" {
			keys = "smtp.tls_cert/tls_key (for IMAP)"
		}
		cert, key := cfg.IMAPCert()
		if st.imap, err = load(keys, cert, key); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// reloadOnHangup reads every certificate again on each SIGHUP until ctx
// is done (certificates are also read again by themselves when their
// files change: see certfile).
func (st *serverTLS) reloadOnHangup(ctx context.Context, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				for _, p := range st.pairs {
					if err := p.Reload(); err != nil {
						log.Warn("SIGHUP: certificate not reloaded, the previous one is kept", "err", err)
					}
				}
			}
		}
	}()
}
