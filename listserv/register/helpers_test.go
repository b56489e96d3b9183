package register

import (
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/storage"
)

// t0 is when the test lists were created; now is the tests' clock.
var (
	t0  = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
)

// secretTitle is a private list's title that no public output may show.
const secretTitle = "Licencier le trésorier (confidentiel)"

// fixture is a real store with three lists:
//
//   - jardin@lists.test, public, in the server's language (French), with
//     one proposal of every status and an amended one;
//   - garden@other.test, public, in English;
//   - secret@lists.test and jardin@secret.test, private, whose titles
//     must never show.
type fixture struct {
	store *storage.Store
	srv   *httptest.Server
	paris *time.Location
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: s, paris: paris}
	for _, l := range []storage.List{
		{Address: "jardin@lists.test", Name: "Jardin partagé", PublicRegister: true, Created: t0},
		{Address: "garden@other.test", Name: "Garden", Lang: "en", PublicRegister: true, Created: t0},
		{Address: "secret@lists.test", Name: "Bureau", Lang: "en", Created: t0},
		{Address: "jardin@secret.test", Name: "Jardin secret", Created: t0},
	} {
		if err := s.CreateList(l); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddMembers("jardin@lists.test", t0, "alice@example.org", "bob@example.org", "carol@example.org"); err != nil {
		t.Fatal(err)
	}
	f.populate(t)
	h := Handler(Options{Store: s, Domain: "lists.test", Language: "fr", Location: paris,
		Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// proposal makes proposal n of list, opened at opened with deadline
// three days later.
func proposal(list string, n int, title, author, text string, opened time.Time) consensus.Proposal {
	return consensus.NewProposal(consensus.Draft{List: list, Number: n, Author: author, Title: title,
		MessageID: "<p" + title + "@example.org>", Text: text, Received: opened,
		Requested: opened.Add(72 * time.Hour), Min: time.Hour})
}

func (f *fixture) decide(t *testing.T, p consensus.Proposal, events ...storage.ProposalEvent) {
	t.Helper()
	if err := f.store.Decide([]storage.ProposalUpdate{{Proposal: p, Events: events}}, nil); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) populate(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC) }
	ev := testEvent

	// #1 adopted, with a support.
	p := proposal("jardin@lists.test", 1, "Acheter une tondeuse", "alice@example.org", "Je propose d'acheter une tondeuse.", day(2))
	p.Supports = []consensus.Support{{Member: "carol@example.org", At: day(3)}}
	p.Status, p.Decided, p.Replies = consensus.StatusAdopted, p.Deadline, 1
	f.decide(t, p, ev("status", "alice@example.org", "open", day(2)), ev("reply", "carol@example.org", "", day(3)),
		ev("support", "carol@example.org", "", day(3)), ev("status", "", "adopted", p.Deadline))

	// #2 blocked by Bob.
	p = proposal("jardin@lists.test", 2, "Repeindre la cabane en rose", "alice@example.org", "Du rose, partout.", day(9))
	p.Objections = []consensus.Objection{{Member: "bob@example.org", Reason: "trop cher pour cette année", At: day(11)}}
	p.Status, p.Decided, p.Replies = consensus.StatusBlocked, p.Deadline, 1
	p.Respondents = []string{"bob@example.org"}
	f.decide(t, p, ev("status", "alice@example.org", "open", day(9)), ev("reply", "bob@example.org", "", day(11)),
		ev("object", "bob@example.org", "trop cher pour cette année", day(11)),
		ev("status", "", "blocked", p.Deadline), ev("object", "dave@example.org", "hors délai (refused: late)", day(14)))

	// #3 withdrawn by its author.
	p = proposal("jardin@lists.test", 3, "Fermer le jardin en août", "bob@example.org", "Tout le monde part.", day(12))
	p.Status, p.Decided = consensus.StatusWithdrawn, day(13)
	f.decide(t, p, ev("status", "bob@example.org", "open", day(12)), ev("withdraw", "bob@example.org", "", day(13)),
		ev("status", "", "withdrawn", day(13)))

	// #4 open, amended once: the deadline moved.
	p = proposal("jardin@lists.test", 4, "Planter des tomates", "carol@example.org", "Des tomates cerises.", day(28))
	amended := time.Date(2026, 11, 30, 8, 30, 0, 0, time.UTC)
	p.Versions = append(p.Versions, consensus.Version{Text: "Des tomates cerises et des tomates cœur de bœuf.",
		At: amended, Deadline: amended.Add(5 * 24 * time.Hour)})
	p.Deadline = amended.Add(5 * 24 * time.Hour)
	p.Supports = []consensus.Support{{Member: "alice@example.org", At: day(29)}}
	f.decide(t, p, ev("status", "carol@example.org", "open", day(28)), ev("support", "alice@example.org", "", day(29)),
		ev("amend", "carol@example.org", "", amended))

	// #5 open, with characters iCalendar escapes and a long text.
	p = proposal("jardin@lists.test", 5, `Budget 2027, étape 1; "bœuf" \ légumes`, "dave@example.org",
		strings.Repeat("Une phrase accentuée, longue; très longue. ", 12)+"\nFin.", day(30))
	f.decide(t, p, ev("status", "dave@example.org", "open", day(30)))

	// garden@other.test: one open, one adopted.
	p = proposal("garden@other.test", 1, "Buy a wheelbarrow", "erin@example.org", "A red one.", day(20))
	p.Status, p.Decided = consensus.StatusAdopted, p.Deadline
	f.decide(t, p, ev("status", "erin@example.org", "open", day(20)), ev("status", "", "adopted", p.Deadline))
	f.decide(t, proposal("garden@other.test", 2, "Water the beans", "erin@example.org", "Daily.", day(30)))

	// The private lists, with proposals of every status.
	for i, st := range []consensus.Status{consensus.StatusOpen, consensus.StatusAdopted, consensus.StatusBlocked} {
		for _, list := range []string{"secret@lists.test", "jardin@secret.test"} {
			p := proposal(list, i+1, secretTitle, "mallory@example.org", "Texte confidentiel.", day(25+i))
			p.Status = st
			if st != consensus.StatusOpen {
				p.Decided = p.Deadline
			}
			p.Objections = []consensus.Objection{{Member: "oscar@example.org", Reason: "motif confidentiel", At: day(26)}}
			f.decide(t, p, ev("object", "oscar@example.org", "motif confidentiel", day(26)))
		}
	}
}

// get fetches path from the fixture's server.
func (f *fixture) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return fetch(t, http.MethodGet, f.srv.URL+path)
}

