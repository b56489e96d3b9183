package unsub

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"tacit/listserv/internal/sealed"
)

var (
	secret      = bytes.Repeat([]byte("0123456789abcdef"), 2)
	otherSecret = bytes.Repeat([]byte("fedcba9876543210"), 2)
)

const (
	testList   = "velo@listes.example.org"
	testMember = "Jean.Dupont+velo@exemple.fr"
)

// store is a fake list store counting real removals.
type store struct {
	mu      sync.Mutex
	members map[[2]string]bool
	removed int
	calls   int
	err     error
}

func newStore(pairs ...string) *store {
	s := &store{members: map[[2]string]bool{}}
	for i := 0; i+1 < len(pairs); i += 2 {
		s.members[[2]string{pairs[i], pairs[i+1]}] = true
	}
	return s
}

func (s *store) unsubscribe(_ context.Context, list, member string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return s.err
	}
	k := [2]string{list, member}
	if !s.members[k] {
		return fmt.Errorf("store: remove %s from %s: %w", member, list, ErrNotMember)
	}
	delete(s.members, k)
	s.removed++
	return nil
}

func (s *store) counts() (removed, calls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removed, s.calls
}

func newHandler(s *store, lang string) http.Handler {
	return Handler(Options{
		Secret:      secret,
		Unsubscribe: s.unsubscribe,
		Lang:        func(string) string { return lang },
		ListName:    func(string) string { return "Amis du vélo" },
	})
}

func do(h http.Handler, method, target, contentType string, body io.Reader) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func oneClickForm() (string, io.Reader) {
	return "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click")
}

func oneClickMultipart(t *testing.T) (string, io.Reader) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("List-Unsubscribe", "One-Click"); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &buf
}

// text returns the body with HTML character references decoded.
func text(w *httptest.ResponseRecorder) string { return html.UnescapeString(w.Body.String()) }

func checkHeaders(t *testing.T, h http.Header) {
	t.Helper()
	want := map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
		"Referrer-Policy":         "no-referrer",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	urlSafe := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	cases := []struct{ list, member string }{
		{testList, testMember},
		{testList, "jean+liste+velo@exemple.fr"},
		{"Velo@Listes.Example.ORG", "JEAN.DUPONT@EXEMPLE.FR"},
		{"vélo@listes.exemple.fr", "élodie.müller@exemple.fr"},
		{"会员@例子.广告", "用户+标签@例子.广告"},
		{testList, `"jean dupont"@exemple.fr`},
		{testList, "a/b=c?d&e#f@exemple.fr"},
		{"x", strings.Repeat("m", 240) + "@exemple.fr"},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		tok := Token(secret, c.list, c.member)
		if !urlSafe.MatchString(tok) {
			t.Errorf("Token(%q, %q) = %q, not base64url without padding", c.list, c.member, tok)
		}
		if again := Token(secret, c.list, c.member); again != tok {
			t.Errorf("Token(%q, %q) not stable: %q then %q", c.list, c.member, tok, again)
		}
		if seen[tok] {
			t.Errorf("Token(%q, %q) = %q, already made for other inputs", c.list, c.member, tok)
		}
		seen[tok] = true
		list, member, ok := Parse(secret, tok)
		if !ok || list != c.list || member != c.member {
			t.Errorf("Parse(Token(%q, %q)) = %q, %q, %v", c.list, c.member, list, member, ok)
		}
	}
	// The split between list and member is in the token, not guessed.
	if Token(secret, "ab", "c") == Token(secret, "a", "bc") {
		t.Error("tokens for (ab, c) and (a, bc) are equal")
	}
	if Token(secret, testList, testMember) == Token(secret, testList, strings.ToLower(testMember)) {
		t.Error("tokens ignore case")
	}
}

