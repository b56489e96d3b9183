package listserv

import (
	"bytes"
	"context"
	"io"
	"net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/internal/smtpsink"
	"tacit/listserv/mailtext"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// clock is a time tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func startDecisions(t *testing.T) (*harness, *clock) {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{now: c.Now, consensus: ConsensusOptions{
		MinDeadline: 24 * time.Hour, RemindBefore: 24 * time.Hour, Schedule: "@every 1h", Location: paris}})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org", "carol@example.org")
	return h, c
}

// messagesTo returns what the sink received for rcpt whose Subject
// contains sub.
func messagesTo(sink *smtpsink.Sink, rcpt, sub string) []*mail.Message {
	var out []*mail.Message
	for _, r := range sink.Messages() {
		for _, to := range r.To {
			if to != rcpt {
				continue
			}
			m, err := mail.ReadMessage(bytes.NewReader(r.Data))
			if err != nil {
				continue
			}
			subject := rewrite.DecodeHeader(m.Header.Get("Subject"))
			if p, ok := strings.CutPrefix(sub, "^"); ok && strings.HasPrefix(subject, p) || strings.Contains(subject, sub) {
				m.Body = bytes.NewReader(r.Data) // the whole message, for readAll
				out = append(out, m)
			}
		}
	}
	return out
}

func waitMessages(t *testing.T, sink *smtpsink.Sink, rcpt, sub string, n int) []*mail.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := messagesTo(sink, rcpt, sub)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s got %d messages with %q in the Subject, want %d", rcpt, len(got), sub, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func proposalPost(subject, body string) string {
	return "From: Alice <alice@example.org>\r\nTo: jardin@lists.test\r\nSubject: " + subject +
		"\r\nMessage-ID: <prop1@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
}

func replyPost(from, msgID, inReplyTo, subject, body string) string {
	return "From: " + from + "\r\nTo: jardin@lists.test\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + msgID + ">\r\nIn-Reply-To: <" + inReplyTo + ">\r\n" +
		"References: <" + inReplyTo + ">\r\n\r\n" + body
}

