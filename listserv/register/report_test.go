package register

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"tacit/consensus"
	"tacit/internal/browsertest"
	"tacit/storage"
)

// reportNow is the clock of the report's tests: the default period runs
// from 2 December 2025 to 1 December 2026.
var reportNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// reportFixture is a real store with:
//
//   - asso@lists.test, public, French: one proposal decided each way
//     (silence, lift, meeting adopted, meeting rejected, withdrawal), one
//     blocked and postponed, one open, one decided in 2025;
//   - bornes@lists.test, public: proposals decided at the edges of March
//     2026 in Paris, for the period filter;
//   - prive@lists.test, private, with a decision.
type reportFixture struct {
	store *storage.Store
	srv   *httptest.Server
	paris *time.Location
}

func newReportFixture(t *testing.T) *reportFixture {
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
	f := &reportFixture{store: s, paris: paris}
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, l := range []storage.List{
		{Address: "asso@lists.test", Name: "Les Jardins de la Butte", PublicRegister: true, Created: created},
		{Address: "bornes@lists.test", Name: "Bornes", PublicRegister: true, Created: created},
		{Address: "prive@lists.test", Name: "Bureau", Created: created},
	} {
		if err := s.CreateList(l); err != nil {
			t.Fatal(err)
		}
	}
	f.populateAsso(t)
	f.populateBornes(t)
	p := reportDrive(reportDraft("prive@lists.test", 1, "Secret du bureau", reportDay(3, 1)), reportTick(reportDay(3, 5)))
	f.save(t, p)
	h := Handler(Options{Store: s, Domain: "lists.test", Language: "fr", Location: paris,
		Now: func() time.Time { return reportNow }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// reportDay is 10:00 UTC on a day of 2026.
func reportDay(month time.Month, d int) time.Time {
	return time.Date(2026, month, d, 10, 0, 0, 0, time.UTC)
}

// reportDraft opens proposal n of list at opened, with a deadline three
// days later.
func reportDraft(list string, n int, title string, opened time.Time) consensus.Proposal {
	return consensus.NewProposal(consensus.Draft{List: list, Number: n, Author: "alice@example.org",
		AuthorName: "Alice Martin", Title: title, MessageID: "<p" + strconv.Itoa(n) + "@example.org>",
		Text: "Le texte.", Received: opened, Requested: opened.Add(72 * time.Hour), Min: time.Hour})
}

// reportDrive applies events to p as the engine does, each at its own time.
func reportDrive(p consensus.Proposal, events ...consensus.Event) consensus.Proposal {
	for _, e := range events {
		p, _ = consensus.Apply(p, e, e.At)
	}
	return p
}

func reportTick(at time.Time) consensus.Event {
	return consensus.Event{Kind: consensus.EventTick, At: at}
}

// reportMember is an event of a member of the list.
func reportMember(kind consensus.EventKind, from, reason string, at time.Time) consensus.Event {
	return consensus.Event{Kind: kind, From: from, Member: true, Reason: reason, At: at}
}

// reportSettle is a meeting's decision.
func reportSettle(outcome, note string, at time.Time) consensus.Event {
	return consensus.Event{Kind: consensus.EventSettle, From: "owner@example.org", Outcome: outcome, Reason: note, At: at}
}

func (f *reportFixture) save(t *testing.T, p consensus.Proposal) {
	t.Helper()
	if err := f.store.Decide([]storage.ProposalUpdate{{Proposal: p}}, nil); err != nil {
		t.Fatal(err)
	}
}

func (f *reportFixture) populateAsso(t *testing.T) {
	const list = "asso@lists.test"
	reply := func(from string, at time.Time) consensus.Event {
		return reportMember(consensus.EventReply, from, "", at)
	}
	object := func(p consensus.Proposal, at time.Time) consensus.Proposal {
		return reportDrive(p, reply("bob@example.org", at), reportMember(consensus.EventObject, "bob@example.org", "pas assez de bénévoles", at))
	}
	for _, p := range []consensus.Proposal{
		// 1: adopted at its deadline; two replies, one support, one
		// reply without position.
		reportDrive(reportDraft(list, 1, "Acheter une tondeuse", reportDay(3, 2)), reply("carol@example.org", reportDay(3, 3)),
			reportMember(consensus.EventSupport, "carol@example.org", "", reportDay(3, 3)),
			consensus.Event{Kind: consensus.EventReply, From: "dave@example.org", Member: true, NoPosition: true, At: reportDay(3, 4)},
			reportTick(reportDay(3, 6))),
		// 2: blocked, then adopted when Bob lifted his objection.
		reportDrive(object(reportDraft(list, 2, "Repeindre la cabane", reportDay(4, 1)), reportDay(4, 2)),
			reportTick(reportDay(4, 5)), reportMember(consensus.EventLift, "bob@example.org", "", reportDay(4, 10))),
		// 3: blocked, adopted at a meeting.
		reportDrive(object(reportDraft(list, 3, "Ouvrir le jardin le dimanche", reportDay(5, 1)), reportDay(5, 2)), reportTick(reportDay(5, 5)),
			reportSettle(consensus.SettleAdopted, "vote à main levée, 12 pour", reportDay(6, 1))),
		// 4: blocked, rejected at a meeting.
		reportDrive(object(reportDraft(list, 4, "Vendre la serre", reportDay(5, 2)), reportDay(5, 3)), reportTick(reportDay(5, 6)),
			reportSettle(consensus.SettleRejected, "trop tôt pour en décider", reportDay(6, 1))),
		// 5: withdrawn by its author.
		reportDrive(reportDraft(list, 5, "Fermer en août", reportDay(7, 1)),
			reportMember(consensus.EventWithdraw, "alice@example.org", "", reportDay(7, 2))),
		// 6: blocked, postponed by a meeting: pending.
		reportDrive(object(reportDraft(list, 6, "Installer des ruches", reportDay(8, 1)), reportDay(8, 2)), reportTick(reportDay(8, 5)),
			reportSettle(consensus.SettlePostponed, "attendre l'avis de l'apiculteur", reportDay(9, 1))),
		// 7: open.
		reportDraft(list, 7, "Planter des tomates", reportDay(11, 28)),
		// 8: adopted in 2025.
		reportDrive(reportDraft(list, 8, "Adopter les statuts", reportDay(3, 1).AddDate(-1, 0, 0)), reportTick(reportDay(3, 10).AddDate(-1, 0, 0))),
	} {
		f.save(t, p)
	}
}

// populateBornes stores proposals decided around March 2026 in Paris
// (UTC+1, then UTC+2 from 29 March): A just before it, B at its first
// instant, C at its last minute, D just after; E blocked in it, F blocked
// after it, G open.
func (f *reportFixture) populateBornes(t *testing.T) {
	mk := func(n int, st consensus.Status, decided time.Time) consensus.Proposal {
		p := reportDraft("bornes@lists.test", n, "Borne "+string(rune('A'+n-1)), decided.Add(-96*time.Hour))
		p.Status, p.Decided = st, decided
		if st == consensus.StatusAdopted {
			p.DecidedBy = consensus.BySilence
		}
		return p
	}
	for _, p := range []consensus.Proposal{
		mk(1, consensus.StatusAdopted, time.Date(2026, 2, 28, 22, 59, 0, 0, time.UTC)),
		mk(2, consensus.StatusAdopted, time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC)),
		mk(3, consensus.StatusAdopted, time.Date(2026, 3, 31, 21, 59, 0, 0, time.UTC)),
		mk(4, consensus.StatusAdopted, time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC)),
		mk(5, consensus.StatusBlocked, time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)),
		mk(6, consensus.StatusBlocked, time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)),
		reportDraft("bornes@lists.test", 7, "Borne G", reportDay(3, 10)),
	} {
		f.save(t, p)
	}
}

