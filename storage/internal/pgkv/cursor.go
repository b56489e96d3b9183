package pgkv

import "fmt"

// Cursors read a bucket's keys a page at a time, in key order, from the
// transaction (so they see its own writes). A page starts small, as most
// walks stop after a few keys (a prefix, a first due entry), and doubles
// up to maxPage. A value over inlineValue bytes is left out of the page
// and read when the cursor reaches it: a page of messages stays small.
const (
	firstPage   = 16
	maxPage     = 256
	inlineValue = 64 << 10
)

type row struct {
	key, value []byte
	// big: the value is over inlineValue, not read yet.
	big bool
}

// cursor implements kv.Cursor. rows is the page, ascending; i the
// position in it; moreBefore and moreAfter say whether keys may lie
// beyond the page's ends. A write of the transaction since the page was
// read makes it stale: the next move reads again from the current key.
type cursor struct {
	b           *bucket
	bucketsOnly bool
	rows        []row
	i           int
	valid       bool
	moreBefore  bool
	moreAfter   bool
	writes      uint64
	page        int
}

// Directions and bounds of a page read.
const (
	fromStart = iota // ascending, every key
	atOrAfter        // ascending, key >= bound
	after            // ascending, key > bound
	before           // descending, key < bound
	fromEnd          // descending, every key
)

func (c *cursor) sql(how int) string {
	where := "bucket = $1"
	if c.bucketsOnly {
		where += " AND child IS NOT NULL"
	}
	order := "key"
	switch how {
	case atOrAfter:
		where += " AND key >= $4"
	case after:
		where += " AND key > $4"
	case before:
		where += " AND key < $4"
		order = "key DESC"
	case fromEnd:
		order = "key DESC"
	}
	return fmt.Sprintf(`SELECT key, CASE WHEN octet_length(value) > $3 THEN NULL ELSE value END,
		coalesce(octet_length(value) > $3, false) FROM kv_items WHERE %s ORDER BY %s LIMIT $2`, where, order)
}

// read replaces the page by one read how from bound, and positions the
// cursor on its first key in the direction read.
func (c *cursor) read(how int, bound []byte) ([]byte, []byte) {
	t := c.b.tx
	if c.page == 0 {
		c.page = firstPage
	}
	limit := c.page
	c.page = min(2*c.page, maxPage)
	args := []any{c.b.id, limit, inlineValue}
	if how != fromStart && how != fromEnd {
		if bound == nil {
			bound = []byte{} // nil would be NULL, before which nothing sorts
		}
		args = append(args, bound)
	}
	c.rows, c.valid = c.rows[:0], false
	rows, err := t.query(c.sql(how), args...)
	if err != nil {
		return nil, nil
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.value, &r.big); err != nil {
			rows.Close()
			t.fail(err)
			return nil, nil
		}
		c.rows = append(c.rows, r)
	}
	if err := rows.Err(); err != nil {
		t.fail(err)
		return nil, nil
	}
	c.writes = t.writes
	if len(c.rows) == 0 {
		return nil, nil
	}
	full := len(c.rows) == limit
	if how == before || how == fromEnd {
		for i, j := 0, len(c.rows)-1; i < j; i, j = i+1, j-1 {
			c.rows[i], c.rows[j] = c.rows[j], c.rows[i]
		}
		c.i, c.moreBefore, c.moreAfter = len(c.rows)-1, full, how == before
	} else {
		c.i, c.moreBefore, c.moreAfter = 0, how != fromStart, full
	}
	c.valid = true
	return c.current()
}

func (c *cursor) current() ([]byte, []byte) {
	r := &c.rows[c.i]
	if r.big {
		r.value, r.big = c.b.Get(r.key), false
	}
	return r.key, r.value
}

func (c *cursor) fresh() bool { return c.writes == c.b.tx.writes }

func (c *cursor) First() ([]byte, []byte) { c.page = 0; return c.read(fromStart, nil) }

func (c *cursor) Last() ([]byte, []byte) { c.page = 0; return c.read(fromEnd, nil) }

func (c *cursor) Seek(seek []byte) ([]byte, []byte) { c.page = 0; return c.read(atOrAfter, seek) }

func (c *cursor) Next() ([]byte, []byte) {
	if !c.valid {
		return nil, nil
	}
	if c.fresh() {
		if c.i+1 < len(c.rows) {
			c.i++
			return c.current()
		}
		if !c.moreAfter {
			c.valid = false
			return nil, nil
		}
	}
	return c.read(after, c.rows[c.i].key)
}

func (c *cursor) Prev() ([]byte, []byte) {
	if !c.valid {
		return nil, nil
	}
	if c.fresh() {
		if c.i > 0 {
			c.i--
			return c.current()
		}
		if !c.moreBefore {
			c.valid = false
			return nil, nil
		}
	}
	return c.read(before, c.rows[c.i].key)
}

// Delete removes the key under the cursor; the next move goes on from
// it.
func (c *cursor) Delete() error {
	if !c.valid {
		return fmt.Errorf("pgkv: cursor delete: no current key")
	}
	return c.b.Delete(c.rows[c.i].key)
}
