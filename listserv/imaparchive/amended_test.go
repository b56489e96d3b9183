package imaparchive

import (
	"mime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"tacit/consensus"
	"tacit/storage"
)

// listNotice is a notice of the list about proposal #1 of jardin, as
// listserv writes one: From the list, threaded to the proposal's post by
// In-Reply-To and References.
func listNotice(tag, msgID string) string {
	return "From: Jardin <jardin@lists.test>\r\nTo: jardin@lists.test\r\n" +
		"Subject: " + mime.QEncoding.Encode("utf-8", "[jardin] ["+tag+" #1] Horaires") + "\r\n" +
		"Date: Sat, 14 Mar 2026 10:00:00 +0100\r\nMessage-ID: " + msgID + "\r\n" +
		"In-Reply-To: <prop1@example.test>\r\nReferences: <prop1@example.test>\r\n" +
		"Auto-Submitted: auto-generated\r\nList-Id: <jardin.lists.test>\r\n\r\nSee the register.\r\n"
}

// toList is the storage.Outgoing of a notice to the whole list: archived
// in the list and linked to the proposal's thread, as listserv's toList
// makes it.
func toList(raw, msgID string, ref storage.ProposalRef, at time.Time) storage.Outgoing {
	return storage.Outgoing{Raw: []byte(raw), BodyOffset: strings.Index(raw, "\r\n\r\n") + 4, At: at,
		Archive:         storage.ArchiveEntry{List: jardin, At: at, From: jardin, Subject: "notice"},
		MessageIDHeader: msgID, Thread: ref}
}

