package pgkv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"

	"tacit/storage/internal/kv"
)

// maxKey is bbolt's limit, kept so that a store moves between engines.
const maxKey = 32768

// tx is a transaction on one connection. Lookups of buckets are cached
// for its length: nothing else changes them meanwhile (a read sees one
// snapshot; a writer holds the write lock).
type tx struct {
	ctx      context.Context
	conn     *pgx.Conn
	writable bool
	// err is the first failure of a statement: the transaction returns
	// it whatever fn returns, and runs nothing more.
	err error
	// writes counts the writes, so that cursors know when the page they
	// hold may be stale.
	writes uint64
	root   *bucket
	// buckets caches lookups: parent id and key → bucket.
	buckets map[bucketKey]*bucket
	// rootLoaded: every top-level bucket is in buckets, so a top-level
	// name missing from it does not exist.
	rootLoaded bool
	// pending are the writes (Put, Delete) not sent yet: a write
	// transaction sends them together, pipelined in one round trip,
	// before its next statement and at its commit (flush).
	pending []pendingWrite
	// pendingKeys are the keys pending writes touch: a Get of another key
	// does not need them sent first.
	pendingKeys map[bucketKey]bool
	// read holds the values Prefetch read, nil for an absent key, until
	// the transaction writes the key.
	read map[bucketKey][]byte
	// seqs are the sequences the transaction has set, by bucket id, and
	// dirty those not written yet: a sequence is counted here and
	// written once at the next flush (write transactions run one at a
	// time, so nobody else moves it meanwhile).
	seqs  map[int64]uint64
	dirty map[int64]bool
}

// pendingWrite is a write waiting for the next flush.
type pendingWrite struct {
	sql  string
	args []any
	kind int
}

// The kinds of pending writes, by what their result says.
const (
	writePlain  = iota // an UPDATE: nothing to check
	writePut           // no row written: the key is a nested bucket's
	writeDelete        // one row, true when the key is a nested bucket's
)

// maxPending bounds the writes a transaction keeps before sending them.
const maxPending = 1024

type bucketKey struct {
	parent int64
	key    string
}

// fail records err as the transaction's failure and returns it.
func (t *tx) fail(err error) error {
	if t.err == nil {
		t.err = fmt.Errorf("pgkv: %w", wrap(err))
	}
	return t.err
}

// queue adds a write to the next flush.
func (t *tx) queue(kind int, sql string, args ...any) error {
	if t.err != nil {
		return t.err
	}
	t.writes++
	t.pending = append(t.pending, pendingWrite{sql: sql, args: args, kind: kind})
	if t.pendingKeys == nil {
		t.pendingKeys = make(map[bucketKey]bool)
	}
	bk := bucketKey{args[0].(int64), string(args[1].([]byte))}
	t.pendingKeys[bk] = true
	delete(t.read, bk)
	if len(t.pending) >= maxPending {
		return t.flush()
	}
	return nil
}

