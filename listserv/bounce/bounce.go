// Package bounce reads the mail that comes back to a list's bounce address
// (NAME-bounces…@DOMAIN) and says whether it is a delivery report, which
// recipient addresses failed, and why. It also builds and decodes the VERP
// envelope senders (NAME-bounces+alice=example.org+TAG@DOMAIN) that let a
// bounce name the member it is about even when the report itself is
// unreadable, and whose keyed tag tells a report about mail the list sent
// from a forged one (verp.go).
//
// The package owns the recognition of delivery reports: RFC 3464
// multipart/report DSNs (Postfix, Exim 4.9x, Microsoft Exchange and
// Office 365, Gmail) and the older plain-text formats (Exim, qmail,
// Sendmail-like "could not be delivered" notices), and the classification
// of each failure as Hard, Soft or Content. What to do about a failure
// (scores, disabling a member, telling the owners) is the caller's
// business.
//
// Files by job: bounce.go walks the message, dsn.go reads RFC 3464
// delivery-status parts, text.go the plain-text reports, classify.go
// says whose problem a failure is, verp.go builds and checks addresses.
//
// The package is pure: it keeps no state and does no I/O (the key of the
// tags is the caller's). Parse never panics and bounds its work on
// hostile input (at most 100 MIME parts and 1 MB of decoded text are
// read).
package bounce

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"strings"
	"unicode"

	"github.com/emersion/go-message"
	// Registers the charsets go-message needs to decode non-UTF-8 parts.
	_ "github.com/emersion/go-message/charset"
)

// Kind says whose problem a delivery failure is.
type Kind string

const (
	// Hard means the address does not work: unknown user or domain
	// (5.1.x), disabled mailbox (5.2.1), bad mailbox (5.5.x), routing
	// failures (5.4.1, 5.4.4), or a permanent failure with no better
	// explanation.
	Hard Kind = "hard"
	// Soft means a temporary problem: any 4.x.x status (including
	// a message given up on after retrying), a full mailbox (5.2.2, or
	// text such as "over quota"), a remote system in trouble (5.3.x,
	// 5.4.x other than 5.4.1 and 5.4.4).
	Soft Kind = "soft"
	// Content means the receiving server refused what we sent, not the
	// address: spam, policy, DMARC/DKIM/SPF, virus or reputation refusals
	// (any x.7.x status, or such words in the server's text), media
	// errors (x.6.x), messages too large (x.2.3, x.3.4) and refused
	// senders (x.1.7, x.1.8). A Content failure must never count against
	// the member. When the status and the text disagree, Content wins.
	Content Kind = "content"
)

// Failure is one recipient a delivery report says could not be reached.
type Failure struct {
	// Recipient is the failed address in lower case, "" when the report
	// does not say. For a DSN it is the Final-Recipient (the
	// Original-Recipient when there is none).
	Recipient string
	// Status is the RFC 3463 enhanced status code ("5.1.1"), "" when
	// unknown. A generic x.0.0 Status field is replaced by the more
	// precise code the remote server gave in its diagnostic, if any.
	Status string
	// Diagnostic is the remote server's text on one line, at most 300
	// bytes ("550 5.1.1 <bob@example.org>: User unknown").
	Diagnostic string
	// Kind classifies the failure; see Hard, Soft and Content.
	Kind Kind
}

// Report is what Parse makes of a message received at a bounce address.
type Report struct {
	// IsBounce is false for mail that is not a delivery report (an
	// auto-reply, a human answer). A DSN that only reports successful
	// deliveries is a delivery report with no failures.
	IsBounce bool
	// Failures lists the recipients that could not be reached, each
	// at most once, at most 1000 of them.
	Failures []Failure
	// Delayed is true for "delivery delayed" warnings (Action: delayed),
	// which are not failures.
	Delayed bool
}

// Limits on the work Parse does.
const (
	maxParts      = 100     // MIME parts visited
	maxText       = 1 << 20 // bytes of decoded part bodies read
	maxDSNBlocks  = 1000    // header blocks read from one delivery-status part
	maxDiagnostic = 300     // bytes of Failure.Diagnostic
	maxAddress    = 320     // bytes of an address
	maxFailures   = 1000    // failures in a Report
)

var (
	// errStop ends the walk over the parts once a limit is reached.
	errStop = errors.New("limit reached")
	// errInternal marks a recovered panic, which is a bug in this package
	// or in go-message.
	errInternal = errors.New("internal error")
)

// Parse reads a raw message received at a bounce address. It returns an
// error only when the message cannot be read at all (a malformed header,
// or a malformed body in which no delivery report was found).
func Parse(raw []byte) (rep Report, err error) {
	defer func() {
		if r := recover(); r != nil {
			rep, err = Report{}, fmt.Errorf("bounce: parse: %w: %v", errInternal, r)
		}
	}()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !decodeError(err) {
		return Report{}, fmt.Errorf("bounce: read header: %w", err)
	}
	p := &parser{budget: maxText}
	walkErr := e.Walk(p.visit)
	if errors.Is(walkErr, errStop) {
		walkErr = nil
	}
	rep = p.report(&e.Header)
	if walkErr != nil && !rep.IsBounce {
		return Report{}, fmt.Errorf("bounce: read body: %w", walkErr)
	}
	return rep, nil
}

