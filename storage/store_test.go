package storage

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"tacit/storage/internal/boltkv"
	"tacit/storage/internal/kv"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "data", "tacit.db"))
}

// openAt opens the store at path, closed when the test ends (closing it
// before is harmless: tests that reopen a store do).
func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, testOptions(t, path, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("store on %s", engine)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenCreatesSchema(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	v, err := s.Version()
	if err != nil || v != SchemaVersion {
		t.Fatalf("version = %d, %v; want %d", v, err, SchemaVersion)
	}
}

func TestOpenTwiceIsLocked(t *testing.T) {
	t.Parallel()
	boltOnly(t, "a database is shared by several processes")
	s := openTemp(t)
	_, err := Open(s.Path(), Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}

func TestOpenNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tacit.db")
	s, err := Open(path, testOptions(t, path, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx kv.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, u64(SchemaVersion+5))
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(path, testOptions(t, path, Options{})); err == nil {
		t.Fatal("a store from a newer tacit opened without error")
	}
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tacit.db")
	s := openAt(t, path)
	if err := s.CreateList(List{Address: "Jardin@Lists.Localhost", Name: "Jardin"}); err != nil {
		t.Fatal(err)
	}
	id, err := s.Receive(Envelope{From: "a@example.org", To: []string{"jardin@lists.localhost"}}, []byte("Subject: x\r\n\r\nhi\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, path)
	l, err := s.List("jardin@lists.localhost")
	if err != nil || l.Name != "Jardin" {
		t.Fatalf("list after reopen: %+v, %v", l, err)
	}
	raw, env, err := s.Message(id)
	if err != nil || string(raw) != "Subject: x\r\n\r\nhi\r\n" || env.From != "a@example.org" {
		t.Fatalf("message after reopen: %q %+v %v", raw, env, err)
	}
	inbox, _ := s.Inbox()
	if !slices.Equal(inbox, []uint64{id}) {
		t.Fatalf("inbox = %v", inbox)
	}
}

func TestListsAndMembers(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	if err := s.CreateList(List{Address: "a@l.test"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateList(List{Address: "A@L.test"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate list: %v", err)
	}
	if _, err := s.AddMembers("nope@l.test", time.Now(), "x@y.z"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("add to missing list: %v", err)
	}
	added, err := s.AddMembers("a@l.test", time.Now(), "Bob@Example.org", "alice@example.org", "bob@example.org")
	if err != nil || !slices.Equal(added, []string{"bob@example.org", "alice@example.org"}) {
		t.Fatalf("added %v, %v", added, err)
	}
	ms, _ := s.Members("a@l.test")
	if len(ms) != 2 || ms[0].Address != "alice@example.org" {
		t.Fatalf("members %+v", ms)
	}
	if ok, _ := s.IsMember("a@l.test", "BOB@example.org"); !ok {
		t.Fatal("bob is not a member")
	}
	removed, _ := s.RemoveMembers("a@l.test", "bob@example.org", "carol@example.org")
	if !slices.Equal(removed, []string{"bob@example.org"}) {
		t.Fatalf("removed %v", removed)
	}
	if ok, _ := s.IsMember("a@l.test", "bob@example.org"); ok {
		t.Fatal("bob still a member")
	}
	l, err := s.UpdateList("a@l.test", func(l *List) error { l.Owners = []string{"o@x.y"}; return nil })
	if err != nil || l.Owners[0] != "o@x.y" {
		t.Fatalf("update: %+v %v", l, err)
	}
	lists, _ := s.Lists()
	if len(lists) != 1 || lists[0].Owners[0] != "o@x.y" || lists[0].LocalPart() != "a" || lists[0].Domain() != "l.test" {
		t.Fatalf("lists %+v", lists)
	}
}

func TestDisposeIsAtomicAndOnce(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	now := time.Unix(1_800_000_000, 0)
	id, err := s.Receive(Envelope{From: "a@x.y"}, []byte("\r\nbody"))
	if err != nil {
		t.Fatal(err)
	}
	d := Disposition{
		Archive: []ArchiveEntry{{List: "l@x.y", MessageID: id, At: now}},
		Held:    []Held{{List: "m@x.y", MessageID: id, Reason: "not a member"}},
		Queue:   []QueueEntry{{MessageID: id, Recipients: []string{"r@x.y"}, NextAttempt: now}},
	}
	if err := s.Dispose(id, d); err != nil {
		t.Fatal(err)
	}
	if err := s.Dispose(id, d); err != nil { // a second time: nothing happens
		t.Fatal(err)
	}
	inbox, _ := s.Inbox()
	arch, _ := s.Archive("l@x.y")
	held, _ := s.HeldPosts("")
	st, _ := s.QueueStats()
	if len(inbox) != 0 || len(arch) != 1 || arch[0].Seq != 1 || len(held) != 1 || st.Entries != 1 {
		t.Fatalf("inbox %v archive %v held %v queue %+v", inbox, arch, held, st)
	}
	if h, _ := s.HeldPosts("other@x.y"); len(h) != 0 {
		t.Fatalf("held posts of another list: %v", h)
	}
}

func TestQueueLifecycle(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Unix(1_800_000_000, 0)
	if err := s.Enqueue(
		QueueEntry{MessageID: 1, Recipients: []string{"a@x", "b@x", "c@x"}, NextAttempt: t0, Created: t0},
		QueueEntry{MessageID: 1, Recipients: []string{"d@y"}, NextAttempt: t0.Add(time.Hour), Created: t0},
	); err != nil {
		t.Fatal(err)
	}
	due, err := s.Due(t0, 10, nil)
	if err != nil || len(due) != 1 || due[0].Recipients[0] != "a@x" {
		t.Fatalf("due at t0: %+v %v", due, err)
	}
	if due, _ := s.Due(t0, 10, func(uint64) bool { return true }); len(due) != 0 {
		t.Fatalf("skip ignored: %v", due)
	}
	next, ok, _ := s.NextDue()
	if !ok || !next.Equal(t0) {
		t.Fatalf("next due %v %v", next, ok)
	}
	id := due[0].ID
	e, ok, err := s.ClaimAttempt(id, t0, t0.Add(30*time.Second))
	if err != nil || !ok || e.Attempts != 1 || !e.InFlight || e.Owner == "" {
		t.Fatalf("claim: %+v %v %v", e, ok, err)
	}
	if due, _ := s.Due(t0.Add(time.Second), 10, nil); len(due) != 0 {
		t.Fatalf("entry in flight still due: %v", due)
	}
	// A crash here: on bbolt the entry is recovered as due now; on a
	// shared store it may be another node's, due when its lease (the
	// retry time) runs out.
	recoverAt, wantRecovered := t0.Add(2*time.Second), 1
	if s.Shared() {
		recoverAt, wantRecovered = t0.Add(30*time.Second), 0
	}
	if n, err := s.RecoverInFlight(t0.Add(2 * time.Second)); n != wantRecovered || err != nil {
		t.Fatalf("recover: %d %v, want %d", n, err, wantRecovered)
	}
	if due, _ := s.Due(recoverAt, 10, nil); len(due) != 1 || due[0].InFlight != s.Shared() {
		t.Fatalf("recovered entry not due: %+v", due)
	}
	e, ok, err = s.ClaimAttempt(id, recoverAt, t0.Add(time.Minute))
	if err != nil || !ok {
		t.Fatalf("claim after recovery: %v %v", ok, err)
	}
	err = s.FinishAttempt(id, AttemptResult{
		Owner:     e.Owner,
		Delivered: []string{"a@x"},
		Failed:    []Failure{{Recipient: "b@x", Error: "550 no"}},
		LastError: "451 later",
		RetryAt:   t0.Add(5 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	e, _ = s.QueueEntry(id)
	if !slices.Equal(e.Recipients, []string{"c@x"}) || e.InFlight || e.LastError != "451 later" || !e.NextAttempt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("after attempt: %+v", e)
	}
	fails, _ := s.Failures()
	if len(fails) != 1 || fails[0].Recipient != "b@x" {
		t.Fatalf("failures %+v", fails)
	}
	if err := s.FinishAttempt(id, AttemptResult{Delivered: []string{"c@x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.QueueEntry(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("finished entry still there: %v", err)
	}
	st, _ := s.QueueStats()
	if st.Entries != 1 || st.Recipients != 1 {
		t.Fatalf("stats %+v", st)
	}
	// The due index holds exactly the one entry left, at its time.
	if due, _ := s.Due(t0.Add(2*time.Hour), 10, nil); len(due) != 1 || due[0].Recipients[0] != "d@y" {
		t.Fatalf("due index after: %+v", due)
	}
}

func BenchmarkReceive(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "tacit.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	msg := make([]byte, 4096)
	b.SetBytes(int64(len(msg)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Receive(Envelope{From: "a@x.y", To: []string{"l@x.y"}}, msg); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// A damaged file is a clear error, never a panic; a backup is a store.
func TestCorruptFileAndBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(bad, bytes.Repeat([]byte("not a bolt file "), 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("garbage file: %v, want ErrCorrupt", err)
	}
	s := openTemp(t)
	if err := s.CreateList(List{Address: "jardin@lists.test"}); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "backup.db")
	if err := s.Backup(copyPath); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(copyPath); err == nil {
		t.Errorf("a backup overwrote an existing file")
	}
	b, err := Open(copyPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.List("jardin@lists.test"); err != nil {
		t.Errorf("backup lacks the list: %v", err)
	}
}

// A big message is stored apart: receiving small messages after it does
// not rewrite it (bbolt rewrites the whole leaf a key is added to), and
// it reads back whole.
func TestBigMessageIsNotRewrittenByItsSuccessors(t *testing.T) {
	t.Parallel()
	boltOnly(t, "it counts bbolt's pages")
	s := openTemp(t)
	env := Envelope{From: "a@x", To: []string{"l@x"}, ReceivedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	small := []byte("Subject: s\r\n\r\nsmall\r\n")
	for range 5 {
		if _, err := s.Receive(env, small); err != nil {
			t.Fatal(err)
		}
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 2<<20/16) // 2 MiB: 512 pages
	big[len(big)-1] = '\n'
	bigID, err := s.Receive(env, big)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		before := s.db.(*boltkv.DB).Bolt().Stats()
		if _, err := s.Receive(env, small); err != nil {
			t.Fatal(err)
		}
		after := s.db.(*boltkv.DB).Bolt().Stats()
		if pages := after.TxStats.GetPageCount() - before.TxStats.GetPageCount(); pages > 32 {
			t.Errorf("small message %d after a 2 MiB one: %d pages written, want a few", i, pages)
		}
	}
	got, _, err := s.Message(bigID)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("big message read back: %d bytes, %v; want %d bytes", len(got), err, len(big))
	}
	if got, _, err := s.Message(bigID + 1); err != nil || !bytes.Equal(got, small) {
		t.Errorf("small message after it: %q, %v", got, err)
	}
}

// Opening a schema-5 store marks its disabled members as announced, so
// that their next bounce does not tell the owners a second time.
func TestMigrationMarksDisabledMembersAnnounced(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tacit.db")
	s := openAt(t, path)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := s.CreateList(List{Address: "jardin@lists.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMembers("jardin@lists.test", now, "bob@example.org", "carol@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateMember("jardin@lists.test", "bob@example.org", func(m *Member) error { m.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx kv.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, u64(5)) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, path)
	bob, _ := s.Member("jardin@lists.test", "bob@example.org")
	carol, _ := s.Member("jardin@lists.test", "carol@example.org")
	if !bob.Disabled || !bob.DisabledNoticeSent || carol.Disabled || carol.DisabledNoticeSent {
		t.Errorf("after the migration: bob %+v, carol %+v; want bob disabled and announced, carol neither", bob, carol)
	}
}
