package listserv

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tacit/listserv/rewrite"
	"tacit/storage"
)

// dsn is a delivery report as Postfix writes it, for rcpt, with status.
func dsn(rcpt, status, diagnostic string) string {
	return "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"B1\"\r\n\r\n" +
		"--B1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThis is the mail system at host mx.example.org.\r\n\r\n" +
		"I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n" +
		"--B1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n" +
		"Final-Recipient: rfc822; " + rcpt + "\r\nAction: failed\r\nStatus: " + status + "\r\n" +
		"Diagnostic-Code: smtp; " + diagnostic + "\r\n\r\n--B1--\r\n"
}

// Genuine reports of three days send bob one probe and disable nobody;
// the report of the probe's failure disables him. Reports about carol
// say our content was refused: they never count.
func TestBouncesProbeThenDisableAMember(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{verp: true, now: c.Now})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org", "carol@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Un", "x\r\n"))
	h.sink.WaitCount(t, 3, 10*time.Second)
	for _, m := range h.sink.Messages() {
		prefix := "jardin-bounces+" + strings.Replace(m.To[0], "@", "=", 1) + "+"
		if len(m.To) != 1 || !strings.HasPrefix(m.From, prefix) || m.From != h.srv.proc.verpAddress("jardin@lists.test", m.To[0]) {
			t.Errorf("VERP: %v from %q, want %sTAG@lists.test", m.To, m.From, prefix)
		}
	}
	bobVERP := envelopeSender(t, h, "bob@example.org", "[jardin] Un")
	carolVERP := envelopeSender(t, h, "carol@example.org", "[jardin] Un")
	for day := range 3 {
		// Bob's address is gone; Carol's server dislikes our content.
		h.mustSend("", []string{bobVERP},
			dsn("bob@example.org", "5.1.1", "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown"))
		h.mustSend("", []string{carolVERP},
			dsn("carol@example.org", "5.7.1", "550 5.7.1 Message rejected as spam"))
		// Processed before the clock moves: each report on its own day.
		waitFor(t, func() bool { ids, _ := h.store.Inbox(); return len(ids) == 0 })
		if day < 2 {
			c.Add(24 * time.Hour)
		}
	}
	// The score is reached: a probe goes out, nobody is disabled yet.
	waitMessages(t, h.sink, "bob@example.org", "Vérification de votre adresse", 1)
	probeAddr := envelopeSender(t, h, "bob@example.org", "Vérification de votre adresse")
	bob, _ := h.store.Member("jardin@lists.test", "bob@example.org")
	if bob.Disabled || len(bob.BounceDays) != 3 || bob.Probe == nil {
		t.Fatalf("bob %+v, want 3 days, a probe, still enabled", bob)
	}
	if !strings.HasPrefix(probeAddr, "jardin-bounces+bob=example.org+probe-") || probeAddr == bobVERP {
		t.Errorf("the probe's envelope sender %q", probeAddr)
	}
	if n := len(messagesTo(h.sink, "owner@example.net", "Distribution suspendue")); n != 0 {
		t.Errorf("the owners were told before the probe failed")
	}
	// The probe fails too: now bob is disabled, and the owners told.
	h.mustSend("", []string{probeAddr},
		dsn("bob@example.org", "5.1.1", "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown"))
	waitMessages(t, h.sink, "owner@example.net", "Distribution suspendue pour bob@example.org", 1)
	bob, _ = h.store.Member("jardin@lists.test", "bob@example.org")
	carol, _ := h.store.Member("jardin@lists.test", "carol@example.org")
	if !bob.Disabled || !bob.DisabledNoticeSent || bob.Probe != nil {
		t.Errorf("bob %+v, want disabled after his probe failed", bob)
	}
	if carol.Disabled || len(carol.BounceDays) != 0 || carol.Probe != nil {
		t.Errorf("a content refusal counted against carol: %+v", carol)
	}
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Deux", "y\r\n"))
	waitMessages(t, h.sink, "carol@example.org", "[jardin] Deux", 1)
	h.quiet()
	if n := len(messagesTo(h.sink, "bob@example.org", "[jardin] Deux")); n != 0 {
		t.Errorf("a disabled member still gets mail")
	}
	if ok, _ := h.store.IsMember("jardin@lists.test", "bob@example.org"); !ok {
		t.Errorf("a disabled member must stay subscribed")
	}
}

