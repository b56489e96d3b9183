package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"tacit/storage/internal/kv"
)

// Removing a list (tacit list rm): everything the store keeps for it
// goes in one transaction, so that a crash leaves the list either whole
// or gone.
//
// Gone with the list: its settings, members (with their passwords, modes
// and probes), archive (the entries, the IMAP layer's data, the proposal
// mailboxes and every member's \Seen flags there, the distributed
// Message-IDs), proposals (their timelines, deadlines, threads, links
// revoked), held posts (and the tokens of their notices), bans and
// moderated addresses, the held logs, meetings, the posts waiting for
// the digest, the pending confirmations, the delivery failures and
// discard records naming it, the queue entries still waiting to deliver
// its mail, and its export record. The raw messages these referred to
// go too, unless something that stays (another list's archive, a held
// post, a queue entry, the inbox) still refers to them.
//
// Kept: a queue entry being delivered at that very moment (in flight)
// and its message, which finish as they would have; received messages
// still in the inbox, which the server then finds addressed to no list;
// the per-address reply counters, which belong to no list.

// NotExportedError is RemoveList's refusal: the list was not exported
// since its last change.
type NotExportedError struct {
	// List is the list's address.
	List string
	// Exported is when it was last exported; zero for never.
	Exported time.Time
}

func (e *NotExportedError) Error() string {
	if e.Exported.IsZero() {
		return fmt.Sprintf("storage: list %s was never exported", e.List)
	}
	return fmt.Sprintf("storage: list %s changed since its export of %s", e.List, e.Exported.Format(time.RFC3339))
}

// Removed counts what RemoveList took away.
type Removed struct {
	Members   int `json:"members"`
	Posts     int `json:"posts"`
	Proposals int `json:"proposals"`
	Held      int `json:"held"`
	// Queued is the number of queue entries (one per domain and batch
	// of recipients) whose delivery was cancelled.
	Queued        int `json:"queued"`
	Meetings      int `json:"meetings"`
	Confirmations int `json:"confirmations"`
	// Messages is the number of raw messages deleted.
	Messages int `json:"messages"`
}

// RemoveList removes list and everything kept for it (see above). Unless
// force is set, it first checks, in the same transaction, that the list
// was exported since its last change (MarkExported, ListState), and
// returns a *NotExportedError otherwise. An unknown list is ErrNotFound.
func (s *Store) RemoveList(list string, force bool) (Removed, error) {
	list = NormalizeAddress(list)
	var r Removed
	err := s.db.Update(func(tx kv.Tx) error {
		r = Removed{}
		if tx.Bucket(bucketLists).Get([]byte(list)) == nil {
			return ErrNotFound
		}
		if !force {
			if err := checkExported(tx, list); err != nil {
				return err
			}
		}
		return removeList(tx, list, &r)
	})
	if err != nil {
		return Removed{}, fmt.Errorf("storage: remove list %s: %w", list, err)
	}
	return r, nil
}

func checkExported(tx kv.Tx, list string) error {
	rec, ok, err := exported(tx, list)
	if err != nil {
		return err
	}
	state, err := listState(tx, list)
	if err != nil {
		return err
	}
	if !ok || rec.State != state {
		return &NotExportedError{List: list, Exported: rec.At}
	}
	return nil
}

// refs is what a record says about the list and the message it uses.
type refs struct {
	List      string `json:"list"`
	MessageID uint64 `json:"message_id"`
	Post      uint64 `json:"post"`
	Message   uint64 `json:"message"`
	Token     string `json:"token"`
	// A queue entry's id, due time and state.
	ID          uint64    `json:"id"`
	NextAttempt time.Time `json:"next_attempt"`
	InFlight    bool      `json:"in_flight"`
}

