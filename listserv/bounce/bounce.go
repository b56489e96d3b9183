// Package bounce reads the mail that comes back to a list's bounce address
// (NAME-bounces…@DOMAIN) and says whether it is a delivery report, which
// recipient addresses failed, and why. It also builds and decodes the VERP
// envelope senders (NAME-bounces+alice=example.org@DOMAIN) that let a
// bounce name the member it is about even when the report itself is
// unreadable.
//
// The package owns the recognition of delivery reports: RFC 3464
// multipart/report DSNs (Postfix, Exim 4.9x, Microsoft Exchange and
// Office 365, Gmail) and the older plain-text formats (Exim, qmail,
// Sendmail-like "could not be delivered" notices), and the classification
// of each failure as Hard, Soft or Content. What to do about a failure
// (scores, disabling a member, telling the owners) is the caller's
// business.
//
// The package is pure: it keeps no state and does no I/O. Parse never
// panics and bounds its work on hostile input (at most 100 MIME parts and
// 1 MB of decoded text are read).
package bounce

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	// Registers the charsets go-message needs to decode non-UTF-8 parts.
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"
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

// fields is a header block of a delivery-status part: lower-case field
// name → first value.
type fields map[string]string

// recipient reports whether the block is a per-recipient block.
func (f fields) recipient() bool {
	_, fr := f["final-recipient"]
	_, or := f["original-recipient"]
	_, ac := f["action"]
	return fr || or || ac
}

// looksLikeDSN reports whether a text/plain part is really a
// delivery-status part mislabelled by the MTA that sent it.
func looksLikeDSN(b []byte) bool {
	head := bytes.ToLower(bytes.TrimLeft(b[:min(len(b), 4096)], " \t\r\n"))
	for _, p := range []string{"reporting-mta:", "final-recipient:", "original-envelope-id:", "received-from-mta:", "dsn-gateway:"} {
		if bytes.HasPrefix(head, []byte(p)) {
			return bytes.Contains(head, []byte("final-recipient:")) || bytes.Contains(head, []byte("original-recipient:"))
		}
	}
	return false
}

// parseDSN reads the body of a message/delivery-status part: a
// per-message header block followed by per-recipient header blocks,
// separated by blank lines (RFC 3464 section 2.1). It returns the
// per-recipient blocks. A malformed line ends its block; the fields after
// it are merged back into the block they belong to.
func parseDSN(b []byte) []fields {
	b = normalizeBlankLines(b)
	rd := bytes.NewReader(b)
	br := bufio.NewReader(rd)
	pos := func() int { return len(b) - rd.Len() - br.Buffered() }
	var out []fields
	broken := false
	for range maxDSNBlocks {
		for {
			c, err := br.Peek(1)
			if err != nil || c[0] != '\n' {
				break
			}
			br.ReadByte()
		}
		if _, err := br.Peek(1); err != nil {
			break
		}
		start := pos()
		h, err := textproto.ReadHeader(br)
		f := fields{}
		for fs := h.Fields(); fs.Next(); {
			k := strings.ToLower(fs.Key())
			if _, ok := f[k]; !ok {
				f[k] = fs.Value()
			}
		}
		switch {
		case broken && len(out) > 0 && !f.recipient():
			last := out[len(out)-1]
			for k, v := range f {
				if _, ok := last[k]; !ok {
					last[k] = v
				}
			}
		case f.recipient():
			out = append(out, f)
		}
		broken = err != nil
		if pos() == start {
			break
		}
	}
	return out
}

// normalizeBlankLines turns CRLF into LF and whitespace-only lines into
// empty ones, so that blank lines separate header blocks whatever the MTA
// put in them.
func normalizeBlankLines(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	var out bytes.Buffer
	out.Grow(len(b) + 1)
	for line := range bytes.Lines(b) {
		if len(bytes.TrimSpace(line)) == 0 {
			out.WriteByte('\n')
			continue
		}
		out.Write(line)
	}
	return out.Bytes()
}