func TestTokenRefused(t *testing.T) {
	t.Parallel()
	tok := Token(secret, testList, testMember)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

	refused := func(name, token string) {
		t.Helper()
		if list, member, ok := Parse(secret, token); ok || list != "" || member != "" {
			t.Errorf("%s: Parse(%q) = %q, %q, %v; want refused", name, token, list, member, ok)
		}
	}
	// sign builds a token from raw payload bytes with a valid MAC.
	sign := func(payload []byte) string {
		return sealed.Seal(secret, macContext, payload)
	}

	refused("empty", "")
	refused("not base64", "!!!!")
	refused("padded", tok+"=")
	refused("standard alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(tok)+"+/")
	refused("with newline", tok[:10]+"\n"+tok[10:])
	refused("with CR LF", tok[:10]+"\r\n"+tok[10:])
	refused("doubled", tok+tok)
	refused("too long", Token(secret, testList, strings.Repeat("x", 2000)))
	for i := range len(tok) {
		refused(fmt.Sprintf("truncated to %d", i), tok[:i])
	}
	for i := range len(tok) {
		for _, c := range alphabet {
			if byte(c) == tok[i] {
				continue
			}
			altered := tok[:i] + string(c) + tok[i+1:]
			if _, _, ok := Parse(secret, altered); ok {
				t.Fatalf("altered at %d to %c: Parse(%q) accepted", i, c, altered)
			}
		}
	}
	if _, _, ok := Parse(otherSecret, tok); ok {
		t.Error("token accepted under another secret")
	}
	refused("made under another secret", Token(otherSecret, testList, testMember))
	if _, _, ok := Parse(nil, Token(nil, testList, testMember)); ok {
		t.Error("token accepted under an empty secret")
	}

	// Forged: our payload, someone's MAC.
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	forged := bytes.Clone(raw)
	copy(forged[len(forged)-sealed.MACSize:], make([]byte, sealed.MACSize))
	refused("zero MAC", base64.RawURLEncoding.EncodeToString(forged))
	payload := raw[:len(raw)-sealed.MACSize]
	other := append(bytes.Clone(payload[:len(payload)-len(testMember)]), "mallory@exemple.fr"...)
	refused("member swapped", base64.RawURLEncoding.EncodeToString(append(other, raw[len(raw)-sealed.MACSize:]...)))
	refused("no MAC", base64.RawURLEncoding.EncodeToString(payload))
	refused("MAC only", base64.RawURLEncoding.EncodeToString(raw[len(raw)-sealed.MACSize:]))

	// Valid MACs around malformed payloads.
	refused("empty list", Token(secret, "", testMember))
	refused("empty member", Token(secret, testList, ""))
	refused("version 2", sign(append([]byte{2, byte(len(testList))}, testList+testMember...)))
	refused("list length past the end", sign(append([]byte{1, 200}, "a@b"...)))
	refused("bad varint", sign([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'a'}))
	huge := binary.AppendUvarint([]byte{1}, 1<<63)
	refused("huge length", sign(append(huge, "a@b"...)))
	refused("invalid UTF-8", Token(secret, testList, "\xff@exemple.fr"))
}

func TestURL(t *testing.T) {
	t.Parallel()
	want := "https://listes.example.org/unsubscribe/" + Token(secret, testList, testMember)
	for _, base := range []string{"https://listes.example.org", "https://listes.example.org/"} {
		if got := URL(base, secret, testList, testMember); got != want {
			t.Errorf("URL(%q) = %q, want %q", base, got, want)
		}
	}
	want = "https://example.org/listes/unsubscribe/" + Token(secret, testList, testMember)
	if got := URL("https://example.org/listes/", secret, testList, testMember); got != want {
		t.Errorf("URL with a path = %q, want %q", got, want)
	}
}

var actionRE = regexp.MustCompile(`<form method="post" action="([^"]*)">`)

func TestGetDoesNotUnsubscribe(t *testing.T) {
	t.Parallel()
	s := newStore(testList, testMember)
	h := newHandler(s, "fr")
	target := "/u/" + Token(secret, testList, testMember)

	w := do(h, http.MethodGet, target, "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET: status %d, want 200", w.Code)
	}
	if removed, calls := s.counts(); removed != 0 || calls != 0 {
		t.Fatalf("GET called Unsubscribe %d times", calls)
	}
	checkHeaders(t, w.Header())
	body := text(w)
	for _, want := range []string{
		`<!DOCTYPE html>`, `<html lang="fr">`, `<meta name="viewport"`, `<main>`, `<h1>`,
		testMember, testList, "Amis du vélo", "Me désabonner",
		`<input type="hidden" name="List-Unsubscribe" value="One-Click">`,
		`<button type="submit">`, `:focus`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("GET page has a script")
	}
	m := actionRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("GET page has no POST form:\n%s", body)
	}
	action, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := url.Parse("https://listes.example.org" + target)
	if got := page.ResolveReference(action); got.String() != page.String() {
		t.Errorf("form posts to %s, want %s", got, page)
	}

	w = do(h, http.MethodHead, target, "", nil)
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD: status %d, %d bytes", w.Code, w.Body.Len())
	}
	if _, calls := s.counts(); calls != 0 {
		t.Error("HEAD called Unsubscribe")
	}
}

