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

// participation says how many members took part in a proposal's thread,
// in one sentence: "Il y a eu 3 réponses, dont 2 soutiens et 1
// objection." The objections are those standing. It never names
// anybody.
func participation(lang string, p consensus.Proposal) string {
	r, s, o := p.Replies, len(p.Supports), len(p.Objections)
	var parts []string
	if lang == "en" {
		if s > 0 {
			parts = append(parts, fmt.Sprintf("%d in support", s))
		}
		if o > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", o, plural(lang, o, "objection", "objections")))
		}
		detail := strings.Join(parts, " and ")
		switch {
		case r == 0 && len(parts) == 0:
			return "Nobody has replied on the list."
		case r == 0:
			return "Nobody has replied on the list by mail; positions taken: " + detail + "."
		case len(parts) == 0:
			return fmt.Sprintf("There %s %d %s, none of them for or against.",
				plural(lang, r, "was", "were"), r, plural(lang, r, "reply", "replies"))
		}
		sep := ", including "
		if s+o == r {
			sep = ": "
		} else if s+o > r {
			sep = "; positions taken: "
		}
		return fmt.Sprintf("There %s %d %s%s%s.", plural(lang, r, "was", "were"), r,
			plural(lang, r, "reply", "replies"), sep, detail)
	}
	if s > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", s, plural(lang, s, "soutien", "soutiens")))
	}
	if o > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", o, plural(lang, o, "objection", "objections")))
	}
	detail := strings.Join(parts, " et ")
	switch {
	case r == 0 && len(parts) == 0:
		return "Personne n'a répondu sur la liste."
	case r == 0:
		return "Personne n'a répondu par courriel ; positions exprimées : " + detail + "."
	case len(parts) == 0:
		return fmt.Sprintf("Il y a eu %d %s, sans soutien ni objection.", r, plural(lang, r, "réponse", "réponses"))
	}
	sep := ", dont "
	if s+o == r {
		sep = " : "
	} else if s+o > r {
		sep = " ; positions exprimées : "
	}
	return fmt.Sprintf("Il y a eu %d %s%s%s.", r, plural(lang, r, "réponse", "réponses"), sep, detail)
}

// unpositioned says how many replies took no position, asking the list
// to read them: "2 réponses sans position : lisez-les avant d'agir." It
// is "" when there were none, and never names anybody.
func unpositioned(lang string, n int) string {
	if n <= 0 {
		return ""
	}
	if lang == "en" {
		if n == 1 {
			return "1 reply without a position: please read it before acting."
		}
		return fmt.Sprintf("%d replies without a position: please read them before acting.", n)
	}
	if n == 1 {
		return "1 réponse sans position : lisez-la avant d'agir."
	}
	return fmt.Sprintf("%d réponses sans position : lisez-les avant d'agir.", n)
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
