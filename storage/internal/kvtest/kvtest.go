// Package kvtest is the conformance test every kv engine passes: what
// package storage relies on, checked the same way on each.
package kvtest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"tacit/storage/internal/kv"
)

// Opener returns a new empty store, closed when the test ends, and a
// second handle on the same store (another connection where the engine
// has them, else the same handle).
type Opener func(t *testing.T) (db, other kv.DB)

// Run runs the conformance tests as subtests of t.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, kv.DB, kv.DB)
	}{
		{"ByteOrder", testByteOrder},
		{"Seek", testSeek},
		{"Ends", testEnds},
		{"Pages", testPages},
		{"Nested", testNested},
		{"EmptyValues", testEmptyValues},
		{"Sequences", testSequences},
		{"Rollback", testRollback},
		{"ReadOnly", testReadOnly},
		{"OwnWrites", testOwnWrites},
		{"BigValues", testBigValues},
		{"Snapshot", testSnapshot},
		{"SerialWriters", testSerialWriters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, other := open(t)
			tc.fn(t, db, other)
		})
	}
}

var name = []byte("b")

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fill creates bucket "b" holding keys, each valued by itself.
func fill(t *testing.T, db kv.DB, keys ...[]byte) {
	t.Helper()
	must(t, db.Update(func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists(name)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Put(k, k); err != nil {
				return err
			}
		}
		return nil
	}))
}

func walk(c kv.Cursor, k []byte, next func() ([]byte, []byte)) [][]byte {
	var out [][]byte
	for ; k != nil; k, _ = next() {
		out = append(out, bytes.Clone(k))
	}
	return out
}

func testByteOrder(t *testing.T, db, _ kv.DB) {
	keys := [][]byte{{0xff}, {0}, []byte("a"), []byte("ab"), []byte("b"), {0, 1}, []byte("A"), {0x80, 0}, {0x7f}}
	fill(t, db, keys...)
	want := slices.Clone(keys)
	slices.SortFunc(want, bytes.Compare)
	must(t, db.View(func(tx kv.Tx) error {
		c := tx.Bucket(name).Cursor()
		k, _ := c.First()
		if got := walk(c, k, c.Next); !slices.EqualFunc(got, want, bytes.Equal) {
			t.Errorf("forward: %q, want %q", got, want)
		}
		k, _ = c.Last()
		got := walk(c, k, c.Prev)
		slices.Reverse(got)
		if !slices.EqualFunc(got, want, bytes.Equal) {
			t.Errorf("backward: %q, want %q", got, want)
		}
		var each [][]byte
		err := tx.Bucket(name).ForEach(func(k, v []byte) error {
			if !bytes.Equal(k, v) {
				t.Errorf("ForEach: %q → %q", k, v)
			}
			each = append(each, bytes.Clone(k))
			return nil
		})
		if !slices.EqualFunc(each, want, bytes.Equal) {
			t.Errorf("ForEach: %q, want %q", each, want)
		}
		return err
	}))
}

func testSeek(t *testing.T, db, _ kv.DB) {
	fill(t, db, []byte("b"), []byte("d"), []byte("f"))
	must(t, db.View(func(tx kv.Tx) error {
		c := tx.Bucket(name).Cursor()
		for _, tc := range []struct{ seek, want string }{
			{"", "b"}, {"a", "b"}, {"b", "b"}, {"c", "d"}, {"d", "d"}, {"e", "f"}, {"f", "f"}, {"g", ""}, {"b\x00", "d"},
		} {
			k, v := c.Seek([]byte(tc.seek))
			if string(k) != tc.want || (k != nil && !bytes.Equal(k, v)) {
				t.Errorf("Seek(%q) = %q, %q; want %q", tc.seek, k, v, tc.want)
			}
		}
		if k, _ := c.Seek(nil); string(k) != "b" {
			t.Errorf("Seek(nil) = %q, want b", k)
		}
		c.Seek([]byte("c"))
		if k, _ := c.Prev(); string(k) != "b" {
			t.Errorf("Seek(c) then Prev = %q, want b", k)
		}
		c.Seek([]byte("d"))
		if k, _ := c.Next(); string(k) != "f" {
			t.Errorf("Seek(d) then Next = %q, want f", k)
		}
		// The archive's "newest before end" idiom.
		if k, _ := c.Seek([]byte("z")); k == nil {
			if k, _ = c.Last(); string(k) != "f" {
				t.Errorf("Last = %q", k)
			}
		}
		return nil
	}))
}

