package listserv

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/listserv/admin"
	"tacit/listserv/dkim"
	"tacit/storage"
)

// confirmTo waits for the n-th confirmation question sent to addr and
// returns a plain reply to it, as a mail client writes one: to its
// Reply-To, else its From, Subject "Re: …".
func confirmTo(t *testing.T, h *harness, addr string, n int) (to, reply string) {
	t.Helper()
	got := waitMessages(t, h.sink, addr, "confirm ", n)[n-1]
	to = got.Header.Get("Reply-To")
	if to == "" {
		to = got.Header.Get("From")
	}
	if m := regexp.MustCompile(`<([^>]+)>`).FindStringSubmatch(to); m != nil {
		to = m[1]
	}
	return to, "From: " + addr + "\r\nTo: " + to + "\r\nSubject: Re: " + got.Header.Get("Subject") +
		"\r\nIn-Reply-To: " + got.Header.Get("Message-Id") + "\r\nMessage-ID: <re-" + time.Now().Format("150405.000000000") +
		"@example.org>\r\n\r\nOui\r\n\r\nLe 30/11/2026, liste a écrit :\r\n> Confirmez-vous ?\r\n"
}

// A forged objection (the relay found no authentication) counts for
// nothing: the member it names is asked privately, never answers, and
// the proposal is adopted once the wait for the confirmation ends.
func TestForgedObjectionChangesNothing(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Tondeuse", "Acheter une tondeuse.\r\nÉchéance : 2 jours\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	c.Add(47 * time.Hour)
	if err := h.sendForged("bob@example.org", []string{"jardin@lists.test"}, replyPost("bob@example.org", "forged@example.org",
		"prop1@example.org", "Re: [jardin] [PROPOSITION #1] Tondeuse", "OBJECTION : forgée\r\n")); err != nil {
		t.Fatal(err)
	}
	// The real bob is asked, privately, from NAME-request.
	to, _ := confirmTo(t, h, "bob@example.org", 1)
	if to != "jardin-request@lists.test" {
		t.Errorf("the confirmation question is answered to %q", to)
	}
	p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if len(p.Objections) != 0 || len(p.Awaiting) != 1 {
		t.Fatalf("objections %v, awaiting %v", p.Objections, p.Awaiting)
	}
	// The deadline passes: the decision waits for the confirmation…
	c.Add(2 * time.Hour)
	h.srv.Tick(context.Background())
	if p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1}); p.Status != consensus.StatusOpen {
		t.Fatalf("decided over a command waiting for confirmation: %s", p.Status)
	}
	// …which never comes: adopted, as if the forgery had not been sent.
	c.Add(24 * time.Hour)
	h.srv.Tick(context.Background())
	waitMessages(t, h.sink, "carol@example.org", "[ADOPTÉE #1]", 1)
	if p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1}); len(p.Objections) != 0 || len(p.Awaiting) != 0 {
		t.Errorf("after the wait: objections %v awaiting %v", p.Objections, p.Awaiting)
	}
}

// A genuine member whose mail carries no signature takes part by
// confirming: the objection counts as of its receipt, before the
// deadline, though confirmed after it.
func TestUnsignedMemberConfirmsByPlainReply(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Tondeuse", "Acheter une tondeuse.\r\nÉchéance : 2 jours\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	c.Add(47 * time.Hour)
	if err := h.sendForged("bob@example.org", []string{"jardin@lists.test"}, replyPost("bob@example.org", "real@example.org",
		"prop1@example.org", "Re: [jardin] [PROPOSITION #1] Tondeuse", "Je ne suis pas d'accord, trop cher.\r\n")); err != nil {
		t.Fatal(err)
	}
	to, reply := confirmTo(t, h, "bob@example.org", 1)
	c.Add(2 * time.Hour) // confirmed after the deadline
	h.srv.Tick(context.Background())
	if err := h.sendForged("bob@example.org", []string{to}, reply); err != nil { // no signature here either
		t.Fatal(err)
	}
	waitMessages(t, h.sink, "bob@example.org", "objection enregistrée", 1)
	h.srv.Tick(context.Background())
	waitMessages(t, h.sink, "carol@example.org", "[BLOQUÉE #1]", 1)
	p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if len(p.Objections) != 1 || p.Objections[0].Reason != "trop cher." {
		t.Errorf("objections %+v", p.Objections)
	}
	// Nobody else's confirmation works for bob's token.
	if n := len(messagesTo(h.sink, "alice@example.org", "confirm ")); n != 0 {
		t.Errorf("alice got %d confirmation questions", n)
	}
}

