package storage

import (
	"fmt"
	"strings"

	"tacit/storage/internal/kv"
)

// Since schema version 7, the Message-IDs each list has distributed:
//
//	list_msgids  list ‖ 0 ‖ Message-ID (lower case, no brackets) → nothing
//
// A message whose Message-ID a list already distributed is a replay (a
// reply-all that reached the list twice, a server retrying): it is
// neither distributed nor counted again (docs/security.md). Posts
// distributed before schema 7 are not in the index.
var bucketListMsgIDs = []byte("list_msgids")

// migrateListMsgIDs opens schema 7: the index of distributed Message-IDs.
func migrateListMsgIDs(tx kv.Tx) error {
	_, err := tx.CreateBucketIfNotExists(bucketListMsgIDs)
	return err
}

// SeenMessage names a Message-ID a list distributed.
type SeenMessage struct {
	List      string
	MessageID string
}

func seenKey(list, messageID string) []byte {
	return append(append([]byte(NormalizeAddress(list)), 0), threadKey(messageID)...)
}

// putSeen records that list distributed messageID ("" is ignored).
func putSeen(tx kv.Tx, m SeenMessage) error {
	if len(threadKey(m.MessageID)) == 0 {
		return nil
	}
	return tx.Bucket(bucketListMsgIDs).Put(seenKey(m.List, m.MessageID), nil)
}

// Distributed reports whether list already distributed a message with this
// Message-ID (angle brackets and case do not matter).
func (s *Store) Distributed(list, messageID string) (bool, error) {
	if strings.TrimSpace(messageID) == "" {
		return false, nil
	}
	found := false
	err := s.db.View(func(tx kv.Tx) error {
		found = tx.Bucket(bucketListMsgIDs).Get(seenKey(list, messageID)) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("storage: seen %s on %s: %w", messageID, list, err)
	}
	return found, nil
}

// signatureKey is the Message-ID-like key a DKIM signature id is kept
// under in list_msgids: a signature authenticates once per list.
func signatureKey(sig string) string { return "dkim-signature:" + sig }

// SignatureUsed reports whether a DKIM signature (its id, see
// dkim.Result.Signature) already authenticated a message on list.
func (s *Store) SignatureUsed(list, sig string) (bool, error) {
	if sig == "" {
		return false, nil
	}
	return s.Distributed(list, signatureKey(sig))
}
