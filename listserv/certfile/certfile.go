// Package certfile gives tacit's TLS servers (SMTP STARTTLS, IMAP, HTTPS)
// their certificate from a PEM certificate file and its key file, and
// reads the pair again when it changes on disk: a certificate renewed by
// certbot (every 60 to 90 days) is served from the next connection on,
// without a restart.
//
// Each TLS handshake looks at both files (two stat calls, no read). When
// the size, the modification time or the identity of either has changed
// (certbot points its links at new files; cp rewrites a file in place),
// the pair is read again. A pair that cannot be used, such as a new
// certificate whose new key is not written yet, leaves the previous
// certificate in service; it is tried again when the files change again
// or on Reload (the server calls it on SIGHUP).
//
// The package keeps nothing on disk and nothing across restarts.
package certfile

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// Pair is a certificate and its key read from two files. Its methods are
// safe for concurrent use.
type Pair struct {
	certPath, keyPath string
	log               *slog.Logger

	mu   sync.Mutex
	cert *tls.Certificate
	// seen is the state of the files when they were last read, whether
	// that read worked or not: the files are read again only once they
	// differ from it.
	seen [2]os.FileInfo
}

// Load reads the pair once and returns it; an error names the file at
// fault. log, when not nil, is told of every certificate put in service
// and of every renewed pair that could not be used.
func Load(certPath, keyPath string, log *slog.Logger) (*Pair, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Pair{certPath: certPath, keyPath: keyPath, log: log}
	if err := p.Reload(); err != nil {
		return nil, err
	}
	return p, nil
}

// TLSConfig returns a server configuration that serves the pair's
// current certificate, with TLS 1.2 at least and Go's default cipher
// suites (no weak ones).
func (p *Pair) TLSConfig() *tls.Config {
	return &tls.Config{GetCertificate: p.GetCertificate, MinVersion: tls.VersionTLS12}
}

// GetCertificate is tls.Config.GetCertificate: it returns the current
// certificate, after reading the files again if they have changed.
func (p *Pair) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now, ok := p.stat(); ok && p.changed(now) {
		if err := p.readLocked(now); err != nil {
			p.log.Warn("tls: renewed certificate not used, the previous one is kept",
				"cert", p.certPath, "key", p.keyPath, "err", err)
		}
	}
	return p.cert, nil
}

// Reload reads the files now, whether or not they look changed. On
// error the previous certificate stays in service.
func (p *Pair) Reload() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	now, _ := p.stat()
	return p.readLocked(now)
}

// Leaf returns the certificate currently served.
func (p *Pair) Leaf() *x509.Certificate {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cert.Leaf
}

// stat returns the state of both files; ok is false when either cannot
// be looked at (then nothing is read: the next handshake looks again).
func (p *Pair) stat() (fi [2]os.FileInfo, ok bool) {
	var err error
	if fi[0], err = os.Stat(p.certPath); err != nil {
		return fi, false
	}
	if fi[1], err = os.Stat(p.keyPath); err != nil {
		return fi, false
	}
	return fi, true
}

// changed reports whether the files differ from those last read.
func (p *Pair) changed(now [2]os.FileInfo) bool {
	for i, fi := range now {
		old := p.seen[i]
		if old == nil || !os.SameFile(old, fi) || !old.ModTime().Equal(fi.ModTime()) || old.Size() != fi.Size() {
			return true
		}
	}
	return false
}

// readLocked reads the pair and, when it can be used, puts it in
// service. now is the state of the files taken before reading them.
func (p *Pair) readLocked(now [2]os.FileInfo) error {
	p.seen = now
	cert, err := tls.LoadX509KeyPair(p.certPath, p.keyPath)
	if err != nil {
		return fmt.Errorf("certfile: %s, %s: %w", p.certPath, p.keyPath, err)
	}
	if p.cert != nil && p.cert.Leaf.Equal(cert.Leaf) {
		return nil
	}
	p.cert = &cert
	p.log.Info("tls: certificate in service", "cert", p.certPath,
		"subject", cert.Leaf.Subject.CommonName, "serial", cert.Leaf.SerialNumber.Text(16),
		"not_after", cert.Leaf.NotAfter.UTC().Format("2006-01-02T15:04:05Z"))
	return nil
}
