package pgkv

import (
	"errors"
	"fmt"
	"testing"

	"tacit/internal/pgtest"
	"tacit/storage/internal/kv"
)

// A write transaction sends its writes in batches: what it reads still
// sees them (a Get, a cursor, a key read ahead with Prefetch and written
// since), the caller may reuse its slices once Put returns, sequences
// count as they would one statement each, and a write that turns out to
// fall on a nested bucket's key fails the whole transaction.
func TestBatchedWritesReadAsWritten(t *testing.T) {
	t.Parallel()
	db := open(t, pgtest.DSN(t))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Update(func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("b"))
		if err != nil {
			return err
		}
		if _, err := b.CreateBucket([]byte("nested")); err != nil {
			return err
		}
		return b.Put([]byte("old"), []byte("1"))
	}))
	must(db.Update(func(tx kv.Tx) error {
		b := tx.Bucket([]byte("b"))
		b.(kv.Prefetcher).Prefetch([][]byte{[]byte("old"), []byte("k000"), []byte("absent")})
		key := make([]byte, 4)
		for i := range 2000 { // more than one batch
			copy(key, fmt.Sprintf("k%03d", i%1000))
			val := []byte(fmt.Sprint(i))
			if err := b.Put(key, val); err != nil {
				return err
			}
			val[0] = 'x' // the caller's slices are its own again
		}
		if v := b.Get([]byte("k000")); string(v) != "1000" {
			t.Errorf("Get of a key read ahead then written = %q, want 1000", v)
		}
		if v := b.Get([]byte("old")); string(v) != "1" {
			t.Errorf("Get of a key read ahead = %q", v)
		}
		if v := b.Get([]byte("absent")); v != nil {
			t.Errorf("Get of an absent key read ahead = %q", v)
		}
		if err := b.Delete([]byte("old")); err != nil {
			return err
		}
		if v := b.Get([]byte("old")); v != nil {
			t.Errorf("Get of a key deleted = %q", v)
		}
		n, c := 0, b.Cursor()
		for k, _ := c.Seek([]byte("k")); k != nil && k[0] == 'k'; k, _ = c.Next() {
			n++
		}
		if n != 1000 {
			t.Errorf("cursor saw %d keys, want 1000", n)
		}
		for want := uint64(1); want <= 3; want++ {
			if s, err := b.NextSequence(); s != want || err != nil {
				t.Errorf("NextSequence = %d, %v; want %d", s, err, want)
			}
		}
		return nil
	}))
	must(db.View(func(tx kv.Tx) error {
		b := tx.Bucket([]byte("b"))
		if v := b.Get([]byte("k999")); string(v) != "1999" {
			t.Errorf("committed k999 = %q", v)
		}
		if s := b.Sequence(); s != 3 {
			t.Errorf("committed sequence %d, want 3", s)
		}
		return nil
	}))
	// "nested" was not looked up by this transaction: the Put is sent
	// later, and the transaction fails with nothing written.
	err := db.Update(func(tx kv.Tx) error {
		b := tx.Bucket([]byte("b"))
		if err := b.Put([]byte("k001"), []byte("lost")); err != nil {
			return err
		}
		if err := b.Put([]byte("nested"), []byte("v")); err != nil {
			return err
		}
		_, err := b.NextSequence()
		return err
	})
	if !errors.Is(err, kv.ErrIncompatibleValue) || errors.Is(err, kv.ErrUnavailable) {
		t.Errorf("Put on a nested bucket's key: %v, want ErrIncompatibleValue", err)
	}
	must(db.View(func(tx kv.Tx) error {
		b := tx.Bucket([]byte("b"))
		if v := b.Get([]byte("k001")); string(v) != "1001" || b.Sequence() != 3 {
			t.Errorf("a failed transaction left k001 = %q, sequence %d", v, b.Sequence())
		}
		return nil
	}))
}
