package pgkv

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"tacit/internal/pgtest"
	"tacit/storage/internal/kv"
	"tacit/storage/internal/kvtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, dsn string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	t.Parallel()
	kvtest.Run(t, func(t *testing.T) (kv.DB, kv.DB) {
		dsn := pgtest.DSN(t)
		return open(t, dsn), open(t, dsn) // two pools: two processes, as far as the server knows
	})
}

// A connection lost (the server ended it) fails the transaction with
// kv.ErrUnavailable; the next one reconnects. A server that does not
// answer at all is ErrUnavailable from Open.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	db := open(t, dsn)
	if err := db.Update(func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("b"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	killer := open(t, dsn)
	err := db.View(func(tx kv.Tx) error {
		// Every other connection to this database ends, this one too.
		var n int
		if err := killer.pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n); err != nil || n == 0 {
			t.Errorf("terminate: %d, %v", n, err)
		}
		// storage uses its top-level buckets without checking them.
		if v := tx.Bucket([]byte("b")).Get([]byte("k")); v != nil {
			t.Errorf("Get on a terminated connection = %q", v)
		}
		if k, _ := tx.Bucket([]byte("b")).Cursor().First(); k != nil {
			t.Errorf("cursor on a terminated connection: %q", k)
		}
		return nil // the transaction's failure wins
	})
	if !errors.Is(err, kv.ErrUnavailable) {
		t.Fatalf("View on a terminated connection: %v, want ErrUnavailable", err)
	}
	if err := db.View(func(tx kv.Tx) error {
		if v := tx.Bucket([]byte("b")).Get([]byte("k")); string(v) != "v" {
			t.Errorf("after reconnecting: %q", v)
		}
		return nil
	}); err != nil {
		t.Errorf("the next View does not reconnect: %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := Open(ctx, "postgres://tacit@"+addr+"/tacit?sslmode=disable&connect_timeout=5"); !errors.Is(err, kv.ErrUnavailable) {
		t.Errorf("Open of a server that is not there: %v, want ErrUnavailable", err)
	}
}
