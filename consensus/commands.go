package consensus

import (
	"strings"
	"unicode"
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

// Parse is what the grammar reads in a reply's own text.
type Parse struct {
	Commands []Command `json:"commands"`
	// Hints lists words close to a command word but not one ("objecton"),
	// as written, so the sender can be told.
	Hints []string `json:"hints,omitempty"`
	// Unclear lists, when the text has no command, its lines (as
	// written, trimmed) that hold words of disagreement or a question:
	// the sender is told that nothing was counted.
	Unclear []string `json:"unclear,omitempty"`
}

// maxHints bounds the near misses and unclear lines reported for one
// text: a few tell the sender enough, and the search is the costly part
// of a long text.
const maxHints = 5

// MaxOwnText bounds the sender's own text the grammar reads
// (docs/security.md): commands after the first 64 KB are not read.
const MaxOwnText = 64 << 10

// NoPosition reports whether a reply took no position but may have meant
// to: no command, and a near miss, words of disagreement or a question.
// Such a reply gets a private hint and counts as a reply without
// position.
func (p Parse) NoPosition() bool {
	return len(p.Commands) == 0 && (len(p.Hints) > 0 || len(p.Unclear) > 0)
}

// Commands finds the commands in own text (the output of OwnText): a line
// whose first words (after a filler such as "Moi," or "Non,") are a
// command word or phrase, followed by the end of the line, a space or
// punctuation, and that is not a question ("D'accord ?"). A text without
// commands has its unclear lines reported: words of disagreement that
// are not negated, or a question.
func Commands(own string) Parse {
	if len(own) > MaxOwnText {
		own = own[:MaxOwnText]
		if i := strings.LastIndexByte(own, '\n'); i > 0 {
			own = own[:i]
		}
	}
	var p Parse
	var unclear []string
	lines := strings.Split(own, "\n")
	for i, line := range lines {
		folded := strings.TrimSpace(fold.Replace(line))
		if folded == "" {
			continue
		}
		toks := tokenize(folded)
		m, ok := matchLine(folded, toks)
		if !ok {
			if len(p.Hints) < maxHints {
				if h := nearMiss(Normalize(line), line); h != "" {
					p.Hints = append(p.Hints, h)
				}
			}
			if len(unclear) < maxHints && (disagrees(toks) || strings.HasSuffix(folded, "?")) {
				unclear = append(unclear, strings.TrimSpace(line))
			}
			continue
		}
		c := Command{Kind: m.kind, Line: i + 1}
		switch m.kind {
		case EventObject:
			c.Reason = reasonOf(m.rest)
		case EventAmend:
			after := strings.TrimSpace(strings.TrimLeft(m.rest, " :.-"))
			c.Text = strings.TrimSpace(strings.Join(append([]string{after}, lines[i+1:]...), "\n"))
			p.Commands = append(p.Commands, c)
			return p // the rest of the text is the new version
		}
		p.Commands = append(p.Commands, c)
	}
	if len(p.Commands) == 0 {
		p.Unclear = unclear
	}
	return p
}

// reasonOf returns an objection's reason from what follows its words:
// without the punctuation that introduces it, nor the pronoun of "I'm
// against it: …", "je m'y oppose, ça : …".
func reasonOf(rest string) string {
	r := strings.TrimLeft(rest, " :.,;!-–—")
	for _, p := range []string{"it", "this", "that", "ça", "ca", "cela", "ceci"} {
		after, ok := strings.CutPrefix(strings.ToLower(r[:min(len(r), len(p)+1)]), p)
		if ok && (after == "" || after != " " && endsPhrase(after)) {
			r = strings.TrimLeft(r[len(p):], " :.,;!-–—")
			break
		}
	}
	return strings.TrimSpace(r)
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
