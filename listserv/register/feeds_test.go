package register

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"tacit/consensus"
	"tacit/storage"
)

func TestCSV(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp, body := f.mustGet(t, "/lists/jardin/decisions.csv")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv; charset=utf-8") {
		t.Errorf("Content-Type %q", ct)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	// The columns of old come first, in their order; new ones follow.
	if got := strings.Join(recs[0], ","); got != "number,title,author,status,status_label,opened,deadline,decided,objections,supports,replies,url,"+
		"amended,amended_at,unpositioned,author_name,decided_by" {
		t.Errorf("header %q", got)
	}
	if len(recs) != 6 {
		t.Fatalf("%d records, want a header and 5 proposals", len(recs))
	}
	want := [][]string{
		{"5", `Budget 2027, étape 1; "bœuf" \ légumes`, "dave@e…", "open", "en cours", "2026-11-30T10:00:00Z", "2026-12-03T10:00:00Z", "", "0", "0", "0", f.srv.URL + "/lists/jardin/decisions/5", "false", "", "0", "", ""},
		{"4", "Planter des tomates", "carol@e…", "open", "en cours", "2026-11-28T10:00:00Z", "2026-12-05T08:30:00Z", "", "0", "1", "0", f.srv.URL + "/lists/jardin/decisions/4", "true", "2026-11-30T08:30:00Z", "0", "", ""},
		{"2", "Repeindre la cabane en rose", "alice@e…", "blocked", "bloquée", "2026-11-09T10:00:00Z", "2026-11-12T10:00:00Z", "2026-11-12T10:00:00Z", "1", "0", "1", f.srv.URL + "/lists/jardin/decisions/2", "false", "", "0", "", ""},
	}
	for i, row := range [][]string{recs[1], recs[2], recs[4]} {
		if strings.Join(row, "|") != strings.Join(want[i], "|") {
			t.Errorf("record\n got %q\nwant %q", row, want[i])
		}
	}
	if !strings.HasSuffix(body, "\r\n") || strings.Count(body, "\r\n") != 6 {
		t.Error("CSV lines must end with CRLF (RFC 4180)")
	}
	if strings.Contains(body, "confidentiel") {
		t.Error("the CSV shows a private proposal")
	}
}

