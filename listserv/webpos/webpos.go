// Package webpos lets a member take a position on a proposal in one
// click (docs/membership.md): support it, object to it (with a reason), or
// lift their objection, from a link in a mail tacit sent them.
//
// A link is BASE/p/TOKEN/ACTION, where TOKEN (Token, or the whole link
// with URL) names the list, the proposal and the member and is
// authenticated with an HMAC under a key derived from the store's secret
// (Key): nobody takes a position for someone else without the mail sent
// to them. The token stands for the authentication of docs/security.md,
// as the one-click unsubscribe token does.
//
// Handler serves those links. A GET only shows the proposal (its title,
// its deadline in words and the time left, its current text) and one
// form with one button: mail scanners and previews fetch every link they
// see, and must never take a position. The POST of that form hands the
// position to Options.Position, which applies it exactly as the mail
// command, and the page says in plain words what was counted, or why
// nothing was. The pages have no script, fit a phone, speak the list's
// language (French by default) and keep the register's colours.
package webpos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/listserv/internal/webpage"
	"tacit/listserv/notice"
)

// ErrNotFound is what Options.Proposal and Options.Position return,
// possibly wrapped, for a list or proposal that does not exist (any
// more): the page then says the link is invalid.
var ErrNotFound = errors.New("webpos: no such proposal")

// maxBody bounds a POST body: a reason of a few paragraphs.
const maxBody = 16 << 10

// maxReason bounds the reason kept, in bytes.
const maxReason = 8 << 10

// Options configures Handler.
type Options struct {
	// Key authenticates tokens: Key(the store's secret).
	Key []byte
	// Proposal returns a proposal, for the pages. Required.
	Proposal func(list string, number int) (consensus.Proposal, error)
	// Position applies member's command kind (support, object, lift) to
	// the proposal, as the mail command would, and returns why it did
	// not count (consensus.Why*), "" when it counted. Required.
	Position func(ctx context.Context, list string, number int, member string, kind consensus.EventKind,
		reason string) (refusal string, err error)
	// Revoked reports whether member's links to the proposal were made
	// public (quoted in a message to the whole list); nil: never.
	Revoked func(list string, number int, member string) (bool, error)
	// Member reports whether member is on list; nil asks nobody (the
	// POST still refuses through Position).
	Member func(list, member string) (bool, error)
	// Lang returns a list's language, "fr" (the default) or "en".
	Lang func(list string) string
	// ListName returns the human name of a list ("" for none).
	ListName func(list string) string
	// ProposalURL returns the public page of a proposal ("" for none).
	ProposalURL func(list string, number int) string
	// Location is the timezone dates are written in (nil: UTC).
	Location *time.Location
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Logger receives one record per position and the errors.
	Logger *slog.Logger
}

//go:embed templates/page.html templates/style.css
var files embed.FS

var (
	tmpl       = template.Must(template.ParseFS(files, "templates/page.html"))
	style, csp = func() (template.CSS, string) {
		b, err := files.ReadFile("templates/style.css")
		if err != nil {
			panic(err) // embedded at build time
		}
		sum := sha256.Sum256(b)
		return template.CSS(b), "default-src 'none'; style-src 'sha256-" +
			base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	}()
)

// page is what the template sees; every text is already in the page's
// language.
type page struct {
	Lang, Title, Heading string
	Style                template.CSS
	// Lead are the first paragraphs: what happened, or what the button
	// does.
	Lead []string
	// Facts describe the proposal (label, value); Text is its current
	// text; PageURL its public page.
	Facts         [][2]string
	TextLabel     string
	Text          string
	PageURL       string
	PageLabel     string
	ProposalTitle string
	// Form: Action (the form's target), Button, Reason (a textarea for
	// an objection's reason, with its label), Note under the button.
	Form        bool
	Action      string
	Button      string
	Reason      bool
	ReasonLabel string
	Note        string
	Done        bool
}

type handler struct {
	o   Options
	log *slog.Logger
}