func testEnds(t *testing.T, db, _ kv.DB) {
	fill(t, db, []byte("a"), []byte("b"))
	must(t, db.View(func(tx kv.Tx) error {
		c := tx.Bucket(name).Cursor()
		c.First()
		if k, v := c.Prev(); k != nil || v != nil {
			t.Errorf("Prev at the start = %q, %q; want nil", k, v)
		}
		c.Last()
		if k, v := c.Next(); k != nil || v != nil {
			t.Errorf("Next at the end = %q, %q; want nil", k, v)
		}
		return nil
	}))
	must(t, db.Update(func(tx kv.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte("empty"))
		return err
	}))
	must(t, db.View(func(tx kv.Tx) error {
		c := tx.Bucket([]byte("empty")).Cursor()
		if k, _ := c.First(); k != nil {
			t.Errorf("First of an empty bucket = %q", k)
		}
		if k, _ := c.Last(); k != nil {
			t.Errorf("Last of an empty bucket = %q", k)
		}
		if k, _ := c.Seek([]byte("a")); k != nil {
			t.Errorf("Seek in an empty bucket = %q", k)
		}
		return nil
	}))
}

// testPages walks more keys than an engine reads at once, both ways and
// from the middle.
func testPages(t *testing.T, db, _ kv.DB) {
	var keys [][]byte
	for i := range 1000 {
		keys = append(keys, fmt.Appendf(nil, "k%04d", i))
	}
	fill(t, db, keys...)
	must(t, db.View(func(tx kv.Tx) error {
		c := tx.Bucket(name).Cursor()
		k, _ := c.First()
		if n := len(walk(c, k, c.Next)); n != 1000 {
			t.Errorf("forward walk: %d keys", n)
		}
		k, _ = c.Last()
		if n := len(walk(c, k, c.Prev)); n != 1000 {
			t.Errorf("backward walk: %d keys", n)
		}
		k, _ = c.Seek([]byte("k0500"))
		back := walk(c, k, c.Prev)
		if len(back) != 501 || string(back[500]) != "k0000" {
			t.Errorf("backward from k0500: %d keys", len(back))
		}
		// Back and forth across a page's edge.
		c.Seek([]byte("k0100"))
		for range 300 {
			c.Next()
		}
		for range 150 {
			c.Prev()
		}
		if k, _ := c.Next(); string(k) != "k0251" {
			t.Errorf("after +300 −150 +1 from k0100: %q, want k0251", k)
		}
		return nil
	}))
}

