// Package boltkv is the kv engine on one bbolt file: a thin layer that
// converts types and errors, and nothing else, so that bbolt's behaviour
// and speed are kept as they are. It is the only package of tacit that
// imports bbolt.
package boltkv

import (
	"errors"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"tacit/storage/internal/kv"
)

// ErrTimeout is returned, wrapped, by Open when another process holds the
// file past Options.Timeout.
var ErrTimeout = bolterrors.ErrTimeout

// Options tune Open.
type Options struct {
	// Timeout is how long Open waits for another process's lock; 0 waits
	// forever.
	Timeout time.Duration
	// ReadOnly opens the file with a shared lock, for reading only.
	ReadOnly bool
	// MaxBatchDelay is how long Batch waits for company; 0 keeps bbolt's
	// default.
	MaxBatchDelay time.Duration
	// InitialMmapSize is the size mapped at open: a write transaction
	// that grows the file past the mapping waits for every read
	// transaction to end.
	InitialMmapSize int
}

// DB is an open bbolt file. It implements kv.DB and kv.FileCopier.
type DB struct{ db *bolt.DB }

// Open opens (creating it if needed) the bbolt file at path with mode
// perm. bbolt may panic on a damaged file: the caller recovers.
func Open(path string, perm os.FileMode, o Options) (*DB, error) {
	db, err := bolt.Open(path, perm, &bolt.Options{Timeout: o.Timeout, ReadOnly: o.ReadOnly, InitialMmapSize: o.InitialMmapSize})
	if err != nil {
		return nil, err
	}
	if o.MaxBatchDelay > 0 {
		db.MaxBatchDelay = o.MaxBatchDelay
	}
	return &DB{db: db}, nil
}

// Bolt returns the bbolt database, for tests that measure its pages.
func (d *DB) Bolt() *bolt.DB { return d.db }

// View implements kv.DB.
func (d *DB) View(fn func(kv.Tx) error) error {
	return d.db.View(func(t *bolt.Tx) error { return fn((*tx)(t)) })
}

// Update implements kv.DB.
func (d *DB) Update(fn func(kv.Tx) error) error {
	return d.db.Update(func(t *bolt.Tx) error { return fn((*tx)(t)) })
}

// Batch implements kv.DB with bbolt's group commit.
func (d *DB) Batch(fn func(kv.Tx) error) error {
	return d.db.Batch(func(t *bolt.Tx) error { return fn((*tx)(t)) })
}

// Close implements kv.DB.
func (d *DB) Close() error { return d.db.Close() }

// CopyFile implements kv.FileCopier with bbolt's online copy, in one
// read transaction.
func (d *DB) CopyFile(path string, perm uint32) error {
	return d.db.View(func(t *bolt.Tx) error { return t.CopyFile(path, os.FileMode(perm)) })
}

// convert maps bbolt's errors to kv's.
func convert(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bolterrors.ErrBucketExists):
		return kv.ErrBucketExists
	case errors.Is(err, bolterrors.ErrBucketNotFound):
		return kv.ErrBucketNotFound
	case errors.Is(err, bolterrors.ErrIncompatibleValue):
		return kv.ErrIncompatibleValue
	case errors.Is(err, bolterrors.ErrKeyRequired), errors.Is(err, bolterrors.ErrBucketNameRequired):
		return kv.ErrKeyRequired
	case errors.Is(err, bolterrors.ErrTxNotWritable):
		return kv.ErrTxNotWritable
	}
	return err
}

// tx, bucket and cursor are bbolt's own types seen through kv's
// interfaces: converting a pointer allocates nothing.
type (
	tx     bolt.Tx
	bucket bolt.Bucket
	cursor bolt.Cursor
)

func wrap(b *bolt.Bucket) kv.Bucket {
	if b == nil {
		return nil
	}
	return (*bucket)(b)
}

func (t *tx) Bucket(name []byte) kv.Bucket { return wrap((*bolt.Tx)(t).Bucket(name)) }