// An unauthenticated proposal is held until its author confirms; it opens
// then, its deadline running from the confirmation. Unconfirmed, nobody
// ever sees it.
func TestUnauthenticatedProposalOpensAtConfirmation(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	if err := h.sendForged("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Peinture", "Repeindre le portail.\r\n")); err != nil {
		t.Fatal(err)
	}
	to, reply := confirmTo(t, h, "alice@example.org", 1)
	if n := len(messagesTo(h.sink, "bob@example.org", "Peinture")); n != 0 {
		t.Fatalf("an unconfirmed proposal reached bob")
	}
	c.Add(3 * time.Hour)
	confirmedAt := c.Now()
	if err := h.sendForged("alice@example.org", []string{to}, reply); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1] Peinture", 1)
	p, err := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if err != nil || !p.Opened.Equal(confirmedAt) {
		t.Errorf("opened %v (err %v), want at the confirmation %v", p.Opened, err, confirmedAt)
	}
	if n := len(messagesTo(h.sink, "alice@example.org", "a été accepté")); n != 0 {
		t.Errorf("the author got a moderation notice for her own confirmation")
	}
}

// A DKIM signature counts once: a member's genuine signed lift, replayed
// under another Message-ID, does not count again.
func TestReplayedSignatureCountsOnce(t *testing.T) {
	t.Parallel()
	dns := txtRecords{}
	lookup := dns.lookup
	key := dkimKey(t, "example.org", dns)
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{now: c.Now, auth: dkim.Checker{LookupTXT: lookup},
		consensus: ConsensusOptions{MinDeadline: time.Hour, Schedule: "@every 1h"}})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		signedMail(t, key, proposalPost("[PROPOSITION] Clés", "Changer les serrures.\r\n")))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	support := signedMail(t, key, "From: bob@example.org\r\nTo: jardin@lists.test\r\nSubject: Re: #1\r\n"+
		"In-Reply-To: <prop1@example.org>\r\n\r\n+1\r\n") // Message-ID not signed: a replayer adds their own
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, "Message-ID: <first@example.org>\r\n"+support)
	waitMessages(t, h.sink, "bob@example.org", "soutien enregistré", 1)
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, "Message-ID: <replayed@example.org>\r\n"+support)
	confirmTo(t, h, "bob@example.org", 1) // not counted: bob is asked instead
	if n := len(messagesTo(h.sink, "bob@example.org", "soutien enregistré")); n != 1 {
		t.Errorf("%d acknowledgments, want 1", n)
	}
}

// A forged "mot de passe" changes nothing until the member confirms:
// the old password keeps working.
func TestForgedPasswordRequestChangesNothing(t *testing.T) {
	t.Parallel()
	h, _ := startDecisions(t)
	old, err := admin.SetPassword(h.store, "jardin@lists.test", "bob@example.org")
	if err != nil {
		t.Fatal(err)
	}
	before, _ := h.store.Member("jardin@lists.test", "bob@example.org")
	if err := h.sendForged("bob@example.org", []string{"jardin-request@lists.test"},
		requestMail("bob@example.org", "jardin-request@lists.test", "mot de passe", "")); err != nil {
		t.Fatal(err)
	}
	confirmTo(t, h, "bob@example.org", 1)
	after, _ := h.store.Member("jardin@lists.test", "bob@example.org")
	if after.PasswordHash != before.PasswordHash || old == "" || strings.Contains(after.PasswordHash, old) {
		t.Errorf("the password changed before any confirmation")
	}
}

// A signature proves who wrote, not to whom: bob's private reply to the
// author, resent to the list, is not bob's word to the list.
func TestPrivateReplyResentToTheListDoesNotCount(t *testing.T) {
	t.Parallel()
	h, _ := startDecisions(t)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Tondeuse", "Acheter une tondeuse.\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	private := strings.Replace(replyPost("bob@example.org", "private@example.org", "prop1@example.org",
		"Re: [jardin] [PROPOSITION #1] Tondeuse", "OBJECTION, entre nous\r\n"), "To: jardin@lists.test", "To: alice@example.org", 1)
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, private)
	confirmTo(t, h, "bob@example.org", 1)
	if p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1}); len(p.Objections) != 0 {
		t.Errorf("a private reply resent to the list counted: %v", p.Objections)
	}
}

// Forged replies cannot flood a member with confirmation questions: the
// list writes to one address at most MaxRepliesPerHour times an hour.
func TestConfirmationQuestionsAreCapped(t *testing.T) {
	t.Parallel()
	h, _ := startDecisions(t)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Tondeuse", "Acheter une tondeuse.\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	for i := range 14 {
		if err := h.sendForged("bob@example.org", []string{"jardin@lists.test"}, replyPost("bob@example.org",
			fmt.Sprintf("flood%d@example.org", i), "prop1@example.org", "Re: #1", "OBJECTION\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	h.quiet()
	if n := len(messagesTo(h.sink, "bob@example.org", "confirm ")); n != 10 {
		t.Errorf("%d confirmation questions to bob in an hour, want 10", n)
	}
}
