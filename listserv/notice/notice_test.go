package notice

import (
	"strings"
	"testing"
	"time"

	"tacit/consensus"
)

func sample(t *testing.T) Data {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	opened := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	p := consensus.NewProposal(consensus.Draft{List: "jardin@lists.test", Number: 7, Author: "alice@example.org",
		Title: "OBJECTION: acheter une tondeuse", Text: "OBJECTION\nJe propose d'acheter une tondeuse.\n+1",
		Received: opened, Requested: time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC), Min: time.Hour})
	p.Objections = []consensus.Objection{{Member: "bob@example.org", Reason: "objection: trop cher\n-1", At: opened.Add(time.Hour)}}
	p.Supports = []consensus.Support{{Member: "carol@example.org", At: opened}}
	p.Decided = p.Deadline
	p.DeadlineRaised = true
	return Data{ListName: "jardin", ListAddress: "jardin@lists.test", Proposal: p,
		Command: consensus.EventObject, Why: consensus.WhyLate, Reason: "OBJECTION trop cher",
		Hints:    []string{"objecton : trop cher"},
		Location: paris, Now: opened,
		Results: []string{"Vous êtes maintenant abonné à jardin@lists.test."}, Help: true,
		Token: "abcdefghijklmnop1234", Member: "bob@example.org",
		Post: HeldPost{From: "eve@example.net", Subject: "OBJECTION: spam", Reason: ReasonNotMember, Rejection: "-1 hors sujet\nOBJECTION"}}
}

// No line of ours may read as a command, whatever the members wrote:
// clients that quote without ">" would turn every reply into one.
func TestNoLineStartsWithACommand(t *testing.T) {
	t.Parallel()
	d := sample(t)
	for _, lang := range []string{"fr", "en"} {
		for _, k := range Kinds {
			for _, cmd := range []consensus.EventKind{consensus.EventObject, consensus.EventLift,
				consensus.EventSupport, consensus.EventWithdraw, consensus.EventAmend} {
				d.Command = cmd
				txt, err := Render(k, lang, d)
				if err != nil {
					t.Fatalf("%s/%s: %v", lang, k, err)
				}
				if strings.Contains(txt.Body, "<no value>") || strings.Contains(txt.Subject, "<no value>") {
					t.Errorf("%s/%s: missing value:\n%s", lang, k, txt.Body)
				}
				if got := consensus.Commands(txt.Body); len(got.Commands) > 0 {
					t.Errorf("%s/%s reads as commands %+v:\n%s", lang, k, got.Commands, txt.Body)
				}
				// Quoted without ">" by an Outlook user, above their own text.
				reply := "Merci.\n\n" + txt.Body
				if got := consensus.Commands(consensus.OwnText(reply)); len(got.Commands) > 0 {
					t.Errorf("%s/%s quoted plainly reads as %+v", lang, k, got.Commands)
				}
				if k != Footer && txt.Subject == "" {
					t.Errorf("%s/%s has no subject", lang, k)
				}
			}
		}
	}
}

func TestNoticeSubjectsAndContent(t *testing.T) {
	t.Parallel()
	d := sample(t)
	cases := []struct {
		kind    Kind
		lang    string
		subject string
		body    []string
	}{
		{Adopted, "fr", "[jardin] [ADOPTÉE #7] OBJECTION: acheter une tondeuse", []string{"adoptée", "alice@example.org", "mardi 1er décembre 2026 à 18 h", "Soutiens exprimés : 1"}},
		{Adopted, "en", "[jardin] [ADOPTED #7] OBJECTION: acheter une tondeuse", []string{"Tuesday 1 December 2026 at 18:00 (CET)", "Members in favour: 1"}},
		{Blocked, "fr", "[jardin] [BLOQUÉE #7] OBJECTION: acheter une tondeuse", []string{"bob@example.org s'y oppose", "> objection: trop cher"}},
		{Blocked, "en", "[jardin] [BLOCKED #7] OBJECTION: acheter une tondeuse", []string{"bob@example.org objects"}},
		{Withdrawn, "fr", "[jardin] [RETIRÉE #7] OBJECTION: acheter une tondeuse", []string{"retirée par son auteur"}},
		{Withdrawn, "en", "[jardin] [WITHDRAWN #7] OBJECTION: acheter une tondeuse", []string{"taken back"}},
		{Reminder, "fr", "[jardin] [RAPPEL #7] OBJECTION: acheter une tondeuse", []string{consensus.ReplyAboveFR, "sera adoptée le\nmardi 1er décembre 2026 à 18 h"}},
		{Reminder, "en", "[jardin] [REMINDER #7] OBJECTION: acheter une tondeuse", []string{consensus.ReplyAboveFR}},
		{Footer, "fr", "", []string{consensus.ReplyAboveFR, "proposition n° 7", "allongé"}},
		{Ack, "fr", "[jardin] #7 : objection enregistrée", []string{"objection enregistrée pour la proposition", "> OBJECTION trop cher"}},
		{Ack, "en", "[jardin] #7: your objection is recorded", nil},
		{Refused, "fr", "[jardin] #7 : message non compté", []string{"après l'échéance"}},
		{Refused, "en", "[jardin] #7: your objection was not counted", []string{"after the deadline"}},
		{Hint, "fr", "[jardin] #7 : vouliez-vous faire une objection ?", []string{"> objecton : trop cher"}},
		{Request, "fr", "confirm abcdefghijklmnop1234", []string{"Vous êtes maintenant abonné", "répondez simplement", "désabonner"}},
		{Request, "en", "confirm abcdefghijklmnop1234", []string{"unsubscribe      leave the list"}},
	}
	for _, c := range cases {
		txt, err := Render(c.kind, c.lang, d)
		if err != nil {
			t.Fatal(err)
		}
		if txt.Subject != c.subject {
			t.Errorf("%s/%s subject %q, want %q", c.lang, c.kind, txt.Subject, c.subject)
		}
		for _, w := range c.body {
			if !strings.Contains(txt.Body, w) {
				t.Errorf("%s/%s body lacks %q:\n%s", c.lang, c.kind, w, txt.Body)
			}
		}
	}
	if txt, _ := Render(Adopted, "de", d); !strings.Contains(txt.Subject, "ADOPTÉE") {
		t.Errorf("an unknown language must fall back to French: %q", txt.Subject)
	}
}

func TestDateInWords(t *testing.T) {
	t.Parallel()
	paris, _ := time.LoadLocation("Europe/Paris")
	cases := []struct {
		t    time.Time
		lang string
		want string
	}{
		{time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC), "fr", "mardi 1er décembre 2026 à 18 h"},
		{time.Date(2026, 12, 2, 17, 30, 0, 0, time.UTC), "fr", "mercredi 2 décembre 2026 à 18 h 30"},
		{time.Date(2027, 3, 28, 12, 0, 0, 0, time.UTC), "fr", "dimanche 28 mars 2027 à 14 h"}, // summer time
		{time.Date(2027, 8, 15, 22, 5, 0, 0, time.UTC), "fr", "lundi 16 août 2027 à 0 h 05"},
		{time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC), "en", "Tuesday 1 December 2026 at 18:00 (CET)"},
	}
	for _, c := range cases {
		if got := Date(c.t, c.lang, paris); got != c.want {
			t.Errorf("Date(%v, %s) = %q, want %q", c.t, c.lang, got, c.want)
		}
	}
}
