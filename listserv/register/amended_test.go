package register

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"tacit/consensus"
	"tacit/storage"
)

// The amended proposal of vote@lists.test: opened on 20 November with a
// deadline three days later (23 November, 11 h in Paris), amended on 22
// November with a deadline of 4 December, 18 h in Paris.
var (
	voteOpened   = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	voteFirst    = voteOpened.Add(72 * time.Hour) // 2026-11-23T10:00:00Z
	voteAmended  = time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	voteDeadline = time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)
)

const (
	voteFirstText   = "La fête le 28 novembre, au jardin."
	voteCurrentText = "La fête le 5 décembre, à la salle des fêtes."
	// voteHidden is the domain of an address a supporter's client put
	// in its display name: no output may show it.
	voteHidden = "hidden.test"
)

// newVoteFixture adds the public list vote@lists.test to the fixture:
//
//   - #1 open, amended once (the deadline moved from voteFirst to
//     voteDeadline), with named people, 3 replies (2 supports, 1
//     objection, 1 reply without position) and a deadline line that was
//     not understood;
//   - #2 amended then adopted, for the Atom feed;
//   - #3 open, never amended, without replies.
//
// first, when set, is called after #1 is stored in its first version
// only, before it is amended; the fixture's server already answers.
func newVoteFixture(t *testing.T, first func(*fixture)) *fixture {
	t.Helper()
	f := newFixture(t)
	if err := f.store.CreateList(storage.List{Address: "vote@lists.test", Name: "Vote", PublicRegister: true, Created: t0}); err != nil {
		t.Fatal(err)
	}
	ev := testEvent
	p := consensus.NewProposal(consensus.Draft{List: "vote@lists.test", Number: 1, Author: "carol@example.org",
		AuthorName: "Carol Martin", Title: "Choisir la date de la fête", MessageID: "<fete@example.org>",
		Text: voteFirstText, Received: voteOpened, Requested: voteFirst, Min: time.Hour,
		DeadlineUnread: "Échéance : à la Saint-Glinglin"})
	f.decide(t, p, ev("status", "carol@example.org", "open", voteOpened))
	if first != nil {
		first(f)
	}
	day := voteOpened.Add(24 * time.Hour)
	p.Supports = []consensus.Support{{Member: "alice@example.org", Name: "Alice Dupont", At: day},
		{Member: "bob@example.org", Name: "\"dan@" + voteHidden + "\"", At: day}}
	p.Objections = []consensus.Objection{{Member: "erin@example.org", Name: "Érin Kerjean", Reason: "trop tôt", At: day}}
	p.Replies, p.Unpositioned = 3, 1
	p.Versions = append(p.Versions, consensus.Version{Text: voteCurrentText, At: voteAmended, Deadline: voteDeadline})
	p.Deadline = voteDeadline
	f.decide(t, p, ev("support", "alice@example.org", "", day), ev("support", "bob@example.org", "", day),
		ev("object", "erin@example.org", "trop tôt", day), ev("reply", "frank@example.org", "", day),
		ev("amend", "carol@example.org", "", voteAmended))

	// #2: amended on 3 November (deadline 4 → 8 November), adopted on 8.
	p = consensus.NewProposal(consensus.Draft{List: "vote@lists.test", Number: 2, Author: "carol@example.org",
		AuthorName: "Carol Martin", Title: "Acheter des lampions", MessageID: "<lampions@example.org>",
		Text: "Dix lampions.", Received: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC),
		Requested: time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC), Min: time.Hour})
	adopted := time.Date(2026, 11, 8, 10, 0, 0, 0, time.UTC)
	p.Versions = append(p.Versions, consensus.Version{Text: "Vingt lampions.", At: time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC), Deadline: adopted})
	p.Deadline, p.Status, p.Decided, p.Replies = adopted, consensus.StatusAdopted, adopted, 1
	p.Supports = []consensus.Support{{Member: "alice@example.org", Name: "Alice Dupont", At: adopted.Add(-time.Hour)}}
	f.decide(t, p)

	f.decide(t, proposal("vote@lists.test", 3, "Ranger la cabane", "bob@example.org", "Samedi.", now))
	return f
}

