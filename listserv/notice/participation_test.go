package notice

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"tacit/consensus"
)

// proposalWith returns a proposal whose n members replied, s of them in
// support, o objecting, with r replies without position.
func proposalWith(n, s, o, r int) consensus.Proposal {
	p := consensus.Proposal{List: "jardin@lists.test", Number: 7, Status: consensus.StatusOpen, Unpositioned: r}
	m := func(i int) string { return fmt.Sprintf("m%d@example.org", i) }
	for i := range n {
		p.Respondents = append(p.Respondents, m(i))
	}
	for i := range o {
		p.Objections = append(p.Objections, consensus.Objection{Member: m(i)})
	}
	for i := range s {
		p.Supports = append(p.Supports, consensus.Support{Member: m(o + i)})
	}
	return p
}

// The participation sentence: 0, 1 and 2 of each count, with and
// without the number of the list's members, in both languages.
func TestParticipation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		n, s, o, r, members int
		fr, en              string
	}{
		{0, 0, 0, 0, 12, "Aucun membre ne s'est encore exprimé.", "No member has taken part yet."},
		{0, 0, 0, 0, 0, "Aucun membre ne s'est encore exprimé.", "No member has taken part yet."},
		{1, 0, 0, 0, 12, "1 membre sur 12 s'est exprimé : aucun soutien, aucune objection.",
			"1 of 12 members took part: no supports, no objections."},
		{1, 0, 0, 0, 0, "1 membre s'est exprimé : aucun soutien, aucune objection.",
			"1 member took part: no supports, no objections."},
		{1, 1, 0, 0, 12, "1 membre sur 12 s'est exprimé : 1 soutien, aucune objection.",
			"1 of 12 members took part: 1 support, no objections."},
		{1, 0, 1, 0, 0, "1 membre s'est exprimé : aucun soutien, 1 objection.",
			"1 member took part: no supports, 1 objection."},
		{1, 0, 0, 1, 12, "1 membre sur 12 s'est exprimé : aucun soutien, aucune objection, 1 réponse sans position.",
			"1 of 12 members took part: no supports, no objections, 1 reply without position."},
		{2, 2, 0, 0, 12, "2 membres sur 12 se sont exprimés : 2 soutiens, aucune objection.",
			"2 of 12 members took part: 2 supports, no objections."},
		{2, 0, 2, 2, 0, "2 membres se sont exprimés : aucun soutien, 2 objections, 2 réponses sans position.",
			"2 members took part: no supports, 2 objections, 2 replies without position."},
		{3, 2, 1, 1, 12, "3 membres sur 12 se sont exprimés : 2 soutiens, 1 objection, 1 réponse sans position.",
			"3 of 12 members took part: 2 supports, 1 objection, 1 reply without position."},
		{3, 2, 1, 1, 0, "3 membres se sont exprimés : 2 soutiens, 1 objection, 1 réponse sans position.",
			"3 members took part: 2 supports, 1 objection, 1 reply without position."},
		{2, 1, 1, 0, 1, "2 membres se sont exprimés : 1 soutien, 1 objection.", // members left: no "sur 1"
			"2 members took part: 1 support, 1 objection."},
		{1, 0, 0, 0, 1, "1 membre sur 1 s'est exprimé : aucun soutien, aucune objection.",
			"1 of 1 member took part: no supports, no objections."},
	}
	for _, c := range cases {
		p := proposalWith(c.n, c.s, c.o, c.r)
		if got := Participation(p, c.members, "fr"); got != c.fr {
			t.Errorf("%+v fr:\n got %q\nwant %q", c, got, c.fr)
		}
		if got := Participation(p, c.members, "en"); got != c.en {
			t.Errorf("%+v en:\n got %q\nwant %q", c, got, c.en)
		}
	}
	// Once decided, "not yet" no longer applies.
	p := proposalWith(0, 0, 0, 0)
	p.Status = consensus.StatusAdopted
	if got := Participation(p, 12, "fr"); got != "Aucun membre ne s'est exprimé." {
		t.Errorf("decided, nobody: %q", got)
	}
	if got := Participation(p, 12, "en"); got != "No member took part." {
		t.Errorf("decided, nobody: %q", got)
	}
}