func testNested(t *testing.T, db, _ kv.DB) {
	must(t, db.Update(func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists(name)
		must(t, err)
		must(t, b.Put([]byte("a"), []byte("1")))
		nb, err := b.CreateBucket([]byte("m"))
		must(t, err)
		must(t, nb.Put([]byte("x"), []byte("inner")))
		deep, err := nb.CreateBucketIfNotExists([]byte("deep"))
		must(t, err)
		must(t, deep.Put([]byte("y"), []byte("deeper")))
		must(t, b.Put([]byte("z"), []byte("26")))
		if _, err := b.CreateBucket([]byte("m")); !errors.Is(err, kv.ErrBucketExists) {
			t.Errorf("CreateBucket on a bucket: %v, want ErrBucketExists", err)
		}
		if _, err := b.CreateBucket([]byte("a")); !errors.Is(err, kv.ErrIncompatibleValue) {
			t.Errorf("CreateBucket on a value: %v, want ErrIncompatibleValue", err)
		}
		if _, err := b.CreateBucketIfNotExists([]byte("a")); !errors.Is(err, kv.ErrIncompatibleValue) {
			t.Errorf("CreateBucketIfNotExists on a value: %v, want ErrIncompatibleValue", err)
		}
		if err := b.Put([]byte("m"), []byte("v")); !errors.Is(err, kv.ErrIncompatibleValue) {
			t.Errorf("Put on a bucket: %v, want ErrIncompatibleValue", err)
		}
		if err := b.Delete([]byte("m")); !errors.Is(err, kv.ErrIncompatibleValue) {
			t.Errorf("Delete of a bucket: %v, want ErrIncompatibleValue", err)
		}
		if err := b.Put(nil, []byte("v")); !errors.Is(err, kv.ErrKeyRequired) {
			t.Errorf("Put with no key: %v, want ErrKeyRequired", err)
		}
		if err := b.DeleteBucket([]byte("nothing")); !errors.Is(err, kv.ErrBucketNotFound) {
			t.Errorf("DeleteBucket of nothing: %v, want ErrBucketNotFound", err)
		}
		_, err = tx.CreateBucketIfNotExists([]byte("another"))
		return err
	}))
	must(t, db.View(func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if v := b.Get([]byte("m")); v != nil {
			t.Errorf("Get of a bucket's key = %q, want nil", v)
		}
		if b.Bucket([]byte("a")) != nil || b.Bucket([]byte("none")) != nil || tx.Bucket([]byte("none")) != nil {
			t.Error("Bucket of a value or of nothing is not nil")
		}
		if v := b.Bucket([]byte("m")).Bucket([]byte("deep")).Get([]byte("y")); string(v) != "deeper" {
			t.Errorf("m/deep/y = %q", v)
		}
		var seen []string
		b.ForEach(func(k, v []byte) error {
			seen = append(seen, fmt.Sprintf("%s=%s", k, v))
			return nil
		})
		if fmt.Sprint(seen) != "[a=1 m= z=26]" {
			t.Errorf("ForEach: %v", seen)
		}
		c := b.Cursor()
		if k, v := c.Seek([]byte("m")); string(k) != "m" || v != nil {
			t.Errorf("cursor on a bucket: %q, %q; want m, nil", k, v)
		}
		var buckets []string
		b.ForEachBucket(func(k []byte) error { buckets = append(buckets, string(k)); return nil })
		if fmt.Sprint(buckets) != "[m]" {
			t.Errorf("ForEachBucket: %v", buckets)
		}
		var top []string
		tx.ForEach(func(n []byte, b kv.Bucket) error {
			if b == nil {
				t.Errorf("top-level %s: nil bucket", n)
			}
			top = append(top, string(n))
			return nil
		})
		if fmt.Sprint(top) != "[another b]" {
			t.Errorf("top level: %v", top)
		}
		return nil
	}))
	must(t, db.Update(func(tx kv.Tx) error {
		if err := tx.Bucket(name).DeleteBucket([]byte("m")); err != nil {
			return err
		}
		nb, err := tx.Bucket(name).CreateBucket([]byte("m"))
		if err != nil {
			return err
		}
		if k, _ := nb.Cursor().First(); k != nil || nb.Bucket([]byte("deep")) != nil {
			t.Errorf("a deleted then recreated bucket holds %q", k)
		}
		return tx.DeleteBucket([]byte("another"))
	}))
	must(t, db.View(func(tx kv.Tx) error {
		if tx.Bucket([]byte("another")) != nil {
			t.Error("a deleted top-level bucket is still there")
		}
		if err := tx.DeleteBucket([]byte("another")); err == nil {
			t.Error("DeleteBucket in a read transaction succeeded")
		}
		return nil
	}))
}

// Empty values are values: Get and cursors return them non-nil once
// committed, which is how storage tells a present empty value (a set, an
// index) from an absent one.
func testEmptyValues(t *testing.T, db, _ kv.DB) {
	must(t, db.Update(func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists(name)
		must(t, err)
		must(t, b.Put([]byte("nil"), nil))
		return b.Put([]byte("empty"), []byte{})
	}))
	must(t, db.View(func(tx kv.Tx) error {
		b := tx.Bucket(name)
		for _, k := range []string{"nil", "empty"} {
			if v := b.Get([]byte(k)); v == nil || len(v) != 0 {
				t.Errorf("Get(%s) = %#v, want empty and not nil", k, v)
			}
		}
		if k, v := b.Cursor().First(); string(k) != "empty" || v == nil {
			t.Errorf("cursor: %q, %#v; want empty, not nil", k, v)
		}
		if v := b.Get([]byte("absent")); v != nil {
			t.Errorf("Get(absent) = %#v", v)
		}
		return nil
	}))
}