func TestProposalBlockedThenAdoptedWhenTheObjectionIsLifted(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	ctx := context.Background()
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Acheter une tondeuse", "Je propose d'acheter une tondeuse.\r\nÉchéance : 3 jours\r\n"))
	got := waitMessages(t, h.sink, "bob@example.org", "[jardin] [PROPOSITION #1] Acheter une tondeuse", 1)[0]
	if got.Header.Get("X-Tacit-Proposal") != "jardin#1" {
		t.Errorf("X-Tacit-Proposal %q", got.Header.Get("X-Tacit-Proposal"))
	}
	if dl := got.Header.Get("X-Tacit-Deadline"); dl != "2026-12-03T10:00:00+01:00" {
		t.Errorf("X-Tacit-Deadline %q, want three days after receipt in Paris time", dl)
	}
	body := readAll(t, got)
	if !strings.Contains(body, "Je propose d'acheter une tondeuse.") || !strings.Contains(body, consensus.ReplyAboveFR) ||
		!strings.Contains(body, "jeudi 3 décembre 2026 à 10 h") {
		t.Errorf("distributed proposal lacks its text or footer:\n%s", body)
	}

	// Bob objects, quoting the proposal without ">" the way Outlook does.
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, replyPost("bob@example.org", "r1@example.org",
		"prop1@example.org", "RE: [jardin] [PROPOSITION #1] Acheter une tondeuse",
		"OBJECTION : trop cher pour cette année\r\n\r\nDe : Alice\r\nEnvoyé : lundi\r\nÀ : jardin\r\nObjet : tondeuse\r\n\r\n"+body))
	waitMessages(t, h.sink, "bob@example.org", "objection enregistrée", 1)
	waitMessages(t, h.sink, "carol@example.org", "RE: [jardin] [PROPOSITION #1]", 1)
	p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if len(p.Objections) != 1 || p.Objections[0].Member != "bob@example.org" || p.Objections[0].Reason != "trop cher pour cette année" {
		t.Fatalf("objections %+v", p.Objections)
	}

	// The deadline passes: blocked, once, however many ticks run.
	c.Add(3*24*time.Hour + time.Minute)
	for range 3 {
		if _, err := h.srv.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	blocked := waitMessages(t, h.sink, "carol@example.org", "[BLOQUÉE #1]", 1)
	if blocked[0].Header.Get("Auto-Submitted") != "auto-generated" || blocked[0].Header.Get("In-Reply-To") != "<prop1@example.org>" {
		t.Errorf("notice headers %v", blocked[0].Header)
	}
	if !strings.Contains(readAll(t, blocked[0]), "de bob@example.org") {
		t.Errorf("blocked notice does not name the objector")
	}
	// No reminder went out: an objection stood.
	if n := len(messagesTo(h.sink, "carol@example.org", "[RAPPEL")); n != 0 {
		t.Errorf("%d reminders with an objection standing", n)
	}

	// Bob lifts his objection after the deadline: adopted.
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, replyPost("bob@example.org", "r2@example.org",
		"r1@example.org", "Re: [jardin] [BLOQUÉE #1] Acheter une tondeuse", "Objection levée, on a trouvé un prêt.\r\n"))
	waitMessages(t, h.sink, "alice@example.org", "[ADOPTÉE #1]", 1)
	h.quiet()
	h.srv.Tick(ctx)
	if n := len(messagesTo(h.sink, "alice@example.org", "[ADOPTÉE #1]")); n != 1 {
		t.Errorf("%d adoption notices, want 1", n)
	}
	if n := len(messagesTo(h.sink, "alice@example.org", "^[jardin] [BLOQUÉE #1]")); n != 1 {
		t.Errorf("%d blocked notices, want 1", n)
	}
	ev, _ := h.store.ProposalEvents(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	var kinds []string
	for _, e := range ev {
		kinds = append(kinds, e.Kind+":"+string(e.Status)+e.Reason)
	}
	want := "status:open reply: object:trop cher pour cette année status:blocked reply: status:adopted lift:"
	if strings.Join(kinds, " ") != want {
		t.Errorf("timeline\n%s\nwant\n%s", strings.Join(kinds, " "), want)
	}
}

func TestSilenceAdoptsWithOneReminderAndOneNotice(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	ctx := context.Background()
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[jardin] [PROP] Repeindre le portail", "Couleur : vert.\r\nDeadline: 48h\r\n"))
	waitMessages(t, h.sink, "carol@example.org", "[PROPOSITION #1]", 1)
	// Carol supports; a typo from Dan-like Bob gets a hint, not a count.
	h.mustSend("carol@example.org", []string{"jardin@lists.test"}, replyPost("carol@example.org", "s1@example.org",
		"prop1@example.org", "Re: [jardin] [PROPOSITION #1] Repeindre le portail", "+1 bonne idée\r\n"))
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, replyPost("bob@example.org", "s2@example.org",
		"prop1@example.org", "Re: [jardin] [PROPOSITION #1] Repeindre le portail", "objecton, le vert c'est moche\r\n"))
	waitMessages(t, h.sink, "carol@example.org", "soutien enregistré", 1)
	waitMessages(t, h.sink, "bob@example.org", "votre réponse n'a pas été comptée", 1)

	c.Add(25 * time.Hour) // 24 h before the deadline: the reminder
	h.srv.Tick(ctx)
	waitMessages(t, h.sink, "bob@example.org", "[RAPPEL #1]", 1)
	c.Add(24 * time.Hour)
	h.srv.Tick(ctx)
	h.srv.Tick(ctx)
	waitMessages(t, h.sink, "bob@example.org", "[ADOPTÉE #1]", 1)
	h.quiet()
	for _, sub := range []string{"[RAPPEL #1]", "[ADOPTÉE #1]"} {
		if n := len(messagesTo(h.sink, "alice@example.org", sub)); n != 1 {
			t.Errorf("%d messages %s, want 1", n, sub)
		}
	}
	p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if p.Status != consensus.StatusAdopted || len(p.Supports) != 1 || p.Replies != 2 || p.Unpositioned != 1 {
		t.Errorf("proposal %+v", p)
	}
}

