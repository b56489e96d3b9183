package imaparchive

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"tacit/consensus"
	"tacit/storage"
)

func listNames(t *testing.T, c *imapclient.Client, ref, pattern string) []string {
	t.Helper()
	l, err := c.List(ref, pattern, nil).Collect()
	if err != nil {
		t.Fatalf("list %q %q: %v", ref, pattern, err)
	}
	var names []string
	for _, d := range l {
		name := d.Mailbox
		if slices.Contains(d.Attrs, imap.MailboxAttrNoSelect) {
			name += " (noselect)"
		}
		names = append(names, name)
	}
	return names
}

func TestListShowsOnlyOwnLists(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bobc := f.login(t, jardin, bob)
	got := strings.Join(listNames(t, bobc, "", "*"), "; ")
	want := "jardin; jardin/Proposals (noselect); jardin/Proposals/Open; jardin/Proposals/Adopted; " +
		"jardin/Proposals/Blocked; jardin/Proposals/Withdrawn; jardin/Proposals/Rejected"
	if got != want {
		t.Errorf("bob's LIST *:\n got %s\nwant %s", got, want)
	}
	alicec := f.login(t, jardin, alice)
	if got := strings.Join(listNames(t, alicec, "", "%"), "; "); got != "jardin; potager" {
		t.Errorf("alice's LIST %%: %s", got)
	}
	if got := strings.Join(listNames(t, alicec, "potager/", "Proposals/%"), "; "); !strings.HasPrefix(got, "potager/Proposals/Open;") {
		t.Errorf("alice's LIST potager/ Proposals/%%: %s", got)
	}
	// LIST "" "" gives the delimiter.
	l, err := bobc.List("", "", nil).Collect()
	if err != nil || len(l) != 1 || l[0].Delim != '/' {
		t.Errorf("LIST \"\" \"\": %+v %v", l, err)
	}

	// Two lists with the same local part: full addresses.
	if err := f.store.CreateList(storage.List{Address: "jardin@autre.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.AddMembers("jardin@autre.test", t0, bob); err != nil {
		t.Fatal(err)
	}
	got = strings.Join(listNames(t, bobc, "", "%"), "; ")
	if got != "jardin@autre.test; jardin@lists.test" {
		t.Errorf("bob's LIST %% with two jardin lists: %s", got)
	}
	st, err := bobc.Status("jardin@autre.test/Proposals/Open", &imap.StatusOptions{UIDValidity: true}).Wait()
	if err != nil || st.UIDValidity != 2 {
		t.Errorf("status of a list created at time zero: %+v %v", st, err)
	}
}

func TestSelectExamineStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 3 {
		f.archive(t, jardin, message("a@example.test", fmt.Sprint("post ", i), "hello\r\n"), t0)
	}
	c := f.login(t, jardin, bob)
	d := selectBox(t, c, "jardin", false)
	base := uint32(t0.Add(-24 * time.Hour).Unix())
	if d.NumMessages != 3 || d.UIDNext != 4 || d.UIDValidity != base ||
		!slices.Equal(d.PermanentFlags, []imap.Flag{imap.FlagSeen}) {
		t.Errorf("SELECT: %+v", d)
	}
	d = selectBox(t, c, "JARDIN/proposals/open", true)
	if d.NumMessages != 0 || d.UIDNext != 1 || d.UIDValidity != base+1 || len(d.PermanentFlags) != 0 {
		t.Errorf("EXAMINE Proposals/Open: %+v", d)
	}
	if _, err := c.Select("jardin/Proposals", nil).Wait(); err == nil {
		t.Error("SELECT of a \\Noselect parent succeeded")
	}
	all := &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true, Size: true}
	st, err := c.Status("jardin", all).Wait()
	if err != nil {
		t.Fatal(err)
	}
	_, raw, _ := f.store.ArchivedMessage(jardin, 1)
	if *st.NumMessages != 3 || st.UIDNext != 4 || *st.NumUnseen != 3 || *st.Size != 3*int64(len(raw)) || st.UIDValidity != base {
		t.Errorf("STATUS: %+v", st)
	}
	f.store.SetSeen(bob, jardin, []uint32{2}, true)
	st, err = c.Status("jardin", &imap.StatusOptions{NumUnseen: true, NumMessages: true}).Wait()
	if err != nil || *st.NumUnseen != 2 {
		t.Errorf("STATUS UNSEEN after one seen: %+v %v", st, err)
	}
	st, err = c.Status("jardin/Proposals/Withdrawn", &imap.StatusOptions{UIDValidity: true, NumMessages: true}).Wait()
	if err != nil || st.UIDValidity != base+4 || *st.NumMessages != 0 {
		t.Errorf("STATUS Withdrawn: %+v %v", st, err)
	}
	// LIST-STATUS.
	l, err := c.List("", "jardin*", &imap.ListOptions{ReturnStatus: &imap.StatusOptions{NumMessages: true, NumUnseen: true}}).Collect()
	if err != nil || len(l) != 7 || l[0].Mailbox != "jardin" || l[0].Status == nil || *l[0].Status.NumMessages != 3 ||
		*l[0].Status.NumUnseen != 2 || l[1].Status != nil {
		t.Errorf("LIST RETURN (STATUS): %+v %v", l, err)
	}
	if err := c.Subscribe("jardin").Wait(); err != nil {
		t.Errorf("SUBSCRIBE: %v", err)
	}
}