// report writes the report of list over from–to (YYYY-MM-DD, "" for
// the default) in format and lang.
func (f *reportFixture) report(t *testing.T, list, from, to, format, lang string) string {
	t.Helper()
	l, err := f.store.List(list)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := f.store.Proposals(list)
	if err != nil {
		t.Fatal(err)
	}
	period, err := ParsePeriod(from, to, reportNow, f.paris)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteReport(&b, format, ReportOptions{List: l, Proposals: ps, Period: period, Lang: lang,
		Location: f.paris, Now: reportNow}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// readReportJSON decodes a report in JSON.
func readReportJSON(t *testing.T, s string) reportJSON {
	t.Helper()
	var doc reportJSON
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("the JSON report does not parse: %v\n%s", err, s)
	}
	return doc
}

func reportNumbers(items []reportItem) []int {
	out := []int{}
	for _, it := range items {
		out = append(out, it.Number)
	}
	return out
}

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, paris) }
	for _, c := range []struct {
		name, from, to string
		want           Period
		err            string
	}{
		{name: "default: the last twelve months", want: Period{at(2025, 12, 2), at(2026, 12, 2)}},
		{name: "a year", from: "2026-01-01", to: "2026-12-31", want: Period{at(2026, 1, 1), at(2027, 1, 1)}},
		{name: "one day", from: "2026-03-29", to: "2026-03-29", want: Period{at(2026, 3, 29), at(2026, 3, 30)}},
		{name: "from alone ends today", from: "2026-06-01", want: Period{at(2026, 6, 1), at(2026, 12, 2)}},
		{name: "to alone: twelve months before", to: "2026-02-28", want: Period{at(2025, 3, 1), at(2026, 3, 1)}},
		{name: "not a date", from: "01/03/2026", err: `from "01/03/2026": want a date written YYYY-MM-DD`},
		{name: "no such day", to: "2026-02-30", err: `to "2026-02-30"`},
		{name: "backwards", from: "2026-05-01", to: "2026-04-30", err: "from 2026-05-01 is after to 2026-04-30"},
	} {
		got, err := ParsePeriod(c.from, c.to, reportNow, paris)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want %q", c.name, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err == "" && (!got.From.Equal(c.want.From) || !got.To.Equal(c.want.To)):
			t.Errorf("%s: %v – %v, want %v – %v", c.name, got.From, got.To, c.want.From, c.want.To)
		}
	}
}

