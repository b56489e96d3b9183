package register

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"tacit/consensus"
)

// at serves the fixture's store with the clock at t.
func (f *fixture) at(t *testing.T, clock time.Time) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Handler(Options{Store: f.store, Domain: "lists.test", Language: "fr", Location: f.paris,
		Now: func() time.Time { return clock }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	return srv
}

// mainText fetches url and returns the visible text of its <main>.
func mainText(t *testing.T, url string) string {
	t.Helper()
	resp, body := fetch(t, http.MethodGet, url)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return parseHTML(t, body).first(t, "main").text()
}

// An open proposal says how long is left, in days, then hours, then
// that the deadline has passed, and what happens next.
func TestTimeLeftOnAnOpenProposal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dl := time.Date(2026, 12, 5, 8, 30, 0, 0, time.UTC) // #4's current deadline
	for _, c := range []struct {
		clock time.Time
		want  string
	}{
		{dl.Add(-3*24*time.Hour - 5*time.Hour), "jusqu'au samedi 5 décembre 2026 à 9 h 30 : encore 3 jours."},
		{dl.Add(-5*time.Hour - 10*time.Minute), "jusqu'au samedi 5 décembre 2026 à 9 h 30 : encore 5 heures."},
		{dl.Add(-1*time.Hour - 10*time.Minute), ": encore 1 heure."},
		{dl.Add(-90 * time.Second), ": encore 2 minutes."},
		{dl.Add(time.Minute), ": échéance dépassée, décision au prochain passage."},
	} {
		text := mainText(t, f.at(t, c.clock).URL+"/lists/jardin/decisions/4")
		if !strings.Contains(text, "en cours Cette proposition est en cours "+strings.TrimPrefix(c.want, ": ")) &&
			!strings.Contains(text, c.want) {
			t.Errorf("at %s the page lacks %q:\n%s", c.clock, c.want, text)
		}
		if !strings.Contains(text, "Si personne ne s'y oppose d'ici là, elle sera adoptée.") {
			t.Errorf("at %s the page does not say what happens next:\n%s", c.clock, text)
		}
	}
	text := mainText(t, f.at(t, dl.Add(-5*time.Hour)).URL+"/lists/jardin/decisions/4?lang=en")
	if !strings.Contains(text, "This proposal is open until Saturday 5 December 2026 at 09:30 (CET): 5 hours left. If nobody objects by then, it will be adopted.") {
		t.Errorf("English:\n%s", text)
	}
}

// A blocked proposal says what happens next, and names the next meeting
// when there is one.
func TestBlockedProposalSaysWhatComesNext(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	text := mainText(t, f.srv.URL+"/lists/jardin/decisions/2")
	want := "bloquée Cette proposition est bloquée : 1 objection tient toujours. " +
		"Si chaque objection est levée, elle sera adoptée ; sinon on en parlera à la prochaine réunion. Texte de la proposition"
	if !strings.Contains(text, want) {
		t.Errorf("without a meeting, the page lacks %q:\n%s", want, text)
	}
	f.settleAtMeetings(t)
	text = mainText(t, f.srv.URL+"/lists/jardin/decisions/2")
	if want := "sinon on en parlera à la prochaine réunion, le mardi 8 décembre 2026 à 18 h 30 (Maison du libre)."; !strings.Contains(text, want) {
		t.Errorf("with a meeting to come, the page lacks %q:\n%s", want, text)
	}
}

// Anyone reading the page learns how to take part: the list's address
// and the words to write at the start of a line; a decided proposal
// says positions no longer count.
func TestHowToTakePart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, body := f.mustGet(t, "/lists/jardin/decisions/5")
	doc := parseHTML(t, body)
	var box *node
	for _, s := range doc.all("section") {
		if s.Attr["aria-labelledby"] == "howto" {
			box = s
		}
	}
	if box == nil {
		t.Fatal("no box on how to take part")
	}
	text := box.text()
	for _, want := range []string{"Comment participer", "jardin@lists.test",
		"OBJECTION suivi de votre raison", "D'ACCORD pour la soutenir", "OBJECTION LEVÉE pour retirer votre objection"} {
		if !strings.Contains(text, want) {
			t.Errorf("the box lacks %q: %s", want, text)
		}
	}
	if href := box.first(t, "a").Attr["href"]; !strings.HasPrefix(href, "mailto:jardin@lists.test?subject=Re%3A%20Budget%202027") {
		t.Errorf("the list's address links to %q", href)
	}
	// After the text, not before it.
	if i, j := strings.Index(body, `id="text"`), strings.Index(body, `id="howto"`); i < 0 || j < i {
		t.Error("the box comes before the proposal's text")
	}
	text = mainText(t, f.srv.URL+"/lists/jardin/decisions/1")
	if !strings.Contains(text, "Cette proposition est décidée : on ne peut plus y prendre position.") || strings.Contains(text, "OBJECTION LEVÉE") {
		t.Errorf("a decided proposal's box:\n%s", text)
	}
}

