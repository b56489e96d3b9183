package listserv

import (
	"context"
	"strings"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/storage"
)

// blockedProposal opens proposal #n on jardin, has bob object, and lets
// its deadline pass: blocked.
func blockedProposal(t *testing.T, h *harness, c *clock, n int, title string) {
	t.Helper()
	msgID := "prop" + title + "@example.org"
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, strings.Replace(
		proposalPost("[PROPOSITION] "+title, "Le texte.\r\nÉchéance : 2 jours\r\n"), "prop1@example.org", msgID, 1))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #", n)
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, replyPost("Bob Durand <bob@example.org>",
		"obj"+title+"@example.org", msgID, "Re: "+title, "Je suis contre : pas de budget.\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "objection enregistrée", n)
	c.Add(49 * time.Hour)
	h.srv.Tick(context.Background())
	waitMessages(t, h.sink, "carol@example.org", "[BLOQUÉE #", n)
}

// docs/meetings.md: what silence could not settle goes to the next
// meeting: its agenda goes out once, and an owner records the decision.
func TestMeetingAgendaAndSettling(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	if _, err := h.store.UpdateList("jardin@lists.test", func(l *storage.List) error {
		l.Owners = []string{"owner@example.net", "alice@example.org"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	blockedProposal(t, h, c, 1, "Tondeuse")
	blockedProposal(t, h, c, 2, "Composteur")
	// An owner announces the meeting by mail, two days ahead: within
	// agenda_before, the agenda goes at the next tick.
	h.mustSend("alice@example.org", []string{"jardin-request@lists.test"}, requestMail("alice@example.org",
		"jardin-request@lists.test", "", "réunion "+c.Now().In(paris(t)).Add(48*time.Hour).Format("02/01/2006 15h04")+" Maison du libre\r\n"))
	waitMessages(t, h.sink, "alice@example.org", "Réponse à votre message", 1)
	ms, _ := h.store.Meetings("jardin@lists.test")
	if len(ms) != 1 || ms[0].Place != "Maison du libre" {
		t.Fatalf("meetings %+v", ms)
	}
	h.srv.Tick(context.Background())
	h.srv.Tick(context.Background())
	agenda := waitMessages(t, h.sink, "carol@example.org", "[ORDRE DU JOUR]", 1)[0]
	body := readAll(t, agenda)
	for _, want := range []string{"Maison du libre", "Proposition n° 1", "Proposition n° 2", "Bob Durand", "pas de budget",
		"décision #3 adoptée"} {
		if !strings.Contains(body, want) {
			t.Errorf("the agenda lacks %q:\n%s", want, body)
		}
	}
	h.quiet()
	if n := len(messagesTo(h.sink, "carol@example.org", "[ORDRE DU JOUR]")); n != 1 {
		t.Errorf("%d agendas, want 1", n)
	}
	// A member who is not an owner cannot settle, by a reply to the
	// agenda either: told so privately.
	h.mustSend("carol@example.org", []string{"jardin@lists.test"}, "From: carol@example.org\r\nTo: jardin@lists.test\r\n"+
		"Subject: Re: ordre du jour\r\nMessage-ID: <carol-decides@example.org>\r\nIn-Reply-To: "+
		agenda.Header.Get("Message-Id")+"\r\n\r\ndécision #1 rejetée\r\n")
	if got := readAll(t, waitMessages(t, h.sink, "carol@example.org", "Réponse à votre message", 1)[0]); !strings.Contains(got, "Seuls les responsables") {
		t.Errorf("a member's decision in a reply to the agenda was not answered:\n%s", got)
	}
	h.mustSend("carol@example.org", []string{"jardin-request@lists.test"}, requestMail("carol@example.org",
		"jardin-request@lists.test", "", "décision #1 adoptée\r\n"))
	if got := readAll(t, waitMessages(t, h.sink, "carol@example.org", "Réponse à votre message", 2)[1]); !strings.Contains(got, "Seuls les responsables") {
		t.Errorf("a member's decision was not refused:\n%s", got)
	}
	// The owner records the meeting's decisions by a plain Reply to the
	// agenda (to the list): the reply is distributed, and acts.
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, "From: alice@example.org\r\nTo: jardin@lists.test\r\n"+
		"Subject: Re: "+agenda.Header.Get("Subject")+"\r\nMessage-ID: <decisions@example.org>\r\nIn-Reply-To: "+
		agenda.Header.Get("Message-Id")+"\r\n\r\nCompte rendu :\r\ndécision #1 adoptée, vote unanime\r\n"+
		"décision #2 rejetée\r\n\r\nLe 6 déc. 2026, liste a écrit :\r\n> décision #3 adoptée\r\n")
	adopted := waitMessages(t, h.sink, "carol@example.org", "[ADOPTÉE EN RÉUNION #1]", 1)[0]
	if !strings.Contains(readAll(t, adopted), "vote unanime") {
		t.Errorf("the meeting's note is not in the notice")
	}
	waitMessages(t, h.sink, "carol@example.org", "[REJETÉE #2]", 1)
	p1, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	p2, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 2})
	if p1.Status != consensus.StatusAdopted || p1.DecidedBy != consensus.ByMeeting || p2.Status != consensus.StatusRejected {
		t.Errorf("after the meeting: #1 %s by %q, #2 %s", p1.Status, p1.DecidedBy, p2.Status)
	}
}

// An owner whose mail is not authenticated confirms by a plain reply
// before the decision counts; the command line settles too.
func TestSettleByConfirmationAndCommandLine(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	blockedProposal(t, h, c, 1, "Tondeuse")
	blockedProposal(t, h, c, 2, "Composteur")
	if err := h.sendForged("owner@example.net", []string{"jardin-request@lists.test"}, requestMail("owner@example.net",
		"jardin-request@lists.test", "", "décision #1 reportée\r\n")); err != nil {
		t.Fatal(err)
	}
	to, reply := confirmTo(t, h, "owner@example.net", 1)
	if p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1}); p.Postponed != 0 {
		t.Fatalf("an unconfirmed decision counted")
	}
	if err := h.sendForged("owner@example.net", []string{to}, reply); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
		return p.Postponed == 1 && p.Status == consensus.StatusBlocked
	})
	var out strings.Builder
	if err := h.srv.admin.Execute(context.Background(), []string{"proposal", "settle", "jardin#2", "rejected",
		"--note", "trop cher"}, &out); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, h.sink, "carol@example.org", "[REJETÉE #2]", 1)
	again := []string{"proposal", "settle", "jardin#2", "adopted"}
	if err := h.srv.admin.Execute(context.Background(), again, &out); err == nil || err.Error() != "la proposition jardin#2 est déjà décidée" {
		t.Errorf("a rejected proposal settled again: %v, want the French refusal", err)
	}
	if err := h.srv.admin.ExecuteIn(context.Background(), "en", again, &out); err == nil || err.Error() != "proposal jardin#2 is already decided" {
		t.Errorf("a rejected proposal settled again, in English: %v", err)
	}
	if err := h.srv.admin.Execute(context.Background(), []string{"proposal", "settle", "jardin#9", "adopted"}, &out); err == nil ||
		err.Error() != "la proposition jardin#9 n'existe pas" {
		t.Errorf("settle of no proposal: %v", err)
	}
}

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
