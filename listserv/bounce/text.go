package bounce

import (
	"regexp"
	"strings"

	"github.com/emersion/go-message"
)

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
