package storage

import (
	"path/filepath"
	"testing"
	"time"
)

// A meeting's agenda is due agenda_before ahead and goes out once.
func TestMeetingsAndTheirAgenda(t *testing.T) {
	t.Parallel()
	s := openAt(t, filepath.Join(t.TempDir(), "tacit.db"))
	if err := s.CreateList(List{Address: "jardin@lists.test"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2027, 1, 12, 18, 30, 0, 0, time.UTC)
	m, err := s.AddMeeting(Meeting{List: "jardin@lists.test", At: at, Place: "Maison du libre"})
	if err != nil || m.ID == 0 {
		t.Fatalf("add: %+v %v", m, err)
	}
	if _, err := s.AddMeeting(Meeting{List: "nope@lists.test", At: at}); err == nil {
		t.Errorf("a meeting of no list was added")
	}
	before := 72 * time.Hour
	if due, _ := s.DueAgendas(at.Add(-before-time.Minute), before); len(due) != 0 {
		t.Errorf("due too early: %v", due)
	}
	due, _ := s.DueAgendas(at.Add(-time.Hour), before)
	if len(due) != 1 || due[0].ID != m.ID {
		t.Fatalf("due: %v", due)
	}
	agenda := Outgoing{Raw: []byte("Subject: ordre du jour\r\n\r\nx\r\n"), BodyOffset: 30, At: at.Add(-time.Hour),
		Queue: []QueueEntry{{List: "jardin@lists.test", Domain: "example.org", Recipients: []string{"a@example.org"},
			From: "jardin-bounces@lists.test", NextAttempt: at.Add(-time.Hour)}}}
	// A second try from the same read (a crash before the mark was seen,
	// or another node whose lock was lost) sends nothing more, and says so.
	for i, want := range []bool{true, false} {
		if sent, err := s.SendAgenda(due[0], agenda); err != nil || sent != want {
			t.Fatalf("try %d: sent %v, %v; want %v", i+1, sent, err, want)
		}
	}
	if st, _ := s.QueueStats(); st.Entries != 1 {
		t.Errorf("%d queue entries after sending the agenda twice, want 1", st.Entries)
	}
	if due, _ := s.DueAgendas(at.Add(-time.Minute), before); len(due) != 0 {
		t.Errorf("due again after sending: %v", due)
	}
	if err := s.RemoveMeeting("jardin@lists.test", m.ID); err != nil {
		t.Fatal(err)
	}
	if ms, _ := s.Meetings("jardin@lists.test"); len(ms) != 0 {
		t.Errorf("meetings after removal: %v", ms)
	}
}
