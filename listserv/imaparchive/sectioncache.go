package imaparchive

import (
	"container/list"
	"strconv"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
)

// Mail clients fetch the same header fields of every message each time
// they open a mailbox (Thunderbird: From, Subject, Date, Message-ID, …).
// Dovecot answers them from its cache file; tacit keeps the extracted
// header sections of archived messages in memory, bounded in bytes, the
// least recently used dropped first. Archived messages never change, so
// an entry never goes stale.

// sectionCacheBytes bounds the memory the cache holds (keys and values).
const sectionCacheBytes = 16 << 20

// sectionCache maps (list, archive position, header section) to the
// section's bytes without any <partial> cut.
type sectionCache struct {
	max int

	mu    sync.Mutex
	used  int
	order *list.List // of *sectionEntry, most recently used first
	byKey map[string]*list.Element
}

type sectionEntry struct {
	key string
	b   []byte
}

func newSectionCache(max int) *sectionCache {
	return &sectionCache{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

// sectionKey names a header section of message seq of list; field names
// are compared without case, and the partial cut is not part of it.
func sectionKey(list string, seq uint64, bs *imap.FetchItemBodySection) string {
	var b strings.Builder
	b.WriteString(list)
	b.WriteByte(0)
	b.WriteString(strconv.FormatUint(seq, 10))
	switch {
	case len(bs.HeaderFields) > 0:
		b.WriteString("\x00F")
		for _, f := range bs.HeaderFields {
			b.WriteByte(0)
			b.WriteString(strings.ToLower(f))
		}
	case len(bs.HeaderFieldsNot) > 0:
		b.WriteString("\x00N")
		for _, f := range bs.HeaderFieldsNot {
			b.WriteByte(0)
			b.WriteString(strings.ToLower(f))
		}
	default:
		b.WriteString("\x00H")
	}
	return b.String()
}

// getAll returns the cached bytes of every section of message seq, or
// false when one of them is missing.
func (c *sectionCache) getAll(list string, seq uint64, sections []*imap.FetchItemBodySection) ([][]byte, bool) {
	out := make([][]byte, len(sections))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, bs := range sections {
		e, ok := c.byKey[sectionKey(list, seq, bs)]
		if !ok {
			return nil, false
		}
		c.order.MoveToFront(e)
		out[i] = e.Value.(*sectionEntry).b
	}
	return out, true
}

// put keeps b as the section key names, dropping the least recently used
// sections beyond the bound.
func (c *sectionCache) put(key string, b []byte) {
	size := len(key) + len(b) + 64
	if size > c.max/16 {
		return // one huge header must not flush the cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return
	}
	c.byKey[key] = c.order.PushFront(&sectionEntry{key: key, b: b})
	c.used += size
	for c.used > c.max {
		last := c.order.Back()
		e := last.Value.(*sectionEntry)
		c.order.Remove(last)
		delete(c.byKey, e.key)
		c.used -= len(e.key) + len(e.b) + 64
	}
}
