package bounce

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

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