type action int

const (
	actionOther action = iota // delivered, relayed, expanded, unknown
	actionFailed
	actionDelayed
)

// dsnFailure reads a per-recipient block.
func dsnFailure(f fields) (Failure, action) {
	fl := Failure{
		Recipient:  address(f["final-recipient"]),
		Status:     findStatus(f["status"]),
		Diagnostic: cleanDiagnostic(stripType(f["diagnostic-code"])),
	}
	if fl.Recipient == "" {
		fl.Recipient = address(f["original-recipient"])
	}
	if ds := diagnosticStatus(fl.Diagnostic); ds != "" && (fl.Status == "" || strings.HasSuffix(fl.Status, ".0.0")) {
		fl.Status = ds
	}
	act := actionOther
	a := strings.ToLower(strings.TrimSpace(f["action"]))
	switch {
	case strings.HasPrefix(a, "fail"):
		act = actionFailed
	case strings.HasPrefix(a, "delay"):
		act = actionDelayed
	case a == "":
		// No Action field, against RFC 3464: go by the status.
		switch {
		case strings.HasPrefix(fl.Status, "5."):
			act = actionFailed
		case strings.HasPrefix(fl.Status, "4."):
			act = actionDelayed
		case fl.Status == "" && strings.HasPrefix(smtpCode(fl.Diagnostic), "5"):
			act = actionFailed
		}
	}
	fl.Kind = classify(fl.Status, fl.Diagnostic)
	return fl, act
}

// stripType removes the type from a typed DSN field ("smtp; 550 …",
// "rfc822; bob@example.org").
func stripType(v string) string {
	t, rest, ok := strings.Cut(v, ";")
	if !ok || len(t) > 32 {
		return v
	}
	for _, c := range strings.TrimSpace(t) {
		if !(c == '-' || c == '_' || c == '.' || unicode.IsLetter(c) || unicode.IsDigit(c)) {
			return v
		}
	}
	return rest
}

// address extracts a lower-case address from a recipient field, "" when
// there is none.
func address(v string) string {
	s := strings.TrimSpace(stripType(v))
	if strings.HasPrefix(s, "<") {
		s, _, _ = strings.Cut(s[1:], ">")
	}
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, ".,;:>")
	return checkAddress(s)
}

// checkAddress returns s in lower case if it looks like an address, ""
// otherwise.
func checkAddress(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > maxAddress || !utf8.ValidString(s) {
		return ""
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ';' || unicode.IsSpace(c) || unicode.IsControl(c) {
			return ""
		}
	}
	return strings.ToLower(s)
}

// cleanDiagnostic puts a server's text on one trimmed line of at most
// maxDiagnostic bytes, dropping the repeated reply codes of a multi-line
// SMTP reply ("550-5.1.1 a 550-5.1.1 b 550 5.1.1 c" → "550 5.1.1 a b c").
func cleanDiagnostic(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if m := replyRE.FindStringSubmatch(s); m != nil {
		code, enh := m[1], m[2]
		rest := s[len(m[0]):]
		rest = " " + rest
		for _, sep := range []string{"-", " "} {
			pat := " " + code + sep
			if enh != "" {
				pat += enh + " "
			}
			rest = strings.ReplaceAll(rest, pat, " ")
		}
		s = strings.Join(strings.Fields(code+" "+enh+" "+rest), " ")
	}
	if len(s) > maxDiagnostic {
		n := maxDiagnostic
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = strings.TrimSpace(s[:n])
	}
	return s
}

var (
	// replyRE matches an SMTP reply code at the start of a diagnostic,
	// with its enhanced status code if any.
	replyRE = regexp.MustCompile(`^([245][0-9][0-9])[ -](?:([245]\.[0-9]{1,3}\.[0-9]{1,3}) )?`)
	// codeRE finds an SMTP reply code in running text.
	codeRE = regexp.MustCompile(`(?:^|[\s:;(\[])([45][0-9][0-9])(?:[ -]|$)`)
	// enhancedAfterCodeRE finds an enhanced status code right after a
	// reply code.
	enhancedAfterCodeRE = regexp.MustCompile(`(?:^|[^0-9.])[245][0-9][0-9][ -]([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:[^0-9.]|\.(?:[^0-9]|$)|$)`)
)

