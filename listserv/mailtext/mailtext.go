// Package mailtext turns a raw RFC 5322 message into the text that the
// consensus grammar reads: the readable body, decoded to UTF-8, and the
// decoded Subject.
//
// MIME structure, transfer encodings and charsets are decoded by
// go-message; this package only chooses the part to read, undoes
// format=flowed (RFC 3676), repairs the usual charset mislabelling and
// converts HTML-only mail to text.
package mailtext

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // every charset, for bodies and headers
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/charmap"
)

const (
	// MaxDepth is how deeply nested multiparts are read: the message is
	// level 0, the parts of a multipart at level d are at level d+1, and
	// a multipart at level MaxDepth is not opened (docs/security.md).
	MaxDepth = 50
	// MaxParts is how many MIME entities of a message are read at most,
	// the message itself counted; the parts after them are not read.
	MaxParts = 1000
	// MaxText is the largest text (decoded part, or converted HTML), in bytes.
	MaxText = 10 << 20
	// MaxHeader is how many bytes of a message's header are read: Text
	// fails beyond (go-message's bound in message.Read), Subject reads
	// the fields within.
	MaxHeader = 1 << 20
)

var (
	// ErrTooDeep is returned when no text was found within MaxDepth
	// levels and a multipart deeper than that was left unread.
	ErrTooDeep = errors.New("mailtext: multipart nested too deeply")
	// ErrTooManyParts is returned when no text was found in the first
	// MaxParts parts and the others were left unread.
	ErrTooManyParts = errors.New("mailtext: too many MIME parts")
	// ErrTooLarge is returned when the text would exceed MaxText bytes.
	ErrTooLarge = errors.New("mailtext: text too large")
)

// Text returns the readable text of a message: the first text/plain part
// (multipart/alternative: the plain one; multipart/mixed: the first text
// part, not attachments), decoded from its transfer encoding
// (quoted-printable, base64, 7bit/8bit) and its charset (any charset
// go-message/charset knows: UTF-8, ISO-8859-1/15, windows-1252, …) into
// UTF-8; format=flowed lines are joined again. When the message has only
// HTML, the HTML converted to text (block elements → line breaks, <br> →
// newline, <blockquote> and the clients' quote containers prefixed with
// "> " per line, Outlook's reply header preceded by a line of
// underscores, entities decoded, script/style dropped). Lines end with
// "\n". A message without any text part gives "" and no error.
//
// Only the first MaxParts parts and MaxDepth levels of multipart are
// read: a text found there is returned as usual; when there is none and
// the bounds left parts unread, the error is ErrTooDeep or
// ErrTooManyParts. The work is thus at most linear in the size of the
// message times MaxDepth, whatever its structure.
//
// Malformed input (unreadable header, broken multipart, bad encoding)
// gives an error; Text never panics.
func Text(raw []byte) (string, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil {
		return "", fmt.Errorf("mailtext: %w", err)
	}
	if err != nil && !tolerable(err) {
		return "", fmt.Errorf("mailtext: %w", err)
	}
	w := &walker{parts: 1}
	p, err := w.find(e, 0)
	if err != nil {
		return "", err
	}
	if p == nil {
		return "", w.cut
	}
	if p.html {
		return htmlToText(p.text)
	}
	return p.text, nil
}

// Subject returns the decoded Subject header (RFC 2047, any charset). When
// an encoded word names an unknown charset, it returns the field as
// written and an error that verifies message.IsUnknownCharset. Only the
// first MaxHeader bytes of the header are read, as Text reads them.
func Subject(raw []byte) (string, error) {
	if len(raw) > MaxHeader { // whole lines only
		raw = raw[:bytes.LastIndexByte(raw[:MaxHeader], '\n')+1]
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil && !(errors.Is(err, io.EOF) && h.Len() > 0) {
		return "", fmt.Errorf("mailtext: %w", err)
	}
	mh := mail.Header{Header: message.Header{Header: h}}
	s, err := mh.Subject()
	s = repair(s, "")
	if err != nil {
		return s, fmt.Errorf("mailtext: %w", err)
	}
	return s, nil
}

// tolerable reports whether err from go-message still leaves a readable
// entity: an unknown charset (read as is, then repaired) or an unknown
// transfer encoding (read as is).
func tolerable(err error) bool {
	return message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)
}

// part is the text chosen in a message.
type part struct {
	text string
	html bool
}

// walker goes through the parts of one message within MaxDepth and
// MaxParts.
type walker struct {
	parts int   // entities read so far, the message included
	cut   error // why parts were left unread, nil when none was
}

// next returns the next part of mr, or nil at the end of the multipart
// or once MaxParts parts have been read.
func (w *walker) next(mr message.MultipartReader) (*message.Entity, error) {
	if w.parts >= MaxParts {
		if w.cut == nil {
			w.cut = ErrTooManyParts
		}
		return nil, io.EOF
	}
	c, err := mr.NextPart()
	if c != nil {
		w.parts++
	}
	return c, err
}

// find returns the text part to read in e, at level depth, nil if there
// is none.
func (w *walker) find(e *message.Entity, depth int) (*part, error) {
	typ, params := mediaType(e.Header)
	switch {
	case strings.HasPrefix(typ, "multipart/"):
		if params["boundary"] == "" || e.MultipartReader() == nil {
			return nil, fmt.Errorf("mailtext: %s without boundary", typ)
		}
		if depth >= MaxDepth {
			if w.cut == nil {
				w.cut = ErrTooDeep
			}
			return nil, nil
		}
		if typ == "multipart/alternative" {
			return w.alternative(e, depth)
		}
		return w.first(e, depth)
	case typ == "text/plain", typ == "text/html":
		return read(e, typ, params)
	}
	return nil, nil
}

