package listserv

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"tacit/consensus"
	"tacit/listserv/webpos"
	"tacit/storage"
)

// docs/membership.md: each member's copy of a proposal carries their own
// one-click links; the copy stays signed by the list; a member objects
// from their copy's link, as that member.
func TestEachCopyCarriesItsMembersLinks(t *testing.T) {
	t.Parallel()
	dns := txtRecords{}
	lookup := dns.lookup
	listKey := dkimKey(t, "lists.test", dns)
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{now: c.Now, http: true, verp: true, signer: listKey, consensus: ConsensusOptions{
		MinDeadline: 24 * time.Hour, Schedule: "@every 1h", Location: time.UTC}})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org", "carol@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Acheter une tondeuse", "Je propose d'acheter une tondeuse.\r\n"))
	links := map[string]string{}
	for _, member := range []string{"bob@example.org", "carol@example.org"} {
		copyOf := waitMessages(t, h.sink, member, "[jardin] [PROPOSITION #1]", 1)[0]
		raw := rawOf(t, h, member, "[PROPOSITION #1]")
		if bytes.Contains(raw, []byte(webpos.Placeholder)) {
			t.Fatalf("%s's copy still has the placeholder", member)
		}
		vs, err := msgdkim.VerifyWithOptions(bytes.NewReader(raw), &msgdkim.VerifyOptions{LookupTXT: lookup})
		if err != nil || len(vs) != 1 || vs[0].Err != nil {
			t.Fatalf("%s's copy is not validly signed by the list: %v %+v", member, err, vs)
		}
		// Signed for that member: their List-Unsubscribe is covered.
		if keys := strings.ToLower(strings.Join(vs[0].HeaderKeys, ":")); !strings.Contains(keys, "list-unsubscribe:") ||
			!strings.Contains(keys, "list-unsubscribe-post") {
			t.Errorf("%s's copy is signed without its List-Unsubscribe: h=%s", member, keys)
		}
		link := linkIn(t, readAll(t, copyOf), webpos.Object)
		_, _, who, ok := webpos.Parse(h.srv.proc.webKey, strings.Split(strings.TrimPrefix(link[strings.Index(link, "/p/"):], "/p/"), "/")[0])
		if !ok || who != member {
			t.Errorf("%s's copy carries a link for %q", member, who)
		}
		links[member] = link
	}
	if links["bob@example.org"] == links["carol@example.org"] {
		t.Fatalf("two members got the same link")
	}
	resp, err := http.PostForm(links["carol@example.org"], url.Values{"reason": {"pas de place"}})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	waitMessages(t, h.sink, "carol@example.org", "objection enregistrée", 1)
	p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if len(p.Objections) != 1 || p.Objections[0].Member != "carol@example.org" || p.Status != consensus.StatusOpen {
		t.Errorf("objections %+v", p.Objections)
	}
}

// rawOf returns the raw bytes of the first message the sink got for rcpt
// whose Subject contains sub.
func rawOf(t *testing.T, h *harness, rcpt, sub string) []byte {
	t.Helper()
	for _, m := range h.sink.Messages() {
		for _, to := range m.To {
			if to == rcpt && bytes.Contains(m.Data, []byte(sub)) {
				return m.Data
			}
		}
	}
	t.Fatalf("no message %q for %s", sub, rcpt)
	return nil
}

// A reply that quotes a member's copy unmarked (Outlook) sends their
// personal links to the whole list: from then on those links stand for
// nobody, and the page says why.
func TestLinksQuotedToTheListAreRevoked(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{now: c.Now, http: true, verp: true, consensus: ConsensusOptions{
		MinDeadline: 24 * time.Hour, Schedule: "@every 1h", Location: time.UTC}})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org", "carol@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Acheter une tondeuse", "Je propose d'acheter une tondeuse.\r\n"))
	copyOf := readAll(t, waitMessages(t, h.sink, "bob@example.org", "[jardin] [PROPOSITION #1]", 1)[0])
	object := linkIn(t, copyOf, webpos.Object)
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, replyPost("bob@example.org", "outlook@example.org",
		"prop1@example.org", "RE: [jardin] [PROPOSITION #1] Acheter une tondeuse",
		"Bonne idée, merci.\r\n\r\nDe : Alice\r\nEnvoyé : lundi 30 novembre 2026 10:00\r\nÀ : jardin\r\nObjet : tondeuse\r\n\r\n"+
			strings.ReplaceAll(copyOf, "\n", "\r\n")))
	h.quiet()
	resp, err := http.PostForm(object, url.Values{"reason": {"forgée"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK && !strings.Contains(string(body), "plus personnel") {
		t.Errorf("a link quoted to the whole list still acts: %d\n%.400s", resp.StatusCode, body)
	}
	p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if len(p.Objections) != 0 {
		t.Errorf("a public link objected in bob's name: %+v", p.Objections)
	}
	// Carol's links, never quoted, still work.
	carol := linkIn(t, readAll(t, waitMessages(t, h.sink, "carol@example.org", "[jardin] [PROPOSITION #1]", 1)[0]), webpos.Support)
	resp, err = http.PostForm(carol, url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitMessages(t, h.sink, "carol@example.org", "soutien enregistré", 1)
}

// The reminder carries each member's links to support or object, and the
// blocked notice the link that lifts an objection: the objector lifts in
// one click, and the proposal is adopted.
func TestNoticesCarryEachMembersLinks(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{now: c.Now, http: true, verp: true, consensus: ConsensusOptions{
		MinDeadline: 24 * time.Hour, RemindBefore: 24 * time.Hour, Schedule: "@every 1h", Location: time.UTC}})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org", "carol@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Acheter une tondeuse", "Je propose d'acheter une tondeuse.\r\nÉchéance : 3 jours\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	c.Add(49 * time.Hour)
	h.srv.Tick(context.Background())
	reminder := readAll(t, waitMessages(t, h.sink, "bob@example.org", "[RAPPEL #1]", 1)[0])
	if _, err := http.PostForm(linkIn(t, reminder, webpos.Object), url.Values{"reason": {"trop cher"}}); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, h.sink, "bob@example.org", "objection enregistrée", 1)
	c.Add(24 * time.Hour)
	h.srv.Tick(context.Background())
	blocked := readAll(t, waitMessages(t, h.sink, "bob@example.org", "[BLOQUÉE #1]", 1)[0])
	if _, err := http.PostForm(linkIn(t, blocked, webpos.Lift), url.Values{}); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, h.sink, "carol@example.org", "[ADOPTÉE #1]", 1)
	p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if p.Status != consensus.StatusAdopted || p.DecidedBy != consensus.ByLift {
		t.Errorf("after the lift: %s by %q", p.Status, p.DecidedBy)
	}
}
