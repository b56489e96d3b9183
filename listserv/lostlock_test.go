package listserv

import (
	"strings"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/storage"
)

// The lock that serialises decisions across nodes is a PostgreSQL
// session lock: should its connection drop while a node works under it,
// another node may take it and work on the same proposal. These tests
// play that out on two servers sharing one store: each reads and applies
// before either writes (prepare…), then both write (write…).

// events counts the timeline entries of proposal n of kind from who.
func events(t *testing.T, st *storage.Store, n int, kind consensus.EventKind, who string) int {
	t.Helper()
	ev, err := st.ProposalEvents(storage.ProposalRef{List: "jardin@lists.test", Number: n})
	if err != nil {
		t.Fatal(err)
	}
	c := 0
	for _, e := range ev {
		if e.Kind == string(kind) && e.From == who {
			c++
		}
	}
	return c
}

// waitQueueEmpty waits until every queued message has been delivered.
func waitQueueEmpty(t *testing.T, st *storage.Store) {
	t.Helper()
	waitFor(t, func() bool { n, _, err := st.QueueDepth(); return err == nil && n == 0 })
}

// The same web position applied on two nodes from the same state counts
// once: one timeline entry, one acknowledgment.
func TestWebPositionAppliedOnTwoNodesCountsOnce(t *testing.T) {
	t.Parallel()
	h, c := startWeb(t)
	b := secondNode(t, h, c.Now, h.srv.proc.o.Consensus)
	req := webPosition{list: "jardin@lists.test", number: 1, member: "bob@example.org", kind: consensus.EventSupport}
	wa, err := h.srv.proc.prepareWebPosition(req, false)
	if err != nil {
		t.Fatal(err)
	}
	wb, err := b.proc.prepareWebPosition(req, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		p *processor
		w positionWrite
	}{{h.srv.proc, wa}, {b.proc, wb}} {
		if why, err := w.p.writeWebPosition(req, w.w); why != "" || err != nil {
			t.Fatalf("write: %q %v", why, err)
		}
	}
	if n := events(t, h.store, 1, consensus.EventSupport, "bob@example.org"); n != 1 {
		t.Errorf("%d support entries from Bob in the timeline, want 1", n)
	}
	waitMessages(t, h.sink, "bob@example.org", "soutien enregistré", 1)
	waitQueueEmpty(t, h.store)
	if got := messagesTo(h.sink, "bob@example.org", "soutien enregistré"); len(got) != 1 {
		t.Errorf("Bob got %d acknowledgments, want 1", len(got))
	}
}

// Two members' positions applied on two nodes from the same state both
// count: the second write does not wipe out the first.
func TestWebPositionsOnTwoNodesFromOneStateBothCount(t *testing.T) {
	t.Parallel()
	h, c := startWeb(t)
	b := secondNode(t, h, c.Now, h.srv.proc.o.Consensus)
	object := webPosition{list: "jardin@lists.test", number: 1, member: "bob@example.org", kind: consensus.EventObject,
		reason: "trop cher"}
	support := webPosition{list: "jardin@lists.test", number: 1, member: "carol@example.org", kind: consensus.EventSupport}
	wa, err := h.srv.proc.prepareWebPosition(object, false)
	if err != nil {
		t.Fatal(err)
	}
	wb, err := b.proc.prepareWebPosition(support, false)
	if err != nil {
		t.Fatal(err)
	}
	if why, err := h.srv.proc.writeWebPosition(object, wa); why != "" || err != nil {
		t.Fatalf("object: %q %v", why, err)
	}
	if why, err := b.proc.writeWebPosition(support, wb); why != "" || err != nil {
		t.Fatalf("support: %q %v", why, err)
	}
	p, err := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Objector("bob@example.org") || !p.Supporter("carol@example.org") {
		t.Errorf("objections %+v, supports %+v: want Bob's and Carol's", p.Objections, p.Supports)
	}
	if n := events(t, h.store, 1, consensus.EventObject, "bob@example.org") +
		events(t, h.store, 1, consensus.EventSupport, "carol@example.org"); n != 2 {
		t.Errorf("%d timeline entries for the two positions, want 2", n)
	}
}

