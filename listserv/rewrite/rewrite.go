// Package rewrite turns a received post into the header block the list
// distributes, as docs/delivery.md says: List-* headers added, the Subject
// prefixed once, the headers that must not travel removed, the From
// rewritten when the author's domain forbids spoofing (DMARC). It works on
// the raw bytes: every field it keeps is copied byte for byte, and the body
// is never touched, so the author's DKIM signature and the body's encoding
// survive. It also says which messages must never be redistributed
// (loops, auto-replies, bounces).
//
// The package owns no state and does no I/O except through the DMARC
// lookup it is given.
package rewrite

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"

	"tacit/listserv/listaddr"
)

// List describes the list a message is distributed by.
type List struct {
	// Address is the posting address, NAME@DOMAIN.
	Address string
	// Name is the human name shown in List-Id ("" uses NAME).
	Name string
	// NoPrefix leaves the Subject without the [NAME] prefix.
	NoPrefix bool
	// ArchiveURL, when set, is announced in List-Archive.
	ArchiveURL string
	// FromRewrite is "dmarc" (the default, also for ""), "always" or
	// "never".
	FromRewrite string
}

// LocalPart returns NAME of NAME@DOMAIN.
func (l List) LocalPart() string {
	local, _, _ := strings.Cut(l.Address, "@")
	return local
}

// Domain returns DOMAIN of NAME@DOMAIN.
func (l List) Domain() string {
	_, dom, _ := strings.Cut(l.Address, "@")
	return dom
}

// Prefix returns the Subject prefix of the list, "[NAME]".
func (l List) Prefix() string { return "[" + l.LocalPart() + "]" }

// DMARCPolicy returns the DMARC policy ("none", "quarantine", "reject")
// published for a domain, or "" when it publishes none. Tests replace
// the DNS with a function.
type DMARCPolicy func(ctx context.Context, domain string) (string, error)

// Options say how to rewrite one message.
type Options struct {
	// List is the distributing list.
	List List
	// DMARC looks up the author's domain policy for the "dmarc" From
	// rewrite; nil means no domain is considered to publish one.
	DMARC DMARCPolicy
	// UnsubscribeURL, when set, is the recipient's one-click unsubscribe
	// URL (RFC 8058), added to List-Unsubscribe.
	UnsubscribeURL string
	// NoUnsubscribe leaves List-Unsubscribe out, for messages whose
	// delivery adds a personal one per recipient (see UnsubscribeFields).
	NoUnsubscribe bool
	// NoReplyTo leaves Reply-To out of ListFields, for mail that asks one
	// person to answer tacit (from NAME-request): a plain Reply must
	// reach NAME-request, never the whole list.
	NoReplyTo bool
	// Subject, when set, replaces the Subject value entirely (already
	// encoded as it must appear, e.g. for a numbered proposal).
	Subject string
	// Extra fields are added after the List-* fields, each a complete
	// "Name: value" line without its line ending.
	Extra []string
	// Drop names more fields to leave out (any case), e.g. the content
	// fields that Extra replaces when a footer changes the body.
	Drop []string
}

func (o Options) drops(name string) bool {
	for _, d := range o.Drop {
		if strings.EqualFold(d, name) {
			return true
		}
	}
	return false
}

// removed are the fields dropped before redistribution (lower case);
// every List-* field is dropped too.
var removed = map[string]bool{
	"approved": true, "approve": true, "return-receipt-to": true,
	"disposition-notification-to": true, "x-confirm-reading-to": true,
	"archived-at": true, "precedence": true, "sender": true, "x-loop": true,
	"reply-to": true, "x-original-from": true,
}

// ErrDMARC wraps a failed DMARC lookup: a temporary condition, the
// message should be rewritten again later rather than sent unprotected.
var ErrDMARC = errors.New("rewrite: DMARC lookup failed")

// ErrNoHeader is returned for input that has no header block at all.
var ErrNoHeader = errors.New("rewrite: message has no header")