func TestPostOneClick(t *testing.T) {
	t.Parallel()
	bodies := map[string]func(*testing.T) (string, io.Reader){
		"urlencoded": func(*testing.T) (string, io.Reader) { return oneClickForm() },
		"multipart":  oneClickMultipart,
		"urlencoded without content type": func(*testing.T) (string, io.Reader) {
			return "", strings.NewReader("List-Unsubscribe=One-Click\r\n")
		},
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStore(testList, testMember, testList, "autre@exemple.fr")
			h := newHandler(s, "fr")
			target := "/u/" + Token(secret, testList, testMember)

			ct, b := body(t)
			w := do(h, http.MethodPost, target, ct, b)
			if w.Code != http.StatusOK {
				t.Fatalf("first POST: status %d, want 200\n%s", w.Code, w.Body)
			}
			checkHeaders(t, w.Header())
			if got := text(w); !strings.Contains(got, "Désabonnement effectué") || !strings.Contains(got, testMember) {
				t.Errorf("first POST page:\n%s", got)
			}
			if removed, _ := s.counts(); removed != 1 {
				t.Fatalf("removed %d after the first POST, want 1", removed)
			}

			ct, b = body(t)
			w = do(h, http.MethodPost, target, ct, b)
			if w.Code != http.StatusOK {
				t.Fatalf("second POST: status %d, want 200", w.Code)
			}
			if got := text(w); !strings.Contains(got, "n’est plus abonnée") || !strings.Contains(got, "déjà effectué") {
				t.Errorf("second POST does not say already unsubscribed:\n%s", got)
			}
			if removed, calls := s.counts(); removed != 1 || calls != 2 {
				t.Errorf("removed %d in %d calls, want 1 in 2", removed, calls)
			}
			if !s.members[[2]string{testList, "autre@exemple.fr"}] {
				t.Error("another member was removed")
			}
		})
	}
}

