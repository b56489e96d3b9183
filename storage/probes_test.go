package storage

import (
	"errors"
	"testing"
	"time"
)

func probeOutgoing(to string, now time.Time) Outgoing {
	return Outgoing{Raw: []byte("Subject: probe\r\n\r\nx\r\n"), BodyOffset: 19, At: now,
		Queue: []QueueEntry{{List: "jardin@lists.test", From: "jardin-bounces+probe@lists.test", Domain: "example.org",
			Recipients: []string{to}, Created: now, NextAttempt: now}}}
}

// A probe exists if and only if it is queued; a second one waits for the
// first; EndProbe ends it once, with what the caller changes and sends.
func TestProbeLifeCycle(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	if err := s.CreateList(List{Address: "jardin@lists.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMembers("jardin@lists.test", now, "bob@example.org", "carol@example.org"); err != nil {
		t.Fatal(err)
	}
	p, err := s.StartProbe("jardin@lists.test", "Bob@example.org", Probe{ID: "p1", Sent: now, Due: now.Add(72 * time.Hour)},
		probeOutgoing("bob@example.org", now))
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.QueueEntry(p.Entry)
	if err != nil || e.Recipients[0] != "bob@example.org" || e.From != "jardin-bounces+probe@lists.test" {
		t.Fatalf("the probe's queue entry %d: %+v, %v", p.Entry, e, err)
	}
	if m, _ := s.Member("jardin@lists.test", "bob@example.org"); m.Probe == nil || *m.Probe != p {
		t.Fatalf("bob's probe %+v, want %+v", m.Probe, p)
	}
	_, err = s.StartProbe("jardin@lists.test", "bob@example.org", Probe{ID: "p2", Sent: now, Due: now}, probeOutgoing("bob@example.org", now))
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second probe: %v, want ErrExists", err)
	}
	if st, _ := s.QueueStats(); st.Entries != 1 {
		t.Fatalf("%d queue entries, want the first probe's only", st.Entries)
	}
	if due, _ := s.DueProbes(now.Add(71*time.Hour), 0); len(due) != 0 {
		t.Fatalf("due before its window ends: %+v", due)
	}
	due, err := s.DueProbes(now.Add(72*time.Hour), 0)
	if err != nil || len(due) != 1 || due[0] != (ProbeRef{List: "jardin@lists.test", Address: "bob@example.org", ID: "p1", Due: p.Due}) {
		t.Fatalf("due %+v, %v", due, err)
	}
	// A reference to another probe of bob's is stale.
	if _, err := s.EndProbe(ProbeRef{List: "jardin@lists.test", Address: "bob@example.org", ID: "p0"}, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("EndProbe of another probe: %v", err)
	}
	m, err := s.EndProbe(due[0], func(m *Member) ([]Outgoing, error) {
		m.Disabled = true
		return []Outgoing{probeOutgoing("owner@example.net", now)}, nil
	})
	if err != nil || !m.Disabled || m.Probe != nil {
		t.Fatalf("EndProbe: %+v, %v", m, err)
	}
	if got, _ := s.Member("jardin@lists.test", "bob@example.org"); !got.Disabled || got.Probe != nil {
		t.Fatalf("bob after the probe: %+v", got)
	}
	if st, _ := s.QueueStats(); st.Entries != 2 {
		t.Fatalf("%d queue entries, want the probe and the message EndProbe queued", st.Entries)
	}
	if due, _ := s.DueProbes(now.Add(100*time.Hour), 0); len(due) != 0 {
		t.Fatalf("an ended probe is still due: %+v", due)
	}
	if _, err := s.EndProbe(due[0], nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("EndProbe twice: %v", err)
	}
}

// A member who leaves takes their probe's index entry along; a stale
// entry left by another path is removed by EndProbe.
func TestProbeOfAMemberWhoLeft(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	if err := s.CreateList(List{Address: "jardin@lists.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMembers("jardin@lists.test", now, "bob@example.org", "carol@example.org"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"bob@example.org", "carol@example.org"} {
		if _, err := s.StartProbe("jardin@lists.test", a, Probe{ID: "p-" + a, Sent: now, Due: now}, probeOutgoing(a, now)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RemoveMembers("jardin@lists.test", "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	due, _ := s.DueProbes(now, 0)
	if len(due) != 1 || due[0].Address != "carol@example.org" {
		t.Fatalf("due %+v, want carol's only", due)
	}
	// Carol leaves by another path that leaves the entry behind.
	if err := s.Dispose(receiveForProbeTest(t, s), Disposition{Members: []MemberChange{{List: "jardin@lists.test", Address: "carol@example.org"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EndProbe(due[0], func(*Member) ([]Outgoing, error) { t.Error("change called for a gone member"); return nil, nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("EndProbe for a gone member: %v", err)
	}
	if due, _ := s.DueProbes(now, 0); len(due) != 0 {
		t.Fatalf("stale entries stay: %+v", due)
	}
}

func receiveForProbeTest(t *testing.T, s *Store) uint64 {
	t.Helper()
	id, err := s.Receive(Envelope{From: "x@example.org", To: []string{"jardin-request@lists.test"}}, []byte("Subject: x\r\n\r\nx\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return id
}
