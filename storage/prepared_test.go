package storage

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"tacit/consensus"
)

func TestWithIDs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		obj    string
		fields []idField
		want   string
	}{
		{`{}`, []idField{{"id", 3}}, `{"id":3}`},
		{`{"a":1}`, []idField{{"id", 3}, {"message_id", 18446744073709551615}}, `{"id":3,"message_id":18446744073709551615,"a":1}`},
		{`{"a":{"b":[1,2]}}`, []idField{{"seq", 1}}, `{"seq":1,"a":{"b":[1,2]}}`},
	} {
		if got := string(withIDs([]byte(c.obj), c.fields...)); got != c.want {
			t.Errorf("withIDs(%s) = %s, want %s", c.obj, got, c.want)
		}
	}
}

// decisionFixture is one tick's worth of decisions: two proposals
// adopted, the first with a notice archived and queued to two domains.
func decisionFixture(t0 time.Time) ([]ProposalUpdate, [][]Outgoing) {
	var ups []ProposalUpdate
	var outs [][]Outgoing
	for n := 1; n <= 2; n++ {
		p := consensus.NewProposal(consensus.Draft{List: "Jardin@lists.test", Number: n, Author: "a@x",
			Title: "t", Received: t0, Requested: t0.Add(time.Hour), Min: time.Hour})
		p.Status, p.Decided = consensus.StatusAdopted, t0.Add(time.Hour)
		ups = append(ups, ProposalUpdate{Proposal: p, Events: []ProposalEvent{
			{Kind: "status", Status: consensus.StatusAdopted, At: t0.Add(time.Hour)},
			{Kind: "reminder", At: t0.Add(30 * time.Minute)},
		}})
		var out []Outgoing
		if n == 1 {
			raw := []byte("Subject: [ADOPTÉE #1] t\r\nMessage-ID: <n1@lists.test>\r\n\r\nadopted\r\n")
			out = append(out, Outgoing{Raw: raw, BodyOffset: len(raw) - len("adopted\r\n"), At: t0.Add(time.Hour),
				Archive: ArchiveEntry{List: "jardin@lists.test", At: t0.Add(time.Hour), From: "jardin@lists.test", Subject: "[ADOPTÉE #1] t"},
				Queue: []QueueEntry{
					{List: "jardin@lists.test", From: "jardin-bounces@lists.test", Domain: "x", Recipients: []string{"a@x"},
						Created: t0.Add(time.Hour), NextAttempt: t0.Add(time.Hour)},
					{List: "jardin@lists.test", From: "jardin-bounces@lists.test", Domain: "y", Recipients: []string{"b@y", "c@y"},
						Created: t0.Add(time.Hour), NextAttempt: t0.Add(time.Hour), Personal: true},
				},
				MessageIDHeader: "<n1@lists.test>", Thread: ProposalRef{List: "jardin@lists.test", Number: 1}})
		}
		outs = append(outs, out)
	}
	return ups, outs
}

// storedDecisions reads back what decisionFixture stored.
func storedDecisions(t *testing.T, s *Store) ([]consensus.Proposal, [][]ProposalEvent, []ArchiveEntry, []QueueEntry, Envelope) {
	t.Helper()
	var ps []consensus.Proposal
	var evs [][]ProposalEvent
	for n := 1; n <= 2; n++ {
		ref := ProposalRef{List: "jardin@lists.test", Number: n}
		p, err := s.Proposal(ref)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := s.ProposalEvents(ref)
		if err != nil {
			t.Fatal(err)
		}
		ps, evs = append(ps, p), append(evs, ev)
	}
	arch, err := s.Archive("jardin@lists.test")
	if err != nil || len(arch) != 1 {
		t.Fatalf("archive %v, %v", arch, err)
	}
	var qs []QueueEntry
	for id := uint64(1); id <= 2; id++ {
		q, err := s.QueueEntry(id)
		if err != nil {
			t.Fatalf("queue entry %d: %v", id, err)
		}
		qs = append(qs, q)
	}
	_, env, err := s.Message(arch[0].MessageID)
	if err != nil {
		t.Fatal(err)
	}
	return ps, evs, arch, qs, env
}

