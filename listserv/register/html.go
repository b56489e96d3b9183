package register

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"tacit/consensus"
	"tacit/storage"
)

//go:embed templates/*.html templates/style.css
var files embed.FS

// style is the pages' stylesheet, inlined in each page and allowed by
// its hash in the Content-Security-Policy, which forbids everything else
// (no script, no outside resource).
var style, csp = func() (template.CSS, string) {
	b, err := files.ReadFile("templates/style.css")
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	sum := sha256.Sum256(b)
	return template.CSS(b), "default-src 'none'; style-src 'sha256-" +
		base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

// pages are the parsed templates; each page template defines "page"
// from the shared layout.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{"register", "proposal", "notfound", "index"} {
		m[name] = template.Must(template.New(name).ParseFS(files, "templates/layout.html", "templates/"+name+".html"))
	}
	return m
}()

// page is what the layout shows; Body is the page's own data.
type page struct {
	W     *words
	Title string
	Style template.CSS
	// OtherLang is the URL of the page in the other language.
	OtherLang string
	// Atom is the URL of the list's Atom feed, for <link rel=alternate>.
	Atom string
	Body any
}

// date is a time as a person reads it and as a machine does.
type date struct {
	Words string // in the page's language and timezone
	ISO   string // RFC 3339, UTC, for <time datetime>
}

// IsZero reports whether d stands for no date.
func (d date) IsZero() bool { return d.ISO == "" }

// row is one proposal of the register: its current title and deadline,
// the author named by person.
type row struct {
	Number                    int
	URL, Title, Author        string
	Status, StatusClass       string
	Opened, Deadline, Decided date
	// Unpositioned counts the replies without position, which the
	// participation asks to read.
	Unpositioned int
	// Amended marks an amended proposal; Amendment says when it last
	// changed and how ("amendée le … : échéance déplacée du … au …").
	Amended   bool
	Amendment string
	// Participation counts who took a position, in words.
	Participation string
	// How says how it was decided ("adoptée sans objection à
	// l'échéance", "rejetée en réunion"), "" when unknown.
	How string
}

// filter is one link of the register page's status filter.
type filter struct {
	Label, URL string
	Count      int
	// Current marks the filter the page shows.
	Current bool
}

// meeting is one of the next meetings, as shown.
type meeting struct {
	At           date
	Place, Title string
}

// registerBody is the register page's own data.
type registerBody struct {
	Heading, Intro, Address string
	Rows                    []row
	// Filters link to the register of one status, after the link to
	// every proposal; Filtered is true when the page shows one status.
	Filters  []filter
	Filtered bool
	// Meetings are the next meetings of the list, earliest first.
	Meetings       []meeting
	CSV, JSON, ICS string
	// Webcal is the ICS URL in the webcal: scheme calendars subscribe
	// to; html/template would refuse it as a string.
	Webcal template.URL
}

// objection is one standing objection, as shown.
type objection struct {
	Member, Reason string
	At             date
}

// support is one support, as shown.
type support struct {
	Member string
	At     date
}

// version is one text of a proposal, as shown; SetDeadline says the
// deadline it set, as the one that applies for the current version.
type version struct {
	Label       string
	Text        []para
	At          date
	Deadline    date
	SetDeadline string
	Current     bool
}

// proposalBody is the proposal page's own data.
type proposalBody struct {
	P                           row
	Heading, Register, ListName string
	Raised                      bool
	// Amendment says, as a sentence, when and how an amended proposal
	// last changed; DeadlineUnread which deadline line was not
	// understood; Decision how it was decided, with the meeting's note.
	Amendment, DeadlineUnread, Decision string
	// Text is the current text in paragraphs; CurrentSince says since
	// when, for an amended proposal.
	Text         []para
	CurrentSince string
	// Situation says where it stands, the time left and what comes
	// next; HowTo how to take part.
	Situation situation
	HowTo     howTo
	// Versions are newest first: the current one leads.
	Versions   []version
	Objections []objection
	Supports   []support
	Events     []event
}

// date converts t for the pages ("" when t is zero).
func (r request) date(t time.Time, loc *time.Location, long bool) date {
	if t.IsZero() {
		return date{}
	}
	words := r.w.shortDate(t, loc)
	if long {
		words = r.w.longDate(t, loc)
	}
	return date{Words: words, ISO: t.UTC().Format(time.RFC3339)}
}

// listName is the list's human name, or its address.
func listName(l storage.List) string {
	if l.Name != "" {
		return l.Name
	}
	return l.LocalPart()
}

// row describes proposal p for the register.
func (h *handler) row(req request, p consensus.Proposal, long bool) row {
	loc := h.o.Location
	return row{
		Number: p.Number, URL: req.path + "/" + strconv.Itoa(p.Number) + req.query,
		Title: p.Title, Author: person(p.AuthorName, p.Author),
		Status: req.w.label(p), StatusClass: string(p.Status), How: req.w.howShort(p),
		Opened: req.date(p.Opened, loc, long), Deadline: req.date(deadline(p), loc, long),
		Decided:      req.date(p.Decided, loc, long),
		Unpositioned: p.Unpositioned,
		Amended:      p.Amended(), Amendment: req.w.amended(p, loc, long), Participation: req.w.participation(p),
	}
}

