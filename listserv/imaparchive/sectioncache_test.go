package imaparchive

import (
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// The header sections a client fetches again come from the cache, and are
// the same bytes as the first time: whatever the field set, the case of
// the names, a <partial> cut, and a cache too small to keep them all.
func TestHeaderSectionsFromTheCache(t *testing.T) {
	t.Parallel()
	for _, max := range []int{sectionCacheBytes, 16 << 10} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			t.Parallel()
			f := newFixtureWith(t, nil, func(s *Server) { s.sections = newSectionCache(max) })
			at := time.Date(2026, 3, 13, 17, 5, 0, 0, time.UTC)
			for i := range 40 {
				f.archive(t, jardin, message(fmt.Sprintf("m%d@example.test", i), fmt.Sprintf("sujet %d", i), "texte\r\n"), at)
			}
			f.archive(t, jardin, multipartMsg, at)
			c := f.login(t, jardin, bob)
			selectBox(t, c, "jardin", true)
			all := imap.SeqSetNum()
			all.AddRange(1, 0)
			sections := []*imap.FetchItemBodySection{
				{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"From", "Subject", "Date", "Message-ID"}, Peek: true},
				{Specifier: imap.PartSpecifierHeader, HeaderFieldsNot: []string{"subject"}, Peek: true},
				{Specifier: imap.PartSpecifierHeader, Peek: true},
				{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"subject"}, Peek: true,
					Partial: &imap.SectionPartial{Offset: 3, Size: 7}},
			}
			read := func() map[string]string {
				got := map[string]string{}
				for _, m := range fetch(t, c, all, &imap.FetchOptions{UID: true, BodySection: sections}) {
					for k, bs := range sections {
						got[fmt.Sprintf("%d/%d", m.UID, k)] = string(m.FindBodySection(bs))
					}
				}
				return got
			}
			cold := read()
			if len(cold) != 41*len(sections) {
				t.Fatalf("%d sections", len(cold))
			}
			for k, v := range cold {
				if v == "" {
					t.Fatalf("section %s is empty", k)
				}
			}
			if got := cold["41/3"]; got != "ject: =" {
				t.Errorf("partial <3.7> of SUBJECT: %q", got)
			}
			for range 2 {
				warm := read()
				for k, v := range cold {
					if warm[k] != v {
						t.Fatalf("section %s: %q the first time, %q then", k, v, warm[k])
					}
				}
			}
			// Names in another case are the same section.
			upper := []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierHeader,
				HeaderFields: []string{"FROM", "SUBJECT", "DATE", "MESSAGE-ID"}, Peek: true}}
			for _, m := range fetch(t, c, all, &imap.FetchOptions{UID: true, BodySection: upper}) {
				if got, want := string(m.FindBodySection(upper[0])), cold[fmt.Sprintf("%d/0", m.UID)]; got != want {
					t.Fatalf("UID %d in capitals: %q, want %q", m.UID, got, want)
				}
			}
			f.srv.sections.mu.Lock()
			used, entries := f.srv.sections.used, len(f.srv.sections.byKey)
			f.srv.sections.mu.Unlock()
			if used > max || entries == 0 {
				t.Errorf("the cache holds %d sections, %d bytes, bound %d", entries, used, max)
			}
			if max < sectionCacheBytes && entries >= 41*len(sections) {
				t.Errorf("a %d-byte cache kept all %d sections: nothing was evicted", max, entries)
			}
		})
	}
}

func TestSectionCacheEvictsTheLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	bs := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"subject"}}
	val := []byte("Subject: x\r\n\r\n")
	size := len(sectionKey("l@x", 10, bs)) + len(val) + 64
	c := newSectionCache(20 * size) // 20 entries of two-digit positions
	for seq := uint64(10); seq < 30; seq++ {
		c.put(sectionKey("l@x", seq, bs), val)
	}
	if _, ok := c.getAll("l@x", 10, []*imap.FetchItemBodySection{bs}); !ok { // 10 is now the most recent
		t.Fatal("10 missing")
	}
	c.put(sectionKey("l@x", 30, bs), val)
	if _, ok := c.getAll("l@x", 11, []*imap.FetchItemBodySection{bs}); ok {
		t.Error("11, the least recently used, was kept")
	}
	for _, seq := range []uint64{10, 12, 29, 30} {
		if _, ok := c.getAll("l@x", seq, []*imap.FetchItemBodySection{bs}); !ok {
			t.Errorf("%d was dropped", seq)
		}
	}
	if c.used > c.max {
		t.Errorf("%d bytes held, bound %d", c.used, c.max)
	}
	if _, ok := c.getAll("other@x", 10, []*imap.FetchItemBodySection{bs}); ok {
		t.Error("another list's message shares the entry")
	}
}