// TestReportPeriodFilter: a decision belongs to the period when it was
// taken from the first instant of its first day to the last of its last
// day, in the server's timezone; a blocked proposal waits in every
// period that ends after it was blocked.
func TestReportPeriodFilter(t *testing.T) {
	t.Parallel()
	f := newReportFixture(t)
	for _, c := range []struct {
		name, from, to     string
		decisions, pending []int
	}{
		{"March", "2026-03-01", "2026-03-31", []int{2, 3}, []int{5}},
		{"its first day", "2026-03-01", "2026-03-01", []int{2}, []int{}},
		{"the last day of February", "2026-02-28", "2026-02-28", []int{1}, []int{}},
		{"from April on", "2026-04-01", "", []int{4}, []int{5, 6}},
		{"twelve months to February", "", "2026-02-28", []int{1}, []int{}},
		{"the last twelve months", "", "", []int{1, 2, 3, 4}, []int{5, 6}},
		{"the year before", "2025-01-01", "2025-12-31", []int{}, []int{}},
	} {
		doc := readReportJSON(t, f.report(t, "bornes@lists.test", c.from, c.to, "json", ""))
		if got := reportNumbers(doc.Decisions); !slices.Equal(got, c.decisions) {
			t.Errorf("%s: decisions %v, want %v", c.name, got, c.decisions)
		}
		if got := reportNumbers(doc.Pending); !slices.Equal(got, c.pending) {
			t.Errorf("%s: pending %v, want %v", c.name, got, c.pending)
		}
		if doc.Summary.Decisions != len(c.decisions) || doc.Summary.Pending != len(c.pending) {
			t.Errorf("%s: summary %+v", c.name, doc.Summary)
		}
	}
}

