// Package kv is the seam between package storage and the engine that
// holds its bytes: an ordered key-value store of nested buckets, shaped
// after the part of bbolt that storage uses, so that storage's code reads
// the same on every engine and every behaviour is the same by
// construction.
//
// Two engines implement it: boltkv (one bbolt file, the embedded default)
// and pgkv (PostgreSQL). The contract, checked for both by the shared
// conformance test in kvtest:
//
//   - A bucket holds keys in byte order; a key is either a value (possibly
//     empty, but never nil once stored) or a nested bucket (whose value
//     reads as nil). The top level holds only buckets.
//   - View runs a read transaction on one consistent snapshot; Update runs
//     a write transaction, and write transactions are serialised: one at a
//     time across every process sharing the store, so a read-modify-write
//     done in one Update is atomic. An error returned by fn rolls
//     everything back.
//   - Batch is Update for callers that tolerate fn being run more than
//     once (engines may group concurrent callers into one commit).
//   - Slices returned by Get and cursors are valid until the transaction
//     ends and must not be modified.
//   - Get, Bucket, Sequence and cursor moves have no error result; an
//     engine whose reads can fail (a lost connection) remembers the first
//     failure and makes the transaction return it, wrapped with
//     ErrUnavailable, whatever fn returned.
//   - An engine may send Put, Delete and sequences later, together (a
//     transaction's reads still see them): a write that then fails —
//     the connection lost, a Put on a nested bucket's key the
//     transaction had not looked up — fails the transaction instead of
//     the call. The slices given to Put are the caller's again once it
//     returns.
package kv

import "errors"

// ErrUnavailable is wrapped by errors caused by the engine being out of
// reach (a database connection lost or refused): the operation may
// succeed later, nothing was committed.
var ErrUnavailable = errors.New("store unavailable")

// Errors shared by the engines, so that callers can test them whatever
// the engine.
var (
	// ErrBucketExists: CreateBucket on a name that is already a bucket.
	ErrBucketExists = errors.New("kv: bucket already exists")
	// ErrBucketNotFound: DeleteBucket on a name that is not a bucket.
	ErrBucketNotFound = errors.New("kv: bucket not found")
	// ErrIncompatibleValue: a value operation on a bucket's key, or a
	// bucket operation on a value's key.
	ErrIncompatibleValue = errors.New("kv: incompatible value")
	// ErrKeyRequired: an empty key.
	ErrKeyRequired = errors.New("kv: key required")
	// ErrTxNotWritable: a write in a read transaction.
	ErrTxNotWritable = errors.New("kv: transaction not writable")
)

// DB is an open store.
type DB interface {
	// View runs fn in a read transaction.
	View(fn func(Tx) error) error
	// Update runs fn in a write transaction, committed if fn returns nil.
	Update(fn func(Tx) error) error
	// Batch is Update where fn may run more than once.
	Batch(fn func(Tx) error) error
	// Close releases the store.
	Close() error
}

// Tx is a transaction; it must not be used after its function returns.
type Tx interface {
	// Bucket returns the top-level bucket name, nil if there is none.
	Bucket(name []byte) Bucket
	// CreateBucketIfNotExists returns the top-level bucket name, creating
	// it if needed.
	CreateBucketIfNotExists(name []byte) (Bucket, error)
	// DeleteBucket deletes the top-level bucket name and all it holds.
	DeleteBucket(name []byte) error
	// ForEach calls fn for each top-level bucket, in name order.
	ForEach(fn func(name []byte, b Bucket) error) error
	// Writable tells whether this is a write transaction.
	Writable() bool
}

// Bucket is a set of keys in byte order.
type Bucket interface {
	// Get returns the value of key; nil if key is absent or a bucket.
	Get(key []byte) []byte
	// Put sets key to value.
	Put(key, value []byte) error
	// Delete removes key; nothing happens if it is absent.
	Delete(key []byte) error
	// Cursor returns a cursor over the bucket's keys.
	Cursor() Cursor
	// ForEach calls fn for every key, in order; a nested bucket's value
	// is nil. fn must not modify the bucket.
	ForEach(fn func(k, v []byte) error) error
	// ForEachBucket calls fn for every nested bucket's key, in order.
	ForEachBucket(fn func(k []byte) error) error
	// Bucket returns the nested bucket key, nil if there is none.
	Bucket(key []byte) Bucket
	// CreateBucket creates the nested bucket key.
	CreateBucket(key []byte) (Bucket, error)
	// CreateBucketIfNotExists returns the nested bucket key, created if
	// needed.
	CreateBucketIfNotExists(key []byte) (Bucket, error)
	// DeleteBucket deletes the nested bucket key and all it holds.
	DeleteBucket(key []byte) error
	// NextSequence increments the bucket's sequence and returns it.
	NextSequence() (uint64, error)
	// Sequence returns the bucket's sequence.
	Sequence() uint64
	// SetSequence sets the bucket's sequence.
	SetSequence(v uint64) error
}

// Cursor walks a bucket's keys in order. A move returns nil, nil when it
// leaves the keys; the value of a nested bucket's key is nil.
type Cursor interface {
	// First moves to the first key.
	First() (k, v []byte)
	// Last moves to the last key.
	Last() (k, v []byte)
	// Next moves to the next key.
	Next() (k, v []byte)
	// Prev moves to the previous key.
	Prev() (k, v []byte)
	// Seek moves to the first key at or after seek.
	Seek(seek []byte) (k, v []byte)
	// Delete removes the key under the cursor.
	Delete() error
}

// Appending is implemented by the buckets of engines that can lay out
// keys differently when they are only ever added at the end of a range
// (a sequence number): bbolt then fills its pages instead of leaving them
// half empty.
type Appending interface {
	// SetAppending tells the bucket, for this transaction, that new keys
	// come in increasing order.
	SetAppending()
}

// Prefetcher is implemented by the buckets of engines for which reading
// many keys at once costs much less than reading them one by one
// (PostgreSQL: one statement instead of a round trip for each).
type Prefetcher interface {
	// Prefetch reads keys ahead: a later Get of one of them in the same
	// transaction costs no request, unless the transaction has written
	// that key since. It has no result: a failure is the transaction's.
	Prefetch(keys [][]byte)
}

// FileCopier is implemented by engines that can write a consistent copy
// of themselves to a file that the same engine opens.
type FileCopier interface {
	// CopyFile writes the copy to path, a new file of mode perm.
	CopyFile(path string, perm uint32) error
}