func TestPostFromPage(t *testing.T) {
	t.Parallel()
	s := newStore(testList, testMember)
	h := newHandler(s, "fr")
	target := "/u/" + Token(secret, testList, testMember)
	page := do(h, http.MethodGet, target, "", nil).Body.String()

	// Submit the page's form the way a browser does.
	fields := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(page, -1) {
		fields.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	action := html.UnescapeString(actionRE.FindStringSubmatch(page)[1])
	base, _ := url.Parse("http://listes.example.org" + target)
	ref, _ := url.Parse(action)
	w := do(h, http.MethodPost, base.ResolveReference(ref).RequestURI(), "application/x-www-form-urlencoded", strings.NewReader(fields.Encode()))
	if w.Code != http.StatusOK {
		t.Fatalf("form POST: status %d\n%s", w.Code, w.Body)
	}
	if removed, _ := s.counts(); removed != 1 {
		t.Errorf("form POST removed %d, want 1", removed)
	}
}

func TestPostRefused(t *testing.T) {
	t.Parallel()
	s := newStore(testList, testMember)
	h := newHandler(s, "fr")
	target := "/u/" + Token(secret, testList, testMember)
	cases := []struct {
		name, contentType, body string
		status                  int
	}{
		{"empty", "application/x-www-form-urlencoded", "", http.StatusBadRequest},
		{"other field", "application/x-www-form-urlencoded", "unsubscribe=yes", http.StatusBadRequest},
		{"other value", "application/x-www-form-urlencoded", "List-Unsubscribe=Maybe", http.StatusBadRequest},
		{"field in query only", "application/x-www-form-urlencoded", "", http.StatusBadRequest},
		{"broken multipart", "multipart/form-data; boundary=xyz", "not multipart", http.StatusBadRequest},
		{"too big", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click&pad=" + strings.Repeat("x", 5000), http.StatusRequestEntityTooLarge},
		{"too big multipart", "multipart/form-data; boundary=xyz",
			"--xyz\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--xyz\r\nContent-Disposition: form-data; name=\"pad\"\r\n\r\n" +
				strings.Repeat("x", 5000) + "\r\n--xyz--\r\n", http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		tgt := target
		if c.name == "field in query only" {
			tgt += "?List-Unsubscribe=One-Click"
		}
		w := do(h, http.MethodPost, tgt, c.contentType, strings.NewReader(c.body))
		if w.Code != c.status {
			t.Errorf("%s: status %d, want %d", c.name, w.Code, c.status)
		}
		checkHeaders(t, w.Header())
		if !actionRE.MatchString(w.Body.String()) {
			t.Errorf("%s: page offers no form to finish:\n%s", c.name, w.Body)
		}
	}
	if _, calls := s.counts(); calls != 0 {
		t.Errorf("refused POSTs called Unsubscribe %d times", calls)
	}
}

func TestBadToken(t *testing.T) {
	t.Parallel()
	s := newStore(testList, testMember)
	h := newHandler(s, "en")
	tok := Token(secret, testList, testMember)
	for _, target := range []string{
		"/u/", "/u/x", "/u/" + tok[:len(tok)-1], "/u/" + tok + "/", "/u/" + Token(otherSecret, testList, testMember),
		"/u/" + tok[:5] + "A" + tok[6:],
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			ct, body := oneClickForm()
			w := do(h, method, target, ct, body)
			if w.Code != http.StatusNotFound {
				t.Errorf("%s %s: status %d, want 404", method, target, w.Code)
			}
			checkHeaders(t, w.Header())
			// No list is known: French unless the browser prefers English.
			if got := w.Body.String(); !strings.Contains(got, `<html lang="fr">`) || !strings.Contains(got, "Lien de désabonnement invalide") {
				t.Errorf("%s %s: page:\n%s", method, target, got)
			}
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/u/x", nil)
	r.Header.Set("Accept-Language", "en-GB,en;q=0.9,fr;q=0.5")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `<html lang="en">`) || !strings.Contains(w.Body.String(), "Invalid unsubscribe link") {
		t.Errorf("404 for an English browser: %d\n%s", w.Code, w.Body)
	}
	if _, calls := s.counts(); calls != 0 {
		t.Errorf("bad tokens called Unsubscribe %d times", calls)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	s := newStore(testList, testMember)
	h := newHandler(s, "fr")
	target := "/u/" + Token(secret, testList, testMember)
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		ct, body := oneClickForm()
		w := do(h, method, target, ct, body)
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s: status %d, want 405", method, w.Code)
		}
		allow := w.Header().Get("Allow")
		if !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
			t.Errorf("%s: Allow = %q", method, allow)
		}
		checkHeaders(t, w.Header())
	}
	if _, calls := s.counts(); calls != 0 {
		t.Errorf("other methods called Unsubscribe %d times", calls)
	}
}

func TestEnglish(t *testing.T) {
	t.Parallel()
	s := newStore(testList, testMember)
	h := Handler(Options{Secret: secret, Unsubscribe: s.unsubscribe, Lang: func(string) string { return "en" }})
	target := "/u/" + Token(secret, testList, testMember)

	got := text(do(h, http.MethodGet, target, "", nil))
	for _, want := range []string{`<html lang="en">`, "Unsubscribe me", testMember, "<strong>" + testList + "</strong>"} {
		if !strings.Contains(got, want) {
			t.Errorf("English GET page lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "désabonner") {
		t.Errorf("English page has French text:\n%s", got)
	}
	ct, body := oneClickForm()
	if got := text(do(h, http.MethodPost, target, ct, body)); !strings.Contains(got, "You are unsubscribed") {
		t.Errorf("English done page:\n%s", got)
	}
	ct, body = oneClickForm()
	if got := text(do(h, http.MethodPost, target, ct, body)); !strings.Contains(got, "You are not subscribed any more") {
		t.Errorf("English already page:\n%s", got)
	}
}

func TestDefaultsToFrench(t *testing.T) {
	t.Parallel()
	for _, lang := range []func(string) string{nil, func(string) string { return "de" }, func(string) string { return "" }} {
		h := Handler(Options{Secret: secret, Unsubscribe: newStore().unsubscribe, Lang: lang})
		got := text(do(h, http.MethodGet, "/u/"+Token(secret, testList, testMember), "", nil))
		if !strings.Contains(got, `<html lang="fr">`) || !strings.Contains(got, "Me désabonner") {
			t.Errorf("page is not French:\n%s", got)
		}
	}
}

func TestUnsubscribeFails(t *testing.T) {
	t.Parallel()
	s := newStore(testList, testMember)
	s.err = errors.New("disk full")
	var logs bytes.Buffer
	h := Handler(Options{Secret: secret, Unsubscribe: s.unsubscribe, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ct, body := oneClickForm()
	w := do(h, http.MethodPost, "/u/"+Token(secret, testList, testMember), ct, body)
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", w.Code)
	}
	checkHeaders(t, w.Header())
	if !strings.Contains(text(w), "Réessayez") || !actionRE.MatchString(w.Body.String()) {
		t.Errorf("failure page:\n%s", w.Body)
	}
	if !strings.Contains(logs.String(), "disk full") || !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("log: %s", logs.String())
	}
}

func TestLogsUnsubscription(t *testing.T) {
	t.Parallel()
	s := newStore(testList, testMember)
	var logs bytes.Buffer
	h := Handler(Options{Secret: secret, Unsubscribe: s.unsubscribe, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ct, body := oneClickForm()
	do(h, http.MethodPost, "/u/"+Token(secret, testList, testMember), ct, body)
	got := logs.String()
	for _, want := range []string{"msg=unsubscribed", "list=" + testList, "member=" + testMember} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q: %s", want, got)
		}
	}
}

func TestListName(t *testing.T) {
	t.Parallel()
	target := "/u/" + Token(secret, testList, testMember)
	for _, c := range []struct{ name, want string }{
		{"Amis du vélo", "<strong>«\u00a0Amis du vélo\u00a0»</strong> (" + testList + ")"},
		{"", "<strong>" + testList + "</strong>"},
		{testList, "<strong>" + testList + "</strong>"},
		{"<b>Vélo & co</b>", "«\u00a0<b>Vélo & co</b>\u00a0»"},
	} {
		h := Handler(Options{Secret: secret, Unsubscribe: newStore().unsubscribe, ListName: func(string) string { return c.name }})
		w := do(h, http.MethodGet, target, "", nil)
		if got := text(w); !strings.Contains(got, c.want) {
			t.Errorf("ListName %q: page lacks %q:\n%s", c.name, c.want, got)
		}
		if strings.Contains(w.Body.String(), "<b>") {
			t.Errorf("ListName %q not escaped", c.name)
		}
	}
}

func TestMounting(t *testing.T) {
	t.Parallel()
	s := newStore(testList, testMember)
	tok := Token(secret, testList, testMember)
	mux := http.NewServeMux()
	mux.Handle("/u/{token}", newHandler(s, "fr"))
	mux.Handle("/prefix/", http.StripPrefix("/prefix", newHandler(s, "fr")))
	for _, target := range []string{"/u/" + tok, "/prefix/u/" + tok} {
		if w := do(mux, http.MethodGet, target, "", nil); w.Code != http.StatusOK {
			t.Errorf("GET %s: status %d", target, w.Code)
		}
	}
}

func TestAllPagesRender(t *testing.T) {
	t.Parallel()
	kinds := []kind{kindConfirm, kindDone, kindAlready, kindInvalid, kindFailed, kindNotFound, kindMethod}
	titles := map[string]bool{}
	for lang, tmpl := range pages {
		for _, k := range kinds {
			var buf bytes.Buffer
			p := page{Lang: lang, Kind: k, List: testList, ListName: "Amis du vélo", Member: testMember, Action: "./tok"}
			if err := tmpl.ExecuteTemplate(&buf, "page", p); err != nil {
				t.Fatalf("%s %s: %v", lang, k, err)
			}
			got := buf.String()
			for _, want := range []string{`<html lang="` + lang + `">`, "<title>", "<h1>", "</main>", "</html>"} {
				if !strings.Contains(got, want) {
					t.Errorf("%s %s: lacks %q", lang, k, want)
				}
			}
			for _, bad := range []string{"ZgotmplZ", "<no value>", "<script"} {
				if strings.Contains(got, bad) {
					t.Errorf("%s %s: has %q", lang, k, bad)
				}
			}
			title := regexp.MustCompile(`<title>(.*)</title>`).FindStringSubmatch(got)[1]
			if titles[title] {
				t.Errorf("%s %s: title %q used twice", lang, k, title)
			}
			titles[title] = true
		}
	}
}

func TestAcceptLang(t *testing.T) {
	t.Parallel()
	cases := []struct{ header, want string }{
		{"", "fr"},
		{"en", "en"},
		{"en-US,en;q=0.9", "en"},
		{"fr-FR,fr;q=0.9,en;q=0.8", "fr"},
		{"de,en;q=0.5,fr;q=0.4", "en"},
		{"de,fr;q=0.5,en;q=0.5", "fr"},
		{"EN-gb", "en"},
		{"en;q=0", "fr"},
		{"en;q=bogus, fr;q=0.1", "fr"},
		{"it, es;q=0.8", "fr"},
		{"en;q=0.7,fr;q=0.6", "en"},
	}
	for _, c := range cases {
		if got := acceptLang(c.header); got != c.want {
			t.Errorf("acceptLang(%q) = %q, want %q", c.header, got, c.want)
		}
	}
}

func TestHandlerPanics(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]Options{
		"short secret":    {Secret: secret[:31], Unsubscribe: newStore().unsubscribe},
		"nil unsubscribe": {Secret: secret},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Handler did not panic", name)
				}
			}()
			Handler(o)
		}()
	}
}

