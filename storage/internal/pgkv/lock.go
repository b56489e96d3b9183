package pgkv

import (
	"context"
	"fmt"
	"sync"

	"tacit/storage/internal/kv"
)

var _ kv.Locker = (*DB)(nil)

// Shared implements kv.Locker: a database is shared by every tacit node
// that connects to it.
func (d *DB) Shared() bool { return true }

// Exclusive implements kv.Locker with a session advisory lock,
// pg_advisory_lock(hashtextextended(name, 0)), taken on a connection of
// its own that is held while fn runs and released after it. fn's own
// reads and writes use other connections of the pool.
//
// Within this process, callers of one name first queue on an in-process
// lock, so that at most one connection per name waits on the server and
// the pool is never filled with waiters.
//
// Should the lock's connection be lost while fn runs, the server releases
// the lock and another node may take it before fn ends: fn's writes still
// go through write transactions, which are serialised across nodes, but
// a decision fn makes from what it read under the lock may then be made
// twice. The callers guard against that in the transaction itself (a
// message is disposed of only if it is still in the inbox, a proposal
// decided only if it is still in the state read).
func (d *DB) Exclusive(ctx context.Context, name string, fn func() error) error {
	local := d.localLock(name)
	select {
	case local <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("pgkv: lock %s: %w", name, ctx.Err())
	}
	defer func() { <-local }()
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgkv: lock %s: %w", name, wrap(err))
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", name); err != nil {
		// Not known to be held: the connection goes, and the lock with it.
		conn.Hijack().Close(context.Background())
		return fmt.Errorf("pgkv: lock %s: %w", name, wrap(err))
	}
	defer func() {
		var released bool
		err := conn.QueryRow(context.Background(), "SELECT pg_advisory_unlock(hashtextextended($1, 0))", name).Scan(&released)
		if err != nil || !released {
			// A connection that may still hold the lock never goes back
			// to the pool: closing it releases the lock.
			conn.Hijack().Close(context.Background())
			return
		}
		conn.Release()
	}()
	return fn()
}

// localLock returns the in-process lock of name: a channel of capacity
// one, so that waiting for it can give up with a context.
func (d *DB) localLock(name string) chan struct{} {
	d.lockMu.Lock()
	defer d.lockMu.Unlock()
	if d.locks == nil {
		d.locks = map[string]chan struct{}{}
	}
	c, ok := d.locks[name]
	if !ok {
		c = make(chan struct{}, 1)
		d.locks[name] = c
	}
	return c
}

// namedLocks are the fields Exclusive needs in DB.
type namedLocks struct {
	lockMu sync.Mutex
	locks  map[string]chan struct{}
}
