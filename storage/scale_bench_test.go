//go:build linux && (amd64 || arm64)

package storage

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tacit/storage/internal/boltkv"
)

// BenchmarkArchiveMillion archives 1,000,000 small posts into one list
// through the path tacit serve takes (Receive, then Dispose with an
// ArchiveEntry carrying the rewritten header, then the IMAP indexer's
// PutArchiveMeta), from concurrent writers so that bbolt's group commit
// fills its batches as it does under SMTP load, and then times what the
// archive's readers do on a store that large. It is a measurement for
// docs/scaling.md, not a regression test: it runs only when -bench selects
// it, once (use -benchtime 1x), and writes several GB.
//
//	go test ./storage -run '^$' -bench BenchmarkArchiveMillion -benchtime 1x -timeout 2h
//
// Environment: TACIT_SCALE_MESSAGES (default 1000000), TACIT_SCALE_DIR
// (where the store goes; default a temporary directory), TACIT_SCALE_LIMIT
// (a Go duration, default 60m: archiving stops there and the figures are
// for what was archived by then).
//
// Besides the metrics, it logs: file size, bytes per message, archive
// rate per 10 % slice, open time (page cache warm, and cold for this file
// only via posix_fadvise DONTNEED), RSS (anonymous, and file-backed: the
// store's pages mapped by bbolt, which are page cache), the time of the
// readers: the newest, oldest and middle ArchiveEntries page of 50,
// ArchivedBatch of 50 (headers only, and whole), ArchiveStat, a full walk
// in pages of 1,000 (what the IMAP indexer does after a start), each cold
// once then warm (median of 5); an online Backup; and last, per bucket,
// how full its pages are.
func BenchmarkArchiveMillion(b *testing.B) {
	n := envInt(b, "TACIT_SCALE_MESSAGES", 1_000_000)
	limit := 60 * time.Minute
	if v := os.Getenv("TACIT_SCALE_LIMIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("TACIT_SCALE_LIMIT: %v", err)
		}
		limit = d
	}
	dir := os.Getenv("TACIT_SCALE_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else {
		var err error
		if dir, err = os.MkdirTemp(dir, "scale-"); err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
	}
	path := filepath.Join(dir, "tacit.db")
	const list = "jardin@lists.test"
	const workers = 256

	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.CreateList(List{Address: list, Created: time.Now()}); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	// Archive: Receive + Dispose per message, workers at once.
	start := time.Now()
	deadline := start.Add(limit)
	var next, done atomic.Int64
	const nSlices = 10
	sliceAt := make([]time.Duration, nSlices)
	step := int64(max(n/nSlices, 1))
	var sliceMu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || time.Now().After(deadline) {
					return
				}
				raw, hdr, off := scaleMessage(int(i))
				env := Envelope{From: "poster@example.org", To: []string{list},
					RemoteAddr: "127.0.0.1:25000", Helo: "client.example.org", ReceivedAt: time.Now().UTC()}
				id, err := s.Receive(env, raw)
				if err == nil {
					err = s.Dispose(id, Disposition{Archive: []ArchiveEntry{{List: list, MessageID: id,
						At: env.ReceivedAt, From: "poster@example.org", Subject: "Compost rota, week " + strconv.Itoa(int(i)),
						Header: hdr, BodyOffset: off}}})
				}
				if err != nil {
					errs <- err
					return
				}
				if d := done.Add(1); d%step == 0 && d/step <= nSlices {
					sliceMu.Lock()
					sliceAt[d/step-1] = time.Since(start)
					sliceMu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	archived := int(done.Load())
	archiveTime := time.Since(start)
	if archived < n {
		b.Logf("TACIT_SCALE_LIMIT %v reached: %d of %d messages archived", limit, archived, n)
	}

	// The IMAP indexer's blob per message (envelope and structure, about
	// 600 bytes of JSON), written by workers at once.
	start = time.Now()
	metaBlob := bytes.Repeat([]byte("x"), 600)
	var after uint64
	for {
		page, err := s.ArchiveEntries(list, after, 1000)
		if err != nil {
			b.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].Seq
		work := make(chan uint64, len(page))
		for _, e := range page {
			work <- e.Seq
		}
		close(work)
		var mwg sync.WaitGroup
		var merr atomic.Value
		for range min(workers, len(page)) {
			mwg.Go(func() {
				for seq := range work {
					if err := s.PutArchiveMeta(list, seq, metaBlob); err != nil {
						merr.Store(err)
					}
				}
			})
		}
		mwg.Wait()
		if err, _ := merr.Load().(error); err != nil {
			b.Fatal(err)
		}
	}
	metaTime := time.Since(start)
	b.StopTimer()

	st := readProcStatus(b)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.Logf("archived %d messages in %v (%.0f msgs/s, %d writers); index blobs in %v (%.0f/s)",
		archived, archiveTime.Round(time.Millisecond), float64(archived)/archiveTime.Seconds(), workers,
		metaTime.Round(time.Millisecond), float64(archived)/metaTime.Seconds())
	prev := time.Duration(0)
	for i, at := range sliceAt {
		if at == 0 {
			break
		}
		b.Logf("  slice %d (messages %d–%d): %.0f msgs/s", i+1, int64(i)*step+1, int64(i+1)*step,
			float64(step)/(at-prev).Seconds())
		prev = at
	}
	b.Logf("after writing: VmHWM %s, VmRSS %s (RssAnon %s, RssFile %s), Go heap in use %d MB",
		st["VmHWM"], st["VmRSS"], st["RssAnon"], st["RssFile"], ms.HeapInuse>>20)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	size := fi.Size()
	b.Logf("file %s: %d bytes (%.2f GB), %.0f bytes per message", path, size, float64(size)/1e9, float64(size)/float64(archived))

	// Open: warm (the file's pages in the page cache), then cold.
	warmOpen, s := timedOpen(b, path)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	dropFileCache(b, path)
	coldOpen, s := timedOpen(b, path)
	defer s.Close()
	b.Logf("open: %v warm, %v cold", warmOpen, coldOpen)

	// Readers, cold first (right after the cold open), then warm.
	_, last, err := s.ArchiveStat(list)
	if err != nil {
		b.Fatal(err)
	}
	newest := last - min(last, 50) // the newest 50 are newest+1 … last
	readers := []struct {
		name string
		fn   func() (int, error)
	}{
		{"ArchiveEntries newest 50", func() (int, error) {
			e, err := s.ArchiveEntries(list, newest, 50)
			return len(e), err
		}},
		{"ArchivedBatch newest 50, headers", func() (int, error) {
			m, err := s.ArchivedBatch(list, seqRange(newest+1, 50), true)
			return len(m), err
		}},
		{"ArchivedBatch newest 50, whole", func() (int, error) {
			m, err := s.ArchivedBatch(list, seqRange(newest+1, 50), false)
			return len(m), err
		}},
		{"ArchiveEntries oldest 50", func() (int, error) {
			e, err := s.ArchiveEntries(list, 0, 50)
			return len(e), err
		}},
		{"ArchiveEntries middle 50", func() (int, error) {
			e, err := s.ArchiveEntries(list, last/2, 50)
			return len(e), err
		}},
		{"ArchivedBatch middle 50, headers", func() (int, error) {
			m, err := s.ArchivedBatch(list, seqRange(last/2+1, 50), true)
			return len(m), err
		}},
		{"ArchiveStat (walks the bucket)", func() (int, error) {
			c, _, err := s.ArchiveStat(list)
			return c, err
		}},
		{"ArchiveEntries full walk, pages of 1,000", func() (int, error) {
			total := 0
			var after uint64
			for {
				e, err := s.ArchiveEntries(list, after, 1000)
				if err != nil || len(e) == 0 {
					return total, err
				}
				total += len(e)
				after = e[len(e)-1].Seq
			}
		}},
	}
	// Cold: each reader once, right after evicting the file from the
	// page cache. Warm: each reader 5 times, the median.
	dropFileCache(b, path) // the ArchiveStat above read the archive's pages
	for _, r := range readers {
		t := time.Now()
		got, err := r.fn()
		d := time.Since(t)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("cold %-42s %10v  (%d)", r.name, d.Round(time.Microsecond), got)
	}
	for _, r := range readers {
		var ds []time.Duration
		for range 5 {
			t := time.Now()
			if _, err := r.fn(); err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(t))
		}
		sortDurations(ds)
		d := ds[len(ds)/2]
		b.Logf("warm %-42s %10v  (min %v)", r.name, d.Round(time.Microsecond), ds[0].Round(time.Microsecond))
		switch r.name {
		case "ArchiveEntries newest 50":
			b.ReportMetric(float64(d.Microseconds())/1000, "page-ms")
		case "ArchivedBatch newest 50, headers":
			b.ReportMetric(float64(d.Microseconds())/1000, "batch-ms")
		case "ArchiveStat (walks the bucket)":
			b.ReportMetric(float64(d.Microseconds())/1000, "stat-ms")
		}
	}
	st = readProcStatus(b)
	b.Logf("after the readers: VmHWM %s, VmRSS %s (RssAnon %s, RssFile %s)", st["VmHWM"], st["VmRSS"], st["RssAnon"], st["RssFile"])

	t := time.Now()
	backup := filepath.Join(dir, "backup.db")
	if err := s.Backup(backup); err != nil {
		b.Fatal(err)
	}
	b.Logf("online Backup: %v", time.Since(t).Round(time.Millisecond))
	if err := os.Remove(backup); err != nil {
		b.Fatal(err)
	}
	// Last, as it touches every page of the file (so RSS, file-backed).
	logBucketStats(b, s, list)

	b.ReportMetric(float64(archived), "messages")
	b.ReportMetric(float64(size)/1e6, "file-MB")
	b.ReportMetric(archiveTime.Seconds(), "archive-s")
	b.ReportMetric(float64(coldOpen.Microseconds())/1000, "open-cold-ms")
	b.ReportMetric(float64(kB(st["RssAnon"]))/1024, "rss-anon-MB")
	b.ReportMetric(float64(kB(st["RssFile"]))/1024, "rss-file-MB")
}

