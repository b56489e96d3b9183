package storage

import (
	"testing"
	"time"

	"tacit/consensus"
)

func TestQueueDepthCountsEntriesAndDatesTheOldest(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	if n, oldest, err := s.QueueDepth(); n != 0 || !oldest.IsZero() || err != nil {
		t.Fatalf("empty queue: %d %v %v", n, oldest, err)
	}
	t0 := time.Unix(1_800_000_000, 0).UTC()
	if err := s.Enqueue(
		QueueEntry{MessageID: 1, Recipients: []string{"a@x", "b@x"}, NextAttempt: t0, Created: t0},
		QueueEntry{MessageID: 2, Recipients: []string{"c@y"}, NextAttempt: t0, Created: t0.Add(time.Minute)},
	); err != nil {
		t.Fatal(err)
	}
	n, oldest, err := s.QueueDepth()
	if n != 2 || !oldest.Equal(t0) || err != nil {
		t.Fatalf("QueueDepth = %d %v %v, want 2 %v", n, oldest, err, t0)
	}
	// The oldest leaves: the next one is the oldest.
	due, _ := s.Due(t0, 1, nil)
	if err := s.FinishAttempt(due[0].ID, AttemptResult{Delivered: due[0].Recipients}); err != nil {
		t.Fatal(err)
	}
	if n, oldest, _ := s.QueueDepth(); n != 1 || !oldest.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after delivery: %d %v", n, oldest)
	}
}

func TestProposalCountsByStatus(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var ups []ProposalUpdate
	for i, st := range []consensus.Status{consensus.StatusOpen, consensus.StatusOpen, consensus.StatusAdopted,
		consensus.StatusBlocked, consensus.StatusWithdrawn, consensus.StatusAdopted} {
		list := "jardin@lists.test"
		if i%2 == 1 {
			list = "velo@lists.test"
		}
		p := consensus.NewProposal(consensus.Draft{List: list, Number: i + 1, Author: "a@x", Title: "t",
			Received: t0, Requested: t0.Add(48 * time.Hour), Min: time.Hour})
		p.Status = st
		ups = append(ups, ProposalUpdate{Proposal: p})
	}
	if err := s.Decide(ups, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.ProposalCounts()
	if err != nil {
		t.Fatal(err)
	}
	want := map[consensus.Status]int{consensus.StatusOpen: 2, consensus.StatusAdopted: 2,
		consensus.StatusBlocked: 1, consensus.StatusWithdrawn: 1}
	if len(got) != len(want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
	for st, n := range want {
		if got[st] != n {
			t.Errorf("%s: %d, want %d", st, got[st], n)
		}
	}
}
