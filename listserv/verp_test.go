package listserv

import (
	"bytes"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"tacit/listserv/bounce"
	"tacit/storage"
)

// logBuffer collects a server's logs for a test.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// userUnknown is a genuine-looking report that bob's address is gone.
var userUnknown = dsn("bob@example.org", "5.1.1", "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown")

// settle waits until every received message is processed.
func settle(t *testing.T, h *harness) {
	t.Helper()
	waitFor(t, func() bool { ids, _ := h.store.Inbox(); return len(ids) == 0 })
}

// The attack: forged delivery reports about bob, to bounce addresses that
// name him but carry no tag, or a tag the list did not write for him,
// hoping to disable him so that proposals pass without him. The SMTP
// session accepts them (it reveals no membership); they count for nobody.
func TestForgedBouncesCountForNobody(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	logs := &logBuffer{}
	h := start(t, harnessOptions{verp: true, now: c.Now, logger: logs.logger()})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	if err := h.store.CreateList(storage.List{Address: "potager@lists.test", Owners: []string{"owner@example.net"}}); err != nil {
		t.Fatal(err)
	}
	aliceTag := bounce.Tag(h.srv.proc.verpKey, "jardin@lists.test", "alice@example.org")
	potagerTag := bounce.Tag(h.srv.proc.verpKey, "potager@lists.test", "bob@example.org")
	forged := []string{
		"jardin-bounces+bob=example.org@lists.test",                    // no tag
		"jardin-bounces@lists.test",                                    // the plain bounce address
		"jardin-bounces+bob=example.org+abcdefghij@lists.test",         // a guessed tag
		"jardin-bounces+bob=example.org+" + aliceTag + "@lists.test",   // alice's tag
		"jardin-bounces+bob=example.org+" + potagerTag + "@lists.test", // bob's tag on another list
		"jardin-bounces+bob=example.org+probe-abcdefghij@lists.test",   // a probe bob was never sent
		"jardin-bounces+bob=example.org+xyz@lists.test",                // not even a tag
		"jardin-bounces+nobody=example.org+abcdefghij@lists.test",      // not a member: accepted all the same
	}
	for day := range 4 {
		for _, addr := range forged {
			h.mustSend("", []string{addr}, userUnknown)
		}
		settle(t, h)
		if day < 3 {
			c.Add(24 * time.Hour)
		}
	}
	bob, _ := h.store.Member("jardin@lists.test", "bob@example.org")
	if bob.Disabled || len(bob.BounceDays) != 0 || bob.Probe != nil {
		t.Errorf("forged reports changed bob: %+v", bob)
	}
	if n := logs.count("counted for nobody"); n != 4*len(forged) {
		t.Errorf("%d reports logged as counted for nobody, want %d", n, 4*len(forged))
	}
	h.quiet()
	for _, m := range h.sink.Messages() {
		t.Errorf("a forged report made the list write to %v", m.To)
	}
}

