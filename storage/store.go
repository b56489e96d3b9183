// Package storage owns tacit's durable state and is the only package that
// knows the engine holding it.
//
// New code reaches the engine only through the interfaces of
// storage/internal/kv (kv.Tx, kv.Bucket, kv.Cursor), never through an
// engine's own package: storage/internal/boltkv is the only importer of
// bbolt, and everything written against kv runs the same on every engine.
//
// On disk there is one bbolt file (data_dir/tacit.db) with these buckets:
//
//	meta       "schema" → schema version (big-endian uint64)
//	lists      list address → List (JSON)
//	members    list address → bucket: member address → Member (JSON)
//	messages   message id → raw bytes exactly as received
//	envelopes  message id → Envelope (JSON)
//	inbox      message id → nothing: received, not yet processed
//	archive    list address → bucket: sequence → ArchiveEntry (JSON)
//	held       held id → Held (JSON)
//	queue      queue entry id → QueueEntry (JSON)
//	queue_due  next attempt (UnixNano) ‖ entry id → nothing
//	failures   sequence → Failure (JSON)
//	discarded  message id → Discard (JSON)
//
// Since schema version 2, the decisions:
//
//	proposals         list ‖ 0 ‖ number → consensus.Proposal (JSON)
//	proposal_numbers  list → last proposal number
//	proposal_by_msg   message id → list ‖ 0 ‖ number (numbers survive reprocessing)
//	proposal_events   list ‖ 0 ‖ number ‖ seq → ProposalEvent (JSON)
//	threads           Message-ID (lower case, no brackets) → list ‖ 0 ‖ number
//	proposal_due      next wake (UnixNano) ‖ list ‖ 0 ‖ number → nothing
//	proposal_wake     list ‖ 0 ‖ number → its key in proposal_due
//
// Since schema version 3, membership by email and moderation:
//
//	confirmations  token → Confirmation (JSON): pending (un)subscriptions
//	replies        address ‖ 0 ‖ UnixNano ‖ seq → nothing: replies sent, for the cap
//	held_tokens    token → held id: the owners' notice of a held post
//	meta "secret"  32 random bytes: the key of one-click unsubscribe tokens
//
// Since schema version 4, what the IMAP archive reads:
//
//	boxes          list ‖ 0 ‖ status ‖ 0 ‖ uid → archive seq: Proposals/<Status> mailboxes
//	box_next       list ‖ 0 ‖ status → last uid given in that mailbox
//	proposal_post  list ‖ 0 ‖ number → where the proposal's post is filed (JSON)
//	seen           member ‖ 0 ‖ mailbox ‖ 0 ‖ uid → nothing: \Seen flags, per member
//	archive_meta   list ‖ 0 ‖ seq → the IMAP layer's envelope and structure
//
// Since schema version 5, a message over 64 KB is a bucket in messages,
// holding its raw bytes under "raw" (see bigMessage); smaller ones, and
// those stored before, are values. Since 6, Member.DisabledNoticeSent.
// Since 7, list_msgids (seen.go): the Message-IDs each list distributed.
// Since 8, held_log (held.go): when each list held each post.
// Since 9, probes (probes.go): bounce probes waiting for their window's end.
// Since migrateSanctions, bans, moderated and held_by (bans.go): what
// sticks to an address against trolls.
//
// Ids are 8-byte big-endian integers from bbolt sequences, so keys sort in
// arrival order. Every write is one bbolt transaction, and every commit is
// fsync'd before the call returns: what a method has returned nil for
// survives a crash. The store holds no decision of its own; the callers
// (listserv) decide, the store records atomically.
package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"tacit/storage/internal/kv"
)

// SchemaVersion is the version of the on-disk layout this code writes.
const SchemaVersion = 15

