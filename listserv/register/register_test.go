package register

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"tacit/consensus"
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
		"2 Repeindre la cabane en rose bloquée alice@e… 9 novembre 2026 à 11 h 12 novembre 2026 à 11 h 12 novembre 2026 à 11 h 1 membre sur 3 s'est exprimé : aucun soutien, 1 objection",
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
	if h1 := doc.first(t, "h1").text(); h1 != "Proposition n° 2 : Repeindre la cabane en rose" {
		t.Errorf("h1 %q", h1)
	}
	text := doc.first(t, "main").text()
	for _, s := range []string{
		"bloquée Cette proposition est bloquée : 1 objection tient toujours. Si chaque objection est levée, elle sera adoptée ; sinon on en parlera à la prochaine réunion.",
		"Auteur alice@e…", "Participation 1 membre sur 3 s'est exprimé : aucun soutien, 1 objection",
		"Ouverte le lundi 9 novembre 2026 à 11 h", "Échéance jeudi 12 novembre 2026 à 11 h",
		"Du rose, partout.",
		"bob@e…, mercredi 11 novembre 2026 à 11 h trop cher pour cette année",
		"Aucun soutien exprimé.",
		"jeudi 12 novembre 2026 à 11 h — La proposition est bloquée : une objection tenait à l'échéance.",
		"bob@e… a fait une objection : « trop cher pour cette année »",
		"dave@e… a fait une objection — non comptée : arrivée après l'échéance « hors délai »",
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
	if h1 := doc.first(t, "h1").text(); h1 != "Proposal no. 4: Planter des tomates (amended)" {
		t.Errorf("h1 %q", h1)
	}
	text = doc.first(t, "main").text()
	for _, s := range []string{
		"Proposal no. 4: Planter des tomates (amended) open This proposal is open until Saturday 5 December 2026 at 09:30 (CET): 3 days left. If nobody objects by then, it will be adopted. Amended on Monday 30 November 2026 at 09:30 (CET): " +
			"deadline moved from Tuesday 1 December 2026 at 11:00 (CET) to Saturday 5 December 2026 at 09:30 (CET).",
		"Deadline Saturday 5 December 2026 at 09:30 (CET) Participation",
		"Text of the proposal Current: Amendment 1, received Monday 30 November 2026 at 09:30 (CET). Des tomates cerises et des tomates cœur de bœuf.",
		"Versions Amendment 1 (current) — Monday 30 November 2026 at 09:30 (CET) deadline: Saturday 5 December 2026 at 09:30 (CET) " +
			"Des tomates cerises et des tomates cœur de bœuf. " +
			"Original text — Saturday 28 November 2026 at 11:00 (CET) deadline it set then: Tuesday 1 December 2026 at 11:00 (CET) Des tomates cerises.",
		"No standing objection.",
		"alice@e…, Sunday 29 November 2026 at 11:00 (CET)",
		"carol@e… amended the proposal; the deadline starts again.",
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
		if len(w.kinds) != len(french.kinds) || len(w.why) != len(french.why) || len(w.how) != len(french.how) {
			t.Errorf("%s: %d kinds, %d reasons and %d ways of deciding, French has %d, %d and %d", w.Lang,
				len(w.kinds), len(w.why), len(w.how), len(french.kinds), len(french.why), len(french.how))
		}
		for _, st := range consensus.Statuses {
			if w.statuses[st] == "" || w.filters[st] == "" {
				t.Errorf("%s: status %q has no word or no filter", w.Lang, st)
			}
		}
	}
}

