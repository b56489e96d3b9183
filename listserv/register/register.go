// Package register serves the decision register of the lists on the web
// (docs/register.md): an HTML page per list, newest proposal first, one
// page per proposal with every version and its timeline, and the same
// register as CSV, JSON, an iCalendar file of the open deadlines and the
// list's meetings, and an Atom feed of the outcomes.
//
// It only reads the store and keeps nothing of its own: there is no
// on-disk state and nothing to recover after a crash. A list's register
// is served only when the list says so (storage.List.PublicRegister);
// for any other list every URL answers the same 404 as for a list that
// does not exist, in the server's default language, so that a private
// list cannot be told from an unknown one.
//
// Pages are html/template files embedded in the binary, in French (the
// default) and English, readable without JavaScript on a phone.
//
// No output shows a member's full address: people are named by
// publicName ("alice@e…"), after their display name when known (person),
// so that a public register feeds no harvester.
//
// An amended proposal is one proposal in every output: its current text
// and deadline, marked amended with when and how it changed (current.go);
// pages and feeds say how many members took a position, never who kept
// silent.
//
// Every output says how each decision was taken (DecidedBy: silence, the
// lift of the last objection, a meeting, the author's withdrawal) and
// knows the outcomes of meetings (docs/meetings.md): rejected, "adoptée en
// réunion", postponed, with the meeting's note.
package register

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/storage"
)

// Store is what the register reads from tacit's store; *storage.Store
// satisfies it.
type Store interface {
	// List returns the list at a full address, or an error wrapping
	// storage.ErrNotFound.
	List(addr string) (storage.List, error)
	// Lists returns every list (to find a list by its name alone).
	Lists() ([]storage.List, error)
	// Proposals returns the proposals of one list, in number order.
	Proposals(list string) ([]consensus.Proposal, error)
	// Proposal returns one proposal, or an error wrapping
	// storage.ErrNotFound.
	Proposal(ref storage.ProposalRef) (consensus.Proposal, error)
	// ProposalEvents returns the timeline of one proposal, oldest first.
	ProposalEvents(ref storage.ProposalRef) ([]storage.ProposalEvent, error)
	// Meetings returns the meetings of one list, earliest first.
	Meetings(list string) ([]storage.Meeting, error)
	// Members returns the members of one list, to say how many of them
	// took part ("3 membres sur 12"); only their number is shown.
	Members(list string) ([]storage.Member, error)
}

var _ Store = (*storage.Store)(nil)

// Options configure the register's handler.
type Options struct {
	// Store is read on every request.
	Store Store
	// Domain is the server's default domain: /lists/NAME/… names the
	// list NAME@Domain. A list of another domain is found by its name
	// when no other public list has the same name, and always by its
	// full address.
	Domain string
	// Language is the language of lists without one of their own: "en"
	// or "fr" (the default, also for "").
	Language string
	// Location is the timezone dates are written in; nil means UTC.
	// Machine formats (CSV, JSON, iCalendar, Atom) are in UTC.
	Location *time.Location
	// BaseURL is the server's public URL ("https://lists.example.org"),
	// for the absolute links of feeds and calendars; "" takes it from
	// each request.
	BaseURL string
	// Now returns the time (nil: time.Now); it stamps the calendar.
	Now func() time.Time
	// Logger receives the errors of the store (nil: slog.Default()).
	Logger *slog.Logger
}

// handler serves the register; see Handler.
type handler struct {
	o   Options
	mux *http.ServeMux
}

