package outbound

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"tacit/internal/smtpsink"
	"tacit/storage"
)

// storedPost opens a store of the test's own and stores one post in it,
// as SMTP does; it returns the store, the post's id and its header.
func storedPost(t *testing.T) (*storage.Store, uint64, string) {
	t.Helper()
	st, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hdr := "From: alice@example.org\r\nSubject: bail\r\n\r\n"
	id, err := st.Receive(storage.Envelope{From: "alice@example.org", To: []string{"jardin@lists.test"}},
		[]byte(hdr+"Le bail du jardin est signé.\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return st, id, hdr
}

// queued opens a store and queues one message to n recipients of one
// domain, perTx to an entry, due now.
func queued(t *testing.T, n, perTx int) *storage.Store {
	t.Helper()
	st, id, hdr := storedPost(t)
	now := time.Now()
	var entries []storage.QueueEntry
	for i := 0; i < n; i += perTx {
		e := storage.QueueEntry{MessageID: id, BodyOffset: len(hdr), From: "jardin-bounces@lists.test",
			Domain: "example.net", Created: now, NextAttempt: now}
		for j := i; j < min(n, i+perTx); j++ {
			e.Recipients = append(e.Recipients, fmt.Sprintf("m%03d@example.net", j))
		}
		entries = append(entries, e)
	}
	if err := st.Enqueue(entries...); err != nil {
		t.Fatal(err)
	}
	return st
}

// nodes are delivery runners sharing one store, as tacit nodes sharing a
// database do, each with its own connections to the sink.
type nodes struct {
	stops []func()
	mu    sync.Mutex
	// attempts counts the attempts made, by every node.
	attempts int
}

// run starts one more node on st, delivering into sink with leases of
// lease, until stop or the end of the test.
func (ns *nodes) run(t *testing.T, st Queue, sink *smtpsink.Sink, lease time.Duration) {
	t.Helper()
	tr := NewRelay(RelayOptions{Addr: sink.Addr(), Hostname: "lists.test", MaxConns: 4})
	r := NewRunner(RunnerOptions{Store: st, Transport: tr, Concurrency: 4, Lease: lease,
		RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond, Poll: 20 * time.Millisecond,
		OnAttempt: func(int, int, int) { ns.mu.Lock(); ns.attempts++; ns.mu.Unlock() }})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait(); tr.Close() }) }
	ns.stops = append(ns.stops, stop)
	t.Cleanup(stop)
}

