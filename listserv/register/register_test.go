package register

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"tacit/storage"
)

func TestRegisterPageListsProposalsNewestFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp, body := f.mustGet(t, "/lists/jardin/decisions")
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	doc := parseHTML(t, body)
	if lang := doc.first(t, "html").Attr["lang"]; lang != "fr" {
		t.Errorf("<html lang=%q>, want fr (the server's default)", lang)
	}
	if got := doc.first(t, "h1").text(); got != "Registre des décisions de Jardin partagé" {
		t.Errorf("h1 %q", got)
	}
	if !strings.Contains(body, `name="viewport"`) || strings.Contains(body, "<script") {
		t.Error("the page needs a viewport and no script")
	}
	doc.first(t, "main")
	table := doc.first(t, "table")
	if c := table.first(t, "caption").text(); c != "Propositions, des plus récentes aux plus anciennes" {
		t.Errorf("caption %q", c)
	}
	var heads []string
	for _, th := range table.first(t, "thead").all("th") {
		if th.Attr["scope"] != "col" {
			t.Errorf("column header %q without scope=col", th.text())
		}
		heads = append(heads, th.text())
	}
	want := "N°|Titre|Statut|Auteur|Ouverte le|Échéance|Décidée le|Participation"
	if strings.Join(heads, "|") != want {
		t.Errorf("columns %q, want %q", strings.Join(heads, "|"), want)
	}
	rows := table.first(t, "tbody").all("tr")
	if len(rows) != 5 {
		t.Fatalf("%d rows, want the 5 proposals of the list", len(rows))
	}
	wantRows := []string{
		`5 Budget 2027, étape 1; "bœuf" \ légumes en cours dave@e… 30 novembre 2026 à 11 h 3 décembre 2026 à 11 h — aucune réponse`,
		"4 Planter des tomates amendée le 30 novembre 2026 à 9 h 30 : échéance déplacée du 1er décembre 2026 à 11 h au 5 décembre 2026 à 9 h 30 " +
			"en cours carol@e… 28 novembre 2026 à 11 h 5 décembre 2026 à 9 h 30 — aucune réponse : 1 soutien, aucune objection",
		"3 Fermer le jardin en août retirée bob@e… 12 novembre 2026 à 11 h 15 novembre 2026 à 11 h 13 novembre 2026 à 11 h aucune réponse",
		"2 Repeindre la cabane en rose bloquée alice@e… 9 novembre 2026 à 11 h 12 novembre 2026 à 11 h 12 novembre 2026 à 11 h 1 réponse : aucun soutien, 1 objection",
		"1 Acheter une tondeuse adoptée alice@e… 2 novembre 2026 à 11 h 5 novembre 2026 à 11 h 5 novembre 2026 à 11 h 1 réponse : 1 soutien, aucune objection",
	}
	for i, r := range rows {
		if got := r.text(); got != wantRows[i] {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got, wantRows[i])
		}
		if th := r.first(t, "th"); th.Attr["scope"] != "row" {
			t.Errorf("row %d: number cell without scope=row", i+1)
		}
		link := r.first(t, "a")
		if href := link.Attr["href"]; href != "/lists/jardin/decisions/"+string(rune('5'-i)) {
			t.Errorf("row %d links to %q", i+1, href)
		}
		for _, tm := range r.all("time") {
			if !strings.HasSuffix(tm.Attr["datetime"], "Z") {
				t.Errorf("row %d: <time datetime=%q>, want RFC 3339 UTC", i+1, tm.Attr["datetime"])
			}
		}
	}
	if strings.Contains(body, secretTitle) || strings.Contains(body, "confidentiel") {
		t.Error("the public register shows a private list's proposal")
	}
	// The feeds are announced.
	for _, link := range []string{"/lists/jardin/decisions.csv", "/lists/jardin/decisions.json",
		"/lists/jardin/decisions.ics", "/lists/jardin/decisions.atom", "webcal://"} {
		if !strings.Contains(body, link) {
			t.Errorf("the page does not link to %s", link)
		}
	}
}

func TestRegisterByFullAddressAndOtherDomain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, byName := f.mustGet(t, "/lists/jardin/decisions")
	_, byAddress := f.mustGet(t, "/lists/Jardin@Lists.Test/decisions")
	if byName != byAddress {
		t.Error("the register by full address differs from the one by name")
	}
	// garden@other.test is not of the default domain, but the only
	// public list of that name; its language is English.
	for _, path := range []string{"/lists/garden/decisions", "/lists/garden@other.test/decisions"} {
		_, body := f.mustGet(t, path)
		doc := parseHTML(t, body)
		if lang := doc.first(t, "html").Attr["lang"]; lang != "en" {
			t.Errorf("%s: lang %q, want the list's en", path, lang)
		}
		text := doc.first(t, "main").text()
		for _, s := range []string{"Decision register of Garden", "Buy a wheelbarrow adopted", "Water the beans open",
			"23 November 2026 at 11:00"} {
			if !strings.Contains(text, s) {
				t.Errorf("%s lacks %q:\n%s", path, s, text)
			}
		}
		if href := doc.first(t, "tbody").first(t, "a").Attr["href"]; href != "/lists/garden@other.test/decisions/2" {
			t.Errorf("%s: proposal link %q, want the full address (not the default domain)", path, href)
		}
	}
}