// scaleMessage returns post i (about 1 KB as received), the header the
// list distributes it with, and the offset of its body.
func scaleMessage(i int) (raw, hdr []byte, off int) {
	head := fmt.Sprintf("Received: from client.example.org (client.example.org [192.0.2.7])\r\n"+
		"\tby lists.test with ESMTP id %d; Mon, 7 Dec 2026 10:00:00 +0000\r\n"+
		"From: Poster <poster@example.org>\r\nTo: jardin@lists.test\r\n"+
		"Subject: Compost rota, week %d\r\nMessage-ID: <%d.scale@example.org>\r\n"+
		"Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\n", i, i, i)
	body := strings.Repeat("Who takes the compost this week? I can do Tuesday.\r\n", 12)
	raw = []byte(head + body)
	off = len(head)
	hdr = []byte(fmt.Sprintf("From: Poster <poster@example.org>\r\nTo: jardin@lists.test\r\n"+
		"Subject: [jardin] Compost rota, week %d\r\nMessage-ID: <%d.scale@example.org>\r\n"+
		"Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\nList-Id: jardin <jardin.lists.test>\r\n"+
		"List-Post: <mailto:jardin@lists.test>\r\nList-Unsubscribe: <mailto:jardin-request@lists.test?subject=unsubscribe>\r\n"+
		"List-Help: <mailto:jardin-request@lists.test?subject=help>\r\nPrecedence: list\r\n"+
		"Reply-To: jardin@lists.test\r\nX-Loop: jardin@lists.test\r\n\r\n", i, i))
	return raw, hdr, off
}

