package register

import (
	"strconv"
	"strings"
	"testing"

	"tacit/consensus"
	"tacit/storage"
)

func TestPublicName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"alice@example.org", "alice@e…"},
		{"Alice.Martin@Example.org", "Alice.Martin@E…"},
		{"jose@élan.fr", "jose@é…"},
		{`"a@b"@example.org`, `"a@b"@e…`},
		{" bob@example.org ", "bob@e…"},
		{"bob@", "bob"},
		{"tacit", "tacit"},
		{"", ""},
	} {
		if got := publicName(c.in); got != c.want {
			t.Errorf("publicName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNoMemberAddressInAnyPublicOutput reads every output of both public
// registers — pages, CSV, JSON, iCalendar, Atom, in both languages — and
// finds no member's full address, while titles and reasons (with the
// addresses members typed in them) are still there.
func TestNoMemberAddressInAnyPublicOutput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	day := now.AddDate(0, 0, -2)
	// garden@other.test #3, blocked, and #4, open: members of other
	// domains, the same local part at two domains, and addresses typed
	// in a title and a reason.
	p := proposal("garden@other.test", 3, "Ask contact@mairie.test for the keys", "frank@members.test", "Keys.", day)
	p.Objections = []consensus.Objection{
		{Member: "erin@example.org", Reason: "write to treasurer@bank.test first", At: day},
		{Member: "erin@nowhere.test", Reason: "too soon", At: day},
	}
	p.Supports = []consensus.Support{{Member: "grace@members.test", At: day}}
	p.Status, p.Decided, p.Replies = consensus.StatusBlocked, p.Deadline, 2
	f.decide(t, p,
		testEvent("status", "frank@members.test", "open", day),
		testEvent("object", "erin@example.org", "write to treasurer@bank.test first", day),
		testEvent("object", "erin@nowhere.test", "too soon", day),
		storage.ProposalEvent{Kind: "support", From: "grace@members.test", At: day},
		testEvent("object", "mallet@outsider.test", "no (refused: not-member)", day),
		testEvent("status", "", "blocked", p.Deadline))
	f.decide(t, proposal("garden@other.test", 4, "Mail keys@mairie.test about the gate", "frank@members.test", "Gate.", now))

	// The domains of the members' addresses: no output may show them.
	domains := []string{"example.org", "members.test", "nowhere.test", "outsider.test"}
	outputs := map[string]string{}
	for list, n := range map[string]int{"jardin": 5, "garden": 4} {
		paths := []string{"", ".csv", ".json", ".ics", ".atom"}
		for i := 1; i <= n; i++ {
			paths = append(paths, "/"+strconv.Itoa(i))
		}
		for _, suffix := range paths {
			for _, lang := range []string{"", "?lang=en", "?lang=fr"} {
				path := "/lists/" + list + "/decisions" + suffix + lang
				_, body := f.mustGet(t, path)
				// Unfold iCalendar lines: an address must not hide
				// across a fold.
				body = strings.ReplaceAll(body, "\r\n ", "")
				outputs[path] = body
				for _, d := range domains {
					if strings.Contains(body, d) {
						t.Errorf("%s shows a member's address (%s):\n%s", path, d, body)
					}
				}
			}
		}
	}

	// Titles, reasons and the addresses members typed in them remain.
	for path, wants := range map[string][]string{
		"/lists/garden/decisions": {"Ask contact@mairie.test for the keys", "Mail keys@mairie.test about the gate", "frank@m…"},
		"/lists/garden/decisions/3": {"Ask contact@mairie.test for the keys", "write to treasurer@bank.test first", "too soon",
			"erin@e…", "erin@n…", "grace@m…", "frank@m…", "mallet@o…"},
		"/lists/garden/decisions.csv":  {"Ask contact@mairie.test for the keys", "frank@m…"},
		"/lists/garden/decisions.json": {"Ask contact@mairie.test for the keys", `"member": "erin@e…"`, `"member": "erin@n…"`, `"member": "grace@m…"`, "write to treasurer@bank.test first"},
		"/lists/garden/decisions.ics":  {"Mail keys@mairie.test about the gate"},
		"/lists/garden/decisions.atom": {"Ask contact@mairie.test for the keys", "<name>frank@m…</name>"},
		"/lists/jardin/decisions/2":    {"Repeindre la cabane en rose", "trop cher pour cette année", "bob@e…", "alice@e…"},
		"/lists/jardin/decisions.json": {`"author": "alice@e…"`, "trop cher pour cette année"},
	} {
		for _, want := range wants {
			if !strings.Contains(outputs[path], want) {
				t.Errorf("%s lacks %q:\n%s", path, want, outputs[path])
			}
		}
	}
	// The Atom feed names people only by publicName: no <email> of a
	// member (the feed's own author is the list).
	if atom := outputs["/lists/garden/decisions.atom"]; strings.Count(atom, "<email>") != 1 || !strings.Contains(atom, "<email>garden@other.test</email>") {
		t.Errorf("the feed's <email> elements:\n%s", atom)
	}
}
