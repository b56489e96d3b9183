package imaparchive

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"golang.org/x/crypto/bcrypt"

	"tacit/consensus"
	"tacit/storage"
)

const (
	jardin  = "jardin@lists.test"
	potager = "potager@lists.test"
	alice   = "alice@example.test" // member of both lists
	bob     = "bob@example.test"   // member of jardin only
	carol   = "carol@example.test" // member of potager only
)

// passwords of the fixture's memberships; alice has one per list.
var testPasswords = map[[2]string]string{
	{jardin, alice}:  "alice-jardin",
	{potager, alice}: "alice-potager",
	{jardin, bob}:    "bob-secret",
	{potager, carol}: "carol-secret",
}

var t0 = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// fixture is a store with two lists and a server over it on loopback.
type fixture struct {
	store *storage.Store
	srv   *Server
	addr  string

	mu  sync.Mutex
	now time.Time
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureWith(t, nil, nil)
}

// newFixtureWith lets opts change the server's options and tweak change
// the server before it serves.
func newFixtureWith(t testing.TB, opts func(*Options), tweak func(*Server)) *fixture {
	t.Helper()
	store, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{store: store, now: t0}
	for _, l := range []string{jardin, potager} {
		if err := store.CreateList(storage.List{Address: l, Created: t0.Add(-24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	for k, pw := range testPasswords {
		if _, err := store.AddMembers(k[0], t0, k[1]); err != nil {
			t.Fatal(err)
		}
		f.setPassword(t, k[0], k[1], pw)
	}
	o := Options{Store: store, Now: f.clock}
	if opts != nil {
		opts(&o)
	}
	f.srv = New(o)
	if tweak != nil {
		tweak(f.srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := f.srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fixture) setPassword(t testing.TB, list, addr, pw string) {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.UpdateMember(list, addr, func(m *storage.Member) error {
		m.PasswordHash = string(h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// message builds a small text message.
func message(from, subject, body string) string {
	return "From: " + from + "\r\nTo: list@lists.test\r\nSubject: " + subject +
		"\r\nDate: Sat, 14 Mar 2026 10:00:00 +0100\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") +
		"@example.test>\r\n\r\n" + body
}

// archive stores raw as received and archives it in list, as a post the
// list distributed unchanged; it returns its archive position.
func (f *fixture) archive(t testing.TB, list, raw string, at time.Time) uint64 {
	t.Helper()
	id, err := f.store.Receive(storage.Envelope{From: "x@example.test", To: []string{list}, ReceivedAt: at}, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Dispose(id, storage.Disposition{Archive: []storage.ArchiveEntry{{
		List: list, MessageID: id, At: at, From: "x@example.test", Subject: "s"}}}); err != nil {
		t.Fatal(err)
	}
	_, last, err := f.store.ArchiveStat(list)
	if err != nil {
		t.Fatal(err)
	}
	return last
}

// propose distributes proposal number n of list (its post archived and
// filed into Proposals/Open) and returns the post's archive position.
func (f *fixture) propose(t testing.TB, list string, n int, raw string) uint64 {
	t.Helper()
	p := consensus.NewProposal(consensus.Draft{List: list, Number: n, Title: "p", Received: t0, Default: time.Hour})
	ref := storage.ProposalRef{List: list, Number: n}
	off := strings.Index(raw, "\r\n\r\n") + 4
	post := storage.Outgoing{Raw: []byte(raw), BodyOffset: off, At: t0,
		Archive: storage.ArchiveEntry{List: list, Subject: "p"}, ProposalPost: ref}
	if err := f.store.Decide([]storage.ProposalUpdate{{Proposal: p}}, []storage.Outgoing{post}); err != nil {
		t.Fatal(err)
	}
	_, last, err := f.store.ArchiveStat(list)
	if err != nil {
		t.Fatal(err)
	}
	return last
}

func (f *fixture) setStatus(t testing.TB, list string, n int, st consensus.Status) {
	t.Helper()
	p, err := f.store.Proposal(storage.ProposalRef{List: list, Number: n})
	if err != nil {
		t.Fatal(err)
	}
	p.Status = st
	if err := f.store.Decide([]storage.ProposalUpdate{{Proposal: p}}, nil); err != nil {
		t.Fatal(err)
	}
}

// dial connects without logging in.
func (f *fixture) dial(t testing.TB, o *imapclient.Options) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(f.addr, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// login connects and logs in as user with the password of its
// membership of list.
func (f *fixture) login(t testing.TB, list, user string) *imapclient.Client {
	t.Helper()
	return f.loginWith(t, list, user, nil)
}

func (f *fixture) loginWith(t testing.TB, list, user string, o *imapclient.Options) *imapclient.Client {
	t.Helper()
	c := f.dial(t, o)
	if err := c.Login(user, testPasswords[[2]string{list, user}]).Wait(); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return c
}

// selectBox selects (or examines) a mailbox.
func selectBox(t testing.TB, c *imapclient.Client, name string, readOnly bool) *imap.SelectData {
	t.Helper()
	d, err := c.Select(name, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", name, err)
	}
	return d
}

// fetch runs a FETCH and collects the answers.
func fetch(t testing.TB, c *imapclient.Client, set imap.NumSet, o *imap.FetchOptions) []*imapclient.FetchMessageBuffer {
	t.Helper()
	msgs, err := c.Fetch(set, o).Collect()
	if err != nil {
		t.Fatalf("fetch %v: %v", set, err)
	}
	return msgs
}

// wantNo fails unless err is a NO with code (any code when code is "").
func wantNo(t testing.TB, what string, err error, code imap.ResponseCode) {
	t.Helper()
	var e *imap.Error
	if !errors.As(err, &e) || e.Type != imap.StatusResponseTypeNo || (code != "" && e.Code != code) {
		t.Errorf("%s: got %v, want NO [%s]", what, err, code)
	}
}

func uids(msgs []*imapclient.FetchMessageBuffer) string {
	var s []string
	for _, m := range msgs {
		s = append(s, fmt.Sprint(m.UID))
	}
	return strings.Join(s, ",")
}
