package storage

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"tacit/storage/internal/kv"
)

// Since schema version 14, members choose how they get the ordinary
// posts (docs/membership.md: less mail, never fewer decisions), and the
// posts that digest members did not get wait for the day's digest:
//
//	digest       list ‖ 0 ‖ seq → DigestItem (JSON)
//	digest_sent  list → the last day (YYYY-MM-DD, the list's timezone)
//	             whose digest went out
//
// A digest is sent once: the items it carries are deleted, the day
// marked and the digest stored and queued in one transaction.
var (
	bucketDigest     = []byte("digest")
	bucketDigestSent = []byte("digest_sent")
)

func migrateDigest(tx kv.Tx) error {
	for _, b := range [][]byte{bucketDigest, bucketDigestSent} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// The delivery modes of a member.
const (
	ModeNormal = ""
	ModeDigest = "digest"
	ModeNomail = "nomail"
)

// ValidMode reports whether mode is one of the delivery modes.
func ValidMode(mode string) bool {
	return mode == ModeNormal || mode == ModeDigest || mode == ModeNomail
}

// ModeChange is a member's new delivery mode, recorded with the message
// that asked for it.
type ModeChange struct {
	List, Address string
	Mode          string
	// Until ends a ModeNomail (zero: no end).
	Until time.Time
}

// SetMode gives member addr of list the delivery mode, until when it is
// ModeNomail (zero: no end). Other modes clear the end.
func SetMode(m *Member, mode string, until time.Time) {
	m.Mode = mode
	m.NomailUntil = time.Time{}
	if mode == ModeNomail {
		m.NomailUntil = until
	}
}

// DigestItem is one post that the digest members of a list did not get:
// the copy the list distributed.
type DigestItem struct {
	// Seq orders the items of a list (set by the store).
	Seq     uint64    `json:"seq"`
	List    string    `json:"list"`
	At      time.Time `json:"at"`
	From    string    `json:"from,omitempty"`
	Subject string    `json:"subject,omitempty"`
	Raw     []byte    `json:"raw"`
}

func digestKey(list string, seq uint64) []byte {
	return append(append([]byte(NormalizeAddress(list)), 0), u64(seq)...)
}

// putDigestEffects writes a disposition's mode changes and digest items.
func putDigestEffects(tx kv.Tx, d Disposition) error {
	for _, mc := range d.Modes {
		_, err := updateMember(tx, NormalizeAddress(mc.List), NormalizeAddress(mc.Address), func(m *Member) error {
			SetMode(m, mc.Mode, mc.Until)
			return nil
		})
		if err != nil && !errors.Is(err, ErrNotFound) { // left the list meanwhile
			return err
		}
	}
	for _, it := range d.Digest {
		b := tx.Bucket(bucketDigest)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		it.Seq, it.List = seq, NormalizeAddress(it.List)
		if err := putJSON(b, digestKey(it.List, seq), it); err != nil {
			return err
		}
	}
	return nil
}

// DigestItems returns the posts of list waiting for its digest that were
// distributed before before, oldest first.
func (s *Store) DigestItems(list string, before time.Time) ([]DigestItem, error) {
	var out []DigestItem
	err := s.db.View(func(tx kv.Tx) error {
		prefix := append([]byte(NormalizeAddress(list)), 0)
		b := tx.Bucket(bucketDigest)
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var it DigestItem
			if err := decodeJSON(v, &it); err != nil {
				return err
			}
			if it.At.Before(before) {
				out = append(out, it)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: digest of %s: %w", list, err)
	}
	return out, nil
}

// DigestSentDay returns the last day whose digest list sent ("" for
// none).
func (s *Store) DigestSentDay(list string) (string, error) {
	var day string
	err := s.db.View(func(tx kv.Tx) error {
		day = string(tx.Bucket(bucketDigestSent).Get([]byte(NormalizeAddress(list))))
		return nil
	})
	return day, err
}

// SendDigest sends list's digest of items, in one transaction: the items
// are deleted, day (when not "") marked as sent, and the digest stored
// and queued. It returns whether it won: false, writing nothing, when
// day's digest was already sent or an item is gone (another digest, or
// another node that read the same items, carried it).
func (s *Store) SendDigest(list, day string, items []DigestItem, digest Outgoing) (bool, error) {
	list = NormalizeAddress(list)
	sent := false
	err := s.db.Update(func(tx kv.Tx) error {
		sent = false
		marks := tx.Bucket(bucketDigestSent)
		if day != "" && string(marks.Get([]byte(list))) == day {
			return nil
		}
		b := tx.Bucket(bucketDigest)
		for _, it := range items { // every item still there, before any is taken
			if b.Get(digestKey(list, it.Seq)) == nil {
				return nil
			}
		}
		for _, it := range items {
			if err := b.Delete(digestKey(list, it.Seq)); err != nil {
				return err
			}
		}
		if day != "" {
			if err := marks.Put([]byte(list), []byte(day)); err != nil {
				return err
			}
		}
		sent = true
		return putOutgoing(tx, digest)
	})
	if err != nil {
		return false, fmt.Errorf("storage: send digest of %s: %w", list, err)
	}
	return sent, nil
}

// EndHoliday puts member addr of list, whose ModeNomail ended at until,
// back to normal and stores and queues the notice that tells them, in
// one transaction. It does nothing and returns false when the member
// left or changed their mode meanwhile.
func (s *Store) EndHoliday(list, addr string, until time.Time, told Outgoing) (bool, error) {
	list, addr = NormalizeAddress(list), NormalizeAddress(addr)
	ended := false
	err := s.db.Update(func(tx kv.Tx) error {
		b, err := membersBucket(tx, list)
		if err != nil {
			return err
		}
		var m Member
		if err := getJSON(b, []byte(addr), &m); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			return err
		}
		if m.Mode != ModeNomail || !m.NomailUntil.Equal(until) {
			return nil
		}
		SetMode(&m, ModeNormal, time.Time{})
		m.Address = addr
		if err := putJSON(b, []byte(addr), m); err != nil {
			return err
		}
		ended = true
		return putOutgoing(tx, told)
	})
	if err != nil {
		return false, fmt.Errorf("storage: end holidays of %s on %s: %w", addr, list, err)
	}
	return ended, nil
}
