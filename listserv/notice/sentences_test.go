package notice

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// verb matches a format verb of fmt ("%%" is taken out before).
var verb = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z]`)

func verbs(format string) []string {
	return verb.FindAllString(strings.ReplaceAll(format, "%%", ""), -1)
}

// TestSentences checks every sentence: a French and an English text,
// the same format verbs in the same order, and no English word in the
// French text.
func TestSentences(t *testing.T) {
	english := []string{" the ", " you ", " your ", " is ", " are ", " and ", " to ", " of ", " for ", " with "}
	for k := Sentence(0); k < numSentences; k++ {
		s := sentences[k]
		if s.fr == "" || s.en == "" {
			t.Errorf("sentence %d: French %q, English %q: both must be written", k, s.fr, s.en)
			continue
		}
		if fr, en := verbs(s.fr), verbs(s.en); !slices.Equal(fr, en) {
			t.Errorf("sentence %d: French verbs %q, English verbs %q", k, fr, en)
		}
		for _, w := range english {
			if strings.Contains(strings.ToLower(s.fr), w) {
				t.Errorf("sentence %d: English word %q in French %q", k, w, s.fr)
			}
		}
	}
}

func TestSay(t *testing.T) {
	for _, c := range []struct{ lang, want string }{
		{"fr", "La liste l@example.org n'a aucune proposition en cours."},
		{"", "La liste l@example.org n'a aucune proposition en cours."},
		{"de", "La liste l@example.org n'a aucune proposition en cours."},
		{"en", "The list l@example.org has no open proposal."},
	} {
		if got := Say(c.lang, NoOpenProposal, "l@example.org"); got != c.want {
			t.Errorf("Say(%q): %q, want %q", c.lang, got, c.want)
		}
	}
	if got := Say("en", NoIMAP); strings.Contains(got, "%") {
		t.Errorf("a sentence without arguments: %q", got)
	}
}