func TestAmendedProposalOnTheRegisterPage(t *testing.T) {
	t.Parallel()
	f := newVoteFixture(t, nil)
	_, body := f.mustGet(t, "/lists/vote/decisions")
	rows := parseHTML(t, body).first(t, "tbody").all("tr")
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	want := []string{
		"3 Ranger la cabane en cours bob@e… 1er décembre 2026 à 13 h 4 décembre 2026 à 13 h — aucune réponse",
		"2 Acheter des lampions amendée le 3 novembre 2026 à 11 h : échéance déplacée du 4 novembre 2026 à 11 h au 8 novembre 2026 à 11 h " +
			"adoptée Carol Martin (carol@e…) 1er novembre 2026 à 11 h 8 novembre 2026 à 11 h 8 novembre 2026 à 11 h 1 réponse : 1 soutien, aucune objection",
		"1 Choisir la date de la fête amendée le 22 novembre 2026 à 16 h : échéance déplacée du 23 novembre 2026 à 11 h au 4 décembre 2026 à 18 h " +
			"en cours Carol Martin (carol@e…) 20 novembre 2026 à 11 h 4 décembre 2026 à 18 h — " +
			"3 réponses : 2 soutiens, 1 objection, 1 réponse sans position : lisez-les avant d'agir",
	}
	for i, r := range rows {
		if got := r.text(); got != want[i] {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got, want[i])
		}
	}
	// The first version's deadline is only told as where the deadline
	// moved from, never as a <time> of the row.
	for _, tm := range rows[2].all("time") {
		if tm.Attr["datetime"] == voteFirst.Format(time.RFC3339) {
			t.Errorf("the row of #1 shows the first deadline as a date: %v", tm.Attr)
		}
	}
	cells := rows[2].all("td")
	if d := cells[4].first(t, "time").Attr["datetime"]; d != "2026-12-04T17:00:00Z" {
		t.Errorf("deadline cell <time datetime=%q>, want the current deadline", d)
	}

	_, body = f.mustGet(t, "/lists/vote/decisions?lang=en")
	text := parseHTML(t, body).first(t, "tbody").text()
	for _, s := range []string{
		"amended on 22 November 2026 at 16:00: deadline moved from 23 November 2026 at 11:00 to 4 December 2026 at 18:00",
		"3 replies: 2 supports, 1 objection, 1 reply without position: read them before acting",
		"1 reply: 1 support, no objections", "no replies",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("the English register lacks %q:\n%s", s, text)
		}
	}
}

func TestAmendedProposalPage(t *testing.T) {
	t.Parallel()
	f := newVoteFixture(t, nil)
	_, body := f.mustGet(t, "/lists/vote/decisions/1")
	doc := parseHTML(t, body)
	if h1 := doc.first(t, "h1").text(); h1 != "Proposition n° 1 : Choisir la date de la fête (amendée)" {
		t.Errorf("h1 %q", h1)
	}
	if !strings.Contains(body, "<title>Proposition n° 1\u00a0: Choisir la date de la fête (amendée)</title>") {
		t.Error("the page's <title> does not say amended")
	}
	main := doc.first(t, "main")
	text := main.text()
	for _, s := range []string{
		"(amendée) en cours Cette proposition est en cours jusqu'au vendredi 4 décembre 2026 à 18 h : encore 3 jours. " +
			"1 objection est en cours : si elle n'est pas levée d'ici là, la proposition sera bloquée. " +
			"Amendée le dimanche 22 novembre 2026 à 16 h : échéance déplacée du lundi 23 novembre 2026 à 11 h au vendredi 4 décembre 2026 à 18 h.",
		"Auteur Carol Martin (carol@e…)",
		"Échéance vendredi 4 décembre 2026 à 18 h échéance non comprise : « Échéance : à la Saint-Glinglin » ; l'échéance par défaut s'applique",
		"Participation 3 réponses : 2 soutiens, 1 objection, 1 réponse sans position : lisez-les avant d'agir",
		"Texte de la proposition En vigueur : Amendement 1, reçu le dimanche 22 novembre 2026 à 16 h. " + voteCurrentText,
		"Érin Kerjean (erin@e…), samedi 21 novembre 2026 à 11 h trop tôt",
		"Alice Dupont (alice@e…), samedi 21 novembre 2026 à 11 h bob@e…, samedi 21 novembre 2026 à 11 h",
		"Versions Amendement 1 (en vigueur) — dimanche 22 novembre 2026 à 16 h échéance : vendredi 4 décembre 2026 à 18 h " + voteCurrentText +
			" Texte d'origine — vendredi 20 novembre 2026 à 11 h échéance fixée alors : lundi 23 novembre 2026 à 11 h " + voteFirstText,
		"Carol Martin (carol@e…) a amendé sa proposition ; l'échéance repart.",
		"Alice Dupont (alice@e…) l'a soutenue.",
		"frank@e… a répondu sur la liste, sans prendre position.",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("the amended proposal's page lacks %q:\n%s", s, text)
		}
	}
	// The facts give the current deadline; the first one is no <time>
	// outside the versions.
	var facts *node
	for _, dl := range main.all("dl") {
		if dl.Attr["class"] == "facts" {
			facts = dl
		}
	}
	if facts == nil {
		t.Fatal("no facts")
	}
	var times []string
	for _, tm := range facts.all("time") {
		times = append(times, tm.Attr["datetime"])
	}
	if strings.Join(times, " ") != "2026-11-20T10:00:00Z 2026-12-04T17:00:00Z" {
		t.Errorf("the facts' dates %v, want the opening and the current deadline", times)
	}
	var shown string
	for _, div := range main.all("div") {
		if div.Attr["class"] == "text" && shown == "" {
			shown = div.text()
		}
	}
	if shown != voteCurrentText {
		t.Errorf("the text shown first is %q, want the current one", shown)
	}
	if strings.Contains(body, voteHidden) {
		t.Error("a display name holding an address is shown")
	}

	// A proposal never amended, without a deadline problem.
	_, body = f.mustGet(t, "/lists/vote/decisions/3")
	text = parseHTML(t, body).first(t, "main").text()
	if strings.Contains(text, "amendée") || strings.Contains(text, "non comprise") || !strings.Contains(text, "Participation aucune réponse") {
		t.Errorf("proposal #3:\n%s", text)
	}
}

