package storage

import (
	"errors"
	"fmt"
	"time"

	"tacit/storage/internal/kv"
)

// Member is one subscriber of a list.
type Member struct {
	// Address is the member's address, lower case.
	Address string `json:"address"`
	// Added is when the member joined.
	Added time.Time `json:"added"`
	// Moderated holds the member's posts for the owners (the troll case).
	Moderated bool `json:"moderated,omitempty"`
	// Disabled stops delivery to the member after too many bounces; the
	// member stays subscribed.
	Disabled bool `json:"disabled,omitempty"`
	// BounceDays are the days (YYYY-MM-DD, UTC) a delivery to the member
	// failed for good, most recent last.
	BounceDays []string `json:"bounce_days,omitempty"`
	// DisabledNoticeSent is true once the owners were told that delivery
	// to the member was disabled (in the transaction that sent them the
	// notice); enabling delivery again clears it.
	DisabledNoticeSent bool `json:"disabled_notice_sent,omitempty"`
	// Probe, when set, is the probe the member's next failures wait for:
	// too many bounce days sent it, and only a delivery report for it
	// disables the member (see probes.go).
	Probe *Probe `json:"probe,omitempty"`
	// PasswordHash is the bcrypt hash of the member's IMAP password.
	PasswordHash string `json:"password_hash,omitempty"`
	// Mode is how the member gets the list's ordinary posts (schema 14):
	// ModeNormal one by one, ModeDigest in the day's digest, ModeNomail
	// not at all. Decisions come one by one in every mode (digest.go).
	Mode string `json:"mode,omitempty"`
	// NomailUntil, for ModeNomail, is when the member's holidays end
	// (zero: until they say "normal").
	NomailUntil time.Time `json:"nomail_until,omitzero"`
}

// Member returns one member of a list.
func (s *Store) Member(list, addr string) (Member, error) {
	list, addr = NormalizeAddress(list), NormalizeAddress(addr)
	var m Member
	err := s.db.View(func(tx kv.Tx) error {
		b, err := membersBucket(tx, list)
		if err != nil {
			return err
		}
		return getJSON(b, []byte(addr), &m)
	})
	if err != nil {
		return m, fmt.Errorf("storage: member %s of %s: %w", addr, list, err)
	}
	return m, nil
}

// UpdateMember changes one member in one transaction.
func (s *Store) UpdateMember(list, addr string, change func(*Member) error) (Member, error) {
	list, addr = NormalizeAddress(list), NormalizeAddress(addr)
	var m Member
	err := s.db.Update(func(tx kv.Tx) error {
		var err error
		m, err = updateMember(tx, list, addr, change)
		return err
	})
	if err != nil {
		return m, fmt.Errorf("storage: update member %s of %s: %w", addr, list, err)
	}
	return m, nil
}

// updateMember applies change to member addr of list (both normalized)
// in tx and returns the member as written.
func updateMember(tx kv.Tx, list, addr string, change func(*Member) error) (Member, error) {
	var m Member
	b, err := membersBucket(tx, list)
	if err != nil {
		return m, err
	}
	if err := getJSON(b, []byte(addr), &m); err != nil {
		return m, err
	}
	if err := change(&m); err != nil {
		return m, err
	}
	m.Address = addr
	return m, putJSON(b, []byte(addr), m)
}

func membersBucket(tx kv.Tx, list string) (kv.Bucket, error) {
	if tx.Bucket(bucketLists).Get([]byte(list)) == nil {
		return nil, fmt.Errorf("list %s: %w", list, ErrNotFound)
	}
	b := tx.Bucket(bucketMembers).Bucket([]byte(list))
	if b == nil {
		return nil, fmt.Errorf("members of %s: %w", list, ErrNotFound)
	}
	return b, nil
}

// AddMembers subscribes addrs to list and returns those that were not
// members yet.
func (s *Store) AddMembers(list string, now time.Time, addrs ...string) ([]string, error) {
	list = NormalizeAddress(list)
	var added []string
	err := s.db.Update(func(tx kv.Tx) error {
		added = added[:0]
		b, err := membersBucket(tx, list)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			a = NormalizeAddress(a)
			if b.Get([]byte(a)) != nil {
				continue
			}
			if err := putJSON(b, []byte(a), Member{Address: a, Added: now}); err != nil {
				return err
			}
			added = append(added, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: add members to %s: %w", list, err)
	}
	return added, nil
}

// RemoveMembers unsubscribes addrs from list and returns those that were
// members.
func (s *Store) RemoveMembers(list string, addrs ...string) ([]string, error) {
	list = NormalizeAddress(list)
	var removed []string
	err := s.db.Update(func(tx kv.Tx) error {
		removed = removed[:0]
		b, err := membersBucket(tx, list)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			a = NormalizeAddress(a)
			var m Member
			if err := getJSON(b, []byte(a), &m); errors.Is(err, ErrNotFound) {
				continue
			} else if err == nil {
				m.Address = a
				if err := deleteProbeIndex(tx, list, m); err != nil {
					return err
				}
			} // an unreadable member is removed all the same
			if err := b.Delete([]byte(a)); err != nil {
				return err
			}
			removed = append(removed, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: remove members from %s: %w", list, err)
	}
	return removed, nil
}

// Members returns the members of list, ordered by address.
func (s *Store) Members(list string) ([]Member, error) {
	list = NormalizeAddress(list)
	var out []Member
	err := s.db.View(func(tx kv.Tx) error {
		b, err := membersBucket(tx, list)
		if err != nil {
			return err
		}
		return b.ForEach(func(_, v []byte) error {
			var m Member
			if err := decodeJSON(v, &m); err != nil {
				return err
			}
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("storage: members of %s: %w", list, err)
	}
	return out, nil
}

// IsMember reports whether addr is subscribed to list.
func (s *Store) IsMember(list, addr string) (bool, error) {
	list, addr = NormalizeAddress(list), NormalizeAddress(addr)
	var ok bool
	err := s.db.View(func(tx kv.Tx) error {
		b, err := membersBucket(tx, list)
		if err != nil {
			return err
		}
		ok = b.Get([]byte(addr)) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("storage: is %s a member of %s: %w", addr, list, err)
	}
	return ok, nil
}