func fetch(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// mustGet fetches path and fails unless it answers 200.
func (f *fixture) mustGet(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, body := f.get(t, path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
	}
	return resp, body
}

// node is an element of an HTML page, parsed leniently by encoding/xml
// (the pages are ours, so they are well formed enough for it).
type node struct {
	Name     string
	Attr     map[string]string
	Children []*node
	Text     string // the element's own text, for leaves
}

func parseHTML(t *testing.T, page string) *node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(page))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	root := &node{Name: "#document"}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parse HTML: %v\n%s", err, page)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{Name: strings.ToLower(tok.Name.Local), Attr: map[string]string{}}
			for _, a := range tok.Attr {
				n.Attr[a.Name.Local] = a.Value
			}
			top.Children = append(top.Children, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			top.Children = append(top.Children, &node{Name: "#text", Text: string(tok)})
		}
	}
	return root
}

// text returns the visible text of n, spaces collapsed.
func (n *node) text() string {
	var b strings.Builder
	var walk func(*node)
	walk = func(n *node) {
		switch n.Name {
		case "#text":
			b.WriteString(n.Text)
			return
		case "style", "title", "head":
			return
		}
		block := blocks[n.Name]
		if block {
			b.WriteString(" ")
		}
		for _, c := range n.Children {
			walk(c)
		}
		if block {
			b.WriteString(" ")
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// blocks are the elements a browser shows apart from their neighbours.
var blocks = map[string]bool{"br": true, "li": true, "p": true, "td": true, "th": true, "tr": true, "dt": true,
	"dd": true, "h1": true, "h2": true, "summary": true, "pre": true, "blockquote": true, "caption": true,
	"div": true, "section": true, "nav": true, "details": true, "ul": true, "ol": true, "dl": true}

// all returns the elements named name under n, in document order.
func (n *node) all(name string) []*node {
	var out []*node
	for _, c := range n.Children {
		if c.Name == name {
			out = append(out, c)
		}
		out = append(out, c.all(name)...)
	}
	return out
}

// first returns the first element named name under n, or fails.
func (n *node) first(t *testing.T, name string) *node {
	t.Helper()
	all := n.all(name)
	if len(all) == 0 {
		t.Fatalf("no <%s> in the page", name)
	}
	return all[0]
}

func refOf(list string, n int) storage.ProposalRef { return storage.ProposalRef{List: list, Number: n} }

// testEvent builds a timeline event: for kind "status" detail is the new
// status; otherwise the reason, with " (refused: why)" for a command that
// did not count.
func testEvent(kind, from, detail string, at time.Time) storage.ProposalEvent {
	e := storage.ProposalEvent{Kind: kind, From: from, At: at}
	if kind == storage.EventStatus {
		e.Status = consensus.Status(detail)
		return e
	}
	reason, why, refused := strings.Cut(detail, " (refused: ")
	e.Reason = reason
	if refused {
		e.Refusal = strings.TrimSuffix(why, ")")
	}
	return e
}

// The meetings settleAtMeetings adds: when they start (UTC).
var (
	pastMeeting = time.Date(2026, 11, 24, 17, 30, 0, 0, time.UTC) // 18 h 30 in Paris
	nextMeeting = time.Date(2026, 12, 8, 17, 30, 0, 0, time.UTC)
	janMeeting  = time.Date(2027, 1, 12, 17, 0, 0, 0, time.UTC)
)

// settleAtMeetings gives jardin@lists.test what meetings leave
// (docs/meetings.md): #6, blocked, then rejected at the past meeting; #7,
// blocked, then adopted there; #8, blocked and postponed by it. The
// list has three meetings (one past, two to come); the private
// secret@lists.test has one that no public output may show. It returns
// jardin's meetings, earliest first.
func (f *fixture) settleAtMeetings(t *testing.T) []storage.Meeting {
	t.Helper()
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC) }
	ev := testEvent
	settle := func(n int, title string, opened time.Time, st consensus.Status, note string) {
		p := proposal("jardin@lists.test", n, title, "alice@example.org", "Texte de la proposition "+title+".", opened)
		p.Objections = []consensus.Objection{{Member: "bob@example.org", Reason: "à discuter", At: opened.Add(time.Hour)}}
		p.Replies = 1
		events := []storage.ProposalEvent{ev("status", "alice@example.org", "open", opened),
			ev("object", "bob@example.org", "à discuter", opened.Add(time.Hour)), ev("status", "", "blocked", p.Deadline),
			ev(string(consensus.EventSettle), "", note, pastMeeting)}
		p.Status, p.Decided, p.MeetingNote = consensus.StatusBlocked, p.Deadline, note
		if st == consensus.StatusBlocked {
			p.Postponed = 1
		} else {
			p.Status, p.Decided, p.DecidedBy = st, pastMeeting, consensus.ByMeeting
			events = append(events, ev("status", "", string(st), pastMeeting))
		}
		f.decide(t, p, events...)
	}
	settle(6, "Repeindre le portail", day(16), consensus.StatusRejected, "trop cher cette année")
	settle(7, "Installer un composteur", day(17), consensus.StatusAdopted, "vote à main levée")
	settle(8, "Changer de serrure", day(18), consensus.StatusBlocked, "à revoir en janvier")

	for _, m := range []storage.Meeting{
		{List: "jardin@lists.test", At: nextMeeting, Place: "Maison du libre", Title: "Assemblée de décembre", Created: day(20), By: "cli"},
		{List: "secret@lists.test", At: nextMeeting, Place: "Salle confidentielle", Title: "Bureau confidentiel", Created: day(20), By: "cli"},
		{List: "jardin@lists.test", At: pastMeeting, Place: "Salle des fêtes", Created: day(10), By: "cli"},
		{List: "jardin@lists.test", At: janMeeting, Created: day(20), By: "alice@example.org"},
	} {
		if _, err := f.store.AddMeeting(m); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := f.store.Meetings("jardin@lists.test")
	if err != nil {
		t.Fatal(err)
	}
	return ms
}
