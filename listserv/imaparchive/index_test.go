package imaparchive

import (
	"bytes"
	"fmt"
	"path/filepath"
	"tacit/storage"
	"testing"
	"time"
)

// The envelope and structure of an archived message are computed once,
// soon after it is archived, before anybody fetches it.
func TestIndexComputesMetaOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seq := f.archive(t, jardin, message(alice, "Indexé", "corps"), t0)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok, err := f.store.ArchiveMeta(jardin, seq); err != nil {
			t.Fatal(err)
		} else if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the archived message was not indexed within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n, err := f.srv.Index(); err != nil || n != 0 {
		t.Errorf("a second pass indexed %d messages (%v), want 0", n, err)
	}
}

// After a start the indexer resumes where the index ends: a message
// archived while the server was down is indexed by the first pass, not
// after passes over the thousands already indexed.
func TestIndexResumesAfterAStart(t *testing.T) {
	t.Parallel()
	store, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.CreateList(storage.List{Address: jardin, Created: t0}); err != nil {
		t.Fatal(err)
	}
	// archive stores n messages in one transaction.
	archive := func(n int) {
		out := make([]storage.Outgoing, n)
		for i := range out {
			raw := []byte(message(alice, fmt.Sprintf("n° %d", i), "corps"))
			out[i] = storage.Outgoing{Raw: raw, BodyOffset: bytes.Index(raw, []byte("\r\n\r\n")) + 4, At: t0,
				Archive: storage.ArchiveEntry{List: jardin, At: t0, From: alice, Subject: "s"}}
		}
		if err := store.Decide(nil, out); err != nil {
			t.Fatal(err)
		}
	}
	archive(1001)
	first := New(Options{Store: store})
	defer first.Close()
	total := 0
	for {
		n, err := first.Index()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		total += n
	}
	if total != 1001 {
		t.Fatalf("first server indexed %d messages, want 1001", total)
	}

	archive(1) // while no server runs
	again := New(Options{Store: store})
	defer again.Close()
	if n, err := again.Index(); err != nil || n != 1 {
		t.Fatalf("first pass after a start indexed %d (%v), want the 1 new message", n, err)
	}
	if _, ok, err := store.ArchiveMeta(jardin, 1002); err != nil || !ok {
		t.Errorf("message 1002 not indexed: %v %v", ok, err)
	}
	if count, last, err := store.ArchiveStat(jardin); err != nil || count != 1002 || last != 1002 {
		t.Errorf("ArchiveStat = %d, %d, %v; want 1002, 1002", count, last, err)
	}
}
