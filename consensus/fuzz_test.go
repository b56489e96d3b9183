package consensus

import (
	"fmt"
	"strings"
	"tacit/internal/fuzzwatch"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzGrammar feeds arbitrary text to every reader of the grammar: none
// may panic, loop, or report a command outside the sender's own text.
func FuzzGrammar(f *testing.F) {
	for _, s := range []string{
		"OBJECTION : trop cher\n\nLe 1 déc. 2026 à 10:00, Alice a écrit :\n> OBJECTION\n",
		"+1\n-- \nBob",
		"pas d'objection\nobjecton\n-15 %\nSupporting",
		"Amendement\nNouveau texte\nsur deux lignes",
		"De : Alice\nEnvoyé : lundi\nÀ : jardin\nObjet : x\n\nOBJECTION",
		"Échéance : 01/12/2026 à 18h30\nDeadline: 2026-12-01T18:00:00+01:00\nDélai : une semaine",
		"RE: [jardin] [PROPOSITION #12] Budget\n[PROP] x\nAW: Réf : #3",
		"\u00a0OBJECTION\u202f: non\r\n" + ReplyAboveFR + "\nOBJECTION",
	} {
		f.Add(s)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	received := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text string) {
		// A reply is read on the post path: no input may take long.
		fuzzwatch.Check(t, []byte(text), func() string { return checkGrammar(text, received, paris) })
	})
}

// checkGrammar reads text as FuzzGrammar does and says what is wrong, ""
// when nothing is.
func checkGrammar(text string, received time.Time, paris *time.Location) string {
	own := OwnText(text)
	if len(own) > len(text)+len(text)/2+16 {
		return fmt.Sprintf("own text grew from %d to %d bytes", len(text), len(own))
	}
	p := Commands(own)
	lines := strings.Split(own, "\n")
	for _, c := range p.Commands {
		if c.Line < 1 || c.Line > len(lines) {
			return fmt.Sprintf("command on line %d of %d", c.Line, len(lines))
		}
	}
	// A text without any letter, digit, + or - holds no command.
	if strings.IndexFunc(own, func(r rune) bool {
		return r == '+' || r == '-' || r >= 'A' && r <= 'z' || r >= '0' && r <= '9' || r > 127
	}) < 0 && len(p.Commands) > 0 {
		return fmt.Sprintf("commands %+v in %q", p.Commands, own)
	}
	if dl, _, err := FindDeadline(own, received, paris); err == nil && dl.IsZero() {
		return "a deadline without a time"
	}
	for _, line := range lines {
		s := ParseSubject(line, "jardin")
		if utf8.ValidString(line) && !utf8.ValidString(s.Title) {
			return fmt.Sprintf("title of %q is not UTF-8: %q", line, s.Title)
		}
		if s.Number < 0 {
			return fmt.Sprintf("negative number from %q", line)
		}
	}
	return ""
}
