package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"tacit/storage/internal/kv"
)

// bucketHeldLog (schema 8) records when each list held each post:
//
//	held_log  list ‖ 0 ‖ UnixNano ‖ held id → the post's Held.Reason
//
// Unlike held, whose records leave when an owner decides, the log keeps
// every held post for heldLogKeep, so that the server can count the
// posts a list held in an hour (the cap on the owners' notices) from the
// store, across restarts and decisions.
var bucketHeldLog = []byte("held_log")

// heldLogKeep is how long the held log remembers a held post.
const heldLogKeep = 31 * 24 * time.Hour

// migrateHeldLog opens schema 8: the held log, filled with the posts
// held at the time of the upgrade.
func migrateHeldLog(tx kv.Tx) error {
	log, err := tx.CreateBucketIfNotExists(bucketHeldLog)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketHeldLog, err)
	}
	return tx.Bucket(bucketHeld).ForEach(func(k, v []byte) error {
		var h Held
		if err := getJSON(tx.Bucket(bucketHeld), k, &h); err != nil {
			return nil // an unreadable record is left for its reader to report
		}
		return log.Put(heldLogKey(h.List, h.At, h.ID), []byte(h.Reason))
	})
}

func heldLogPrefix(list string) []byte {
	return append([]byte(NormalizeAddress(list)), 0)
}

func heldLogKey(list string, at time.Time, id uint64) []byte {
	k := binary.BigEndian.AppendUint64(heldLogPrefix(list), uint64(at.UnixNano()))
	return binary.BigEndian.AppendUint64(k, id)
}

func putHeld(tx kv.Tx, h Held) error {
	b := appending(tx.Bucket(bucketHeld))
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	h.ID = id
	if h.Token != "" {
		if err := tx.Bucket(bucketHeldTokens).Put([]byte(h.Token), u64(id)); err != nil {
			return err
		}
	}
	if err := logHeld(tx, h); err != nil {
		return err
	}
	if err := logHeldBy(tx, h); err != nil {
		return err
	}
	return putJSON(b, u64(id), h)
}

// logHeld adds h to the held log and forgets the list's entries older
// than heldLogKeep.
func logHeld(tx kv.Tx, h Held) error {
	log := tx.Bucket(bucketHeldLog)
	prefix := heldLogPrefix(h.List)
	old := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(h.At.Add(-heldLogKeep).UnixNano()))
	var stale [][]byte
	c := log.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, old) < 0; k, _ = c.Next() {
		stale = append(stale, bytes.Clone(k))
	}
	for _, k := range stale {
		if err := log.Delete(k); err != nil {
			return err
		}
	}
	return log.Put(heldLogKey(h.List, h.At, h.ID), []byte(h.Reason))
}

// HeldEntry is one post of the held log: which held post, when, and
// why it was held (Held.Reason).
type HeldEntry struct {
	ID     uint64
	At     time.Time
	Reason string
}

// HeldLog returns the posts list held at or after from and before to,
// in the order they were held, whether or not they still wait for a
// decision. The log forgets posts after a month.
func (s *Store) HeldLog(list string, from, to time.Time) ([]HeldEntry, error) {
	var out []HeldEntry
	err := s.db.View(func(tx kv.Tx) error {
		prefix := heldLogPrefix(list)
		start := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(from.UnixNano()))
		end := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(to.UnixNano()))
		c := tx.Bucket(bucketHeldLog).Cursor()
		for k, v := c.Seek(start); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
			rest := k[len(prefix):]
			if len(rest) != 16 {
				continue
			}
			out = append(out, HeldEntry{ID: binary.BigEndian.Uint64(rest[8:]),
				At: time.Unix(0, int64(binary.BigEndian.Uint64(rest[:8]))).UTC(), Reason: string(v)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: held log of %s: %w", list, err)
	}
	return out, nil
}

// LastHeldBefore returns when list last held a post before t whose
// reason keep accepts (nil accepts any), according to the held log; the
// zero time when it remembers none.
func (s *Store) LastHeldBefore(list string, t time.Time, keep func(reason string) bool) (time.Time, error) {
	var at time.Time
	err := s.db.View(func(tx kv.Tx) error {
		prefix := heldLogPrefix(list)
		end := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(t.UnixNano()))
		c := tx.Bucket(bucketHeldLog).Cursor()
		var v []byte
		k, _ := c.Seek(end)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			if len(k) == len(prefix)+16 && (keep == nil || keep(string(v))) {
				at = time.Unix(0, int64(binary.BigEndian.Uint64(k[len(prefix):]))).UTC()
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return at, fmt.Errorf("storage: held log of %s: %w", list, err)
	}
	return at, nil
}

// HeldPosts returns the posts held for moderation, oldest first; list ""
// returns those of every list.
func (s *Store) HeldPosts(list string) ([]Held, error) {
	list = NormalizeAddress(list)
	var out []Held
	err := s.db.View(func(tx kv.Tx) error {
		b := tx.Bucket(bucketHeld)
		return b.ForEach(func(_, v []byte) error {
			var h Held
			if err := decodeJSON(v, &h); err != nil {
				return err
			}
			if list == "" || h.List == list {
				out = append(out, h)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("storage: held posts: %w", err)
	}
	return out, nil
}
