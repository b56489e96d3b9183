package webpos

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"tacit/consensus"
)

var key = Key(bytes.Repeat([]byte("0123456789abcdef"), 2))

const (
	list   = "jardin@lists.test"
	member = "bob@example.org"
)

var now = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// fake holds one proposal and counts the positions it is given.
type fake struct {
	mu    sync.Mutex
	p     consensus.Proposal
	calls []string
	why   string
}

func (f *fake) proposal(l string, n int) (consensus.Proposal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l != list || n != f.p.Number {
		return consensus.Proposal{}, ErrNotFound
	}
	return f.p, nil
}

func (f *fake) position(_ context.Context, l string, n int, m string, k consensus.EventKind, reason string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, string(k)+" "+m+" "+reason)
	return f.why, nil
}

func newFake() *fake {
	return &fake{p: consensus.Proposal{List: list, Number: 3, Title: "Acheter une tondeuse", Status: consensus.StatusOpen,
		Opened: now.Add(-time.Hour), Deadline: now.Add(50 * time.Hour),
		Versions: []consensus.Version{{Text: "Je propose d'acheter une tondeuse.", At: now.Add(-time.Hour)}}}}
}

func handlerFor(f *fake, lang string) http.Handler {
	return Handler(Options{Key: key, Proposal: f.proposal, Position: f.position, Now: func() time.Time { return now },
		Lang: func(string) string { return lang }, ListName: func(string) string { return "Jardin partagé" }})
}

func do(h http.Handler, method, target string, form url.Values) (int, string) {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, html.UnescapeString(w.Body.String())
}

func TestTokenRoundTripAndTampering(t *testing.T) {
	t.Parallel()
	tok := Token(key, list, 3, member)
	if l, n, m, ok := Parse(key, tok); !ok || l != list || n != 3 || m != member {
		t.Fatalf("Parse = %q %d %q %v", l, n, m, ok)
	}
	if _, _, _, ok := Parse(Key([]byte("another secret, just as long....")), tok); ok {
		t.Error("a token made under another key is accepted")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 1
		if _, _, _, ok := Parse(key, base64.RawURLEncoding.EncodeToString(bad)); ok {
			t.Errorf("a token with byte %d flipped is accepted", i)
		}
	}
	for _, bad := range []string{"", tok[:len(tok)-1], tok + "A", tok + "\n", strings.Repeat("A", 2000)} {
		if _, _, _, ok := Parse(key, bad); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if Token(key, list, 4, member) == tok || Token(key, list, 3, "carol@example.org") == tok {
		t.Error("tokens do not name the proposal and the member")
	}
	if got := URL("https://l.test/", key, list, 3, member, Object); got != "https://l.test/p/"+tok+"/object" {
		t.Errorf("URL = %q", got)
	}
}

// A GET shows the proposal and one button, and never acts: mail
// scanners follow links.
func TestGetShowsAndNeverActs(t *testing.T) {
	t.Parallel()
	f := newFake()
	h := handlerFor(f, "fr")
	for _, a := range []string{Support, Object} {
		code, body := do(h, http.MethodGet, "/p/"+Token(key, list, 3, member)+"/"+a, nil)
		if code != 200 {
			t.Fatalf("GET %s: %d", a, code)
		}
		for _, want := range []string{"Acheter une tondeuse", "Je propose d'acheter une tondeuse.",
			"mercredi 2 décembre 2026 à 11 h", "dans 2 jours et 2 heures", `method="post"`, member} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s lacks %q:\n%s", a, want, body)
			}
		}
		if strings.Count(body, "<form") != 1 || strings.Count(body, "<button") != 1 {
			t.Errorf("GET %s: not one form with one button", a)
		}
		if (a == Object) != strings.Contains(body, "<textarea") {
			t.Errorf("GET %s: textarea only for an objection", a)
		}
		if strings.Contains(body, "<script") {
			t.Errorf("GET %s has a script", a)
		}
	}
	// Without a standing objection, there is nothing to lift: no button.
	if _, body := do(h, http.MethodGet, "/p/"+Token(key, list, 3, member)+"/lift", nil); strings.Contains(body, "<button") ||
		!strings.Contains(body, "pas d'objection en place") {
		t.Errorf("GET lift without an objection:\n%s", body)
	}
	if len(f.calls) != 0 {
		t.Errorf("GET acted: %v", f.calls)
	}
}