// What meetings decide shows on the pages: the status ("rejetée",
// "adoptée en réunion"), how each decision was taken, the meeting's
// note, and the settle in the timeline.
func TestMeetingOutcomesOnThePages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.settleAtMeetings(t)
	_, body := f.mustGet(t, "/lists/jardin/decisions")
	doc := parseHTML(t, body)
	rows := doc.first(t, "tbody").all("tr")
	if len(rows) != 8 {
		t.Fatalf("%d rows, want 8", len(rows))
	}
	for i, want := range []string{
		"8 Changer de serrure bloquée alice@e… 18 novembre 2026 à 11 h 21 novembre 2026 à 11 h 21 novembre 2026 à 11 h " +
			"reportée lors de 1 réunion 1 réponse : aucun soutien, 1 objection",
		"7 Installer un composteur adoptée en réunion alice@e… 17 novembre 2026 à 11 h 20 novembre 2026 à 11 h " +
			"24 novembre 2026 à 18 h 30 adoptée en réunion 1 réponse : aucun soutien, 1 objection",
		"6 Repeindre le portail rejetée alice@e… 16 novembre 2026 à 11 h 19 novembre 2026 à 11 h " +
			"24 novembre 2026 à 18 h 30 rejetée en réunion 1 réponse : aucun soutien, 1 objection",
	} {
		if got := rows[i].text(); got != want {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got, want)
		}
	}
	for i, class := range []string{"status blocked", "status adopted", "status rejected"} {
		var got string
		for _, span := range rows[i].all("span") {
			if strings.HasPrefix(span.Attr["class"], "status") {
				got = span.Attr["class"]
			}
		}
		if got != class {
			t.Errorf("row %d: status class %q, want %q", i+1, got, class)
		}
	}
	// The fixture's proposals, decided before tacit recorded how, say
	// nothing of it.
	if got := rows[7].text(); strings.Contains(got, "sans objection à l'échéance") {
		t.Errorf("row of #1 tells a way of deciding nobody recorded: %q", got)
	}

	for _, c := range []struct {
		path string
		want []string
	}{
		{"/lists/jardin/decisions/6", []string{
			"rejetée Rejetée en réunion : « trop cher cette année », le mardi 24 novembre 2026 à 18 h 30.",
			"Décidée le mardi 24 novembre 2026 à 18 h 30",
			"Décision rejetée en réunion : « trop cher cette année »",
			"mardi 24 novembre 2026 à 18 h 30 — La réunion a noté : « trop cher cette année »",
			"mardi 24 novembre 2026 à 18 h 30 — La proposition est rejetée.",
		}},
		{"/lists/jardin/decisions/7", []string{
			"adoptée en réunion Adoptée en réunion", "Décision adoptée en réunion : « vote à main levée »",
			"La proposition est adoptée en réunion.",
		}},
		{"/lists/jardin/decisions/8", []string{
			"bloquée Cette proposition est bloquée", "Décision reportée lors de 1 réunion : « à revoir en janvier »",
			"sinon on en parlera à la prochaine réunion, le mardi 8 décembre 2026 à 18 h 30 (Maison du libre).",
		}},
		{"/lists/jardin/decisions/6?lang=en", []string{
			"rejected Rejected at a meeting", "How it was decided rejected at a meeting: “trop cher cette année”",
			"Tuesday 24 November 2026 at 18:30 (CET) — The meeting noted: “trop cher cette année”",
		}},
		{"/lists/jardin/decisions/7?lang=en", []string{
			"adopted at a meeting Adopted at a meeting", "How it was decided adopted at a meeting: “vote à main levée”",
		}},
	} {
		_, body := f.mustGet(t, c.path)
		text := parseHTML(t, body).first(t, "main").text()
		for _, s := range c.want {
			if !strings.Contains(text, strings.ReplaceAll(s, "\u00a0", " ")) {
				t.Errorf("%s lacks %q:\n%s", c.path, s, text)
			}
		}
	}
	// A proposal of old, decided without a record of how, has no such
	// line.
	_, body = f.mustGet(t, "/lists/jardin/decisions/1")
	if text := parseHTML(t, body).first(t, "main").text(); strings.Contains(text, "Décision ") {
		t.Errorf("proposal #1 says how it was decided:\n%s", text)
	}
}

