package consensus

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a folded line: its normalised form and where it
// stands in the line, in bytes.
type token struct {
	norm       string
	start, end int
}

// maxLineTokens bounds the words of one line the grammar looks at: a
// command is in a line's first words.
const maxLineTokens = 24

// tokenize splits a folded line (fold applied) into words: runs of
// letters and digits, with the apostrophes and hyphens inside them
// ("d'accord", "au-dessus"), and a leading "+" or "-" before a digit
// ("+1", "-15").
func tokenize(line string) []token {
	var toks []token
	i := 0
	for i < len(line) && len(toks) < maxLineTokens {
		r, n := utf8.DecodeRuneInString(line[i:])
		next, _ := utf8.DecodeRuneInString(line[i+n:])
		start := i
		switch {
		case wordRune(r):
		case (r == '+' || r == '-') && unicode.IsDigit(next):
		default:
			i += n
			continue
		}
		i += n
		for i < len(line) {
			r, n := utf8.DecodeRuneInString(line[i:])
			if wordRune(r) || r == '\'' {
				i += n
				continue
			}
			if r == '-' {
				if nr, _ := utf8.DecodeRuneInString(line[i+n:]); wordRune(nr) {
					i += n
					continue
				}
			}
			break
		}
		toks = append(toks, token{norm: Normalize(line[start:i]), start: start, end: i})
	}
	return toks
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// lineMatch is the command found at the start of a line.
type lineMatch struct {
	kind EventKind
	// rest is what follows the command's words on the line, as written.
	rest string
}

// matchLine finds the command a line starts with: the longest phrase
// from its first word, else after leading fillers ("Moi, …", "Non, …").
// ok is false when the line holds no command, or asks a question with
// one ("D'accord ?").
func matchLine(line string, toks []token) (lineMatch, bool) {
	for start := 0; start < len(toks); start++ {
		if m, ok := matchAt(line, toks, start); ok {
			return m, !question(m.rest)
		}
		if !fillers[toks[start].norm] && intensifierAt(toks, start) == 0 {
			return lineMatch{}, false
		}
	}
	return lineMatch{}, false
}

// matchAt returns the longest phrase matching the words from toks[i].
func matchAt(line string, toks []token, i int) (lineMatch, bool) {
	var best *phrase
	bestEnd := 0
	for k := range phrases {
		ph := &phrases[k]
		end, ok := phraseEnd(line, toks, i, ph.words)
		if !ok || (best != nil && len(ph.words) <= len(best.words)) {
			continue
		}
		rest := line[toks[end-1].end:]
		if ph.alone && !endsPhrase(rest) {
			continue
		}
		best, bestEnd = ph, end
	}
	if best == nil {
		return lineMatch{}, false
	}
	kind, end := best.kind, bestEnd
	if best.negatable && end < len(toks) && onlySpaces(line[toks[end-1].end:toks[end].start]) {
		// "je m'oppose pas", "je refuse pas": negated, the word is
		// support; "je m'oppose plus" lifts an objection.
		j := end + intensifierAt(toks, end)
		if j < len(toks) {
			switch toks[j].norm {
			case "pas", "point":
				kind, end = EventSupport, j+1
			case "plus":
				kind, end = EventLift, j+1
			}
		}
	}
	return lineMatch{kind: kind, rest: line[toks[end-1].end:]}, true
}

// phraseEnd matches the words of a phrase against toks from i, letting
// intensifiers stand between them ("je ne suis vraiment pas d'accord")
// and only spaces separate them; it returns the index after the last
// word matched.
func phraseEnd(line string, toks []token, i int, words string) (int, bool) {
	j := i
	for w := range strings.FieldsSeq(words) {
		for j < len(toks) && toks[j].norm != w {
			n := intensifierAt(toks, j)
			if n == 0 {
				return 0, false
			}
			j += n
		}
		if j >= len(toks) || toks[j].norm != w {
			return 0, false
		}
		if j > i && !onlySpaces(line[toks[j-1].end:toks[j].start]) {
			return 0, false
		}
		j++
	}
	return j, true
}

// intensifierAt returns how many words of an intensifier start at
// toks[i] (0 when none does).
func intensifierAt(toks []token, i int) int {
	for _, in := range intensifiers {
		if i+len(in) > len(toks) {
			continue
		}
		ok := true
		for k, w := range in {
			if toks[i+k].norm != w {
				ok = false
				break
			}
		}
		if ok {
			return len(in)
		}
	}
	return 0
}

// endsPhrase reports whether rest, what follows a phrase, lets it stand
// alone: the end of the line or punctuation.
func endsPhrase(rest string) bool {
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// question reports whether a command's line asks rather than says: the
// phrase is followed by "?", or the line ends with "?" and no
// punctuation separates the phrase from it ("D'accord pour le 15 ?"),
// whereas "Objection : pourquoi si cher ?" objects.
func question(rest string) bool {
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "?") {
		return true
	}
	return strings.HasSuffix(rest, "?") && !strings.ContainsAny(strings.TrimRight(rest, "? "), ".,;:!")
}

func onlySpaces(s string) bool { return strings.TrimSpace(s) == "" }

// disagrees reports whether a line holds a word of disagreement that is
// not negated ("les voisins sont contre", not "pas d'objection", nor
// "par contre").
func disagrees(toks []token) bool {
	for i, t := range toks {
		w := elide(t.norm)
		if !disagreeing[w] || (w == "contre" && i > 0 && toks[i-1].norm == "par") {
			continue
		}
		negated := negations[elisionOf(t.norm)]
		for k := max(0, i-2); k < i && !negated; k++ {
			negated = negations[toks[k].norm] || negations[elisionOf(toks[k].norm)]
		}
		if !negated {
			return true
		}
	}
	return false
}

// elide returns a word without a French elided article or pronoun
// ("d'objection" → "objection", "m'opposer" → "opposer").
func elide(w string) string {
	if i := strings.IndexByte(w, '\''); i > 0 && i <= 3 {
		return w[i+1:]
	}
	return w
}

// elisionOf returns the elided part of a word with its apostrophe
// ("n'ai" → "n'"), "" when there is none.
func elisionOf(w string) string {
	if i := strings.IndexByte(w, '\''); i > 0 && i <= 3 {
		return w[:i+1]
	}
	return ""
}
