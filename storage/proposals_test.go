package storage

import (
	"errors"
	"testing"
	"time"

	"tacit/consensus"

	"tacit/storage/internal/kv"
)

func TestProposalNumbersSurviveReprocessing(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	a, _ := s.ReserveProposalNumber("Jardin@lists.test", 10)
	b, _ := s.ReserveProposalNumber("jardin@lists.test", 11)
	again, _ := s.ReserveProposalNumber("jardin@lists.test", 10)
	other, _ := s.ReserveProposalNumber("velo@lists.test", 12)
	if a != 1 || b != 2 || again != 1 || other != 1 {
		t.Errorf("numbers %d %d %d %d, want 1 2 1 1", a, b, again, other)
	}
}

func TestDeadlineIndexFollowsTheProposal(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	mk := func(n int, deadline time.Time) consensus.Proposal {
		return consensus.NewProposal(consensus.Draft{List: "jardin@lists.test", Number: n, Author: "a@x",
			Title: "t", Received: t0, Requested: deadline, Min: time.Hour})
	}
	p1, p2, p3 := mk(1, t0.Add(48*time.Hour)), mk(2, t0.Add(24*time.Hour)), mk(3, t0.Add(72*time.Hour))
	if err := s.Decide([]ProposalUpdate{{Proposal: p1}, {Proposal: p2}, {Proposal: p3}}, nil); err != nil {
		t.Fatal(err)
	}
	due, _ := s.DueProposals(t0.Add(50*time.Hour), 0)
	if len(due) != 2 || due[0].Number != 2 || due[1].Number != 1 {
		t.Fatalf("due %v, want #2 then #1", due)
	}
	if next, ok, _ := s.NextProposalWake(); !ok || !next.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("next wake %v %v", next, ok)
	}
	// Deciding #2 takes it out of the index; moving #1's deadline moves its key.
	p2.Status, p2.Decided = consensus.StatusAdopted, t0.Add(24*time.Hour)
	p1.Deadline = t0.Add(100 * time.Hour)
	notice := Outgoing{Raw: []byte("Subject: adopted\r\n\r\nbody"), BodyOffset: 20, At: t0,
		Archive:         ArchiveEntry{List: "jardin@lists.test", Subject: "adopted"},
		Queue:           []QueueEntry{{List: "jardin@lists.test", Domain: "x", Recipients: []string{"a@x"}, NextAttempt: t0}},
		MessageIDHeader: "<n1@lists.test>", Thread: ProposalRef{List: "jardin@lists.test", Number: 2}}
	err := s.Decide([]ProposalUpdate{{Proposal: p2, Events: []ProposalEvent{{Kind: "status", Status: consensus.StatusAdopted, At: t0}}}, {Proposal: p1}}, []Outgoing{notice})
	if err != nil {
		t.Fatal(err)
	}
	due, _ = s.DueProposals(t0.Add(99*time.Hour), 0)
	if len(due) != 1 || due[0].Number != 3 {
		t.Errorf("due %v, want only #3", due)
	}
	got, _ := s.Proposal(ProposalRef{List: "JARDIN@lists.test", Number: 2})
	if got.Status != consensus.StatusAdopted {
		t.Errorf("status %s", got.Status)
	}
	ev, _ := s.ProposalEvents(ProposalRef{List: "jardin@lists.test", Number: 2})
	if len(ev) != 1 || ev[0].Status != consensus.StatusAdopted || ev[0].Seq == 0 {
		t.Errorf("events %+v", ev)
	}
	if ref, ok, _ := s.ThreadOf("N1@lists.test"); !ok || ref.Number != 2 {
		t.Errorf("thread of the notice: %v %v", ref, ok)
	}
	arch, _ := s.Archive("jardin@lists.test")
	if len(arch) != 1 || arch[0].MessageID == 0 {
		t.Fatalf("archive %+v", arch)
	}
	raw, _, err := s.Message(arch[0].MessageID)
	if err != nil || string(raw) != "Subject: adopted\r\n\r\nbody" {
		t.Errorf("notice stored as %q, %v", raw, err)
	}
	q, _ := s.Due(t0.Add(time.Minute), 10, nil)
	// A notice's entry sends the message's own header (Header nil).
	if len(q) != 1 || q[0].Header != nil || string(raw[:q[0].BodyOffset]) != "Subject: adopted\r\n\r\n" || q[0].MessageID != arch[0].MessageID {
		t.Errorf("queued notice %+v", q)
	}
	all, _ := s.Proposals("jardin@lists.test")
	if len(all) != 3 {
		t.Errorf("%d proposals", len(all))
	}
}

func TestDisposeRecordsProposalAndThread(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	id, err := s.Receive(Envelope{From: "a@x", To: []string{"jardin@lists.test"}, ReceivedAt: now}, []byte("Subject: p\r\n\r\nx"))
	if err != nil {
		t.Fatal(err)
	}
	p := consensus.NewProposal(consensus.Draft{List: "jardin@lists.test", Number: 1, Received: now, Default: time.Hour})
	ref := ProposalRef{List: "jardin@lists.test", Number: 1}
	err = s.Dispose(id, Disposition{Proposals: []ProposalUpdate{{Proposal: p}},
		Threads: []ThreadLink{{MessageID: "<P1@example.org>", Proposal: ref}}})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok, _ := s.ThreadOf("p1@example.org"); !ok || r != ref {
		t.Errorf("thread %v %v", r, ok)
	}
	if due, _ := s.DueProposals(now.Add(2*time.Hour), 0); len(due) != 1 {
		t.Errorf("due %v", due)
	}
}

// A missing or damaged proposal is reported at its index; the others are
// read all the same.
func TestProposalsAtReportsUnreadableOnes(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var ups []ProposalUpdate
	for n := 1; n <= 3; n++ {
		ups = append(ups, ProposalUpdate{Proposal: consensus.NewProposal(consensus.Draft{List: "jardin@lists.test", Number: n,
			Title: "t", Received: t0, Default: time.Hour})})
	}
	if err := s.Decide(ups, nil); err != nil {
		t.Fatal(err)
	}
	key := ProposalRef{List: "jardin@lists.test", Number: 2}.key()
	if err := s.db.Update(func(tx kv.Tx) error { return tx.Bucket(bucketProposals).Put(key, []byte(`{"number":`)) }); err != nil {
		t.Fatal(err)
	}
	refs := []ProposalRef{{"jardin@lists.test", 1}, {"jardin@lists.test", 2}, {"Jardin@lists.test", 3}, {"jardin@lists.test", 9}}
	ps, bad, err := s.ProposalsAt(refs)
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].Number != 1 || ps[2].Number != 3 || bad[0] != nil || bad[2] != nil {
		t.Errorf("readable proposals: %d %d, errors %v %v", ps[0].Number, ps[2].Number, bad[0], bad[2])
	}
	if !errors.Is(bad[1], ErrDamaged) || !errors.Is(bad[3], ErrNotFound) || ps[1].Number != 0 {
		t.Errorf("unreadable: %v (proposal %d), %v; want damaged, not found", bad[1], ps[1].Number, bad[3])
	}
}