func TestCSVCellsNeverStartFormulas(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := proposal("garden@other.test", 3, `=HYPERLINK("http://evil.test","click")`, "erin@example.org", "x", now)
	f.decide(t, p)
	_, body := f.mustGet(t, "/lists/garden/decisions.csv")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[1][1]; got != `'=HYPERLINK("http://evil.test","click")` {
		t.Errorf("title cell %q, want it quoted with an apostrophe", got)
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp, body := f.mustGet(t, "/lists/jardin/decisions.json?lang=en")
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	var doc struct {
		List, Name, URL string
		Proposals       []struct {
			Number      int
			Title       string
			Status      consensus.Status
			StatusLabel string `json:"status_label"`
			Opened      time.Time
			Deadline    time.Time
			Decided     *time.Time
			Objections  []consensus.Objection
			Supports    []consensus.Support
			Versions    []consensus.Version
			URL         string
		}
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, body)
	}
	if doc.List != "jardin@lists.test" || doc.Name != "Jardin partagé" || doc.URL != f.srv.URL+"/lists/jardin/decisions" {
		t.Errorf("list %q %q %q", doc.List, doc.Name, doc.URL)
	}
	if len(doc.Proposals) != 5 {
		t.Fatalf("%d proposals, want 5", len(doc.Proposals))
	}
	var numbers []int
	for _, p := range doc.Proposals {
		numbers = append(numbers, p.Number)
	}
	if numbers[0] != 5 || numbers[4] != 1 {
		t.Errorf("order %v, want newest first", numbers)
	}
	blocked := doc.Proposals[3]
	if blocked.Status != consensus.StatusBlocked || blocked.StatusLabel != "blocked" || blocked.Decided == nil ||
		!blocked.Decided.Equal(time.Date(2026, 11, 12, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("blocked proposal %+v", blocked)
	}
	if len(blocked.Objections) != 1 || blocked.Objections[0].Reason != "trop cher pour cette année" || blocked.Objections[0].Member != "bob@e…" {
		t.Errorf("objections %+v", blocked.Objections)
	}
	if open := doc.Proposals[1]; open.Decided != nil || len(open.Versions) != 2 || open.Objections == nil {
		t.Errorf("open amended proposal: decided %v, %d versions, objections %v (want null, 2, [])", open.Decided, len(open.Versions), open.Objections)
	}
}

func TestICSParsesAsOneEventPerOpenDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp, body := f.mustGet(t, "/lists/jardin/decisions.ics")
	if ct := resp.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	// RFC 5545 3.1: CRLF line ends, lines of at most 75 octets.
	if !strings.HasSuffix(body, "END:VCALENDAR\r\n") {
		t.Error("the calendar does not end with END:VCALENDAR CRLF")
	}
	folded := 0
	for i, line := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 75 {
			t.Errorf("line %d is %d octets long: %q", i+1, len(line), line)
		}
		if strings.HasPrefix(line, " ") {
			folded++
		}
	}
	if folded == 0 {
		t.Error("the long description was not folded")
	}

	cal, err := ical.NewDecoder(strings.NewReader(body)).Decode()
	if err != nil {
		t.Fatalf("go-ical: %v\n%s", err, body)
	}
	events := cal.Events()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2 (the open proposals #5 and #4)", len(events))
	}
	want := []struct {
		uid, summary string
		start        time.Time
	}{
		{"proposal-5.jardin@lists.test", "Échéance de la proposition #5\u00a0: Budget 2027, étape 1; \"bœuf\" \\ légumes",
			time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)},
		{"proposal-4.jardin@lists.test", "Échéance de la proposition #4\u00a0: Planter des tomates (amendée)",
			time.Date(2026, 12, 5, 8, 30, 0, 0, time.UTC)},
	}
	for i, e := range events {
		uid, _ := e.Props.Text(ical.PropUID)
		summary, err := e.Props.Text(ical.PropSummary)
		if err != nil {
			t.Fatal(err)
		}
		start, err := e.DateTimeStart(time.Local)
		if err != nil {
			t.Fatal(err)
		}
		if uid != want[i].uid || summary != want[i].summary || !start.Equal(want[i].start) || start.Location() != time.UTC {
			t.Errorf("event %d: UID %q SUMMARY %q DTSTART %v, want %q %q %v UTC", i, uid, summary, start, want[i].uid, want[i].summary, want[i].start)
		}
		if raw := e.Props.Get(ical.PropDateTimeStart).Value; !strings.HasSuffix(raw, "Z") {
			t.Errorf("DTSTART %q is not in UTC", raw)
		}
		stamp, err := e.Props.DateTime(ical.PropDateTimeStamp, time.UTC)
		if err != nil || !stamp.Equal(now) {
			t.Errorf("DTSTAMP %v %v, want %v", stamp, err, now)
		}
		if u := e.Props.Get(ical.PropURL); u == nil || u.Value != f.srv.URL+"/lists/jardin/decisions/"+strings.TrimPrefix(strings.Split(uid, ".")[0], "proposal-") {
			t.Errorf("event %d URL %v", i, u)
		}
	}
	desc, _ := events[0].Props.Text(ical.PropDescription)
	if !strings.Contains(desc, "\n\nUne phrase accentuée, longue; très longue. Une phrase") || !strings.HasSuffix(desc, "Fin.\n\n"+f.srv.URL+"/lists/jardin/decisions/5") {
		t.Errorf("DESCRIPTION after unfolding and unescaping:\n%q", desc)
	}
	if seq := events[1].Props.Get(ical.PropSequence); seq == nil || seq.Value != "1" {
		t.Errorf("the amended proposal's SEQUENCE %v, want 1", seq)
	}
	if name, _ := cal.Props.Text("X-WR-CALNAME"); name != "Décisions de Jardin partagé" {
		t.Errorf("calendar name %q", name)
	}

	// The UIDs stay the same when the calendar is fetched again later.
	_, again := f.mustGet(t, "/lists/jardin/decisions.ics")
	if again != body {
		t.Error("the same calendar, fetched twice, differs")
	}
}

