package pgkv

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tacit/internal/pgtest"
	"tacit/storage/internal/kv"
)

// Two processes on one database (two pools): work under one name never
// overlaps, whichever process runs it; another name does not wait; a
// caller that gives up waiting gets its context's error, and the lock is
// released after fn, even when fn fails.
func TestExclusiveAcrossProcesses(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn), open(t, dsn)
	if !a.Shared() {
		t.Error("a database says it is not shared")
	}
	var inside, most, runs atomic.Int32
	var wg sync.WaitGroup
	for i := range 12 {
		db := []*DB{a, b}[i%2]
		wg.Go(func() {
			err := db.Exclusive(context.Background(), "tacit.decide", func() error {
				n := inside.Add(1)
				if n > most.Load() {
					most.Store(n)
				}
				// fn reads and writes through the same pool meanwhile.
				if err := db.View(func(kv.Tx) error { return nil }); err != nil {
					t.Error(err)
				}
				time.Sleep(2 * time.Millisecond)
				inside.Add(-1)
				runs.Add(1)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if most.Load() != 1 || runs.Load() != 12 {
		t.Errorf("%d holders at once over %d runs, want 1 over 12", most.Load(), runs.Load())
	}

	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.Exclusive(context.Background(), "tacit.decide", func() error { close(held); <-release; return errors.New("boom") })
	}()
	<-held
	if err := b.Exclusive(context.Background(), "tacit.other", func() error { return nil }); err != nil {
		t.Errorf("another name: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	ran := false
	if err := b.Exclusive(ctx, "tacit.decide", func() error { ran = true; return nil }); err == nil || ran {
		t.Errorf("waiting on a lock held by another process: %v, ran %v", err, ran)
	}
	close(release)
	if err := <-done; err == nil || err.Error() != "boom" {
		t.Errorf("fn's error came back as %v", err)
	}
	if err := b.Exclusive(context.Background(), "tacit.decide", func() error { return nil }); err != nil {
		t.Errorf("after a failed fn the lock is free: %v", err)
	}
}