// TestReportOutcomes follows each way a proposal is decided, driven by
// the engine, through the JSON and text reports in both languages.
func TestReportOutcomes(t *testing.T) {
	t.Parallel()
	f := newReportFixture(t)
	fr := readReportJSON(t, f.report(t, "asso@lists.test", "2026-01-01", "2026-12-31", "json", ""))
	en := readReportJSON(t, f.report(t, "asso@lists.test", "2026-01-01", "2026-12-31", "json", "en"))
	text := f.report(t, "asso@lists.test", "2026-01-01", "2026-12-31", "text", "")
	textEN := f.report(t, "asso@lists.test", "2026-01-01", "2026-12-31", "text", "en")
	if got := reportNumbers(fr.Decisions); !slices.Equal(got, []int{1, 2, 3, 4, 5}) {
		t.Fatalf("decisions %v, want #1–#5 in the order they were taken", got)
	}
	for i, c := range []struct {
		status                   consensus.Status
		outcome, way             string
		frOutcome, frWay, enWay  string
		note, frParticipation    string
		enOutcome, enParticipate string
	}{
		{consensus.StatusAdopted, reportAdopted, consensus.BySilence, "adoptée", "sans objection à l'échéance",
			"without objection at the deadline", "", "2 réponses : 1 soutien, aucune objection, 1 réponse sans position",
			"adopted", "2 replies: 1 support, no objections, 1 reply without position"},
		{consensus.StatusAdopted, reportAdopted, consensus.ByLift, "adoptée", "après la levée de la dernière objection",
			"after the last objection was lifted", "", "1 réponse : aucun soutien, aucune objection", "adopted",
			"1 reply: no supports, no objections"},
		{consensus.StatusAdopted, reportAtMeeting, consensus.ByMeeting, "adoptée en réunion", "en réunion", "at a meeting",
			"vote à main levée, 12 pour", "1 réponse : aucun soutien, 1 objection", "adopted at a meeting",
			"1 reply: no supports, 1 objection"},
		{consensus.StatusRejected, reportRejected, consensus.ByMeeting, "rejetée en réunion", "en réunion", "at a meeting",
			"trop tôt pour en décider", "1 réponse : aucun soutien, 1 objection", "rejected at a meeting",
			"1 reply: no supports, 1 objection"},
		{consensus.StatusWithdrawn, reportWithdrawn, consensus.ByWithdrawal, "retirée", "retirée par son auteur",
			"withdrawn by its author", "", "aucune réponse", "withdrawn", "no replies"},
	} {
		d, e := fr.Decisions[i], en.Decisions[i]
		frP := strings.ReplaceAll(d.Participation, "\u00a0", " ")
		if d.Status != c.status || d.Outcome != c.outcome || d.DecidedBy != c.way || d.OutcomeLabel != c.frOutcome ||
			d.DecidedByLabel != c.frWay || d.MeetingNote != c.note || frP != c.frParticipation {
			t.Errorf("#%d in French: %+v", d.Number, d)
		}
		if e.OutcomeLabel != c.enOutcome || e.DecidedByLabel != c.enWay || e.Participation != c.enParticipate {
			t.Errorf("#%d in English: %q %q %q", e.Number, e.OutcomeLabel, e.DecidedByLabel, e.Participation)
		}
		if d.Author != "alice@e…" || d.AuthorName != "Alice Martin" || d.Decided.IsZero() || d.Opened.IsZero() {
			t.Errorf("#%d: author %q %q, opened %v, decided %v", d.Number, d.Author, d.AuthorName, d.Opened, d.Decided)
		}
		for _, want := range []string{c.frOutcome, c.frWay, c.note} {
			if !strings.Contains(text, want) {
				t.Errorf("the text report lacks %q for #%d", want, d.Number)
			}
		}
		if !strings.Contains(textEN, c.enWay) {
			t.Errorf("the English text lacks %q", c.enWay)
		}
	}
	wantOutcomes := map[string]int{reportAdopted: 2, reportAtMeeting: 1, reportRejected: 1, reportWithdrawn: 1}
	wantWays := map[string]int{consensus.BySilence: 1, consensus.ByLift: 1, consensus.ByMeeting: 2, consensus.ByWithdrawal: 1}
	if !reportCountsEqual(fr.Summary.ByOutcome, wantOutcomes) || !reportCountsEqual(fr.Summary.ByWay, wantWays) {
		t.Errorf("summary %+v", fr.Summary)
	}
	if len(fr.Pending) != 1 || fr.Pending[0].Number != 6 || fr.Pending[0].Postponed != 1 ||
		fr.Pending[0].MeetingNote != "attendre l'avis de l'apiculteur" || len(fr.Pending[0].Standing) != 1 ||
		fr.Pending[0].Standing[0].Member != "bob@e…" || fr.Pending[0].Outcome != reportPending {
		t.Errorf("pending %+v", fr.Pending)
	}
	for _, want := range []string{"Relevé de décisions — Les Jardins de la Butte", "Liste asso@lists.test",
		"Du 1er janvier 2026 au 31 décembre 2026", "5 décisions, 1 proposition en attente.",
		"adoptées en réunion", "retirées par leur auteur", "N° 1   Acheter une tondeuse",
		"Auteur : Alice Martin (alice@e…)", "Ouverte le 2 mars 2026, décidée le 5 mars 2026",
		"Note de la réunion : « vote à main levée, 12 pour »", "En attente\n==========",
		"Ouverte le 1er août 2026, bloquée le 4 août 2026", "Réunions : reportée une fois en réunion",
		"Objection : bob@e… — pas assez de bénévoles"} {
		if !strings.Contains(strings.ReplaceAll(text, "\u00a0", " "), want) {
			t.Errorf("the text report lacks %q:\n%s", want, text)
		}
	}
	for _, absent := range []string{"Planter des tomates", "Adopter les statuts", "carol", "dave"} {
		if strings.Contains(text, absent) || strings.Contains(textEN, absent) {
			t.Errorf("the report shows %q", absent)
		}
	}
	if !strings.Contains(textEN, "Record of decisions — Les Jardins de la Butte") ||
		!strings.Contains(textEN, "From 1 January 2026 to 31 December 2026") {
		t.Errorf("the English text:\n%s", textEN)
	}
}

func reportCountsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// TestReportTextFitsATerminal: long titles, words longer than a line and
// wide characters stay within 80 columns.
func TestReportTextFitsATerminal(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Une proposition au titre très long, ", 6)
	for i, title := range []string{long, "http://example.org/" + strings.Repeat("x", 150), strings.Repeat("議案", 60), "court"} {
		p := reportDrive(reportDraft("l@lists.test", i+1, title, reportDay(2, 1)), reportTick(reportDay(2, 5)))
		p.AuthorName = strings.Repeat("Nom ", 30)
		period, _ := ParsePeriod("2026-01-01", "2026-12-31", reportNow, nil)
		for _, lang := range []string{"fr", "en"} {
			var b bytes.Buffer
			err := WriteReport(&b, "text", ReportOptions{List: storage.List{Address: "l@lists.test", Name: long},
				Proposals: []consensus.Proposal{p}, Period: period, Lang: lang, Now: reportNow})
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(b.String(), "\n") {
				if n := textColumns(line); n > 80 {
					t.Errorf("a line of %d columns:\n%s", n, line)
				}
			}
			if !strings.Contains(strings.Join(strings.Fields(b.String()), ""), strings.Join(strings.Fields(title), "")) {
				t.Errorf("the title was lost:\n%s", b.String())
			}
		}
	}
}