// Large archives are sliced: NAME holds the newest positions.
func TestArchiveSlices(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, nil, func(s *Server) { s.sliceSize = 3 })
	for i := range 7 {
		f.archive(t, jardin, message("a@example.test", fmt.Sprint("post ", i+1), "hello\r\n"), t0)
	}
	c := f.login(t, jardin, bob)
	got := strings.Join(listNames(t, c, "jardin/", "Archive*"), "; ")
	if got != "jardin/Archive (noselect); jardin/Archive/1; jardin/Archive/2" {
		t.Errorf("LIST: %s", got)
	}
	for name, want := range map[string]string{"jardin": "7", "jardin/Archive/1": "1,2,3", "jardin/Archive/2": "4,5,6"} {
		selectBox(t, c, name, true)
		msgs := fetch(t, c, imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{UID: true})
		if uids(msgs) != want {
			t.Errorf("%s holds UIDs %s, want %s", name, uids(msgs), want)
		}
	}
	st, err := c.Status("jardin/Archive/2", &imap.StatusOptions{NumMessages: true, UIDNext: true}).Wait()
	if err != nil || *st.NumMessages != 3 || st.UIDNext != 7 {
		t.Errorf("STATUS Archive/2: %+v %v", st, err)
	}
	// A selected NAME keeps growing past the next boundary.
	selectBox(t, c, "jardin", false)
	for i := range 3 {
		f.archive(t, jardin, message("a@example.test", fmt.Sprint("late ", i), "x\r\n"), t0)
	}
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	if n := c.Mailbox().NumMessages; n != 4 {
		t.Errorf("NAME after 3 more: %d messages, want 4", n)
	}
	if _, err := c.Select("jardin/Archive/3", nil).Wait(); err != nil {
		t.Errorf("new slice: %v", err)
	}
}

// A proposal's post moves from Proposals/Open to Proposals/Adopted.
func TestProposalMailboxes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.archive(t, jardin, message("a@example.test", "chatter", "hi\r\n"), t0)
	seq := f.propose(t, jardin, 1, message("a@example.test", "Proposal one", "let us plant\r\n"))
	c := f.login(t, jardin, bob)
	selectBox(t, c, "jardin/Proposals/Open", false)
	msgs := fetch(t, c, imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true, UID: true})
	if len(msgs) != 1 || msgs[0].UID != 1 || msgs[0].Envelope.Subject != "Proposal one" {
		t.Fatalf("Open: %+v", msgs)
	}
	_, want, _ := f.store.ArchivedMessage(jardin, seq)
	body := &imap.FetchItemBodySection{Peek: true}
	if got := fetch(t, c, imap.UIDSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{body}})[0].FindBodySection(body); string(got) != string(want) {
		t.Errorf("Open's message is not the archived post:\n%s", got)
	}

	f.setStatus(t, jardin, 1, consensus.StatusAdopted)
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	if n := c.Mailbox().NumMessages; n != 0 {
		t.Errorf("Open after adoption: %d messages", n)
	}
	st, err := c.Status("jardin/Proposals/Adopted", &imap.StatusOptions{NumMessages: true, UIDNext: true}).Wait()
	if err != nil || *st.NumMessages != 1 || st.UIDNext != 2 {
		t.Errorf("Adopted: %+v %v", st, err)
	}
	st, err = c.Status("jardin/Proposals/Open", &imap.StatusOptions{NumMessages: true, UIDNext: true}).Wait()
	if err != nil || *st.NumMessages != 0 || st.UIDNext != 2 {
		t.Errorf("Open: %+v %v", st, err)
	}
	selectBox(t, c, "jardin/Proposals/Adopted", true)
	msgs = fetch(t, c, imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true})
	if len(msgs) != 1 || msgs[0].Envelope.Subject != "Proposal one" {
		t.Errorf("Adopted: %+v", msgs)
	}
}

// IDLE reports a message archived meanwhile.
func TestIdleSeesNewMessages(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, nil, func(s *Server) { s.pollEvery = 100 * time.Millisecond })
	f.archive(t, jardin, message("a@example.test", "first", "x\r\n"), t0)
	exists := make(chan uint32, 10)
	c := f.loginWith(t, jardin, bob, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				exists <- *d.NumMessages
			}
		},
	}})
	selectBox(t, c, "jardin", false)
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	f.archive(t, jardin, message("a@example.test", "second", "x\r\n"), t0)
	select {
	case n := <-exists:
		if n != 2 {
			t.Errorf("EXISTS %d, want 2", n)
		}
	case <-time.After(5 * time.Second):
		t.Error("no EXISTS while idling")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
}

// A proposal's post that leaves the selected mailbox is expunged, but only
// where EXPUNGE is allowed.
func TestMovedProposalExpunged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 3 {
		f.archive(t, jardin, message("a@example.test", fmt.Sprint("post ", i), "x\r\n"), t0)
	}
	var expunged []uint32
	c := f.loginWith(t, jardin, bob, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Expunge: func(n uint32) { expunged = append(expunged, n) },
	}})
	f.propose(t, jardin, 1, message("a@example.test", "p", "x\r\n"))
	selectBox(t, c, "jardin/Proposals/Open", false)
	f.setStatus(t, jardin, 1, consensus.StatusBlocked)
	// FETCH may not expunge: the message stays until NOOP.
	if msgs := fetch(t, c, imap.SeqSetNum(1), &imap.FetchOptions{UID: true}); len(msgs) != 1 || len(expunged) != 0 {
		t.Errorf("during FETCH: %d messages, expunged %v", len(msgs), expunged)
	}
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(expunged, []uint32{1}) || c.Mailbox().NumMessages != 0 {
		t.Errorf("after NOOP: expunged %v, %d messages", expunged, c.Mailbox().NumMessages)
	}
}