// The owners hear once that delivery to a member was disabled, even when
// a server stopped between disabling the member and sending them the
// notice (an older tacit disabled without a probe, in two steps): the
// next genuine report sends it; later reports do not.
func TestDisabledNoticeSurvivesACrashAndGoesOnce(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{verp: true, now: c.Now})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	// What the first pass over the third report wrote before the crash:
	// bob disabled, the owners not told.
	if _, err := h.store.UpdateMember("jardin@lists.test", "bob@example.org", func(m *storage.Member) error {
		m.Disabled, m.BounceDays = true, []string{"2026-11-28", "2026-11-29", "2026-11-30"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	report := dsn("bob@example.org", "5.1.1", "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown")
	bobVERP := h.srv.proc.verpAddress("jardin@lists.test", "bob@example.org")
	h.mustSend("", []string{bobVERP}, report)
	waitMessages(t, h.sink, "owner@example.net", "Distribution suspendue pour bob@example.org", 1)
	waitFor(t, func() bool { ids, _ := h.store.Inbox(); return len(ids) == 0 })
	if bob, _ := h.store.Member("jardin@lists.test", "bob@example.org"); !bob.DisabledNoticeSent {
		t.Errorf("bob %+v: the notice is sent but not marked", bob)
	}
	c.Add(24 * time.Hour)
	h.mustSend("", []string{bobVERP}, report)
	waitFor(t, func() bool { ids, _ := h.store.Inbox(); return len(ids) == 0 })
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Après", "x\r\n"))
	waitMessages(t, h.sink, "alice@example.org", "[jardin] Après", 1)
	if n := len(messagesTo(h.sink, "owner@example.net", "Distribution suspendue")); n != 1 {
		t.Errorf("the owners were told %d times, want once", n)
	}
}

func TestOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{http: true})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Salut", "x\r\n"))
	got := waitMessages(t, h.sink, "bob@example.org", "[jardin] Salut", 1)[0]
	if got.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("no one-click header: %v", got.Header)
	}
	if n := len(got.Header["List-Unsubscribe"]); n != 1 {
		t.Fatalf("%d List-Unsubscribe fields", n)
	}
	u := regexp.MustCompile(`<(http://[^>]+)>`).FindStringSubmatch(got.Header.Get("List-Unsubscribe"))
	if u == nil || !strings.Contains(u[1], h.srv.HTTPAddr()) {
		t.Fatalf("List-Unsubscribe %q", got.Header.Get("List-Unsubscribe"))
	}
	// Another member's copy carries another URL.
	alice := waitMessages(t, h.sink, "alice@example.org", "[jardin] Salut", 1)[0]
	if strings.Contains(alice.Header.Get("List-Unsubscribe"), u[1]) {
		t.Errorf("two members share an unsubscribe URL")
	}
	// A link scanner's GET changes nothing.
	resp, err := http.Get(u[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "bob@example.org") {
		t.Errorf("GET %d:\n%s", resp.StatusCode, page)
	}
	if ok, _ := h.store.IsMember("jardin@lists.test", "bob@example.org"); !ok {
		t.Fatal("GET unsubscribed")
	}
	// The mail client's POST (RFC 8058) unsubscribes.
	resp, err = http.PostForm(u[1], url.Values{"List-Unsubscribe": {"One-Click"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ok, _ := h.store.IsMember("jardin@lists.test", "bob@example.org"); ok || resp.StatusCode != 200 {
		t.Errorf("POST %d: still a member", resp.StatusCode)
	}
	// A forged token does nothing.
	resp, err = http.PostForm(strings.Replace(u[1], "/unsubscribe/", "/unsubscribe/x", 1), url.Values{"List-Unsubscribe": {"One-Click"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("forged token: %d", resp.StatusCode)
	}
	resp, err = http.Get(fmt.Sprintf("http://%s/healthz", h.srv.HTTPAddr()))
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v %v", resp, err)
	}
}

// The delivery reports real MTAs send, over SMTP to bob's tagged VERP
// address: failures count, delays and content refusals do not, and
// auto-replies to the bounce address are not reports at all.
func TestBounceFixturesOverSMTP(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{verp: true, now: c.Now})
	h.list("jardin@lists.test", "bob@example.org")
	bobVERP := h.srv.proc.verpAddress("jardin@lists.test", "bob@example.org")
	cases := []struct {
		file  string
		count bool
	}{
		{"postfix-user-unknown.eml", true},
		{"exim-dsn-user-unknown.eml", true},
		{"exim-plain-text-failed.eml", true},
		{"exchange-recipient-not-found.eml", true},
		{"gmail-does-not-exist.eml", true},
		{"qmail-plain.eml", true},
		{"postfix-delayed.eml", false},
		{"exim-plain-text-delayed.eml", false},
		{"postfix-mailbox-full.eml", false},
		{"postfix-spam-rejected.eml", false},
		{"dmarc-policy-reject.eml", false},
		{"auto-reply-vacation.eml", false},
		{"human-reply.eml", false},
	}
	for _, tc := range cases {
		raw, err := os.ReadFile(filepath.Join("..", "testdata", "bounces", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		// Each report on a fresh score: one bounce day or none.
		if _, err := h.store.UpdateMember("jardin@lists.test", "bob@example.org", func(m *storage.Member) error {
			m.BounceDays = nil
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		c.Add(24 * time.Hour)
		h.mustSend("", []string{bobVERP}, string(raw))
		waitFor(t, func() bool { ids, _ := h.store.Inbox(); return len(ids) == 0 })
		bob, _ := h.store.Member("jardin@lists.test", "bob@example.org")
		if got, want := len(bob.BounceDays), map[bool]int{true: 1}[tc.count]; got != want || bob.Disabled || bob.Probe != nil {
			t.Errorf("%s: %d bounce days (disabled %v, probe %v), want %d", tc.file, got, bob.Disabled, bob.Probe != nil, want)
		}
	}
}

// envelopeSender is the envelope sender of the first message to rcpt
// whose Subject holds sub.
func envelopeSender(t *testing.T, h *harness, rcpt, sub string) string {
	t.Helper()
	for _, r := range h.sink.Messages() {
		if len(r.To) != 1 || r.To[0] != rcpt {
			continue
		}
		m, err := mail.ReadMessage(bytes.NewReader(r.Data))
		if err == nil && strings.Contains(rewrite.DecodeHeader(m.Header.Get("Subject")), sub) {
			return r.From
		}
	}
	t.Fatalf("no message to %s about %q", rcpt, sub)
	return ""
}
