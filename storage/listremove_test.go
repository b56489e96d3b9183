package storage

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/storage/internal/kv"
)

// fillList gives list a bit of everything the store keeps for a list,
// through the store's own writers.
func fillList(t *testing.T, s *Store, list string) {
	t.Helper()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := s.CreateList(List{Address: list, Created: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMembers(list, t0, "a@x.org", "b@x.org"); err != nil {
		t.Fatal(err)
	}
	receive := func(subject string) uint64 {
		raw := fmt.Sprintf("From: a@x.org\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s.%s>\r\n\r\nbody\r\n", list, subject, subject, list)
		id, err := s.Receive(Envelope{From: "a@x.org", To: []string{list}, ReceivedAt: t0}, []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	post := receive("post")
	p := consensus.NewProposal(consensus.Draft{List: list, Number: 1, Author: "a@x.org", Title: "t",
		Received: t0, Requested: t0.Add(72 * time.Hour), Min: time.Hour})
	ref := ProposalRef{List: list, Number: 1}
	err := s.Dispose(post, Disposition{
		Archive:       []ArchiveEntry{{List: list, MessageID: post, From: "a@x.org", Subject: "post", At: t0}},
		Queue:         []QueueEntry{{List: list, MessageID: post, Domain: "x.org", Recipients: []string{"a@x.org", "b@x.org"}, NextAttempt: t0}},
		Seen:          []SeenMessage{{List: list, MessageID: "<post." + list + ">"}},
		Threads:       []ThreadLink{{MessageID: "<post." + list + ">", Proposal: ref}},
		Proposals:     []ProposalUpdate{{Proposal: p, Events: []ProposalEvent{{Kind: "object", From: "b@x.org", At: t0}}}},
		Discards:      []Discard{{List: list, Reason: "loop", At: t0}},
		Confirmations: []Confirmation{{Token: "conf-" + list, List: list, Address: "c@x.org", Action: "subscribe", Created: t0, Expires: t0.Add(time.Hour)}},
		Sanctions:     []Sanction{{Kind: SanctionBan, Ban: Ban{List: list, Pattern: "troll@x.org", At: t0}}, {Kind: SanctionModerate, Ban: Ban{List: list, Pattern: "b@x.org", At: t0}}},
		Digest:        []DigestItem{{List: list, At: t0, Raw: []byte("Subject: post\r\n\r\nbody")}},
		RevokedLinks:  []LinkRef{{List: list, Number: 1, Member: "a@x.org"}},
		Meetings:      []Meeting{{List: list, At: t0.Add(24 * time.Hour), Title: "AG"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	held := receive("held")
	if err := s.Dispose(held, Disposition{Held: []Held{{List: list, MessageID: held, From: "z@y.org", Reason: "not a member", At: t0, Token: "held-" + list}}}); err != nil {
		t.Fatal(err)
	}
	q, err := s.Due(t0.Add(time.Hour), 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range q {
		if e.List != list {
			continue
		}
		c, ok, err := s.ClaimAttempt(e.ID, t0.Add(time.Hour), t0.Add(2*time.Hour))
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		err = s.FinishAttempt(e.ID, AttemptResult{Owner: c.Owner, Failed: []Failure{{List: list, Recipient: "b@x.org", Error: "550", At: t0}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetSeen("a@x.org", list, []uint32{1}, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSeen("a@x.org", list+"/Proposals/Open", []uint32{1}, true); err != nil {
		t.Fatal(err)
	}
	if err := s.PutArchiveMeta(list, 1, []byte("meta of "+list)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReserveProposalNumber(list, post); err != nil {
		t.Fatal(err)
	}
	// The proposal's distributed copy, filed in Proposals/Open.
	copied := Outgoing{Raw: []byte("To: " + list + "\r\n\r\nproposal"), BodyOffset: 4 + len(list) + 4, At: t0,
		Archive: ArchiveEntry{List: list, Subject: "t"}, ProposalPost: ref}
	if err := s.Decide(nil, []Outgoing{copied}); err != nil {
		t.Fatal(err)
	}
	out := func(what string) Outgoing {
		raw := "To: " + list + "\r\nSubject: " + what + "\r\n\r\nx"
		return Outgoing{Raw: []byte(raw), BodyOffset: len(raw) - 1, At: t0,
			Queue: []QueueEntry{{List: list, Domain: "x.org", Recipients: []string{"a@x.org"}, NextAttempt: t0.Add(time.Hour)}}}
	}
	items, err := s.DigestItems(list, t0.Add(time.Hour))
	if err != nil || len(items) != 1 {
		t.Fatalf("digest items %v %v", items, err)
	}
	if _, err := s.SendDigest(list, "2026-12-01", nil, out("digest")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartProbe(list, "a@x.org", Probe{ID: "probe", Sent: t0, Due: t0.Add(time.Hour)}, out("probe")); err != nil {
		t.Fatal(err)
	}
}

// traces counts the keys and values of the whole store, nested buckets
// included, that contain needle.
func traces(t *testing.T, s *Store, needle string) map[string]int {
	t.Helper()
	out := map[string]int{}
	var walk func(path string, b kv.Bucket) error
	walk = func(path string, b kv.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if bytes.Contains(k, []byte(needle)) || bytes.Contains(v, []byte(needle)) {
				out[path]++
			}
			if v == nil {
				if nb := b.Bucket(k); nb != nil {
					return walk(path+"/"+string(k), nb)
				}
			}
			return nil
		})
	}
	err := s.db.View(func(tx kv.Tx) error {
		return tx.ForEach(func(name []byte, b kv.Bucket) error { return walk(string(name), b) })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRemoveListLeavesNoTrace: after RemoveList nothing in the store
// names the list (nor holds its messages), and the other list, filled
// the same way, is as it was.
func TestRemoveListLeavesNoTrace(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	fillList(t, s, "jardin@lists.test")
	fillList(t, s, "velo@lists.test")
	before, velo := traces(t, s, "jardin@lists.test"), traces(t, s, "velo@lists.test")
	for _, b := range []string{"lists", "members", "archive", "proposals", "held", "queue", "meetings", "bans", "confirmations", "seen", "messages", "digest", "failures", "digest_sent", "probes", "boxes", "box_next", "proposal_post", "proposal_by_msg", "proposal_numbers"} {
		found := false
		for path := range before {
			if path == b || bytes.HasPrefix([]byte(path), []byte(b+"/")) {
				found = true
			}
		}
		if !found {
			t.Errorf("the filled list left nothing in %s: the test does not check it", b)
		}
	}

	// Never exported: refused.
	_, err := s.RemoveList("jardin@lists.test", false)
	var ne *NotExportedError
	if !errors.As(err, &ne) || !ne.Exported.IsZero() {
		t.Fatalf("RemoveList before any export: %v, want never exported", err)
	}
	state, err := s.ListState("jardin@lists.test")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	if err := s.MarkExported("jardin@lists.test", at, state); err != nil {
		t.Fatal(err)
	}
	// A new member since the export: refused, naming the export.
	if _, err := s.AddMembers("jardin@lists.test", at, "new@x.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemoveList("jardin@lists.test", false); !errors.As(err, &ne) || !ne.Exported.Equal(at) {
		t.Fatalf("RemoveList after a change: %v, want changed since the export", err)
	}
	if state, _ = s.ListState("jardin@lists.test"); s.MarkExported("jardin@lists.test", at, state) != nil {
		t.Fatal("mark exported")
	}
	r, err := s.RemoveList("Jardin@lists.test", false)
	if err != nil {
		t.Fatal(err)
	}
	want := Removed{Members: 3, Posts: 2, Proposals: 1, Held: 1, Queued: 3, Meetings: 1, Confirmations: 1, Messages: 5}
	if r != want {
		t.Errorf("removed %+v, want %+v", r, want)
	}
	if left := traces(t, s, "jardin@lists.test"); len(left) != 0 {
		t.Errorf("traces of the removed list: %v (before: %v)", left, before)
	}
	if after := traces(t, s, "velo@lists.test"); fmt.Sprint(after) != fmt.Sprint(velo) {
		t.Errorf("the other list changed:\n%v\nwas\n%v", after, velo)
	}
	if _, err := s.RemoveList("jardin@lists.test", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed twice: %v", err)
	}
	// The other list still works, and its messages are all there.
	if arch, err := s.Archive("velo@lists.test"); err != nil || len(arch) != 2 {
		t.Fatalf("velo archive %v %v", arch, err)
	} else if _, _, err := s.ArchivedMessage("velo@lists.test", arch[0].Seq); err != nil {
		t.Errorf("velo's post: %v", err)
	}
	if held, _ := s.HeldPosts("velo@lists.test"); len(held) != 1 {
		t.Errorf("velo held %v", held)
	}
	if _, err := s.RemoveList("velo@lists.test", true); err != nil {
		t.Errorf("forced removal: %v", err)
	}
	if left := traces(t, s, "velo@lists.test"); len(left) != 0 {
		t.Errorf("traces of velo: %v", left)
	}
}

// TestRemoveListKeepsWhatOthersUse: a message cross-posted to two lists
// stays for the list that remains, and a delivery in flight finishes.
func TestRemoveListKeepsWhatOthersUse(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, l := range []string{"a@lists.test", "b@lists.test"} {
		if err := s.CreateList(List{Address: l, Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	id, err := s.Receive(Envelope{From: "m@x.org", To: []string{"a@lists.test", "b@lists.test"}}, []byte("Subject: both\r\n\r\nx"))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Dispose(id, Disposition{
		Archive: []ArchiveEntry{{List: "a@lists.test", MessageID: id}, {List: "b@lists.test", MessageID: id}},
		Queue:   []QueueEntry{{List: "a@lists.test", MessageID: id, Domain: "x.org", Recipients: []string{"m@x.org"}, NextAttempt: t0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := s.Due(t0.Add(time.Minute), 10, nil)
	if len(q) != 1 {
		t.Fatalf("queue %v", q)
	}
	if _, ok, err := s.ClaimAttempt(q[0].ID, t0.Add(time.Minute), t0.Add(time.Hour)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	r, err := s.RemoveList("a@lists.test", true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Messages != 0 || r.Queued != 0 || r.Posts != 1 {
		t.Errorf("removed %+v, want the post's entry only", r)
	}
	if _, _, err := s.ArchivedMessage("b@lists.test", 1); err != nil {
		t.Errorf("b's copy of the cross-post: %v", err)
	}
	if err := s.FinishAttempt(q[0].ID, AttemptResult{Delivered: []string{"m@x.org"}}); err != nil {
		t.Errorf("the delivery in flight could not finish: %v", err)
	}
}

// TestListStateFollowsChanges: the state an export records changes with
// a post, a proposal's timeline, a member, a setting or a meeting, and
// not with what an export does not hold (a \Seen flag).
func TestListStateFollowsChanges(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	const list = "jardin@lists.test"
	fillList(t, s, list)
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	last, err := s.ListState(list)
	if err != nil {
		t.Fatal(err)
	}
	step := func(what string, changes bool, do func() error) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		now, err := s.ListState(list)
		if err != nil {
			t.Fatal(err)
		}
		if (now != last) != changes {
			t.Errorf("%s: state changed %v, want %v", what, now != last, changes)
		}
		last = now
	}
	step("a \\Seen flag", false, func() error { return s.SetSeen("b@x.org", list, []uint32{1}, true) })
	step("a post", true, func() error {
		id, err := s.Receive(Envelope{From: "a@x.org", To: []string{list}}, []byte("Subject: new\r\n\r\nx"))
		if err != nil {
			return err
		}
		return s.Dispose(id, Disposition{Archive: []ArchiveEntry{{List: list, MessageID: id, At: t0}}})
	})
	step("an event", true, func() error {
		p, err := s.Proposal(ProposalRef{List: list, Number: 1})
		if err != nil {
			return err
		}
		return s.Decide([]ProposalUpdate{{Proposal: p, Events: []ProposalEvent{{Kind: "support", From: "a@x.org", At: t0}}}}, nil)
	})
	step("a member leaves", true, func() error { _, err := s.RemoveMembers(list, "a@x.org"); return err })
	step("a setting", true, func() error {
		_, err := s.UpdateList(list, func(l *List) error { l.Name = "Jardin"; return nil })
		return err
	})
	step("a meeting", true, func() error { _, err := s.AddMeeting(Meeting{List: list, At: t0}); return err })
	step("nothing", false, func() error { return nil })
	if _, err := s.ListState("nope@lists.test"); !errors.Is(err, ErrNotFound) {
		t.Errorf("state of an unknown list: %v", err)
	}
}