func TestICSEscapesAndFoldsWithoutBreakingCharacters(t *testing.T) {
	t.Parallel()
	var iw icsWriter
	value := icsText("a,b;c\\d\r\ne\nf") + strings.Repeat("é", 60)
	iw.line("SUMMARY", value)
	out := iw.buf.String()
	if !strings.HasPrefix(out, `SUMMARY:a\,b\;c\\d\ne\nf`) {
		t.Errorf("escaping: %q", out)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(l) > 75 || !utf8Valid(l) {
			t.Errorf("line %q: %d octets", l, len(l))
		}
	}
	unfolded := strings.ReplaceAll(out, "\r\n ", "")
	if unfolded != "SUMMARY:"+value+"\r\n" {
		t.Errorf("unfolding does not give the line back: %q", unfolded)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// readAuthor and readLink are an Atom person and link as the test reads
// them (its own types, not the writer's).
type readAuthor struct {
	Name string `xml:"http://www.w3.org/2005/Atom name"`
}

type readLink struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
}

// atom is the part of RFC 4287 the tests check.
type atom struct {
	XMLName xml.Name     `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string       `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID      string       `xml:"http://www.w3.org/2005/Atom id"`
	Title   string       `xml:"http://www.w3.org/2005/Atom title"`
	Updated string       `xml:"http://www.w3.org/2005/Atom updated"`
	Author  []readAuthor `xml:"http://www.w3.org/2005/Atom author"`
	Links   []readLink   `xml:"http://www.w3.org/2005/Atom link"`
	Entries []struct {
		ID      string       `xml:"http://www.w3.org/2005/Atom id"`
		Title   string       `xml:"http://www.w3.org/2005/Atom title"`
		Updated string       `xml:"http://www.w3.org/2005/Atom updated"`
		Author  []readAuthor `xml:"http://www.w3.org/2005/Atom author"`
		Links   []readLink   `xml:"http://www.w3.org/2005/Atom link"`
		Content string       `xml:"http://www.w3.org/2005/Atom content"`
	} `xml:"http://www.w3.org/2005/Atom entry"`
}

func TestAtomFeedOfOutcomes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp, body := f.mustGet(t, "/lists/jardin/decisions.atom")
	if ct := resp.Header.Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	var feed atom
	d := xml.NewDecoder(strings.NewReader(body))
	d.Strict = true
	if err := d.Decode(&feed); err != nil {
		t.Fatalf("Atom: %v\n%s", err, body)
	}
	rfc3339 := func(what, s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Errorf("%s %q is not an RFC 3339 date", what, s)
		}
		return tm
	}
	// Required by RFC 4287 4.1.1: id, title, updated; an author (here
	// on every entry and on the feed); a self link is recommended.
	if feed.ID != "tag:lists.test,2026-01-15:jardin/decisions" || feed.Title != "Décisions de Jardin partagé" || feed.Lang != "fr" {
		t.Errorf("feed id %q title %q lang %q", feed.ID, feed.Title, feed.Lang)
	}
	if up := rfc3339("feed updated", feed.Updated); !up.Equal(time.Date(2026, 11, 13, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("feed updated %v, want the latest outcome", up)
	}
	if len(feed.Author) != 1 || feed.Author[0].Name == "" {
		t.Errorf("feed author %+v", feed.Author)
	}
	rels := map[string]string{}
	for _, l := range feed.Links {
		rels[l.Rel] = l.Href
	}
	if rels["self"] != f.srv.URL+"/lists/jardin/decisions.atom" || rels["alternate"] != f.srv.URL+"/lists/jardin/decisions" {
		t.Errorf("feed links %v", rels)
	}
	want := []struct{ id, title, updated string }{
		{"tag:lists.test,2026-01-15:jardin/decisions/3", "[RETIRÉE #3] Fermer le jardin en août", "2026-11-13T10:00:00Z"},
		{"tag:lists.test,2026-01-15:jardin/decisions/2", "[BLOQUÉE #2] Repeindre la cabane en rose", "2026-11-12T10:00:00Z"},
		{"tag:lists.test,2026-01-15:jardin/decisions/1", "[ADOPTÉE #1] Acheter une tondeuse", "2026-11-05T10:00:00Z"},
	}
	if len(feed.Entries) != len(want) {
		t.Fatalf("%d entries, want the 3 outcomes (open proposals are no outcome)", len(feed.Entries))
	}
	for i, e := range feed.Entries {
		rfc3339("entry updated", e.Updated)
		if e.ID != want[i].id || e.Title != want[i].title || e.Updated != want[i].updated {
			t.Errorf("entry %d: %q %q %q, want %+v", i, e.ID, e.Title, e.Updated, want[i])
		}
		if len(e.Author) != 1 || e.Author[0].Name == "" || len(e.Links) != 1 || e.Links[0].Rel != "alternate" {
			t.Errorf("entry %d: author %+v links %+v", i, e.Author, e.Links)
			continue
		}
		// The link leads to the proposal's page.
		if resp, page := fetch(t, http.MethodGet, e.Links[0].Href); resp.StatusCode != http.StatusOK ||
			!strings.Contains(page, strings.SplitN(want[i].title, "] ", 2)[1]) {
			t.Errorf("entry %d links to %s: %s", i, e.Links[0].Href, resp.Status)
		}
	}
	if feed.Entries[1].Content != "Du rose, partout." {
		t.Errorf("content %q", feed.Entries[1].Content)
	}

	// An open proposal that gets adopted enters the feed with the same
	// id forms, newest first.
	p, err := f.store.Proposal(refOf("jardin@lists.test", 5))
	if err != nil {
		t.Fatal(err)
	}
	p.Status, p.Decided = consensus.StatusAdopted, p.Deadline
	f.decide(t, p)
	_, body = f.mustGet(t, "/lists/jardin/decisions.atom?lang=en")
	var after atom
	if err := xml.Unmarshal([]byte(body), &after); err != nil {
		t.Fatal(err)
	}
	if len(after.Entries) != 4 || after.Entries[0].ID != "tag:lists.test,2026-01-15:jardin/decisions/5" ||
		after.Entries[1].ID != want[0].id || after.Entries[0].Updated != "2026-12-03T10:00:00Z" || after.Updated != "2026-12-03T10:00:00Z" ||
		!strings.HasPrefix(after.Entries[0].Title, "[ADOPTED #5] ") || after.Lang != "en" {
		t.Errorf("after #5 is adopted: %+v", after)
	}
}

func TestAtomFeedWithoutOutcomesIsValid(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.store.CreateList(storage.List{Address: "vide@lists.test", PublicRegister: true, Created: t0}); err != nil {
		t.Fatal(err)
	}
	f.decide(t, proposal("vide@lists.test", 1, "Encore ouverte", "alice@example.org", "x", now))
	_, body := f.mustGet(t, "/lists/vide/decisions.atom")
	var feed atom
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatal(err)
	}
	if len(feed.Entries) != 0 || feed.ID != "tag:lists.test,2026-01-15:vide/decisions" || feed.Updated != "2026-01-15T09:00:00Z" ||
		feed.Title != "Décisions de vide" {
		t.Errorf("feed without outcomes %+v", feed)
	}
}