// Handler returns the handler of /p/TOKEN/ACTION. Mount it on "/p/"; it
// reads the last two segments of the path, so a prefix stripped or not
// makes no difference. GET and HEAD show; POST acts; any other method
// gets 405. It panics without Key, Proposal or Position.
func Handler(o Options) http.Handler {
	if len(o.Key) == 0 || o.Proposal == nil || o.Position == nil {
		panic("webpos: Options.Key, Proposal and Position are required")
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &handler{o: o, log: o.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// request is one link, read.
type request struct {
	list, member, action string
	number               int
	lang                 string
}

// ServeHTTP answers one request for /p/TOKEN/ACTION; see Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.message(w, r, http.StatusMethodNotAllowed, "fr", wMethodT, wMethod)
		return
	}
	q, ok := h.read(r)
	if !ok {
		if strings.Contains(r.URL.Path, "/"+Placeholder+"/") {
			// A proposal's copy read in the archive: its links are not
			// anyone's.
			h.message(w, r, http.StatusNotFound, "fr", wArchiveT, wArchive)
			return
		}
		h.message(w, r, http.StatusNotFound, "fr", wNotFoundT, wNotFound)
		return
	}
	p, err := h.o.Proposal(q.list, q.number)
	if errors.Is(err, ErrNotFound) {
		h.message(w, r, http.StatusNotFound, q.lang, wNotFoundT, wNotFound)
		return
	}
	if err != nil {
		h.fail(w, r, q, err)
		return
	}
	if r.Method == http.MethodPost {
		h.post(w, r, q)
		return
	}
	pg := h.describe(q, p)
	why, err := h.closed(q, p)
	if err != nil {
		h.fail(w, r, q, err)
		return
	}
	if why != "" {
		pg.Heading = fmt.Sprintf(wCloseTitle.in(q.lang), p.Number)
		pg.Lead = []string{refusalSentence(q.lang, why, p, q.member, h.o.Location)}
	} else {
		pg.Heading = fmt.Sprintf(wAsk[q.action].in(q.lang), p.Number)
		pg.Lead = []string{wWhy[q.action].in(q.lang)}
		pg.Form, pg.Action, pg.Button = true, "./"+q.action, wButton[q.action].in(q.lang)
		pg.Reason, pg.ReasonLabel = q.action == Object, wReason.in(q.lang)
		pg.Note = wNothingYet.in(q.lang)
	}
	h.render(w, r, http.StatusOK, pg)
}

// read reads the token and the action of r's path, and the list's
// language.
func (h *handler) read(r *http.Request) (request, bool) {
	segs := strings.Split(strings.TrimRight(r.URL.Path, "/"), "/")
	if len(segs) < 2 {
		return request{}, false
	}
	token, action := segs[len(segs)-2], segs[len(segs)-1]
	if !validAction(action) {
		return request{}, false
	}
	list, n, member, ok := Parse(h.o.Key, token)
	if !ok {
		return request{}, false
	}
	q := request{list: list, member: member, action: action, number: n, lang: "fr"}
	if h.o.Lang != nil {
		q.lang = normLang(h.o.Lang(list))
	}
	return q, true
}

// closed says why the action cannot count now (consensus.Why*), "" when
// it can: what the POST would answer, said before the button.
func (h *handler) closed(q request, p consensus.Proposal) (string, error) {
	if h.o.Member != nil {
		ok, err := h.o.Member(q.list, q.member)
		if err != nil {
			return "", err
		}
		if !ok {
			return consensus.WhyNotMember, nil
		}
	}
	if h.o.Revoked != nil {
		public, err := h.o.Revoked(q.list, q.number, q.member)
		if err != nil {
			return "", err
		}
		if public {
			return consensus.WhyLinkPublic, nil
		}
	}
	now := h.o.Now()
	switch {
	case p.Status.Terminal() && q.action != Lift && p.Status == consensus.StatusAdopted && !now.Before(p.Deadline):
		return consensus.WhyLate, nil
	case p.Status.Terminal():
		return consensus.WhyDecided, nil
	case q.action == Lift && !p.Objector(q.member):
		return consensus.WhyNoObjection, nil
	case q.action != Lift && (p.Status != consensus.StatusOpen || !now.Before(p.Deadline)):
		return consensus.WhyLate, nil
	}
	return "", nil
}

// post applies the position and says what became of it.
func (h *handler) post(w http.ResponseWriter, r *http.Request, q request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "web position: bad body", slog.String("list", q.list),
			slog.Int("proposal", q.number), slog.Any("err", err))
		h.message(w, r, http.StatusBadRequest, q.lang, wFailedT, wFailed)
		return
	}
	reason := ""
	if q.action == Object {
		reason = clip(strings.TrimSpace(strings.ReplaceAll(r.PostForm.Get("reason"), "\r\n", "\n")))
	}
	why, err := h.o.Position(r.Context(), q.list, q.number, q.member, consensus.EventKind(q.action), reason)
	if errors.Is(err, ErrNotFound) {
		h.message(w, r, http.StatusNotFound, q.lang, wNotFoundT, wNotFound)
		return
	}
	if err != nil {
		h.fail(w, r, q, err)
		return
	}
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "web position", slog.String("list", q.list),
		slog.Int("proposal", q.number), slog.String("member", q.member), slog.String("action", q.action),
		slog.String("refusal", why))
	p, err := h.o.Proposal(q.list, q.number)
	if err != nil {
		h.fail(w, r, q, err)
		return
	}
	pg := h.describe(q, p)
	status := http.StatusOK
	if why == "" {
		pg.Heading, pg.Done = wNotedTitle.in(q.lang), true
		pg.Lead = []string{fmt.Sprintf(wDone[q.action].in(q.lang), p.Number), wMailToo.in(q.lang)}
	} else {
		status = http.StatusConflict
		pg.Heading = wNothingT.in(q.lang)
		pg.Lead = []string{refusalSentence(q.lang, why, p, q.member, h.o.Location)}
		if why != consensus.WhyNotMember {
			pg.Lead = append(pg.Lead, wMailWhy.in(q.lang))
		}
	}
	h.render(w, r, status, pg)
}

