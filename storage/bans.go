package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"tacit/storage/internal/kv"
)

// Against trolls (schema 13, docs/membership.md): what sticks to an
// address whatever its membership.
//
//	bans       list ‖ 0 ‖ address or "@domain" → Ban (JSON): its mail is discarded
//	moderated  list ‖ 0 ‖ address → Ban (JSON): its posts are held, member or not
//	held_by    list ‖ 0 ‖ author ‖ 0 ‖ UnixNano ‖ held id → Held.Reason
//
// held_by is the held log (held.go) by author: it lets the post path
// tell the owners once per author and hour about a member who posts too
// much, from the store, across restarts and decisions.
var (
	bucketBans      = []byte("bans")
	bucketModerated = []byte("moderated")
	bucketHeldBy    = []byte("held_by")
)

// Ban is one entry of a list's ban or moderation set.
type Ban struct {
	// List is the list's address.
	List string `json:"list"`
	// Pattern is an address, or "@domain" for a whole domain.
	Pattern string `json:"pattern"`
	// At is when it was set, By who set it ("cli" or an owner's address).
	At time.Time `json:"at"`
	By string    `json:"by,omitempty"`
}

// The kinds of a Sanction.
const (
	SanctionBan        = "ban"
	SanctionUnban      = "unban"
	SanctionModerate   = "moderate"
	SanctionUnmoderate = "unmoderate"
)

// Sanction is one change to a list's ban or moderation set, recorded
// with the message that asked for it (an owner's mail to -request).
type Sanction struct {
	Kind string
	Ban  Ban
}

