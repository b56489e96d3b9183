package pgkv

import (
	"context"
	"testing"

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
