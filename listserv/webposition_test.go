package listserv

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/listserv/webpos"
	"tacit/storage"
)

// startWeb is startDecisions with HTTP on: a proposal from Alice is open,
// and Bob and Carol have their copies.
func startWeb(t *testing.T) (*harness, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{now: c.Now, http: true, consensus: ConsensusOptions{
		MinDeadline: 24 * time.Hour, RemindBefore: 24 * time.Hour, Schedule: "@every 1h", Location: time.UTC}})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org", "carol@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Acheter une tondeuse", "Je propose d'acheter une tondeuse.\r\nÉchéance : 3 jours\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[jardin] [PROPOSITION #1]", 1)
	return h, c
}

// webLink returns member's link for action on proposal #1.
func (h *harness) webLink(member, action string) string {
	return webpos.URL("http://"+h.srv.HTTPAddr(), h.srv.proc.webKey, "jardin@lists.test", 1, member, action)
}

// linkIn returns the first one-click link for action in a mail's body.
func linkIn(t *testing.T, body, action string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^http://\S+/p/[A-Za-z0-9_-]+/` + action + `$`).FindString(body)
	if m == "" {
		t.Fatalf("no %s link in:\n%s", action, body)
	}
	return m
}

func httpDo(t *testing.T, method, link string, form url.Values) (int, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = http.PostForm(link, form)
	} else {
		resp, err = http.Get(link)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, html.UnescapeString(string(b))
}

// snapshot is the proposal and its timeline, as the store holds them.
func snapshot(t *testing.T, st *storage.Store) string {
	t.Helper()
	ref := storage.ProposalRef{List: "jardin@lists.test", Number: 1}
	p, err := st.Proposal(ref)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := st.ProposalEvents(ref)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(struct {
		P  consensus.Proposal
		Ev []storage.ProposalEvent
	}{p, ev})
	return string(b)
}

// lastEvent returns the last timeline entry of proposal #1.
func lastEvent(t *testing.T, st *storage.Store) storage.ProposalEvent {
	t.Helper()
	ev, err := st.ProposalEvents(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if err != nil || len(ev) == 0 {
		t.Fatalf("timeline: %v %v", ev, err)
	}
	return ev[len(ev)-1]
}

// A GET, whatever follows it (a person, a mail scanner), changes nothing.
func TestWebPositionGetNeverActs(t *testing.T) {
	t.Parallel()
	h, _ := startWeb(t)
	before := snapshot(t, h.store)
	for _, a := range webpos.Actions {
		if code, body := httpDo(t, http.MethodGet, h.webLink("bob@example.org", a), nil); code != 200 ||
			!strings.Contains(body, "Acheter une tondeuse") {
			t.Errorf("GET %s: %d\n%.400s", a, code, body)
		}
		if code, _ := httpDo(t, http.MethodGet, h.webLink("bob@example.org", a)+"x", nil); code != 404 {
			t.Errorf("GET of a tampered link: %d", code)
		}
	}
	if after := snapshot(t, h.store); after != before {
		t.Errorf("a GET changed the store:\n%s\n%s", before, after)
	}
}

// A POST counts exactly as the mail command: once, with the same
// acknowledgment, and a timeline entry on the web channel.
func TestWebPositionCountsOnceLikeTheMailCommand(t *testing.T) {
	t.Parallel()
	h, _ := startWeb(t)
	code, body := httpDo(t, http.MethodPost, h.webLink("bob@example.org", webpos.Object),
		url.Values{"reason": {"trop cher pour cette année"}})
	if code != 200 || !strings.Contains(body, "C'est noté : votre objection à la proposition n° 1 est enregistrée.") {
		t.Fatalf("POST object: %d\n%s", code, body)
	}
	ack := readAll(t, waitMessages(t, h.sink, "bob@example.org", "objection enregistrée", 1)[0])
	if !strings.Contains(ack, "> trop cher pour cette année") {
		t.Errorf("the acknowledgment lacks the reason:\n%s", ack)
	}
	e := lastEvent(t, h.store)
	if e.Kind != string(consensus.EventObject) || e.Channel != storage.ChannelWeb || e.Auth != storage.AuthByWebToken ||
		e.From != "bob@example.org" || e.Reason != "trop cher pour cette année" || e.Refusal != "" {
		t.Errorf("timeline entry %+v", e)
	}

	// The acknowledgment's lift link lifts it.
	if code, body := httpDo(t, http.MethodPost, linkIn(t, ack, webpos.Lift), url.Values{}); code != 200 ||
		!strings.Contains(body, "C'est noté : votre objection à la proposition n° 1 est levée.") {
		t.Fatalf("POST lift: %d\n%s", code, body)
	}
	waitMessages(t, h.sink, "bob@example.org", "objection levée", 1)

	// Support twice: counted once.
	for range 2 {
		if code, _ := httpDo(t, http.MethodPost, h.webLink("carol@example.org", webpos.Support), url.Values{}); code != 200 {
			t.Fatalf("POST support: %d", code)
		}
	}
	p, err := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Objections) != 0 || len(p.Supports) != 1 || p.Supports[0].Member != "carol@example.org" {
		t.Errorf("objections %+v supports %+v", p.Objections, p.Supports)
	}
	if e := lastEvent(t, h.store); e.Kind != string(consensus.EventSupport) || e.Channel != storage.ChannelWeb {
		t.Errorf("timeline entry %+v", e)
	}
	waitMessages(t, h.sink, "carol@example.org", "soutien enregistré", 2)
}

// After the deadline, or from an address that left the list, nothing
// counts, and the page says why in words.
func TestWebPositionLateOrNotAMember(t *testing.T) {
	t.Parallel()
	h, c := startWeb(t)
	objectLink := h.webLink("bob@example.org", webpos.Object)
	c.Add(4 * 24 * time.Hour)
	if code, body := httpDo(t, http.MethodGet, objectLink, nil); code != 200 || strings.Contains(body, "<button") ||
		!strings.Contains(body, "l'échéance de la proposition n° 1 est passée") {
		t.Errorf("late GET: %d\n%s", code, body)
	}
	code, body := httpDo(t, http.MethodPost, objectLink, url.Values{"reason": {"trop tard"}})
	if code != http.StatusConflict || !strings.Contains(body, "Rien n'a été compté : l'échéance de la proposition n° 1 est passée") {
		t.Errorf("late POST: %d\n%s", code, body)
	}
	p, err := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Objections) != 0 || p.Status != consensus.StatusAdopted {
		t.Errorf("after a late objection: %s with %d objections", p.Status, len(p.Objections))
	}
	if e := lastEvent(t, h.store); e.Refusal != consensus.WhyLate || e.Channel != storage.ChannelWeb {
		t.Errorf("timeline entry %+v", e)
	}

	if _, err := h.store.RemoveMembers("jardin@lists.test", "carol@example.org"); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, h.store)
	code, body = httpDo(t, http.MethodPost, h.webLink("carol@example.org", webpos.Support), url.Values{})
	if code != http.StatusConflict || !strings.Contains(body, "carol@example.org n'est plus membre de la liste") {
		t.Errorf("POST from a former member: %d\n%s", code, body)
	}
	if after := snapshot(t, h.store); after != before {
		t.Error("a former member's position changed the store")
	}
}
