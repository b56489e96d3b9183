package dkim

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"strings"
)

// This file is the canonicalization of RFC 6376 section 3.4, written here
// because go-msgauth keeps its own unexported: a list signs each member's
// copy on its own, and needs the body hash apart from the header hash
// (computed once per message), and ARC (RFC 8617) signs with the same
// algorithms over other fields.

// field is one header field as it was written: the name before its
// colon, and every byte of it, line ends included.
type field struct {
	name string // as written, without spaces around it
	raw  []byte
}

// fields splits a header block (which may end with its blank line) into
// its fields. A line that starts with a space or a tab continues the
// field above; a line without a colon is kept as a field with that line
// as its name, so that nothing is lost or moved.
func fields(header []byte) []field {
	var out []field
	for len(header) > 0 {
		end := fieldEnd(header)
		raw := header[:end]
		header = header[end:]
		if len(bytes.TrimRight(raw, "\r\n")) == 0 {
			break // the blank line that ends the header
		}
		name, _, _ := bytes.Cut(raw, []byte(":"))
		out = append(out, field{name: strings.TrimRight(string(name), " \t\r\n"), raw: raw})
	}
	return out
}

// fieldEnd returns where the field that starts header ends: after the
// line end not followed by a space or a tab.
func fieldEnd(header []byte) int {
	i := 0
	for {
		j := bytes.IndexByte(header[i:], '\n')
		if j < 0 {
			return len(header)
		}
		i += j + 1
		if i >= len(header) || (header[i] != ' ' && header[i] != '\t') {
			return i
		}
	}
}

// is reports whether f is named name, in any case.
func (f field) is(name string) bool { return strings.EqualFold(f.name, name) }

// value returns the field's value: everything after the colon.
func (f field) value() []byte {
	_, v, _ := bytes.Cut(f.raw, []byte(":"))
	return v
}

// isWSP reports whether c is white space within a line (RFC 5234 WSP).
func isWSP(c byte) bool { return c == ' ' || c == '\t' }

// relaxedHeader writes the relaxed canonical form of a field to dst
// (RFC 6376 section 3.4.2): the name in lower case, the value unfolded,
// each run of white space made one space, none around the colon or at
// the end, then CRLF.
func relaxedHeader(dst []byte, raw []byte) []byte {
	name, value, _ := bytes.Cut(raw, []byte(":"))
	dst = append(dst, strings.ToLower(strings.Trim(string(name), " \t\r\n"))...)
	dst = append(dst, ':')
	space := false
	started := false
	for _, c := range value {
		switch {
		case c == '\r' || c == '\n' || isWSP(c):
			space = started
		default:
			if space {
				dst = append(dst, ' ')
				space = false
			}
			dst = append(dst, c)
			started = true
		}
	}
	return append(dst, '\r', '\n')
}

// simpleHeader writes the simple canonical form of a field to dst: the
// field unchanged, but for a bare LF written as CRLF.
func simpleHeader(dst []byte, raw []byte) []byte {
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			dst = append(dst, '\r')
		}
		dst = append(dst, c)
	}
	return dst
}

// canonHeader writes raw in canonicalization c ("relaxed" or "simple").
func canonHeader(dst []byte, raw []byte, relaxed bool) []byte {
	if relaxed {
		return relaxedHeader(dst, raw)
	}
	return simpleHeader(dst, raw)
}

// lines calls fn with each line of body without its line end; a bare LF
// ends a line as CRLF does (the SMTP client sends it as CRLF). last is
// true for a final line that had no line end.
func lines(body []byte, fn func(line []byte, last bool)) {
	for len(body) > 0 {
		i := bytes.IndexByte(body, '\n')
		if i < 0 {
			fn(body, true)
			return
		}
		line := body[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		fn(line, false)
		body = body[i+1:]
	}
}

// canonBody writes the canonical form of body to w: relaxed (white space
// runs made one space, none at line ends, no empty lines at the end, a
// final CRLF unless the body is empty) or simple (no empty lines at the
// end, a final CRLF even for an empty body). At most limit bytes are
// written when limit >= 0 (the l= tag of a signature we verify).
func canonBody(w hash.Hash, body []byte, relaxed bool, limit int64) {
	lw := &limited{w: w, n: limit}
	crlf := []byte("\r\n")
	blank := 0 // empty lines not yet written: they count only if text follows
	var buf []byte
	wrote := false
	lines(body, func(line []byte, last bool) {
		if relaxed {
			buf = buf[:0]
			space := false
			for _, c := range line {
				if isWSP(c) {
					space = true
					continue
				}
				if space {
					buf = append(buf, ' ')
					space = false
				}
				buf = append(buf, c)
			}
			line = buf
		}
		if len(line) == 0 {
			blank++
			return
		}
		for ; blank > 0; blank-- {
			lw.Write(crlf)
		}
		lw.Write(line)
		lw.Write(crlf)
		wrote = true
	})
	if !wrote && !relaxed {
		lw.Write(crlf) // simple: an empty body is one CRLF
	}
}

// limited writes to w at most n bytes, or everything when n < 0.
type limited struct {
	w hash.Hash
	n int64
}

func (l *limited) Write(p []byte) {
	if l.n >= 0 {
		if int64(len(p)) > l.n {
			p = p[:l.n]
		}
		l.n -= int64(len(p))
	}
	l.w.Write(p)
}

// BodyHash is the SHA-256 hash of a body in relaxed canonicalization:
// the bh= of every signature tacit makes over that body. The copies of
// one message share it, so it is computed once per message.
type BodyHash [sha256.Size]byte

// HashBody returns the body hash of body.
func HashBody(body []byte) BodyHash {
	h := sha256.New()
	canonBody(h, body, true, -1)
	var bh BodyHash
	h.Sum(bh[:0])
	return bh
}
