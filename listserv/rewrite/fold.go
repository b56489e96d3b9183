package rewrite

import (
	"bytes"
	"encoding/base64"
	"mime"
	"strings"
	"unicode/utf8"
)

// Header lines tacit writes stay under RFC 5322's limit (docs/security.md,
// bounded work): a field is folded at its whitespace, aiming at 78
// characters a line, and a value with a run of text too long for any
// line (an ASCII Subject without spaces, a display name) is written as
// RFC 2047 encoded words, which fold between them. Fields copied from a
// received message are left byte for byte as they came.

// MaxLineLength is the most octets a header line may hold, CRLF
// excluded (RFC 5322 section 2.1.1).
const MaxLineLength = 998

// foldLength is the line length folding aims at (RFC 5322's "SHOULD").
const foldLength = 78

// MaxWord is the longest run without whitespace that a folded field can
// carry (with its field name, on one line); a Message-ID longer than
// this cannot be written and is left out of threading fields.
const MaxWord = 900

// Fold returns field, a "Name: value" header field, folded: CRLF and a
// space before a word that would take its line beyond 78 octets. It has
// no final CRLF. CR and LF already in field are dropped (unfolding).
// A word longer than a line stays whole: see Fits.
func Fold(field string) string {
	if strings.ContainsAny(field, "\r\n") {
		field = strings.NewReplacer("\r", "", "\n", "").Replace(field)
	}
	if len(field) <= foldLength {
		return field
	}
	var out strings.Builder
	out.Grow(len(field) + len(field)/30)
	line, seg := 0, 0
	for rest := field; rest != ""; seg++ {
		w := nextWord(rest)
		word := rest[:w]
		rest = rest[w:]
		// Never fold right after the field name, nor before trailing
		// whitespace (a line of whitespace alone is not allowed).
		if seg >= 2 && line+len(word) > foldLength && strings.TrimLeft(word, " \t") != "" {
			out.WriteString("\r\n")
			line = 0
		}
		out.WriteString(word)
		line += len(word)
	}
	return out.String()
}

// nextWord returns the length of the first word of s: its leading
// whitespace, then everything up to the next whitespace.
func nextWord(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for i < len(s) && s[i] != ' ' && s[i] != '\t' {
		i++
	}
	return i
}

// Fits reports whether every line of a folded field holds at most
// MaxLineLength octets.
func Fits(folded string) bool {
	for line := range strings.SplitSeq(folded, "\r\n") {
		if len(line) > MaxLineLength {
			return false
		}
	}
	return true
}

// WriteField writes "name: value" to b, folded, with its CRLF.
func WriteField(b *bytes.Buffer, name, value string) {
	b.WriteString(Fold(name + ": " + value))
	b.WriteString("\r\n")
}

// EncodeText returns an unstructured value (a Subject) as it must be
// written: as it is when it is printable ASCII, else as RFC 2047
// encoded words; in both cases folding can keep its lines short, as an
// ASCII text with a word longer than MaxWord is encoded too.
func EncodeText(s string) string {
	e := mime.QEncoding.Encode("utf-8", s)
	if longestWord(e) <= MaxWord {
		return e
	}
	return encodeWords(s)
}

// Phrase returns name as an RFC 5322 display name: a quoted string when
// it is ASCII with no word too long to fold, RFC 2047 encoded words
// otherwise.
func Phrase(name string) string {
	for _, r := range name {
		if r >= 0x80 || r < 0x20 || r == 0x7f {
			return EncodeText(name)
		}
	}
	if longestWord(name) > MaxWord {
		return encodeWords(name)
	}
	return `"` + quotedPair.Replace(name) + `"`
}

// longestWord returns the length of the longest run of s without
// whitespace.
func longestWord(s string) int {
	longest := 0
	for f := range strings.FieldsSeq(s) {
		longest = max(longest, len(f))
	}
	return longest
}

// encodeWords writes s entirely as base64 encoded words of at most 75
// characters, cut between characters, separated by spaces (which a
// reader drops between encoded words).
func encodeWords(s string) string {
	const maxChunk = 45 // 60 base64 characters: 72 with =?utf-8?b?…?=
	var out strings.Builder
	for s != "" {
		n := min(len(s), maxChunk)
		for n < len(s) && n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		if n == 0 { // not UTF-8: cut anywhere
			n = min(len(s), maxChunk)
		}
		if out.Len() > 0 {
			out.WriteByte(' ')
		}
		out.WriteString("=?utf-8?b?")
		out.WriteString(base64.StdEncoding.EncodeToString([]byte(s[:n])))
		out.WriteString("?=")
		s = s[n:]
	}
	return out.String()
}
