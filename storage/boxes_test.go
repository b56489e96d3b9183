package storage

import (
	"testing"
	"time"

	"tacit/consensus"
)

// A proposal's post moves between the Proposals/<Status> mailboxes with a
// new UID in each, so that UIDs only grow; the archive keeps it in place.
func TestProposalPostMovesBetweenBoxes(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	if err := s.CreateList(List{Address: "jardin@lists.test"}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	p := consensus.NewProposal(consensus.Draft{List: "jardin@lists.test", Number: 1, Received: t0, Default: time.Hour})
	ref := ProposalRef{List: "jardin@lists.test", Number: 1}
	post := Outgoing{Raw: []byte("Subject: p\r\n\r\nbody\r\n"), BodyOffset: 14, At: t0,
		Archive: ArchiveEntry{List: "jardin@lists.test", Subject: "p"}, ProposalPost: ref}
	if err := s.Decide([]ProposalUpdate{{Proposal: p}}, []Outgoing{post}); err != nil {
		t.Fatal(err)
	}
	box := func(st consensus.Status) ([]BoxEntry, uint32) {
		t.Helper()
		e, next, err := s.ProposalBox("jardin@lists.test", st)
		if err != nil {
			t.Fatal(err)
		}
		return e, next
	}
	if open, next := box(consensus.StatusOpen); len(open) != 1 || open[0].UID != 1 || open[0].Seq != 1 || next != 2 {
		t.Fatalf("open box %+v next %d", open, next)
	}
	p.Status = consensus.StatusBlocked
	s.Decide([]ProposalUpdate{{Proposal: p}}, nil)
	p.Status = consensus.StatusOpen // amended
	s.Decide([]ProposalUpdate{{Proposal: p}}, nil)
	open, next := box(consensus.StatusOpen)
	blocked, _ := box(consensus.StatusBlocked)
	if len(open) != 1 || open[0].UID != 2 || next != 3 || len(blocked) != 0 {
		t.Errorf("after blocked then open again: open %+v (next %d), blocked %+v", open, next, blocked)
	}
	a, raw, err := s.ArchivedMessage("jardin@lists.test", 1)
	if err != nil || string(raw) != "Subject: p\r\n\r\nbody\r\n" || a.Size != int64(len(raw)) {
		t.Errorf("archived %+v %q %v", a, raw, err)
	}
	if b, err := s.ArchivedBatch("jardin@lists.test", []uint64{1, 9}, true); err != nil || len(b) != 1 || string(b[1]) != "Subject: p\r\n\r\n" {
		t.Errorf("header batch %d entries, %q, %v", len(b), b[1], err)
	}
	if b, _ := s.ArchivedBatch("jardin@lists.test", []uint64{1}, false); string(b[1]) != string(raw) {
		t.Errorf("full batch %q", b[1])
	}
	if n, last, _ := s.ArchiveStat("jardin@lists.test"); n != 1 || last != 1 {
		t.Errorf("stat %d %d", n, last)
	}
	if err := s.SetSeen("Bob@x", "jardin@lists.test", []uint32{1, 3}, true); err != nil {
		t.Fatal(err)
	}
	s.SetSeen("bob@x", "jardin@lists.test", []uint32{3}, false)
	if seen, _ := s.Seen("bob@x", "jardin@lists.test"); len(seen) != 1 || !seen[1] {
		t.Errorf("seen %v", seen)
	}
	if seen, _ := s.Seen("alice@x", "jardin@lists.test"); len(seen) != 0 {
		t.Errorf("flags leak between members: %v", seen)
	}
}

// LastArchiveMeta finds the last indexed position of one list, whatever
// the lists around it in the bucket.
func TestLastArchiveMeta(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	for _, m := range []struct {
		list string
		seq  uint64
	}{{"a@x", 1}, {"a@x", 7}, {"a@x", 300}, {"a@x.y", 9}, {"c@x", 2}} {
		if err := s.PutArchiveMeta(m.list, m.seq, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	for list, want := range map[string]uint64{"a@x": 300, "A@X": 300, "a@x.y": 9, "b@x": 0, "c@x": 2, "d@x": 0, "": 0} {
		if got, err := s.LastArchiveMeta(list); err != nil || got != want {
			t.Errorf("LastArchiveMeta(%q) = %d, %v; want %d", list, got, err, want)
		}
	}
}