// TestAmendedNoticeFiledLikeTheOtherNotices follows proposal #1 of jardin
// through blocking and an amendment, and reads where each message of its
// thread is. The proposal mailboxes hold the proposal's own post, which
// moves with its status: the amendment reopens the proposal, so the post
// goes back from Blocked to Open. The notices of the proposal are in NAME,
// threaded to the post; the [AMENDÉE #1] notice is filed exactly where the
// [BLOQUÉE #1] notice is.
func TestAmendedNoticeFiledLikeTheOtherNotices(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ref := storage.ProposalRef{List: jardin, Number: 1}
	opened := t0
	p := consensus.NewProposal(consensus.Draft{List: jardin, Number: 1, Author: bob, Title: "Horaires",
		MessageID: "<prop1@example.test>", Text: "Ouvrir le samedi.", Received: opened, Default: 72 * time.Hour})
	post := "From: Bob <bob@example.test>\r\nTo: jardin@lists.test\r\nSubject: [jardin] [PROPOSITION #1] Horaires\r\n" +
		"Date: Sat, 14 Mar 2026 10:30:00 +0100\r\nMessage-ID: <prop1@example.test>\r\nX-Tacit-Proposal: jardin@lists.test#1\r\n" +
		"X-Tacit-Deadline: " + p.Deadline.Format(time.RFC3339) + "\r\n\r\nOuvrir le samedi.\r\n"
	out := toList(post, "<prop1@example.test>", ref, opened)
	out.Archive.From, out.ProposalPost = bob, ref
	if err := f.store.Decide([]storage.ProposalUpdate{{Proposal: p}}, []storage.Outgoing{out}); err != nil {
		t.Fatal(err)
	}

	// Blocked at the deadline: the [BLOQUÉE #1] notice.
	blockedAt := p.Deadline
	p.Status, p.Decided = consensus.StatusBlocked, blockedAt
	p.Objections = []consensus.Objection{{Member: alice, At: opened.Add(time.Hour)}}
	blocked := toList(listNotice("BLOQUÉE", "<blocked1@lists.test>"), "<blocked1@lists.test>", ref, blockedAt)
	if err := f.store.Decide([]storage.ProposalUpdate{{Proposal: p}}, []storage.Outgoing{blocked}); err != nil {
		t.Fatal(err)
	}

	// The author amends: the reply is distributed and joins the thread,
	// the proposal opens again with a new deadline, and the list gets the
	// [AMENDÉE #1] notice, all in one disposition as listserv records it.
	amendAt := blockedAt.Add(time.Hour)
	reply := "From: Bob <bob@example.test>\r\nTo: jardin@lists.test\r\nSubject: Re: [jardin] [PROPOSITION #1] Horaires\r\n" +
		"Date: Sat, 17 Mar 2026 10:30:00 +0100\r\nMessage-ID: <amend1@example.test>\r\nIn-Reply-To: <prop1@example.test>\r\n" +
		"References: <prop1@example.test>\r\n\r\nAmendement\r\nOuvrir le samedi et le dimanche.\r\n"
	id, err := f.store.Receive(storage.Envelope{From: bob, To: []string{jardin}, ReceivedAt: amendAt}, []byte(reply))
	if err != nil {
		t.Fatal(err)
	}
	p, _ = consensus.Apply(p, consensus.Event{Kind: consensus.EventAmend, From: bob, Member: true, At: amendAt,
		Text: "Ouvrir le samedi et le dimanche."}, amendAt)
	if p.Status != consensus.StatusOpen || !p.Amended() {
		t.Fatalf("after the amendment: %+v", p)
	}
	amended := toList(listNotice("AMENDÉE", "<amended1@lists.test>"), "<amended1@lists.test>", ref, amendAt)
	if err := f.store.Dispose(id, storage.Disposition{
		Archive:   []storage.ArchiveEntry{{List: jardin, MessageID: id, At: amendAt, From: bob, Subject: "Re: p"}},
		Proposals: []storage.ProposalUpdate{{Proposal: p}},
		Threads:   []storage.ThreadLink{{MessageID: "<amend1@example.test>", Proposal: ref}},
		Outgoing:  []storage.Outgoing{amended},
	}); err != nil {
		t.Fatal(err)
	}
	for _, msgID := range []string{"<blocked1@lists.test>", "<amended1@lists.test>", "<amend1@example.test>"} {
		if got, ok, err := f.store.ThreadOf(msgID); err != nil || !ok || got != ref {
			t.Errorf("thread of %s: %v %v %v, want %v", msgID, got, ok, err, ref)
		}
	}

	c := f.login(t, jardin, alice)
	where := map[string][]string{} // Message-ID → mailboxes
	inReplyTo := map[string][]string{}
	for _, box := range []string{"jardin", "jardin/Proposals/Open", "jardin/Proposals/Adopted", "jardin/Proposals/Blocked",
		"jardin/Proposals/Withdrawn", "jardin/Proposals/Rejected"} {
		if selectBox(t, c, box, true).NumMessages == 0 {
			continue
		}
		for _, m := range fetch(t, c, imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Envelope: true}) {
			id := strings.Trim(m.Envelope.MessageID, "<>")
			where[id] = append(where[id], box)
			inReplyTo[id] = m.Envelope.InReplyTo
		}
	}
	if got := where["prop1@example.test"]; !slices.Equal(got, []string{"jardin", "jardin/Proposals/Open"}) {
		t.Errorf("the proposal's post is in %v, want the archive and Open (the amendment reopened it)", got)
	}
	if got, want := where["amended1@lists.test"], where["blocked1@lists.test"]; !slices.Equal(got, want) || !slices.Contains(got, "jardin") {
		t.Errorf("the [AMENDÉE #1] notice is in %v, the [BLOQUÉE #1] notice in %v: want the same mailboxes, the archive among them", got, want)
	}
	if got := where["amend1@example.test"]; !slices.Contains(got, "jardin") {
		t.Errorf("the amendment is in %v, want the archive", got)
	}
	for _, id := range []string{"amended1@lists.test", "blocked1@lists.test"} {
		if irt := inReplyTo[id]; len(irt) != 1 || strings.Trim(irt[0], "<>") != "prop1@example.test" {
			t.Errorf("%s answers %v, want the proposal's post", id, irt)
		}
	}
}