func TestAmendedProposalInCSVAndJSON(t *testing.T) {
	t.Parallel()
	f := newVoteFixture(t, nil)
	_, body := f.mustGet(t, "/lists/vote/decisions.csv")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	for _, c := range []struct {
		rec                                                  []string
		deadline, amended, amendedAt, unpositioned, authorNm string
	}{
		{recs[3], "2026-12-04T17:00:00Z", "true", "2026-11-22T15:00:00Z", "1", "Carol Martin"},
		{recs[2], "2026-11-08T10:00:00Z", "true", "2026-11-03T10:00:00Z", "0", "Carol Martin"},
		{recs[1], "2026-12-04T12:00:00Z", "false", "", "0", ""},
	} {
		got := []string{c.rec[col["deadline"]], c.rec[col["amended"]], c.rec[col["amended_at"]], c.rec[col["unpositioned"]], c.rec[col["author_name"]]}
		want := []string{c.deadline, c.amended, c.amendedAt, c.unpositioned, c.authorNm}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("#%s: deadline, amended, amended_at, unpositioned, author_name = %q, want %q", c.rec[0], got, want)
		}
	}
	if strings.Contains(body, voteFirst.Format(time.RFC3339)) {
		t.Error("the CSV shows the first version's deadline")
	}

	_, body = f.mustGet(t, "/lists/vote/decisions.json")
	var doc struct {
		Proposals []struct {
			Number       int
			Author       string
			AuthorName   string `json:"author_name"`
			Deadline     time.Time
			Amended      bool
			AmendedAt    *string `json:"amended_at"`
			Unpositioned *int
			Replies      int
			Objections   []struct{ Member, Name, Reason string }
			Supports     []struct{ Member, Name string }
			Versions     []consensus.Version
		}
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, body)
	}
	p := doc.Proposals[2]
	if p.Number != 1 || !p.Deadline.Equal(voteDeadline) || !p.Amended || p.AmendedAt == nil || *p.AmendedAt != "2026-11-22T15:00:00Z" ||
		p.Unpositioned == nil || *p.Unpositioned != 1 || p.Replies != 3 || p.Author != "carol@e…" || p.AuthorName != "Carol Martin" {
		t.Errorf("#1 in JSON: %+v", p)
	}
	if n := len(p.Versions); n != 2 || p.Versions[1].Text != voteCurrentText || !p.Versions[1].Deadline.Equal(voteDeadline) ||
		!p.Versions[0].Deadline.Equal(voteFirst) {
		t.Errorf("#1's versions %+v, want the original then the current one", p.Versions)
	}
	if len(p.Objections) != 1 || p.Objections[0].Name != "Érin Kerjean" || p.Objections[0].Member != "erin@e…" ||
		len(p.Supports) != 2 || p.Supports[0].Name != "Alice Dupont" || p.Supports[1].Name != "" || p.Supports[1].Member != "bob@e…" {
		t.Errorf("#1's people %+v %+v", p.Objections, p.Supports)
	}
	if p := doc.Proposals[0]; p.Amended || p.AmendedAt == nil || *p.AmendedAt != "" || p.Unpositioned == nil || *p.Unpositioned != 0 {
		t.Errorf("#3, never amended: amended %v, amended_at %v, unpositioned %v", p.Amended, p.AmendedAt, p.Unpositioned)
	}
}

