package register

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/storage"
)

// utc formats t in RFC 3339, UTC; "" when zero.
func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// proposalURL is the absolute URL of proposal n's page.
func (req request) proposalURL(n int) string {
	return req.base + req.path + "/" + strconv.Itoa(n)
}

// csvHeader names the columns of the CSV register; they stay in English
// whatever the language, for the programs that read them. New columns go
// at the end, so that programs reading columns by position keep working.
var csvHeader = []string{"number", "title", "author", "status", "status_label", "opened", "deadline",
	"decided", "objections", "supports", "replies", "url", "amended", "amended_at", "unpositioned", "author_name",
	"decided_by"}

// writeCSV writes the register as CSV (RFC 4180), newest first, dates in
// RFC 3339 UTC.
func (h *handler) writeCSV(w http.ResponseWriter, req request, ps []consensus.Proposal) error {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("register: csv: %w", err)
	}
	for _, p := range ps {
		rec := []string{strconv.Itoa(p.Number), cell(p.Title), cell(publicName(p.Author)), string(p.Status), req.w.label(p),
			utc(p.Opened), utc(deadline(p)), utc(p.Decided), strconv.Itoa(len(p.Objections)),
			strconv.Itoa(len(p.Supports)), strconv.Itoa(p.Replies), req.proposalURL(p.Number),
			strconv.FormatBool(p.Amended()), utc(amendedAt(p)), strconv.Itoa(p.Unpositioned), cell(displayName(p.AuthorName)),
			p.DecidedBy}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("register: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("register: csv: %w", err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
	w.Header().Set("Content-Disposition", `inline; filename="`+req.list.LocalPart()+`-decisions.csv"`)
	return write(w, buf.Bytes())
}

// cell keeps a member's text from being read as a formula by a
// spreadsheet (CSV injection): a leading =, +, -, @, tab or CR gets an
// apostrophe before it, as spreadsheets themselves write such text.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// jsonRegister is the document of decisions.json.
type jsonRegister struct {
	List      string         `json:"list"`
	Name      string         `json:"name"`
	URL       string         `json:"url"`
	Proposals []jsonProposal `json:"proposals"`
}

// jsonProposal is one proposal in decisions.json: its current deadline;
// its versions oldest first, the last being the current one.
type jsonProposal struct {
	Number      int                 `json:"number"`
	Title       string              `json:"title"`
	Author      string              `json:"author"`
	AuthorName  string              `json:"author_name,omitempty"`
	Status      consensus.Status    `json:"status"`
	StatusLabel string              `json:"status_label"`
	Opened      time.Time           `json:"opened"`
	Deadline    time.Time           `json:"deadline"`
	Decided     *time.Time          `json:"decided"`
	Objections  []jsonObjection     `json:"objections"`
	Supports    []jsonSupport       `json:"supports"`
	Replies     int                 `json:"replies"`
	Versions    []consensus.Version `json:"versions"`
	URL         string              `json:"url"`
	// Amended is true once the text was amended; AmendedAt is when it
	// last was (RFC 3339, "" when never).
	Amended   bool   `json:"amended"`
	AmendedAt string `json:"amended_at"`
	// Unpositioned counts the members' replies that took no position.
	Unpositioned int `json:"unpositioned"`
	// DecidedBy says how it was decided: "silence", "lift", "meeting",
	// "withdrawal", or "" (open, blocked, or decided before tacit
	// recorded it); MeetingNote is what the meeting that settled or
	// postponed it wrote ("" when none); Postponed counts the meetings
	// that postponed it.
	DecidedBy   string `json:"decided_by"`
	MeetingNote string `json:"meeting_note"`
	Postponed   int    `json:"postponed"`
}

// jsonObjection is a standing objection in decisions.json: the fields of
// consensus.Objection, the member shown by publicName.
type jsonObjection struct {
	Member string    `json:"member"`
	Name   string    `json:"name,omitempty"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// jsonSupport is a support in decisions.json, the member shown by
// publicName.
type jsonSupport struct {
	Member string    `json:"member"`
	Name   string    `json:"name,omitempty"`
	At     time.Time `json:"at"`
}

// jsonObjections converts objections for decisions.json ([] when none).
func jsonObjections(objs []consensus.Objection) []jsonObjection {
	out := make([]jsonObjection, 0, len(objs))
	for _, o := range objs {
		out = append(out, jsonObjection{Member: publicName(o.Member), Name: displayName(o.Name), Reason: o.Reason, At: o.At})
	}
	return out
}

// jsonSupports converts supports for decisions.json ([] when none).
func jsonSupports(ss []consensus.Support) []jsonSupport {
	out := make([]jsonSupport, 0, len(ss))
	for _, s := range ss {
		out = append(out, jsonSupport{Member: publicName(s.Member), Name: displayName(s.Name), At: s.At})
	}
	return out
}

// writeJSON writes the register as one JSON document, newest first.
func (h *handler) writeJSON(w http.ResponseWriter, req request, ps []consensus.Proposal) error {
	doc := jsonRegister{List: req.list.Address, Name: listName(req.list), URL: req.base + req.path,
		Proposals: []jsonProposal{}}
	for _, p := range ps {
		jp := jsonProposal{Number: p.Number, Title: p.Title, Author: publicName(p.Author), AuthorName: displayName(p.AuthorName),
			Status: p.Status, StatusLabel: req.w.label(p), Opened: p.Opened.UTC(), Deadline: deadline(p).UTC(),
			Objections: jsonObjections(p.Objections), Supports: jsonSupports(p.Supports), Replies: p.Replies,
			Versions: nonNil(versions(p)), URL: req.proposalURL(p.Number),
			Amended: p.Amended(), AmendedAt: utc(amendedAt(p)), Unpositioned: p.Unpositioned,
			DecidedBy: p.DecidedBy, MeetingNote: p.MeetingNote, Postponed: p.Postponed}
		if !p.Decided.IsZero() {
			d := p.Decided.UTC()
			jp.Decided = &d
		}
		doc.Proposals = append(doc.Proposals, jp)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("register: json: %w", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	return write(w, append(b, '\n'))
}

// nonNil returns s, or an empty slice for nil, so that JSON says [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// The Atom feed (RFC 4287) of a list's outcomes.
type (
	atomFeed struct {
		XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
		Lang    string      `xml:"xml:lang,attr"`
		ID      string      `xml:"id"`
		Title   string      `xml:"title"`
		Updated string      `xml:"updated"`
		Links   []atomLink  `xml:"link"`
		Author  atomPerson  `xml:"author"`
		Gen     string      `xml:"generator"`
		Entries []atomEntry `xml:"entry"`
	}
	atomLink struct {
		Rel  string `xml:"rel,attr"`
		Type string `xml:"type,attr,omitempty"`
		Href string `xml:"href,attr"`
	}
	atomPerson struct {
		Name  string `xml:"name"`
		Email string `xml:"email,omitempty"`
	}
	atomText struct {
		Type string `xml:"type,attr"`
		Text string `xml:",chardata"`
	}
	atomEntry struct {
		ID        string     `xml:"id"`
		Title     string     `xml:"title"`
		Updated   string     `xml:"updated"`
		Published string     `xml:"published"`
		Link      atomLink   `xml:"link"`
		Author    atomPerson `xml:"author"`
		Category  struct {
			Term  string `xml:"term,attr"`
			Label string `xml:"label,attr"`
		} `xml:"category"`
		Summary atomText `xml:"summary"`
		Content atomText `xml:"content"`
	}
)

// outcome returns when proposal p reached its outcome, and whether it
// has one (adopted, blocked, withdrawn or rejected).
func outcome(p consensus.Proposal) (time.Time, bool) {
	if p.Status == consensus.StatusOpen || !p.Status.Valid() {
		return time.Time{}, false
	}
	if !p.Decided.IsZero() {
		return p.Decided, true
	}
	return deadline(p), true
}

// tagID is a stable tag: URI (RFC 4151) of the list's register, or of one
// of its proposals when n > 0: "tag:lists.example.org,2026-01-15:jardin/decisions/3".
func tagID(l storage.List, n int) string {
	date := "2026"
	if !l.Created.IsZero() {
		date = l.Created.UTC().Format(time.DateOnly)
	}
	id := "tag:" + l.Domain() + "," + date + ":" + l.LocalPart() + "/decisions"
	if n > 0 {
		id += "/" + strconv.Itoa(n)
	}
	return id
}

// writeAtom writes the Atom feed of the list's outcomes, newest first.
func (h *handler) writeAtom(w http.ResponseWriter, req request, ps []consensus.Proposal) error {
	name := listName(req.list)
	feed := atomFeed{
		Lang: req.w.Lang, ID: tagID(req.list, 0), Title: fmt.Sprintf(req.w.FeedTitle, name),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: req.base + req.path + ".atom" + req.query},
			{Rel: "alternate", Type: "text/html", Href: req.base + req.path + req.query},
		},
		Author: atomPerson{Name: name, Email: req.list.Address}, Gen: "tacit",
	}
	var updated time.Time
	type decided struct {
		p  consensus.Proposal
		at time.Time
	}
	var out []decided
	for _, p := range ps {
		if at, ok := outcome(p); ok {
			out = append(out, decided{p, at})
		}
	}
	slices.SortStableFunc(out, func(a, b decided) int { return b.at.Compare(a.at) })
	for _, d := range out {
		p := d.p
		if d.at.After(updated) {
			updated = d.at
		}
		status := req.w.label(p)
		e := atomEntry{
			ID: tagID(req.list, p.Number), Title: fmt.Sprintf("[%s #%d] %s", strings.ToUpper(status), p.Number, p.Title),
			Updated: utc(d.at), Published: utc(p.Opened),
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: req.proposalURL(p.Number) + req.query},
			Author:  atomPerson{Name: person(p.AuthorName, p.Author)},
			Summary: atomText{Type: "text", Text: h.atomSummary(req, p, status)},
			Content: atomText{Type: "text", Text: p.Current().Text},
		}
		e.Category.Term, e.Category.Label = string(p.Status), status
		feed.Entries = append(feed.Entries, e)
	}
	if updated.IsZero() {
		// No outcome yet: the feed changed last when the list was made.
		updated = req.list.Created
	}
	feed.Updated = utc(updated)
	if feed.Updated == "" {
		feed.Updated = "1970-01-01T00:00:00Z"
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(feed); err != nil {
		return fmt.Errorf("register: atom: %w", err)
	}
	buf.WriteByte('\n')
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	return write(w, buf.Bytes())
}

// atomSummary is an entry's summary: the status, or how it was decided
// when that is known (with the note of the meeting that settled it), who
// took a position, and for an amended proposal when and how it last
// changed.
func (h *handler) atomSummary(req request, p consensus.Proposal, status string) string {
	switch how := req.w.howDecided(p); {
	case how == "":
	case p.Status.Terminal():
		status = how
	default: // blocked or open, postponed by a meeting
		status += ", " + how
	}
	s := req.w.Status + req.w.Colon + status + " — " + req.w.participation(p)
	if a := req.w.amended(p, h.o.Location, false); a != "" {
		s += " — " + a
	}
	return s
}

// write sends a whole response body.
func write(w http.ResponseWriter, b []byte) error {
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("register: write: %w", err)
	}
	return nil
}