// flush sends the pending writes and sequences in one pipelined batch.
// A write that finds a nested bucket's key fails the transaction with
// kv.ErrIncompatibleValue (a Put or Delete on a key known to be a
// bucket's is refused at once, without a round trip).
func (t *tx) flush() error {
	if t.err != nil {
		return t.err
	}
	for id := range t.dirty {
		t.pending = append(t.pending, pendingWrite{sql: "UPDATE kv_buckets SET seq = $2 WHERE id = $1",
			args: []any{id, int64(t.seqs[id])}})
	}
	clear(t.dirty)
	if len(t.pending) == 0 {
		return nil
	}
	ops := t.pending
	t.pending = nil
	clear(t.pendingKeys)
	batch := &pgx.Batch{}
	for _, w := range ops {
		batch.Queue(w.sql, w.args...)
	}
	br := t.conn.SendBatch(t.ctx, batch)
	var err error
	bucketKey := false
	for _, w := range ops {
		switch w.kind {
		case writeDelete:
			err = br.QueryRow().Scan(&bucketKey)
		default:
			var n int64
			tag, e := br.Exec()
			n, err = tag.RowsAffected(), e
			bucketKey = w.kind == writePut && n == 0
		}
		if err != nil || bucketKey {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return t.fail(err)
	case bucketKey:
		t.err = fmt.Errorf("pgkv: a write on a nested bucket's key: %w", kv.ErrIncompatibleValue)
		return t.err
	}
	return nil
}

// setSeq sets bucket b's sequence to v, written at the next flush.
func (t *tx) setSeq(b *bucket, v uint64) {
	if t.seqs == nil {
		t.seqs, t.dirty = make(map[int64]uint64), make(map[int64]bool)
	}
	t.seqs[b.id], t.dirty[b.id], b.seq = v, true, v
}

func (t *tx) query(sql string, args ...any) (pgx.Rows, error) {
	if err := t.flush(); err != nil {
		return nil, err
	}
	return t.queryNow(sql, args...)
}

// queryNow is query without sending the pending writes first: for a read
// that none of them concerns.
func (t *tx) queryNow(sql string, args ...any) (pgx.Rows, error) {
	if t.err != nil {
		return nil, t.err
	}
	rows, err := t.conn.Query(t.ctx, sql, args...)
	if err != nil {
		return nil, t.fail(err)
	}
	return rows, nil
}

func (t *tx) queryRow(sql string, args []any, dest ...any) (found bool, err error) {
	if err := t.flush(); err != nil {
		return false, err
	}
	return t.queryRowNow(sql, args, dest...)
}

// queryRowNow is queryRow without sending the pending writes first: for
// a read that none of them concerns.
func (t *tx) queryRowNow(sql string, args []any, dest ...any) (found bool, err error) {
	if t.err != nil {
		return false, t.err
	}
	err = t.conn.QueryRow(t.ctx, sql, args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, t.fail(err)
	}
	return true, nil
}

func (t *tx) exec(sql string, args ...any) (int64, error) {
	if err := t.flush(); err != nil {
		return 0, err
	}
	t.writes++
	tag, err := t.conn.Exec(t.ctx, sql, args...)
	if err != nil {
		return 0, t.fail(err)
	}
	return tag.RowsAffected(), nil
}

func (t *tx) Writable() bool { return t.writable }

func (t *tx) Bucket(name []byte) kv.Bucket { return t.root.Bucket(name) }

func (t *tx) CreateBucketIfNotExists(name []byte) (kv.Bucket, error) {
	return t.root.CreateBucketIfNotExists(name)
}

func (t *tx) DeleteBucket(name []byte) error { return t.root.DeleteBucket(name) }

func (t *tx) ForEach(fn func(name []byte, b kv.Bucket) error) error {
	if err := t.loadRoot(); err != nil {
		return err
	}
	var names []string
	for k, b := range t.buckets {
		if k.parent == 0 && b != nil {
			names = append(names, k.key)
		}
	}
	sort.Strings(names) // Go compares strings as bytes
	for _, n := range names {
		if err := fn([]byte(n), t.buckets[bucketKey{0, n}]); err != nil {
			return err
		}
	}
	return nil
}

// loadRoot reads every top-level bucket in one statement.
func (t *tx) loadRoot() error {
	if t.rootLoaded {
		return t.err
	}
	rows, err := t.query(`SELECT i.key, i.child, b.seq FROM kv_items i JOIN kv_buckets b ON b.id = i.child
		WHERE i.bucket = 0`)
	if err != nil {
		return err
	}
	if t.buckets == nil {
		t.buckets = make(map[bucketKey]*bucket)
	}
	for rows.Next() {
		var key []byte
		var id, seq int64
		if err := rows.Scan(&key, &id, &seq); err != nil {
			rows.Close()
			return t.fail(err)
		}
		t.buckets[bucketKey{0, string(key)}] = &bucket{tx: t, id: id, seq: uint64(seq)}
	}
	if err := rows.Err(); err != nil {
		return t.fail(err)
	}
	t.rootLoaded = true
	return nil
}

// bucket is one bucket of the transaction; seq is its sequence as the
// transaction sees it.
type bucket struct {
	tx  *tx
	id  int64
	seq uint64
}

// lookup finds the nested bucket key: the bucket, or nil with isValue
// telling whether key holds a value.
func (b *bucket) lookup(key []byte) (nb *bucket, isValue bool, err error) {
	t := b.tx
	ck := bucketKey{b.id, string(key)}
	if nb, ok := t.buckets[ck]; ok && nb != nil {
		return nb, false, nil
	}
	if b.id == 0 {
		if err := t.loadRoot(); err != nil {
			return nil, false, err
		}
		return t.buckets[ck], false, nil // the top level holds only buckets
	}
	var child, seq *int64
	found, err := t.queryRow(`SELECT i.child, b.seq FROM kv_items i LEFT JOIN kv_buckets b ON b.id = i.child
		WHERE i.bucket = $1 AND i.key = $2`, []any{b.id, key}, &child, &seq)
	if err != nil || !found {
		return nil, false, err
	}
	if child == nil {
		return nil, true, nil
	}
	nb = &bucket{tx: t, id: *child, seq: uint64(*seq)}
	if t.buckets == nil {
		t.buckets = make(map[bucketKey]*bucket)
	}
	t.buckets[ck] = nb
	return nb, false, nil
}

// Bucket returns the nested bucket key, nil if there is none. When the
// transaction has failed it returns a bucket on which everything fails
// too, rather than nil: callers that know a bucket exists (the top-level
// ones) use it without checking, and the transaction's error is what
// they return in the end.
func (b *bucket) Bucket(key []byte) kv.Bucket {
	nb, _, err := b.lookup(key)
	if err != nil {
		return &bucket{tx: b.tx, id: -1}
	}
	if nb == nil {
		return nil
	}
	return nb
}

func (b *bucket) writable(key []byte) error {
	switch {
	case b.tx.err != nil:
		return b.tx.err
	case !b.tx.writable:
		return kv.ErrTxNotWritable
	case len(key) == 0:
		return kv.ErrKeyRequired
	case len(key) > maxKey:
		return fmt.Errorf("pgkv: key of %d bytes, over %d", len(key), maxKey)
	}
	return nil
}

func (b *bucket) CreateBucket(key []byte) (kv.Bucket, error) {
	nb, err := b.create(key, false)
	if nb == nil {
		return nil, err
	}
	return nb, err
}

func (b *bucket) CreateBucketIfNotExists(key []byte) (kv.Bucket, error) {
	nb, err := b.create(key, true)
	if nb == nil {
		return nil, err
	}
	return nb, err
}

func (b *bucket) create(key []byte, mayExist bool) (*bucket, error) {
	if err := b.writable(key); err != nil {
		return nil, err
	}
	old, isValue, err := b.lookup(key)
	switch {
	case err != nil:
		return nil, err
	case isValue:
		return nil, kv.ErrIncompatibleValue
	case old != nil && mayExist:
		return old, nil
	case old != nil:
		return nil, kv.ErrBucketExists
	}
	var id int64
	t := b.tx
	t.writes++
	if _, err := t.queryRow(`WITH nb AS (INSERT INTO kv_buckets DEFAULT VALUES RETURNING id)
		INSERT INTO kv_items (bucket, key, child) SELECT $1, $2, id FROM nb RETURNING child`,
		[]any{b.id, key}, &id); err != nil {
		return nil, err
	}
	nb := &bucket{tx: t, id: id}
	delete(t.read, bucketKey{b.id, string(key)})
	if t.buckets == nil {
		t.buckets = make(map[bucketKey]*bucket)
	}
	t.buckets[bucketKey{b.id, string(key)}] = nb
	return nb, nil
}

func (b *bucket) DeleteBucket(key []byte) error {
	if err := b.writable(key); err != nil {
		return err
	}
	old, isValue, err := b.lookup(key)
	switch {
	case err != nil:
		return err
	case isValue:
		return kv.ErrIncompatibleValue
	case old == nil:
		return kv.ErrBucketNotFound
	}
	_, err = b.tx.exec(`WITH RECURSIVE sub(id) AS (
			SELECT $1::bigint
			UNION ALL SELECT i.child FROM kv_items i JOIN sub ON i.bucket = sub.id WHERE i.child IS NOT NULL),
		gone_items AS (DELETE FROM kv_items WHERE bucket IN (SELECT id FROM sub)),
		gone_buckets AS (DELETE FROM kv_buckets WHERE id IN (SELECT id FROM sub))
		DELETE FROM kv_items WHERE bucket = $2 AND key = $3`, old.id, b.id, key)
	// The nested buckets' cache entries name deleted ids: all forgotten.
	b.tx.buckets, b.tx.rootLoaded, b.tx.read = nil, false, nil
	return err
}

// Get reads one key. The pending writes are sent first only if one of
// them is on that key: a read-modify-write of many keys (a tick deciding
// a thousand proposals) then sends its writes in a few batches instead
// of one round trip each.
func (b *bucket) Get(key []byte) []byte {
	t := b.tx
	bk := bucketKey{b.id, string(key)}
	if t.pendingKeys[bk] {
		if err := t.flush(); err != nil {
			return nil
		}
	} else if v, ok := t.read[bk]; ok {
		return v
	}
	var v []byte
	if _, err := t.queryRowNow("SELECT value FROM kv_items WHERE bucket = $1 AND key = $2", []any{b.id, key}, &v); err != nil {
		return nil
	}
	return v
}

func (b *bucket) Put(key, value []byte) error {
	if err := b.writable(key); err != nil {
		return err
	}
	if value == nil {
		value = []byte{} // NULL is a bucket's; an empty value is a value
	}
	if b.knownBucket(key) {
		return kv.ErrIncompatibleValue
	}
	// Sent with the next flush: copied, as the caller may reuse its
	// slices once Put has returned.
	return b.tx.queue(writePut, `INSERT INTO kv_items (bucket, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (bucket, key) DO UPDATE SET value = EXCLUDED.value WHERE kv_items.child IS NULL`,
		b.id, bytes.Clone(key), bytes.Clone(value))
}

// Prefetch implements kv.Prefetcher: the keys, but those with a write
// pending (a Get sends it and reads them), in one statement.
func (b *bucket) Prefetch(keys [][]byte) {
	t := b.tx
	var want [][]byte
	for _, k := range keys {
		bk := bucketKey{b.id, string(k)}
		if _, ok := t.read[bk]; !ok && !t.pendingKeys[bk] {
			want = append(want, k)
		}
	}
	if len(want) == 0 {
		return
	}
	rows, err := t.queryNow("SELECT key, value FROM kv_items WHERE bucket = $1 AND key = ANY($2)", b.id, want)
	if err != nil {
		return
	}
	if t.read == nil {
		t.read = make(map[bucketKey][]byte, len(want))
	}
	for _, k := range want {
		t.read[bucketKey{b.id, string(k)}] = nil // absent unless found
	}
	for rows.Next() {
		var k, v []byte
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			t.fail(err)
			return
		}
		t.read[bucketKey{b.id, string(k)}] = v // nil for a nested bucket, as Get
	}
	if err := rows.Err(); err != nil {
		t.fail(err)
	}
}

