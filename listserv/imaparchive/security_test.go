package imaparchive

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// \Seen is kept per member; STORE of anything else is refused.
func TestStoreSeenPerMember(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for range 3 {
		f.archive(t, jardin, message("a@example.test", "post", "x\r\n"), t0)
	}
	a := f.login(t, jardin, alice)
	selectBox(t, a, "jardin", false)
	msgs, err := a.Store(imap.UIDSetNum(1, 3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}}, nil).Collect()
	if err != nil || len(msgs) != 2 || !slices.Contains(msgs[1].Flags, imap.FlagSeen) {
		t.Fatalf("STORE +FLAGS \\Seen: %v %v", msgs, err)
	}
	b := f.login(t, jardin, bob)
	selectBox(t, b, "jardin", false)
	for _, m := range fetch(t, b, imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{Flags: true}) {
		if len(m.Flags) != 0 {
			t.Errorf("bob sees alice's flags on %d: %v", m.SeqNum, m.Flags)
		}
	}
	// A new session of alice's sees them.
	a2 := f.login(t, potager, alice)
	selectBox(t, a2, "jardin", true)
	var seen []uint32
	for _, m := range fetch(t, a2, imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{Flags: true}) {
		if slices.Contains(m.Flags, imap.FlagSeen) {
			seen = append(seen, m.SeqNum)
		}
	}
	if !slices.Equal(seen, []uint32{1, 3}) {
		t.Errorf("alice's new session sees \\Seen on %v", seen)
	}
	// -FLAGS and FLAGS ().
	if err := a.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Store(imap.SeqSetNum(3), &imap.StoreFlags{Op: imap.StoreFlagsSet, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if s, _ := f.store.Seen(alice, jardin); len(s) != 0 {
		t.Errorf("after -FLAGS and FLAGS (): %v", s)
	}

	err = a.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	wantNo(t, "STORE \\Deleted", err, imap.ResponseCodeNoPerm)
	err = a.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsSet, Flags: []imap.Flag{imap.FlagSeen, "$Junk"}}, nil).Close()
	wantNo(t, "STORE FLAGS (\\Seen $Junk)", err, imap.ResponseCodeNoPerm)
	err = a2.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
	wantNo(t, "STORE in EXAMINE", err, imap.ResponseCodeNoPerm)
}

func TestWritesRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.archive(t, jardin, message("a@example.test", "post", "x\r\n"), t0)
	c := f.login(t, jardin, bob)

	wantNo(t, "CREATE", c.Create("jardin/mine", nil).Wait(), imap.ResponseCodeNoPerm)
	wantNo(t, "DELETE", c.Delete("jardin").Wait(), imap.ResponseCodeNoPerm)
	wantNo(t, "RENAME", c.Rename("jardin", "garden", nil).Wait(), imap.ResponseCodeNoPerm)
	msg := "Subject: injected\r\n\r\nhi\r\n"
	ac := c.Append("jardin", int64(len(msg)), nil)
	ac.Write([]byte(msg))
	ac.Close()
	_, err := ac.Wait()
	wantNo(t, "APPEND", err, imap.ResponseCodeNoPerm)

	selectBox(t, c, "jardin", false)
	_, err = c.Copy(imap.SeqSetNum(1), "jardin/Proposals/Open").Wait()
	wantNo(t, "COPY", err, imap.ResponseCodeNoPerm)
	_, err = c.Move(imap.SeqSetNum(1), "jardin/Proposals/Open").Wait()
	wantNo(t, "MOVE", err, imap.ResponseCodeNoPerm)
	wantNo(t, "EXPUNGE", c.Expunge().Close(), imap.ResponseCodeNoPerm)
	wantNo(t, "UID EXPUNGE", c.UIDExpunge(imap.UIDSetNum(1)).Close(), imap.ResponseCodeNoPerm)
	// CLOSE works and removes nothing.
	if err := c.UnselectAndExpunge().Wait(); err != nil {
		t.Fatalf("CLOSE: %v", err)
	}
	if d := selectBox(t, c, "jardin", false); d.NumMessages != 1 {
		t.Errorf("after CLOSE: %d messages", d.NumMessages)
	}
	if n, _, _ := f.store.ArchiveStat(jardin); n != 1 {
		t.Errorf("archive holds %d", n)
	}
}

