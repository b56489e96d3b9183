package outbound

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tacit/internal/smtpsink"
	"tacit/storage"
)

// The copies of a personal entry are made in parallel, never more at
// once than PersonalizeParallel over all attempts, and each recipient
// gets the copy made for them.
func TestPersonalizeInParallelBounded(t *testing.T) {
	t.Parallel()
	st, id, hdr := storedPost(t)
	now := time.Now()
	var entries []storage.QueueEntry
	for i := range 4 { // four entries, delivered by concurrent attempts
		e := storage.QueueEntry{MessageID: id, BodyOffset: len(hdr), From: "jardin-bounces@lists.test",
			Domain: "example.net", Created: now, NextAttempt: now, Personal: true}
		for j := range 25 {
			e.Recipients = append(e.Recipients, fmt.Sprintf("m%d-%02d@example.net", i, j))
		}
		entries = append(entries, e)
	}
	if err := st.Enqueue(entries...); err != nil {
		t.Fatal(err)
	}
	const bound = 3
	var inFlight, peak atomic.Int32
	together := make(chan struct{}) // closed once two calls ran at once
	var once sync.Once
	sink := smtpsink.Start(t, smtpsink.Options{})
	tr := NewRelay(RelayOptions{Addr: sink.Addr(), Hostname: "lists.test", MaxConns: 4})
	r := NewRunner(RunnerOptions{Store: st, Transport: tr, Concurrency: 4, PersonalizeParallel: bound,
		Poll: 20 * time.Millisecond,
		Personalize: func(e *storage.QueueEntry, rcpt string, header, body []byte) (string, []byte, []byte) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			if n >= 2 {
				once.Do(func() { close(together) })
			}
			select { // the first calls wait for a second one: they overlap
			case <-together:
			case <-time.After(5 * time.Second):
			}
			return "bounces+" + rcpt, append([]byte("X-For: "+rcpt+"\r\n"), header...), body
		}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	defer func() { cancel(); wg.Wait(); tr.Close() }()
	sink.WaitCount(t, 100, 15*time.Second)
	if p := peak.Load(); p < 2 || p > bound {
		t.Errorf("at most %d copies made at once, want 2 to %d", p, bound)
	}
	for _, m := range sink.Messages() {
		if len(m.To) != 1 || !strings.HasPrefix(string(m.Data), "X-For: "+m.To[0]+"\r\n") || m.From != "bounces+"+m.To[0] {
			t.Errorf("%v (from %s) got %.40q", m.To, m.From, m.Data)
		}
	}
}
