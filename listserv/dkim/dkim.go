// Package dkim is tacit's use of DKIM and ARC: it signs the mail the list
// sends with the operator's key (each member's copy on its own, since
// the copy carries that member's List-Unsubscribe), seals what the list
// distributes with an ARC set (RFC 8617) that vouches for how the post
// was authenticated when it arrived, and tells whether a reply is
// authentic — signed by its author's domain, or received from a trusted
// relay — for lists that count objections only from authenticated mail
// (a forged objection would block a decision).
//
// Verification of received mail goes through go-msgauth. Signing and
// sealing are written here on the same algorithms (relaxed/relaxed,
// SHA-256, RSA or Ed25519): go-msgauth signs whole messages only, and
// has no ARC; a list signs a thousand copies of one body, whose hash it
// computes once (BodyHash).
//
// It keeps no state; DNS goes through a lookup function tests replace.
package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// signedFields are the header fields a list signature covers, each
// instance present. The List-Unsubscribe and List-Unsubscribe-Post that
// delivery writes for each member are among them (RFC 8058 section 4:
// the big providers want them signed), which is why each member's copy
// is signed on its own.
var signedFields = []string{"From", "Reply-To", "Subject", "Date", "Message-ID", "To", "Cc",
	"In-Reply-To", "References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"Content-Disposition", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Post",
	"List-Help", "List-Subscribe", "List-Archive", "List-Owner", "Precedence", "Auto-Submitted",
	"X-Original-From", "X-Tacit-Proposal", "X-Tacit-Deadline"}

// overSigned are the fields named once more than they are present, and
// once even when absent: nobody on the way may add one (a second From,
// another unsubscribe link) without breaking the signature. The other
// signed fields are over-signed only when present: a relay may still add
// a Date or a Message-ID a message lacks.
var overSigned = map[string]bool{"from": true, "reply-to": true, "subject": true, "list-id": true,
	"list-unsubscribe": true, "list-unsubscribe-post": true, "list-post": true, "list-help": true,
	"list-subscribe": true, "list-archive": true, "list-owner": true}

// perCopy are the fields delivery adds to each member's copy, after the
// ARC set was made once for all: the ARC-Message-Signature must not
// over-sign them.
var perCopy = map[string]bool{"list-unsubscribe": true, "list-unsubscribe-post": true}

// Signer signs outgoing mail for one domain.
type Signer struct {
	domain, selector string
	key              crypto.Signer
	algorithm        string // "rsa-sha256" or "ed25519-sha256"
	// now stamps t= (the real clock: verifiers refuse a time to come).
	now func() time.Time
}

// NewSigner reads a PEM private key for domain and selector: RSA (PKCS #1
// or PKCS #8) or Ed25519 (PKCS #8).
func NewSigner(domain, selector string, keyPEM []byte) (*Signer, error) {
	if domain == "" || selector == "" {
		return nil, errors.New("dkim: domain and selector are required")
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("dkim: the key file holds no PEM block")
	}
	s := &Signer{domain: domain, selector: selector, now: time.Now}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("dkim: read RSA key: %w", err)
		}
		s.key, s.algorithm = k, "rsa-sha256"
	default:
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("dkim: read key: %w", err)
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			s.key, s.algorithm = k, "rsa-sha256"
		case ed25519.PrivateKey:
			s.key, s.algorithm = k, "ed25519-sha256"
		default:
			return nil, fmt.Errorf("dkim: unsupported key type %T (use RSA or Ed25519)", k)
		}
	}
	if k, ok := s.key.(*rsa.PrivateKey); ok && k.N.BitLen() < 1024 {
		return nil, fmt.Errorf("dkim: a %d-bit RSA key is refused by receivers (use 2048 bits)", k.N.BitLen())
	}
	return s, nil
}

// Domain returns the d= of the signatures.
func (s *Signer) Domain() string { return s.domain }

// Algorithm returns the a= of the signatures: "rsa-sha256" or
// "ed25519-sha256".
func (s *Signer) Algorithm() string { return s.algorithm }

// Sign returns the DKIM-Signature field (CRLF-ended) for a message made of
// header (ending with its blank line) and body, relaxed/relaxed.
func (s *Signer) Sign(header, body []byte) ([]byte, error) {
	return s.SignHeader(header, HashBody(body))
}

// SignHeader returns the DKIM-Signature field for header over a body
// whose hash is bh: the copies of one message, which differ only in
// their header, hash the body once.
func (s *Signer) SignHeader(header []byte, bh BodyHash) ([]byte, error) {
	fs := fields(header)
	keys := headerKeys(fs, nil)
	if len(keys) == 0 || !strings.EqualFold(keys[0], "From") || !has(fs, "From") {
		return nil, errors.New("dkim: the message has no From")
	}
	tags := []tag{{"v", "1"}, {"a", s.algorithm}, {"c", "relaxed/relaxed"}, {"d", s.domain},
		{"s", s.selector}, {"t", strconv.FormatInt(s.now().Unix(), 10)}, {"h", strings.Join(keys, ":")},
		{"bh", base64.StdEncoding.EncodeToString(bh[:])}}
	return s.signField("DKIM-Signature", tags, hashFields(nil, fs, keys, true))
}

// Ours reports whether the first field of header is a DKIM-Signature of
// this signer's (d= and s=), and returns the header without it.
func (s *Signer) Ours(header []byte) ([]byte, bool) {
	fs := fields(header)
	if len(fs) == 0 || !fs[0].is("DKIM-Signature") {
		return header, false
	}
	t, err := parseTags(fs[0].value())
	if err != nil || !strings.EqualFold(t["d"], s.domain) || t["s"] != s.selector {
		return header, false
	}
	return header[len(fs[0].raw):], true
}

// has reports whether fs holds a field named name.
func has(fs []field, name string) bool {
	for _, f := range fs {
		if f.is(name) {
			return true
		}
	}
	return false
}

// headerKeys returns the h= list for fs: each signed field as many times
// as present, over-signed as overSigned says, except the names in
// notOver, which are named only as often as they are present.
func headerKeys(fs []field, notOver map[string]bool) []string {
	count := map[string]int{}
	for _, f := range fs {
		count[strings.ToLower(f.name)]++
	}
	var keys []string
	for _, name := range signedFields {
		low := strings.ToLower(name)
		n := count[low]
		if !notOver[low] && (n > 0 || overSigned[low]) {
			n++
		}
		for range n {
			keys = append(keys, name)
		}
	}
	return keys
}

// hashFields appends to dst the canonical form of the fields keys name,
// chosen as RFC 6376 section 5.4.2 says: for each name, the last instance
// not yet taken, from the bottom up; a name with none left adds nothing.
func hashFields(dst []byte, fs []field, keys []string, relaxed bool) []byte {
	next := map[string]int{} // per name, the index below which to look
	for _, k := range keys {
		low := strings.ToLower(k)
		i, ok := next[low]
		if !ok {
			i = len(fs)
		}
		for i--; i >= 0 && !fs[i].is(k); i-- {
		}
		if i < 0 {
			next[low] = 0
			continue
		}
		next[low] = i
		dst = canonHeader(dst, fs[i].raw, relaxed)
	}
	return dst
}

// Prepend returns fields then header in a new slice.
func Prepend(fieldsAbove, header []byte) []byte {
	return append(append(make([]byte, 0, len(fieldsAbove)+len(header)), fieldsAbove...), header...)
}