// smtpCode is the first SMTP reply code in s, "" if none.
func smtpCode(s string) string {
	if m := codeRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// diagnosticStatus is the enhanced status code a diagnostic gives,
// preferring one that follows a reply code.
func diagnosticStatus(s string) string {
	if m := enhancedAfterCodeRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return findStatus(s)
}

// findStatus finds an enhanced status code (class.subject.detail, class
// 2, 4 or 5, up to three digits each) in s that is not part of a longer
// dotted number such as an IP address.
func findStatus(s string) string {
	digits := func(i int) int { // end of the run of up to 3 digits at i
		j := i
		for j < len(s) && j-i < 3 && isDigit(s[j]) {
			j++
		}
		return j
	}
	for i := 0; i+4 < len(s); i++ {
		if c := s[i]; c != '2' && c != '4' && c != '5' {
			continue
		}
		if i > 0 && (isDigit(s[i-1]) || s[i-1] == '.') {
			continue
		}
		if s[i+1] != '.' {
			continue
		}
		j := digits(i + 2)
		if j == i+2 || j >= len(s) || s[j] != '.' {
			continue
		}
		k := digits(j + 1)
		if k == j+1 {
			continue
		}
		if k < len(s) && (isDigit(s[k]) || s[k] == '.' && k+1 < len(s) && isDigit(s[k+1])) {
			continue
		}
		return s[i:k]
	}
	return ""
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

var (
	// contentRE finds the words by which a server says it refused the
	// message rather than the address.
	contentRE = regexp.MustCompile(`(?i)spam|junk|unsolicited|\b(?:black|block|deny)\s?list|blocked|\bpolic(?:y|ies)\b|dmarc|\bdkim\b|\bspf\b|virus|malware|phish|reputation|\bcontent\b|\b(?:rbl|dnsbl)\b|banned|message (?:is )?too (?:large|big)|message size exceeds|message exceeds (?:the )?(?:maximum|fixed)`)
	// mailboxFullRE finds the words by which a server says a mailbox is
	// full.
	mailboxFullRE = regexp.MustCompile(`(?i)mailbox (?:is )?full|over ?quota|quota exceeded|exceeded (?:its |the )?(?:storage|quota)|insufficient (?:system )?storage|storage allocation|mailbox size limit`)
	// addressRE finds addresses, which are removed before looking for
	// words: "spam-trap@…" or "junk@…" says nothing about the refusal.
	addressRE = regexp.MustCompile(`\S+@\S+`)
)

// classify says whose problem a failure is from its enhanced status code
// and the server's text.
func classify(status, diag string) Kind {
	cls, subj, det := splitStatus(status)
	if subj == "7" || subj == "6" || subj+"."+det == "2.3" || subj+"."+det == "3.4" || subj+"."+det == "1.7" || subj+"."+det == "1.8" {
		return Content
	}
	if contentRE.MatchString(addressRE.ReplaceAllString(diag, " ")) {
		return Content
	}
	switch {
	case cls == "4":
		return Soft
	case cls == "5" && subj != "0":
		switch subj {
		case "2":
			if det == "2" {
				return Soft
			}
			return Hard
		case "3":
			return Soft
		case "4":
			if det == "1" || det == "4" {
				return Hard
			}
			return Soft
		default:
			return Hard
		}
	}
	if mailboxFullRE.MatchString(diag) {
		return Soft
	}
	if strings.HasPrefix(smtpCode(diag), "4") {
		return Soft
	}
	return Hard
}

// splitStatus splits "5.1.1" into "5", "1", "1".
func splitStatus(s string) (cls, subj, det string) {
	cls, rest, _ := strings.Cut(s, ".")
	subj, det, _ = strings.Cut(rest, ".")
	return cls, subj, det
}

// Phrases that identify the human-readable part of a delivery report
// (matched on lower-case text with single spaces).
var bounceMarkers = []string{
	"created automatically by mail delivery software", // Exim
	"this is the qmail-send program",                  // qmail
	"i wasn't able to deliver your message",           // qmail
	"this is the mail system at host",                 // Postfix
	"i'm sorry to have to inform you that your message could not",
	"could not be delivered to one or more",
	"address(es) failed",
	"has not yet been delivered to one or more",
	"delivery to the following recipient failed",
	"delivery to the following recipients failed",
	"delivery has failed to these recipients",
	"your message wasn't delivered",
	"your message couldn't be delivered",
	"your message could not be delivered",
	"your message was not delivered",
	"the following addresses had permanent fatal errors", // Sendmail
	"was undeliverable",
	"the email account that you tried to reach does not exist",
	"there was a temporary problem delivering your message",
	"message could not be delivered",
}

// Phrases of a subject that says a message could not be delivered.
var bounceSubjects = []string{
	"undelivered", "undeliverable", "delivery status notification",
	"delivery failure", "delivery failed", "failure notice", "returned mail",
	"non-delivery", "nondeliverable", "not delivered", "delivery notification",
	"delayed mail", "delivery delayed",
}

// Subject prefixes of replies and forwards written by people, and of
// auto-replies.
var (
	replyPrefixes     = []string{"re:", "aw:", "sv:", "fwd:", "fw:", "tr:", "wg:", "réf:"}
	autoReplyPrefixes = []string{"auto:", "automatic reply", "autoreply", "auto-reply", "out of office", "out of the office", "absence", "away from", "vacation", "réponse automatique", "abwesenheit", "automatische antwort", "respuesta automática", "risposta automatica"}
)

// plainBounce reports whether a message without a delivery-status part is
// a delivery report all the same, from its text and header.
func plainBounce(h *message.Header, text, subject, from string) bool {
	daemon := strings.Contains(from, "mailer-daemon") || strings.Contains(from, "postmaster") || strings.Contains(from, "mail delivery")
	subj := strings.ToLower(strings.TrimSpace(subject))
	if !daemon {
		for _, p := range replyPrefixes {
			if strings.HasPrefix(subj, p) {
				return false
			}
		}
		if autoReply(h, subj) {
			return false
		}
	}
	t := strings.Join(strings.Fields(strings.ToLower(text)), " ")
	for _, m := range bounceMarkers {
		if strings.Contains(t, m) {
			return true
		}
	}
	if daemon {
		for _, m := range bounceSubjects {
			if strings.Contains(subj, m) {
				return true
			}
		}
	}
	return false
}

// autoReply reports whether the header is that of an auto-reply (a
// vacation notice, an "out of office").
func autoReply(h *message.Header, subj string) bool {
	if h.Has("X-Autoreply") || h.Has("X-Autorespond") || h.Has("X-Vacation") {
		return true
	}
	if strings.EqualFold(strings.TrimSpace(h.Get("Precedence")), "auto_reply") {
		return true
	}
	for _, p := range autoReplyPrefixes {
		if strings.HasPrefix(subj, p) {
			return true
		}
	}
	return false
}

// Phrases of a warning that delivery is only delayed.
var delayedMarkers = []string{
	"this is a warning only",
	"has not yet been delivered",
	"delivery has been delayed",
	"delivery is delayed",
	"delivery incomplete",
	"there was a temporary problem delivering your message",
	"still being retried",
	"will be retried",
	"delivery attempts will continue",
	"will continue to try",
}

// textDelayed reports whether a plain-text delivery report is only a
// warning that delivery is delayed.
func textDelayed(text, subject string) bool {
	subj := strings.ToLower(subject)
	if strings.Contains(subj, "delayed") || strings.Contains(subj, "(delay)") || strings.HasPrefix(subj, "warning:") {
		return true
	}
	t := strings.Join(strings.Fields(strings.ToLower(text)), " ")
	for _, m := range delayedMarkers {
		if strings.Contains(t, m) {
			return true
		}
	}
	return false
}

// textLine is a line of a plain-text report with its indentation.
type textLine struct {
	indent int
	text   string // trimmed
}

// textFailures reads the failures out of a plain-text report. Each
// paragraph that starts with an address ("  bob@example.org" for Exim,
// "<bob@example.org>:" for qmail and Postfix) describes the failure of
// that address. When there is no such paragraph, the report is taken to
// be about a single recipient, named in a sentence if at all.
func textFailures(text string) []Failure {
	var out []Failure
	var cur *Failure
	var curIndent int
	var details []textLine
	flush := func() {
		if cur != nil {
			cur.Diagnostic = detailDiagnostic(details, curIndent)
			cur.Status = diagnosticStatus(cur.Diagnostic)
			if cur.Status == "" {
				for _, d := range details {
					if s := findStatus(d.text); s != "" {
						cur.Status = s
						break
					}
				}
			}
			cur.Kind = classify(cur.Status, cur.Diagnostic)
			if len(out) < maxFailures {
				out = append(out, *cur)
			}
		}
		cur, details = nil, nil
	}
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\n")
		t := strings.TrimSpace(line)
		if t == "" {
			flush()
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		if cur == nil || indent <= curIndent {
			if addr, rest, ok := recipientLine(t); ok {
				flush()
				cur, curIndent = &Failure{Recipient: addr}, indent
				if rest != "" {
					details = append(details, textLine{indent, rest})
				}
				continue
			}
		}
		if cur != nil {
			details = append(details, textLine{indent, t})
		}
	}
	flush()
	if len(out) > 0 {
		return out
	}

	// No paragraph names a recipient: take the first reply code in the
	// text for the diagnostic.
	var lines []textLine
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\n")
		lines = append(lines, textLine{len(line) - len(strings.TrimLeft(line, " \t")), strings.TrimSpace(line)})
	}
	fl := Failure{}
	if i := codeLine(lines); i >= 0 {
		fl.Diagnostic = detailDiagnostic(lines[i:], lines[i].indent)
	}
	fl.Status = diagnosticStatus(fl.Diagnostic)
	if m := sentenceRecipientRE.FindStringSubmatch(strings.Join(strings.Fields(text), " ")); m != nil {
		fl.Recipient = checkAddress(strings.TrimRight(m[1], ".,;:"))
	}
	fl.Kind = classify(fl.Status, fl.Diagnostic)
	return []Failure{fl}
}

// sentenceRecipientRE finds the recipient named in a sentence such as
// "Your message wasn't delivered to bob@example.org because…".
var sentenceRecipientRE = regexp.MustCompile(`(?i)(?:delivered to|message to|deliver your message to|delivering your message to|failed permanently:)\s+<?([^\s<>@]+@[^\s<>]+?)>?(?:[\s,;:]|\.(?:\s|$)|$)`)

// codeLine is the index of the first line holding an SMTP reply code,
// -1 if there is none.
func codeLine(lines []textLine) int {
	for i, l := range lines {
		if smtpCode(l.text) != "" {
			return i
		}
	}
	return -1
}

// recipientLine reports whether a trimmed line starts a failure
// paragraph: an address alone ("bob@example.org", "<bob@example.org>",
// maybe followed by a parenthesised remark) or an address followed by a
// colon and the reason ("<bob@example.org>: host … said: 550 …").
func recipientLine(t string) (addr, rest string, ok bool) {
	var a string
	if strings.HasPrefix(t, "<") {
		end := strings.IndexByte(t, '>')
		if end < 0 {
			return "", "", false
		}
		a, rest = t[1:end], t[end+1:]
	} else {
		a, rest, _ = strings.Cut(t, " ")
		if strings.HasSuffix(a, ":") {
			a, rest = strings.TrimSuffix(a, ":"), ":"+rest
		}
	}
	rest = strings.TrimSpace(rest)
	switch {
	case strings.HasPrefix(rest, ":"):
		rest = strings.TrimSpace(rest[1:])
	case rest == "", strings.HasPrefix(rest, "("):
		rest = ""
	default:
		return "", "", false // a sentence that starts with an address
	}
	addr = checkAddress(a)
	return addr, rest, addr != ""
}

// detailDiagnostic picks the server's reply out of the lines describing a
// failure, whose paragraph starts at indentation base: from the first SMTP
// reply code on, with the lines that continue it (indented more than
// base, or repeating the code of a multi-line reply) up to a blank line;
// all the lines when none has a code.
func detailDiagnostic(lines []textLine, base int) string {
	if len(lines) == 0 {
		return ""
	}
	for i, l := range lines {
		loc := codeRE.FindStringSubmatchIndex(l.text)
		if loc == nil {
			continue
		}
		code := l.text[loc[2]:loc[3]]
		parts := []string{l.text[loc[2]:]}
		for _, next := range lines[i+1:] {
			if next.text == "" || next.indent <= base && !strings.HasPrefix(next.text, code) || len(parts) > 50 {
				break
			}
			parts = append(parts, next.text)
		}
		return cleanDiagnostic(strings.Join(parts, " "))
	}
	var parts []string
	for _, l := range lines[:min(len(lines), 20)] {
		parts = append(parts, l.text)
	}
	return cleanDiagnostic(strings.Join(parts, " "))
}

// VERPRecipient decodes the member address from a VERP local part: given
// "jardin-bounces+alice=example.org" and the list local part "jardin", it
// returns "alice@example.org", true. The last '=' separates the member's
// local part (which may itself hold '=' or '+') from its domain. The
// result is in lower case; ok is false when localPart is not a VERP bounce
// address of that list.
func VERPRecipient(localPart, listLocal string) (string, bool) {
	prefix := listLocal + "-bounces+"
	if listLocal == "" || len(localPart) <= len(prefix) || !strings.EqualFold(localPart[:len(prefix)], prefix) {
		return "", false
	}
	rest := localPart[len(prefix):]
	i := strings.LastIndexByte(rest, '=')
	if i <= 0 || i == len(rest)-1 {
		return "", false
	}
	local, domain := rest[:i], rest[i+1:]
	if !validLocal(local) || !validDomain(domain) {
		return "", false
	}
	return strings.ToLower(local + "@" + domain), true
}

// VERPAddress builds the envelope sender NAME-bounces+local=domain@DOMAIN
// under which list listAddress (NAME@DOMAIN) sends to member, in lower
// case. When member cannot be encoded (no domain, a quoted local part) it
// returns the plain NAME-bounces@DOMAIN; when listAddress is not an
// address it returns "".
func VERPAddress(listAddress, member string) string {
	list := normalize(listAddress)
	at := strings.LastIndexByte(list, '@')
	if at <= 0 || at == len(list)-1 {
		return ""
	}
	base, domain := list[:at]+"-bounces", list[at+1:]
	m := normalize(member)
	mat := strings.LastIndexByte(m, '@')
	if mat <= 0 || !validLocal(m[:mat]) || !validDomain(m[mat+1:]) {
		return base + "@" + domain
	}
	return base + "+" + m[:mat] + "=" + m[mat+1:] + "@" + domain
}

// normalize trims an address, drops its angle brackets and lowers its
// case, as the store does.
func normalize(a string) string {
	a = strings.TrimSpace(a)
	a = strings.TrimPrefix(a, "<")
	a = strings.TrimSuffix(a, ">")
	return strings.ToLower(a)
}

// validLocal reports whether s can be carried as the member part of a VERP
// local part: printable ASCII without '@', quotes, spaces or brackets.
func validLocal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`@"<>()[]\,;:`, c) >= 0 {
			return false
		}
	}
	return true
}

// validDomain reports whether s is an ASCII domain name: dot-separated
// labels of letters, digits, '-' and '_'.
func validDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
