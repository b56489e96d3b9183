package storage

import (
	"path/filepath"
	"testing"
	"time"

	"tacit/storage/internal/kv"
)

// holdAt receives a message and holds it for list at t; it returns the
// held post's id.
func holdAt(t *testing.T, s *Store, list string, at time.Time) uint64 {
	t.Helper()
	id, err := s.Receive(Envelope{From: "m@example.com", To: []string{list}}, []byte("Subject: x\r\n\r\nx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Dispose(id, Disposition{Held: []Held{{List: list, MessageID: id, From: "m@example.com", At: at,
		Reason: "not a member"}}}); err != nil {
		t.Fatal(err)
	}
	held, err := s.HeldPosts(list)
	if err != nil || len(held) == 0 {
		t.Fatalf("held posts: %v %v", held, err)
	}
	return held[len(held)-1].ID
}

// The held log keeps a post after its decision, per list, in time order,
// and forgets what is older than a month.
func TestHeldLogSurvivesDecisions(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, l := range []string{"jardin@lists.test", "velo@lists.test"} {
		if err := s.CreateList(List{Address: l}); err != nil {
			t.Fatal(err)
		}
	}
	ancient := holdAt(t, s, "jardin@lists.test", t0.Add(-40*24*time.Hour))
	a := holdAt(t, s, "jardin@lists.test", t0)
	holdAt(t, s, "velo@lists.test", t0.Add(time.Minute))
	b := holdAt(t, s, "jardin@lists.test", t0.Add(2*time.Minute))
	if _, err := s.ModerateHeld(a, Moderation{Approved: true, By: "cli", At: t0}); err != nil {
		t.Fatal(err)
	}
	log, err := s.HeldLog("jardin@lists.test", t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil || len(log) != 2 || log[0].ID != a || log[1].ID != b || !log[1].At.Equal(t0.Add(2*time.Minute)) ||
		log[0].Reason != "not a member" {
		t.Fatalf("held log: %+v, %v; want posts %d and %d", log, err, a, b)
	}
	if old, _ := s.HeldLog("jardin@lists.test", time.Unix(0, 0), t0.Add(-time.Hour)); len(old) != 0 {
		t.Errorf("post %d, held 40 days before, still in the log: %+v", ancient, old)
	}
	last, err := s.LastHeldBefore("jardin@lists.test", t0.Add(2*time.Minute), nil)
	if err != nil || !last.Equal(t0) {
		t.Errorf("last held before the third post: %v, %v; want %v", last, err, t0)
	}
	if last, _ := s.LastHeldBefore("velo@lists.test", t0, nil); !last.IsZero() {
		t.Errorf("velo held nothing before t0, got %v", last)
	}
	if last, _ := s.LastHeldBefore("velo@lists.test", t0.Add(time.Hour), nil); !last.Equal(t0.Add(time.Minute)) {
		t.Errorf("velo's last held post: %v", last)
	}
	other := func(reason string) bool { return reason != "not a member" }
	if last, _ := s.LastHeldBefore("jardin@lists.test", t0.Add(time.Hour), other); !last.IsZero() {
		t.Errorf("no post of jardin was held for another reason, got %v", last)
	}
}

// Upgrading a store of schema 7 logs the posts it holds.
func TestMigrationLogsHeldPosts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tacit.db")
	s := openAt(t, path)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	id := holdAt(t, s, "jardin@lists.test", t0)
	if err := s.db.Update(func(tx kv.Tx) error {
		if err := tx.DeleteBucket(bucketHeldLog); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, u64(7))
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, path)
	log, err := s.HeldLog("jardin@lists.test", t0, t0.Add(time.Second))
	if err != nil || len(log) != 1 || log[0].ID != id || log[0].Reason != "not a member" {
		t.Fatalf("held log after the upgrade: %+v, %v", log, err)
	}
}