func TestWithdrawAndAmendAreTheAuthors(t *testing.T) {
	t.Parallel()
	h, _ := startDecisions(t)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSAL] Nouveau local", "Louer le local rue Haute.\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	// Bob is not the author: refused, privately.
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, replyPost("bob@example.org", "w1@example.org",
		"prop1@example.org", "Re: #1", "Retrait proposition\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "message non compté", 1)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, replyPost("alice@example.org", "w2@example.org",
		"prop1@example.org", "Re: #1", "Je retire ma proposition, le local est loué.\r\n"))
	waitMessages(t, h.sink, "carol@example.org", "[RETIRÉE #1]", 1)
	p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if p.Status != consensus.StatusWithdrawn {
		t.Errorf("status %s", p.Status)
	}
	if due, _ := h.store.DueProposals(time.Now().Add(365*24*time.Hour), 0); len(due) != 0 {
		t.Errorf("a withdrawn proposal is still in the deadline index: %v", due)
	}
}

// readAll returns the decoded text of a message found by messagesTo.
func readAll(t *testing.T, m *mail.Message) string {
	t.Helper()
	raw, err := io.ReadAll(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	text, err := mailtext.Text(raw)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return text
}

func TestRequestStatusListsOpenProposalsToMembersOnly(t *testing.T) {
	t.Parallel()
	h, _ := startDecisions(t)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Fête de printemps", "Le 21 mars.\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	h.mustSend("bob@example.org", []string{"jardin-request@lists.test"},
		"From: bob@example.org\r\nTo: jardin-request@lists.test\r\nSubject: état\r\n\r\n")
	got := waitMessages(t, h.sink, "bob@example.org", "Réponse à votre message", 1)[0]
	if from := got.Header.Get("From"); !strings.Contains(from, "jardin-request@lists.test") {
		t.Errorf("status reply From %q", from)
	}
	body := readAll(t, got)
	if !strings.Contains(body, "Proposition n° 1 de alice@example.org") || !strings.Contains(body, "Fête de printemps") {
		t.Errorf("status reply:\n%s", body)
	}
	// A stranger learns nothing of the proposals; a robot gets nothing.
	h.mustSend("eve@example.net", []string{"jardin-request@lists.test"},
		"From: eve@example.net\r\nSubject: status\r\n\r\n")
	h.mustSend("carol@example.org", []string{"jardin-request@lists.test"},
		"From: carol@example.org\r\nAuto-Submitted: auto-replied\r\nSubject: status\r\n\r\n")
	stranger := waitMessages(t, h.sink, "eve@example.net", "Réponse", 1)
	if body := readAll(t, stranger[0]); strings.Contains(body, "printemps") || !strings.Contains(body, "Seuls les membres") {
		t.Errorf("status to a stranger:\n%s", body)
	}
	h.quiet()
	if n := len(messagesTo(h.sink, "carol@example.org", "Réponse")); n != 0 {
		t.Errorf("%d status replies to a robot", n)
	}
}

func TestAmendRestartsTheDeadlineAndStrangersDoNotCount(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Horaires", "Ouvrir le samedi.\r\nÉchéance : 2 jours\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	ref := storage.ProposalRef{List: "jardin@lists.test", Number: 1}
	first, _ := h.store.Proposal(ref)

	// A non-member's objection is held with the post, and counts for nothing.
	h.mustSend("eve@example.net", []string{"jardin@lists.test"}, replyPost("eve@example.net", "e1@example.net",
		"prop1@example.org", "Re: [jardin] [PROPOSITION #1] Horaires", "OBJECTION\r\n"))
	waitFor(t, func() bool { held, _ := h.store.HeldPosts("jardin@lists.test"); return len(held) == 1 })

	c.Add(36 * time.Hour)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, replyPost("alice@example.org", "a1@example.org",
		"prop1@example.org", "Re: [jardin] [PROPOSITION #1] Horaires", "Amendement\r\nOuvrir le samedi et le dimanche.\r\n"))
	waitMessages(t, h.sink, "alice@example.org", "amendement enregistré", 1)
	p, _ := h.store.Proposal(ref)
	if len(p.Objections) != 0 {
		t.Errorf("a stranger's objection counted: %+v", p.Objections)
	}
	if len(p.Versions) != 2 || !strings.Contains(p.Versions[1].Text, "dimanche") {
		t.Fatalf("versions %+v", p.Versions)
	}
	if want := first.Deadline.Add(36 * time.Hour); !p.Deadline.Equal(want) {
		t.Errorf("deadline after amendment %v, want %v (the same length again)", p.Deadline, want)
	}
	c.Add(13 * time.Hour) // past the first deadline, before the new one
	h.srv.Tick(context.Background())
	if p, _ := h.store.Proposal(ref); p.Status != consensus.StatusOpen {
		t.Errorf("status %s after the old deadline, want open", p.Status)
	}
}