func TestLanguageOverride(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, body := f.mustGet(t, "/lists/jardin/decisions?lang=en")
	doc := parseHTML(t, body)
	if lang := doc.first(t, "html").Attr["lang"]; lang != "en" {
		t.Fatalf("lang %q, want en", lang)
	}
	text := doc.first(t, "main").text()
	if !strings.Contains(text, "Acheter une tondeuse adopted") || !strings.Contains(text, "5 November 2026 at 11:00") {
		t.Errorf("English register:\n%s", text)
	}
	if href := doc.first(t, "tbody").first(t, "a").Attr["href"]; href != "/lists/jardin/decisions/5?lang=en" {
		t.Errorf("links keep the chosen language: %q", href)
	}
	if a := doc.first(t, "nav").first(t, "a"); a.Attr["href"] != "/lists/jardin/decisions?lang=fr" || a.Attr["lang"] != "fr" {
		t.Errorf("language switch %v", a.Attr)
	}
	_, body = f.mustGet(t, "/lists/garden/decisions?lang=fr")
	if !strings.Contains(parseHTML(t, body).first(t, "main").text(), "Buy a wheelbarrow adoptée") {
		t.Error("?lang=fr does not override the list's English")
	}
	_, body = f.mustGet(t, "/lists/garden/decisions?lang=de")
	if parseHTML(t, body).first(t, "html").Attr["lang"] != "en" {
		t.Error("an unknown ?lang changes the language")
	}
}

func TestProposalPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, body := f.mustGet(t, "/lists/jardin/decisions/2")
	doc := parseHTML(t, body)
	if h1 := doc.first(t, "h1").text(); h1 != "Proposition #2 : Repeindre la cabane en rose" {
		t.Errorf("h1 %q", h1)
	}
	text := doc.first(t, "main").text()
	for _, s := range []string{
		"Statut bloquée", "Auteur alice@e…", "Participation 1 réponse : aucun soutien, 1 objection",
		"Ouverte le lundi 9 novembre 2026 à 11 h", "Échéance jeudi 12 novembre 2026 à 11 h",
		"Du rose, partout.",
		"bob@e…, mercredi 11 novembre 2026 à 11 h trop cher pour cette année",
		"Aucun soutien exprimé.",
		"tacit : statut — bloquée",
		"dave@e… : objection — hors délai — non comptée : arrivée après l'échéance",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("the proposal page lacks %q:\n%s", s, text)
		}
	}
	if back := doc.first(t, "main").first(t, "a").Attr["href"]; back != "/lists/jardin/decisions" {
		t.Errorf("back link %q", back)
	}

	if strings.Contains(text, "amendée") || strings.Contains(text, "Versions") {
		t.Errorf("a proposal never amended is marked amended:\n%s", text)
	}

	// An amended proposal shows every version, the current one first,
	// and its timeline.
	_, body = f.mustGet(t, "/lists/jardin/decisions/4?lang=en")
	doc = parseHTML(t, body)
	if h1 := doc.first(t, "h1").text(); h1 != "Proposal #4: Planter des tomates (amended)" {
		t.Errorf("h1 %q", h1)
	}
	text = doc.first(t, "main").text()
	for _, s := range []string{
		"Proposal #4: Planter des tomates (amended) Amended on Monday 30 November 2026 at 09:30 (CET): " +
			"deadline moved from Tuesday 1 December 2026 at 11:00 (CET) to Saturday 5 December 2026 at 09:30 (CET).",
		"Status open", "Deadline Saturday 5 December 2026 at 09:30 (CET) Participation",
		"Text of the proposal Current: Amendment 1, received Monday 30 November 2026 at 09:30 (CET). Des tomates cerises et des tomates cœur de bœuf.",
		"Versions Amendment 1 (current) — Monday 30 November 2026 at 09:30 (CET) deadline: Saturday 5 December 2026 at 09:30 (CET) " +
			"Des tomates cerises et des tomates cœur de bœuf. " +
			"Original text — Saturday 28 November 2026 at 11:00 (CET) deadline it set then: Tuesday 1 December 2026 at 11:00 (CET) Des tomates cerises.",
		"No standing objection.",
		"alice@e…, Sunday 29 November 2026 at 11:00 (CET)",
		"carol@e…: amendment",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("the amended proposal's page lacks %q:\n%s", s, text)
		}
	}
	if n := len(doc.first(t, "ol").all("li")); n != 3 {
		t.Errorf("timeline of %d events, want 3", n)
	}
}