// alternative chooses in a multipart/alternative: the plain text when it
// has words, else the HTML, else whatever a nested multipart offers.
func (w *walker) alternative(e *message.Entity, depth int) (*part, error) {
	mr := e.MultipartReader()
	var plain, other *part
	for {
		c, err := w.next(mr)
		if errors.Is(err, io.EOF) {
			break
		}
		if c == nil || (err != nil && !tolerable(err)) {
			if plain != nil || other != nil || w.cut != nil {
				break // keep what was read before the damage
			}
			return nil, fmt.Errorf("mailtext: %w", err)
		}
		if attachment(c.Header) {
			continue
		}
		p, err := w.find(c, depth+1)
		if err != nil {
			return nil, err
		}
		switch {
		case p == nil:
		case !p.html && strings.TrimSpace(p.text) != "":
			if plain == nil {
				plain = p
			}
		case other == nil || (p.html && !other.html):
			other = p
		}
		if plain != nil {
			break
		}
	}
	if plain != nil {
		return plain, nil
	}
	return other, nil
}

// first returns the first text of a multipart that is not an alternative
// (mixed, related, signed, report, …), skipping attachments and attached
// messages.
func (w *walker) first(e *message.Entity, depth int) (*part, error) {
	mr := e.MultipartReader()
	for {
		c, err := w.next(mr)
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if c == nil || (err != nil && !tolerable(err)) {
			if w.cut != nil {
				return nil, nil // the damage may lie in what was left unread
			}
			return nil, fmt.Errorf("mailtext: %w", err)
		}
		if attachment(c.Header) {
			continue
		}
		p, err := w.find(c, depth+1)
		if err != nil || p != nil {
			return p, err
		}
	}
}

// attachment reports whether a part is an attachment rather than the body:
// disposition "attachment", or a file name.
func attachment(h message.Header) bool {
	disp, params, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	if strings.EqualFold(disp, "attachment") || params["filename"] != "" || params["filename*"] != "" {
		return true
	}
	_, cparams := mediaType(h)
	return cparams["name"] != ""
}

// mediaType returns the lower-case media type of a part and its parameters,
// tolerating broken parameters (the type alone is then kept).
func mediaType(h message.Header) (string, map[string]string) {
	v := h.Get("Content-Type")
	if strings.TrimSpace(v) == "" {
		return "text/plain", nil
	}
	t, params, err := mime.ParseMediaType(v)
	if err != nil && t == "" {
		t, _, _ = strings.Cut(v, ";")
		t = strings.ToLower(strings.TrimSpace(t))
	}
	if params == nil {
		params = map[string]string{}
	}
	return t, params
}

// read decodes a text part (go-message has already undone the transfer
// encoding and the charset).
func read(e *message.Entity, typ string, params map[string]string) (*part, error) {
	b, err := io.ReadAll(io.LimitReader(e.Body, MaxText+1))
	if err != nil {
		return nil, fmt.Errorf("mailtext: reading %s: %w", typ, err)
	}
	if len(b) > MaxText {
		return nil, ErrTooLarge
	}
	s := repair(string(b), params["charset"])
	if typ == "text/html" {
		return &part{text: s, html: true}, nil
	}
	s = lines(s)
	if strings.EqualFold(params["format"], "flowed") {
		s = unflow(s, strings.EqualFold(params["delsp"], "yes"))
	}
	return &part{text: s}, nil
}

// repair fixes what decoding leaves behind in mail from the wild: text
// that is not UTF-8 although nothing (or US-ASCII) was declared is read as
// windows-1252, and C1 control characters, which come from windows-1252
// text labelled ISO-8859-1, become the characters windows-1252 means
// (’ “ ” € œ …). A leading byte order mark is dropped.
func repair(s, charset string) string {
	if !utf8.ValidString(s) {
		cs := strings.ToLower(charset)
		if cs == "" || cs == "us-ascii" || cs == "ascii" {
			if d, err := charmap.Windows1252.NewDecoder().String(s); err == nil {
				s = d
			}
		}
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.TrimPrefix(s, "\uFEFF")
	if !strings.ContainsFunc(s, isC1) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if isC1(r) {
			if d := charmap.Windows1252.DecodeByte(byte(r)); d != utf8.RuneError {
				r = d
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }

// lines turns CRLF and lone CR line ends into "\n" and ends a non-empty
// text with "\n".
func lines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// unflow joins the lines of a format=flowed text (RFC 3676): a line that
// ends with a space continues on the next line of the same quote depth.
// Quoted lines come out as ">" per level and a space; space-stuffing is
// removed.
func unflow(s string, delsp bool) string {
	var b strings.Builder
	b.Grow(len(s))
	var para strings.Builder // the paragraph being joined
	paraDepth, open := 0, false
	flush := func() {
		if !open {
			return
		}
		if paraDepth > 0 {
			b.WriteString(strings.Repeat(">", paraDepth))
			if para.Len() > 0 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(strings.TrimRight(para.String(), " "))
		b.WriteByte('\n')
		para.Reset()
		open = false
	}
	for _, line := range strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n") {
		line = strings.TrimSuffix(line, "\n")
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		line = line[depth:]
		line = strings.TrimPrefix(line, " ") // space-stuffing
		if open && depth != paraDepth {
			flush()
		}
		if line == "-- " { // the signature separator is never flowed
			flush()
			b.WriteString(strings.Repeat(">", depth))
			if depth > 0 {
				b.WriteByte(' ')
			}
			b.WriteString("-- \n")
			continue
		}
		flowed := strings.HasSuffix(line, " ")
		if flowed && delsp {
			line = line[:len(line)-1]
		}
		para.WriteString(line)
		paraDepth, open = depth, true
		if !flowed {
			flush()
		}
	}
	flush()
	return b.String()
}
