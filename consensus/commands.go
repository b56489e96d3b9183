package consensus

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Command is one command found in a reply's own text.
type Command struct {
	// Kind is EventObject, EventLift, EventSupport, EventWithdraw or
	// EventAmend.
	Kind EventKind `json:"kind"`
	// Reason is what follows the command word on its line (objections).
	Reason string `json:"reason,omitempty"`
	// Text is the new version (amendments): the rest of the own text.
	Text string `json:"text,omitempty"`
	// Line is the line of the own text the command was found on, from 1.
	Line int `json:"line"`
}

// phrase is a command word or phrase, normalised.
type phrase struct {
	words string
	kind  EventKind
	// hint: a near miss of this phrase deserves a private hint.
	hint bool
}

// phrases: the longest that matches wins, so "objection levee" is a lift
// and "pas d'objection" a support, not an objection.
var phrases = []phrase{
	{"i withdraw my objection", EventLift, true},
	{"i withdraw my proposal", EventWithdraw, true},
	{"i lift my objection", EventLift, true},
	{"je retire mon objection", EventLift, true},
	{"je retire ma proposition", EventWithdraw, true},
	{"je leve mon objection", EventLift, true},
	{"withdraw objection", EventLift, true},
	{"withdraw proposal", EventWithdraw, true},
	{"retrait proposition", EventWithdraw, true},
	{"retrait objection", EventLift, true},
	{"objection lifted", EventLift, true},
	{"objection levee", EventLift, true},
	{"objection retiree", EventLift, true},
	{"objection withdrawn", EventLift, true},
	{"pas d'objections", EventSupport, false},
	{"no objections", EventSupport, false},
	{"aucune objection", EventSupport, false},
	{"sans objection", EventSupport, false},
	{"pas d'objection", EventSupport, false},
	{"no objection", EventSupport, false},
	{"je m'oppose", EventObject, true},
	{"je soutiens", EventSupport, false},
	{"amendement", EventAmend, true},
	{"amendment", EventAmend, true},
	{"objection", EventObject, true},
	{"i object", EventObject, true},
	{"d'accord", EventSupport, false},
	{"blocage", EventObject, true},
	{"support", EventSupport, false},
	{"+1", EventSupport, false},
	{"-1", EventObject, false},
}

// Parse is what the grammar reads in a reply's own text.
type Parse struct {
	Commands []Command `json:"commands"`
	// Hints lists words close to a command word but not one ("objecton"),
	// as written, so the sender can be told.
	Hints []string `json:"hints,omitempty"`
}

// maxHints bounds the near misses reported for one text: a few tell
// the sender enough, and the search is the costly part of a long text.
const maxHints = 5

// Commands finds the commands in own text (the output of OwnText): a line
// whose first words are a command word or phrase, followed by the end of
// the line, a space or punctuation.
func Commands(own string) Parse {
	var p Parse
	lines := strings.Split(own, "\n")
	for i, line := range lines {
		n := Normalize(line)
		if n == "" {
			continue
		}
		ph, rest, ok := matchPhrase(n)
		if !ok {
			if len(p.Hints) >= maxHints {
				continue
			}
			if h := nearMiss(n, line); h != "" {
				p.Hints = append(p.Hints, h)
			}
			continue
		}
		c := Command{Kind: ph.kind, Line: i + 1}
		switch ph.kind {
		case EventObject:
			c.Reason = reasonOf(line, ph.words, rest)
		case EventAmend:
			after := strings.TrimSpace(strings.TrimLeft(afterPhrase(line, ph.words), " :.-"))
			c.Text = strings.TrimSpace(strings.Join(append([]string{after}, lines[i+1:]...), "\n"))
			p.Commands = append(p.Commands, c)
			return p // the rest of the text is the new version
		}
		p.Commands = append(p.Commands, c)
	}
	return p
}

// matchPhrase finds the longest command phrase n starts with as whole
// words, and what follows it.
func matchPhrase(n string) (phrase, string, bool) {
	var best phrase
	bestRest, found := "", false
	for _, ph := range phrases {
		rest, ok := strings.CutPrefix(n, ph.words)
		if !ok || (found && len(ph.words) <= len(best.words)) {
			continue
		}
		r, _ := utf8.DecodeRuneInString(rest)
		if rest == "" || r == ' ' || (unicode.IsPunct(r) && r != '\'' && r != '-' && r != '+') || r == '-' && !strings.HasPrefix(ph.words, "-") {
			best, bestRest, found = ph, rest, true
		}
	}
	return best, bestRest, found
}

// reasonOf returns an objection's reason as written: the original line
// after the command phrase, without the punctuation that introduces it.
func reasonOf(line, words, normRest string) string {
	if strings.TrimSpace(normRest) == "" {
		return ""
	}
	return strings.TrimSpace(strings.TrimLeft(afterPhrase(line, words), " :.,;!-–—"))
}

// afterPhrase returns what follows the command phrase (normalised words)
// at the start of line, as written. Normalising keeps one rune per letter
// for the letters of command words, so the phrase's runes can be skipped
// in the original.
func afterPhrase(line, words string) string {
	s := strings.TrimSpace(fold.Replace(line))
	for _, w := range strings.Fields(words) {
		s = strings.TrimLeft(s, " ")
		r := []rune(s)
		n := utf8.RuneCountInString(w)
		if len(r) < n {
			return ""
		}
		s = string(r[n:])
	}
	return s
}

// nearMiss returns the words of a line that come close to a command
// phrase without being one (edit distance 1, or 2 for long phrases), as
// written; "" when there is none.
func nearMiss(n, line string) string {
	fields := strings.Fields(n)
	for _, ph := range phrases {
		if !ph.hint {
			continue
		}
		k := len(strings.Fields(ph.words))
		if len(fields) < k {
			continue
		}
		cand := strings.Join(fields[:k], " ")
		cand = strings.TrimRightFunc(cand, unicode.IsPunct)
		d := distance(cand, ph.words)
		limit := 1
		if len(ph.words) >= 12 {
			limit = 2
		}
		if d >= 1 && d <= limit {
			orig := strings.Fields(fold.Replace(line))
			if len(orig) >= k {
				return strings.TrimRightFunc(strings.Join(orig[:k], " "), unicode.IsPunct)
			}
			return cand
		}
	}
	return ""
}

// distance is the optimal-string-alignment distance between a and b, in
// runes: the Levenshtein distance where swapping two neighbours
// ("objcetion") counts as one edit.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	rows := [3][]int{make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)}
	for j := range rows[1] {
		rows[1][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		// Row k lives in rows[(k+1)%3].
		pp, prev, cur := rows[(i+2)%3], rows[i%3], rows[(i+1)%3]
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
	}
	return rows[(len(ra)+1)%3][len(rb)]
}