// describe fills what every page shows of the proposal.
func (h *handler) describe(q request, p consensus.Proposal) page {
	lang := q.lang
	list := q.list
	if h.o.ListName != nil {
		if n := strings.TrimSpace(h.o.ListName(q.list)); n != "" && n != q.list {
			list = n + " (" + q.list + ")"
		}
	}
	deadline := notice.Date(p.Deadline, lang, h.o.Location)
	if p.Status == consensus.StatusOpen {
		deadline += " — " + timeLeft(lang, p.Deadline.Sub(h.o.Now()))
	}
	pg := page{Lang: lang, ProposalTitle: p.Title, TextLabel: wText.in(lang), Text: p.Current().Text,
		Facts: [][2]string{
			{wList.in(lang), list},
			{wProposal.in(lang), "n° " + strconv.Itoa(p.Number) + " : " + p.Title},
			{wStatus.in(lang), statusWords[p.Status].in(lang)},
			{wDeadline.in(lang), deadline},
			{wAs.in(lang), q.member},
		}}
	if lang == "en" {
		pg.Facts[1][1] = "#" + strconv.Itoa(p.Number) + ": " + p.Title
	}
	if h.o.ProposalURL != nil {
		pg.PageURL, pg.PageLabel = h.o.ProposalURL(q.list, p.Number), wPageLink.in(lang)
	}
	return pg
}

// fail logs err and shows the "try again" page.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, q request, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "web position failed", slog.String("list", q.list),
		slog.Int("proposal", q.number), slog.String("member", q.member), slog.Any("err", err))
	h.message(w, r, http.StatusInternalServerError, q.lang, wFailedT, wFailed)
}

// message renders a page of one sentence.
func (h *handler) message(w http.ResponseWriter, r *http.Request, status int, lang string, title, text word) {
	h.render(w, r, status, page{Lang: lang, Heading: title.in(lang), Lead: []string{text.in(lang)}})
}

// render writes pg with status and the headers every answer carries.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, pg page) {
	pg.Style = style
	if pg.Title == "" {
		pg.Title = pg.Heading
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "page", pg); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "web position: page", slog.Any("err", err))
		buf.Reset()
		buf.Write(webpage.ErrorPage(pg.Lang))
		status = http.StatusInternalServerError
	}
	webpage.Write(w, r, status, buf.Bytes(), csp)
}

// clip cuts s to maxReason bytes, on a rune boundary.
func clip(s string) string {
	if len(s) <= maxReason {
		return s
	}
	return strings.ToValidUTF8(s[:maxReason], "")
}
