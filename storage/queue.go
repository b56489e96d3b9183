package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"tacit/storage/internal/kv"
)

// QueueEntry is one SMTP transaction's worth of outgoing mail: one
// message to at most recipients_per_transaction recipients of one domain.
// Recipients leave the entry as they are delivered or given up; the entry
// is deleted when none is left.
type QueueEntry struct {
	// ID identifies the entry.
	ID uint64 `json:"id,omitempty"`
	// MessageID is the raw message whose body is sent.
	MessageID uint64 `json:"message_id,omitempty"`
	// Post, when set, is the received message this entry distributes
	// and MessageID a copy of it the server stored (a proposal with its
	// footer): the logs name the post, whatever copy goes out.
	Post uint64 `json:"post,omitempty"`
	// List is the list the mail is sent for ("" for mail of the server).
	List string `json:"list,omitempty"`
	// Header is the header block sent before the body; nil means the
	// message's own bytes up to BodyOffset (a message tacit wrote).
	Header []byte `json:"header,omitempty"`
	// BodyOffset is where the body starts in the raw message.
	BodyOffset int `json:"body_offset"`
	// From is the envelope sender.
	From string `json:"from"`
	// Domain is the domain of every recipient.
	Domain string `json:"domain"`
	// Recipients are the addresses still to deliver to.
	Recipients []string `json:"recipients"`
	// Created is when the entry was queued.
	Created time.Time `json:"created"`
	// NextAttempt is when the entry is due.
	NextAttempt time.Time `json:"next_attempt"`
	// Attempts counts the attempts started.
	Attempts int `json:"attempts"`
	// LastError is the last temporary error, for operators.
	LastError string `json:"last_error,omitempty"`
	// Personal entries go out one transaction per recipient, each with
	// its own envelope sender (VERP) and header lines, which the
	// delivery runner computes.
	Personal bool `json:"personal,omitempty"`
	// Proposal, when set, is the number of the proposal this entry
	// distributes: each member's copy gets their own one-click links.
	Proposal int `json:"proposal,omitempty"`
	// InFlight is true between ClaimAttempt and FinishAttempt: an entry
	// still in flight when the store is opened was interrupted by a crash.
	InFlight bool `json:"in_flight,omitempty"`
	// Owner is the token of the attempt that holds the entry's lease,
	// drawn at random by ClaimAttempt: only that attempt may renew the
	// lease or reschedule the entry.
	Owner string `json:"owner,omitempty"`
}

// Failure records a recipient given up on.
type Failure struct {
	// EntryID and MessageID say which delivery failed.
	EntryID   uint64 `json:"entry_id"`
	MessageID uint64 `json:"message_id"`
	// List is the list the mail was sent for.
	List string `json:"list,omitempty"`
	// Recipient is the address that could not be delivered to.
	Recipient string `json:"recipient"`
	// Error is the relay's answer or the reason for giving up.
	Error string `json:"error"`
	// Attempts is how many attempts were made.
	Attempts int `json:"attempts"`
	// At is when the recipient was given up.
	At time.Time `json:"at"`
}

// QueueStats summarises the delivery queue.
type QueueStats struct {
	// Entries is the number of queue entries.
	Entries int
	// Recipients is the number of recipients still to deliver to.
	Recipients int
	// Oldest is the creation time of the oldest entry (zero if none).
	Oldest time.Time
}

func dueKey(t time.Time, id uint64) []byte {
	return append(u64(uint64(t.UnixNano())), u64(id)...)
}

func putNewQueueEntry(tx kv.Tx, e QueueEntry) (uint64, error) {
	raw, err := encodeQueueEntry(e)
	if err != nil {
		return 0, err
	}
	return putQueueEncoded(tx, raw, e.MessageID, e.NextAttempt)
}

// putQueueEncoded queues an entry encoded without its id and message id,
// due at next, and returns its id.
func putQueueEncoded(tx kv.Tx, raw []byte, messageID uint64, next time.Time) (uint64, error) {
	b := appending(tx.Bucket(bucketQueue))
	id, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	if err := b.Put(u64(id), withIDs(raw, idField{"id", id}, idField{"message_id", messageID})); err != nil {
		return 0, err
	}
	return id, tx.Bucket(bucketQueueDue).Put(dueKey(next, id), nil)
}