// maxMeetings is how many of the next meetings the register page shows.
const maxMeetings = 5

// registerPage builds the register page of a list: the proposals of
// status only ("" for all), and the meetings to come among ms.
func (h *handler) registerPage(req request, ps []consensus.Proposal, status consensus.Status, ms []storage.Meeting) page {
	name := listName(req.list)
	b := registerBody{
		Heading: fmt.Sprintf(req.w.RegisterOf, name), Intro: fmt.Sprintf(req.w.Intro, req.list.Address),
		Address: req.list.Address, Filtered: status != "",
		CSV: req.path + ".csv", JSON: req.path + ".json", ICS: req.path + ".ics" + req.query,
		Webcal: template.URL("webcal" + trimScheme(req.base) + req.path + ".ics" + req.query),
	}
	counts := map[consensus.Status]int{}
	members := h.members(req.list)
	for _, p := range ps {
		counts[p.Status]++
		if status == "" || p.Status == status {
			r := h.row(req, p, false)
			r.Participation = req.w.participationOf(p, members)
			b.Rows = append(b.Rows, r)
		}
	}
	if len(ps) > 0 {
		b.Filters = append(b.Filters, filter{Label: req.w.AllStatuses, URL: req.path + req.query, Count: len(ps), Current: status == ""})
		for _, st := range consensus.Statuses {
			b.Filters = append(b.Filters, filter{Label: req.w.filter(st), Count: counts[st], Current: st == status,
				URL: req.path + "?status=" + string(st) + strings.Replace(req.query, "?", "&", 1)})
		}
	}
	now := h.o.Now()
	for _, m := range ms {
		if m.At.Before(now) || len(b.Meetings) == maxMeetings {
			continue
		}
		b.Meetings = append(b.Meetings, meeting{At: req.date(m.At, h.o.Location, true), Place: m.Place, Title: m.Title})
	}
	other := req.path + "?lang=" + req.w.OtherLangCode
	if status != "" {
		other = req.path + "?status=" + string(status) + "&lang=" + req.w.OtherLangCode
	}
	return page{W: req.w, Title: b.Heading, OtherLang: other, Atom: req.path + ".atom" + req.query, Body: b}
}

// trimScheme returns "://host…" of an absolute URL.
func trimScheme(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		return u[i:]
	}
	return "://" + u
}

// proposalPage builds the page of one proposal.
func (h *handler) proposalPage(req request, p consensus.Proposal, events []storage.ProposalEvent, ms []storage.Meeting) page {
	loc := h.o.Location
	b := proposalBody{
		P:        h.row(req, p, true),
		Heading:  fmt.Sprintf(req.w.Proposal, p.Number) + req.w.Colon + p.Title,
		Register: req.path + req.query, ListName: listName(req.list), Raised: p.DeadlineRaised,
		Text:      reflow(p.Current().Text),
		Situation: h.situation(req, p, h.o.Now(), ms),
		HowTo:     howToTakePart(req.w, req.list, p),
	}
	b.P.Participation = req.w.participationOf(p, h.members(req.list))
	if a := b.P.Amendment; a != "" {
		b.Amendment = sentence(a)
	}
	if p.DeadlineUnread != "" {
		b.DeadlineUnread = fmt.Sprintf(req.w.DeadlineUnread, p.DeadlineUnread)
	}
	b.Decision = req.w.howDecided(p)
	vs := versions(p)
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		label := req.w.Original
		if i > 0 {
			label = fmt.Sprintf(req.w.Version, i)
		}
		current := i == len(vs)-1
		set := fmt.Sprintf(req.w.VersionDeadline, req.date(v.Deadline, loc, true).Words)
		if current {
			set = fmt.Sprintf(req.w.SetDeadline, req.date(v.Deadline, loc, true).Words)
			if p.Amended() {
				b.CurrentSince = fmt.Sprintf(req.w.CurrentSince, label, req.date(v.At, loc, true).Words)
			}
		}
		b.Versions = append(b.Versions, version{Label: label, Text: reflow(v.Text), At: req.date(v.At, loc, true),
			Deadline: req.date(v.Deadline, loc, true), SetDeadline: set, Current: current})
	}
	for _, o := range p.Objections {
		b.Objections = append(b.Objections, objection{Member: person(o.Name, o.Member), Reason: o.Reason, At: req.date(o.At, loc, true)})
	}
	for _, s := range p.Supports {
		b.Supports = append(b.Supports, support{Member: person(s.Name, s.Member), At: req.date(s.At, loc, true)})
	}
	b.Events = h.story(req, p, events)
	title := b.Heading
	if p.Amended() {
		title += " (" + req.w.Amended + ")"
	}
	return page{W: req.w, Title: title, OtherLang: req.path + "/" + strconv.Itoa(p.Number) + "?lang=" + req.w.OtherLangCode,
		Atom: req.path + ".atom" + req.query, Body: b}
}

// sentence returns s with a capital first letter and a full stop.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:] + "."
}

// render writes page name with status code.
func (h *handler) render(w http.ResponseWriter, r *http.Request, code int, name string, p page) {
	p.Style = style
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.fail(w, r, fmt.Errorf("register: page %s: %w", name, err))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", csp)
	hd.Set("Content-Language", p.W.Lang)
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}