func (t *tx) CreateBucketIfNotExists(name []byte) (kv.Bucket, error) {
	b, err := (*bolt.Tx)(t).CreateBucketIfNotExists(name)
	return wrap(b), convert(err)
}

func (t *tx) DeleteBucket(name []byte) error {
	return convert((*bolt.Tx)(t).DeleteBucket(name))
}

func (t *tx) ForEach(fn func(name []byte, b kv.Bucket) error) error {
	return (*bolt.Tx)(t).ForEach(func(name []byte, b *bolt.Bucket) error { return fn(name, wrap(b)) })
}

func (t *tx) Writable() bool { return (*bolt.Tx)(t).Writable() }

func (b *bucket) Get(key []byte) []byte { return (*bolt.Bucket)(b).Get(key) }

func (b *bucket) Put(key, value []byte) error { return convert((*bolt.Bucket)(b).Put(key, value)) }

func (b *bucket) Delete(key []byte) error { return convert((*bolt.Bucket)(b).Delete(key)) }

func (b *bucket) Cursor() kv.Cursor { return (*cursor)((*bolt.Bucket)(b).Cursor()) }

func (b *bucket) ForEach(fn func(k, v []byte) error) error { return (*bolt.Bucket)(b).ForEach(fn) }

func (b *bucket) ForEachBucket(fn func(k []byte) error) error {
	return (*bolt.Bucket)(b).ForEachBucket(fn)
}

func (b *bucket) Bucket(key []byte) kv.Bucket { return wrap((*bolt.Bucket)(b).Bucket(key)) }

func (b *bucket) CreateBucket(key []byte) (kv.Bucket, error) {
	nb, err := (*bolt.Bucket)(b).CreateBucket(key)
	return wrap(nb), convert(err)
}

func (b *bucket) CreateBucketIfNotExists(key []byte) (kv.Bucket, error) {
	nb, err := (*bolt.Bucket)(b).CreateBucketIfNotExists(key)
	return wrap(nb), convert(err)
}

func (b *bucket) DeleteBucket(key []byte) error {
	return convert((*bolt.Bucket)(b).DeleteBucket(key))
}

func (b *bucket) NextSequence() (uint64, error) {
	n, err := (*bolt.Bucket)(b).NextSequence()
	return n, convert(err)
}

func (b *bucket) Sequence() uint64 { return (*bolt.Bucket)(b).Sequence() }

func (b *bucket) SetSequence(v uint64) error { return convert((*bolt.Bucket)(b).SetSequence(v)) }

// SetAppending implements kv.Appending: pages are filled when they split.
func (b *bucket) SetAppending() { (*bolt.Bucket)(b).FillPercent = 1.0 }

func (c *cursor) First() (k, v []byte)           { return (*bolt.Cursor)(c).First() }
func (c *cursor) Last() (k, v []byte)            { return (*bolt.Cursor)(c).Last() }
func (c *cursor) Next() (k, v []byte)            { return (*bolt.Cursor)(c).Next() }
func (c *cursor) Prev() (k, v []byte)            { return (*bolt.Cursor)(c).Prev() }
func (c *cursor) Seek(seek []byte) (k, v []byte) { return (*bolt.Cursor)(c).Seek(seek) }
func (c *cursor) Delete() error                  { return convert((*bolt.Cursor)(c).Delete()) }

// BucketStats returns bbolt's statistics of the bucket at path (top-level
// name, then nested keys) and the file's size, for measurements.
func (d *DB) BucketStats(path ...[]byte) (st bolt.BucketStats, size int64, err error) {
	err = d.db.View(func(t *bolt.Tx) error {
		b := t.Bucket(path[0])
		for _, k := range path[1:] {
			if b == nil {
				break
			}
			b = b.Bucket(k)
		}
		if b == nil {
			return kv.ErrBucketNotFound
		}
		st, size = b.Stats(), t.Size()
		return nil
	})
	return st, size, err
}
