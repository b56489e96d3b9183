package register

// The record of decisions (relevé de décisions) of one list over a
// period, for a general assembly (docs/meetings.md): every proposal decided
// in the period — adopted, rejected at a meeting, withdrawn — with how it
// was decided and who took part, and, apart, the blocked proposals still
// waiting. One model (reportRecord, its reportItems) is written four
// ways: text for a terminal, HTML that prints on A4, CSV and JSON.
// `tacit report` writes it with WriteReport; GET /lists/NAME/report
// serves it when the list's register is public.

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"tacit/consensus"
	"tacit/storage"
)

// Period is the span of a report: decisions taken from From (included)
// to To (excluded), both midnight in the timezone the dates were read in.
type Period struct {
	From, To time.Time
}

// reportDateLayout is how a report's dates are written on the command
// line and in the URL: 2026-12-01.
const reportDateLayout = "2006-01-02"

// ParsePeriod reads the dates of a report, YYYY-MM-DD in loc (nil: UTC),
// both days included. Without to, the period ends today (now's date in
// loc); without from, it starts twelve months before its end: the last
// twelve months.
func ParsePeriod(from, to string, now time.Time, loc *time.Location) (Period, error) {
	if loc == nil {
		loc = time.UTC
	}
	day := func(flag, s string, t *time.Time) error {
		if s == "" {
			return nil
		}
		d, err := time.ParseInLocation(reportDateLayout, s, loc)
		if err != nil {
			return fmt.Errorf("%s %q: want a date written YYYY-MM-DD, e.g. 2026-12-01", flag, s)
		}
		*t = d
		return nil
	}
	n := now.In(loc)
	last := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	if err := day("to", to, &last); err != nil {
		return Period{}, err
	}
	first := time.Date(last.Year()-1, last.Month(), last.Day()+1, 0, 0, 0, 0, loc)
	if err := day("from", from, &first); err != nil {
		return Period{}, err
	}
	if first.After(last) {
		return Period{}, fmt.Errorf("from %s is after to %s: the period ends before it starts",
			first.Format(reportDateLayout), last.Format(reportDateLayout))
	}
	return Period{From: first, To: time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, loc)}, nil
}

// lastDay is the period's last day, midnight in loc.
func (p Period) lastDay(loc *time.Location) time.Time {
	t := p.To.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day()-1, 0, 0, 0, 0, loc)
}

// ReportFormats are the formats of a report; the first is the command
// line's default.
var ReportFormats = []string{"text", "html", "csv", "json"}

// ReportOptions say which report WriteReport writes.
type ReportOptions struct {
	// List is the list; Proposals are its proposals, in any order.
	List      storage.List
	Proposals []consensus.Proposal
	Period    Period
	// Lang is "fr" or "en"; "" is the list's language, else French.
	Lang string
	// Location is the timezone dates are written in (nil: UTC); CSV and
	// JSON give RFC 3339 UTC times.
	Location *time.Location
	// Now is when the report is drawn up, as it says.
	Now time.Time
	// LineFeed ends CSV lines with LF alone, not RFC 4180's CRLF: for a
	// terminal, where a CR would be escaped.
	LineFeed bool

	// links are the page's links when it is served over HTTP.
	links *reportLinks
}

// reportLinks are the links of a report served on the web: proposal
// pages (Base + "/N", absolute) and, on screen only, the register, the
// other language and the other formats.
type reportLinks struct {
	Base, Register, OtherLang, CSV, JSON string
}

// WriteReport writes the record of decisions of o.List over o.Period in
// format ("text", "html", "csv" or "json").
func WriteReport(w io.Writer, format string, o ReportOptions) error {
	return newReportRecord(o).write(w, format)
}