// An outcome and its notice happen once across restarts: the start-up
// pass decides what fell due while the server was down, and a second
// restart finds nothing left to decide.
func TestOutcomeOnceAcrossRestarts(t *testing.T) {
	t.Parallel()
	paris, _ := time.LoadLocation("Europe/Paris")
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "tacit.db")
	sink := smtpsink.Start(t, smtpsink.Options{})
	opts := harnessOptions{now: c.Now, path: path, sharedSink: sink, consensus: ConsensusOptions{
		MinDeadline: time.Hour, Schedule: "@every 1h", Location: paris}}
	h := start(t, opts)
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Compost", "Installer un composteur.\r\nÉchéance : 2 jours\r\n"))
	waitMessages(t, sink, "bob@example.org", "[PROPOSITION #1]", 1)
	h.stop()

	c.Add(49 * time.Hour) // the deadline passes while the server is down
	for range 3 {
		h := start(t, opts)
		waitMessages(t, sink, "bob@example.org", "[ADOPTÉE #1]", 1)
		if _, err := h.srv.Tick(context.Background()); err != nil { // after the start-up pass
			t.Fatal(err)
		}
		waitFor(t, func() bool { st, _ := h.store.QueueStats(); return st.Entries == 0 })
		h.stop()
	}
	if n := len(messagesTo(sink, "bob@example.org", "[ADOPTÉE #1]")); n != 1 {
		t.Errorf("%d adoption notices after three restarts, want 1", n)
	}
}

// An objection received after the deadline does not count, even when no
// tick has run yet: time is applied before the reply.
func TestLateObjectionIsRefused(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Vide-grenier", "En mai.\r\nÉchéance : 2 jours\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	c.Add(48*time.Hour + time.Minute)
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, replyPost("bob@example.org", "late@example.org",
		"prop1@example.org", "Re: [jardin] [PROPOSITION #1] Vide-grenier", "OBJECTION, trop tard ?\r\n"))
	refused := waitMessages(t, h.sink, "bob@example.org", "message non compté", 1)
	if body := readAll(t, refused[0]); !strings.Contains(body, "après l'échéance") {
		t.Errorf("refusal does not say why:\n%s", body)
	}
	waitMessages(t, h.sink, "carol@example.org", "^[jardin] [ADOPTÉE #1]", 1)
	h.srv.Tick(context.Background())
	h.quiet()
	if n := len(messagesTo(h.sink, "carol@example.org", "^[jardin] [ADOPTÉE #1]")); n != 1 {
		t.Errorf("%d adoption notices, want 1", n)
	}
	p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if p.Status != consensus.StatusAdopted || len(p.Objections) != 0 {
		t.Errorf("late objection counted: %s %+v", p.Status, p.Objections)
	}
}