// TestRealServer posts over TCP the way Gmail does: a POST to the
// List-Unsubscribe address with the body List-Unsubscribe=One-Click,
// form-encoded, no cookies, not following redirects.
func TestRealServer(t *testing.T) {
	t.Parallel()
	s := newStore(testList, testMember)
	var logs syncBuffer
	mux := http.NewServeMux()
	mux.Handle("/unsubscribe/{token}", Handler(Options{
		Secret:      secret,
		Unsubscribe: s.unsubscribe,
		Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	})

	link := URL("http://"+ln.Addr().String()+"/", secret, testList, testMember)
	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	post := func() (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, link, strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "Mozilla/5.0 (compatible; one-click-unsubscribe test)")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		checkHeaders(t, resp.Header)
		return resp.StatusCode, html.UnescapeString(string(b))
	}
	if status, body := post(); status != http.StatusOK || !strings.Contains(body, "Désabonnement effectué") {
		t.Fatalf("first POST: %d\n%s", status, body)
	}
	if status, body := post(); status != http.StatusOK || !strings.Contains(body, "n’est plus abonnée") {
		t.Fatalf("second POST: %d\n%s", status, body)
	}
	if removed, calls := s.counts(); removed != 1 || calls != 2 {
		t.Errorf("removed %d in %d calls, want 1 in 2", removed, calls)
	}
	if !strings.Contains(logs.String(), "member="+testMember) {
		t.Errorf("log: %s", logs.String())
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
