package config

import (
	"strings"
	"testing"
)

// TestSuggestions: an unknown key names the key of its table it is
// closest to (two letters off at most), else the tables that have a key
// of that name; an unknown table names the closest table; nothing
// close, no suggestion.
func TestSuggestions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ doc, want string }{
		{"[smtp]\nlisen = \"x\"\n", "smtp.lisen: unknown key (misspelt, or in the wrong table); did you mean listen?"},
		{"[smtp]\nHostName = \"x\"\n", "did you mean hostname?"},
		{"[delivery]\nmax_post_per_hours = 3\n", "did you mean max_posts_per_hour?"},
		{"[consensus]\ndefault_deadlin = \"3d\"\n", "did you mean default_deadline?"},
		{"langauge = \"fr\"\n", "langauge: unknown key (misspelt, or in the wrong table); did you mean language?"},
		// A key of another table.
		{"listen = \"127.0.0.1:25\"\n", "did you mean [smtp] listen, [imap] listen or [http] listen?"},
		{"[delivery]\nidle_timeout = \"5m\"\n", "did you mean [smtp] idle_timeout?"},
		{"[smtp]\nlanguage = \"fr\"\n", "did you mean language (at the top of the file, before any [table])?"},
		{"[smtp]\ndomain = \"x.example\"\n", "did you mean domain (at the top of the file, before any [table]) or [dkim] domain?"},
		{"[consensus]\nrelay = \"x:25\"\n", "did you mean [delivery] relay?"},
		// A table.
		{"[imapp]\nlisten = \"\"\n", "imapp: unknown table (misspelt, or not one of tacit's tables); did you mean [imap]?"},
		{"[consensu]\n", "did you mean [consensus]?"},
	} {
		_, err := Parse("t.toml", []byte(c.doc))
		if err == nil || !strings.HasSuffix(err.Error(), c.want) || strings.Count(err.Error(), "\n") != 0 {
			t.Errorf("%q: %v\nwant one line ending %q", c.doc, err, c.want)
		}
	}
	for _, doc := range []string{"[smtp]\nport = 25\n", "[consensus]\nquorum = 3\n", "[web]\n", "[delivry.x]\n", "[consensus]\ndeadline = \"3d\"\n"} {
		if _, err := Parse("t.toml", []byte(doc)); err == nil || strings.Contains(err.Error(), "did you mean") {
			t.Errorf("%q: %v; want an error without a suggestion", doc, err)
		}
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"lisen", "listen", 1}, {"langauge", "language", 2}, {"abc", "", 3}, {"é", "e", 1}, {"kitten", "sitting", 3}} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}
