package storage

import (
	"fmt"
	"strings"
	"time"

	"tacit/storage/internal/kv"
)

// List is one mailing list.
type List struct {
	// Address is the posting address, "name@domain", lower case.
	Address string `json:"address"`
	// Name is the display name used in List-Id and notices.
	Name string `json:"name,omitempty"`
	// Lang is the language of the list's notices: "fr" or "en"; "" means
	// the server's default.
	Lang string `json:"lang,omitempty"`
	// Deadline is the default deadline of the list's proposals; 0 means
	// the server's default.
	Deadline time.Duration `json:"deadline,omitempty"`
	// Owners receive NAME-owner mail and moderation notices.
	Owners []string `json:"owners,omitempty"`
	// PublicRegister makes the decision register readable by anyone.
	PublicRegister bool `json:"public_register,omitempty"`
	// FromRewrite is "dmarc" (the default, ""), "always" or "never".
	FromRewrite string `json:"from_rewrite,omitempty"`
	// NoPrefix disables the "[name]" Subject prefix.
	NoPrefix bool `json:"no_prefix,omitempty"`
	// Moderated holds every post but the owners' for moderation.
	Moderated bool `json:"moderated,omitempty"`
	// AnnounceOnly lets only the owners post; others' posts are held.
	AnnounceOnly bool `json:"announce_only,omitempty"`
	// RequireAuth is the older form of Authentication "dkim": commands
	// count only from authenticated mail.
	RequireAuth bool `json:"require_auth,omitempty"`
	// Authentication is the list's own authentication mode (AuthDKIM,
	// AuthDKIMOrConfirm, AuthNone); "" follows the server's.
	Authentication string `json:"authentication,omitempty"`
	// Created is when the list was created.
	Created time.Time `json:"created"`
	// Footer is the list's charter, plain text, appended to every
	// distributed post (listserv/trolls.go); "" for none.
	Footer string `json:"footer,omitempty"`
}

// The authentication modes of docs/security.md: how a proposal or a
// command is tied to its From.
const (
	// AuthDKIMOrConfirm: an aligned DKIM signature or a trusted relay's
	// results count at once; anything else after the sender confirms by
	// return mail.
	AuthDKIMOrConfirm = "dkim-or-confirm"
	// AuthDKIM: only a DKIM signature or a trusted relay counts.
	AuthDKIM = "dkim"
	// AuthNone: the From is trusted (an MTA refuses forged senders).
	AuthNone = "none"
)

// LocalPart returns the part of the list address before the "@".
func (l List) LocalPart() string {
	local, _, _ := strings.Cut(l.Address, "@")
	return local
}

// Domain returns the part of the list address after the "@".
func (l List) Domain() string {
	_, domain, _ := strings.Cut(l.Address, "@")
	return domain
}

// NormalizeAddress lower-cases an address and trims spaces and angle
// brackets, the form in which the store keeps every address.
func NormalizeAddress(addr string) string {
	addr = strings.TrimSpace(addr)
	addr = strings.TrimPrefix(addr, "<")
	addr = strings.TrimSuffix(addr, ">")
	return strings.ToLower(addr)
}

// CreateList stores a new list; ErrExists if its address is taken.
func (s *Store) CreateList(l List) error {
	l.Address = NormalizeAddress(l.Address)
	err := s.db.Update(func(tx kv.Tx) error {
		b := tx.Bucket(bucketLists)
		if b.Get([]byte(l.Address)) != nil {
			return ErrExists
		}
		if _, err := tx.Bucket(bucketMembers).CreateBucketIfNotExists([]byte(l.Address)); err != nil {
			return err
		}
		return putJSON(b, []byte(l.Address), l)
	})
	if err != nil {
		return fmt.Errorf("storage: create list %s: %w", l.Address, err)
	}
	return nil
}

// UpdateList applies change to the stored list in one transaction.
func (s *Store) UpdateList(addr string, change func(*List) error) (List, error) {
	addr = NormalizeAddress(addr)
	var l List
	err := s.db.Update(func(tx kv.Tx) error {
		b := tx.Bucket(bucketLists)
		if err := getJSON(b, []byte(addr), &l); err != nil {
			return err
		}
		if err := change(&l); err != nil {
			return err
		}
		l.Address = addr
		return putJSON(b, []byte(addr), l)
	})
	if err != nil {
		return List{}, fmt.Errorf("storage: update list %s: %w", addr, err)
	}
	return l, nil
}

// List returns the list at addr, or ErrNotFound.
func (s *Store) List(addr string) (List, error) {
	addr = NormalizeAddress(addr)
	var l List
	err := s.db.View(func(tx kv.Tx) error {
		return getJSON(tx.Bucket(bucketLists), []byte(addr), &l)
	})
	if err != nil {
		return List{}, fmt.Errorf("storage: list %s: %w", addr, err)
	}
	return l, nil
}

// Lists returns every list, ordered by address.
func (s *Store) Lists() ([]List, error) {
	var out []List
	err := s.db.View(func(tx kv.Tx) error {
		return tx.Bucket(bucketLists).ForEach(func(_, v []byte) error {
			var l List
			if err := decodeJSON(v, &l); err != nil {
				return err
			}
			out = append(out, l)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("storage: lists: %w", err)
	}
	return out, nil
}
