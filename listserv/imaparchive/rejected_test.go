package imaparchive

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"tacit/consensus"
	"tacit/storage"
)

// Every status of consensus has its proposal mailbox, and the offsets of
// the older ones never move.
func TestEveryStatusHasAMailbox(t *testing.T) {
	t.Parallel()
	boxes := statuses()
	for _, st := range consensus.Statuses {
		if !slices.Contains(boxes[:], st) {
			t.Errorf("no Proposals mailbox for status %q", st)
		}
	}
	want := []consensus.Status{consensus.StatusOpen, consensus.StatusAdopted, consensus.StatusBlocked,
		consensus.StatusWithdrawn, consensus.StatusRejected}
	if !slices.Equal(boxes[:], want) {
		t.Errorf("mailbox order %v, want %v (UIDVALIDITY offsets 1…5)", boxes, want)
	}
}

// A proposal a meeting rejects leaves Proposals/Blocked for
// Proposals/Rejected, which only the list's members see.
func TestRejectedMailbox(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.archive(t, jardin, message("a@example.test", "chatter", "hi\r\n"), t0)
	seq := f.propose(t, jardin, 1, message("a@example.test", "Repeindre la cabane", "en rose\r\n"))
	f.propose(t, potager, 1, message("c@example.test", "potager secret proposal", "z\r\n"))
	f.setStatus(t, jardin, 1, consensus.StatusBlocked)
	f.setStatus(t, potager, 1, consensus.StatusRejected)

	var expunged []uint32
	c := f.loginWith(t, jardin, bob, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Expunge: func(n uint32) { expunged = append(expunged, n) },
	}})
	got := strings.Join(listNames(t, c, "", "*"), "; ")
	if !strings.HasSuffix(got, "jardin/Proposals/Withdrawn; jardin/Proposals/Rejected") || strings.Contains(got, "potager") {
		t.Errorf("bob's LIST *: %s", got)
	}
	if got := strings.Join(listNames(t, c, "jardin/Proposals/", "Rej%"), "; "); got != "jardin/Proposals/Rejected" {
		t.Errorf("LIST jardin/Proposals/ Rej%%: %q", got)
	}
	base := uint32(t0.Add(-24 * time.Hour).Unix())
	d := selectBox(t, c, "jardin/proposals/REJECTED", true)
	if d.NumMessages != 0 || d.UIDNext != 1 || d.UIDValidity != base+5 {
		t.Errorf("EXAMINE Rejected before the meeting: %+v", d)
	}

	// The meeting rejects it: the post leaves Blocked, selected, at the
	// next NOOP.
	selectBox(t, c, "jardin/Proposals/Blocked", false)
	if c.Mailbox().NumMessages != 1 {
		t.Fatalf("Blocked holds %d messages, want the post", c.Mailbox().NumMessages)
	}
	p, err := f.store.Proposal(storage.ProposalRef{List: jardin, Number: 1})
	if err != nil {
		t.Fatal(err)
	}
	p.Status, p.Decided, p.DecidedBy, p.MeetingNote = consensus.StatusRejected, t0.Add(48*time.Hour), consensus.ByMeeting, "vote à main levée"
	if err := f.store.Decide([]storage.ProposalUpdate{{Proposal: p}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	if n := c.Mailbox().NumMessages; n != 0 || !slices.Equal(expunged, []uint32{1}) {
		t.Errorf("Blocked after the rejection: %d messages, expunged %v", n, expunged)
	}
	st, err := c.Status("jardin/Proposals/Rejected", &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true}).Wait()
	if err != nil || *st.NumMessages != 1 || st.UIDNext != 2 || st.UIDValidity != base+5 || *st.NumUnseen != 1 {
		t.Errorf("STATUS Rejected: %+v %v", st, err)
	}
	selectBox(t, c, "jardin/Proposals/Rejected", false)
	body := &imap.FetchItemBodySection{Peek: true}
	msgs := fetch(t, c, imap.SeqSetNum(1), &imap.FetchOptions{UID: true, Envelope: true, BodySection: []*imap.FetchItemBodySection{body}})
	_, want, _ := f.store.ArchivedMessage(jardin, seq)
	if len(msgs) != 1 || msgs[0].UID != 1 || msgs[0].Envelope.Subject != "Repeindre la cabane" || string(msgs[0].FindBodySection(body)) != string(want) {
		t.Fatalf("Rejected: %+v", msgs)
	}
	// \Seen is kept per mailbox, under the Rejected key.
	if err := c.Store(imap.UIDSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if seen, err := f.store.Seen(bob, jardin+"/Proposals/Rejected"); err != nil || !seen[1] {
		t.Errorf("seen flags of Rejected: %v %v", seen, err)
	}
	// SEARCH finds the post there, and only there.
	sd, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "cabane"}}}, nil).Wait()
	if err != nil || !slices.Equal(sd.AllUIDs(), []imap.UID{1}) {
		t.Errorf("SEARCH in Rejected: %v %v", sd.AllUIDs(), err)
	}

	// Nobody sees a list they are not a member of: potager's Rejected
	// mailbox holds a post, but not for bob.
	for _, name := range []string{"potager/Proposals/Rejected", "potager@lists.test/Proposals/Rejected", "jardin/../potager/Proposals/Rejected"} {
		if _, err := c.Select(name, nil).Wait(); err == nil {
			t.Errorf("bob could SELECT %q", name)
		}
		if _, err := c.Status(name, &imap.StatusOptions{NumMessages: true}).Wait(); err == nil {
			t.Errorf("bob could STATUS %q", name)
		}
	}
	// Alice belongs to both lists and sees both Rejected mailboxes;
	// carol, potager's only, sees potager's.
	a := f.login(t, jardin, alice)
	if got := strings.Join(listNames(t, a, "", "*/Proposals/Rejected"), "; "); got != "jardin/Proposals/Rejected; potager/Proposals/Rejected" {
		t.Errorf("alice's Rejected mailboxes: %s", got)
	}
	cc := f.login(t, potager, carol)
	if got := strings.Join(listNames(t, cc, "", "*"), "; "); strings.Contains(got, "jardin") || !strings.Contains(got, "potager/Proposals/Rejected") {
		t.Errorf("carol's LIST *: %s", got)
	}
	selectBox(t, cc, "potager/Proposals/Rejected", true)
	if msgs := fetch(t, cc, imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true}); len(msgs) != 1 || msgs[0].Envelope.Subject != "potager secret proposal" {
		t.Errorf("carol's potager/Proposals/Rejected: %+v", msgs)
	}
}
