package outbound

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"tacit/internal/smtpsink"
	"tacit/storage"
)

// A node killed in the middle of a personalised entry (one transaction
// per member, up to 100 to an entry) has recorded each transaction the
// relay took: the node that takes the entry over sends again at most the
// one transaction that was interrupted, not every member of the entry.
func TestKilledMidPersonalEntryResendsOneTransactionAtMost(t *testing.T) {
	t.Parallel()
	const members = 40
	st, id, hdr := storedPost(t)
	now := time.Now()
	e := storage.QueueEntry{MessageID: id, BodyOffset: len(hdr), From: "jardin-bounces@lists.test",
		Domain: "example.net", Created: now, NextAttempt: now, Personal: true}
	for i := range members {
		e.Recipients = append(e.Recipients, fmt.Sprintf("m%03d@example.net", i))
	}
	if err := st.Enqueue(e); err != nil {
		t.Fatal(err)
	}
	// A relay slow enough to look its recipients up that the node is
	// killed mid-entry; it offers PIPELINING and CHUNKING, as Postfix.
	sink := smtpsink.Start(t, smtpsink.Options{RcptDelay: func() time.Duration { return 3 * time.Millisecond }})
	personalize := func(e *storage.QueueEntry, rcpt string, header, body []byte) (string, []byte, []byte) {
		return "jardin-bounces+" + rcpt, header, body
	}
	// run starts a node; kill stops its connections at once, stop
	// waits for it to end.
	run := func(q Queue, lease time.Duration) (kill, stop func()) {
		tr := NewRelay(RelayOptions{Addr: sink.Addr(), Hostname: "lists.test"})
		r := NewRunner(RunnerOptions{Store: q, Transport: tr, Lease: lease, Poll: 20 * time.Millisecond,
			RetryBase: 50 * time.Millisecond, Personalize: personalize})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { r.Run(ctx) })
		var once sync.Once
		stop = func() { once.Do(func() { cancel(); wg.Wait(); tr.Close() }) }
		t.Cleanup(stop)
		return cancel, stop
	}

	// Node A is "killed" once the relay has taken a quarter of the
	// members: from then on its store does nothing and its connections
	// are cut, as a dead process's.
	a := &killable{Store: st, dead: make(chan struct{}), buried: make(chan struct{})}
	cut, stopA := run(a, 300*time.Millisecond)
	t.Cleanup(func() { close(a.buried); stopA() })
	sink.WaitCount(t, members/4, 10*time.Second)
	a.kill()
	cut()
	sent := sink.Count()

	// Node B takes the entry over once A's lease has run out.
	_, _ = run(noRecovery{st}, 10*time.Second)
	got := waitDelivered(t, st, sink)
	twice := 0
	for i := range members {
		rcpt := fmt.Sprintf("m%03d@example.net", i)
		switch got[rcpt] {
		case 1:
		case 2:
			twice++
		default:
			t.Errorf("%s got %d copies", rcpt, got[rcpt])
		}
	}
	if twice > 1 {
		t.Errorf("%d members got two copies, want at most one (the interrupted transaction); "+
			"%d were sent before the kill", twice, sent)
	}
	if sent >= members {
		t.Errorf("every member was sent to before the kill: the test killed nothing")
	}
}

// killable is a store that stops answering once killed, as the store of
// a process killed with SIGKILL: every call blocks until the test ends,
// then fails.
type killable struct {
	*storage.Store
	once   sync.Once
	dead   chan struct{} // closed by kill
	buried chan struct{} // closed at the end of the test
}

var errKilled = errors.New("the process was killed")

// RecoverInFlight finds nothing, as on a shared store.
func (k *killable) RecoverInFlight(time.Time) (int, error) { return 0, nil }

func (k *killable) kill() { k.once.Do(func() { close(k.dead) }) }

// alive blocks, once killed, until the end of the test.
func (k *killable) alive() bool {
	select {
	case <-k.dead:
		<-k.buried
		return false
	default:
		return true
	}
}

func (k *killable) Due(now time.Time, limit int, skip func(id uint64) bool) ([]storage.QueueEntry, error) {
	if !k.alive() {
		return nil, errKilled
	}
	return k.Store.Due(now, limit, skip)
}

func (k *killable) ClaimAttempt(id uint64, now, until time.Time) (storage.QueueEntry, bool, error) {
	if !k.alive() {
		return storage.QueueEntry{}, false, errKilled
	}
	return k.Store.ClaimAttempt(id, now, until)
}

func (k *killable) RenewLease(id uint64, owner string, until time.Time) (bool, error) {
	if !k.alive() {
		return false, errKilled
	}
	return k.Store.RenewLease(id, owner, until)
}

func (k *killable) RecordDelivered(id uint64, delivered ...string) error {
	if !k.alive() {
		return errKilled
	}
	return k.Store.RecordDelivered(id, delivered...)
}

func (k *killable) FinishAttempt(id uint64, r storage.AttemptResult) error {
	if !k.alive() {
		return errKilled
	}
	return k.Store.FinishAttempt(id, r)
}