// The timeline tells the story: one line per act, with the words,
// status changes as sentences after the act that caused them, no reply
// doubling its command, the engine never named as a person.
func TestTimelineTellsTheStory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ev := testEvent
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	p := proposal("jardin@lists.test", 9, "Vendre la brouette", "bob@example.org", "Elle ne sert plus.", at)
	p.AuthorName = "Bob Leroy"
	p.Status, p.Decided, p.DecidedBy = consensus.StatusWithdrawn, at.Add(3*time.Hour), consensus.ByWithdrawal
	p.Respondents = []string{"carol@example.org"}
	reply := ev("reply", "carol@example.org", "", at.Add(time.Hour))
	reply.MessageID = 41
	object := ev("object", "carol@example.org", "on en a besoin pour le compost", at.Add(time.Hour))
	object.MessageID = 41
	// The engine recorded the status before the withdrawal that caused it.
	f.decide(t, p, ev("status", "bob@example.org", "open", at), reply, object,
		ev("status", "", "withdrawn", at.Add(3*time.Hour)), ev("withdraw", "bob@example.org", "", at.Add(3*time.Hour)))

	_, body := f.mustGet(t, "/lists/jardin/decisions/9")
	var lines []string
	for _, li := range parseHTML(t, body).first(t, "ol").all("li") {
		lines = append(lines, li.text())
	}
	want := []string{
		"vendredi 20 novembre 2026 à 11 h — Bob Leroy (bob@e…) a fait la proposition.",
		"vendredi 20 novembre 2026 à 12 h — carol@e… a fait une objection : « on en a besoin pour le compost »",
		"vendredi 20 novembre 2026 à 14 h — Bob Leroy (bob@e…) a retiré sa proposition.",
		"vendredi 20 novembre 2026 à 14 h — La proposition est retirée.",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, noise := range []string{"statut", "tacit :", "réponse"} {
		if strings.Contains(strings.Join(lines, "\n"), noise) {
			t.Errorf("the timeline still says %q", noise)
		}
	}
}

// The text is shown in paragraphs: the mail's line breaks within one are
// joined, blank lines part them, quoted lines and list items are kept.
func TestReflow(t *testing.T) {
	t.Parallel()
	got := reflow("Bonjour,\r\n\r\nJe propose d'acheter\nune tondeuse\n  électrique.\n- rouge\n- verte\n\n> Le 3 mai, Alice a écrit :\n> on en parle ?\nOui.\n")
	want := []para{
		{Lines: []string{"Bonjour,"}},
		{Lines: []string{"Je propose d'acheter une tondeuse électrique.", "- rouge", "- verte"}},
		{Quote: true, Lines: []string{"Le 3 mai, Alice a écrit :", "on en parle ?"}},
		{Lines: []string{"Oui."}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reflow:\n%#v\nwant\n%#v", got, want)
	}
}

// Participation counts the members who took part, out of the list's
// members when known.
func TestParticipationInMembers(t *testing.T) {
	t.Parallel()
	p := consensus.Proposal{Respondents: []string{"a@x", "b@x", "c@x"}, Replies: 4,
		Supports: []consensus.Support{{Member: "a@x"}, {Member: "b@x"}}, Objections: []consensus.Objection{{Member: "c@x"}}}
	for _, c := range []struct {
		members int
		want    string
	}{
		{12, "3 membres sur 12 se sont exprimés\u00a0: 2 soutiens, 1 objection"},
		{0, "3 membres se sont exprimés\u00a0: 2 soutiens, 1 objection"},
	} {
		if got := french.participationOf(p, c.members); got != c.want {
			t.Errorf("%d members: %q, want %q", c.members, got, c.want)
		}
	}
	if got := english.participationOf(consensus.Proposal{Respondents: []string{"a@x"}}, 5); got != "1 member out of 5 took part: no supports, no objections" {
		t.Errorf("English: %q", got)
	}
	// Before tacit kept Respondents, the replies are counted as before.
	if got := french.participationOf(consensus.Proposal{Replies: 2}, 12); got != "2 réponses\u00a0: aucun soutien, aucune objection" {
		t.Errorf("old proposal: %q", got)
	}
}

// "/" lists the public registers, and only them.
func TestHomeListsThePublicRegisters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, body := f.mustGet(t, "/")
	doc := parseHTML(t, body)
	var links []string
	for _, a := range doc.first(t, "main").all("a") {
		links = append(links, a.text()+" "+a.Attr["href"])
	}
	want := []string{"Garden /lists/garden@other.test/decisions", "Jardin partagé /lists/jardin/decisions"}
	if !reflect.DeepEqual(links, want) {
		t.Errorf("links %q, want %q", links, want)
	}
	if !strings.Contains(body, `lang="fr"`) || !strings.Contains(body, "Registres des décisions") {
		t.Errorf("the home page is not in French:\n%s", body)
	}
	for _, secret := range []string{"Bureau", "secret"} {
		if strings.Contains(body, secret) {
			t.Errorf("the home page shows %q", secret)
		}
	}
	if text := mainText(t, f.srv.URL+"/?lang=en"); !strings.Contains(text, "Decision registers") {
		t.Errorf("English home page: %s", text)
	}
}

// Every 404 is a page in words, with a way back: home for an unknown
// address, the register of a public list for its unknown proposal, in
// that list's language.
func TestNotFoundPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range []struct{ path, lang, text, back string }{
		{"/nosuch", "fr", "Page introuvable", "/"},
		{"/lists/secret/decisions/1", "fr", "Page introuvable", "/"},
		{"/lists/nosuch/decisions?lang=en", "en", "Page not found", "/?lang=en"},
		{"/lists/jardin/decisions/99", "fr", "Revenir au registre de la liste", "/lists/jardin/decisions"},
		{"/lists/garden@other.test/decisions/99", "en", "Back to the list's register", "/lists/garden@other.test/decisions"},
	} {
		resp, body := f.get(t, c.path)
		if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %s %s", c.path, resp.Status, resp.Header.Get("Content-Type"))
			continue
		}
		doc := parseHTML(t, body)
		if !strings.Contains(body, `<html lang="`+c.lang+`">`) || !strings.Contains(doc.first(t, "main").text(), c.text) {
			t.Errorf("GET %s, want %s with %q:\n%s", c.path, c.lang, c.text, body)
		}
		if back := doc.first(t, "main").first(t, "a").Attr["href"]; back != c.back {
			t.Errorf("GET %s leads back to %q, want %q", c.path, back, c.back)
		}
	}
}
