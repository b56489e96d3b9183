package listserv

import (
	"strings"
	"testing"
	"time"

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

// SPEC section 14: "résumé", "vacances jusqu'au DATE" and "normal" by
// mail to NAME-request, from an authenticated message or confirmed.
func TestDeliveryModesByMail(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
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
	_ = c
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