// Enqueue adds entries to the delivery queue in one transaction.
func (s *Store) Enqueue(entries ...QueueEntry) error {
	err := s.db.Update(func(tx kv.Tx) error {
		for _, e := range entries {
			if _, err := putNewQueueEntry(tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: enqueue: %w", err)
	}
	return nil
}

// Due returns up to limit queue entries whose next attempt is at or before
// now, earliest first, skipping those for which skip returns true.
func (s *Store) Due(now time.Time, limit int, skip func(id uint64) bool) ([]QueueEntry, error) {
	var out []QueueEntry
	end := u64(uint64(now.UnixNano()))
	err := s.db.View(func(tx kv.Tx) error {
		q := tx.Bucket(bucketQueue)
		c := tx.Bucket(bucketQueueDue).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if bytes.Compare(k[:8], end) > 0 {
				break
			}
			id := be64(k[8:])
			if skip != nil && skip(id) {
				continue
			}
			var e QueueEntry
			if err := getJSON(q, u64(id), &e); err != nil {
				return fmt.Errorf("entry %d: %w", id, err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: due queue entries: %w", err)
	}
	return out, nil
}

// NextDue returns the earliest next attempt in the queue; ok is false when
// the queue is empty.
func (s *Store) NextDue() (t time.Time, ok bool, err error) {
	err = s.db.View(func(tx kv.Tx) error {
		k, _ := tx.Bucket(bucketQueueDue).Cursor().First()
		if k != nil {
			t, ok = time.Unix(0, int64(be64(k[:8]))), true
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("storage: next due: %w", err)
	}
	return t, ok, nil
}

// updateEntry rewrites entry e, moving its due index from old to
// e.NextAttempt.
func updateEntry(tx kv.Tx, e QueueEntry, old time.Time) error {
	due := tx.Bucket(bucketQueueDue)
	if err := due.Delete(dueKey(old, e.ID)); err != nil {
		return err
	}
	if err := due.Put(dueKey(e.NextAttempt, e.ID), nil); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketQueue), u64(e.ID), e)
}

// AttemptResult is the outcome of one attempt on a queue entry.
type AttemptResult struct {
	// Delivered lists the recipients the next hop accepted.
	Delivered []string
	// Failed lists the recipients given up for good.
	Failed []Failure
	// LastError is the temporary error of the recipients left, if any.
	LastError string
	// RetryAt is when the recipients left are due again; zero keeps the
	// end of the lease set by ClaimAttempt.
	RetryAt time.Time
	// Owner is the token ClaimAttempt gave the attempt (QueueEntry.Owner).
	Owner string
}

// FinishAttempt records the outcome of an attempt on entry id in one
// transaction: delivered and failed recipients leave the entry, failures
// are recorded, and the entry is deleted when no recipient is left.
//
// Only the attempt that holds the entry (r.Owner is the entry's Owner)
// ends its flight and sets its next attempt and last error. An attempt
// whose lease ran out, and which another attempt claimed since, still
// removes the recipients it delivered or gave up (that happened), but
// leaves the rest to the new owner. An entry already gone (every
// recipient recorded by another attempt) is not an error.
func (s *Store) FinishAttempt(id uint64, r AttemptResult) error {
	if err := s.db.Batch(func(tx kv.Tx) error { return recordAttempt(tx, id, r) }); err != nil {
		return fmt.Errorf("storage: finish attempt on queue entry %d: %w", id, err)
	}
	return nil
}

// RecordDelivered records, while an attempt on entry id goes on, that
// the relay took the recipients delivered (one SMTP transaction of an
// entry sent in several), so that a crash does not make them sent again:
// they leave the entry when its attempt ends (FinishAttempt), or when
// another attempt claims it or the store recovers it after a crash.
// The attempt keeps its claim. Commits are shared with concurrent calls
// without waiting for them (group.go): the call returns once the
// recipients are committed.
func (s *Store) RecordDelivered(id uint64, delivered ...string) error {
	err := s.progress.do(s.db, func(tx kv.Tx) error {
		if tx.Bucket(bucketQueue).Get(u64(id)) == nil {
			return nil // every recipient recorded already
		}
		b := tx.Bucket(bucketQueueSent)
		for _, a := range delivered {
			if err := b.Put(sentKey(id, a), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: record delivered recipients of queue entry %d: %w", id, err)
	}
	return nil
}

// bucketQueueSent holds the recipients RecordDelivered recorded, keyed
// by entry id ‖ address, until they leave their entry (takeSent).
var bucketQueueSent = []byte("queue_sent")

func migrateQueueSent(tx kv.Tx) error {
	_, err := tx.CreateBucketIfNotExists(bucketQueueSent)
	return err
}

func sentKey(id uint64, rcpt string) []byte { return append(u64(id), rcpt...) }

// takeSent removes from e the recipients RecordDelivered recorded for
// it, and forgets them; it reports whether there were any.
func takeSent(tx kv.Tx, e *QueueEntry) (bool, error) {
	b := tx.Bucket(bucketQueueSent)
	prefix := u64(e.ID)
	var keys [][]byte
	sent := map[string]bool{}
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
		sent[string(k[8:])] = true
	}
	if len(keys) == 0 {
		return false, nil
	}
	e.Recipients = slices.DeleteFunc(e.Recipients, func(a string) bool { return sent[a] })
	return true, deleteKeys(b, keys)
}

// deleteEntry removes entry e, which has no recipient left, from the
// queue.
func deleteEntry(tx kv.Tx, e QueueEntry) error {
	if err := tx.Bucket(bucketQueueDue).Delete(dueKey(e.NextAttempt, e.ID)); err != nil {
		return err
	}
	return tx.Bucket(bucketQueue).Delete(u64(e.ID))
}

// recordAttempt removes from entry id the recipients r delivered or
// failed, and those recorded by RecordDelivered, recording the failures,
// and, when the attempt r.Owner holds the entry, ends its flight with
// r's error and retry time.
func recordAttempt(tx kv.Tx, id uint64, r AttemptResult) error {
	q := tx.Bucket(bucketQueue)
	if q.Get(u64(id)) == nil {
		_, err := deletePrefix(tx.Bucket(bucketQueueSent), u64(id))
		return err
	}
	var e QueueEntry
	if err := getJSON(q, u64(id), &e); err != nil {
		return err
	}
	before := len(e.Recipients)
	if _, err := takeSent(tx, &e); err != nil {
		return err
	}
	gone := make(map[string]bool, len(r.Delivered)+len(r.Failed))
	for _, a := range r.Delivered {
		gone[a] = true
	}
	fails := tx.Bucket(bucketFailures)
	for _, f := range r.Failed {
		if gone[f.Recipient] || !slices.Contains(e.Recipients, f.Recipient) {
			continue
		}
		gone[f.Recipient] = true
		seq, err := fails.NextSequence()
		if err != nil {
			return err
		}
		if err := putJSON(fails, u64(seq), f); err != nil {
			return err
		}
	}
	e.Recipients = slices.DeleteFunc(e.Recipients, func(a string) bool { return gone[a] })
	if len(e.Recipients) == 0 {
		return deleteEntry(tx, e)
	}
	if !e.InFlight || e.Owner != r.Owner {
		// No longer this attempt's: the recipients it recorded leave,
		// the rest is the owner's.
		if len(e.Recipients) == before {
			return nil
		}
		return putJSON(q, u64(id), e)
	}
	old := e.NextAttempt
	e.InFlight, e.Owner = false, ""
	e.LastError = r.LastError
	if !r.RetryAt.IsZero() {
		e.NextAttempt = r.RetryAt
	}
	return updateEntry(tx, e, old)
}

// RecoverInFlight makes every entry whose attempt was interrupted (by a
// crash) due at now, and returns how many there were. Call it once, before
// delivering, when no attempt is running. On a shared store (Shared) it
// does nothing: the entries in flight may be another live process's, and
// those of a dead one are claimed again when their lease runs out
// (ClaimAttempt).
func (s *Store) RecoverInFlight(now time.Time) (int, error) {
	if s.Shared() {
		return 0, nil
	}
	n := 0
	err := s.db.Update(func(tx kv.Tx) error {
		n = 0
		q := tx.Bucket(bucketQueue)
		var stuck []QueueEntry
		err := q.ForEach(func(_, v []byte) error {
			var e QueueEntry
			if err := decodeJSON(v, &e); err != nil {
				return err
			}
			if e.InFlight {
				stuck = append(stuck, e)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, e := range stuck {
			if _, err := takeSent(tx, &e); err != nil {
				return err
			}
			if len(e.Recipients) == 0 {
				if err := deleteEntry(tx, e); err != nil {
					return err
				}
				continue
			}
			old := e.NextAttempt
			e.InFlight, e.Owner = false, ""
			e.NextAttempt = now
			if err := updateEntry(tx, e, old); err != nil {
				return err
			}
		}
		n = len(stuck)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storage: recover interrupted deliveries: %w", err)
	}
	return n, nil
}

// QueueEntry returns one entry of the queue.
func (s *Store) QueueEntry(id uint64) (QueueEntry, error) {
	var e QueueEntry
	err := s.db.View(func(tx kv.Tx) error {
		return getJSON(tx.Bucket(bucketQueue), u64(id), &e)
	})
	if err != nil {
		return QueueEntry{}, fmt.Errorf("storage: queue entry %d: %w", id, err)
	}
	return e, nil
}

// QueueStats counts the queue.
func (s *Store) QueueStats() (QueueStats, error) {
	var st QueueStats
	err := s.db.View(func(tx kv.Tx) error {
		q := tx.Bucket(bucketQueue)
		sent := tx.Bucket(bucketQueueSent).Cursor()
		return q.ForEach(func(k, v []byte) error {
			var e QueueEntry
			if err := decodeJSON(v, &e); err != nil {
				return err
			}
			st.Entries++
			st.Recipients += len(e.Recipients)
			// Less those an attempt in flight has delivered already.
			for s, _ := sent.Seek(k); s != nil && bytes.HasPrefix(s, k); s, _ = sent.Next() {
				if slices.Contains(e.Recipients, string(s[8:])) {
					st.Recipients--
				}
			}
			if st.Oldest.IsZero() || e.Created.Before(st.Oldest) {
				st.Oldest = e.Created
			}
			return nil
		})
	})
	if err != nil {
		return QueueStats{}, fmt.Errorf("storage: queue stats: %w", err)
	}
	return st, nil
}

// QueueDepth returns the number of queue entries and the creation time of
// the oldest (zero when the queue is empty), without decoding every entry
// as QueueStats does: entry ids grow with time, so the first entry is the
// oldest, and it is the only one read.
func (s *Store) QueueDepth() (entries int, oldest time.Time, err error) {
	err = s.db.View(func(tx kv.Tx) error {
		entries, oldest = 0, time.Time{}
		c := tx.Bucket(bucketQueue).Cursor()
		k, v := c.First()
		if k == nil {
			return nil
		}
		var e struct {
			Created time.Time `json:"created"`
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("entry %d: %w", be64(k), err)
		}
		oldest = e.Created
		for ; k != nil; k, _ = c.Next() {
			entries++
		}
		return nil
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("storage: queue depth: %w", err)
	}
	return entries, oldest, nil
}

// Failures returns the recipients given up on, oldest first.
func (s *Store) Failures() ([]Failure, error) {
	var out []Failure
	err := s.db.View(func(tx kv.Tx) error {
		b := tx.Bucket(bucketFailures)
		return b.ForEach(func(_, v []byte) error {
			var f Failure
			if err := decodeJSON(v, &f); err != nil {
				return err
			}
			out = append(out, f)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("storage: failures: %w", err)
	}
	return out, nil
}
