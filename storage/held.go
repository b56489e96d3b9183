package storage

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

func putHeld(tx *bolt.Tx, h Held) error {
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
	return putJSON(b, u64(id), h)
}

// HeldPosts returns the posts held for moderation, oldest first; list ""
// returns those of every list.
func (s *Store) HeldPosts(list string) ([]Held, error) {
	list = NormalizeAddress(list)
	var out []Held
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeld)
		return b.ForEach(func(k, _ []byte) error {
			var h Held
			if err := getJSON(b, k, &h); err != nil {
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