// A settlement given on the command line and applied on two nodes from
// the same state is written once, with one notice; the second is refused
// as for a proposal already decided.
func TestSettlementAppliedOnTwoNodesIsWrittenOnce(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	blockedProposal(t, h, c, 1, "Tondeuse")
	b := secondNode(t, h, c.Now, h.srv.proc.o.Consensus)
	da, err := h.srv.proc.prepareSettle("jardin@lists.test", 1, consensus.SettleRejected, "trop cher")
	if err != nil {
		t.Fatal(err)
	}
	db, err := b.proc.prepareSettle("jardin@lists.test", 1, consensus.SettleRejected, "trop cher")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.srv.proc.writeSettle(da); err != nil {
		t.Fatal(err)
	}
	if err := b.proc.writeSettle(db); err == nil || !strings.Contains(err.Error(), "already decided") {
		t.Errorf("the second settlement: %v, want already decided", err)
	}
	if n := events(t, h.store, 1, consensus.EventSettle, "cli"); n != 1 {
		t.Errorf("%d settlements in the timeline, want 1", n)
	}
	waitMessages(t, h.sink, "carol@example.org", "[REJETÉE #1]", 1)
	waitQueueEmpty(t, h.store)
	if got := messagesTo(h.sink, "carol@example.org", "[REJETÉE #1]"); len(got) != 1 {
		t.Errorf("Carol got %d notices of the settlement, want 1", len(got))
	}
}

// A meeting's agenda and a digest, each read and composed on two nodes
// before either writes, go out once: the second write finds the agenda
// marked sent, the kept posts taken, and sends nothing.
func TestAgendaAndDigestPreparedOnTwoNodesGoOnce(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	b := secondNode(t, h, c.Now, h.srv.proc.o.Consensus)
	setMode(t, h, "carol@example.org", storage.ModeDigest, time.Time{})
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Pique-nique samedi", "Qui vient ?\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "Pique-nique samedi", 1)
	now := c.Now()
	m, err := h.store.AddMeeting(storage.Meeting{List: "jardin@lists.test", At: now.Add(48 * time.Hour),
		Place: "Maison du libre", Created: now, By: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := h.store.List("jardin@lists.test")
	if err != nil {
		t.Fatal(err)
	}
	nodes := []*processor{h.srv.proc, b.proc}
	var agendas []storage.Outgoing
	var digests []digestWrite
	for _, p := range nodes {
		out, ok, err := p.prepareAgenda(m, now)
		if err != nil || !ok {
			t.Fatalf("agenda: %v %v", ok, err)
		}
		d, err := p.prepareDigest(l, now.Add(time.Second), now)
		if err != nil || len(d.items) != 1 {
			t.Fatalf("digest of %d posts: %v", len(d.items), err)
		}
		agendas, digests = append(agendas, out), append(digests, d)
	}
	for i, p := range nodes {
		if err := p.writeAgenda(m, agendas[i]); err != nil {
			t.Fatal(err)
		}
		n, err := p.writeDigest(l, "", digests[i])
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{1, 0}[i]; n != want {
			t.Errorf("node %d's digest carried %d posts, want %d", i+1, n, want)
		}
	}
	waitMessages(t, h.sink, "carol@example.org", "Résumé", 1)
	waitMessages(t, h.sink, "bob@example.org", "[ORDRE DU JOUR]", 1)
	h.quiet()
	if n := len(messagesTo(h.sink, "bob@example.org", "[ORDRE DU JOUR]")); n != 1 {
		t.Errorf("Bob got %d agendas, want 1", n)
	}
	if n := len(messagesTo(h.sink, "carol@example.org", "Résumé")); n != 1 {
		t.Errorf("Carol got %d digests, want 1", n)
	}
}
