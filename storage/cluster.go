package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"tacit/consensus"
	"tacit/storage/internal/kv"
)

// What several tacit processes sharing one store need of it (docs/scaling.md):
//
//   - Exclusive runs a piece of read-decide-write work while no other
//     process holding the same store runs work under the same name: the
//     processing of a received message, one batch of the engine's tick.
//     On bbolt only one process can open the file, so an in-process lock
//     per name is the whole story.
//   - ClaimAttempt claims a queue entry for one delivery attempt under a
//     lease, only if nobody holds a live lease on it; RenewLease extends
//     a lease while the attempt runs. A process that dies leaves its
//     entries to whoever claims them once their lease has run out.
//   - Shared tells whether other processes may be using the store at the
//     same time, for what only a lone process may do (RecoverInFlight).

// namedLocks are in-process locks by name. Each is a channel of
// capacity one, so that waiting for it can give up with a context.
type namedLocks struct {
	mu    sync.Mutex
	locks map[string]chan struct{}
}

func (n *namedLocks) get(name string) chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.locks == nil {
		n.locks = map[string]chan struct{}{}
	}
	c, ok := n.locks[name]
	if !ok {
		c = make(chan struct{}, 1)
		n.locks[name] = c
	}
	return c
}

// Exclusive runs fn while holding the lock name: no other call of
// Exclusive with the same name, in this process or in any other process
// sharing the store, runs at the same time. It returns fn's error, or
// ctx's if ctx ends before the lock is taken. Calls do not nest: fn must
// not call Exclusive with the same name.
//
// On bbolt the lock is in-process (one process opens the file); an
// engine shared between processes locks through kv.Locker.
func (s *Store) Exclusive(ctx context.Context, name string, fn func() error) error {
	if l, ok := s.db.(kv.Locker); ok {
		return l.Exclusive(ctx, name, fn)
	}
	c := s.locks.get(name)
	select {
	case c <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("storage: lock %s: %w", name, ctx.Err())
	}
	defer func() { <-c }()
	return fn()
}

// Shared reports whether other processes may be using the store at the
// same time (a database several tacit nodes share); false for bbolt,
// whose file one process holds.
func (s *Store) Shared() bool {
	l, ok := s.db.(kv.Locker)
	return ok && l.Shared()
}

// InInbox reports whether message id is still waiting in the inbox: not
// yet disposed of, by this process or another.
func (s *Store) InInbox(id uint64) (bool, error) {
	var in bool
	err := s.db.View(func(tx kv.Tx) error {
		in = tx.Bucket(bucketInbox).Get(u64(id)) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("storage: inbox: %w", err)
	}
	return in, nil
}

// ClaimAttempt claims queue entry id for one delivery attempt starting
// at now, in one write transaction: only if the entry is due (its next
// attempt at or before now, which for an entry in flight means that its
// lease has run out), it counts the attempt, marks the entry in flight
// and moves its next attempt to until, the end of the lease. Should the
// attempt's process die, the entry is due again at until, for any
// process. The recipients an interrupted attempt recorded as delivered
// (RecordDelivered) leave the entry first. ok is false when the entry is
// gone (delivered: it is deleted if that is found now) or not due
// (another attempt holds it, or it was retried meanwhile): the caller
// skips it.
//
// Each claim draws a new random token, e.Owner, kept in the entry: the
// attempt passes it to RenewLease and FinishAttempt, which change the
// entry's lease and schedule only for the attempt holding it now.
func (s *Store) ClaimAttempt(id uint64, now, until time.Time) (e QueueEntry, ok bool, err error) {
	owner := rand.Text()
	err = s.db.Batch(func(tx kv.Tx) error {
		e, ok = QueueEntry{}, false
		q := tx.Bucket(bucketQueue)
		if q.Get(u64(id)) == nil {
			return nil
		}
		if err := getJSON(q, u64(id), &e); err != nil {
			return err
		}
		if e.NextAttempt.After(now) {
			return nil
		}
		// What an interrupted attempt recorded as delivered leaves.
		if _, err := takeSent(tx, &e); err != nil {
			return err
		}
		if len(e.Recipients) == 0 {
			return deleteEntry(tx, e)
		}
		old := e.NextAttempt
		e.Attempts++
		e.NextAttempt = until
		e.InFlight, e.Owner = true, owner
		ok = true
		return updateEntry(tx, e, old)
	})
	if err != nil {
		return QueueEntry{}, false, fmt.Errorf("storage: claim queue entry %d: %w", id, err)
	}
	return e, ok, nil
}

// RenewLease moves the end of the lease of an attempt in flight on entry
// id to until. The attempt is the one ClaimAttempt gave the token owner:
// ok is false, and nothing is written, when the entry is gone, no longer
// in flight, or claimed again since (its lease ran out and another
// process took it): the caller's attempt has lost its lease.
func (s *Store) RenewLease(id uint64, owner string, until time.Time) (ok bool, err error) {
	err = s.db.Batch(func(tx kv.Tx) error {
		ok = false
		q := tx.Bucket(bucketQueue)
		if q.Get(u64(id)) == nil {
			return nil
		}
		var e QueueEntry
		if err := getJSON(q, u64(id), &e); err != nil {
			return err
		}
		if !e.InFlight || e.Owner != owner {
			return nil
		}
		old := e.NextAttempt
		e.NextAttempt = until
		ok = true
		return updateEntry(tx, e, old)
	})
	if err != nil {
		return false, fmt.Errorf("storage: renew lease of queue entry %d: %w", id, err)
	}
	return ok, nil
}

// unchanged reports whether the proposal u updates is still, in tx, in
// the state u.From it was decided from (always true without From). Both
// are compared as their JSON encodings, the stored one decoded and
// encoded again, so that equal states compare equal whatever their
// times' locations.
func unchanged(tx kv.Tx, u *ProposalUpdate) (bool, error) {
	if u.From == nil {
		return true, nil
	}
	ref := ProposalRef{List: NormalizeAddress(u.From.List), Number: u.From.Number}
	var stored consensus.Proposal
	if err := getJSON(tx.Bucket(bucketProposals), ref.key(), &stored); errors.Is(err, ErrNotFound) {
		return false, nil // removed meanwhile (its list was)
	} else if err != nil {
		return false, fmt.Errorf("proposal %s: %w", ref, err)
	}
	from := *u.From
	from.List, stored.List = ref.List, NormalizeAddress(stored.List)
	a, err := json.Marshal(stored)
	if err != nil {
		return false, err
	}
	b, err := json.Marshal(from)
	if err != nil {
		return false, err
	}
	return bytes.Equal(a, b), nil
}