// The register page filters by status, every status (rejected too)
// counted, in the page's language.
func TestStatusFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.settleAtMeetings(t)
	_, body := f.mustGet(t, "/lists/jardin/decisions")
	doc := parseHTML(t, body)
	var nav *node
	for _, n := range doc.all("nav") {
		if n.Attr["class"] == "filters" {
			nav = n
		}
	}
	if nav == nil {
		t.Fatal("no status filter on the register page")
	}
	if got := nav.text(); got != "Filtrer par statut : toutes (8) en cours (2) adoptées (2) bloquées (2) retirées (1) rejetées (1)" {
		t.Errorf("filters %q", got)
	}
	links := nav.all("a")
	if len(links) != 6 || links[0].Attr["aria-current"] != "page" || links[0].Attr["href"] != "/lists/jardin/decisions" ||
		links[5].Attr["href"] != "/lists/jardin/decisions?status=rejected" {
		t.Errorf("filter links %+v", links)
	}

	_, body = f.mustGet(t, "/lists/jardin/decisions?status=rejected")
	doc = parseHTML(t, body)
	rows := doc.first(t, "tbody").all("tr")
	if len(rows) != 1 || !strings.HasPrefix(rows[0].text(), "6 Repeindre le portail rejetée") {
		t.Errorf("?status=rejected shows %d rows", len(rows))
	}
	for _, a := range doc.all("a") {
		if a.Attr["aria-current"] == "page" && a.text() != "rejetées (1)" {
			t.Errorf("current filter %q", a.text())
		}
	}
	if a := doc.first(t, "nav").first(t, "a"); a.Attr["href"] != "/lists/jardin/decisions?status=rejected&lang=en" {
		t.Errorf("the language switch forgets the filter: %q", a.Attr["href"])
	}

	// In English, the links keep the language.
	_, body = f.mustGet(t, "/lists/jardin/decisions?status=adopted&lang=en")
	doc = parseHTML(t, body)
	text := doc.first(t, "main").text()
	if !strings.Contains(text, "Filter by status: all (8) open (2) adopted (2) blocked (2) withdrawn (1) rejected (1)") ||
		!strings.Contains(text, "7 Installer un composteur adopted at a meeting") || !strings.Contains(text, "1 Acheter une tondeuse adopted") {
		t.Errorf("English filtered page:\n%s", text)
	}
	if rows := doc.first(t, "tbody").all("tr"); len(rows) != 2 {
		t.Errorf("?status=adopted shows %d rows, want 2", len(rows))
	}
	if !strings.Contains(body, `href="/lists/jardin/decisions?status=withdrawn&amp;lang=en"`) {
		t.Error("the filter links drop ?lang=en")
	}

	// An unknown status shows everything; a status with no proposal
	// says so.
	_, body = f.mustGet(t, "/lists/jardin/decisions?status=bogus")
	if rows := parseHTML(t, body).first(t, "tbody").all("tr"); len(rows) != 8 {
		t.Errorf("?status=bogus shows %d rows, want all 8", len(rows))
	}
	_, body = f.mustGet(t, "/lists/garden/decisions?status=rejected")
	if text := parseHTML(t, body).first(t, "main").text(); !strings.Contains(text, "No proposal has this status.") ||
		!strings.Contains(text, "rejected (0)") {
		t.Errorf("garden's rejected filter:\n%s", text)
	}
}

// The next meetings are on the register page: date in words, place,
// title; past meetings and other lists' are not.
func TestNextMeetingsOnTheRegister(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, body := f.mustGet(t, "/lists/jardin/decisions")
	if strings.Contains(body, "Prochaines réunions") {
		t.Error("a list without meetings shows a section of them")
	}
	f.settleAtMeetings(t)
	_, body = f.mustGet(t, "/lists/jardin/decisions")
	doc := parseHTML(t, body)
	var section *node
	for _, s := range doc.all("section") {
		if s.Attr["aria-labelledby"] == "meetings" {
			section = s
		}
	}
	if section == nil {
		t.Fatalf("no section of meetings:\n%s", body)
	}
	if got := section.text(); got != "Prochaines réunions mardi 8 décembre 2026 à 18 h 30 — Maison du libre — Assemblée de décembre "+
		"mardi 12 janvier 2027 à 18 h" {
		t.Errorf("meetings %q", got)
	}
	if tm := section.first(t, "time"); tm.Attr["datetime"] != "2026-12-08T17:30:00Z" {
		t.Errorf("<time datetime=%q>", tm.Attr["datetime"])
	}
	if strings.Contains(body, "Salle des fêtes") || strings.Contains(body, "confidentiel") {
		t.Error("the register shows a past meeting or a private list's")
	}
	_, body = f.mustGet(t, "/lists/jardin/decisions?lang=en")
	if got := parseHTML(t, body).first(t, "main").text(); !strings.Contains(got,
		"Next meetings Tuesday 8 December 2026 at 18:30 (CET) — Maison du libre — Assemblée de décembre Tuesday 12 January 2027 at 18:00 (CET)") {
		t.Errorf("English meetings:\n%s", got)
	}
	if strings.Contains(body, "Ajouter les") || !strings.Contains(body, "Add the deadlines and meetings to your calendar") {
		t.Error("the calendar link does not say it holds the meetings")
	}
}

