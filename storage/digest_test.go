package storage

import (
	"path/filepath"
	"testing"
	"time"
)

// Two nodes that read the same kept posts (the lock lost between them)
// send one digest: the second write finds its posts gone and writes
// nothing, not even the deletion of the posts it still found.
func TestDigestReadTwiceIsSentOnce(t *testing.T) {
	t.Parallel()
	s := openAt(t, filepath.Join(t.TempDir(), "tacit.db"))
	const list = "jardin@lists.test"
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := s.CreateList(List{Address: list, Created: t0}); err != nil {
		t.Fatal(err)
	}
	keep := func(subject string, at time.Time) {
		t.Helper()
		raw := "From: a@x.org\r\nTo: " + list + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@x.org>\r\n\r\nbody\r\n"
		id, err := s.Receive(Envelope{From: "a@x.org", To: []string{list}, ReceivedAt: at}, []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Dispose(id, Disposition{Digest: []DigestItem{{List: list, At: at, Subject: subject, Raw: []byte(raw)}}}); err != nil {
			t.Fatal(err)
		}
	}
	keep("un", t0)
	keep("deux", t0.Add(time.Minute))
	digest := func(what string) Outgoing {
		raw := "To: " + list + "\r\nSubject: " + what + "\r\n\r\nx"
		return Outgoing{Raw: []byte(raw), BodyOffset: len(raw) - 1, At: t0,
			Queue: []QueueEntry{{List: list, Domain: "x.org", Recipients: []string{"a@x.org"}, NextAttempt: t0.Add(time.Hour)}}}
	}
	// Node B reads both posts; node A carries the second one first (the
	// order that would leave a partial deletion, were the check not
	// made before any post is taken).
	b, err := s.DigestItems(list, t0.Add(time.Hour))
	if err != nil || len(b) != 2 {
		t.Fatalf("B read %v, %v", b, err)
	}
	a := b[1:]
	if sent, err := s.SendDigest(list, "", a, digest("A")); err != nil || !sent {
		t.Fatalf("A: sent %v, %v; want sent", sent, err)
	}
	if sent, err := s.SendDigest(list, "", b, digest("B")); err != nil || sent {
		t.Fatalf("B: sent %v, %v; want not sent", sent, err)
	}
	if st, _ := s.QueueStats(); st.Entries != 1 {
		t.Errorf("%d queue entries, want A's digest only", st.Entries)
	}
	// The post B found but did not carry still waits for the next digest.
	left, err := s.DigestItems(list, t0.Add(time.Hour))
	if err != nil || len(left) != 1 || left[0].Subject != "un" {
		t.Fatalf("kept after the two writes: %v, %v; want the first post", left, err)
	}
	// Same read, same day: the second write loses to the day's mark too.
	for i, want := range []bool{true, false} {
		if sent, err := s.SendDigest(list, "2026-12-01", left, digest("day")); err != nil || sent != want {
			t.Fatalf("day's digest, try %d: sent %v, %v; want %v", i+1, sent, err, want)
		}
	}
	if st, _ := s.QueueStats(); st.Entries != 2 {
		t.Errorf("%d queue entries, want 2 digests", st.Entries)
	}
}
