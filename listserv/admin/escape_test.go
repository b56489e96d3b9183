package admin

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"tacit/consensus"
	"tacit/storage"
)

func TestEscape(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Réunion jeudi":             "Réunion jeudi",
		"\x1b[2J\x1b]0;pwned\x07":   `\x1b[2J\x1b]0;pwned\x07`,
		"a\tb\nc\rd\x7f":            `a\x09b\x0ac\x0dd\x7f`,
		"\u009b31m":                 `\u009b31m`,
		"txt.\u202eexe\u2066\u2069": `txt.\u202eexe\u2066\u2069`,
		"\xff\xfeok":                `\xff\xfeok`,
		"emoji 🌱 ok":                "emoji 🌱 ok",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := escapeOutput("a\tb\nc\x1b\u202e", true); got != "a\tb\nc\\u001b\\u202e" {
		t.Errorf("escapeOutput for JSON: %q", got)
	}
	for args, want := range map[string]bool{
		"held ls --json": true, "held ls -json": true, "held ls --json=false": false,
		"held ls --json=true": true, "held ls": false, "held ls json": false,
	} {
		if got := wantsJSON(strings.Fields(args)); got != want {
			t.Errorf("wantsJSON(%s) = %v", args, got)
		}
	}
}

// rawControls returns the runes of s that a terminal would act on.
func rawControls(s string) []rune {
	var bad []rune
	for i, r := range s {
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			bad = append(bad, r)
		}
		if r != '\n' && r != '\t' && unsafe(r) {
			bad = append(bad, r)
		}
	}
	return bad
}

// Text from mail reaches the admin's terminal escaped, in every command
// that shows it, and intact in JSON.
func TestOutputEscapesControlCharacters(t *testing.T) {
	t.Parallel()
	a, s := newAdmin(t)
	const evil = "Pay\x1b[2J\x1b]0;owned\x07 \u202eexe.txt\u009b31m\tcol\nrow\x7f"
	mustRun(t, a, "list create jardin --owner o@example.org")
	if _, err := s.UpdateList("jardin@lists.test", func(l *storage.List) error { l.Name = evil; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMembers("jardin@lists.test", time.Now(), "x\x1b[31m@example.org"); err != nil {
		t.Fatal(err)
	}
	id, _ := s.Receive(storage.Envelope{From: "m@example.com"}, []byte("Subject: x\r\n\r\nx"))
	if err := s.Dispose(id, storage.Disposition{Held: []storage.Held{{List: "jardin@lists.test", MessageID: id,
		From: "m\u202e@example.com", Subject: evil, Reason: evil, At: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	p := consensus.NewProposal(consensus.Draft{List: "jardin@lists.test", Number: 1, Author: "a\x1b@example.org",
		Title: evil, Text: "ligne\tune\nligne \x1b[1mdeux\r\n", Received: t0, Default: 72 * time.Hour})
	p.Objections = append(p.Objections, consensus.Objection{Member: "bob@example.org", Reason: evil, At: t0})
	if err := s.Decide([]storage.ProposalUpdate{{Proposal: p,
		Events: []storage.ProposalEvent{{Kind: "object", From: "b\u2066@example.org", At: t0}}}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"held ls", "held ls jardin", "proposal ls", "proposal show jardin#1", "member ls jardin", "list ls"} {
		out := mustRun(t, a, line)
		if bad := rawControls(out); len(bad) > 0 {
			t.Errorf("%s prints raw control characters %q:\n%s", line, bad, out)
		}
		if !strings.Contains(out, `\x1b`) && !strings.Contains(out, `\u202e`) {
			t.Errorf("%s shows no escape:\n%s", line, out)
		}
	}
	if out := mustRun(t, a, "held ls"); strings.Count(out, "\n") != 2 {
		t.Errorf("held ls: a newline in a Subject made a row:\n%s", out)
	}
	if out := mustRun(t, a, "proposal show jardin#1"); !strings.Contains(out, "  | ligne\tune\n") || !strings.Contains(out, `  | ligne \x1b[1mdeux`+"\n") {
		t.Errorf("proposal show: the text's lines and tabs are not kept:\n%s", out)
	}
	for _, line := range []string{"held ls --json", "proposal ls --json", "proposal show jardin#1 --json", "member ls jardin --json", "list ls --json"} {
		out := mustRun(t, a, line)
		if bad := rawControls(out); len(bad) > 0 {
			t.Errorf("%s prints raw control characters %q:\n%s", line, bad, out)
		}
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("%s is not JSON any more: %v\n%s", line, err, out)
		}
	}
	var held []storage.Held
	if err := json.Unmarshal([]byte(mustRun(t, a, "held ls --json")), &held); err != nil || len(held) != 1 || held[0].Subject != evil {
		t.Errorf("held ls --json does not give the Subject back: %+v, %v", held, err)
	}
}