// A member removed from a list loses its mailboxes at once.
func TestRemovedMemberLosesAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.archive(t, jardin, message("a@example.test", "post", "x\r\n"), t0)
	f.archive(t, potager, message("a@example.test", "post", "x\r\n"), t0)

	c := f.login(t, jardin, alice)
	selectBox(t, c, "jardin", false)
	if _, err := f.store.RemoveMembers(jardin, alice); err != nil {
		t.Fatal(err)
	}
	// The selected mailbox is gone: the command fails and the server
	// says BYE.
	if _, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true}).Collect(); err == nil {
		t.Error("FETCH after removal succeeded")
	}
	select {
	case <-c.Closed():
	case <-time.After(5 * time.Second):
		t.Error("connection still open after removal")
	}

	// A new session (alice still belongs to potager) no longer sees it.
	c = f.login(t, potager, alice)
	if got := strings.Join(listNames(t, c, "", "*"), "; "); strings.Contains(got, "jardin") {
		t.Errorf("LIST after removal: %s", got)
	}
	if _, err := c.Select("jardin", nil).Wait(); err == nil {
		t.Error("SELECT after removal succeeded")
	}
	_, err := c.Status("jardin", &imap.StatusOptions{NumMessages: true}).Wait()
	wantNo(t, "STATUS after removal", err, imap.ResponseCodeNonExistent)

	// The old password of the removed membership no longer works.
	wantNo(t, "login with the removed membership's password",
		f.dial(t, nil).Login(alice, "alice-jardin").Wait(), imap.ResponseCodeAuthenticationFailed)

	// Removal while idling ends the session too.
	f2 := newFixtureWith(t, nil, func(s *Server) { s.pollEvery = 50 * time.Millisecond })
	b := f2.login(t, jardin, bob)
	selectBox(t, b, "jardin", false)
	idle, err := b.Idle()
	if err != nil {
		t.Fatal(err)
	}
	f2.store.RemoveMembers(jardin, bob)
	select {
	case <-b.Closed():
	case <-time.After(5 * time.Second):
		t.Error("idling connection still open after removal")
	}
	idle.Close()
}

// No name, UID or sequence number reaches a list one does not belong to.
func TestOtherListsOutOfReach(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.archive(t, jardin, message("a@example.test", "jardin post", "x\r\n"), t0)
	f.archive(t, potager, message("c@example.test", "potager secret", "y\r\n"), t0)
	f.archive(t, potager, message("c@example.test", "potager secret 2", "y\r\n"), t0)
	f.propose(t, potager, 1, message("c@example.test", "potager proposal", "z\r\n"))

	c := f.login(t, jardin, bob)
	for _, name := range []string{"potager", "POTAGER", "potager@lists.test", "potager/Proposals/Open",
		"jardin/../potager", "jardin/potager", "potager/Archive/1", "INBOX", "", "jardin@lists.test/../potager"} {
		if _, err := c.Select(name, nil).Wait(); err == nil {
			t.Errorf("SELECT %q succeeded", name)
		}
		if _, err := c.Status(name, &imap.StatusOptions{NumMessages: true}).Wait(); err == nil {
			t.Errorf("STATUS %q succeeded", name)
		}
	}
	// The full address of one's own list works.
	selectBox(t, c, "jardin@lists.test", false)
	for _, set := range []imap.NumSet{imap.UIDSet{{Start: 1, Stop: 0}}, imap.UIDSetNum(2, 3, 4), imap.SeqSetNum(2, 3)} {
		for _, m := range fetch(t, c, set, &imap.FetchOptions{Envelope: true}) {
			if m.Envelope.Subject != "jardin post" {
				t.Errorf("FETCH %v reached %q", set, m.Envelope.Subject)
			}
		}
	}
	d, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "potager"}}}, nil).Wait()
	if err != nil || len(d.AllUIDs()) != 0 {
		t.Errorf("SEARCH found %v (%v)", d.AllUIDs(), err)
	}
	_, err = c.Copy(imap.SeqSetNum(1), "potager").Wait()
	wantNo(t, "COPY to another list", err, "")
}