// Handler returns the handler of the register's URLs, to be mounted at
// "/lists/":
//
//	GET /lists/NAME/decisions         the register (HTML); ?status=S filters
//	GET /lists/NAME/decisions/N       proposal N (HTML)
//	GET /lists/NAME/decisions.csv     the register as CSV
//	GET /lists/NAME/decisions.json    the register as JSON
//	GET /lists/NAME/decisions.ics     open deadlines and meetings (iCalendar)
//	GET /lists/NAME/decisions.atom    outcomes (Atom)
//	GET /                             the public registers
//
// Mounted at "/" as well (or at "GET /{$}"), it answers the server's
// home page with the list of the public registers; any other URL it is
// given answers an HTML 404 page with a way back.
// NAME is the list's name or its full address. HEAD works as GET; other
// methods get 405. "?lang=en" or "?lang=fr" overrides the list's
// language.
func Handler(o Options) http.Handler {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Language != "en" {
		o.Language = "fr"
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	h := &handler{o: o, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /lists/{list}/decisions", h.register)
	h.mux.HandleFunc("GET /lists/{list}/decisions/{n}", h.proposal)
	h.mux.HandleFunc("GET /lists/{list}/report", h.report)
	h.mux.HandleFunc("GET /lists/{list}/{file}", h.file)
	h.mux.HandleFunc("GET /{$}", h.index)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { h.notFound(w, r) })
	return h
}

// ServeHTTP answers one request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// errHidden marks a list that is unknown or whose register is private.
var errHidden = errors.New("register: no public register")

// publicList returns the list named in the URL if its register is
// public, else an error wrapping errHidden.
func (h *handler) publicList(name string) (storage.List, error) {
	name = storage.NormalizeAddress(name)
	if name == "" || strings.ContainsAny(name, "/\x00") {
		return storage.List{}, errHidden
	}
	var candidates []string
	if strings.Contains(name, "@") {
		candidates = []string{name}
	} else if h.o.Domain != "" {
		candidates = []string{name + "@" + storage.NormalizeAddress(h.o.Domain)}
	}
	for _, addr := range candidates {
		l, err := h.o.Store.List(addr)
		switch {
		case errors.Is(err, storage.ErrNotFound):
		case err != nil:
			return storage.List{}, fmt.Errorf("register: list %s: %w", addr, err)
		case l.PublicRegister:
			return l, nil
		default:
			return storage.List{}, errHidden
		}
	}
	if strings.Contains(name, "@") {
		return storage.List{}, errHidden
	}
	// A name alone on a server of several domains: the one public list
	// of that name, if there is exactly one.
	lists, err := h.o.Store.Lists()
	if err != nil {
		return storage.List{}, fmt.Errorf("register: lists: %w", err)
	}
	var found []storage.List
	for _, l := range lists {
		if l.PublicRegister && l.LocalPart() == name {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		return storage.List{}, errHidden
	}
	return found[0], nil
}

// request is what every answer about one list needs.
type request struct {
	list storage.List
	w    *words
	// path is the URL path of the register page, base the absolute URL
	// of the server.
	path, base string
	// query is "?lang=xx" when the language was chosen in the URL.
	query string
}

// begin resolves the list of a request and its language; it answers the
// request itself (404 or 500) and returns false when it cannot go on.
func (h *handler) begin(w http.ResponseWriter, r *http.Request) (request, bool) {
	l, err := h.publicList(r.PathValue("list"))
	if errors.Is(err, errHidden) {
		h.notFound(w, r)
		return request{}, false
	}
	if err != nil {
		h.fail(w, r, err)
		return request{}, false
	}
	lang, query := h.o.Language, ""
	if l.Lang != "" {
		lang = l.Lang
	}
	if q := r.URL.Query().Get("lang"); q == "en" || q == "fr" {
		lang, query = q, "?lang="+q
	}
	return request{list: l, w: wordsFor(lang), path: h.registerPath(l), base: h.baseURL(r), query: query}, true
}

// registerPath is the path of list l's register: by its name alone when
// that finds it, else by its full address.
func (h *handler) registerPath(l storage.List) string {
	name := l.Address
	if storage.NormalizeAddress(h.o.Domain) == l.Domain() {
		name = l.LocalPart()
	}
	return "/lists/" + url.PathEscape(name) + "/decisions"
}

// ArchiveURL returns the URL of list l's register on the server at
// baseURL whose default domain is domain, for the List-Archive header:
// "" when the register is private or there is no server.
func ArchiveURL(baseURL, domain string, l storage.List) string {
	if !l.PublicRegister || baseURL == "" {
		return ""
	}
	h := handler{o: Options{Domain: domain}}
	return strings.TrimRight(baseURL, "/") + h.registerPath(l)
}

// baseURL returns the server's public URL.
func (h *handler) baseURL(r *http.Request) string {
	if h.o.BaseURL != "" {
		return h.o.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// register serves the HTML register of a list; "?status=rejected" (any
// status of consensus.Statuses) shows the proposals of that status only,
// and an unknown status shows them all.
func (h *handler) register(w http.ResponseWriter, r *http.Request) {
	req, ps, ok := h.beginProposals(w, r)
	if !ok {
		return
	}
	ms, err := h.meetings(req.list)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := consensus.Status(r.URL.Query().Get("status"))
	if !status.Valid() {
		status = ""
	}
	h.render(w, r, http.StatusOK, "register", h.registerPage(req, ps, status, ms))
}

// proposal serves the HTML page of one proposal.
func (h *handler) proposal(w http.ResponseWriter, r *http.Request) {
	req, ok := h.begin(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n <= 0 || strconv.Itoa(n) != r.PathValue("n") {
		h.notFoundIn(w, r, req)
		return
	}
	ref := storage.ProposalRef{List: req.list.Address, Number: n}
	p, err := h.o.Store.Proposal(ref)
	if errors.Is(err, storage.ErrNotFound) {
		h.notFoundIn(w, r, req)
		return
	}
	if err != nil {
		h.fail(w, r, fmt.Errorf("register: %w", err))
		return
	}
	events, err := h.o.Store.ProposalEvents(ref)
	if err != nil {
		h.fail(w, r, fmt.Errorf("register: %w", err))
		return
	}
	ms, err := h.meetings(req.list)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "proposal", h.proposalPage(req, p, events, ms))
}

// file serves the register in a machine format.
func (h *handler) file(w http.ResponseWriter, r *http.Request) {
	var write func(http.ResponseWriter, request, []consensus.Proposal) error
	switch r.PathValue("file") {
	case "decisions.csv":
		write = h.writeCSV
	case "decisions.json":
		write = h.writeJSON
	case "decisions.ics":
		// The calendar holds the meetings too: read before anything is
		// written, so that a store error answers 500.
	case "decisions.atom":
		write = h.writeAtom
	default:
		h.notFound(w, r)
		return
	}
	req, ps, ok := h.beginProposals(w, r)
	if !ok {
		return
	}
	if write == nil {
		ms, err := h.meetings(req.list)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		write = func(w http.ResponseWriter, req request, ps []consensus.Proposal) error {
			return h.writeICS(w, req, ps, ms)
		}
	}
	if err := write(w, req, ps); err != nil {
		h.o.Logger.Warn("register: writing a response", "path", r.URL.Path, "err", err)
	}
}

// beginProposals is begin, then the proposals of the request's list,
// newest first; false when it has answered (404, 500).
func (h *handler) beginProposals(w http.ResponseWriter, r *http.Request) (request, []consensus.Proposal, bool) {
	req, ok := h.begin(w, r)
	if !ok {
		return req, nil, false
	}
	ps, err := h.proposals(req.list)
	if err != nil {
		h.fail(w, r, err)
		return req, nil, false
	}
	return req, ps, true
}

// proposals returns the proposals of list l, newest first.
func (h *handler) proposals(l storage.List) ([]consensus.Proposal, error) {
	ps, err := h.o.Store.Proposals(l.Address)
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	// Proposals("") would be every list's: make sure none slipped in.
	ps = slices.DeleteFunc(ps, func(p consensus.Proposal) bool {
		return storage.NormalizeAddress(p.List) != l.Address
	})
	slices.SortFunc(ps, func(a, b consensus.Proposal) int { return b.Number - a.Number })
	return ps, nil
}

// meetings returns the meetings of list l, earliest first.
func (h *handler) meetings(l storage.List) ([]storage.Meeting, error) {
	ms, err := h.o.Store.Meetings(l.Address)
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	// Meetings("") would be every list's: make sure none slipped in.
	return slices.DeleteFunc(ms, func(m storage.Meeting) bool {
		return storage.NormalizeAddress(m.List) != l.Address
	}), nil
}

// notFound answers 404 in the language of the URL or the server's, never
// the list's: a private list answers exactly as an unknown one.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	lang := h.o.Language
	if q := r.URL.Query().Get("lang"); q == "en" || q == "fr" {
		lang = q
	}
	h.render(w, r, http.StatusNotFound, "notfound", page{W: wordsFor(lang), Title: wordsFor(lang).NotFound,
		Body: notFoundBody{Back: "/" + query(lang != h.o.Language, lang), Label: wordsFor(lang).Home}})
}

// notFoundBody says where a 404 page leads back to.
type notFoundBody struct{ Back, Label string }

// query returns "?lang=xx" when chosen is true, else "".
func query(chosen bool, lang string) string {
	if chosen {
		return "?lang=" + lang
	}
	return ""
}

// notFoundIn answers 404 for an unknown page of a public list, in the
// list's language, leading back to its register: the list is public,
// so nothing is given away.
func (h *handler) notFoundIn(w http.ResponseWriter, r *http.Request, req request) {
	h.render(w, r, http.StatusNotFound, "notfound", page{W: req.w, Title: req.w.NotFound,
		Body: notFoundBody{Back: req.path + req.query, Label: req.w.BackRegister}})
}

// registerLink is one public register on the server's home page.
type registerLink struct{ Name, Address, URL string }

// index serves the server's home page: the public registers.
func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	lists, err := h.o.Store.Lists()
	if err != nil {
		h.fail(w, r, fmt.Errorf("register: lists: %w", err))
		return
	}
	lang := h.o.Language
	if q := r.URL.Query().Get("lang"); q == "en" || q == "fr" {
		lang = q
	}
	wd := wordsFor(lang)
	q := query(lang != h.o.Language, lang)
	var links []registerLink
	for _, l := range lists {
		if l.PublicRegister {
			links = append(links, registerLink{Name: listName(l), Address: l.Address, URL: h.registerPath(l) + q})
		}
	}
	slices.SortFunc(links, func(a, b registerLink) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	h.render(w, r, http.StatusOK, "index", page{W: wd, Title: wd.HomeTitle, OtherLang: "/?lang=" + wd.OtherLangCode, Body: links})
}

// fail answers 500 and logs the cause.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.o.Logger.Error("register: request failed", "path", r.URL.Path, "err", err)
	http.Error(w, "internal server error", http.StatusInternalServerError)
}