func TestPrivateRegistersAnswerLikeUnknownLists(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, unknown := f.get(t, "/lists/nosuch/decisions")
	for _, suffix := range []string{"", "/1", ".csv", ".json", ".ics", ".atom"} {
		_, want := f.get(t, "/lists/nosuch/decisions"+suffix)
		if want != unknown {
			t.Errorf("the 404 of an unknown list's %q differs from the register's", suffix)
		}
		for _, name := range []string{"secret", "secret@lists.test", "SECRET@lists.test", "jardin@secret.test", "nosuch@lists.test"} {
			path := "/lists/" + name + "/decisions" + suffix
			resp, body := f.get(t, path)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %s, want 404", path, resp.Status)
			}
			if body != unknown {
				t.Errorf("GET %s answers differently from an unknown list:\n%s", path, body)
			}
			if strings.Contains(body, "confidentiel") || strings.Contains(body, "Bureau") {
				t.Errorf("GET %s shows the private list", path)
			}
		}
	}
	if !strings.Contains(unknown, `lang="fr"`) || !strings.Contains(unknown, "Page introuvable") {
		t.Errorf("the 404 page is not in the server's language:\n%s", unknown)
	}
}

func TestNothingPrivateInAnyPublicOutput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, list := range []string{"jardin", "jardin@lists.test", "garden"} {
		for _, suffix := range []string{"", ".csv", ".json", ".ics", ".atom", "/1", "/2"} {
			_, body := f.mustGet(t, "/lists/"+list+"/decisions"+suffix)
			for _, secret := range []string{"confidentiel", "mallory", "oscar", "Bureau", "Jardin secret", "secret.test", "secret@"} {
				if strings.Contains(body, secret) {
					t.Errorf("/lists/%s/decisions%s shows %q from a private list", list, suffix, secret)
				}
			}
		}
	}
}

func TestUnknownProposalsAndMethods(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, path := range []string{"/lists/jardin/decisions/6", "/lists/jardin/decisions/0", "/lists/jardin/decisions/01",
		"/lists/jardin/decisions/-1", "/lists/jardin/decisions/abc", "/lists/jardin/decisions/99999999999999999999",
		"/lists/jardin/decisions.xml", "/lists/jardin/other", "/lists/jardin", "/lists/", "/lists/jardin/decisions/1/x"} {
		if resp, _ := f.get(t, path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", path, resp.Status)
		}
	}
	resp, body := fetch(t, http.MethodHead, f.srv.URL+"/lists/jardin/decisions.ics")
	if resp.StatusCode != http.StatusOK || body != "" || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Errorf("HEAD: %s %q %q", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		resp, _ := fetch(t, m, f.srv.URL+"/lists/jardin/decisions")
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %s, Allow %q", m, resp.Status, resp.Header.Get("Allow"))
		}
	}
}

func TestArchiveURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		base string
		l    storage.List
		want string
	}{
		{"https://lists.test", storage.List{Address: "jardin@lists.test", PublicRegister: true}, "https://lists.test/lists/jardin/decisions"},
		{"https://lists.test/", storage.List{Address: "garden@other.test", PublicRegister: true}, "https://lists.test/lists/garden@other.test/decisions"},
		{"https://lists.test", storage.List{Address: "secret@lists.test"}, ""},
		{"", storage.List{Address: "jardin@lists.test", PublicRegister: true}, ""},
	} {
		if got := ArchiveURL(c.base, "lists.test", c.l); got != c.want {
			t.Errorf("ArchiveURL(%q, %s) = %q, want %q", c.base, c.l.Address, got, c.want)
		}
	}
}

func TestEveryTextIsTranslated(t *testing.T) {
	t.Parallel()
	for _, w := range []*words{&french, &english} {
		v := reflect.ValueOf(*w)
		for i := range v.NumField() {
			if f := v.Field(i); f.Kind() == reflect.String && f.String() == "" {
				t.Errorf("%s: %s is empty", w.Lang, v.Type().Field(i).Name)
			} else if f.Kind() == reflect.Array {
				for j := range f.Len() {
					if f.Index(j).String() == "" {
						t.Errorf("%s: %s[%d] is empty", w.Lang, v.Type().Field(i).Name, j)
					}
				}
			}
		}
		if len(w.kinds) != len(french.kinds) || len(w.why) != len(french.why) {
			t.Errorf("%s: %d kinds and %d reasons, French has %d and %d", w.Lang, len(w.kinds), len(w.why), len(french.kinds), len(french.why))
		}
	}
}