// A genuine report raises the score and a fourth does too, but nobody is
// disabled: one probe goes out under its own tag. A report to the list
// mail's address, or to the probe's with a wrong tag, does not disable.
// The probe, delivered and never bounced, ends with the window: the
// score starts again, and a late report about it counts for nobody.
func TestProbeNotBouncedLeavesTheMemberEnabled(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	logs := &logBuffer{}
	h := start(t, harnessOptions{verp: true, now: c.Now, logger: logs.logger()})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Un", "x\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[jardin] Un", 1)
	bobVERP := envelopeSender(t, h, "bob@example.org", "[jardin] Un")
	for day := range 4 {
		h.mustSend("", []string{bobVERP}, userUnknown)
		settle(t, h)
		bob, _ := h.store.Member("jardin@lists.test", "bob@example.org")
		if bob.Disabled || len(bob.BounceDays) != day+1 || (bob.Probe != nil) != (day >= 2) {
			t.Fatalf("day %d: bob %+v, want %d days, a probe from the third, enabled", day+1, bob, day+1)
		}
		c.Add(24 * time.Hour)
	}
	probes := waitMessages(t, h.sink, "bob@example.org", "Vérification de votre adresse", 1)
	h.quiet()
	if n := len(messagesTo(h.sink, "bob@example.org", "Vérification")); n != 1 {
		t.Errorf("%d probes, want one", n)
	}
	checkProbe(t, probes[0], "jardin-request@lists.test", "n'a pas pu")
	probeAddr := envelopeSender(t, h, "bob@example.org", "Vérification de votre adresse")
	local, _, _ := strings.Cut(probeAddr, "@")
	v, ok := bounce.ParseVERP(local, "jardin")
	bob, _ := h.store.Member("jardin@lists.test", "bob@example.org")
	if !ok || !v.Probe || v.Member != "bob@example.org" || !v.ValidProbe(h.srv.proc.verpKey, "jardin@lists.test", bob.Probe.ID) {
		t.Fatalf("probe sent from %q (%+v), want bob's probe tag", probeAddr, v)
	}
	// Not the probe's failure: nothing is disabled.
	h.mustSend("", []string{strings.Replace(probeAddr, "+probe-"+v.Tag, "+probe-abcdefghij", 1)}, userUnknown)
	h.mustSend("", []string{bobVERP}, userUnknown)
	settle(t, h)
	if bob, _ := h.store.Member("jardin@lists.test", "bob@example.org"); bob.Disabled || bob.Probe == nil {
		t.Fatalf("bob %+v, want enabled and still probed", bob)
	}
	// The window ends; the next message to a bounce address settles it.
	c.Add(probeWindow)
	h.mustSend("", []string{"jardin-bounces@lists.test"}, post("someone@example.org", "Re: hello", "an answer\r\n"))
	settle(t, h)
	bob, _ = h.store.Member("jardin@lists.test", "bob@example.org")
	if bob.Disabled || bob.Probe != nil || len(bob.BounceDays) != 0 {
		t.Fatalf("bob after a probe not bounced: %+v, want enabled with a fresh score", bob)
	}
	if logs.count("probe not bounced, score reset") != 1 {
		t.Errorf("the end of the probe is not logged")
	}
	// A report about the ended probe comes too late.
	h.mustSend("", []string{probeAddr}, userUnknown)
	settle(t, h)
	if bob, _ := h.store.Member("jardin@lists.test", "bob@example.org"); bob.Disabled || len(bob.BounceDays) != 0 {
		t.Errorf("a report about an ended probe counted: %+v", bob)
	}
	if n := len(messagesTo(h.sink, "owner@example.net", "")); n != 0 {
		t.Errorf("the owners were told %d times", n)
	}
}

// An English list's probe is in English; its failure disables the member
// and tells the owners in the same step; a second report of it changes
// nothing more.
func TestProbeInEnglishFailsOnce(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{verp: true, now: c.Now})
	if err := h.store.CreateList(storage.List{Address: "jardin@lists.test", Lang: "en", Owners: []string{"owner@example.net"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.AddMembers("jardin@lists.test", c.Now(), "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.UpdateMember("jardin@lists.test", "bob@example.org", func(m *storage.Member) error {
		m.BounceDays = []string{"2026-11-28", "2026-11-29"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.mustSend("", []string{h.srv.proc.verpAddress("jardin@lists.test", "bob@example.org")}, userUnknown)
	probe := waitMessages(t, h.sink, "bob@example.org", "Checking your address", 1)[0]
	checkProbe(t, probe, "jardin-request@lists.test", "nothing to do")
	probeAddr := envelopeSender(t, h, "bob@example.org", "Checking your address")
	for range 2 {
		h.mustSend("", []string{probeAddr}, userUnknown)
	}
	waitMessages(t, h.sink, "owner@example.net", "Delivery stopped for bob@example.org", 1)
	settle(t, h)
	h.quiet()
	if n := len(messagesTo(h.sink, "owner@example.net", "Delivery stopped")); n != 1 {
		t.Errorf("the owners were told %d times, want once", n)
	}
	if bob, _ := h.store.Member("jardin@lists.test", "bob@example.org"); !bob.Disabled || !bob.DisabledNoticeSent || bob.Probe != nil {
		t.Errorf("bob %+v, want disabled after his probe failed", bob)
	}
}

// checkProbe checks what a probe is: plain text from the list's -request
// address, marked as written by a program.
func checkProbe(t *testing.T, m *mail.Message, from, says string) {
	t.Helper()
	if a, err := mail.ParseAddress(m.Header.Get("From")); err != nil || a.Address != from {
		t.Errorf("probe From %q, want %s", m.Header.Get("From"), from)
	}
	if got := m.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("probe Auto-Submitted %q", got)
	}
	if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("probe Content-Type %q", ct)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(strings.Fields(string(body)), " "); !strings.Contains(text, says) {
		t.Errorf("probe body does not say %q:\n%s", says, text)
	}
}
