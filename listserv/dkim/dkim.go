// Package dkim is tacit's use of DKIM (with go-msgauth): it signs the mail
// the list sends with the operator's key, and it tells whether a reply is
// authentic — signed by its author's domain, or received from a trusted
// relay — for lists that count objections only from authenticated mail
// (a forged objection would block a decision).
//
// It keeps no state; DNS goes through a lookup function tests replace.
package dkim

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
)

// signedFields are the header fields a list signature covers. The
// personal List-Unsubscribe that delivery adds per member is left out, so
// one signature serves every copy.
var signedFields = []string{"From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To",
	"References", "List-Id", "List-Post", "List-Help", "List-Subscribe", "Reply-To",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "X-Tacit-Proposal", "X-Tacit-Deadline"}

// Signer signs outgoing mail for one domain.
type Signer struct {
	domain, selector string
	key              crypto.Signer
}

// NewSigner reads a PEM private key (RSA, PKCS#1 or PKCS#8, or Ed25519)
// for domain and selector.
func NewSigner(domain, selector string, keyPEM []byte) (*Signer, error) {
	if domain == "" || selector == "" {
		return nil, errors.New("dkim: domain and selector are required")
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("dkim: the key file holds no PEM block")
	}
	var key crypto.Signer
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("dkim: read RSA key: %w", err)
		}
		key = k
	default:
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("dkim: read key: %w", err)
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			key = k
		case ed25519.PrivateKey:
			key = k
		default:
			return nil, fmt.Errorf("dkim: unsupported key type %T (use RSA or Ed25519)", k)
		}
	}
	return &Signer{domain: domain, selector: selector, key: key}, nil
}

// Sign returns the DKIM-Signature field (CRLF-ended) for a message made of
// header (ending with its blank line) and body, relaxed/relaxed.
func (s *Signer) Sign(header, body []byte) ([]byte, error) {
	present := map[string]bool{}
	for _, line := range bytes.Split(header, []byte("\n")) {
		if name, _, ok := bytes.Cut(line, []byte(":")); ok && len(line) > 0 && line[0] != ' ' && line[0] != '\t' {
			present[strings.ToLower(strings.TrimSpace(string(name)))] = true
		}
	}
	keys := []string{}
	for _, f := range signedFields {
		if present[strings.ToLower(f)] {
			keys = append(keys, f)
		}
	}
	if !present["from"] {
		return nil, errors.New("dkim: the message has no From")
	}
	signer, err := dkim.NewSigner(&dkim.SignOptions{Domain: s.domain, Selector: s.selector, Signer: s.key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: keys})
	if err != nil {
		return nil, fmt.Errorf("dkim: %w", err)
	}
	if _, err := signer.Write(header); err != nil {
		signer.Close()
		return nil, fmt.Errorf("dkim: sign: %w", err)
	}
	if _, err := signer.Write(body); err != nil {
		signer.Close()
		return nil, fmt.Errorf("dkim: sign: %w", err)
	}
	if err := signer.Close(); err != nil {
		return nil, fmt.Errorf("dkim: sign: %w", err)
	}
	return []byte(signer.Signature()), nil
}
