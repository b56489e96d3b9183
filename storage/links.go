package storage

import (
	"fmt"

	"tacit/storage/internal/kv"
)

// Since schema version 12, the one-click links made public:
//
//	revoked_links  list ‖ 0 ‖ number ‖ member → nothing
//
// A member's one-click link to a proposal stands for them only while
// nobody else has seen it. A link quoted in a message the list
// distributed (a reply that kept the footer) is revoked: it no longer
// counts, and the member answers by mail.
var bucketRevokedLinks = []byte("revoked_links")

func migrateRevokedLinks(tx kv.Tx) error {
	_, err := tx.CreateBucketIfNotExists(bucketRevokedLinks)
	return err
}

// LinkRef names one member's one-click links to one proposal.
type LinkRef struct {
	List   string
	Number int
	Member string
}

func (r LinkRef) key() []byte {
	k := append([]byte(NormalizeAddress(r.List)), 0)
	k = append(k, u64(uint64(r.Number))...)
	return append(k, NormalizeAddress(r.Member)...)
}

// LinkRevoked reports whether r's links were made public.
func (s *Store) LinkRevoked(r LinkRef) (bool, error) {
	found := false
	err := s.db.View(func(tx kv.Tx) error {
		found = tx.Bucket(bucketRevokedLinks).Get(r.key()) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("storage: revoked link: %w", err)
	}
	return found, nil
}

func putRevokedLink(tx kv.Tx, r LinkRef) error {
	return tx.Bucket(bucketRevokedLinks).Put(r.key(), nil)
}