// decodeError reports whether err only says a part's charset or transfer
// encoding is unknown, in which case go-message still returns the part.
func decodeError(err error) bool {
	return message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)
}

// parser collects what the walk over a message's parts finds.
type parser struct {
	budget int // bytes of part bodies still allowed
	parts  int // parts visited

	sawDSN bool     // a delivery-status part was found
	recips []fields // its per-recipient blocks

	plain []byte // the first text/plain part that is not a DSN
	html  []byte // the first text/html part
}

// visit is the message.WalkFunc of Parse.
func (p *parser) visit(_ []int, e *message.Entity, err error) error {
	if err != nil && !decodeError(err) {
		return err
	}
	if e == nil {
		return nil
	}
	p.parts++
	if p.parts > maxParts {
		return errStop
	}
	switch mt := mediaType(&e.Header); {
	case strings.HasPrefix(mt, "multipart/"):
		return nil
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		p.sawDSN = true
		p.recips = append(p.recips, parseDSN(p.read(e))...)
	case mt == "text/plain":
		b := p.read(e)
		if looksLikeDSN(b) {
			p.sawDSN = true
			p.recips = append(p.recips, parseDSN(b)...)
		} else if p.plain == nil {
			p.plain = b
		}
	case mt == "text/html":
		if p.html == nil {
			p.html = p.read(e)
		}
	}
	if p.budget <= 0 {
		return errStop
	}
	return nil
}

// read reads a part's decoded body within the budget. A body that cannot
// be decoded to the end is used as far as it could be.
func (p *parser) read(e *message.Entity) []byte {
	if p.budget <= 0 {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(e.Body, int64(p.budget)))
	p.budget -= len(b)
	if b == nil {
		b = []byte{}
	}
	return b
}

// mediaType is the lower-case media type of a part, text/plain when the
// header has none.
func mediaType(h *message.Header) string {
	mt, _, err := h.ContentType()
	if err != nil {
		mt, _, _ = strings.Cut(h.Get("Content-Type"), ";")
	}
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt == "" {
		return "text/plain"
	}
	return mt
}

// report turns what the walk found into a Report.
func (p *parser) report(h *message.Header) Report {
	var rep Report
	var failures failureList
	if p.sawDSN {
		rep.IsBounce = true
		for _, f := range p.recips {
			fl, action := dsnFailure(f)
			switch action {
			case actionFailed:
				failures.add(fl)
			case actionDelayed:
				rep.Delayed = true
			}
		}
		if len(p.recips) > 0 {
			rep.Failures = failures.list
			return rep
		}
		// A delivery-status part without a readable recipient block:
		// fall back on the human-readable part.
	}
	text := p.text()
	subject, _ := h.Text("Subject")
	from := strings.ToLower(h.Get("From"))
	if !p.sawDSN && !plainBounce(h, text, subject, from) {
		return Report{}
	}
	rep.IsBounce = true
	if textDelayed(text, subject) {
		rep.Delayed = true
		return rep
	}
	for _, fl := range textFailures(text) {
		failures.add(fl)
	}
	rep.Failures = failures.list
	return rep
}

// failureList collects failures, each recipient once, up to maxFailures.
type failureList struct {
	list []Failure
	seen map[string]bool
}

// add adds fl unless its recipient is already listed or the list is full.
func (l *failureList) add(fl Failure) {
	if l.seen[fl.Recipient] || len(l.list) >= maxFailures {
		return
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[fl.Recipient] = true
	l.list = append(l.list, fl)
}

// text is the human-readable explanation of the message: its first
// text/plain part, or its first text/html part reduced to text; the
// returned original message and quoted lines are cut off.
func (p *parser) text() string {
	var s string
	switch {
	case p.plain != nil:
		s = string(p.plain)
	case p.html != nil:
		s = htmlText(string(p.html))
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for line := range strings.Lines(s) {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, ">") {
			continue // quoted by a human
		}
		if originalMarker(t) {
			break
		}
		b.WriteString(strings.TrimRightFunc(line, unicode.IsSpace))
		b.WriteByte('\n')
	}
	return b.String()
}

// originalMarker reports whether a (trimmed) line announces the copy of
// the original message that bounces carry after their explanation.
func originalMarker(t string) bool {
	if !strings.HasPrefix(t, "---") {
		return strings.EqualFold(t, "Original message headers:")
	}
	l := strings.ToLower(t)
	for _, m := range []string{"copy of", "original", "below this line", "returned message", "undelivered message", "message headers"} {
		if strings.Contains(l, m) {
			return true
		}
	}
	return false
}

var (
	htmlDropRE  = regexp.MustCompile(`(?is)<(style|script|head)\b.*?</(style|script|head)\s*>`)
	htmlBreakRE = regexp.MustCompile(`(?i)<(br|/p|/div|/tr|/li|/h[1-6]|/table)\b[^>]*>`)
	htmlTagRE   = regexp.MustCompile(`<[^>]*>`)
)

// htmlText reduces an HTML part to plain text, well enough to look for
// the phrases a bounce is recognised by.
func htmlText(s string) string {
	s = htmlDropRE.ReplaceAllString(s, " ")
	s = htmlBreakRE.ReplaceAllString(s, "\n")
	s = htmlTagRE.ReplaceAllString(s, " ")
	return html.UnescapeString(s)
}