// Decisions prepared by the engine's workers are stored exactly as the
// same decisions encoded in the transaction, with the ids that only the
// transaction knows in place.
func TestPreparedDecisionsStoreTheSameRecords(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

	plain := openTemp(t)
	ups, outs := decisionFixture(t0)
	var all []Outgoing
	for _, o := range outs {
		all = append(all, o...)
	}
	if err := plain.Decide(ups, all); err != nil {
		t.Fatal(err)
	}

	prepared := openTemp(t)
	ups, outs = decisionFixture(t0)
	for i := range ups {
		if err := ups[i].Prepare(); err != nil {
			t.Fatal(err)
		}
		for j := range outs[i] {
			if err := outs[i][j].Prepare(); err != nil {
				t.Fatal(err)
			}
		}
	}
	err := prepared.DecideEach(updateRefs(ups), func(i int) (*ProposalUpdate, []Outgoing, error) { return &ups[i], outs[i], nil })
	if err != nil {
		t.Fatal(err)
	}

	wantP, wantEv, wantA, wantQ, wantEnv := storedDecisions(t, plain)
	gotP, gotEv, gotA, gotQ, gotEnv := storedDecisions(t, prepared)
	if !reflect.DeepEqual(gotP, wantP) || !reflect.DeepEqual(gotEv, wantEv) || !reflect.DeepEqual(gotA, wantA) ||
		!reflect.DeepEqual(gotQ, wantQ) || !reflect.DeepEqual(gotEnv, wantEnv) {
		t.Errorf("prepared decisions differ:\n%+v\n%+v\n%+v\n%+v\n%+v\nwant\n%+v\n%+v\n%+v\n%+v\n%+v",
			gotP, gotEv, gotA, gotQ, gotEnv, wantP, wantEv, wantA, wantQ, wantEnv)
	}
	// And they are what a reader expects.
	a := gotA[0]
	if a.Seq != 1 || a.MessageID == 0 || a.Size != int64(len(outs[0][0].Raw)) || a.Subject != "[ADOPTÉE #1] t" {
		t.Errorf("archive entry %+v", a)
	}
	for i, q := range gotQ {
		if q.ID != uint64(i+1) || q.MessageID != a.MessageID || q.BodyOffset != outs[0][0].BodyOffset {
			t.Errorf("queue entry %+v, want id %d for message %d", q, i+1, a.MessageID)
		}
	}
	if !gotQ[1].Personal || len(gotQ[1].Recipients) != 2 {
		t.Errorf("second queue entry %+v", gotQ[1])
	}
	if len(gotEv[1]) != 2 || gotEv[1][0].Seq == 0 || gotEv[1][1].Seq <= gotEv[1][0].Seq || gotEv[1][0].Status != consensus.StatusAdopted {
		t.Errorf("events %+v", gotEv[1])
	}
	if gotP[0].Status != consensus.StatusAdopted || gotP[0].List != "jardin@lists.test" {
		t.Errorf("proposal %+v", gotP[0])
	}
	if !gotEnv.ReceivedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("envelope %+v", gotEnv)
	}
	if due, _ := prepared.Due(t0.Add(2*time.Hour), 10, nil); len(due) != 2 {
		t.Errorf("due queue entries %d, want 2", len(due))
	}
	if r, ok, _ := prepared.ThreadOf("n1@lists.test"); !ok || r.Number != 1 {
		t.Errorf("thread %v %v", r, ok)
	}
}

// A decision that fails to come takes the whole batch back with it.
func TestDecideEachRollsBackOnError(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ups, outs := decisionFixture(t0)
	boom := errors.New("boom")
	err := s.DecideEach(updateRefs(ups[:2]), func(i int) (*ProposalUpdate, []Outgoing, error) {
		if i == 1 {
			return nil, nil, boom
		}
		return &ups[i], outs[i], nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("DecideEach: %v, want boom", err)
	}
	if _, err := s.Proposal(ProposalRef{List: "jardin@lists.test", Number: 1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("proposal 1 stored despite the failed batch: %v", err)
	}
	if arch, _ := s.Archive("jardin@lists.test"); len(arch) != 0 {
		t.Errorf("archive %v", arch)
	}
	if n, _, _ := s.QueueDepth(); n != 0 {
		t.Errorf("queue depth %d", n)
	}
}

// updateRefs returns the proposals ups are about.
func updateRefs(ups []ProposalUpdate) []ProposalRef {
	refs := make([]ProposalRef, len(ups))
	for i, u := range ups {
		refs[i] = ProposalRef{List: u.Proposal.List, Number: u.Proposal.Number}
	}
	return refs
}
