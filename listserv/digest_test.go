package listserv

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	message "github.com/emersion/go-message"

	"tacit/storage"
)

// member returns member addr of jardin.
func memberOf(t *testing.T, h *harness, addr string) storage.Member {
	t.Helper()
	m, err := h.store.Member("jardin@lists.test", addr)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// docs/membership.md: "résumé", "vacances jusqu'au DATE" and "normal" by
// mail to NAME-request, from an authenticated message or confirmed.
func TestDeliveryModesByMail(t *testing.T) {
	t.Parallel()
	h, _ := startDecisions(t)
	h.mustSend("bob@example.org", []string{"jardin-request@lists.test"}, requestMail("bob@example.org",
		"jardin-request@lists.test", "", "vacances jusqu'au 15/12/2026\r\n"))
	got := readAll(t, waitMessages(t, h.sink, "bob@example.org", "Réponse à votre message", 1)[0])
	if !contains(got, "Bonnes vacances", "15 décembre 2026", "aucune décision ne se prend sans vous") {
		t.Errorf("the pause was not told:\n%s", got)
	}
	m := memberOf(t, h, "bob@example.org")
	want := time.Date(2026, 12, 15, 0, 0, 0, 0, paris(t))
	if m.Mode != storage.ModeNomail || m.NomailUntil.Before(want) || m.NomailUntil.After(want.Add(24*time.Hour)) {
		t.Errorf("bob: mode %q until %v, want nomail until %v", m.Mode, m.NomailUntil, want)
	}
	// Not authenticated: nothing changes before the member confirms.
	if err := h.sendForged("carol@example.org", []string{"jardin-request@lists.test"}, requestMail("carol@example.org",
		"jardin-request@lists.test", "résumé", "")); err != nil {
		t.Fatal(err)
	}
	tok := tokenTo(t, h, "carol@example.org", 1)
	if m := memberOf(t, h, "carol@example.org"); m.Mode != storage.ModeNormal {
		t.Fatalf("carol's mode changed before she confirmed: %q", m.Mode)
	}
	h.mustSend("carol@example.org", []string{"jardin-request@lists.test"}, requestMail("carol@example.org",
		"jardin-request@lists.test", "Re: confirm "+tok, ""))
	got = readAll(t, waitMessages(t, h.sink, "carol@example.org", "Réponse à votre message", 1)[0])
	if !contains(got, "un résumé par jour", "18:00") {
		t.Errorf("the digest mode was not told:\n%s", got)
	}
	if m := memberOf(t, h, "carol@example.org"); m.Mode != storage.ModeDigest {
		t.Errorf("carol's mode %q after confirming, want digest", m.Mode)
	}
	h.mustSend("carol@example.org", []string{"jardin-request@lists.test"}, requestMail("carol@example.org",
		"jardin-request@lists.test", "normal", ""))
	waitMessages(t, h.sink, "carol@example.org", "Réponse à votre message", 2)
	if m := memberOf(t, h, "carol@example.org"); m.Mode != storage.ModeNormal {
		t.Errorf("carol's mode %q after normal", m.Mode)
	}
	// A date that is not one is refused, and changes nothing.
	h.mustSend("alice@example.org", []string{"jardin-request@lists.test"}, requestMail("alice@example.org",
		"jardin-request@lists.test", "", "vacances jusqu'au jamais\r\n"))
	got = readAll(t, waitMessages(t, h.sink, "alice@example.org", "Réponse à votre message", 1)[0])
	if !contains(got, "La date n'a pas été comprise") || memberOf(t, h, "alice@example.org").Mode != storage.ModeNormal {
		t.Errorf("an unreadable date was not refused:\n%s", got)
	}
	// the documented examples: "nomail until 2027-01-15", and "vacances
	// jusqu'au 15/01" without a year, which is the next 15 January.
	jan15 := time.Date(2027, 1, 15, 0, 0, 0, 0, paris(t))
	for i, c := range []struct{ who, body string }{
		{"alice@example.org", "nomail until 2027-01-15\r\n"},
		{"carol@example.org", "vacances jusqu'au 15/01\r\n"},
	} {
		h.mustSend(c.who, []string{"jardin-request@lists.test"}, requestMail(c.who, "jardin-request@lists.test", "", c.body))
		got := readAll(t, waitMessages(t, h.sink, c.who, "Réponse à votre message", 2+i)[1+i])
		m := memberOf(t, h, c.who)
		if !contains(got, "15 janvier 2027") || m.Mode != storage.ModeNomail ||
			m.NomailUntil.Before(jan15) || m.NomailUntil.After(jan15.Add(24*time.Hour)) {
			t.Errorf("%q: mode %q until %v, want nomail until %v; answer:\n%s", c.body, m.Mode, m.NomailUntil, jan15, got)
		}
	}
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// setMode gives member addr of jardin a delivery mode, as the command
// line does.
func setMode(t *testing.T, h *harness, addr, mode string, until time.Time) {
	t.Helper()
	if _, err := h.store.UpdateMember("jardin@lists.test", addr, func(m *storage.Member) error {
		storage.SetMode(m, mode, until)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// digestParts reads a digest: its Content-Type, then each part's
// Content-Type and, for a message/rfc822 part, the Subject of the
// message inside; for the text/plain part, its text.
func digestParts(t *testing.T, raw []byte) (string, []string, []string) {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	ct, _, _ := e.Header.ContentType()
	mr := e.MultipartReader()
	if mr == nil {
		return ct, nil, nil
	}
	var types, contents []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := p.Header.ContentType()
		types = append(types, pt)
		body, _ := io.ReadAll(p.Body)
		if pt == "message/rfc822" {
			inner, err := message.Read(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			sub, _ := inner.Header.Text("Subject")
			contents = append(contents, sub)
		} else {
			contents = append(contents, string(body))
		}
	}
	return ct, types, contents
}

// docs/membership.md: a digest member gets a proposal at once, and the
// ordinary posts only in the evening's digest — one, even if the tick
// runs twice.
func TestDigestMemberGetsDecisionsAtOnceAndPostsInTheEvening(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t) // 30/11 09:00 UTC, Paris
	ctx := context.Background()
	setMode(t, h, "carol@example.org", storage.ModeDigest, time.Time{})
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Pique-nique samedi", "Qui vient ?\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "Pique-nique samedi", 1)
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, post("bob@example.org", "Graines de tomates", "J'en ai trop.\r\n"))
	waitMessages(t, h.sink, "alice@example.org", "Graines de tomates", 1)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROP] Repeindre le portail", "Couleur : vert.\r\nÉchéance : 2 jours\r\n"))
	waitMessages(t, h.sink, "carol@example.org", "[PROPOSITION #1]", 1)
	h.srv.Tick(ctx) // 10:00 in Paris: no digest yet
	h.quiet()
	for _, sub := range []string{"Pique-nique samedi", "Graines de tomates", "Résumé"} {
		if n := len(messagesTo(h.sink, "carol@example.org", sub)); n != 0 {
			t.Fatalf("carol got %d × %q before the evening", n, sub)
		}
	}
	c.Add(8*time.Hour + 30*time.Minute) // 18:30 in Paris
	h.srv.Tick(ctx)
	h.srv.Tick(ctx)
	got := waitMessages(t, h.sink, "carol@example.org", "Résumé", 1)[0]
	h.quiet()
	if n := len(messagesTo(h.sink, "carol@example.org", "Résumé")); n != 1 {
		t.Errorf("%d digests, want 1", n)
	}
	if n := len(messagesTo(h.sink, "bob@example.org", "Résumé")); n != 0 {
		t.Errorf("bob, in the normal mode, got %d digests", n)
	}
	raw, err := io.ReadAll(got.Body)
	if err != nil {
		t.Fatal(err)
	}
	ct, types, contents := digestParts(t, raw)
	if ct != "multipart/digest" || len(types) != 3 || types[0] != "text/plain" ||
		types[1] != "message/rfc822" || types[2] != "message/rfc822" {
		t.Fatalf("digest %s with parts %v", ct, types)
	}
	if !contains(contents[0], "Pique-nique samedi", "Graines de tomates", "alice@example.org") {
		t.Errorf("the table of contents:\n%s", contents[0])
	}
	if !strings.Contains(contents[1], "Pique-nique samedi") || !strings.Contains(contents[2], "Graines de tomates") {
		t.Errorf("the posts, oldest first: %q", contents[1:])
	}
	// Nothing new, no digest the next evening.
	c.Add(24 * time.Hour)
	h.srv.Tick(ctx)
	h.quiet()
	if n := len(messagesTo(h.sink, "carol@example.org", "Résumé")); n != 1 {
		t.Errorf("%d digests after a day without a post, want 1", n)
	}
}

// docs/membership.md: a member on holidays gets every proposal, reminder
// and outcome but no ordinary post, and is back (and told) after the
// date.
func TestHolidaysKeepDecisionsAndEndByThemselves(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t) // Monday 30/11 09:00 UTC
	ctx := context.Background()
	h.mustSend("bob@example.org", []string{"jardin-request@lists.test"}, requestMail("bob@example.org",
		"jardin-request@lists.test", "", "vacances jusqu'au 04/12/2026\r\n"))
	if got := readAll(t, waitMessages(t, h.sink, "bob@example.org", "Réponse à votre message", 1)[0]); !strings.Contains(got, "Bonnes vacances") {
		t.Errorf("bob was not told his holidays start:\n%s", got)
	}
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Pique-nique samedi", "Qui vient ?\r\n"))
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROP] Repeindre le portail", "Couleur : vert.\r\nÉchéance : 2 jours\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	c.Add(25 * time.Hour)
	h.srv.Tick(ctx)
	waitMessages(t, h.sink, "bob@example.org", "[RAPPEL #1]", 1)
	c.Add(24 * time.Hour)
	h.srv.Tick(ctx)
	waitMessages(t, h.sink, "bob@example.org", "[ADOPTÉE #1]", 1)
	h.quiet()
	if n := len(messagesTo(h.sink, "bob@example.org", "Pique-nique samedi")); n != 0 {
		t.Errorf("bob got an ordinary post on holidays")
	}
	if n := len(messagesTo(h.sink, "carol@example.org", "Pique-nique samedi")); n != 1 {
		t.Errorf("carol got %d copies of the post", n)
	}
	if m := memberOf(t, h, "bob@example.org"); m.Mode != storage.ModeNomail {
		t.Fatalf("bob's holidays ended early: %q", m.Mode)
	}
	c.Add(72 * time.Hour) // Saturday 5/12: "jusqu'au 04/12" ended with the 4th
	h.srv.Tick(ctx)
	h.srv.Tick(ctx)
	got := readAll(t, waitMessages(t, h.sink, "bob@example.org", "Vos vacances sont finies", 1)[0])
	if !strings.Contains(got, "vous recevez de nouveau les messages") {
		t.Errorf("the end of holidays:\n%s", got)
	}
	if m := memberOf(t, h, "bob@example.org"); m.Mode != storage.ModeNormal || !m.NomailUntil.IsZero() {
		t.Errorf("bob after his holidays: %q until %v", m.Mode, m.NomailUntil)
	}
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Retour de Bob", "Bienvenue.\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "Retour de Bob", 1)
	h.quiet()
	if n := len(messagesTo(h.sink, "bob@example.org", "Vos vacances sont finies")); n != 1 {
		t.Errorf("bob was told %d times", n)
	}
}