var (
	bucketMeta      = []byte("meta")
	bucketLists     = []byte("lists")
	bucketMembers   = []byte("members")
	bucketMessages  = []byte("messages")
	bucketEnvelopes = []byte("envelopes")
	bucketInbox     = []byte("inbox")
	bucketArchive   = []byte("archive")
	bucketHeld      = []byte("held")
	bucketQueue     = []byte("queue")
	bucketQueueDue  = []byte("queue_due")
	bucketFailures  = []byte("failures")
	bucketDiscarded = []byte("discarded")
	keySchema       = []byte("schema")
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("storage: not found")

// ErrDamaged is returned, wrapped with the decoder's error, when a
// record exists but cannot be decoded.
var ErrDamaged = errors.New("storage: record damaged")

// ErrExists is returned when creating a record that already exists.
var ErrExists = errors.New("storage: already exists")

// ErrLocked is returned by Open when another process holds the store.
var ErrLocked = errors.New("storage: the store is in use by another process (is tacit serve running?)")

// Store is an open tacit store. Its methods are safe for concurrent use.
type Store struct {
	db   kv.DB
	path string
	// locks are Exclusive's in-process locks (cluster.go).
	locks namedLocks
	// progress groups the commits of RecordDelivered (group.go).
	progress groupCommit
}

// migration brings the store from version n-1 to n, inside one
// transaction.
type migration func(tx kv.Tx) error

// migrations[i] upgrades a store at version i to version i+1. Version 0 is
// an empty file.
var migrations = []migration{
	migrateCreateBuckets,
	migrateProposals,
	migrateRequests,
	migrateBoxes,
	migrateBigMessages,
	migrateDisabledNotices,
	migrateListMsgIDs,
	migrateHeldLog,
	migrateProbes,
	migrateTypedTimeline,
	migrateMeetings,
	migrateRevokedLinks,
	migrateSanctions,
	migrateDigest,
	migrateQueueSent,
}

// migrateBigMessages opens schema 5, where a message over bigMessage
// bytes is a bucket in messages rather than a value. Nothing is
// converted: the messages already stored stay values, which this code
// reads too; the version number only keeps an older tacit, which would
// not find the new big messages, from opening the store.
func migrateBigMessages(kv.Tx) error { return nil }

// migrateDisabledNotices opens schema 6, where Member.DisabledNoticeSent
// says that the owners were told of a disabled delivery. Members disabled
// before it were announced (or disabled by an owner): marked, so that
// their next bounce does not tell the owners again.
func migrateDisabledNotices(tx kv.Tx) error {
	return tx.Bucket(bucketMembers).ForEachBucket(func(list []byte) error {
		b := tx.Bucket(bucketMembers).Bucket(list)
		var marked [][]byte
		var values [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var m Member
			if err := json.Unmarshal(v, &m); err != nil || !m.Disabled || m.DisabledNoticeSent {
				return nil // an unreadable member is left for the code that reads it to report
			}
			m.DisabledNoticeSent = true
			raw, err := json.Marshal(m)
			if err != nil {
				return err
			}
			marked, values = append(marked, bytes.Clone(k)), append(values, raw)
			return nil
		})
		if err != nil {
			return err
		}
		for i, k := range marked {
			if err := b.Put(k, values[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func migrateCreateBuckets(tx kv.Tx) error {
	for _, b := range [][]byte{bucketLists, bucketMembers, bucketMessages,
		bucketEnvelopes, bucketInbox, bucketArchive, bucketHeld, bucketQueue,
		bucketQueueDue, bucketFailures, bucketDiscarded} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	return nil
}

// Open opens (creating it if needed) the store at path, or in the
// PostgreSQL database o.DSN when o.Driver is DriverPostgres, and brings
// its schema up to date.
func Open(path string, o Options) (*Store, error) {
	db, where, err := openEngine(path, o)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: where}
	if err := s.migrate(o.ReadOnly); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Path returns the file the store lives in; on PostgreSQL, the database
// (without its password).
func (s *Store) Path() string { return s.path }

// Close closes the store.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("storage: close: %w", err)
	}
	return nil
}

// Version returns the schema version recorded in the store.
func (s *Store) Version() (int, error) {
	var v int
	err := s.db.View(func(tx kv.Tx) error {
		v = schemaVersion(tx)
		return nil
	})
	return v, err
}

func schemaVersion(tx kv.Tx) int {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0
	}
	raw := b.Get(keySchema)
	if len(raw) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(raw))
}

func (s *Store) migrate(readOnly bool) error {
	var current int
	if err := s.db.View(func(tx kv.Tx) error {
		current = schemaVersion(tx)
		return nil
	}); err != nil {
		return fmt.Errorf("storage: read schema version: %w", err)
	}
	switch {
	case current > len(migrations):
		return fmt.Errorf("storage: %s has schema version %d, newer than this tacit knows (%d): upgrade tacit", s.path, current, len(migrations))
	case current == len(migrations):
		return nil
	case readOnly:
		return fmt.Errorf("storage: %s has schema version %d, needs %d: open it read-write once to upgrade", s.path, current, len(migrations))
	}
	for v := current; v < len(migrations); v++ {
		err := s.db.Update(func(tx kv.Tx) error {
			if schemaVersion(tx) != v {
				return nil // another process sharing the database did it
			}
			if err := migrations[v](tx); err != nil {
				return err
			}
			meta, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			return meta.Put(keySchema, u64(uint64(v+1)))
		})
		if err != nil {
			return fmt.Errorf("storage: migrate schema %d → %d: %w", v, v+1, err)
		}
	}
	return nil
}

// u64 encodes n as an 8-byte big-endian key.
func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

func getJSON(b kv.Bucket, key []byte, v any) error {
	return decodeJSON(b.Get(key), v)
}

// prefetch reads keys of b ahead, in one request, on engines where that
// saves a request per key (kv.Prefetcher); elsewhere it does nothing.
func prefetch(b kv.Bucket, keys [][]byte) {
	if p, ok := b.(kv.Prefetcher); ok {
		p.Prefetch(keys)
	}
}

// decodeJSON decodes a value read from the store into v, as getJSON
// does: a walk that has the value already (ForEach, a cursor) decodes it
// without reading it again, which on PostgreSQL would be a round trip.
func decodeJSON(raw []byte, v any) error {
	if raw == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %T: %w: %w", v, ErrDamaged, err)
	}
	return nil
}

// appending returns b set to fill its pages when they split. Buckets
// keyed by a sequence number (or by list then sequence number) only grow
// at the end of a range: bbolt's default split leaves every page half
// empty for inserts in the middle that never come, which doubles the
// pages each commit writes and the file keeps (100,000 archived messages:
// 610 MB of file before, 304 MB after).
func appending(b kv.Bucket) kv.Bucket {
	if a, ok := b.(kv.Appending); ok {
		a.SetAppending()
	}
	return b
}

func putJSON(b kv.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %T: %w", v, err)
	}
	return b.Put(key, raw)
}
