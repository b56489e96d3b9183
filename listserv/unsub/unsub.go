// Package unsub implements one-click unsubscription (RFC 8058) for
// tacit's lists.
//
// Every message a member receives carries
//
//	List-Unsubscribe: <https://lists.example.org/u/TOKEN>
//	List-Unsubscribe-Post: List-Unsubscribe=One-Click
//
// where TOKEN, made by Token (or the whole address by URL), names the
// list and the member and is authenticated with an HMAC under a secret
// kept by the server: nobody can unsubscribe someone else without the
// message sent to them. Tokens do not expire and are computed again at
// every delivery.
//
// Handler serves those addresses. A GET only shows a page asking for
// confirmation, because link scanners and previews fetch every link they
// see; a POST, sent by the mail client with the body
// "List-Unsubscribe=One-Click" or by the page's own button, unsubscribes.
// Pages are in French, the default, or in English.
package unsub

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"tacit/listserv/internal/webpage"
)

// ErrNotMember is the error Options.Unsubscribe returns, possibly
// wrapped, when the member is not on the list (any more). Handler then
// answers that the address is already unsubscribed.
var ErrNotMember = errors.New("unsub: not a member of the list")

// maxBody bounds a POST body. RFC 8058's body is 26 bytes; a multipart
// one with a long boundary stays far below.
const maxBody = 4 << 10

// Security headers sent with every answer.
const (
	contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
	allowedMethods        = "GET, HEAD, POST"
)

// Options configures Handler.
type Options struct {
	// Secret authenticates tokens; it must be the one given to Token and
	// URL, at least MinSecretSize random bytes.
	Secret []byte
	// Unsubscribe removes member from list. It returns ErrNotMember
	// (possibly wrapped) when the member is no longer on the list; any
	// other error is logged and the person is asked to try again later.
	// It is required.
	Unsubscribe func(ctx context.Context, list, member string) error
	// Lang returns the language of a list's pages, "fr" or "en"; nil, or
	// anything else, means "fr".
	Lang func(list string) string
	// ListName returns the human name of a list shown on the pages; nil
	// or "" shows the list's address alone.
	ListName func(list string) string
	// Logger receives one record per unsubscription (list, member) and
	// the errors; nil discards them.
	Logger *slog.Logger
}

//go:embed templates
var files embed.FS

// pages holds one template set per language.
var pages = map[string]*template.Template{
	"fr": mustParse("fr"),
	"en": mustParse("en"),
}

func mustParse(lang string) *template.Template {
	return template.Must(template.New(lang).ParseFS(files, "templates/layout.html", "templates/"+lang+".html"))
}

// kind names the page shown.
type kind string

const (
	kindConfirm  kind = "confirm"  // GET: confirm with the button
	kindDone     kind = "done"     // POST: unsubscribed
	kindAlready  kind = "already"  // POST: was not subscribed any more
	kindInvalid  kind = "invalid"  // POST without the one-click field, or too big
	kindFailed   kind = "failed"   // POST: Unsubscribe failed
	kindNotFound kind = "notfound" // bad token
	kindMethod   kind = "method"   // method not allowed
)

// page is what the templates see.
type page struct {
	Lang     string
	Kind     kind
	List     string // list address
	ListName string // human name, may be empty
	Member   string
	Action   string // form target, relative to the page
}

type handler struct {
	o   Options
	log *slog.Logger
}