// TestReportOverHTTP: the report of a public register over real HTTP,
// in HTML, CSV and JSON; 404 for a private or unknown list, exactly as
// the register; 400 for a bad date or format.
func TestReportOverHTTP(t *testing.T) {
	t.Parallel()
	f := newReportFixture(t)
	const path = "/lists/asso/report?from=2026-01-01&to=2026-12-31"
	resp, page := fetch(t, http.MethodGet, f.srv.URL+path)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %s %s", path, resp.Status, resp.Header.Get("Content-Type"))
	}
	doc := parseHTML(t, page)
	if h1 := doc.first(t, "h1").text(); h1 != "Relevé de décisions — Les Jardins de la Butte" {
		t.Errorf("h1 %q", h1)
	}
	if got := doc.first(t, "html").Attr["lang"]; got != "fr" {
		t.Errorf("lang %q", got)
	}
	entries := doc.all("article")
	if len(entries) != 6 {
		t.Errorf("%d entries, want 5 decisions and 1 pending", len(entries))
	}
	all := doc.text()
	for _, want := range []string{"Du 1er janvier 2026 au 31 décembre 2026", "adoptée en réunion",
		"après la levée de la dernière objection", "« vote à main levée, 12 pour »", "En attente",
		"bob@e… — pas assez de bénévoles"} {
		if !strings.Contains(strings.ReplaceAll(all, "\u00a0", " "), want) {
			t.Errorf("the page lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "Secret du bureau") {
		t.Error("the page has a script or a private title")
	}
	// The one stylesheet is allowed by its hash, and nothing else.
	css := page[strings.Index(page, "<style>")+len("<style>") : strings.Index(page, "</style>")]
	sum := sha256.Sum256([]byte(css))
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") ||
		!strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q does not allow the page's style", csp)
	}
	if a := doc.first(t, "article").first(t, "a").Attr["href"]; a != f.srv.URL+"/lists/asso/decisions/1" {
		t.Errorf("the first decision links to %q", a)
	}

	resp, body := fetch(t, http.MethodGet, f.srv.URL+path+"&format=csv")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `inline; filename="asso-report-2026-01-01-2026-12-31.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 7 || !slices.Equal(rows[0], reportCSVHeader) || !strings.Contains(body, "\r\n") {
		t.Fatalf("CSV: %v %d rows\n%s", err, len(rows), body)
	}
	if r := rows[3]; r[0] != "decision" || r[1] != "3" || r[6] != reportAtMeeting || r[8] != "meeting" ||
		r[17] != "vote à main levée, 12 pour" || r[19] != f.srv.URL+"/lists/asso/decisions/3" {
		t.Errorf("CSV row of #3: %q", r)
	}
	if r := rows[6]; r[0] != "pending" || r[1] != "6" || r[18] != "1" {
		t.Errorf("CSV row of #6: %q", r)
	}

	resp, body = fetch(t, http.MethodGet, f.srv.URL+path+"&format=json&lang=en")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("JSON: %s", resp.Status)
	}
	if doc := readReportJSON(t, body); doc.List != "asso@lists.test" || doc.From != "2026-01-01" || doc.To != "2026-12-31" ||
		doc.Lang != "en" || len(doc.Decisions) != 5 || doc.Decisions[4].OutcomeLabel != "withdrawn" {
		t.Errorf("JSON: %+v", doc)
	}

	_, unknown := fetch(t, http.MethodGet, f.srv.URL+"/lists/nosuch/report")
	for _, c := range []struct {
		path string
		code int
	}{
		{"/lists/prive/report", 404}, {"/lists/prive@lists.test/report?format=csv", 404},
		{"/lists/prive/report?from=nonsense", 404}, {"/lists/nosuch/report", 404},
		{"/lists/asso/report?from=2026-13-01", 400}, {"/lists/asso/report?format=pdf", 400},
		{"/lists/asso/report?from=2026-05-01&to=2026-04-01", 400}, {"/lists/asso/report", 200},
		{"/lists/bornes/report?lang=en", 200},
	} {
		resp, body := fetch(t, http.MethodGet, f.srv.URL+c.path)
		if resp.StatusCode != c.code {
			t.Errorf("GET %s: %s, want %d", c.path, resp.Status, c.code)
		}
		if c.code == 404 && body != unknown {
			t.Errorf("GET %s: a private list answers otherwise than an unknown one", c.path)
		}
	}
	if resp, _ := fetch(t, http.MethodHead, f.srv.URL+"/lists/asso/report"); resp.StatusCode != 200 {
		t.Errorf("HEAD: %s", resp.Status)
	}
}

// TestBrowserPrintsTheReport prints the HTML report to PDF in headless
// Chromium, on the paper its stylesheet asks for: A4 pages, with text,
// and, in print, no navigation, black on white, no decision cut by a
// page break. The PDF is kept as report.pdf among the artifacts, with a
// screenshot of the screen version (report-screen.png).
func TestBrowserPrintsTheReport(t *testing.T) {
	t.Parallel()
	b := browsertest.Start(t, 0, 0, 45*time.Second)
	f := newReportFixture(t)
	ctx := b.Ctx

	if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/lists/asso/report?from=2026-01-01&to=2026-12-31")); err != nil {
		t.Fatalf("open the report: %v", err)
	}
	// No paper size given: the stylesheet's @page decides.
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize()))
	if err != nil {
		t.Fatalf("print to PDF: %v", err)
	}
	browsertest.Keep(t, "report.pdf", pdf)
	checkA4(t, pdf)
	if n := pdfTextBytes(pdf); n == 0 {
		t.Error("the PDF holds no text")
	} else {
		t.Logf("%d bytes of text", n)
	}
	// And on a screen, for a person to look at.
	b.Shot("report-screen.png")

	// What print shows, read from the computed styles.
	printMedia := func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(ctx, printMedia); err != nil {
		t.Fatalf("emulate print: %v", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const s = (sel) => getComputedStyle(document.querySelector(sel));
		return [s("nav.links").display, s("body").color, s("body").backgroundColor,
			s("article.entry").breakInside, s(".outcome.rejected").color];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"none", "rgb(0, 0, 0)", "rgb(255, 255, 255)", "avoid", "rgb(0, 0, 0)"}
	if !slices.Equal(got, want) {
		t.Errorf("in print: %q, want %q (navigation, text, background, decisions, outcome)", got, want)
	}
}

// checkA4 fails unless every page of pdf is A4: 595 × 842 points, give or
// take a few.
func checkA4(t *testing.T, pdf []byte) {
	t.Helper()
	boxes := regexp.MustCompile(`/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]`).FindAllSubmatch(pdf, -1)
	if len(boxes) == 0 {
		t.Fatal("the PDF has no MediaBox")
	}
	for _, m := range boxes {
		var v [4]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(string(m[i+1]), 64)
		}
		w, h := v[2]-v[0], v[3]-v[1]
		if w < 592 || w > 598 || h < 839 || h > 845 {
			t.Errorf("a page of %.1f × %.1f points, not A4 (595 × 842)", w, h)
		}
	}
	t.Logf("%d A4 pages", len(boxes))
}

// pdfTextBytes counts the bytes of the strings shown by the text
// operators (Tj, TJ) of pdf's content streams, inflated.
func pdfTextBytes(pdf []byte) int {
	n := 0
	shown := regexp.MustCompile(`(<[0-9A-Fa-f]*>|\((?:\\.|[^\\)])*\))\s*Tj|\[((?:[^\]])*)\]\s*TJ`)
	strs := regexp.MustCompile(`<[0-9A-Fa-f]*>|\((?:\\.|[^\\)])*\)`)
	for rest := pdf; ; {
		i := bytes.Index(rest, []byte("stream"))
		if i < 0 {
			return n
		}
		rest = bytes.TrimLeft(rest[i+len("stream"):], "\r\n")
		end := bytes.Index(rest, []byte("endstream"))
		if end < 0 {
			return n
		}
		data := rest[:end]
		rest = rest[end+len("endstream"):]
		if z, err := zlib.NewReader(bytes.NewReader(data)); err == nil {
			if inflated, err := io.ReadAll(z); err == nil {
				data = inflated
			}
		}
		if !bytes.Contains(data, []byte("BT")) {
			continue
		}
		for _, m := range shown.FindAllSubmatch(data, -1) {
			for _, s := range strs.FindAll(m[0], -1) {
				n += len(s) - 2
			}
		}
	}
}
