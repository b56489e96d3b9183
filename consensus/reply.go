package consensus

import (
	"regexp"
	"strings"
)

// The line tacit puts in everything it sends, in the list's language; in
// a reply, what follows it (unquoted) is ignored, in either language.
const (
	ReplyAboveFR = "——— Répondez au-dessus de cette ligne ———"
	ReplyAboveEN = "——— Reply above this line ———"
)

// ReplyAbove returns the reply-above line in lang ("en", else French).
func ReplyAbove(lang string) string {
	if lang == "en" {
		return ReplyAboveEN
	}
	return ReplyAboveFR
}

var (
	// attribution lines, normalised: "le … a ecrit :", "on … wrote:".
	attributionEnd   = regexp.MustCompile(`(a ecrit|wrote|schrieb|escribio|ha scritto)\s*:$`)
	attributionStart = regexp.MustCompile(`^(le|on|am|el|il)\b`)
	// markers after which everything is a quote nobody marked.
	unmarkedQuote = regexp.MustCompile(`^(-{2,}\s*(original message|message d'origine|mail original|forwarded message|message transfere|message reexpedie|weitergeleitete nachricht|ursprungliche nachricht)\s*-*` +
		`|debut du message (transfere|reexpedie)\s*:?` +
		`|begin forwarded message\s*:?` +
		`|_{8,})$`)
	headerFrom  = regexp.MustCompile(`^(de|from|von|\*de|\*from)\s*:\*?\s*\S`)
	headerNext  = regexp.MustCompile(`^\*?(envoye|sent|date|a|to|objet|subject|cc|envoye le|gesendet|an|betreff)\s*:`)
	phoneFooter = regexp.MustCompile(`^(envoye (de|depuis) mon (iphone|ipad|smartphone|mobile|telephone|appareil)` +
		`|sent from my (iphone|ipad|android|phone|mobile|samsung|galaxy)` +
		`|obtenir outlook pour (android|ios)|get outlook for (android|ios)` +
		`|envoye (a partir|depuis) de? ?(outlook|l'application|mon)` +
		`|sent from (outlook|mail|yahoo mail|proton mail)` +
		`|envoye avec proton mail|sent with proton mail)`)
	replyAboveNorm = regexp.MustCompile(`(repondez au-dessus de cette ligne|reply above this line)`)
)

// OwnText returns the sender's own text of a reply body (plain text, UTF-8),
// as docs/decisions.md cuts it: quoted lines and their attribution removed
// (text after a quoted block is kept), and everything cut after an
// unmarked quote (an attribution not followed by "> " lines, "-----Original
// Message-----" and its kin, a "De : / Envoyé :" header block, forward
// markers, a line of underscores, our own reply-above line), after the
// signature separator "-- " and after phone footers.
func OwnText(body string) string {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	norm := make([]string, len(lines))
	for i, l := range lines {
		norm[i] = Normalize(l)
	}
	var kept []string
	for i := 0; i < len(lines); i++ {
		n := norm[i]
		if quoted(lines[i]) {
			continue
		}
		if n == "--" && (strings.TrimRight(lines[i], "\r") == "-- " || strings.TrimSpace(lines[i]) == "--") {
			break
		}
		if phoneFooter.MatchString(n) || unmarkedQuote.MatchString(n) || replyAboveNorm.MatchString(n) {
			break
		}
		if headerFrom.MatchString(n) && headerBlock(norm, i) {
			break
		}
		if span := attributionSpan(norm, i); span > 0 {
			if quoteFollows(lines, i+span) {
				i += span - 1 // drop the attribution; the quote lines drop themselves
				continue
			}
			break
		}
		kept = append(kept, strings.TrimRight(lines[i], " \r"))
	}
	return strings.TrimSpace(strings.Join(kept, "\n"))
}

// quoted reports whether a line is quoted with ">".
func quoted(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \u00a0"), ">")
}

// headerBlock reports whether a "De :"/"From:" line at i starts a block of
// quoted headers: another header line follows within the next lines.
func headerBlock(norm []string, i int) bool {
	for j := i + 1; j < len(norm) && j <= i+3; j++ {
		if norm[j] == "" {
			continue
		}
		return headerNext.MatchString(norm[j])
	}
	return false
}

// attributionSpan returns how many lines (1 or 2) form an attribution line
// starting at i, or 0 when there is none.
func attributionSpan(norm []string, i int) int {
	if !attributionStart.MatchString(norm[i]) {
		return 0
	}
	if attributionEnd.MatchString(norm[i]) {
		return 1
	}
	if i+1 < len(norm) && len(norm[i]) < 200 && attributionEnd.MatchString(norm[i]+" "+norm[i+1]) {
		return 2
	}
	return 0
}

// quoteFollows reports whether the first non-blank line from i is quoted.
func quoteFollows(lines []string, i int) bool {
	for ; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == "" {
			continue
		}
		return quoted(lines[i])
	}
	return false
}
