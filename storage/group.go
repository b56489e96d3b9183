package storage

import (
	"sync"

	"tacit/storage/internal/kv"
)

// groupCommit runs small writes from many goroutines in shared write
// transactions without waiting for company: a call finding no commit
// under way commits at once, alone; the calls that arrive while it
// commits go together in the next one. kv.DB's Batch waits a fixed
// delay for company on bbolt (2 ms), which a caller that must commit
// before it goes on (a delivery recording each SMTP transaction) pays
// on every call; here the wait is at most one commit.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*groupCall
	leading bool // a call is committing, or about to
}

type groupCall struct {
	fn   func(kv.Tx) error
	done chan error    // the call's outcome
	lead chan struct{} // closed to make the call commit the queue
}

// do runs fn in a write transaction of db, possibly shared with other
// calls', and returns its error. As with Batch, fn may run more than
// once: when one call of a shared transaction fails, each is run again
// in a transaction of its own.
func (g *groupCommit) do(db kv.DB, fn func(kv.Tx) error) error {
	c := &groupCall{fn: fn, done: make(chan error, 1), lead: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if g.leading {
		g.mu.Unlock()
		select {
		case err := <-c.done:
			return err
		case <-c.lead:
		}
		g.mu.Lock()
	}
	g.leading = true
	calls := g.queue
	g.queue = nil
	g.mu.Unlock()

	commitCalls(db, calls)

	g.mu.Lock()
	if len(g.queue) > 0 {
		close(g.queue[0].lead) // the next commit is the first waiter's
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	return <-c.done
}

// commitCalls runs calls in one write transaction, or each in its own
// when that fails, and gives each its outcome.
func commitCalls(db kv.DB, calls []*groupCall) {
	err := db.Update(func(tx kv.Tx) error {
		for _, c := range calls {
			if err := c.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(calls) > 1 {
		for _, c := range calls {
			c.done <- db.Update(c.fn)
		}
		return
	}
	for _, c := range calls {
		c.done <- err
	}
}
