package listserv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/listserv/classify"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// docs/decisions.md: "tacit explain and tacit serve share one reading: for
// any message, what explain --json says is what the server does with it".
// Every mail of the grammar corpus (testdata/mail) is explained against a
// running server's store, then sent to that server over SMTP, and what
// the server recorded is compared with what explain said.

const (
	agreeCorpus = "../testdata/mail"
	// agreeDefault is the lists' default deadline: long enough that the
	// corpus's running proposals (#12 on jardin, #7 on garden, opened on
	// agreeSetUp) are still open when its replies (November 2026) come.
	agreeDefault = 90 * 24 * time.Hour
	agreeMin     = time.Hour
	// agreeAuthor writes the running proposals: the corpus's withdrawals
	// and amendments come from this address.
	agreeAuthor = "alice@example.org"
)

// agreeSetUp is when the running proposals are opened, before every
// mail of the corpus.
var agreeSetUp = time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)

// agreeFixture is one mail of the corpus.
type agreeFixture struct {
	name   string
	list   string // the list's address
	raw    []byte // CRLF line ends, as the server stores it
	author string
	date   time.Time // zero: no readable Date header
	msgID  string    // with brackets, "" when none
	refs   []string  // In-Reply-To then References
}

// agreeLists are the corpus's lists: name → language and the running
// proposal (number, Message-ID, Subject).
var agreeLists = map[string]struct {
	lang, tag, title, msgID string
	number                  int
}{
	"jardin": {"fr", "PROPOSITION", "Acheter un composteur", "<tacit.jardin.12.a41f09@example.org>", 12},
	"garden": {"en", "PROPOSAL", "Buy a composter", "<tacit.garden.7.c82e11@example.org>", 7},
}

func loadAgreeFixtures(t *testing.T) map[string][]agreeFixture {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(agreeCorpus, "*.eml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no corpus in %s: %v", agreeCorpus, err)
	}
	out := map[string][]agreeFixture{}
	for _, path := range names {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".eml")
		var side struct {
			List string `json:"list"`
		}
		if js, err := os.ReadFile(strings.TrimSuffix(path, ".eml") + ".json"); err == nil {
			if err := json.Unmarshal(js, &side); err != nil {
				t.Fatalf("%s.json: %v", name, err)
			}
		}
		if side.List == "" {
			side.List = "jardin"
		}
		if _, ok := agreeLists[side.List]; !ok {
			t.Fatalf("%s: unknown list %q", name, side.List)
		}
		// The fixtures were written to NAME@example.org; the test's lists
		// are NAME@lists.test, and a command counts only from a message
		// addressed to the list.
		raw := bytes.ReplaceAll(crlf(data), []byte(side.List+"@example.org"), []byte(side.List+"@lists.test"))
		h, _, err := rewrite.Split(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f := agreeFixture{name: name, list: side.List + "@lists.test", raw: raw, author: authorOf(h, ""),
			refs: append(classify.MessageIDs(h.Get("In-Reply-To")), classify.MessageIDs(h.Get("References"))...)}
		if ids := classify.MessageIDs(h.Get("Message-Id")); len(ids) > 0 {
			f.msgID = ids[0]
		}
		if d, err := mail.ParseDate(h.Get("Date")); err == nil {
			f.date = d
		}
		if f.author == "" {
			t.Fatalf("%s: no author", name)
		}
		out[side.List] = append(out[side.List], f)
	}
	for _, fs := range out {
		// In the order they were written: the clock only moves forward,
		// and a reply comes after the message it answers.
		sort.SliceStable(fs, func(i, j int) bool { return fs[i].date.Before(fs[j].date) })
	}
	return out
}

// crlf gives raw CRLF line ends, as SMTP carries it.
func crlf(raw []byte) []byte {
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
}

