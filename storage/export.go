package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"time"

	"tacit/storage/internal/kv"
)

// When each list was last exported (tacit list export), so that tacit
// list rm can tell whether the export still holds everything:
//
//	exports  list → ExportRecord (JSON)
//
// The bucket is made by the first export, without a schema version: an
// older tacit never reads it, and a store without it has no export.
var bucketExports = []byte("exports")

// ExportRecord says when a list was exported and what it held then.
type ExportRecord struct {
	// At is when the export was made.
	At time.Time `json:"at"`
	// State is the list's ListState taken before the export read
	// anything: a change made during the export makes the record stale.
	State string `json:"state"`
}

// ListState returns a fingerprint of what an export of list holds: its
// settings, members, bans and moderated addresses, the number of posts
// in its archive, its proposals with their timelines, and its meetings.
// Two equal states mean nothing of these changed in between. It returns
// ErrNotFound for an unknown list.
func (s *Store) ListState(list string) (string, error) {
	list = NormalizeAddress(list)
	var state string
	err := s.db.View(func(tx kv.Tx) error {
		var err error
		state, err = listState(tx, list)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("storage: state of list %s: %w", list, err)
	}
	return state, nil
}

func listState(tx kv.Tx, list string) (string, error) {
	settings := tx.Bucket(bucketLists).Get([]byte(list))
	if settings == nil {
		return "", ErrNotFound
	}
	h := sha256.New()
	writeField(h, settings)
	if b := tx.Bucket(bucketMembers).Bucket([]byte(list)); b != nil {
		_ = b.ForEach(func(k, v []byte) error {
			writeField(h, k)
			writeField(h, v)
			return nil
		})
	}
	var posts uint64
	if b := tx.Bucket(bucketArchive).Bucket([]byte(list)); b != nil {
		posts = b.Sequence()
	}
	writeField(h, u64(posts))
	prefix := append([]byte(list), 0)
	for _, name := range [][]byte{bucketProposals, bucketProposalEvents, bucketMeetings, bucketBans, bucketModerated} {
		writeField(h, name)
		b := tx.Bucket(name)
		if b == nil {
			continue
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			writeField(h, k)
			writeField(h, v)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeField writes b to h after its length, so that no two sequences
// of fields hash alike.
func writeField(h hash.Hash, b []byte) {
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
	h.Write(b)
}

// MarkExported records that list was exported at `at`, holding what it
// held in state (ListState, taken before the export).
func (s *Store) MarkExported(list string, at time.Time, state string) error {
	list = NormalizeAddress(list)
	err := s.db.Update(func(tx kv.Tx) error {
		if tx.Bucket(bucketLists).Get([]byte(list)) == nil {
			return ErrNotFound
		}
		b, err := tx.CreateBucketIfNotExists(bucketExports)
		if err != nil {
			return err
		}
		return putJSON(b, []byte(list), ExportRecord{At: at.UTC(), State: state})
	})
	if err != nil {
		return fmt.Errorf("storage: mark %s exported: %w", list, err)
	}
	return nil
}

// Exported returns list's last export; ok is false when there was none.
func (s *Store) Exported(list string) (rec ExportRecord, ok bool, err error) {
	list = NormalizeAddress(list)
	err = s.db.View(func(tx kv.Tx) error {
		rec, ok, err = exported(tx, list)
		return err
	})
	if err != nil {
		return rec, false, fmt.Errorf("storage: export of %s: %w", list, err)
	}
	return rec, ok, nil
}

func exported(tx kv.Tx, list string) (ExportRecord, bool, error) {
	var rec ExportRecord
	b := tx.Bucket(bucketExports)
	if b == nil {
		return rec, false, nil
	}
	if err := getJSON(b, []byte(list), &rec); errors.Is(err, ErrNotFound) {
		return rec, false, nil
	} else if err != nil {
		return rec, false, err
	}
	return rec, true, nil
}