// Split parses the header of raw leniently and returns it with the offset
// of the body: raw[:off] is the header block including the blank line
// that ends it, raw[off:] the body.
func Split(raw []byte) (textproto.Header, int, error) {
	r := bytes.NewReader(raw)
	br := bufio.NewReader(r)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return textproto.Header{}, 0, fmt.Errorf("rewrite: read header: %w", err)
	}
	off := len(raw) - br.Buffered() - r.Len()
	if h.Len() == 0 {
		return h, off, ErrNoHeader
	}
	return h, off, nil
}

// field is one header field as raw bytes, continuation lines included.
type field struct {
	name string // lower case
	raw  []byte // "Name: value\r\n" as received, folded lines included
}

// value returns the field's value, unfolded, without the name and colon.
func (f field) value() string {
	_, v, _ := bytes.Cut(f.raw, []byte(":"))
	s := strings.NewReplacer("\r\n", "", "\n", "", "\r", "").Replace(string(v))
	return strings.TrimSpace(s)
}

// fields cuts a header block (without its final blank line) into fields,
// each line ending with CRLF.
// Lines that are neither a field nor a continuation are kept as their
// own pseudo-field so that nothing is lost.
func fields(block []byte) []field {
	var out []field
	for len(block) > 0 {
		end := bytes.IndexByte(block, '\n')
		if end < 0 {
			end = len(block) - 1
		}
		line := crlf(block[:end+1])
		block = block[end+1:]
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 {
			out[len(out)-1].raw = append(out[len(out)-1].raw, line...)
			continue
		}
		name, _, _ := bytes.Cut(line, []byte(":"))
		out = append(out, field{name: strings.ToLower(strings.TrimSpace(string(name))), raw: line})
	}
	return out
}

// crlf returns a copy of line ending with CRLF: SMTP sends CRLF anyway,
// and one style of line ending keeps the block well-formed.
func crlf(line []byte) []byte {
	body := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	out := make([]byte, len(body), len(body)+2)
	copy(out, body)
	return append(out, '\r', '\n')
}

// Header returns the header block to distribute raw with, ending with the
// blank line, and the offset of raw's body, which is sent unchanged after it.
func Header(ctx context.Context, raw []byte, o Options) ([]byte, int, error) {
	h, off, err := Split(raw)
	if err != nil {
		return nil, 0, err
	}
	block := raw[:off]
	block = bytes.TrimSuffix(block, []byte("\n"))
	block = bytes.TrimSuffix(block, []byte("\r"))
	fs := fields(block)

	var out bytes.Buffer
	out.Grow(off + 1024)
	WriteListFields(&out, o)
	for _, e := range o.Extra {
		out.WriteString(Fold(e))
		out.WriteString("\r\n")
	}

	rewriteFrom, err := mustRewriteFrom(ctx, h, o)
	if err != nil {
		return nil, 0, err
	}
	author := ""
	if rewriteFrom {
		author = strings.TrimSpace(h.Get("From"))
	}
	sawSubject, sawCc := false, false
	for _, f := range fs {
		switch {
		case removed[f.name] || strings.HasPrefix(f.name, "list-") || o.drops(f.name):
			continue
		case f.name == "subject":
			if sawSubject {
				continue // a second Subject would get a second prefix
			}
			sawSubject = true
			writeSubject(&out, subjectValue(f, o))
		case f.name == "from" && rewriteFrom:
			writeRewrittenFrom(&out, f, o.List)
		case f.name == "cc" && rewriteFrom && !sawCc:
			sawCc = true // the author joins the existing Cc
			if cc := Fold("Cc: " + f.value() + ", " + author); Fits(cc) {
				out.WriteString(cc + "\r\n")
			} else {
				out.Write(f.raw) // the author's own field, unfoldable: kept as it came
			}
		default:
			out.Write(f.raw)
		}
	}
	if rewriteFrom && !sawCc && author != "" {
		if cc := Fold("Cc: " + author); Fits(cc) {
			out.WriteString(cc + "\r\n")
		}
	}
	if !sawSubject {
		writeSubject(&out, subjectValue(field{name: "subject", raw: []byte("Subject: \r\n")}, o))
	}
	out.WriteString("\r\n")
	return out.Bytes(), off, nil
}

