package listserv

import (
	"slices"
	"strings"
	"testing"
	"time"

	"tacit/consensus"
)

// requestVerbs are the commands parseRequest may return.
var requestVerbs = []string{"subscribe", "unsubscribe", "confirm", "password", "help", "status", "approve", "reject"}

// FuzzParseRequest feeds arbitrary Subjects and bodies to the reader of
// request mail: it must not panic, must read at most maxRequestLines
// lines of the sender's own text, and must return known commands only.
func FuzzParseRequest(f *testing.F) {
	for _, s := range [][2]string{
		{"", "abonner\n"},
		{"subscribe", ""},
		{"Re: confirm abcdefghijkmnpqrstuv", "ok\n"},
		{"RE : Réf : confirmer ABCDEFGHIJKMNPQRSTUV", ""},
		{"état", "aide\nmot de passe\nfin\nsubscribe\n"},
		{"", "S’abonner\r\nDésabonnement\r\nmerci\r\nhelp\r\n"},
		{"", "  se désabonner  !\n\tSTATUS.\nleave\njoin\nsignoff\n"},
		{"", "> subscribe\nLe lun. 1 déc. 2026, Alice a écrit :\n> unsubscribe\nstatus\n"},
		{"", "-- \nunsubscribe\n"},
		{"", "bonjour\n-----Original Message-----\nunsubscribe\n"},
		{"Re: [jardin] Message en attente", "accepter\n"},
		{"", "refuser : spam évident, désolé\n"},
		{"", "reject: Too   many spaces!!!\n"},
		{"", "approve abcdefghijkmnpqrstuv\nreject abcdefghijkmnpqrstuv pas ici\n"},
		{"", "subscribe\nsubscribe\nunsubscribe\nsubscribe\n"},
		{"", strings.Repeat("subscribe\nunsubscribe\n", 40)},
		{"", strings.Repeat("bonjour\n", 30) + "subscribe\n"},
		{"help", strings.Repeat("\n", 100) + "status"},
		{"fin", "end\nsubscribe\n"},
		{"\xff\xfe", "\x00subscribe\x00\n\xc3\x28\n"},
		{"mot de passe", "password please\npasswordx\nhelpme\n"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, subject, body string) {
		cmds, unknown := parseRequest(subject, body)
		if len(unknown) > 3 {
			t.Fatalf("%d unknown lines kept, want at most 3", len(unknown))
		}
		if len(cmds) > maxRequestLines+1 {
			t.Fatalf("%d commands, want at most %d (the Subject and %d lines)", len(cmds), maxRequestLines+1, maxRequestLines)
		}
		for _, c := range cmds {
			if !slices.Contains(requestVerbs, c.verb) {
				t.Fatalf("unknown verb %q in %+v", c.verb, cmds)
			}
		}
		// Every command comes from the Subject or from one of the first
		// maxRequestLines lines of the sender's own text.
		own := strings.Split(consensus.OwnText(body), "\n")
		own = own[:min(len(own), maxRequestLines)]
		from := map[reqCommand]bool{}
		if c, ok := parseCommandLine(subject); ok {
			from[c] = true
		}
		for _, l := range own {
			if c, ok := parseCommandLine(l); ok {
				from[c] = true
			}
		}
		for _, c := range cmds {
			if !from[c] {
				t.Fatalf("command %+v not read from the Subject %q nor the first %d lines %q", c, subject, maxRequestLines, own)
			}
		}
		if c, ok := parseCommandLine(subject); ok && c.verb != "end" && (len(cmds) == 0 || cmds[0] != c) {
			t.Fatalf("the Subject's command %+v is not the first: %+v", c, cmds)
		}
	})
}

func TestParseRequestReadsThirtyLines(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 10000 {
		b.WriteString([]string{"subscribe\n", "unsubscribe\n"}[i%2])
	}
	cmds, _ := parseRequest("help", b.String())
	if len(cmds) != maxRequestLines+1 {
		t.Errorf("10000 command lines and a Subject: %d commands, want %d", len(cmds), maxRequestLines+1)
	}
	cmds, unknown := parseRequest("", strings.Repeat("bonjour\n", maxRequestLines)+"subscribe\n")
	if len(cmds) != 0 || len(unknown) != 3 {
		t.Errorf("a command on line %d was read: %+v %q", maxRequestLines+1, cmds, unknown)
	}
	cmds, _ = parseRequest("", strings.Repeat("subscribe\r\n", 10000))
	if len(cmds) != 1 {
		t.Errorf("10000 times the same command: %+v", cmds)
	}
}

// The argument of confirm, approve and reject is kept as written (tokens
// and reasons have case), all of it.
func TestParseRequestArgumentKeepsItsText(t *testing.T) {
	t.Parallel()
	// Each line's verb and the arguments that would do, as written.
	for line, want := range map[string][]string{
		"refuser : spam évident":           {"reject", "spam évident"},
		"rejeter Café":                     {"reject", "Café"},
		"refuser spam!!!":                  {"reject", "spam!!!", "spam"},
		"reject  Too   many spaces":        {"reject", "Too   many spaces", "Too many spaces"},
		"confirm ABCDEFGHIJKLMNOPQRST.":    {"confirm", "ABCDEFGHIJKLMNOPQRST", "ABCDEFGHIJKLMNOPQRST."},
		"Re: confirm abcdefghijkmnpqrstuv": {"confirm", "abcdefghijkmnpqrstuv"},
		"approuver Élodie":                 {"approve", "Élodie"},
	} {
		c, ok := parseCommandLine(line)
		if !ok || c.verb != want[0] || !slices.Contains(want[1:], c.arg) {
			t.Errorf("%q: %+v, want %q", line, c, want)
		}
	}
}

// A request of 10,000 command lines gets one reply.
func TestRequestTenThousandLinesOneReply(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	h.list("jardin@lists.test", "alice@example.org")
	same := strings.Repeat("subscribe\r\n", 10000)
	var mixed strings.Builder
	for i := range 10000 {
		mixed.WriteString([]string{"subscribe\r\n", "help\r\n", "status\r\n", "unsubscribe\r\n"}[i%4])
	}
	senders := map[string]string{"newbie@example.net": same, "mixed@example.net": mixed.String(), "alice@example.org": mixed.String()}
	for from, body := range senders {
		h.mustSend(from, []string{"jardin-request@lists.test"}, requestMail(from, "jardin-request@lists.test", "", body))
	}
	for from := range senders {
		waitMessages(t, h.sink, from, "", 1)
	}
	waitFor(t, func() bool { ids, _ := h.store.Inbox(); return len(ids) == 0 })
	time.Sleep(300 * time.Millisecond)
	for from := range senders {
		if n := len(messagesTo(h.sink, from, "")); n != 1 {
			t.Errorf("%s got %d replies, want 1", from, n)
		}
	}
}