// knownBucket reports whether key is a nested bucket the transaction
// has looked up or made.
func (b *bucket) knownBucket(key []byte) bool {
	nb, ok := b.tx.buckets[bucketKey{b.id, string(key)}]
	return ok && nb != nil
}

func (b *bucket) Delete(key []byte) error {
	if err := b.writable(key); err != nil {
		return err
	}
	if b.knownBucket(key) {
		return kv.ErrIncompatibleValue
	}
	return b.tx.queue(writeDelete, `WITH gone AS (DELETE FROM kv_items WHERE bucket = $1 AND key = $2 AND child IS NULL)
		SELECT EXISTS (SELECT 1 FROM kv_items WHERE bucket = $1 AND key = $2 AND child IS NOT NULL)`,
		b.id, bytes.Clone(key))
}

func (b *bucket) ForEach(fn func(k, v []byte) error) error {
	c := b.cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return b.tx.err
}

func (b *bucket) ForEachBucket(fn func(k []byte) error) error {
	c := b.cursor()
	c.bucketsOnly = true
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if err := fn(k); err != nil {
			return err
		}
	}
	return b.tx.err
}

func (b *bucket) NextSequence() (uint64, error) {
	if err := b.writable([]byte{0}); err != nil {
		return 0, err
	}
	v := b.Sequence() + 1
	b.tx.setSeq(b, v)
	return v, nil
}

// Sequence returns the sequence as this transaction has it: set by it,
// else as read with the bucket.
func (b *bucket) Sequence() uint64 {
	if v, ok := b.tx.seqs[b.id]; ok {
		return v
	}
	return b.seq
}

func (b *bucket) SetSequence(v uint64) error {
	if err := b.writable([]byte{0}); err != nil {
		return err
	}
	b.tx.setSeq(b, v)
	return nil
}

func (b *bucket) Cursor() kv.Cursor { return b.cursor() }

func (b *bucket) cursor() *cursor { return &cursor{b: b} }