func testSequences(t *testing.T, db, _ kv.DB) {
	must(t, db.Update(func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists(name)
		must(t, err)
		for want := uint64(1); want <= 3; want++ {
			if n, err := b.NextSequence(); err != nil || n != want {
				t.Errorf("NextSequence = %d, %v; want %d", n, err, want)
			}
		}
		if b.Sequence() != 3 {
			t.Errorf("Sequence = %d, want 3", b.Sequence())
		}
		nb, err := b.CreateBucket([]byte("n"))
		must(t, err)
		if n, _ := nb.NextSequence(); n != 1 {
			t.Errorf("nested bucket's first NextSequence = %d", n)
		}
		return nil
	}))
	must(t, db.Update(func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if b.Sequence() != 3 {
			t.Errorf("committed Sequence = %d, want 3", b.Sequence())
		}
		must(t, b.SetSequence(100))
		if n, _ := b.NextSequence(); n != 101 {
			t.Errorf("NextSequence after SetSequence(100) = %d", n)
		}
		return b.Bucket([]byte("n")).SetSequence(1<<63 + 5)
	}))
	must(t, db.View(func(tx kv.Tx) error {
		if s := tx.Bucket(name).Bucket([]byte("n")).Sequence(); s != 1<<63+5 {
			t.Errorf("a sequence over 2^63 read back as %d", s)
		}
		if _, err := tx.Bucket(name).NextSequence(); err == nil {
			t.Error("NextSequence in a read transaction succeeded")
		}
		return nil
	}))
}

func testRollback(t *testing.T, db, _ kv.DB) {
	fill(t, db, []byte("kept"))
	boom := errors.New("boom")
	err := db.Update(func(tx kv.Tx) error {
		b := tx.Bucket(name)
		must(t, b.Put([]byte("kept"), []byte("changed")))
		must(t, b.Put([]byte("new"), []byte("v")))
		_, err := b.NextSequence()
		must(t, err)
		_, err = b.CreateBucket([]byte("nb"))
		must(t, err)
		_, err = tx.CreateBucketIfNotExists([]byte("top"))
		must(t, err)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	must(t, db.View(func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if v := b.Get([]byte("kept")); string(v) != "kept" || b.Get([]byte("new")) != nil ||
			b.Sequence() != 0 || b.Bucket([]byte("nb")) != nil || tx.Bucket([]byte("top")) != nil {
			t.Errorf("after a failed Update: kept=%q new=%q seq=%d", v, b.Get([]byte("new")), b.Sequence())
		}
		return nil
	}))
}

func testReadOnly(t *testing.T, db, _ kv.DB) {
	fill(t, db, []byte("a"))
	must(t, db.View(func(tx kv.Tx) error {
		if tx.Writable() {
			t.Error("a read transaction says it is writable")
		}
		if err := tx.Bucket(name).Put([]byte("a"), []byte("x")); !errors.Is(err, kv.ErrTxNotWritable) {
			t.Errorf("Put in View: %v, want ErrTxNotWritable", err)
		}
		if err := tx.Bucket(name).Delete([]byte("a")); !errors.Is(err, kv.ErrTxNotWritable) {
			t.Errorf("Delete in View: %v, want ErrTxNotWritable", err)
		}
		return nil
	}))
	must(t, db.Update(func(tx kv.Tx) error {
		if !tx.Writable() {
			t.Error("a write transaction says it is not writable")
		}
		return nil
	}))
}

// testOwnWrites: a transaction reads what it wrote, with Get and with a
// cursor opened after the writes. (A cursor opened before a write of its
// bucket is undefined, as in bbolt: storage collects keys, then writes.)
func testOwnWrites(t *testing.T, db, _ kv.DB) {
	fill(t, db, []byte("a"), []byte("c"), []byte("e"))
	must(t, db.Update(func(tx kv.Tx) error {
		b := tx.Bucket(name)
		must(t, b.Put([]byte("b"), []byte("new")))
		must(t, b.Delete([]byte("c")))
		c := b.Cursor()
		c.First()
		if k, v := c.Next(); string(k) != "b" || string(v) != "new" {
			t.Errorf("Next after writes = %q, %q; want b, new", k, v)
		}
		if k, _ := c.Next(); string(k) != "e" {
			t.Errorf("Next after a deleted key = %q, want e", k)
		}
		if v := b.Get([]byte("b")); string(v) != "new" {
			t.Errorf("Get of an own write = %q", v)
		}
		c.Seek([]byte("e"))
		if err := c.Delete(); err != nil {
			return err
		}
		if v := b.Get([]byte("e")); v != nil {
			t.Errorf("Get after cursor Delete = %q", v)
		}
		return nil
	}))
}

func testBigValues(t *testing.T, db, _ kv.DB) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16)
	fill(t, db, []byte("a"))
	must(t, db.Update(func(tx kv.Tx) error { return tx.Bucket(name).Put([]byte("big"), big) }))
	fill(t, db, []byte("c"))
	must(t, db.View(func(tx kv.Tx) error {
		if v := tx.Bucket(name).Get([]byte("big")); !bytes.Equal(v, big) {
			t.Errorf("Get of 3 MB: %d bytes back", len(v))
		}
		c := tx.Bucket(name).Cursor()
		c.First()
		if k, v := c.Next(); string(k) != "big" || !bytes.Equal(v, big) {
			t.Errorf("cursor on 3 MB: %q, %d bytes", k, len(v))
		}
		if k, v := c.Next(); string(k) != "c" || string(v) != "c" {
			t.Errorf("cursor after the big value: %q, %q", k, v)
		}
		return nil
	}))
}

