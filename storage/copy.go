package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"

	"tacit/storage/internal/kv"
)

// ErrNotEmpty is returned when copying into a store that holds data.
var ErrNotEmpty = errors.New("storage: the destination is not empty")

// copyChunk is how many bytes of keys and values one write transaction
// of a copy carries: the destination commits as it goes (it is new and
// nobody reads it yet), so that a big store is not held in memory.
const copyChunk = 32 << 20

// copyOp is one key to write: a value, or a bucket with its sequence.
// path is the keys of the buckets holding it, from the top level.
type copyOp struct {
	path   [][]byte
	key    []byte
	value  []byte
	bucket bool
	seq    uint64
}

// copyInto copies every bucket of src, from one read transaction, into
// dst, which must have none.
func copyInto(dst, src kv.DB) error {
	empty := true
	if err := dst.View(func(tx kv.Tx) error {
		return tx.ForEach(func([]byte, kv.Bucket) error { empty = false; return nil })
	}); err != nil {
		return err
	}
	if !empty {
		return ErrNotEmpty
	}
	return src.View(func(tx kv.Tx) error {
		w := &copier{dst: dst}
		err := tx.ForEach(func(name []byte, b kv.Bucket) error {
			w.add(copyOp{key: name, bucket: true, seq: b.Sequence()})
			return w.bucket([][]byte{bytes.Clone(name)}, b)
		})
		if err != nil {
			return err
		}
		return w.flush()
	})
}

// copier gathers copyOps and writes them in chunks.
type copier struct {
	dst     kv.DB
	pending []copyOp
	size    int
	err     error
}

func (w *copier) add(op copyOp) {
	w.pending = append(w.pending, op)
	w.size += len(op.key) + len(op.value) + 16
	if w.size >= copyChunk && w.err == nil {
		w.err = w.flush()
	}
}

// bucket walks b, at path, depth first: a nested bucket's keys come right
// after the bucket itself.
func (w *copier) bucket(path [][]byte, b kv.Bucket) error {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if w.err != nil {
			return w.err
		}
		if v == nil {
			if nb := b.Bucket(k); nb != nil {
				w.add(copyOp{path: path, key: k, bucket: true, seq: nb.Sequence()})
				sub := append(append([][]byte(nil), path...), bytes.Clone(k))
				if err := w.bucket(sub, nb); err != nil {
					return err
				}
				continue
			}
		}
		w.add(copyOp{path: path, key: k, value: v})
	}
	return w.err
}

// flush writes the pending ops in one transaction of dst.
func (w *copier) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	err := w.dst.Update(func(tx kv.Tx) error {
		open := map[string]kv.Bucket{}
		resolve := func(path [][]byte) (kv.Bucket, error) {
			id := string(bytes.Join(path, []byte{0, 0xff, 0}))
			if b, ok := open[id]; ok {
				return b, nil
			}
			b := tx.Bucket(path[0])
			for _, k := range path[1:] {
				if b == nil {
					break
				}
				b = b.Bucket(k)
			}
			if b == nil {
				return nil, fmt.Errorf("copy: bucket %q missing", path)
			}
			open[id] = appending(b) // keys come in order
			return b, nil
		}
		for _, op := range w.pending {
			if len(op.path) == 0 {
				b, err := tx.CreateBucketIfNotExists(op.key)
				if err != nil {
					return fmt.Errorf("copy: bucket %q: %w", op.key, err)
				}
				if err := b.SetSequence(op.seq); err != nil {
					return err
				}
				continue
			}
			parent, err := resolve(op.path)
			if err != nil {
				return err
			}
			if op.bucket {
				b, err := parent.CreateBucketIfNotExists(op.key)
				if err != nil {
					return fmt.Errorf("copy: bucket %q in %q: %w", op.key, op.path, err)
				}
				if err := b.SetSequence(op.seq); err != nil {
					return err
				}
				continue
			}
			if err := parent.Put(op.key, op.value); err != nil {
				return fmt.Errorf("copy: key %q in %q: %w", op.key, op.path, err)
			}
		}
		return nil
	})
	w.pending, w.size = w.pending[:0], 0
	return err
}

// BucketSummary is what one top-level bucket holds, to compare two
// stores: its keys (values and nested buckets, at every depth) and a
// SHA-256 of its content (every key, value and sequence, in order).
type BucketSummary struct {
	Name string
	Keys int
	Hash [sha256.Size]byte
}

// Summarize returns a summary of every top-level bucket, in name order,
// read from one snapshot. Two stores with the same summaries hold the
// same data: tacit migrate compares them.
func (s *Store) Summarize() ([]BucketSummary, error) {
	var out []BucketSummary
	err := s.db.View(func(tx kv.Tx) error {
		return tx.ForEach(func(name []byte, b kv.Bucket) error {
			h := sha256.New()
			sum := BucketSummary{Name: string(name)}
			hashField(h, binary.BigEndian.AppendUint64(nil, b.Sequence()))
			if err := summarize(h, &sum.Keys, b); err != nil {
				return err
			}
			h.Sum(sum.Hash[:0])
			out = append(out, sum)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("storage: summarize: %w", err)
	}
	return out, nil
}

func summarize(h hash.Hash, keys *int, b kv.Bucket) error {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		*keys++
		if v == nil {
			if nb := b.Bucket(k); nb != nil {
				hashField(h, []byte{'B'})
				hashField(h, k)
				hashField(h, binary.BigEndian.AppendUint64(nil, nb.Sequence()))
				if err := summarize(h, keys, nb); err != nil {
					return err
				}
				hashField(h, []byte{'E'})
				continue
			}
		}
		hashField(h, []byte{'V'})
		hashField(h, k)
		hashField(h, v)
	}
	return nil
}

// hashField writes p with its length, so that fields cannot run into
// each other.
func hashField(h hash.Hash, p []byte) {
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(p))))
	h.Write(p)
}