func removeList(tx kv.Tx, list string, r *Removed) error {
	key := []byte(list)
	prefix := append([]byte(list), 0)
	orphans := map[uint64]bool{} // messages the list used

	// Keyed by the list, or by list ‖ 0 ‖ ….
	for _, b := range [][]byte{bucketLists, bucketProposalNumber, bucketDigestSent, bucketExports} {
		if err := deleteKey(tx.Bucket(b), key); err != nil {
			return err
		}
	}
	for _, name := range [][]byte{bucketProposalWake, bucketProposals, bucketProposalEvents, bucketProposalPost,
		bucketBoxes, bucketBoxNext, bucketArchiveMeta, bucketListMsgIDs, bucketRevokedLinks, bucketBans,
		bucketModerated, bucketHeldBy, bucketHeldLog, bucketMeetings, bucketDigest} {
		b := tx.Bucket(name)
		if bytes.Equal(name, bucketProposalWake) {
			// Each wake names its key in proposal_due.
			var due [][]byte
			if err := deleteWhere(b, prefix, func(_, v []byte) bool {
				due = append(due, bytes.Clone(v))
				return true
			}); err != nil {
				return err
			}
			if err := deleteKeys(tx.Bucket(bucketProposalDue), due); err != nil {
				return err
			}
			continue
		}
		n, err := deletePrefix(b, prefix)
		if err != nil {
			return err
		}
		switch {
		case bytes.Equal(name, bucketProposals):
			r.Proposals = n
		case bytes.Equal(name, bucketMeetings):
			r.Meetings = n
		}
	}
	// Nested buckets of the list.
	if b := tx.Bucket(bucketMembers).Bucket(key); b != nil {
		_ = b.ForEach(func(_, _ []byte) error { r.Members++; return nil })
		if err := tx.Bucket(bucketMembers).DeleteBucket(key); err != nil {
			return err
		}
	}
	if b := tx.Bucket(bucketArchive).Bucket(key); b != nil {
		if err := b.ForEach(func(_, v []byte) error {
			var x refs
			if json.Unmarshal(v, &x) == nil && x.MessageID != 0 {
				orphans[x.MessageID] = true
			}
			r.Posts++
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketArchive).DeleteBucket(key); err != nil {
			return err
		}
	}
	if err := removeByValue(tx, list, prefix, orphans, r); err != nil {
		return err
	}
	return deleteOrphans(tx, orphans, r)
}

// removeByValue deletes the records that name the list in their value,
// or after a prefix of their key.
func removeByValue(tx kv.Tx, list string, prefix []byte, orphans map[uint64]bool, r *Removed) error {
	var tokens, due, sent [][]byte // deleted after the walks
	var err error
	if r.Held, err = deleteRecords(tx.Bucket(bucketHeld), list, func(x refs) bool {
		orphans[x.MessageID] = true
		if x.Token != "" {
			tokens = append(tokens, []byte(x.Token))
		}
		return true
	}); err != nil {
		return err
	}
	if r.Queued, err = deleteRecords(tx.Bucket(bucketQueue), list, func(x refs) bool {
		if x.InFlight {
			return false // being delivered: it finishes
		}
		due = append(due, dueKey(x.NextAttempt, x.ID))
		sent = append(sent, u64(x.ID))
		orphans[x.MessageID], orphans[x.Post] = true, true
		return true
	}); err != nil {
		return err
	}
	if err := deleteKeys(tx.Bucket(bucketHeldTokens), tokens); err != nil {
		return err
	}
	if err := deleteKeys(tx.Bucket(bucketQueueDue), due); err != nil {
		return err
	}
	for _, id := range sent { // recipients an interrupted attempt delivered
		if _, err := deletePrefix(tx.Bucket(bucketQueueSent), id); err != nil {
			return err
		}
	}
	if r.Confirmations, err = deleteRecords(tx.Bucket(bucketConfirmations), list, func(x refs) bool {
		orphans[x.Message] = true
		return true
	}); err != nil {
		return err
	}
	for _, b := range [][]byte{bucketFailures, bucketDiscarded} {
		if _, err := deleteRecords(tx.Bucket(b), list, func(refs) bool { return true }); err != nil {
			return err
		}
	}
	// Values list ‖ 0 ‖ number: threads and the proposals of messages.
	for _, b := range [][]byte{bucketThreads, bucketProposalByMsg} {
		if err := deleteWhere(tx.Bucket(b), nil, func(_, v []byte) bool { return bytes.HasPrefix(v, prefix) }); err != nil {
			return err
		}
	}
	// Keys time ‖ list ‖ 0 ‖ …: the pending probes.
	if err := deleteWhere(tx.Bucket(bucketProbes), nil, func(k, _ []byte) bool {
		return len(k) > 8 && bytes.HasPrefix(k[8:], prefix)
	}); err != nil {
		return err
	}
	// Keys member ‖ 0 ‖ mailbox ‖ 0 ‖ uid, the mailbox being the list's
	// address or under it: every member's \Seen flags.
	return deleteWhere(tx.Bucket(bucketSeen), nil, func(k, _ []byte) bool {
		i := bytes.IndexByte(k, 0)
		box := k[i+1:]
		return i >= 0 && (bytes.HasPrefix(box, prefix) || bytes.HasPrefix(box, []byte(list+"/")))
	})
}

// deleteOrphans deletes the messages of orphans that nothing left in
// the store refers to.
func deleteOrphans(tx kv.Tx, orphans map[uint64]bool, r *Removed) error {
	delete(orphans, 0)
	if len(orphans) == 0 {
		return nil
	}
	keep := func(id uint64) { delete(orphans, id) }
	_ = tx.Bucket(bucketInbox).ForEach(func(k, _ []byte) error { keep(be64(k)); return nil })
	err := tx.Bucket(bucketArchive).ForEachBucket(func(list []byte) error {
		return tx.Bucket(bucketArchive).Bucket(list).ForEach(func(_, v []byte) error {
			var x refs
			if json.Unmarshal(v, &x) == nil {
				keep(x.MessageID)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, name := range [][]byte{bucketHeld, bucketQueue, bucketConfirmations} {
		if err := tx.Bucket(name).ForEach(func(_, v []byte) error {
			var x refs
			if json.Unmarshal(v, &x) == nil {
				keep(x.MessageID)
				keep(x.Post)
				keep(x.Message)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	msgs, envs := tx.Bucket(bucketMessages), tx.Bucket(bucketEnvelopes)
	for id := range orphans {
		k := u64(id)
		var err error
		if msgs.Bucket(k) != nil {
			err = msgs.DeleteBucket(k)
		} else {
			err = msgs.Delete(k)
		}
		if err != nil {
			return err
		}
		if err := envs.Delete(k); err != nil {
			return err
		}
		r.Messages++
	}
	return nil
}

// deleteKey deletes key from b, a bucket that may not exist.
func deleteKey(b kv.Bucket, key []byte) error {
	if b == nil {
		return nil
	}
	return b.Delete(key)
}

// deleteKeys deletes keys from b.
func deleteKeys(b kv.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// deletePrefix deletes the keys of b that start with prefix and returns
// how many there were.
func deletePrefix(b kv.Bucket, prefix []byte) (int, error) {
	n := 0
	err := deleteWhere(b, prefix, func(_, _ []byte) bool { n++; return true })
	return n, err
}

// deleteWhere deletes the keys of b that start with prefix and for
// which match says so. The keys are collected first, then deleted (a
// cursor may skip keys when deleting as it goes).
func deleteWhere(b kv.Bucket, prefix []byte, match func(k, v []byte) bool) error {
	if b == nil {
		return nil
	}
	var doomed [][]byte
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if match(k, v) {
			doomed = append(doomed, bytes.Clone(k))
		}
	}
	return deleteKeys(b, doomed)
}

// deleteRecords deletes the JSON records of b whose "list" is list and
// for which match says so, and returns how many it deleted.
func deleteRecords(b kv.Bucket, list string, match func(refs) bool) (int, error) {
	n := 0
	err := deleteWhere(b, nil, func(_, v []byte) bool {
		var x refs
		if v == nil || json.Unmarshal(v, &x) != nil || NormalizeAddress(x.List) != list || !match(x) {
			return false
		}
		n++
		return true
	})
	return n, err
}