// TestNamesHideNoAddress reads every output of vote@lists.test, whose
// people have display names (one of them an address): names are there,
// addresses are not.
func TestNamesHideNoAddress(t *testing.T) {
	t.Parallel()
	f := newVoteFixture(t, nil)
	for _, suffix := range []string{"", ".csv", ".json", ".ics", ".atom", "/1", "/2", "/3"} {
		for _, lang := range []string{"", "?lang=en"} {
			path := "/lists/vote/decisions" + suffix + lang
			_, body := f.mustGet(t, path)
			body = strings.ReplaceAll(body, "\r\n ", "")
			for _, d := range []string{"example.org", voteHidden} {
				if strings.Contains(body, d) {
					t.Errorf("%s shows %s", path, d)
				}
			}
			if suffix != ".ics" && suffix != "/3" && !strings.Contains(body, "Carol Martin") {
				t.Errorf("%s does not name the author", path)
			}
		}
	}
}

func TestAmendedProposalInCalendar(t *testing.T) {
	t.Parallel()
	var before string
	f := newVoteFixture(t, func(f *fixture) { _, before = f.mustGet(t, "/lists/vote/decisions.ics") })
	_, after := f.mustGet(t, "/lists/vote/decisions.ics")
	event := func(body string) *ical.Event {
		t.Helper()
		cal, err := ical.NewDecoder(strings.NewReader(body)).Decode()
		if err != nil {
			t.Fatalf("go-ical: %v\n%s", err, body)
		}
		for _, e := range cal.Events() {
			if uid, _ := e.Props.Text(ical.PropUID); uid == "proposal-1.vote@lists.test" {
				return &e
			}
		}
		t.Fatalf("no event of #1:\n%s", body)
		return nil
	}
	old, cur := event(before), event(after)
	for _, c := range []struct {
		e                      *ical.Event
		start, seq, modified   string
		text, notText, amended string
	}{
		{old, "20261123T100000Z", "0", "20261120T100000Z", voteFirstText, voteCurrentText, ""},
		{cur, "20261204T170000Z", "1", "20261122T150000Z", voteCurrentText, voteFirstText,
			"Amendée le 22 novembre 2026 à 16 h : échéance déplacée du 23 novembre 2026 à 11 h au 4 décembre 2026 à 18 h."},
	} {
		if got := c.e.Props.Get(ical.PropDateTimeStart).Value; got != c.start {
			t.Errorf("DTSTART %s, want %s", got, c.start)
		}
		if summary, _ := c.e.Props.Text(ical.PropSummary); strings.HasSuffix(summary, " (amendée)") != (c.amended != "") {
			t.Errorf("SUMMARY %q", summary)
		}
		if got := c.e.Props.Get(ical.PropSequence).Value; got != c.seq {
			t.Errorf("SEQUENCE %s, want %s", got, c.seq)
		}
		if got := c.e.Props.Get(ical.PropLastModified).Value; got != c.modified {
			t.Errorf("LAST-MODIFIED %s, want %s", got, c.modified)
		}
		desc, _ := c.e.Props.Text(ical.PropDescription)
		desc = strings.ReplaceAll(desc, "\u00a0", " ")
		if !strings.Contains(desc, c.text) || strings.Contains(desc, c.notText) || (c.amended != "") != strings.Contains(desc, "Amendée") ||
			!strings.Contains(desc, c.amended) {
			t.Errorf("DESCRIPTION %q: want %q, %q, not %q", desc, c.text, c.amended, c.notText)
		}
	}
	if strings.Contains(after, "Carol") || strings.Contains(after, voteHidden) {
		t.Error("the calendar names someone")
	}
}

