package register

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
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

// The CSV and JSON say how each decision was taken, and a meeting's
// outcome in words.
func TestMeetingOutcomesInCSVAndJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.settleAtMeetings(t)
	_, body := f.mustGet(t, "/lists/jardin/decisions.csv")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := recs[0]
	if head[len(head)-1] != "decided_by" || head[15] != "author_name" {
		t.Errorf("decided_by must be the last column, after the old ones: %q", head)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	byNumber := map[string][]string{}
	for _, r := range recs[1:] {
		if len(r) != len(head) {
			t.Errorf("record of %d cells, header of %d", len(r), len(head))
		}
		byNumber[r[0]] = r
	}
	for n, want := range map[string][3]string{
		"6": {"rejected", "rejetée", "meeting"},
		"7": {"adopted", "adoptée en réunion", "meeting"},
		"8": {"blocked", "bloquée", ""},
		"1": {"adopted", "adoptée", ""},
	} {
		r := byNumber[n]
		if got := [3]string{r[col["status"]], r[col["status_label"]], r[col["decided_by"]]}; got != want {
			t.Errorf("#%s: status, label, decided_by %q, want %q", n, got, want)
		}
	}
	if got := byNumber["6"][col["decided"]]; got != "2026-11-24T17:30:00Z" {
		t.Errorf("#6 decided %q", got)
	}

	_, body = f.mustGet(t, "/lists/jardin/decisions.json?lang=en")
	var doc struct {
		Proposals []struct {
			Number      int
			Status      consensus.Status
			StatusLabel string  `json:"status_label"`
			DecidedBy   *string `json:"decided_by"`
			MeetingNote *string `json:"meeting_note"`
			Postponed   int
		}
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	type want struct {
		status    consensus.Status
		label, by string
		note      string
		postponed int
	}
	wants := map[int]want{
		8: {consensus.StatusBlocked, "blocked", "", "à revoir en janvier", 1},
		7: {consensus.StatusAdopted, "adopted at a meeting", "meeting", "vote à main levée", 0},
		6: {consensus.StatusRejected, "rejected", "meeting", "trop cher cette année", 0},
		5: {consensus.StatusOpen, "open", "", "", 0},
	}
	for _, p := range doc.Proposals {
		if p.DecidedBy == nil || p.MeetingNote == nil {
			t.Errorf("#%d: decided_by or meeting_note missing: always there, \"\" when none", p.Number)
			continue
		}
		w, ok := wants[p.Number]
		if !ok {
			continue
		}
		if p.Status != w.status || p.StatusLabel != w.label || *p.DecidedBy != w.by || *p.MeetingNote != w.note || p.Postponed != w.postponed {
			t.Errorf("#%d: %s %q %q %q %d, want %+v", p.Number, p.Status, p.StatusLabel, *p.DecidedBy, *p.MeetingNote, p.Postponed, w)
		}
	}
}

// The Atom feed has an entry per meeting's outcome, titled like the
// notices ([REJETÉE #6], [ADOPTÉE EN RÉUNION #7]), whose summary says how
// it was decided.
func TestMeetingOutcomesInAtom(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.settleAtMeetings(t)
	type entry struct {
		ID       string `xml:"http://www.w3.org/2005/Atom id"`
		Title    string `xml:"http://www.w3.org/2005/Atom title"`
		Updated  string `xml:"http://www.w3.org/2005/Atom updated"`
		Summary  string `xml:"http://www.w3.org/2005/Atom summary"`
		Category struct {
			Term  string `xml:"term,attr"`
			Label string `xml:"label,attr"`
		} `xml:"http://www.w3.org/2005/Atom category"`
	}
	type atomFeed struct {
		Updated string  `xml:"http://www.w3.org/2005/Atom updated"`
		Entries []entry `xml:"http://www.w3.org/2005/Atom entry"`
	}
	read := func(path string) atomFeed {
		t.Helper()
		_, body := f.mustGet(t, path)
		var feed atomFeed
		d := xml.NewDecoder(strings.NewReader(body))
		d.Strict = true
		if err := d.Decode(&feed); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return feed
	}
	feed := read("/lists/jardin/decisions.atom")
	if len(feed.Entries) != 6 || feed.Updated != "2026-11-24T17:30:00Z" {
		t.Fatalf("%d entries updated %s, want 6 outcomes, the latest the meeting's", len(feed.Entries), feed.Updated)
	}
	nb := func(s string) string { return strings.ReplaceAll(s, "\u00a0", " ") }
	for i, w := range []struct{ title, term, label, summary string }{
		{"[ADOPTÉE EN RÉUNION #7] Installer un composteur", "adopted", "adoptée en réunion",
			"Statut : adoptée en réunion : « vote à main levée » — 1 réponse : aucun soutien, 1 objection"},
		{"[REJETÉE #6] Repeindre le portail", "rejected", "rejetée",
			"Statut : rejetée en réunion : « trop cher cette année » — 1 réponse : aucun soutien, 1 objection"},
		{"[BLOQUÉE #8] Changer de serrure", "blocked", "bloquée",
			"Statut : bloquée, reportée lors de 1 réunion : « à revoir en janvier » — 1 réponse : aucun soutien, 1 objection"},
	} {
		e := feed.Entries[i]
		if e.Title != w.title || e.Category.Term != w.term || e.Category.Label != w.label || nb(e.Summary) != w.summary {
			t.Errorf("entry %d:\n got %q %q %q %q\nwant %q %q %q %q", i, e.Title, e.Category.Term, e.Category.Label, nb(e.Summary),
				w.title, w.term, w.label, w.summary)
		}
	}
	if e := feed.Entries[1]; e.ID != "tag:lists.test,2026-01-15:jardin/decisions/6" || e.Updated != "2026-11-24T17:30:00Z" {
		t.Errorf("rejected entry %q %q", e.ID, e.Updated)
	}

	feed = read("/lists/jardin/decisions.atom?lang=en")
	if feed.Entries[0].Title != "[ADOPTED AT A MEETING #7] Installer un composteur" || feed.Entries[1].Title != "[REJECTED #6] Repeindre le portail" ||
		feed.Entries[1].Summary != "Status: rejected at a meeting: “trop cher cette année” — 1 reply: no supports, 1 objection" {
		t.Errorf("English entries %+v", feed.Entries[:2])
	}

	// Decided after tacit recorded how: adopted in silence, or once the
	// last objection was lifted; withdrawn by its author.
	for _, c := range []struct {
		n      int
		status consensus.Status
		by     string
	}{{9, consensus.StatusAdopted, consensus.BySilence}, {10, consensus.StatusAdopted, consensus.ByLift},
		{11, consensus.StatusWithdrawn, consensus.ByWithdrawal}} {
		p := proposal("jardin@lists.test", c.n, "Décision "+c.by, "alice@example.org", "x", now.Add(-5*24*time.Hour))
		p.Status, p.Decided, p.DecidedBy = c.status, now.Add(-time.Duration(c.n)*time.Hour), c.by
		f.decide(t, p)
	}
	feed = read("/lists/jardin/decisions.atom")
	for i, want := range []string{"Statut : adoptée sans objection à l'échéance — aucune réponse",
		"Statut : adoptée après la levée de la dernière objection — aucune réponse",
		"Statut : retirée par son auteur — aucune réponse"} {
		if got := nb(feed.Entries[i].Summary); got != want {
			t.Errorf("entry %d (%s): summary %q, want %q", i, feed.Entries[i].Title, got, want)
		}
	}
}

// Every meeting of the list is an event of decisions.ics, beside the
// deadlines: a stable UID, its start, its title and place.
func TestMeetingsInICS(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.settleAtMeetings(t)
	_, body := f.mustGet(t, "/lists/jardin/decisions.ics")
	cal, err := ical.NewDecoder(strings.NewReader(body)).Decode()
	if err != nil {
		t.Fatalf("go-ical: %v\n%s", err, body)
	}
	events := cal.Events()
	if len(events) != 5 {
		t.Fatalf("%d events, want the 2 open deadlines and the list's 3 meetings", len(events))
	}
	if uid, _ := events[0].Props.Text(ical.PropUID); uid != "proposal-5.jardin@lists.test" {
		t.Errorf("first event %q, want the deadlines first", uid)
	}
	want := []struct {
		summary, location string
		start             time.Time
	}{
		{"Réunion de Jardin partagé", "Salle des fêtes", pastMeeting},
		{"Réunion\u00a0: Assemblée de décembre", "Maison du libre", nextMeeting},
		{"Réunion de Jardin partagé", "", janMeeting},
	}
	for i, e := range events[2:] {
		uid, _ := e.Props.Text(ical.PropUID)
		summary, _ := e.Props.Text(ical.PropSummary)
		location, _ := e.Props.Text(ical.PropLocation)
		start, err := e.DateTimeStart(time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if wantUID := "meeting-" + strconv.FormatUint(ms[i].ID, 10) + ".jardin@lists.test"; uid != wantUID {
			t.Errorf("meeting %d: UID %q, want %q", i, uid, wantUID)
		}
		if summary != want[i].summary || location != want[i].location || !start.Equal(want[i].start) {
			t.Errorf("meeting %d: %q %q %v, want %+v", i, summary, location, start, want[i])
		}
		if (e.Props.Get(ical.PropLocation) != nil) != (want[i].location != "") {
			t.Errorf("meeting %d: LOCATION %v", i, e.Props.Get(ical.PropLocation))
		}
		if u := e.Props.Get(ical.PropURL); u == nil || u.Value != f.srv.URL+"/lists/jardin/decisions" {
			t.Errorf("meeting %d: URL %v", i, u)
		}
	}
	if strings.Contains(body, "confidentiel") || strings.Contains(body, "Bureau") {
		t.Error("the calendar shows a private list's meeting")
	}

	// In English; and the UIDs stay when a meeting is added.
	if _, err := f.store.AddMeeting(storage.Meeting{List: "jardin@lists.test", At: janMeeting.Add(30 * 24 * time.Hour), Title: "Février"}); err != nil {
		t.Fatal(err)
	}
	_, body = f.mustGet(t, "/lists/jardin/decisions.ics?lang=en")
	cal, err = ical.NewDecoder(strings.NewReader(body)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	events = cal.Events()
	var summaries, uids []string
	for _, e := range events[2:] {
		s, _ := e.Props.Text(ical.PropSummary)
		u, _ := e.Props.Text(ical.PropUID)
		summaries, uids = append(summaries, s), append(uids, u)
	}
	if got := strings.Join(summaries, "|"); got != "Meeting of Jardin partagé|Meeting: Assemblée de décembre|Meeting of Jardin partagé|Meeting: Février" {
		t.Errorf("English summaries %q", got)
	}
	for i, m := range ms {
		if uids[i] != "meeting-"+strconv.FormatUint(m.ID, 10)+".jardin@lists.test" {
			t.Errorf("UID of meeting %d became %q", m.ID, uids[i])
		}
	}
}