// How each decision was taken, in words, for every way tacit records.
func TestHowEachDecisionWasTaken(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status             consensus.Status
		by, note           string
		postponed          int
		fr, en, frS, label string
	}{
		{consensus.StatusAdopted, consensus.BySilence, "", 0, "adoptée sans objection à l'échéance",
			"adopted without objection at the deadline", "", "adoptée"},
		{consensus.StatusAdopted, consensus.ByLift, "", 0, "adoptée après la levée de la dernière objection",
			"adopted once the last objection was lifted", "", "adoptée"},
		{consensus.StatusAdopted, consensus.ByMeeting, "vote à main levée", 0, "adoptée en réunion\u00a0: «\u00a0vote à main levée\u00a0»",
			"adopted at a meeting: “vote à main levée”", "adoptée en réunion", "adoptée en réunion"},
		{consensus.StatusAdopted, consensus.ByMeeting, "", 0, "adoptée en réunion", "adopted at a meeting", "", "adoptée en réunion"},
		{consensus.StatusRejected, consensus.ByMeeting, "trop cher", 0, "rejetée en réunion\u00a0: «\u00a0trop cher\u00a0»",
			"rejected at a meeting: “trop cher”", "rejetée en réunion", "rejetée"},
		{consensus.StatusWithdrawn, consensus.ByWithdrawal, "", 0, "retirée par son auteur", "withdrawn by its author", "", "retirée"},
		// Adopted by lift after a meeting postponed it: the note was
		// the postponement's, not the decision's.
		{consensus.StatusAdopted, consensus.ByLift, "à revoir", 1, "adoptée après la levée de la dernière objection",
			"adopted once the last objection was lifted", "", "adoptée"},
		{consensus.StatusBlocked, "", "à revoir", 2, "reportée lors de 2 réunions\u00a0: «\u00a0à revoir\u00a0»",
			"postponed at 2 meetings: “à revoir”", "reportée lors de 2 réunions", "bloquée"},
		{consensus.StatusBlocked, "", "", 0, "", "", "", "bloquée"},
		{consensus.StatusAdopted, "", "", 0, "", "", "", "adoptée"},
		{consensus.StatusOpen, "", "", 0, "", "", "", "en cours"},
	} {
		p := consensus.Proposal{Status: c.status, DecidedBy: c.by, MeetingNote: c.note, Postponed: c.postponed}
		if got := french.howDecided(p); got != c.fr {
			t.Errorf("fr %+v: %q, want %q", c, got, c.fr)
		}
		if got := english.howDecided(p); got != c.en {
			t.Errorf("en %+v: %q, want %q", c, got, c.en)
		}
		short := c.frS
		if short == "" {
			short = c.fr
		}
		if got := french.howShort(p); got != short {
			t.Errorf("fr short %+v: %q, want %q", c, got, short)
		}
		if got := french.label(p); got != c.label {
			t.Errorf("fr label %+v: %q, want %q", c, got, c.label)
		}
	}
	if english.status(consensus.StatusRejected) != "rejected" || french.status(consensus.StatusRejected) != "rejetée" {
		t.Error("rejected in words")
	}
}
