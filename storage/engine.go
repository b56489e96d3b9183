package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"tacit/storage/internal/boltkv"
	"tacit/storage/internal/kv"
	"tacit/storage/internal/pgkv"
)

// The engines a store can live in.
const (
	// DriverBolt is one bbolt file, embedded: the default.
	DriverBolt = "bbolt"
	// DriverPostgres is a PostgreSQL database, which several tacit
	// processes may share.
	DriverPostgres = "postgres"
)

// ErrUnavailable is wrapped by the errors of a store that cannot be
// reached for now (its PostgreSQL connection refused or lost): nothing
// was recorded, and the same call may succeed later.
var ErrUnavailable = kv.ErrUnavailable

// Options tune Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the file; 0 means one second. (bbolt only.)
	LockTimeout time.Duration
	// ReadOnly opens the store without taking the write lock, and
	// without upgrading its schema.
	ReadOnly bool
	// Driver is DriverBolt (the default when empty) or DriverPostgres.
	Driver string
	// DSN is the PostgreSQL connection string (postgres://user@host/db,
	// or libpq's key=value words), for DriverPostgres.
	DSN string
}

// openEngine opens the engine o names, and says where the store is.
func openEngine(path string, o Options) (kv.DB, string, error) {
	switch o.Driver {
	case "", DriverBolt:
		db, err := openBoltStore(path, o)
		return db, path, err
	case DriverPostgres:
		if o.DSN == "" {
			return nil, "", errors.New("storage: the postgres driver needs a dsn")
		}
		where := pgkv.Describe(o.DSN)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		db, err := pgkv.Open(ctx, o.DSN)
		if err != nil {
			return nil, "", fmt.Errorf("storage: open %s: %w", where, err)
		}
		return db, where, nil
	}
	return nil, "", fmt.Errorf("storage: unknown driver %q (want %q or %q)", o.Driver, DriverBolt, DriverPostgres)
}

func openBoltStore(path string, o Options) (kv.DB, error) {
	if o.LockTimeout == 0 {
		o.LockTimeout = time.Second
	}
	if !o.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("storage: create data directory: %w", err)
		}
	}
	db, err := openBolt(path, o)
	if err != nil {
		if errors.Is(err, boltkv.ErrTimeout) {
			return nil, fmt.Errorf("storage: open %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	return db, nil
}

// ErrCorrupt is returned by Open for a file that is not a readable
// store.
var ErrCorrupt = errors.New("storage: the store file is damaged or is not a tacit store (restore a backup)")

// openBolt opens the bbolt file, turning the panics bbolt may raise on a
// damaged file into ErrCorrupt.
func openBolt(path string, o Options) (db *boltkv.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	// Batch shares one commit among concurrent writers; waiting 2 ms
	// for company (bbolt's default is 10) keeps a lone writer fast and
	// the window between a delivery and its record small.
	db, err = boltkv.Open(path, 0o600, boltkv.Options{Timeout: o.LockTimeout, ReadOnly: o.ReadOnly, MaxBatchDelay: 2 * time.Millisecond})
	if err != nil && !errors.Is(err, boltkv.ErrTimeout) && !errors.Is(err, os.ErrPermission) && !errors.Is(err, os.ErrNotExist) {
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return db, err
}

// Backup writes a consistent copy of the store to path, a new bbolt file
// of mode 0600, while the store stays in use: on bbolt, its online copy;
// on PostgreSQL, every bucket, key and sequence copied from one snapshot.
// Either way the file opens as a bbolt store.
func (s *Store) Backup(path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("storage: backup: %s already exists", path)
	}
	var err error
	if fc, ok := s.db.(kv.FileCopier); ok {
		err = fc.CopyFile(path, 0o600)
	} else {
		err = s.copyTo(path, Options{Driver: DriverBolt})
	}
	if err != nil {
		return fmt.Errorf("storage: backup to %s: %w", path, err)
	}
	return nil
}

// CopyTo copies the whole store, from one snapshot, into the store that
// path and o name (see Open), which must be empty: a new bbolt file, or a
// PostgreSQL database where no tacit store was made. The copy has the
// same buckets, keys, values and sequences; it is what tacit migrate and
// the backup of a PostgreSQL store write.
func (s *Store) CopyTo(path string, o Options) error {
	if err := s.copyTo(path, o); err != nil {
		return fmt.Errorf("storage: copy to %s: %w", path, err)
	}
	return nil
}

func (s *Store) copyTo(path string, o Options) error {
	isNewFile := false
	if o.Driver == "" || o.Driver == DriverBolt {
		_, err := os.Stat(path)
		isNewFile = errors.Is(err, os.ErrNotExist)
	}
	dst, where, err := openEngine(path, o)
	if err != nil {
		return err
	}
	err = copyInto(dst, s.db)
	if cerr := dst.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil && isNewFile {
		os.Remove(path)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}
