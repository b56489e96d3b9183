package listserv

import (
	"testing"

	"tacit/storage"
)

// A plain Reply to an acknowledgment or a hint — the message that says
// how to lift an objection — reaches the proposal, even from a client
// that writes In-Reply-To alone and changes the Subject.
func TestReplyToAnAcknowledgmentThreads(t *testing.T) {
	t.Parallel()
	h, _ := startDecisions(t)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Tondeuse", "Acheter une tondeuse.\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, replyPost("bob@example.org", "o1@example.org",
		"prop1@example.org", "Re: [jardin] [PROPOSITION #1] Tondeuse", "Je suis contre.\r\n"))
	ack := waitMessages(t, h.sink, "bob@example.org", "objection enregistrée", 1)[0]
	if got := ack.Header.Get("Reply-To"); got != "jardin@lists.test" {
		t.Errorf("the acknowledgment's Reply-To is %q, want the list", got)
	}
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, "From: bob@example.org\r\nTo: jardin@lists.test\r\n"+
		"Subject: Re: mon objection\r\nMessage-ID: <l1@example.org>\r\nIn-Reply-To: "+ack.Header.Get("Message-Id")+
		"\r\n\r\nOBJECTION LEVÉE\r\n")
	waitMessages(t, h.sink, "bob@example.org", "objection levée", 1)
	p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if len(p.Objections) != 0 {
		t.Errorf("objections %v after a reply to the acknowledgment", p.Objections)
	}
}