func TestPostCountsAndSaysSo(t *testing.T) {
	t.Parallel()
	f := newFake()
	h := handlerFor(f, "fr")
	code, body := do(h, http.MethodPost, "/p/"+Token(key, list, 3, member)+"/object",
		url.Values{"reason": {"trop cher\r\npour cette année"}})
	if code != 200 || !strings.Contains(body, "C'est noté : votre objection à la proposition n° 3 est enregistrée.") ||
		!strings.Contains(body, "Vous recevez aussi une confirmation par mail.") {
		t.Errorf("POST object: %d\n%s", code, body)
	}
	if len(f.calls) != 1 || f.calls[0] != "object "+member+" trop cher\npour cette année" {
		t.Errorf("Position calls: %q", f.calls)
	}
	f.why = consensus.WhyLate
	code, body = do(h, http.MethodPost, "/p/"+Token(key, list, 3, member)+"/support", url.Values{})
	if code != http.StatusConflict || !strings.Contains(body, "Rien n'a été compté : l'échéance de la proposition n° 3 est passée") {
		t.Errorf("late POST: %d\n%s", code, body)
	}
}

func TestEnglishAndBadLinks(t *testing.T) {
	t.Parallel()
	f := newFake()
	h := handlerFor(f, "en")
	if _, body := do(h, http.MethodGet, "/p/"+Token(key, list, 3, member)+"/support", nil); !strings.Contains(body, "Support proposal #3") ||
		!strings.Contains(body, "in 2 days and 2 hours") || !strings.Contains(body, `lang="en"`) {
		t.Errorf("English page:\n%s", body)
	}
	tok := Token(key, list, 3, member)
	for _, target := range []string{"/p/" + tok + "/vote", "/p/" + tok[1:] + "/support", "/p/" + Token(key, list, 9, member) + "/support"} {
		if code, _ := do(h, http.MethodPost, target, url.Values{}); code != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", target, code)
		}
	}
	if code, _ := do(h, http.MethodDelete, "/p/"+tok+"/support", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %d", code)
	}
	if len(f.calls) != 0 {
		t.Errorf("bad links acted: %v", f.calls)
	}
}

func TestTimeLeft(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		-time.Minute: "l'échéance est passée", 30 * time.Second: "dans moins d'une minute",
		5 * time.Minute: "dans 5 minutes", 61 * time.Minute: "dans 1 heure et 1 minute",
		26 * time.Hour: "dans 1 jour et 2 heures", 72 * time.Hour: "dans 3 jours",
	} {
		if got := timeLeft("fr", d); got != want {
			t.Errorf("timeLeft(%v) = %q, want %q", d, got, want)
		}
	}
}

// The copy of a proposal kept in the archive has the placeholder where
// each member's token goes: its link says so, and acts for nobody.
func TestArchiveLinkSaysWhatItIs(t *testing.T) {
	t.Parallel()
	h := Handler(Options{Key: []byte("k"),
		Proposal: func(string, int) (consensus.Proposal, error) { return consensus.Proposal{}, ErrNotFound },
		Position: func(context.Context, string, int, string, consensus.EventKind, string) (string, error) {
			t.Fatal("a placeholder link acted")
			return "", nil
		}})
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, "/p/"+Placeholder+"/object", nil))
		if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "archives") {
			t.Errorf("%s: %d\n%.300s", method, w.Code, w.Body.String())
		}
	}
}