// Proposals stored before Respondents existed, and positions taken by
// the web, still count their members, each once.
func TestParticipationWithoutRespondents(t *testing.T) {
	t.Parallel()
	p := proposalWith(0, 2, 1, 0)
	if got, want := Participation(p, 12, "fr"), "3 membres sur 12 se sont exprimés : 2 soutiens, 1 objection."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// A member who replied by mail and one who supported by the web.
	p = proposalWith(1, 0, 0, 0)
	p.Supports = []consensus.Support{{Member: "Web@Example.org"}}
	p.Respondents = append(p.Respondents, "web@example.org")
	if got, want := Participation(p, 0, "en"), "2 members took part: 1 support, no objections."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// The silent are never named, in any text that speaks of participation.
func TestParticipationNamesNobodySilent(t *testing.T) {
	t.Parallel()
	d := realistic(t)
	d.Proposal.Respondents = append(d.Proposal.Respondents, "silent@example.org")
	for _, lang := range []string{"fr", "en"} {
		for _, k := range []Kind{Reminder, Adopted, Blocked, Withdrawn, Amended, AdoptedAtMeeting, Rejected} {
			txt, err := Render(k, lang, d)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(txt.Body, "silent") {
				t.Errorf("%s/%s names a member:\n%s", lang, k, txt.Body)
			}
		}
	}
}

// Every text about a proposal links to its page when the register is
// public, and says nothing of it when it is not.
func TestProposalPageLink(t *testing.T) {
	t.Parallel()
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	d := realistic(t)
	d.Meeting = Meeting{At: opened.Add(240 * time.Hour), Place: "au local"}
	blocked := outcome(t, d, d.Proposal.Deadline, consensus.Event{Kind: consensus.EventTick})
	d.Blocked = []consensus.Proposal{blocked.Proposal}
	want := map[string]string{
		"fr": "Tout l'échange et la page de la proposition : " + registerURL + "/7",
		"en": "The proposal's page: " + registerURL + "/7",
	}
	for _, k := range []Kind{Footer, Ack, Refused, Hint, Reminder, Adopted, Blocked, Withdrawn, Amended,
		AdoptedAtMeeting, Rejected, DeadlineUnread, Agenda} {
		for _, lang := range []string{"fr", "en"} {
			public, private := d, d
			private.RegisterURL = ""
			txt, err := r.Render(k, lang, public)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(txt.Body, "\n")
			if !contains(lines, want[lang]) {
				t.Errorf("%s/%s: no line %q:\n%s", lang, k, want[lang], txt.Body)
			}
			txt, err = r.Render(k, lang, private)
			if err != nil {
				t.Fatal(err)
			}
			for _, no := range []string{"http", "page de la proposition", "Tout l'échange", "proposal's page"} {
				if strings.Contains(txt.Body, no) {
					t.Errorf("%s/%s without a public register says %q:\n%s", lang, k, no, txt.Body)
				}
			}
		}
	}
}

func contains(lines []string, line string) bool {
	for _, l := range lines {
		if l == line {
			return true
		}
	}
	return false
}

// The agenda says of each blocked proposal how many took part.
func TestAgendaParticipation(t *testing.T) {
	t.Parallel()
	d := realistic(t)
	d.Meeting = Meeting{At: opened.Add(240 * time.Hour), Place: "au local"}
	d.Blocked = []consensus.Proposal{outcome(t, d, d.Proposal.Deadline, consensus.Event{Kind: consensus.EventTick}).Proposal}
	for lang, want := range map[string]string{
		"fr": "6 membres sur 12 se sont exprimés : 2 soutiens, 1 objection, 2 réponses sans position. Lisez-les avant d'agir.",
		"en": "6 of 12 members took part: 2 supports, 1 objection, 2 replies without position. Please read them before acting.",
	} {
		txt, err := Render(Agenda, lang, d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(oneLine(txt.Body), want) {
			t.Errorf("%s agenda lacks %q:\n%s", lang, want, txt.Body)
		}
	}
}

// TestRenderedExamples prints a reminder and a blocked notice as a
// member reads them (go test -run RenderedExamples -v).
func TestRenderedExamples(t *testing.T) {
	t.Parallel()
	d := realistic(t)
	reminder := outcome(t, d, amendedAt.Add(time.Hour), consensus.Event{Kind: consensus.EventTick})
	blocked := outcome(t, d, d.Proposal.Deadline, consensus.Event{Kind: consensus.EventTick})
	for k, x := range map[Kind]Data{Reminder: reminder, Blocked: blocked} {
		txt, err := Render(k, "fr", x)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("Subject: %s\n\n%s", txt.Subject, txt.Body)
	}
}