// write writes the report in format.
func (r *reportRecord) write(w io.Writer, format string) error {
	var buf bytes.Buffer
	var err error
	switch format {
	case "text":
		r.writeText(&buf)
	case "html":
		err = reportPage.ExecuteTemplate(&buf, "page", r.htmlPage())
	case "csv":
		err = r.writeCSV(&buf)
	case "json":
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		err = enc.Encode(r.jsonDoc())
	default:
		err = fmt.Errorf("format %q: want text, html, csv or json", format)
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// The outcomes of a report, as CSV and JSON name them.
const (
	reportAdopted   = "adopted"
	reportAtMeeting = "adopted_at_meeting"
	reportRejected  = "rejected"
	reportWithdrawn = "withdrawn"
	reportPending   = "pending"
)

var (
	reportOutcomes = []string{reportAdopted, reportAtMeeting, reportRejected, reportWithdrawn}
	reportWays     = []string{consensus.BySilence, consensus.ByLift, consensus.ByMeeting, consensus.ByWithdrawal}
)

// reportWay says how p was decided: p.DecidedBy, or, for a proposal
// decided before tacit recorded it, what its status and dates tell (an
// adoption after the deadline came from a lifted objection).
func reportWay(p consensus.Proposal) string {
	if p.DecidedBy != "" {
		return p.DecidedBy
	}
	switch p.Status {
	case consensus.StatusWithdrawn:
		return consensus.ByWithdrawal
	case consensus.StatusRejected:
		return consensus.ByMeeting
	case consensus.StatusAdopted:
		if p.Decided.After(deadline(p)) {
			return consensus.ByLift
		}
		return consensus.BySilence
	}
	return ""
}

// reportOutcome names what became of p.
func reportOutcome(p consensus.Proposal) string {
	switch p.Status {
	case consensus.StatusAdopted:
		if reportWay(p) == consensus.ByMeeting {
			return reportAtMeeting
		}
		return reportAdopted
	case consensus.StatusRejected:
		return reportRejected
	case consensus.StatusWithdrawn:
		return reportWithdrawn
	}
	return reportPending
}

// reportRecord is one report: the decisions of the period, oldest
// first, the proposals still blocked, by number, and the counts.
type reportRecord struct {
	o                     ReportOptions
	loc                   *time.Location
	w                     *reportWords
	rw                    *words
	decisions, pending    []reportItem
	byOutcome, byWay      []reportCount
	heading, period, made string
}

// reportCount is one line of a table of counts.
type reportCount struct {
	Key, Label string
	N          int
}

func newReportRecord(o ReportOptions) *reportRecord {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Lang == "" {
		o.Lang = o.List.Lang
	}
	r := &reportRecord{o: o, loc: o.Location, w: reportWordsFor(o.Lang), rw: wordsFor(o.Lang)}
	r.heading = r.w.Title + " — " + listName(o.List)
	r.period = fmt.Sprintf(r.w.Period, r.day(o.Period.From), r.day(o.Period.lastDay(r.loc)))
	r.made = fmt.Sprintf(r.w.Made, r.rw.shortDate(o.Now, r.loc))
	var decided, pending []consensus.Proposal
	for _, p := range o.Proposals {
		switch {
		case p.Status == consensus.StatusBlocked && p.Decided.Before(o.Period.To):
			// Blocked before the period ended and still waiting now,
			// however long ago it was blocked.
			pending = append(pending, p)
		case p.Status.Terminal() && !p.Decided.IsZero() && !p.Decided.Before(o.Period.From) && p.Decided.Before(o.Period.To):
			decided = append(decided, p)
		}
	}
	slices.SortFunc(decided, func(a, b consensus.Proposal) int {
		if c := a.Decided.Compare(b.Decided); c != 0 {
			return c
		}
		return a.Number - b.Number
	})
	slices.SortFunc(pending, func(a, b consensus.Proposal) int { return a.Number - b.Number })
	n := map[string]int{}
	for _, p := range decided {
		r.decisions = append(r.decisions, r.item("decision", p))
		n[reportOutcome(p)]++
		n["by:"+reportWay(p)]++
	}
	for _, p := range pending {
		r.pending = append(r.pending, r.item(reportPending, p))
	}
	for _, k := range reportOutcomes {
		r.byOutcome = append(r.byOutcome, reportCount{k, r.w.outcomeRows[k], n[k]})
	}
	for _, k := range reportWays {
		r.byWay = append(r.byWay, reportCount{k, r.w.wayRows[k], n["by:"+k]})
	}
	return r
}

// reportItem is one proposal of the report: what CSV and JSON give
// (people shown by publicName), then how text and HTML show it.
type reportItem struct {
	Section        string           `json:"-"`
	Number         int              `json:"number"`
	Title          string           `json:"title"`
	Author         string           `json:"author"`
	AuthorName     string           `json:"author_name,omitempty"`
	Status         consensus.Status `json:"status"`
	Outcome        string           `json:"outcome"`
	OutcomeLabel   string           `json:"outcome_label"`
	DecidedBy      string           `json:"decided_by,omitempty"`
	DecidedByLabel string           `json:"decided_by_label,omitempty"`
	Opened         time.Time        `json:"opened"`
	Decided        time.Time        `json:"decided,omitzero"`
	Replies        int              `json:"replies"`
	Supports       int              `json:"supports"`
	Objections     int              `json:"objections"`
	Unpositioned   int              `json:"unpositioned"`
	Participation  string           `json:"participation"`
	MeetingNote    string           `json:"meeting_note,omitempty"`
	Postponed      int              `json:"postponed,omitempty"`
	// Standing are the standing objections of a pending proposal.
	Standing []jsonObjection `json:"standing_objections,omitempty"`
	URL      string          `json:"url,omitempty"`

	// W are the words of the report; ID the element's id; Who the
	// author as person names them; Note the meeting's note quoted;
	// Meetings how often meetings postponed it; Objectors who objects
	// and why.
	W                       *reportWords `json:"-"`
	ID, Who, Note, Meetings string       `json:"-"`
	OpenedOn, DecidedOn     date         `json:"-"`
	DecidedLabel            string       `json:"-"`
	Objectors               []string     `json:"-"`
}

// item describes proposal p in section ("decision" or reportPending).
func (r *reportRecord) item(section string, p consensus.Proposal) reportItem {
	out, way := reportOutcome(p), reportWay(p)
	it := reportItem{Section: section, Number: p.Number, Title: oneLine(p.Title), Author: publicName(p.Author),
		AuthorName: displayName(p.AuthorName), Status: p.Status, Outcome: out, OutcomeLabel: r.w.outcomes[out],
		DecidedBy: way, DecidedByLabel: r.w.ways[way], Opened: p.Opened.UTC(), Decided: p.Decided.UTC(),
		Replies: p.Replies, Supports: len(p.Supports), Objections: len(p.Objections), Unpositioned: p.Unpositioned,
		Participation: r.participation(p), MeetingNote: p.MeetingNote, Postponed: p.Postponed,
		W: r.w, ID: section[:1] + strconv.Itoa(p.Number), Who: person(p.AuthorName, p.Author),
		OpenedOn: date{Words: r.day(p.Opened), ISO: utc(p.Opened)}, DecidedLabel: r.w.DecidedOn}
	if r.o.links != nil {
		it.URL = r.o.links.Base + "/" + strconv.Itoa(p.Number)
	}
	if !p.Decided.IsZero() {
		it.DecidedOn = date{Words: r.day(p.Decided), ISO: utc(p.Decided)}
	}
	if n := oneLine(p.MeetingNote); n != "" {
		it.Note = fmt.Sprintf(r.w.Quote, n)
	}
	if p.Postponed == 1 {
		it.Meetings = r.w.PostponedN[1]
	} else if p.Postponed > 1 {
		it.Meetings = fmt.Sprintf(r.w.PostponedN[2], p.Postponed)
	}
	if section == reportPending {
		it.DecidedLabel = r.w.BlockedOn
		it.Standing = jsonObjections(p.Objections)
		for _, o := range p.Objections {
			reason := oneLine(o.Reason)
			if reason == "" {
				reason = r.rw.NoReason
			}
			it.Objectors = append(it.Objectors, person(o.Name, o.Member)+" — "+reason)
		}
	}
	return it
}

// day writes the date of t in words, without the time: "1er décembre
// 2026", "1 December 2026".
func (r *reportRecord) day(t time.Time) string {
	t = t.In(r.loc)
	if r.w.Lang == "en" {
		return t.Format("2 January 2006")
	}
	d := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		d = "1er"
	}
	return d + " " + reportMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

var reportMonths = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre"}

// summary says in one sentence how many decisions and how many waiting:
// "7 décisions, 1 proposition en attente."
func (r *reportRecord) summary() string {
	return sentence(count(r.w.DecisionsN, len(r.decisions)) + ", " + count(r.w.PendingN, len(r.pending)))
}

// participation counts who took a position on p, never naming who kept
// silent: "3 réponses : 2 soutiens, 1 objection, 1 réponse sans position".
func (r *reportRecord) participation(p consensus.Proposal) string {
	w := r.rw
	if p.Replies <= 0 && len(p.Supports) == 0 && len(p.Objections) == 0 && p.Unpositioned <= 0 {
		return count(w.RepliesN, 0)
	}
	parts := []string{count(w.SupportsN, len(p.Supports)), count(w.ObjectionsN, len(p.Objections))}
	if p.Unpositioned > 0 {
		parts = append(parts, count(w.UnpositionedN, p.Unpositioned))
	}
	return count(w.RepliesN, p.Replies) + w.Colon + strings.Join(parts, ", ")
}

// oneLine folds the runs of spaces and line breaks of a member's text
// to one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// --- Text, for a terminal of 80 columns. ---

// reportWidth is the widest line of the text report, in columns.
const reportWidth = 79

// writeText writes the report for a terminal: no line wider than
// reportWidth columns.
func (r *reportRecord) writeText(b *bytes.Buffer) {
	wrapText(b, "", "", r.heading)
	wrapText(b, "", "", fmt.Sprintf(r.w.ListLine, r.o.List.Address))
	wrapText(b, "", "", r.period+" ("+r.made+")")
	textTitle(b, r.w.Summary)
	wrapText(b, "", "", r.summary())
	for _, t := range []struct {
		title string
		rows  []reportCount
	}{{r.w.ByOutcome, r.byOutcome}, {r.w.ByWay, r.byWay}} {
		b.WriteString("\n" + t.title + "\n")
		for _, c := range t.rows {
			fmt.Fprintf(b, "  %s%s%4d\n", c.Label, strings.Repeat(" ", max(1, 60-textColumns(c.Label))), c.N)
		}
	}
	textTitle(b, r.w.Decisions)
	if len(r.decisions) == 0 {
		wrapText(b, "", "", r.w.Empty)
	}
	for _, it := range r.decisions {
		textEntry(b, it, []string{r.w.Outcome, it.OutcomeLabel, r.w.Way, it.DecidedByLabel, r.w.Note, it.Note})
	}
	textTitle(b, r.w.Pending)
	wrapText(b, "", "", r.w.PendingIntro)
	if len(r.pending) == 0 {
		b.WriteString("\n")
		wrapText(b, "", "", r.w.NoPending)
	}
	for _, it := range r.pending {
		fields := []string{r.w.Meetings, it.Meetings, r.w.Note, it.Note}
		for _, o := range it.Objectors {
			fields = append(fields, r.w.Objection, o)
		}
		textEntry(b, it, fields)
	}
}

// textTitle writes a section's title, underlined.
func textTitle(b *bytes.Buffer, title string) {
	b.WriteString("\n" + title + "\n" + strings.Repeat("=", textColumns(title)) + "\n")
}

// textEntry writes one proposal: number and title, author, dates, then
// fields (label, value, label, value…; those without a value left out),
// participation and the link to its page.
func textEntry(b *bytes.Buffer, it reportItem, fields []string) {
	w, colon := it.W, wordsFor(it.W.Lang).Colon
	b.WriteString("\n")
	head := fmt.Sprintf(w.NumberOf, it.Number)
	head += strings.Repeat(" ", max(1, 7-textColumns(head)))
	indent := strings.Repeat(" ", 7)
	wrapText(b, head, indent, it.Title)
	dates := fmt.Sprintf(w.Dates, it.OpenedOn.Words, strings.ToLower(it.DecidedLabel), it.DecidedOn.Words)
	if it.DecidedOn.IsZero() {
		dates = w.Opened + " " + it.OpenedOn.Words
	}
	fields = append([]string{w.Author, it.Who, "", dates}, fields...)
	fields = append(fields, w.Participation, it.Participation, "", it.URL)
	for i := 0; i+1 < len(fields); i += 2 {
		switch label, value := fields[i], fields[i+1]; {
		case value == "":
		case label == "":
			wrapText(b, indent, indent+"  ", value)
		default:
			wrapText(b, indent, indent+"  ", label+colon+value)
		}
	}
}

// textColumns is how many terminal columns s takes: two for East Asian
// wide characters, none for combining marks.
func textColumns(s string) int {
	n := 0
	for _, c := range s {
		switch k := width.LookupRune(c).Kind(); {
		case unicode.Is(unicode.Mn, c):
		case k == width.EastAsianWide || k == width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// wrapText writes text after first, cut at spaces into lines of at most
// reportWidth columns, the next lines after indent; a word too long for
// a line is cut where the line ends. Control characters, which a
// terminal would obey, are shown as U+FFFD.
func wrapText(b *bytes.Buffer, first, indent, text string) {
	text = strings.Map(func(c rune) rune {
		if c < 0x20 && c != '\t' && c != '\n' || c >= 0x7f && c < 0xa0 || c >= 0x202a && c <= 0x202e || c >= 0x2066 && c <= 0x2069 {
			return unicode.ReplacementChar // a control a terminal would obey
		}
		return c
	}, text)
	line, used, empty := first, textColumns(first), true
	flush := func() {
		b.WriteString(strings.TrimRight(line, " ") + "\n")
		line, used, empty = indent, textColumns(indent), true
	}
	for _, word := range strings.Fields(text) {
		if !empty && used+1+textColumns(word) > reportWidth {
			flush()
		}
		if !empty {
			line, used = line+" ", used+1
		}
		for used+textColumns(word) > reportWidth {
			cut, cols := 0, 0
			for i, c := range word {
				if used+cols+textColumns(string(c)) > reportWidth {
					break
				}
				cut, cols = i+utf8.RuneLen(c), cols+textColumns(string(c))
			}
			if cut == 0 {
				break // not even one character fits after the indent
			}
			line, word = line+word[:cut], word[cut:]
			flush()
		}
		line, used, empty = line+word, used+textColumns(word), false
	}
	if !empty {
		flush()
	}
}

// --- HTML, for a screen and for A4 paper. ---

//go:embed templates/report.html
var reportTemplate string

var reportPage = template.Must(template.New("report").Parse(reportTemplate))

// reportCSS is the report's stylesheet, the "css" block of its template.
var reportCSS = func() string {
	var b strings.Builder
	if err := reportPage.ExecuteTemplate(&b, "css", nil); err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return strings.TrimSpace(b.String())
}()

// reportHTML is what the report's template shows.
type reportHTML struct {
	W                                *reportWords
	Title, Heading, ListLine, Period string
	Made, Summary, CSP               string
	Style                            template.CSS
	Links                            *reportLinks
	ByOutcome, ByWay                 []reportCount
	Decisions, Pending               []reportItem
}

func (r *reportRecord) htmlPage() reportHTML {
	css := r.style()
	return reportHTML{W: r.w, Title: r.heading + " — " + r.period, Heading: r.heading,
		ListLine: fmt.Sprintf(r.w.ListLine, r.o.List.Address), Period: r.period, Made: r.made,
		Summary: r.summary(), CSP: reportCSP(css), Style: template.CSS(css), Links: r.o.links,
		ByOutcome: r.byOutcome, ByWay: r.byWay, Decisions: r.decisions, Pending: r.pending}
}

// style returns the page's stylesheet: reportCSS, then the running
// heading of every printed page (the list's name and the period) and
// the page numbers.
func (r *reportRecord) style() string {
	return reportCSS + "\n@page{@top-left{content:" + cssQuote(r.heading+" · "+r.period) +
		";font:8pt/1.2 sans-serif;color:#000}@bottom-right{content:counter(page) " + cssQuote(" / ") +
		" counter(pages);font:8pt/1.2 sans-serif;color:#000}}"
}

// cssQuote writes s as a CSS string: every character but ASCII letters,
// digits and spaces as an escape ("é" is "\e9 "), so that nothing in it
// can end the string or the style element.
func cssQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		if c < utf8.RuneSelf && (c == ' ' || unicode.IsLetter(c) || unicode.IsDigit(c)) {
			b.WriteRune(c)
			continue
		}
		fmt.Fprintf(&b, "\\%x ", c) // the space ends the escape
	}
	b.WriteByte('"')
	return b.String()
}

// reportCSP is the Content-Security-Policy of a page whose one
// stylesheet is css: nothing else loads, no script runs.
func reportCSP(css string) string {
	sum := sha256.Sum256([]byte(css))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; img-src 'none'; base-uri 'none'; form-action 'none'"
}

// --- CSV and JSON, for programs. ---

// reportCSVHeader names the report's CSV columns, in English whatever
// the language.
var reportCSVHeader = []string{"section", "number", "title", "author", "author_name", "status", "outcome",
	"outcome_label", "decided_by", "decided_by_label", "opened", "decided", "replies", "supports",
	"objections", "unpositioned", "participation", "meeting_note", "postponed", "url"}

func (r *reportRecord) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = !r.o.LineFeed
	if err := cw.Write(reportCSVHeader); err != nil {
		return err
	}
	for _, it := range slices.Concat(r.decisions, r.pending) {
		rec := []string{it.Section, strconv.Itoa(it.Number), cell(it.Title), cell(it.Author), cell(it.AuthorName),
			string(it.Status), it.Outcome, it.OutcomeLabel, it.DecidedBy, it.DecidedByLabel, utc(it.Opened),
			utc(it.Decided), strconv.Itoa(it.Replies), strconv.Itoa(it.Supports), strconv.Itoa(it.Objections),
			strconv.Itoa(it.Unpositioned), it.Participation, cell(it.MeetingNote), strconv.Itoa(it.Postponed), it.URL}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// reportJSON is the report as JSON.
type reportJSON struct {
	List      string        `json:"list"`
	Name      string        `json:"name"`
	Lang      string        `json:"lang"`
	From      string        `json:"from"`
	To        string        `json:"to"`
	Generated time.Time     `json:"generated"`
	Summary   reportSummary `json:"summary"`
	Decisions []reportItem  `json:"decisions"`
	Pending   []reportItem  `json:"pending"`
}

// reportSummary counts the decisions by outcome and by how they were
// taken.
type reportSummary struct {
	Decisions int            `json:"decisions"`
	Pending   int            `json:"pending"`
	ByOutcome map[string]int `json:"by_outcome"`
	ByWay     map[string]int `json:"by_way"`
}

func (r *reportRecord) jsonDoc() reportJSON {
	doc := reportJSON{List: r.o.List.Address, Name: listName(r.o.List), Lang: r.w.Lang,
		From: r.o.Period.From.In(r.loc).Format(reportDateLayout), To: r.o.Period.lastDay(r.loc).Format(reportDateLayout),
		Generated: r.o.Now.UTC(), Decisions: slices.Concat([]reportItem{}, r.decisions),
		Pending: slices.Concat([]reportItem{}, r.pending),
		Summary: reportSummary{Decisions: len(r.decisions), Pending: len(r.pending),
			ByOutcome: map[string]int{}, ByWay: map[string]int{}}}
	for _, c := range r.byOutcome {
		doc.Summary.ByOutcome[c.Key] = c.N
	}
	for _, c := range r.byWay {
		doc.Summary.ByWay[c.Key] = c.N
	}
	return doc
}

// --- The web: GET /lists/NAME/report. ---

// report serves the record of decisions of a list whose register is
// public: ?from=YYYY-MM-DD&to=YYYY-MM-DD (default: the last twelve
// months), &format=csv|json (default HTML); a bad date or format gets
// 400.
func (h *handler) report(w http.ResponseWriter, r *http.Request) {
	req, ps, ok := h.beginProposals(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	period, err := ParsePeriod(q.Get("from"), q.Get("to"), h.o.Now(), h.o.Location)
	format := q.Get("format")
	if format == "" {
		format = "html"
	}
	if err == nil && format != "html" && format != "csv" && format != "json" {
		err = fmt.Errorf("format %q: want html, csv or json", format)
	}
	if err != nil {
		http.Error(w, "report: "+err.Error(), http.StatusBadRequest)
		return
	}
	rec := newReportRecord(ReportOptions{List: req.list, Proposals: ps, Period: period, Lang: req.w.Lang,
		Location: h.o.Location, Now: h.o.Now(), links: h.reportLinks(req, period)})
	var buf bytes.Buffer
	if err := rec.write(&buf, format); err != nil {
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	switch format {
	case "html":
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Content-Security-Policy", reportCSP(rec.style())+"; frame-ancestors 'none'")
		hd.Set("Content-Language", req.w.Lang)
	case "csv":
		hd.Set("Content-Type", "text/csv; charset=utf-8; header=present")
		hd.Set("Content-Disposition", `inline; filename="`+req.list.LocalPart()+"-report-"+
			period.From.In(h.o.Location).Format(reportDateLayout)+"-"+period.lastDay(h.o.Location).Format(reportDateLayout)+`.csv"`)
	case "json":
		hd.Set("Content-Type", "application/json; charset=utf-8")
	}
	if err := write(w, buf.Bytes()); err != nil {
		h.o.Logger.Warn("register: writing a response", "path", r.URL.Path, "err", err)
	}
}

// reportLinks are the links of the report of req's list over period.
func (h *handler) reportLinks(req request, period Period) *reportLinks {
	path := strings.TrimSuffix(req.path, "/decisions") + "/report?"
	link := func(k, v string) string {
		q := url.Values{}
		q.Set("from", period.From.In(h.o.Location).Format(reportDateLayout))
		q.Set("to", period.lastDay(h.o.Location).Format(reportDateLayout))
		if k != "" {
			q.Set(k, v)
		}
		return path + q.Encode()
	}
	return &reportLinks{Base: req.base + req.path, Register: req.path + req.query,
		OtherLang: link("lang", req.w.OtherLangCode), CSV: link("format", "csv"), JSON: link("format", "json")}
}

// --- Words. ---

// reportWords are the fixed texts of a report in one language.
type reportWords struct {
	Lang, OtherCode, OtherLang, Skip, Links     string
	Title, Period, Made, ListLine, Quote, Count string
	Summary, ByOutcome, ByWay, Register         string
	Decisions, Pending, PendingIntro            string
	Empty, NoPending, NumberOf, Dates           string
	Author, Opened, DecidedOn, BlockedOn        string
	Outcome, Way, Note, Meetings, Objection     string
	Standing, Participation, Spreadsheet, Data  string
	DecisionsN, PendingN, PostponedN            [3]string
	outcomes, ways, outcomeRows, wayRows        map[string]string
}

var frenchReport = reportWords{
	Lang: "fr", OtherCode: "en", OtherLang: "Read in English", Skip: "Aller au contenu", Links: "Liens",
	Title: "Relevé de décisions", Period: "Du %s au %s", Made: "établi le %s", ListLine: "Liste %s",
	Quote: "«\u00a0%s\u00a0»", Count: "Nombre", Summary: "Résumé", ByOutcome: "Par issue",
	ByWay: "Par mode de décision", Register: "Registre des décisions", Decisions: "Décisions", Pending: "En attente",
	PendingIntro: "Propositions bloquées par une objection : elles attendent la levée de l'objection, " +
		"leur retrait ou une réunion.",
	Empty: "Aucune décision n'a été prise pendant cette période.", NoPending: "Aucune proposition n'est en attente.",
	NumberOf: "N°\u00a0%d", Dates: "Ouverte le %s, %s %s", Author: "Auteur", Opened: "Ouverte le",
	DecidedOn: "Décidée le", BlockedOn: "Bloquée le", Outcome: "Issue", Way: "Mode de décision",
	Note: "Note de la réunion", Meetings: "Réunions", Objection: "Objection", Standing: "Objections en cours",
	Participation: "Participation", Spreadsheet: "tableur (CSV)", Data: "données (JSON)",
	DecisionsN: [3]string{"aucune décision", "%d décision", "%d décisions"},
	PendingN:   [3]string{"aucune proposition en attente", "%d proposition en attente", "%d propositions en attente"},
	PostponedN: [3]string{"", "reportée une fois en réunion", "reportée %d fois en réunion"},
	outcomes: map[string]string{reportAdopted: "adoptée", reportAtMeeting: "adoptée en réunion",
		reportRejected: "rejetée en réunion", reportWithdrawn: "retirée", reportPending: "bloquée, en attente"},
	ways: map[string]string{consensus.BySilence: "sans objection à l'échéance",
		consensus.ByLift: "après la levée de la dernière objection", consensus.ByMeeting: "en réunion",
		consensus.ByWithdrawal: "retirée par son auteur"},
	outcomeRows: map[string]string{reportAdopted: "adoptées", reportAtMeeting: "adoptées en réunion",
		reportRejected: "rejetées en réunion", reportWithdrawn: "retirées"},
	wayRows: map[string]string{consensus.BySilence: "sans objection à l'échéance",
		consensus.ByLift: "après la levée de la dernière objection", consensus.ByMeeting: "en réunion",
		consensus.ByWithdrawal: "retirées par leur auteur"},
}

var englishReport = reportWords{
	Lang: "en", OtherCode: "fr", OtherLang: "Lire en français", Skip: "Skip to content", Links: "Links",
	Title: "Record of decisions", Period: "From %s to %s", Made: "drawn up on %s", ListLine: "List %s",
	Quote: "“%s”", Count: "Number", Summary: "Summary", ByOutcome: "By outcome",
	ByWay: "By how it was decided", Register: "Decision register", Decisions: "Decisions", Pending: "Pending",
	PendingIntro: "Proposals blocked by an objection: they wait for it to be lifted, for their withdrawal " +
		"or for a meeting.",
	Empty: "No decision was taken in this period.", NoPending: "No proposal is waiting.",
	NumberOf: "No.\u00a0%d", Dates: "Opened %s, %s %s", Author: "Author", Opened: "Opened",
	DecidedOn: "Decided", BlockedOn: "Blocked", Outcome: "Outcome", Way: "How", Note: "Meeting's note",
	Meetings: "Meetings", Objection: "Objection", Standing: "Standing objections",
	Participation: "Participation", Spreadsheet: "spreadsheet (CSV)", Data: "data (JSON)",
	DecisionsN: [3]string{"no decisions", "%d decision", "%d decisions"},
	PendingN:   [3]string{"no proposals pending", "%d proposal pending", "%d proposals pending"},
	PostponedN: [3]string{"", "postponed once at a meeting", "postponed %d times at meetings"},
	outcomes: map[string]string{reportAdopted: "adopted", reportAtMeeting: "adopted at a meeting",
		reportRejected: "rejected at a meeting", reportWithdrawn: "withdrawn", reportPending: "blocked, pending"},
	ways: map[string]string{consensus.BySilence: "without objection at the deadline",
		consensus.ByLift: "after the last objection was lifted", consensus.ByMeeting: "at a meeting",
		consensus.ByWithdrawal: "withdrawn by its author"},
	outcomeRows: map[string]string{reportAdopted: "adopted", reportAtMeeting: "adopted at a meeting",
		reportRejected: "rejected at a meeting", reportWithdrawn: "withdrawn"},
	wayRows: map[string]string{consensus.BySilence: "without objection at the deadline",
		consensus.ByLift: "after the last objection was lifted", consensus.ByMeeting: "at a meeting",
		consensus.ByWithdrawal: "withdrawn by their author"},
}

// reportWordsFor returns the texts of lang: English for "en", French
// otherwise.
func reportWordsFor(lang string) *reportWords {
	if lang == "en" {
		return &englishReport
	}
	return &frenchReport
}
