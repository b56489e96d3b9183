package notice

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"tacit/consensus"
)

// This file holds the small words of the texts: plurals, counts, names,
// and the participation sentence, in French and in English.

// plural returns one when n counts a single thing in lang, else many.
// French writes 0 and 1 in the singular ("0 objection"), English only 1.
func plural(lang string, n int, one, many string) string {
	if n == 1 || (lang != "en" && n == 0) {
		return one
	}
	return many
}

// count writes n things in words for a sentence: in French, with article
// "une", "aucune objection", "une objection", "2 objections" (with "un",
// "aucun soutien", "un soutien", "2 soutiens"); in English "no
// objections", "one objection", "2 objections".
func count(lang string, n int, article, one, many string) string {
	switch {
	case n == 0 && lang == "en":
		return "no " + many
	case n == 0:
		zero := "aucun"
		if article == "une" {
			zero = "aucune"
		}
		return zero + " " + one
	case n == 1 && lang == "en":
		return "one " + one
	case n == 1:
		return article + " " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// inline makes a member's text safe to write in the middle of one of
// our lines: every run of spaces, tabs and line breaks becomes one space,
// so that nothing of it can start a line of its own.
func inline(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// who names a member: their display name when their mail had one, else
// their address.
func who(name, addr string) string {
	if n := inline(name); n != "" {
		return n
	}
	return inline(addr)
}

// names lists the members of a []consensus.Objection or
// []consensus.Support by name: "Bob Durand", "Bob Durand et Carol
// Petit", "Bob Durand, Carol Petit et dan@example.org" ("and" in
// English).
func names(lang string, members any) string {
	var ns []string
	switch ms := members.(type) {
	case []consensus.Objection:
		for _, m := range ms {
			ns = append(ns, who(m.Name, m.Member))
		}
	case []consensus.Support:
		for _, m := range ms {
			ns = append(ns, who(m.Name, m.Member))
		}
	}
	and := " et "
	if lang == "en" {
		and = " and "
	}
	switch len(ns) {
	case 0:
		return ""
	case 1:
		return ns[0]
	}
	return strings.Join(ns[:len(ns)-1], ", ") + and + ns[len(ns)-1]
}

// Participation says how many members took part in a proposal's thread,
// in one sentence, in lang: "3 membres sur 12 se sont exprimés : 2
// soutiens, 1 objection, 1 réponse sans position." ("3 of 12 members
// took part: 2 supports, 1 objection, 1 reply without position."). members
// is how many members the list has; 0 (unknown) leaves "sur 12" out, and
// so does a count below the number who took part (members who left). The
// objections are those standing; the replies without position are
// p.Unpositioned, shown when there are some. It gives counts only and
// never names anybody, least of all the silent.
func Participation(p consensus.Proposal, members int, lang string) string {
	return participation(lang, p, members)
}

// respondents counts the members who took part in p's thread: those who
// replied (p.Respondents) and those who took a position otherwise (by the
// web, or before the proposal recorded its respondents), each once.
func respondents(p consensus.Proposal) int {
	seen := map[string]bool{}
	add := func(addr string) {
		if a := strings.ToLower(strings.TrimSpace(addr)); a != "" {
			seen[a] = true
		}
	}
	for _, a := range p.Respondents {
		add(a)
	}
	for _, s := range p.Supports {
		add(s.Member)
	}
	for _, o := range p.Objections {
		add(o.Member)
	}
	return len(seen)
}

func participation(lang string, p consensus.Proposal, members int) string {
	n, s, o, r := respondents(p), len(p.Supports), len(p.Objections), p.Unpositioned
	if members < n {
		members = 0
	}
	decided := p.Status.Terminal()
	if lang == "en" {
		if n == 0 {
			if decided {
				return "No member took part."
			}
			return "No member has taken part yet."
		}
		who := fmt.Sprintf("%d %s", n, plural(lang, n, "member", "members"))
		if members > 0 {
			who = fmt.Sprintf("%d of %d %s", n, members, plural(lang, members, "member", "members"))
		}
		parts := []string{counted(lang, s, "", "support", "supports"), counted(lang, o, "", "objection", "objections")}
		if r > 0 {
			parts = append(parts, counted(lang, r, "", "reply without position", "replies without position"))
		}
		return who + " took part: " + strings.Join(parts, ", ") + "."
	}
	if n == 0 {
		if decided {
			return "Aucun membre ne s'est exprimé."
		}
		return "Aucun membre ne s'est encore exprimé."
	}
	who := fmt.Sprintf("%d %s", n, plural(lang, n, "membre", "membres"))
	if members > 0 {
		who += fmt.Sprintf(" sur %d", members)
	}
	verb := "se sont exprimés"
	if n == 1 {
		verb = "s'est exprimé"
	}
	parts := []string{counted(lang, s, "un", "soutien", "soutiens"), counted(lang, o, "une", "objection", "objections")}
	if r > 0 {
		parts = append(parts, counted(lang, r, "une", "réponse sans position", "réponses sans position"))
	}
	return who + " " + verb + " : " + strings.Join(parts, ", ") + "."
}

// counted writes n things with a figure, as one count among others: "2
// soutiens", "1 objection"; none is "aucun soutien" (French article
// "un") or "aucune objection" (article "une"), "no supports" in English.
func counted(lang string, n int, article, one, many string) string {
	switch {
	case n > 0:
		return fmt.Sprintf("%d %s", n, plural(lang, n, one, many))
	case lang == "en":
		return "no " + many
	case article == "une":
		return "aucune " + one
	}
	return "aucun " + one
}

// readFirst asks the list to read the n replies without position before
// acting: "Lisez-la avant d'agir.", "Please read them before acting."
func readFirst(lang string, n int) string {
	switch {
	case lang == "en" && n == 1:
		return "Please read it before acting."
	case lang == "en":
		return "Please read them before acting."
	case n == 1:
		return "Lisez-la avant d'agir."
	}
	return "Lisez-les avant d'agir."
}

// width is the length of the lines wrap writes.
const width = 72

// wrap breaks a long sentence of ours into lines of at most width
// characters, at spaces. A line never starts with what the grammar
// would read as a command or a near miss: the word that would start it
// moves down with the one before it.
func wrap(s string) string {
	words := strings.Fields(s)
	var lines [][]string
	var n int
	for _, w := range words {
		l := len(lines)
		if l == 0 || n+1+utf8.RuneCountInString(w) > width {
			lines = append(lines, []string{w})
			n = utf8.RuneCountInString(w)
			continue
		}
		lines[l-1] = append(lines[l-1], w)
		n += 1 + utf8.RuneCountInString(w)
	}
	for i := 1; i < len(lines); i++ {
		for len(lines[i]) > 0 && readsAsCommand(strings.Join(lines[i], " ")) {
			if prev := lines[i-1]; len(prev) > 1 {
				// The last word of the line above comes down.
				lines[i-1], lines[i] = prev[:len(prev)-1], append([]string{prev[len(prev)-1]}, lines[i]...)
				continue
			}
			// The line above is one long word: the first word goes up,
			// longer than width.
			lines[i-1], lines[i] = append(lines[i-1], lines[i][0]), lines[i][1:]
		}
		if len(lines[i]) == 0 {
			lines = append(lines[:i], lines[i+1:]...)
			i--
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Join(l, " ")
	}
	return strings.Join(out, "\n")
}

// readsAsCommand reports whether the grammar would read line as a
// command or a near miss of one.
func readsAsCommand(line string) bool {
	p := consensus.Commands(line)
	return len(p.Commands) > 0 || len(p.Hints) > 0
}