// testSnapshot: a read transaction keeps seeing what was committed when
// it began, while another commits.
func testSnapshot(t *testing.T, db, other kv.DB) {
	fill(t, db, []byte("k"))
	must(t, db.View(func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if v := b.Get([]byte("k")); string(v) != "k" {
			t.Fatalf("before: %q", v)
		}
		done := make(chan error)
		go func() {
			done <- other.Update(func(tx kv.Tx) error {
				if err := tx.Bucket(name).Put([]byte("k"), []byte("changed")); err != nil {
					return err
				}
				return tx.Bucket(name).Put([]byte("k2"), []byte("added"))
			})
		}()
		must(t, <-done)
		if v := b.Get([]byte("k")); string(v) != "k" {
			t.Errorf("a read transaction sees a later commit: %q", v)
		}
		if k, _ := b.Cursor().Last(); string(k) != "k" {
			t.Errorf("its cursor sees a later commit's key %q", k)
		}
		return nil
	}))
	must(t, db.View(func(tx kv.Tx) error {
		if v := tx.Bucket(name).Get([]byte("k")); string(v) != "changed" {
			t.Errorf("a new read transaction does not see the commit: %q", v)
		}
		return nil
	}))
}

// testSerialWriters: read-modify-write in Update, from two handles at
// once, loses no increment.
func testSerialWriters(t *testing.T, db, other kv.DB) {
	must(t, db.Update(func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists(name)
		if err != nil {
			return err
		}
		return b.Put([]byte("n"), []byte("0"))
	}))
	const each = 25
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, h := range []kv.DB{db, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := h.Update(func(tx kv.Tx) error {
					b := tx.Bucket(name)
					var n int
					fmt.Sscan(string(b.Get([]byte("n"))), &n)
					if _, err := b.NextSequence(); err != nil {
						return err
					}
					return b.Put([]byte("n"), fmt.Append(nil, n+1))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	must(t, db.View(func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if v := b.Get([]byte("n")); string(v) != fmt.Sprint(2*each) || b.Sequence() != 2*each {
			t.Errorf("after %d increments from two handles: n=%s, sequence %d", 2*each, v, b.Sequence())
		}
		return nil
	}))
}