// logBucketStats logs where the file's bytes are: per bucket, the keys,
// the bytes its leaf pages hold and the bytes they take; and the free
// pages.
func logBucketStats(b *testing.B, s *Store, list string) {
	b.Helper()
	t := time.Now()
	db := s.db.(*boltkv.DB)
	named := []struct {
		name string
		path [][]byte
	}{
		{"messages", [][]byte{bucketMessages}},
		{"envelopes", [][]byte{bucketEnvelopes}},
		{"archive/" + list, [][]byte{bucketArchive, []byte(list)}},
		{"archive_meta", [][]byte{bucketArchiveMeta}},
	}
	var inuse, alloc int
	var size int64
	for _, nb := range named {
		st, sz, err := db.BucketStats(nb.path...)
		if err != nil {
			b.Fatal(err)
		}
		size = sz
		in := st.LeafInuse + st.BranchInuse
		al := st.LeafAlloc + st.BranchAlloc
		inuse += in
		alloc += al
		b.Logf("bucket %-26s %8d keys, depth %d, %6.0f MB in pages of %6.0f MB (%.0f %% full), %d overflow pages",
			nb.name, st.KeyN, st.Depth, float64(in)/1e6, float64(al)/1e6, 100*float64(in)/float64(max(al, 1)), st.LeafOverflowN)
	}
	b.Logf("these buckets: %.0f MB of data in %.0f MB of pages; file %.0f MB", float64(inuse)/1e6, float64(alloc)/1e6, float64(size)/1e6)
	ds := db.Bolt().Stats()
	b.Logf("free pages %d (%.0f MB), pending %d; bucket walk took %v", ds.FreePageN, float64(ds.FreeAlloc)/1e6, ds.PendingPageN,
		time.Since(t).Round(time.Millisecond))
}

func sortDurations(ds []time.Duration) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j] < ds[j-1]; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

func seqRange(from uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = from + uint64(i)
	}
	return out
}

func timedOpen(b *testing.B, path string) (time.Duration, *Store) {
	b.Helper()
	t := time.Now()
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return time.Since(t), s
}

// dropFileCache evicts path's pages from the page cache
// (posix_fadvise POSIX_FADV_DONTNEED), so that the next reads come from
// the disk without touching the rest of the machine's cache.
func dropFileCache(b *testing.B, path string) {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	const fadvDontNeed = 4
	if _, _, errno := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0); errno != 0 {
		b.Logf("posix_fadvise: %v (cold figures are warm)", errno)
	}
}

// readProcStatus returns the fields of /proc/self/status.
func readProcStatus(b *testing.B) map[string]string {
	b.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// kB parses "123456 kB".
func kB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	return n
}

func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}