// ListFields returns the List-* block (plus Precedence, X-Loop and,
// unless o.NoReplyTo, Reply-To) that every message the list sends
// carries, notices and command replies included; each line ends with
// CRLF.
func ListFields(o Options) []byte {
	var b bytes.Buffer
	WriteListFields(&b, o)
	return b.Bytes()
}

// WriteListFields writes the block of ListFields to b.
func WriteListFields(b *bytes.Buffer, o Options) {
	l := o.List
	local, dom := l.LocalPart(), l.Domain()
	name := l.Name
	if name == "" {
		name = local
	}
	WriteField(b, "List-Id", Phrase(name)+" <"+local+"."+dom+">")
	fmt.Fprintf(b, "List-Post: <mailto:%s>\r\n", l.Address)
	request := listaddr.Of(l.Address, listaddr.Request)
	fmt.Fprintf(b, "List-Help: <mailto:%s?subject=help>\r\n", request)
	fmt.Fprintf(b, "List-Subscribe: <mailto:%s?subject=subscribe>\r\n", request)
	if !o.NoUnsubscribe {
		b.Write(UnsubscribeFields(l, o.UnsubscribeURL))
	}
	if l.ArchiveURL != "" {
		fmt.Fprintf(b, "List-Archive: <%s>\r\n", l.ArchiveURL)
	}
	b.WriteString("Precedence: list\r\n")
	fmt.Fprintf(b, "X-Loop: %s\r\n", l.Address)
	if !o.NoReplyTo {
		fmt.Fprintf(b, "Reply-To: %s\r\n", l.Address)
	}
}

// UnsubscribeFields returns the List-Unsubscribe field of list l (and
// List-Unsubscribe-Post when url, a one-click URL, is set), CRLF-ended.
func UnsubscribeFields(l List, url string) []byte {
	request := listaddr.Of(l.Address, listaddr.Request)
	if url == "" {
		return fmt.Appendf(nil, "List-Unsubscribe: <mailto:%s?subject=unsubscribe>\r\n", request)
	}
	return fmt.Appendf(nil, "List-Unsubscribe: <%s>,\r\n <mailto:%s?subject=unsubscribe>\r\n"+
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", url, request)
}

// quotedPair escapes a quoted-string's backslashes and quotes.
var quotedPair = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// charsetReader decodes the charsets mail uses in the wild (ISO-8859-*,
// windows-125x, …) for mime.WordDecoder.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	return charset.Reader(label, input)
}

// subjectValue returns the Subject value to send: the replacement when
// one is given, else the original raw value with the list prefix added
// unless the decoded subject already carries it.
func subjectValue(f field, o Options) string {
	if o.Subject != "" {
		return o.Subject
	}
	v := f.value()
	if o.List.NoPrefix || HasPrefix(DecodeHeader(v), o.List.LocalPart()) {
		return v
	}
	if v == "" {
		return o.List.Prefix()
	}
	return o.List.Prefix() + " " + v
}

// writeSubject writes the Subject field with value v (as it must
// appear), folded; a value with a word too long for a line is decoded
// and written again as encoded words.
func writeSubject(b *bytes.Buffer, v string) {
	f := Fold("Subject: " + v)
	if !Fits(f) {
		f = Fold("Subject: " + encodeWords(DecodeHeader(v)))
	}
	b.WriteString(f)
	b.WriteString("\r\n")
}