// migrateSanctions opens schema 13: the ban and moderation sets and the
// held log by author. The members moderated at the time of the upgrade
// fill the moderation set, so that leaving no longer clears them.
func migrateSanctions(tx kv.Tx) error {
	for _, name := range [][]byte{bucketBans, bucketModerated, bucketHeldBy} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	var sets []Ban
	err := tx.Bucket(bucketMembers).ForEachBucket(func(list []byte) error {
		return tx.Bucket(bucketMembers).Bucket(list).ForEach(func(k, v []byte) error {
			var m Member
			if json.Unmarshal(v, &m) == nil && m.Moderated {
				sets = append(sets, Ban{List: string(list), Pattern: string(k), At: m.Added, By: "migration"})
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, b := range sets {
		if err := putJSON(tx.Bucket(bucketModerated), sanctionKey(b.List, b.Pattern), b); err != nil {
			return err
		}
	}
	return nil
}

func sanctionKey(list, pattern string) []byte {
	return append(append([]byte(NormalizeAddress(list)), 0), NormalizeAddress(pattern)...)
}

// BanPattern normalises an address or "@domain" and reports whether it
// is one.
func BanPattern(p string) (string, bool) {
	p = NormalizeAddress(p)
	local, dom, ok := strings.Cut(p, "@")
	if !ok || dom == "" || strings.ContainsAny(p, " \t\r\n,;<>\"") || strings.Contains(dom, "@") {
		return "", false
	}
	_ = local // "" for a domain
	return p, true
}

// putSanction applies one change in tx. A ban on an address also
// unsubscribes it. It reports whether anything changed.
func putSanction(tx kv.Tx, s Sanction) (bool, error) {
	b := s.Ban
	b.List, b.Pattern = NormalizeAddress(b.List), NormalizeAddress(b.Pattern)
	if tx.Bucket(bucketLists).Get([]byte(b.List)) == nil {
		return false, fmt.Errorf("list %s: %w", b.List, ErrNotFound)
	}
	name := bucketBans
	if s.Kind == SanctionModerate || s.Kind == SanctionUnmoderate {
		name = bucketModerated
	}
	bucket, err := tx.CreateBucketIfNotExists(name)
	if err != nil {
		return false, err
	}
	k := sanctionKey(b.List, b.Pattern)
	had := bucket.Get(k) != nil
	switch s.Kind {
	case SanctionBan, SanctionModerate:
		if !had {
			if err := putJSON(bucket, k, b); err != nil {
				return false, err
			}
		}
		if s.Kind == SanctionBan && !strings.HasPrefix(b.Pattern, "@") {
			if _, err := removeMember(tx, b.List, b.Pattern); err != nil {
				return false, err
			}
		}
		return !had, nil
	case SanctionUnban, SanctionUnmoderate:
		if had {
			if err := bucket.Delete(k); err != nil {
				return false, err
			}
		}
		return had, nil
	}
	return false, fmt.Errorf("unknown sanction %q", s.Kind)
}

// removeMember unsubscribes addr from list (both normalized) in tx and
// reports whether it was a member.
func removeMember(tx kv.Tx, list, addr string) (bool, error) {
	b, err := membersBucket(tx, list)
	if err != nil {
		return false, err
	}
	var m Member
	if err := getJSON(b, []byte(addr), &m); errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err == nil {
		m.Address = addr
		if err := deleteProbeIndex(tx, list, m); err != nil {
			return false, err
		}
	}
	return true, b.Delete([]byte(addr))
}

// putSanctions applies the sanctions of a disposition.
func putSanctions(tx kv.Tx, ss []Sanction) error {
	for _, s := range ss {
		if _, err := putSanction(tx, s); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// Sanction applies one change to a list's ban or moderation set and
// reports whether anything changed (false: banned or moderated already,
// or not).
func (s *Store) Sanction(c Sanction) (bool, error) {
	var changed bool
	err := s.db.Update(func(tx kv.Tx) error {
		var err error
		changed, err = putSanction(tx, c)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("storage: %s %s on %s: %w", c.Kind, c.Ban.Pattern, c.Ban.List, err)
	}
	return changed, nil
}

// Bans returns the bans of list, ordered by pattern.
func (s *Store) Bans(list string) ([]Ban, error) { return s.sanctionSet(bucketBans, list) }

// ModeratedAddresses returns the moderation set of list.
func (s *Store) ModeratedAddresses(list string) ([]Ban, error) {
	return s.sanctionSet(bucketModerated, list)
}

func (s *Store) sanctionSet(name []byte, list string) ([]Ban, error) {
	var out []Ban
	prefix := sanctionKey(list, "")
	err := s.db.View(func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var ban Ban
			if err := decodeJSON(v, &ban); err != nil {
				return err
			}
			out = append(out, ban)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: %s of %s: %w", name, list, err)
	}
	return out, nil
}

// Banned returns the ban that covers addr on list, its address's or its
// domain's; ok is false when it is not banned.
func (s *Store) Banned(list, addr string) (ban Ban, ok bool, err error) {
	addr = NormalizeAddress(addr)
	if addr == "" {
		return Ban{}, false, nil
	}
	_, dom, _ := strings.Cut(addr, "@")
	err = s.db.View(func(tx kv.Tx) error {
		b := tx.Bucket(bucketBans)
		if b == nil {
			return nil
		}
		for _, p := range []string{addr, "@" + dom} {
			if v := b.Get(sanctionKey(list, p)); v != nil {
				ok = true
				return getJSON(b, sanctionKey(list, p), &ban)
			}
		}
		return nil
	})
	if err != nil {
		return Ban{}, false, fmt.Errorf("storage: is %s banned from %s: %w", addr, list, err)
	}
	return ban, ok, nil
}

// IsModerated reports whether addr is in list's moderation set.
func (s *Store) IsModerated(list, addr string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx kv.Tx) error {
		b := tx.Bucket(bucketModerated)
		ok = b != nil && b.Get(sanctionKey(list, addr)) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("storage: is %s moderated on %s: %w", addr, list, err)
	}
	return ok, nil
}

func heldByPrefix(list, author string) []byte {
	return append(sanctionKey(list, author), 0)
}

// logHeldBy adds h to the held log by author, and forgets its author's
// entries older than heldLogKeep.
func logHeldBy(tx kv.Tx, h Held) error {
	b := tx.Bucket(bucketHeldBy)
	if b == nil {
		return nil // a store being migrated: schema 13 fills it
	}
	prefix := heldByPrefix(h.List, h.From)
	old := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(h.At.Add(-heldLogKeep).UnixNano()))
	var stale [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, old) < 0; k, _ = c.Next() {
		stale = append(stale, bytes.Clone(k))
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	k := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(h.At.UnixNano()))
	return b.Put(binary.BigEndian.AppendUint64(k, h.ID), []byte(h.Reason))
}

// HeldFromSince counts the posts by author that list held since since
// for reason, whatever became of them.
func (s *Store) HeldFromSince(list, author, reason string, since time.Time) (int, error) {
	n := 0
	prefix := heldByPrefix(list, author)
	from := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(since.UnixNano()))
	err := s.db.View(func(tx kv.Tx) error {
		b := tx.Bucket(bucketHeldBy)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(from); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if string(v) == reason {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storage: posts of %s held by %s: %w", author, list, err)
	}
	return n, nil
}

// PostsSince counts the posts by author that list distributed since
// since, read from the end of its archive.
func (s *Store) PostsSince(list, author string, since time.Time) (int, error) {
	list, author = NormalizeAddress(list), NormalizeAddress(author)
	n := 0
	err := s.db.View(func(tx kv.Tx) error {
		b := tx.Bucket(bucketArchive).Bucket([]byte(list))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var e struct {
				At   time.Time `json:"at"`
				From string    `json:"from"`
			}
			if err := json.Unmarshal(v, &e); err != nil {
				continue // an unreadable entry is left for its reader to report
			}
			if e.At.Before(since) {
				return nil
			}
			if NormalizeAddress(e.From) == author {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storage: posts of %s to %s: %w", author, list, err)
	}
	return n, nil
}

// Discards returns every recorded discard, oldest first.
func (s *Store) Discards() ([]Discard, error) {
	var out []Discard
	err := s.db.View(func(tx kv.Tx) error {
		b := tx.Bucket(bucketDiscarded)
		return b.ForEach(func(_, v []byte) error {
			var d Discard
			if err := decodeJSON(v, &d); err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("storage: discards: %w", err)
	}
	return out, nil
}
