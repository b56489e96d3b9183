package boltkv

import (
	"path/filepath"
	"testing"

	"tacit/storage/internal/kv"
	"tacit/storage/internal/kvtest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	kvtest.Run(t, func(t *testing.T) (kv.DB, kv.DB) {
		db, err := Open(filepath.Join(t.TempDir(), "kv.db"), 0o600, Options{InitialMmapSize: 64 << 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		// One process holds a bbolt file once. The mapping is big enough
		// for the snapshot test's writer not to wait for its reader.
		return db, db
	})
}