// HasPrefix reports whether a decoded subject already carries the list's
// tag: "[name]" or "[name #N]"-like forms, anywhere (replies put it after
// "Re:").
func HasPrefix(subject, name string) bool {
	s := strings.ToLower(subject)
	tag := "[" + strings.ToLower(name)
	for i := strings.Index(s, tag); i >= 0; {
		rest := s[i+len(tag):]
		if strings.HasPrefix(rest, "]") || strings.HasPrefix(rest, " ") {
			return true
		}
		j := strings.Index(rest, tag)
		if j < 0 {
			break
		}
		i += len(tag) + j
	}
	return false
}

// ParseAddress parses one address of a header, decoding an RFC 2047
// display name in any charset mail uses.
func ParseAddress(v string) (*mail.Address, error) {
	return (&mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: charsetReader}}).Parse(v)
}

// DecodeHeader decodes the RFC 2047 words of a header value as far as
// possible; undecodable words are left as they are.
func DecodeHeader(v string) string {
	dec := mime.WordDecoder{CharsetReader: charsetReader}
	if s, err := dec.DecodeHeader(v); err == nil {
		return s
	}
	return v
}

// mustRewriteFrom applies the list's from_rewrite mode to this message.
func mustRewriteFrom(ctx context.Context, h textproto.Header, o Options) (bool, error) {
	switch o.List.FromRewrite {
	case "always":
		return true, nil
	case "never":
		return false, nil
	}
	if o.DMARC == nil {
		return false, nil
	}
	a, err := mail.ParseAddress(h.Get("From"))
	if err != nil {
		return false, nil // unreadable From: nothing to protect
	}
	_, dom, _ := strings.Cut(a.Address, "@")
	p, err := o.DMARC(ctx, strings.ToLower(dom))
	if err != nil {
		return false, fmt.Errorf("%w for %s: %w", ErrDMARC, dom, err)
	}
	return p == "quarantine" || p == "reject", nil
}

// writeRewrittenFrom replaces From with `"Alice via Name" <list>` and keeps the original in X-Original-From.
func writeRewrittenFrom(b *bytes.Buffer, f field, l List) {
	orig := f.value()
	display := ""
	addr := orig
	if a, err := ParseAddress(orig); err == nil {
		display, addr = a.Name, a.Address
	}
	if display == "" {
		display, _, _ = strings.Cut(addr, "@")
	}
	name := l.Name
	if name == "" {
		name = l.LocalPart()
	}
	WriteField(b, "From", Phrase(display+" via "+name)+" <"+l.Address+">")
	if f := Fold("X-Original-From: " + orig); Fits(f) {
		b.WriteString(f + "\r\n")
	} else if addr != "" && len(addr) <= MaxWord {
		b.WriteString("X-Original-From: " + addr + "\r\n") // a display name too long to fold is left out
	}
}

// Loop returns why a message must never be redistributed nor answered by
// list l — a bounce, an auto-reply, or mail that already went through the
// list — or "" when it may go on. envFrom is the envelope sender.
func Loop(h textproto.Header, envFrom string, l List) string {
	if strings.TrimSpace(envFrom) == "" {
		return "bounce: empty envelope sender"
	}
	local, _, _ := strings.Cut(strings.ToLower(envFrom), "@")
	if local == "mailer-daemon" || local == "postmaster" {
		return "bounce: sent by " + envFrom
	}
	listID := strings.ToLower("<" + l.LocalPart() + "." + l.Domain() + ">")
	for _, v := range h.Values("List-Id") {
		if strings.Contains(strings.ToLower(v), listID) {
			return "loop: the message carries this list's List-Id"
		}
	}
	for _, v := range h.Values("X-Loop") {
		if strings.EqualFold(strings.TrimSpace(v), l.Address) {
			return "loop: the message carries this list's X-Loop"
		}
	}
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return "auto-reply: Auto-Submitted: " + v
	}
	switch p := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); p {
	case "bulk", "junk", "list":
		return "auto-reply: Precedence: " + p
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond"} {
		if h.Has(k) {
			return "auto-reply: " + k
		}
	}
	return ""
}
