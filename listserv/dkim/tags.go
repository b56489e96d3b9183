package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// tag is one tag=value of a signature field.
type tag struct{ k, v string }

// lineWidth is where a signature field is folded: under the 78 columns
// RFC 5322 recommends.
const lineWidth = 76

// fieldWriter writes a signature field folded under lineWidth: each tag
// goes on the current line when it fits, else on a new one; a long h=
// list is folded after a colon, a long b= anywhere (white space inside
// both is ignored by every verifier).
type fieldWriter struct {
	b   []byte
	col int
}

func newFieldWriter(name string) *fieldWriter {
	w := &fieldWriter{b: append(make([]byte, 0, 1024), name...)}
	w.b = append(w.b, ':')
	w.col = len(w.b)
	return w
}

// token writes s, after a space or on a new line when it would pass the
// width.
func (w *fieldWriter) token(s string, space bool) {
	sep := 0
	if space {
		sep = 1
	}
	if w.col+sep+len(s) > lineWidth && w.col > 1 {
		w.b = append(w.b, "\r\n\t"...)
		w.col = 1
	} else if space {
		w.b = append(w.b, ' ')
		w.col++
	}
	w.b = append(w.b, s...)
	w.col += len(s)
}

// tag writes k=v; a value with colons (h=) is folded after them.
func (w *fieldWriter) tag(t tag) {
	if t.k != "h" {
		w.token(t.k+"="+t.v+";", true)
		return
	}
	parts := strings.Split(t.v, ":")
	for i, p := range parts {
		if i == 0 {
			p = "h=" + p
		}
		if i < len(parts)-1 {
			p += ":"
		} else {
			p += ";"
		}
		w.token(p, i == 0)
	}
}

// signed appends the signature value b64 after "b=", folded, and the
// field's line end.
func (w *fieldWriter) signed(b64 string) []byte {
	out := append([]byte{}, w.b...)
	col := w.col
	for len(b64) > 0 {
		n := min(lineWidth-col, len(b64))
		if n <= 0 {
			out = append(out, "\r\n\t"...)
			col = 1
			continue
		}
		out = append(out, b64[:n]...)
		col += n
		b64 = b64[n:]
	}
	return append(out, '\r', '\n')
}

// signField makes a signature field named name with tags (b= last and
// empty while hashing): hashed is the canonical data that precedes the
// field itself in the hash (the fields it signs).
func (s *Signer) signField(name string, tags []tag, hashed []byte) ([]byte, error) {
	w := newFieldWriter(name)
	for _, t := range tags {
		w.tag(t)
	}
	w.token("b=", true)
	h := sha256.New()
	h.Write(hashed)
	canon := relaxedHeader(nil, w.b)
	h.Write(canon[:len(canon)-2]) // the field itself without its CRLF
	sig, err := s.sign(h.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("dkim: sign: %w", err)
	}
	return w.signed(base64.StdEncoding.EncodeToString(sig)), nil
}

// sign signs a SHA-256 digest: PKCS #1 v1.5 for RSA, Ed25519 over the
// digest itself (RFC 8463).
func (s *Signer) sign(digest []byte) ([]byte, error) {
	if _, ok := s.key.(ed25519.PrivateKey); ok {
		return s.key.Sign(nil, digest, crypto.Hash(0))
	}
	return s.key.Sign(rand.Reader, digest, crypto.SHA256)
}

// parseTags reads the tag list of a signature or key record. Values have
// their folding white space removed at both ends; b=, bh= and p= are
// returned without any white space.
func parseTags(v []byte) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(string(v), ";") {
		k, val, ok := strings.Cut(part, "=")
		k = strings.Trim(k, " \t\r\n")
		if !ok {
			if k == "" {
				continue
			}
			return nil, fmt.Errorf("malformed tag %q", strings.TrimSpace(part))
		}
		if !isTagName(k) {
			return nil, fmt.Errorf("malformed tag name %q", k)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("duplicate tag %q", k)
		}
		val = strings.Trim(val, " \t\r\n")
		if k == "b" || k == "bh" || k == "p" {
			val = strings.Join(strings.Fields(val), "")
		}
		out[k] = val
	}
	return out, nil
}

// isTagName reports whether k is a tag-name of RFC 6376 section 3.2:
// ALPHA *ALNUMPUNC, ALNUMPUNC being a letter, a digit or "_".
func isTagName(k string) bool {
	for i, c := range []byte(k) {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '_')) {
			return false
		}
	}
	return k != ""
}
