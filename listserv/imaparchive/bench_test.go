package imaparchive

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"tacit/storage"
)

// BenchmarkFetchHeaders10000 fetches three header fields of 10,000
// archived 4 KB messages with one UID FETCH per iteration, as a mail
// program does when it opens a large folder.
func BenchmarkFetchHeaders10000(b *testing.B) {
	f := newFixture(b)
	const n = 10_000
	body := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n", 4096/58)
	var out []storage.Outgoing
	for i := range n {
		raw := message("a@example.test", fmt.Sprintf("post %d", i), body)
		out = append(out, storage.Outgoing{Raw: []byte(raw), BodyOffset: strings.Index(raw, "\r\n\r\n") + 4,
			At: t0.Add(time.Duration(i) * time.Second), Archive: storage.ArchiveEntry{List: jardin, Subject: "s"}})
		if len(out) == 1000 {
			if err := f.store.Decide(nil, out); err != nil {
				b.Fatal(err)
			}
			out = out[:0]
		}
	}
	c := f.login(b, jardin, bob)
	selectBox(b, c, "jardin", true)
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true,
		HeaderFields: []string{"FROM", "SUBJECT", "DATE"}}
	options := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		cmd := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, options)
		count := 0
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			buf, err := m.Collect()
			if err != nil {
				b.Fatal(err)
			}
			if !strings.HasPrefix(string(buf.FindBodySection(section)), "From: ") {
				b.Fatalf("header fields %q", buf.FindBodySection(section))
			}
			count++
		}
		if err := cmd.Close(); err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("%d messages", count)
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/op")
}