func TestAmendedProposalInAtom(t *testing.T) {
	t.Parallel()
	f := newVoteFixture(t, nil)
	_, body := f.mustGet(t, "/lists/vote/decisions.atom")
	var feed struct {
		Entries []struct {
			Title   string `xml:"http://www.w3.org/2005/Atom title"`
			Updated string `xml:"http://www.w3.org/2005/Atom updated"`
			Author  string `xml:"http://www.w3.org/2005/Atom author>name"`
			Summary string `xml:"http://www.w3.org/2005/Atom summary"`
			Content string `xml:"http://www.w3.org/2005/Atom content"`
		} `xml:"http://www.w3.org/2005/Atom entry"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatal(err)
	}
	if len(feed.Entries) != 1 {
		t.Fatalf("%d entries, want the one outcome", len(feed.Entries))
	}
	e := feed.Entries[0]
	summary := strings.ReplaceAll(e.Summary, "\u00a0", " ")
	if e.Title != "[ADOPTÉE #2] Acheter des lampions" || e.Updated != "2026-11-08T10:00:00Z" || e.Author != "Carol Martin (carol@e…)" ||
		e.Content != "Vingt lampions." {
		t.Errorf("entry %+v", e)
	}
	if want := "Statut : adoptée — 1 réponse : 1 soutien, aucune objection — amendée le 3 novembre 2026 à 11 h : " +
		"échéance déplacée du 4 novembre 2026 à 11 h au 8 novembre 2026 à 11 h"; summary != want {
		t.Errorf("summary\n got %q\nwant %q", summary, want)
	}
}

func TestParticipationInWords(t *testing.T) {
	t.Parallel()
	nb := func(s string) string { return strings.ReplaceAll(s, " : ", "\u00a0: ") }
	for _, c := range []struct {
		replies, supports, objections, unpositioned int
		fr, en                                      string
	}{
		{0, 0, 0, 0, "aucune réponse", "no replies"},
		{1, 1, 0, 0, nb("1 réponse : 1 soutien, aucune objection"), "1 reply: 1 support, no objections"},
		{2, 0, 1, 0, nb("2 réponses : aucun soutien, 1 objection"), "2 replies: no supports, 1 objection"},
		{3, 2, 1, 1, nb("3 réponses : 2 soutiens, 1 objection, 1 réponse sans position : lisez-les avant d'agir"),
			"3 replies: 2 supports, 1 objection, 1 reply without position: read them before acting"},
		{5, 0, 2, 2, nb("5 réponses : aucun soutien, 2 objections, 2 réponses sans position : lisez-les avant d'agir"),
			"5 replies: no supports, 2 objections, 2 replies without position: read them before acting"},
		{0, 1, 0, 0, nb("aucune réponse : 1 soutien, aucune objection"), "no replies: 1 support, no objections"},
	} {
		p := consensus.Proposal{Replies: c.replies, Unpositioned: c.unpositioned,
			Supports: make([]consensus.Support, c.supports), Objections: make([]consensus.Objection, c.objections)}
		if got := french.participation(p); got != c.fr {
			t.Errorf("fr %+v: %q, want %q", c, got, c.fr)
		}
		if got := english.participation(p); got != c.en {
			t.Errorf("en %+v: %q, want %q", c, got, c.en)
		}
	}
}

func TestPersonLeadsWithTheName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, addr, want string }{
		{"Alice Dupont", "alice@example.org", "Alice Dupont (alice@e…)"},
		{"", "alice@example.org", "alice@e…"},
		{"  Alice\r\n  Dupont ", "alice@example.org", "Alice Dupont (alice@e…)"},
		{`"Alice Dupont"`, "alice@example.org", "Alice Dupont (alice@e…)"},
		{"Alice\u202e Dupont", "alice@example.org", "Alice Dupont (alice@e…)"},
		{"alice@example.org", "alice@example.org", "alice@e…"},
		{"Alice (alice＠example.org)", "alice@example.org", "alice@e…"},
		{strings.Repeat("é", 100), "a@b.c", strings.Repeat("é", maxName-1) + "… (a@b…)"},
	} {
		if got := person(c.name, c.addr); got != c.want {
			t.Errorf("person(%q, %q) = %q, want %q", c.name, c.addr, got, c.want)
		}
	}
}