// setHeaderLine replaces the value of the first header field called name
// (unfolded), or adds the field.
func setHeaderLine(raw []byte, name, value string) []byte {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(raw)
	}
	lines := strings.Split(string(raw[:end]), "\r\n")
	for i, l := range lines {
		if k, _, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			j := i + 1
			for j < len(lines) && (strings.HasPrefix(lines[j], " ") || strings.HasPrefix(lines[j], "\t")) {
				j++
			}
			lines = append(lines[:i], append([]string{name + ": " + value}, lines[j:]...)...)
			return append([]byte(strings.Join(lines, "\r\n")), raw[end:]...)
		}
	}
	return append([]byte(name+": "+value+"\r\n"), raw...)
}

// agreeServer is a running server with the corpus's lists and running
// proposals.
type agreeServer struct {
	h     *harness
	clock *clock
	paris *time.Location
}

func startAgree(t *testing.T) *agreeServer {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: agreeSetUp}
	h := start(t, harnessOptions{now: c.Now, consensus: ConsensusOptions{
		MinDeadline: agreeMin, Schedule: "@every 1h", Location: paris}})
	return &agreeServer{h: h, clock: c, paris: paris}
}

// addList creates list name with its members: agreeAuthor, bob, and the
// given authors. Only agreeAuthor and bob get the list's mail: the
// others are members whose delivery is off, which spares the test
// thousands of deliveries and changes nothing to what counts.
func (a *agreeServer) addList(t *testing.T, name string, authors ...string) storage.List {
	t.Helper()
	spec := agreeLists[name]
	l := storage.List{Address: name + "@lists.test", Name: name, Lang: spec.lang, Deadline: agreeDefault,
		Owners: []string{"owner@example.net"}}
	if err := a.h.store.CreateList(l); err != nil {
		t.Fatal(err)
	}
	if _, err := a.h.store.AddMembers(l.Address, agreeSetUp, append([]string{agreeAuthor, "bob@example.org"}, authors...)...); err != nil {
		t.Fatal(err)
	}
	for _, m := range authors {
		if m == agreeAuthor || m == "bob@example.org" {
			continue
		}
		if _, err := a.h.store.UpdateMember(l.Address, m, func(m *storage.Member) error { m.Disabled = true; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	got, err := a.h.store.List(l.Address)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// sendAndWait sends raw from author to list and waits until the server
// has disposed of it.
func (a *agreeServer) sendAndWait(t *testing.T, author, list string, raw []byte) {
	t.Helper()
	if err := a.h.send(author, []string{list}, string(raw)); err != nil {
		t.Fatalf("send: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ids, err := a.h.store.Inbox()
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not process the message within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openRunning opens proposals #1…#N on list by mail from agreeAuthor,
// #N being the corpus's running proposal with its Message-ID, and posts
// to its thread the messages the fixtures answer that are not in the
// corpus (others' replies), so that their In-Reply-To is known too.
func (a *agreeServer) openRunning(t *testing.T, name string, others []string) {
	t.Helper()
	spec := agreeLists[name]
	list := name + "@lists.test"
	agreeSetClock(a.clock, agreeSetUp)
	for n := 1; n <= spec.number; n++ {
		title, id := fmt.Sprintf("Sujet %d", n), fmt.Sprintf("<setup.%s.%d@example.org>", name, n)
		if n == spec.number {
			title, id = spec.title, spec.msgID
		}
		msg := "From: Alice Martin <" + agreeAuthor + ">\r\nTo: " + list + "\r\nSubject: [" + spec.tag + "] " + title +
			"\r\nMessage-ID: " + id + "\r\nDate: Thu, 01 Oct 2026 11:00:00 +0200\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
			"Texte de la proposition " + title + ".\r\n"
		a.sendAndWait(t, agreeAuthor, list, []byte(msg))
		p, err := a.h.store.Proposal(storage.ProposalRef{List: list, Number: n})
		if err != nil || p.Title != title {
			t.Fatalf("set-up proposal #%d on %s: %+v, %v", n, list, p, err)
		}
	}
	for _, id := range others {
		msg := "From: Bob <bob@example.org>\r\nTo: " + list + "\r\nSubject: Re: [" + spec.tag + " #" +
			fmt.Sprint(spec.number) + "] " + spec.title + "\r\nMessage-ID: " + id + "\r\nIn-Reply-To: " + spec.msgID +
			"\r\nReferences: " + spec.msgID + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMerci pour la proposition.\r\n"
		a.sendAndWait(t, "bob@example.org", list, []byte(msg))
		if ref, ok, _ := a.h.store.ThreadOf(id); !ok || ref.Number != spec.number {
			t.Fatalf("set-up reply %s not in the thread of #%d: %v %v", id, spec.number, ref, ok)
		}
	}
}

// agreeProposal is what the store holds of one proposal.
type agreeProposal struct {
	p      consensus.Proposal
	events []storage.ProposalEvent
}

func (a *agreeServer) snapshot(t *testing.T, list string) map[int]agreeProposal {
	t.Helper()
	ps, err := a.h.store.Proposals(list)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]agreeProposal{}
	for _, p := range ps {
		ev, err := a.h.store.ProposalEvents(storage.ProposalRef{List: list, Number: p.Number})
		if err != nil {
			t.Fatal(err)
		}
		out[p.Number] = agreeProposal{p: p, events: ev}
	}
	return out
}

// agreeOutcome is what the server did with one message.
type agreeOutcome struct {
	opened []consensus.Proposal
	// events are the kinds of the timeline events the message added, by
	// proposal, without the changes of status and reminders that time
	// or a command caused.
	events       map[int][]string
	status       map[int][]string
	unpositioned map[int]int
	distributed  bool
	held         int
	loc          *time.Location
}

func (o agreeOutcome) String() string {
	var parts []string
	for _, p := range o.opened {
		parts = append(parts, fmt.Sprintf("opened #%d %q deadline %s unread %q", p.Number, p.Title,
			p.Deadline.In(o.loc).Format(time.RFC3339), p.DeadlineUnread))
	}
	for _, n := range slices.Sorted(maps.Keys(o.events)) {
		parts = append(parts, fmt.Sprintf("#%d events %v status %v unpositioned %+d", n, o.events[n], o.status[n], o.unpositioned[n]))
	}
	if !o.distributed {
		parts = append(parts, "not distributed")
	}
	if o.held > 0 {
		parts = append(parts, "held")
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "; ")
}

// agreeSetClock moves c to t.
func agreeSetClock(c *clock, t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (a *agreeServer) outcome(t *testing.T, list, msgID string, before, after map[int]agreeProposal, heldBefore int) agreeOutcome {
	t.Helper()
	o := agreeOutcome{events: map[int][]string{}, status: map[int][]string{}, unpositioned: map[int]int{}, loc: a.paris}
	for n, now := range after {
		was, ok := before[n]
		if !ok {
			o.opened = append(o.opened, now.p)
			continue
		}
		for _, e := range now.events[len(was.events):] {
			switch e.Kind {
			case "status", "reminder":
				o.status[n] = append(o.status[n], e.Kind+":"+string(e.Status))
			default:
				o.events[n] = append(o.events[n], e.Kind)
			}
		}
		if len(now.events) > len(was.events) && o.events[n] == nil {
			o.events[n] = []string{}
		}
		if d := now.p.Unpositioned - was.p.Unpositioned; d != 0 {
			o.unpositioned[n] = d
			if o.events[n] == nil {
				o.events[n] = []string{}
			}
		}
	}
	sort.Slice(o.opened, func(i, j int) bool { return o.opened[i].Number < o.opened[j].Number })
	if msgID != "" {
		var err error
		if o.distributed, err = a.h.store.Distributed(list, msgID); err != nil {
			t.Fatal(err)
		}
	} else {
		o.distributed = true // nothing to look it up by; held is checked
	}
	held, err := a.h.store.HeldPosts(list)
	if err != nil {
		t.Fatal(err)
	}
	o.held = len(held) - heldBefore
	return o
}

// compare returns how the server's outcome differs from the explanation
// of a message received at received, from a member.
func (a *agreeServer) compare(l storage.List, e classify.Explanation, o agreeOutcome, msgID string, received time.Time) []string {
	var diffs []string
	if !o.distributed || o.held > 0 {
		diffs = append(diffs, "the server did not distribute the message")
	}
	switch e.Kind {
	case classify.Proposal:
		if len(o.opened) != 1 {
			diffs = append(diffs, fmt.Sprintf("explain: a proposal; server opened %d", len(o.opened)))
			break
		}
		p := o.opened[0]
		if p.Title != e.Title {
			diffs = append(diffs, fmt.Sprintf("title: explain %q, server %q", e.Title, p.Title))
		}
		if want := strings.Trim(msgID, "<>"); p.MessageID != want {
			diffs = append(diffs, fmt.Sprintf("proposal's Message-ID %q, want %q", p.MessageID, want))
		}
		want := received.Add(l.Deadline)
		what := "the list's default"
		switch {
		case e.Deadline != "":
			dl, err := time.Parse(time.RFC3339, e.Deadline)
			if err != nil {
				diffs = append(diffs, fmt.Sprintf("explain's deadline %q: %v", e.Deadline, err))
				break
			}
			want, what = dl, fmt.Sprintf("explain's deadline (line %q)", e.DeadlineLine)
			if p.DeadlineUnread != "" {
				diffs = append(diffs, fmt.Sprintf("explain read the deadline line %q; server says unread %q", e.DeadlineLine, p.DeadlineUnread))
			}
		case e.DeadlineError != "":
			what = fmt.Sprintf("the list's default (explain: deadline_error %q on %q)", e.DeadlineError, e.DeadlineLine)
			if p.DeadlineUnread != e.DeadlineLine {
				diffs = append(diffs, fmt.Sprintf("unread deadline line: explain %q, server %q", e.DeadlineLine, p.DeadlineUnread))
			}
		default:
			if p.DeadlineUnread != "" {
				diffs = append(diffs, fmt.Sprintf("explain found no deadline line; server says unread %q", p.DeadlineUnread))
			}
		}
		if earliest := received.Add(agreeMin); want.Before(earliest) {
			want, what = earliest, what+", raised to the minimum"
		}
		if !p.Deadline.Equal(want) {
			diffs = append(diffs, fmt.Sprintf("deadline: server %s, want %s = %s", p.Deadline.In(a.paris).Format(time.RFC3339),
				want.In(a.paris).Format(time.RFC3339), what))
		}
		if len(o.events) > 0 {
			diffs = append(diffs, "explain: a proposal; the server also changed "+o.String())
		}
	case classify.Reply:
		if len(o.opened) > 0 {
			diffs = append(diffs, fmt.Sprintf("explain: a reply to #%d; server opened #%d", e.Answers, o.opened[0].Number))
		}
		want := append([]string{string(consensus.EventReply)}, e.Commands...)
		got, ok := o.events[e.Answers]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("explain: a reply to #%d with %v; server added nothing to #%d", e.Answers, e.Commands, e.Answers))
		} else if !slices.Equal(got, want) {
			diffs = append(diffs, fmt.Sprintf("#%d events: explain %v, server %v", e.Answers, want, got))
		}
		for n := range o.events {
			if n != e.Answers {
				diffs = append(diffs, fmt.Sprintf("explain: a reply to #%d; server changed #%d (%v)", e.Answers, n, o.events[n]))
			}
		}
		wantU := 0
		if e.NoPosition {
			wantU = 1
		}
		if o.unpositioned[e.Answers] != wantU {
			diffs = append(diffs, fmt.Sprintf("explain: no_position %v; server's Unpositioned of #%d grew by %d",
				e.NoPosition, e.Answers, o.unpositioned[e.Answers]))
		}
	default:
		if len(o.opened) > 0 || len(o.events) > 0 {
			diffs = append(diffs, "explain: a plain post; server: "+o.String())
		}
	}
	return diffs
}

// explainThenSend explains raw against the store as it is, then sends it
// and reads what the server did. Both read the same bytes: the trusted
// relay's Authentication-Results that the harness adds (its author is
// authenticated, docs/security.md) is added before explain reads it.
func (a *agreeServer) explainThenSend(t *testing.T, author, list string, raw []byte, msgID string) (classify.Explanation, agreeOutcome, time.Time) {
	t.Helper()
	if a.h.relayAuth {
		_, dom, _ := strings.Cut(author, "@")
		raw = append([]byte("Authentication-Results: "+testRelayID+"; dmarc=pass header.from="+dom+"\r\n"), raw...)
	}
	e, err := classify.Explain(raw, classify.ExplainOptions{List: list, Index: a.h.store, Location: a.paris, Now: a.clock.Now})
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	before := a.snapshot(t, list)
	held, err := a.h.store.HeldPosts(list)
	if err != nil {
		t.Fatal(err)
	}
	received := a.clock.Now()
	a.sendAndWait(t, author, list, raw)
	return e, a.outcome(t, list, msgID, before, a.snapshot(t, list), len(held)), received
}

func TestExplainAndServerAgreeOnTheCorpus(t *testing.T) {
	t.Parallel()
	corpus := loadAgreeFixtures(t)
	var compared, agreed atomic.Int64
	t.Cleanup(func() {
		t.Logf("%d fixtures compared, %d agreements, %d disagreements", compared.Load(), agreed.Load(),
			compared.Load()-agreed.Load())
	})
	for _, name := range slices.Sorted(maps.Keys(corpus)) {
		fixtures := corpus[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := startAgree(t)
			spec := agreeLists[name]
			// Every sender of the corpus is a member; the messages the
			// fixtures answer are known to the store.
			var authors []string
			own := map[string]bool{spec.msgID: true}
			for _, f := range fixtures {
				if !slices.Contains(authors, f.author) {
					authors = append(authors, f.author)
				}
				own[strings.ToLower(f.msgID)] = true
			}
			var others []string
			for _, f := range fixtures {
				for _, id := range f.refs {
					// Our own mails (acknowledgments) are not in any
					// thread: a reply to one is threaded by its Subject.
					if own[strings.ToLower(id)] || strings.HasPrefix(id, "<tacit.") || slices.Contains(others, id) {
						continue
					}
					others = append(others, id)
				}
			}
			l := a.addList(t, name, authors...)
			a.openRunning(t, name, others)
			for i, f := range fixtures {
				t.Run(f.name, func(t *testing.T) {
					raw, msgID := f.raw, f.msgID
					if seen, _ := a.h.store.Distributed(l.Address, msgID); msgID == "" || seen {
						// A replay would be dropped: give it an id of its own.
						msgID = fmt.Sprintf("<agreement.%d.%s@lists.test>", i, f.name)
						raw = setHeaderLine(raw, "Message-ID", msgID)
					}
					if !f.date.IsZero() {
						agreeSetClock(a.clock, f.date.UTC())
					}
					e, o, received := a.explainThenSend(t, f.author, l.Address, raw, msgID)
					compared.Add(1)
					diffs := a.compare(l, e, o, msgID, received)
					if len(diffs) == 0 {
						agreed.Add(1)
						return
					}
					t.Errorf("%s: explain says kind %s (answers #%d by %s, commands %v, no_position %v, deadline %q, deadline_error %q); server: %s\n\t%s",
						f.name, e.Kind, e.Answers, e.ThreadedBy, e.Commands, e.NoPosition, e.Deadline, e.DeadlineError, o,
						strings.Join(diffs, "\n\t"))
				})
			}
		})
	}
}

// The cases of the issue: what makes a [PROPOSITION] a new proposal, in
// explain and in the server alike.
func TestExplainAndServerAgreeOnWhatIsAProposal(t *testing.T) {
	t.Parallel()
	a := startAgree(t)
	l := a.addList(t, "jardin")
	agreeSetClock(a.clock, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	// The list distributed a plain post and a proposal (#1).
	a.sendAndWait(t, "bob@example.org", l.Address, []byte("From: bob@example.org\r\nTo: jardin@lists.test\r\n"+
		"Subject: Réunion jeudi\r\nMessage-ID: <plain.1@example.org>\r\n\r\nOn se voit jeudi.\r\n"))
	a.sendAndWait(t, agreeAuthor, l.Address, []byte("From: alice@example.org\r\nTo: jardin@lists.test\r\n"+
		"Subject: [PROPOSITION] Tondre la pelouse\r\nMessage-ID: <prop.1@example.org>\r\n\r\nSamedi.\r\n"))
	if _, err := a.h.store.Proposal(storage.ProposalRef{List: l.Address, Number: 1}); err != nil {
		t.Fatalf("set-up proposal: %v", err)
	}
	cases := []struct {
		name, subject, irt, refs string
		want                     classify.Kind
	}{
		{"only references outside the list", "[PROPOSITION] Acheter un composteur", "",
			"<thread.1@other-list.example> <thread.2@other-list.example>", classify.Proposal},
		{"in-reply-to outside the list", "[jardin] [PROPOSITION] Acheter des graines", "<x.1@elsewhere.example>",
			"<x.0@elsewhere.example> <x.1@elsewhere.example>", classify.Proposal},
		{"references a post the list distributed", "[PROPOSITION] Acheter un composteur", "",
			"<plain.1@example.org>", classify.Post},
		{"in-reply-to a post the list distributed, references outside", "[PROP] Acheter un composteur",
			"<plain.1@example.org>", "<y@elsewhere.example> <plain.1@example.org>", classify.Post},
		{"references outside then a post of the list", "[PROPOSAL] Buy a composter", "",
			"<plain.1@example.org> <z@elsewhere.example>", classify.Post},
		{"references the thread of a proposal", "[PROPOSITION] Tondre moins souvent", "<prop.1@example.org>",
			"<prop.1@example.org>", classify.Reply},
		{"Re: with no references", "Re: [PROPOSITION] Acheter un composteur", "", "", classify.Post},
		{"Re: with references outside the list", "Re: [jardin] [PROPOSITION] Acheter un composteur", "",
			"<thread.3@other-list.example>", classify.Post},
		{"RE: of Outlook", "RE: [PROPOSITION] Acheter un composteur", "", "", classify.Post},
		{"AW: of a German client", "AW: [PROPOSITION] Acheter un composteur", "", "", classify.Post},
		{"Réf : of a French client", "Réf : [PROPOSITION] Acheter un composteur", "", "", classify.Post},
		{"Re: of the distributed proposal's Subject, no references", "Re: [jardin] [PROPOSITION #1] Tondre la pelouse",
			"", "", classify.Reply},
	}
	for i, c := range cases {
		msgID := fmt.Sprintf("<case.%d@example.org>", i)
		raw := "From: Alice <alice@example.org>\r\nTo: jardin@lists.test\r\nSubject: " + c.subject +
			"\r\nMessage-ID: " + msgID + "\r\n"
		if c.irt != "" {
			raw += "In-Reply-To: " + c.irt + "\r\n"
		}
		if c.refs != "" {
			raw += "References: " + c.refs + "\r\n"
		}
		raw += "Content-Type: text/plain; charset=utf-8\r\n\r\nJe propose ceci.\r\n"
		e, o, received := a.explainThenSend(t, agreeAuthor, l.Address, []byte(raw), msgID)
		if e.Kind != c.want {
			t.Errorf("%s: explain says %s, want %s", c.name, e.Kind, c.want)
		}
		if opened := len(o.opened) > 0; opened != (c.want == classify.Proposal) {
			t.Errorf("%s: server opened a proposal: %v, want %v (%s)", c.name, opened, c.want == classify.Proposal, o)
		}
		for _, d := range a.compare(l, e, o, msgID, received) {
			t.Errorf("%s: %s", c.name, d)
		}
	}
}