// Handler returns the handler of the unsubscribe addresses /unsubscribe/{token}.
// Mount it with the pattern "/unsubscribe/{token}" or under a prefix; the
// token is the {token} path value when there is one, the last path
// segment otherwise, so http.StripPrefix works too.
//
// GET (and HEAD) shows a page naming the list and the address with a
// button that posts to the same address; it never unsubscribes. POST
// with List-Unsubscribe=One-Click, as application/x-www-form-urlencoded
// or multipart/form-data (RFC 8058 section 3.2), unsubscribes and answers
// 200; so does a POST for an address no longer on the list, since the
// result is the same. A bad token gets 404, a POST without the field 400,
// a body over 4 KiB 413, a failed Unsubscribe 500, any other method 405.
// Every answer is a small HTML page sent with Cache-Control: no-store and
// a strict Content-Security-Policy.
//
// Handler panics if o.Secret is shorter than MinSecretSize or
// o.Unsubscribe is nil.
func Handler(o Options) http.Handler {
	if len(o.Secret) < MinSecretSize {
		panic(fmt.Sprintf("unsub: Options.Secret has %d bytes, want at least %d", len(o.Secret), MinSecretSize))
	}
	if o.Unsubscribe == nil {
		panic("unsub: Options.Unsubscribe is nil")
	}
	h := &handler{o: o, log: o.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// ServeHTTP answers one request for /unsubscribe/{token}; see Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", allowedMethods)
		h.render(w, r, http.StatusMethodNotAllowed, page{Lang: acceptLang(r.Header.Get("Accept-Language")), Kind: kindMethod})
		return
	}
	token := tokenOf(r)
	list, member, ok := Parse(h.o.Secret, token)
	if !ok {
		h.render(w, r, http.StatusNotFound, page{Lang: acceptLang(r.Header.Get("Accept-Language")), Kind: kindNotFound})
		return
	}
	p := page{Lang: h.lang(list), List: list, ListName: h.listName(list), Member: member, Action: "./" + token}
	if r.Method != http.MethodPost {
		p.Kind = kindConfirm
		h.render(w, r, http.StatusOK, p)
		return
	}

	oneClick, err := readOneClick(w, r)
	if err != nil {
		status := http.StatusBadRequest
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "unsubscribe: bad request body",
			slog.String("list", list), slog.String("member", member), slog.Any("err", err))
		p.Kind = kindInvalid
		h.render(w, r, status, p)
		return
	}
	if !oneClick {
		p.Kind = kindInvalid
		h.render(w, r, http.StatusBadRequest, p)
		return
	}

	switch err := h.o.Unsubscribe(r.Context(), list, member); {
	case err == nil:
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "unsubscribed",
			slog.String("list", list), slog.String("member", member))
		p.Kind = kindDone
		h.render(w, r, http.StatusOK, p)
	case errors.Is(err, ErrNotMember):
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "unsubscribe: not a member any more",
			slog.String("list", list), slog.String("member", member))
		p.Kind = kindAlready
		h.render(w, r, http.StatusOK, p)
	default:
		h.log.LogAttrs(r.Context(), slog.LevelError, "unsubscribe failed",
			slog.String("list", list), slog.String("member", member),
			slog.Any("err", fmt.Errorf("unsub: unsubscribe %s from %s: %w", member, list, err)))
		p.Kind = kindFailed
		h.render(w, r, http.StatusInternalServerError, p)
	}
}

// tokenOf returns the token named by r's path.
func tokenOf(r *http.Request) string {
	if t := r.PathValue("token"); t != "" {
		return t
	}
	p := r.URL.Path
	return p[strings.LastIndexByte(p, '/')+1:]
}

// readOneClick reads r's body, at most maxBody bytes, and reports whether
// it holds List-Unsubscribe=One-Click. Bodies that are not
// multipart/form-data are read as application/x-www-form-urlencoded
// whatever their Content-Type says, for clients that leave it out.
func readOneClick(w http.ResponseWriter, r *http.Request) (bool, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var values url.Values
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mediaType == "multipart/form-data" {
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return false, fmt.Errorf("unsub: read multipart body: %w", err)
		}
		defer r.MultipartForm.RemoveAll()
		values = r.MultipartForm.Value
	} else {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return false, fmt.Errorf("unsub: read body: %w", err)
		}
		// A malformed pair elsewhere in the body does not hide ours.
		values, _ = url.ParseQuery(string(body))
	}
	for _, v := range values["List-Unsubscribe"] {
		if strings.EqualFold(strings.TrimSpace(v), "One-Click") {
			return true, nil
		}
	}
	return false, nil
}

// render writes page p with status and the headers every answer carries.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, p page) {
	var buf bytes.Buffer
	if err := pages[p.Lang].ExecuteTemplate(&buf, "page", p); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "unsubscribe: page",
			slog.Any("err", fmt.Errorf("unsub: render %s page in %s: %w", p.Kind, p.Lang, err)))
		buf.Reset()
		buf.Write(webpage.ErrorPage(p.Lang))
		if status < http.StatusBadRequest {
			status = http.StatusInternalServerError
		}
	}
	webpage.Write(w, r, status, buf.Bytes(), contentSecurityPolicy)
}

// lang returns the language of list's pages.
func (h *handler) lang(list string) string {
	if h.o.Lang == nil {
		return "fr"
	}
	return normLang(h.o.Lang(list))
}

// listName returns the human name of list, or "".
func (h *handler) listName(list string) string {
	if h.o.ListName == nil {
		return ""
	}
	if n := strings.TrimSpace(h.o.ListName(list)); n != list {
		return n
	}
	return ""
}

// normLang maps a language tag to "en" or "fr", the default.
func normLang(tag string) string {
	primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
	if strings.EqualFold(primary, "en") {
		return "en"
	}
	return "fr"
}

// acceptLang picks the page language from an Accept-Language header, for
// the pages that name no list: English only when it is preferred to
// French.
func acceptLang(header string) string {
	best, bestQ := "fr", 0.0
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
		primary = strings.ToLower(primary)
		if (primary == "fr" || primary == "en") && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}