// stop stops every node, each after its attempts in flight have ended,
// and returns how many attempts they made.
func (ns *nodes) stop() int {
	for _, s := range ns.stops {
		s()
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.attempts
}

// waitDelivered waits until the queue is empty and returns how many
// copies each recipient got.
func waitDelivered(t *testing.T, st *storage.Store, sink *smtpsink.Sink) map[string]int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if n, _, err := st.QueueDepth(); err == nil && n == 0 {
			return sink.Recipients()
		}
		if time.Now().After(deadline) {
			st, _ := st.QueueStats()
			t.Fatalf("queue not empty after 15s: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Three runners on one store, as three nodes sharing a database, each
// claim an entry before sending it: every recipient gets one copy.
func TestRunnersSharingAStoreDeliverEachEntryOnce(t *testing.T) {
	t.Parallel()
	st := queued(t, 300, 10)
	sink := smtpsink.Start(t, smtpsink.Options{Delay: 5 * time.Millisecond})
	var ns nodes
	for range 3 {
		// Leases long enough that none runs out on a loaded machine:
		// this is about claims (TestSlowAttemptKeepsItsLease renews).
		// No start-up recovery, as on a shared store: a runner starting
		// after another has claimed entries must not make them due again.
		ns.run(t, noRecovery{st}, sink, 10*time.Second)
	}
	got := waitDelivered(t, st, sink)
	if n := ns.stop(); n != 30 {
		t.Errorf("%d attempts for 30 entries, want 30", n)
	}
	if len(got) != 300 {
		t.Errorf("%d recipients reached, want 300", len(got))
	}
	for rcpt, n := range got {
		if n != 1 {
			t.Errorf("%s got %d copies, want 1", rcpt, n)
		}
	}
}

// An attempt slower than its lease keeps its entry: the lease is renewed
// while it runs, so the other node does not send the same copies.
func TestSlowAttemptKeepsItsLease(t *testing.T) {
	t.Parallel()
	st := queued(t, 4, 2)
	sink := smtpsink.Start(t, smtpsink.Options{Delay: 1200 * time.Millisecond})
	var ns nodes
	// Renewed every 150 ms, a lease of 450 ms runs out only if a
	// renewal is 300 ms late.
	ns.run(t, noRecovery{st}, sink, 450*time.Millisecond)
	ns.run(t, noRecovery{st}, sink, 450*time.Millisecond)
	got := waitDelivered(t, st, sink)
	// Another node's attempt on an entry already delivered would still
	// be in flight: stopping the nodes waits for it, and counts it.
	if n := ns.stop(); n != 2 {
		t.Errorf("%d attempts on 2 entries, want 2", n)
	}
	for _, rcpt := range []string{"m000@example.net", "m001@example.net", "m002@example.net", "m003@example.net"} {
		if got[rcpt] != 1 {
			t.Errorf("%s got %d copies, want 1 (%v)", rcpt, got[rcpt], got)
		}
	}
}

// A node that died mid-attempt leaves its entry claimed: another node
// takes it over once the lease has run out, not before, and sends it once.
func TestDeadNodesEntryIsTakenOverAfterItsLease(t *testing.T) {
	t.Parallel()
	st := queued(t, 2, 2)
	ids, err := st.Due(time.Now(), 10, nil)
	if err != nil || len(ids) != 1 {
		t.Fatalf("due %v, %v", ids, err)
	}
	id := ids[0].ID
	// The dead node's claim, its lease running for 400 ms more.
	leaseEnd := time.Now().Add(400 * time.Millisecond)
	if _, ok, err := st.ClaimAttempt(id, time.Now(), leaseEnd); !ok || err != nil {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	if _, ok, _ := st.ClaimAttempt(id, time.Now(), time.Now().Add(time.Second)); ok {
		t.Fatal("an entry under a live lease was claimed twice")
	}
	sink := smtpsink.Start(t, smtpsink.Options{})
	// Started after the claim, the runner's start-up recovery would make
	// the entry due at once on a store of its own; this tests the lease,
	// as a node joining a shared store sees it: no recovery.
	var ns nodes
	ns.run(t, noRecovery{st}, sink, time.Second)
	got := waitDelivered(t, st, sink)
	if n := ns.stop(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
	if time.Now().Before(leaseEnd) {
		t.Error("the entry was taken over before its lease ran out")
	}
	if got["m000@example.net"] != 1 || got["m001@example.net"] != 1 {
		t.Errorf("copies %v, want one each", got)
	}
}

// noRecovery is a store whose start-up recovery finds nothing, as on a
// shared store.
type noRecovery struct{ *storage.Store }

func (noRecovery) RecoverInFlight(time.Time) (int, error) { return 0, nil }

// A runner whose lease ran out while its attempt was slow, and whose
// entry another node claimed meanwhile, stops renewing it (said at
// INFO) and, at the end of its attempt, records only what it delivered:
// the entry stays in flight under the other node's lease.
func TestRunnerThatLostItsLeaseLeavesTheEntryToTheNewOwner(t *testing.T) {
	t.Parallel()
	st := queued(t, 2, 2)
	sink := smtpsink.Start(t, smtpsink.Options{Delay: 600 * time.Millisecond,
		RcptReply: func(rcpt string) *smtp.SMTPError {
			if rcpt == "m001@example.net" {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "greylisted"}
			}
			return nil
		}})
	var logs lockedBuffer
	tr := NewRelay(RelayOptions{Addr: sink.Addr(), Hostname: "lists.test"})
	t.Cleanup(func() { tr.Close() })
	r := NewRunner(RunnerOptions{Store: st, Transport: tr, Lease: 150 * time.Millisecond,
		Poll: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	// Once the runner holds the entry, another node takes it over, as if
	// the runner's lease had run out.
	waitFor(t, "the runner's claim", func() bool {
		e, err := st.QueueEntry(1)
		return err == nil && e.InFlight
	})
	later := time.Now().Add(time.Hour)
	stolen, ok, err := st.ClaimAttempt(1, later, later.Add(time.Hour))
	if !ok || err != nil {
		t.Fatalf("the other node's claim: %v %v", ok, err)
	}
	waitFor(t, "the runner's attempt", func() bool { return strings.Contains(logs.String(), "msg=\"delivery attempt\"") })
	cancel()
	wg.Wait()

	if !strings.Contains(logs.String(), "level=INFO msg=\"delivery: lease lost") {
		t.Errorf("no INFO line about the lost lease:\n%s", logs.String())
	}
	e, err := st.QueueEntry(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Recipients) != 1 || e.Recipients[0] != "m001@example.net" {
		t.Errorf("recipients %v, want the greylisted one only (the other was delivered)", e.Recipients)
	}
	if !e.InFlight || e.Owner != stolen.Owner || !e.NextAttempt.Equal(stolen.NextAttempt) || e.LastError != "" {
		t.Errorf("the entry is no longer the new owner's, as it claimed it: %+v, claimed %+v", e, stolen)
	}
}

// waitFor waits, up to 10 seconds, until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
