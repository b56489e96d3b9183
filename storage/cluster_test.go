package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tacit/consensus"
)

// Work under one name never overlaps; work under another name does not
// wait for it; a caller that gives up waiting gets its context's error.
func TestExclusiveSerialisesWorkOfOneName(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			err := s.Exclusive(context.Background(), "tick", func() error {
				n := inside.Add(1)
				if n > most.Load() {
					most.Store(n)
				}
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d holders at once, want 1", most.Load())
	}

	held := make(chan struct{})
	release := make(chan struct{})
	go s.Exclusive(context.Background(), "tick", func() error { close(held); <-release; return nil })
	<-held
	if err := s.Exclusive(context.Background(), "other", func() error { return nil }); err != nil {
		t.Errorf("another name: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ran := false
	err := s.Exclusive(ctx, "tick", func() error { ran = true; return nil })
	if !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Errorf("waiting on a held lock: %v, ran %v", err, ran)
	}
	close(release)
	want := errors.New("boom")
	if err := s.Exclusive(context.Background(), "tick", func() error { return want }); err != want {
		t.Errorf("fn's error came back as %v", err)
	}
	if s.Shared() != (engine == DriverPostgres) {
		t.Errorf("on %s the store says shared = %v", engine, s.Shared())
	}
}

// A queue entry is claimed by one attempt at a time: a second claim
// during the lease finds it taken; after the lease, it is claimed again
// and the first attempt can no longer renew its lease.
func TestClaimAttemptHonoursTheLease(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := s.Enqueue(QueueEntry{Domain: "x", Recipients: []string{"a@x"}, Created: t0, NextAttempt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ClaimAttempt(1, t0.Add(-time.Second), t0.Add(time.Minute)); ok || err != nil {
		t.Fatalf("claimed before it was due: %v %v", ok, err)
	}
	e, ok, err := s.ClaimAttempt(1, t0, t0.Add(time.Minute))
	if !ok || err != nil || !e.InFlight || e.Attempts != 1 || !e.NextAttempt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("first claim: %+v %v %v", e, ok, err)
	}
	if _, ok, _ := s.ClaimAttempt(1, t0.Add(59*time.Second), t0.Add(2*time.Minute)); ok {
		t.Fatal("claimed twice under a live lease")
	}
	first := e.Owner
	if ok, err := s.RenewLease(1, first, t0.Add(90*time.Second)); !ok || err != nil {
		t.Fatalf("renew: %v %v", ok, err)
	}
	if _, ok, _ := s.ClaimAttempt(1, t0.Add(80*time.Second), t0.Add(2*time.Minute)); ok {
		t.Fatal("claimed under a renewed lease")
	}
	if due, _ := s.Due(t0.Add(80*time.Second), 10, nil); len(due) != 0 {
		t.Errorf("due under a lease: %+v", due)
	}
	e, ok, _ = s.ClaimAttempt(1, t0.Add(90*time.Second), t0.Add(3*time.Minute))
	if !ok || e.Attempts != 2 || e.Owner == first {
		t.Fatalf("claim after the lease: %+v %v", e, ok)
	}
	if ok, _ := s.RenewLease(1, first, t0.Add(4*time.Minute)); ok {
		t.Error("the attempt that lost its lease renewed it")
	}
	if err := s.FinishAttempt(1, AttemptResult{Delivered: []string{"a@x"}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ClaimAttempt(1, t0.Add(time.Hour), t0.Add(2*time.Hour)); ok || err != nil {
		t.Errorf("claimed a delivered entry: %v %v", ok, err)
	}
}

// An attempt whose lease ran out and whose entry was claimed again
// records what it delivered and gave up, never losing it, but does not
// touch the new owner's flight: the entry stays in flight, under the new
// lease, and the new owner finishes it.
func TestStaleAttemptLeavesTheNewOwnersClaimAlone(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rcpts := []string{"a@x", "b@x", "c@x", "d@x"}
	if err := s.Enqueue(QueueEntry{Domain: "x", Recipients: rcpts, Created: t0, NextAttempt: t0}); err != nil {
		t.Fatal(err)
	}
	stale, ok, err := s.ClaimAttempt(1, t0, t0.Add(time.Minute))
	if !ok || err != nil {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	// The first attempt's lease runs out; another node claims the entry.
	lease := t0.Add(3 * time.Minute)
	owner, ok, err := s.ClaimAttempt(1, t0.Add(2*time.Minute), lease)
	if !ok || err != nil || owner.Owner == stale.Owner {
		t.Fatalf("second claim: %+v %v %v", owner, ok, err)
	}
	if ok, err := s.RenewLease(1, stale.Owner, t0.Add(time.Hour)); ok || err != nil {
		t.Errorf("the stale attempt renewed its lease: %v %v", ok, err)
	}
	// The stale attempt ends: a delivered, b given up, c and d deferred.
	err = s.FinishAttempt(1, AttemptResult{Owner: stale.Owner, Delivered: []string{"a@x"},
		Failed:    []Failure{{EntryID: 1, Recipient: "b@x", Error: "550 no such user", At: t0}},
		LastError: "451 try later", RetryAt: t0.Add(2*time.Minute + time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.QueueEntry(1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e.Recipients, []string{"c@x", "d@x"}) {
		t.Errorf("recipients %v, want c and d (a delivered, b failed)", e.Recipients)
	}
	if !e.InFlight || e.Owner != owner.Owner || !e.NextAttempt.Equal(lease) || e.LastError != "" {
		t.Errorf("the stale finish changed the new owner's claim: %+v", e)
	}
	if f, _ := s.Failures(); len(f) != 1 || f[0].Recipient != "b@x" {
		t.Errorf("failures %+v, want b's", f)
	}
	if _, ok, _ := s.ClaimAttempt(1, t0.Add(2*time.Minute+30*time.Second), t0.Add(time.Hour)); ok {
		t.Error("claimed under the new owner's lease after the stale finish")
	}
	if ok, err := s.RenewLease(1, owner.Owner, t0.Add(4*time.Minute)); !ok || err != nil {
		t.Errorf("the owner lost its lease: %v %v", ok, err)
	}
	// The owner's own outcome, for the recipients it was given (a and b
	// among them): c delivered, a again, d deferred.
	err = s.FinishAttempt(1, AttemptResult{Owner: owner.Owner, Delivered: []string{"a@x", "c@x"},
		LastError: "451 busy", RetryAt: t0.Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	e, _ = s.QueueEntry(1)
	if !slices.Equal(e.Recipients, []string{"d@x"}) || e.InFlight || e.Owner != "" ||
		e.LastError != "451 busy" || !e.NextAttempt.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("after the owner's finish: %+v", e)
	}
	if due, _ := s.Due(t0.Add(10*time.Minute), 10, nil); len(due) != 1 {
		t.Errorf("the entry is not due at its retry: %+v", due)
	}
	// A stale attempt that delivered the last recipient ends the entry.
	if err := s.FinishAttempt(1, AttemptResult{Owner: stale.Owner, Delivered: []string{"d@x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.QueueEntry(1); !errors.Is(err, ErrNotFound) {
		t.Errorf("entry still queued: %v", err)
	}
	if err := s.FinishAttempt(1, AttemptResult{Owner: owner.Owner, Delivered: []string{"d@x"}}); err != nil {
		t.Errorf("finishing an entry another attempt ended: %v", err)
	}
}

// The recipients an attempt records as delivered while it runs leave
// the entry whatever becomes of the attempt: at its end, or when another
// attempt claims the entry after its lease (the first one died), or when
// a lone store recovers it after a crash. The attempt keeps its claim.
func TestRecordedDeliveriesLeaveTheEntry(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rcpts := []string{"a@x", "b@x", "c@x", "d@x"}
	if err := s.Enqueue(QueueEntry{Domain: "x", Recipients: rcpts, Created: t0, NextAttempt: t0, Personal: true},
		QueueEntry{Domain: "x", Recipients: []string{"e@x"}, Created: t0, NextAttempt: t0, Personal: true}); err != nil {
		t.Fatal(err)
	}
	first, ok, err := s.ClaimAttempt(1, t0, t0.Add(time.Minute))
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := s.RecordDelivered(1, "a@x"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordDelivered(1, "b@x"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.QueueStats(); st.Recipients != 3 {
		t.Errorf("%d recipients to deliver, want 3 (c, d and e)", st.Recipients)
	}
	if e, _ := s.QueueEntry(1); !e.InFlight || e.Owner != first.Owner || !e.NextAttempt.Equal(t0.Add(time.Minute)) {
		t.Errorf("recording took the claim away: %+v", e)
	}
	// The attempt dies; another claims the entry after the lease.
	second, ok, err := s.ClaimAttempt(1, t0.Add(2*time.Minute), t0.Add(3*time.Minute))
	if !ok || err != nil || !slices.Equal(second.Recipients, []string{"c@x", "d@x"}) {
		t.Fatalf("claim after the lease: %+v %v %v, want c and d", second, ok, err)
	}
	if err := s.RecordDelivered(1, "c@x"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishAttempt(1, AttemptResult{Owner: second.Owner, LastError: "451", RetryAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if e, _ := s.QueueEntry(1); !slices.Equal(e.Recipients, []string{"d@x"}) || e.InFlight {
		t.Errorf("after the second attempt: %+v, want d left, not in flight", e)
	}
	// Every recipient recorded: the next claim finds nothing to send.
	if _, ok, err := s.ClaimAttempt(1, t0.Add(time.Hour), t0.Add(2*time.Hour)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := s.RecordDelivered(1, "d@x"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.ClaimAttempt(1, t0.Add(3*time.Hour), t0.Add(4*time.Hour)); ok {
		t.Error("claimed an entry whose every recipient was delivered")
	}
	if _, err := s.QueueEntry(1); !errors.Is(err, ErrNotFound) {
		t.Errorf("entry still queued: %v", err)
	}
	// A lone store recovering after a crash drops what was recorded.
	e2, ok, err := s.ClaimAttempt(2, t0, t0.Add(time.Minute))
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := s.RecordDelivered(e2.ID, "e@x"); err != nil {
		t.Fatal(err)
	}
	if s.Shared() {
		return // a shared store does not recover: claims do (above)
	}
	if n, err := s.RecoverInFlight(t0.Add(time.Second)); n != 1 || err != nil {
		t.Fatalf("recovered %d, %v", n, err)
	}
	if st, _ := s.QueueStats(); st.Entries != 0 {
		t.Errorf("%+v left after recovery, want nothing (e was delivered)", st)
	}
}

// Recordings made at once by many attempts, which share commits, are
// each committed when their call returns.
func TestConcurrentRecordingsAreEachCommitted(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var entries []QueueEntry
	for i := range 8 {
		e := QueueEntry{Domain: "x", Created: t0, NextAttempt: t0, Personal: true}
		for j := range 20 {
			e.Recipients = append(e.Recipients, fmt.Sprintf("m%d-%d@x", i, j))
		}
		entries = append(entries, e)
	}
	if err := s.Enqueue(entries...); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for id := uint64(1); id <= 8; id++ {
		wg.Go(func() {
			e, ok, err := s.ClaimAttempt(id, t0, t0.Add(time.Minute))
			if !ok || err != nil {
				t.Error(ok, err)
				return
			}
			for i, a := range e.Recipients {
				if err := s.RecordDelivered(id, a); err != nil {
					t.Error(err)
				}
				if q, _ := s.QueueStats(); i == 9 && q.Recipients > 160-10 {
					t.Errorf("%d recipients to deliver after 10 recorded", q.Recipients)
				}
			}
		})
	}
	wg.Wait()
	if st, err := s.QueueStats(); st.Recipients != 0 || err != nil {
		t.Errorf("%d recipients left to deliver, %v", st.Recipients, err)
	}
}

// A decision taken by one request (a web position, a settlement) is
// written, with its messages, only if the proposal is still in the state
// it was read in: applied from a state another node has changed since,
// it is not, and the caller hears so.
func TestDecideFromWritesOnlyOnTheStateRead(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.Local)
	open := consensus.NewProposal(consensus.Draft{List: "jardin@lists.test", Number: 1, Author: "a@x",
		Title: "t", Received: t0, Requested: t0.Add(time.Hour), Min: time.Hour})
	if err := s.Decide([]ProposalUpdate{{Proposal: open}}, nil); err != nil {
		t.Fatal(err)
	}
	read, _ := s.Proposal(ProposalRef{List: "jardin@lists.test", Number: 1})
	ack := func(to string) []Outgoing {
		return []Outgoing{{Raw: []byte("Subject: noted\r\n\r\nbody"), BodyOffset: 18, At: t0,
			Queue: []QueueEntry{{Domain: "x", Recipients: []string{to}, NextAttempt: t0}}}}
	}
	support := func(who string) ProposalUpdate {
		next := read
		next.Supports = append(slices.Clone(read.Supports), consensus.Support{Member: who, At: t0})
		return ProposalUpdate{Proposal: next, From: &read,
			Events: []ProposalEvent{{Kind: string(consensus.EventSupport), From: who, At: t0}}}
	}
	if ok, err := s.DecideFrom(support("b@x"), ack("b@x")); !ok || err != nil {
		t.Fatalf("from the state read: %v %v", ok, err)
	}
	// Another node read the same state: its write is refused.
	if ok, err := s.DecideFrom(support("c@x"), ack("c@x")); ok || err != nil {
		t.Fatalf("from a stale state: %v %v", ok, err)
	}
	got, _ := s.Proposal(ProposalRef{List: "jardin@lists.test", Number: 1})
	if !got.Supporter("b@x") || got.Supporter("c@x") {
		t.Errorf("supports %+v, want b's only", got.Supports)
	}
	if ev, _ := s.ProposalEvents(ProposalRef{List: "jardin@lists.test", Number: 1}); len(ev) != 1 {
		t.Errorf("timeline %+v, want b's support only", ev)
	}
	if st, _ := s.QueueStats(); st.Entries != 1 {
		t.Errorf("%d messages queued, want b's acknowledgment only", st.Entries)
	}
}

// A tick's decision taken from a state another node has changed since is
// not written, nor are its notices; one taken from the current state is.
func TestDecideEachSkipsADecisionTakenFromAStaleState(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.Local)
	read := consensus.NewProposal(consensus.Draft{List: "Jardin@lists.test", Number: 1, Author: "a@x",
		Title: "t", Received: t0, Requested: t0.Add(time.Hour), Min: time.Hour})
	if err := s.Decide([]ProposalUpdate{{Proposal: read}}, nil); err != nil {
		t.Fatal(err)
	}
	stored, _ := s.Proposal(ProposalRef{List: "jardin@lists.test", Number: 1})
	notice := func() []Outgoing {
		return []Outgoing{{Raw: []byte("Subject: adopted\r\n\r\nbody"), BodyOffset: 20, At: t0,
			Queue: []QueueEntry{{Domain: "x", Recipients: []string{"a@x"}, NextAttempt: t0}}}}
	}
	adopted := stored
	adopted.Status, adopted.Decided = consensus.StatusAdopted, t0.Add(time.Hour)
	// Another node adopts it first, with its notice.
	if err := s.DecideEach([]ProposalRef{{List: "jardin@lists.test", Number: 1}}, func(int) (*ProposalUpdate, []Outgoing, error) {
		return &ProposalUpdate{Proposal: adopted, From: &read}, notice(), nil
	}); err != nil {
		t.Fatal(err)
	}
	// This node read it open, before: its decision is skipped.
	if err := s.DecideEach([]ProposalRef{{List: "jardin@lists.test", Number: 1}}, func(int) (*ProposalUpdate, []Outgoing, error) {
		blocked := stored
		blocked.Status = consensus.StatusBlocked
		return &ProposalUpdate{Proposal: blocked, From: &stored}, notice(), nil
	}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Proposal(ProposalRef{List: "jardin@lists.test", Number: 1})
	if got.Status != consensus.StatusAdopted {
		t.Errorf("status %s, want adopted", got.Status)
	}
	if st, _ := s.QueueStats(); st.Entries != 1 {
		t.Errorf("%d notices queued, want 1", st.Entries)
	}
}
