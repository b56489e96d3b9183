package listserv

import (
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"tacit/consensus"
	"tacit/storage"
)

func requestMail(from, to, subject, body string) string {
	return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + strings.ReplaceAll(subject+from, " ", ".") + "@x>\r\n\r\n" + body
}

var confirmSubject = regexp.MustCompile(`^confirm ([a-z0-9]{16,})$`)

// tokenTo waits for the confirmation request sent to addr and returns
// its token.
func tokenTo(t *testing.T, h *harness, addr string, n int) string {
	t.Helper()
	got := waitMessages(t, h.sink, addr, "confirm ", n)
	m := confirmSubject.FindStringSubmatch(got[n-1].Header.Get("Subject"))
	if m == nil {
		t.Fatalf("confirmation Subject %q", got[n-1].Header.Get("Subject"))
	}
	return m[1]
}

func isMember(t *testing.T, h *harness, addr string) bool {
	t.Helper()
	ok, err := h.store.IsMember("jardin@lists.test", addr)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestSubscribeAndUnsubscribeWithConfirmation(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	// French, in the body, double opt-in.
	h.mustSend("zoe@example.net", []string{"jardin-request@lists.test"},
		requestMail("Zoé <zoe@example.net>", "jardin-request@lists.test", "", "abonner\r\n"))
	tok := tokenTo(t, h, "zoe@example.net", 1)
	if isMember(t, h, "zoe@example.net") {
		t.Fatal("subscribed before confirming")
	}
	// A spoofed confirm from another address does nothing, and does not
	// use the token up.
	h.mustSend("mallory@example.net", []string{"jardin-request@lists.test"},
		requestMail("mallory@example.net", "jardin-request@lists.test", "Re: confirm "+tok, ""))
	waitMessages(t, h.sink, "mallory@example.net", "Réponse à votre message", 1)
	if isMember(t, h, "zoe@example.net") || isMember(t, h, "mallory@example.net") {
		t.Fatal("a spoofed confirm subscribed someone")
	}
	// A plain reply confirms.
	h.mustSend("zoe@example.net", []string{"jardin-request@lists.test"},
		requestMail("zoe@example.net", "jardin-request@lists.test", "RE: confirm "+tok, "ok\r\n"))
	welcome := waitMessages(t, h.sink, "zoe@example.net", "Réponse à votre message", 1)
	if body := readAll(t, welcome[0]); !strings.Contains(body, "Bienvenue") {
		t.Errorf("welcome:\n%s", body)
	}
	waitFor(t, func() bool { return isMember(t, h, "zoe@example.net") })
	// The token is single-use.
	h.mustSend("zoe@example.net", []string{"jardin-request@lists.test"},
		requestMail("zoe@example.net", "jardin-request@lists.test", "confirm "+tok, ""))
	again := waitMessages(t, h.sink, "zoe@example.net", "Réponse à votre message", 2)
	if body := readAll(t, again[1]); !strings.Contains(body, "déjà servi") {
		t.Errorf("reused token:\n%s", body)
	}

	// English, through NAME-unsubscribe@; the token expires after 7 days.
	h.mustSend("bob@example.org", []string{"jardin-unsubscribe@lists.test"},
		requestMail("bob@example.org", "jardin-unsubscribe@lists.test", "bye", ""))
	tok = tokenTo(t, h, "bob@example.org", 1)
	c.Add(8 * 24 * time.Hour)
	h.mustSend("bob@example.org", []string{"jardin-request@lists.test"},
		requestMail("bob@example.org", "jardin-request@lists.test", "Re: confirm "+tok, ""))
	expired := waitMessages(t, h.sink, "bob@example.org", "Réponse à votre message", 1)
	if body := readAll(t, expired[0]); !strings.Contains(body, "expiré") || !isMember(t, h, "bob@example.org") {
		t.Errorf("expired token:\n%s", body)
	}
	h.mustSend("bob@example.org", []string{"jardin-request@lists.test"},
		requestMail("bob@example.org", "jardin-request@lists.test", "", "désabonner\r\n"))
	tok = tokenTo(t, h, "bob@example.org", 2)
	h.mustSend("bob@example.org", []string{"jardin-request@lists.test"},
		requestMail("bob@example.org", "jardin-request@lists.test", "Re: confirm "+tok, ""))
	waitFor(t, func() bool { return !isMember(t, h, "bob@example.org") })
}

func TestHelpAndUnknownWordsAndPassword(t *testing.T) {
	t.Parallel()
	h, _ := startDecisions(t)
	h.mustSend("carol@example.org", []string{"jardin-request@lists.test"},
		requestMail("carol@example.org", "jardin-request@lists.test", "question", "Bonjour, comment ça marche ?\r\n"))
	got := waitMessages(t, h.sink, "carol@example.org", "Réponse à votre message", 1)
	// docs/delivery.md: command replies carry the list's headers too.
	if id := got[0].Header.Get("List-Id"); !strings.Contains(id, "<jardin.lists.test>") || got[0].Header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("command reply headers: List-Id %q, Auto-Submitted %q", id, got[0].Header.Get("Auto-Submitted"))
	}
	if body := readAll(t, got[0]); !strings.Contains(body, "désabonner") || !strings.Contains(body, "Aucune commande reconnue") {
		t.Errorf("unknown words get the help text:\n%s", body)
	}
	// A new password only after the member confirms by return mail: a
	// forged request changes nothing.
	h.mustSend("carol@example.org", []string{"jardin-request@lists.test"},
		requestMail("carol@example.org", "jardin-request@lists.test", "", "mot de passe\r\n"))
	tok := tokenTo(t, h, "carol@example.org", 1)
	if m, _ := h.store.Member("jardin@lists.test", "carol@example.org"); m.PasswordHash != "" {
		t.Fatalf("a password was set before confirmation")
	}
	h.mustSend("carol@example.org", []string{"jardin-request@lists.test"},
		requestMail("carol@example.org", "jardin-request@lists.test", "Re: confirm "+tok, ""))
	got = waitMessages(t, h.sink, "carol@example.org", "Réponse à votre message", 2)
	pw := regexp.MustCompile(`[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}`).FindString(readAll(t, got[1]))
	m, _ := h.store.Member("jardin@lists.test", "carol@example.org")
	if pw == "" || bcrypt.CompareHashAndPassword([]byte(m.PasswordHash), []byte(pw)) != nil {
		t.Errorf("password %q does not match the stored hash", pw)
	}
	if strings.Contains(m.PasswordHash, pw) {
		t.Errorf("password stored in clear")
	}
}

// The list cannot be turned into a flood: robots get no answer, and a
// sender gets at most MaxRepliesPerHour answers an hour.
func TestRequestRepliesAreCapped(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	h.mustSend("robot@example.net", []string{"jardin-request@lists.test"},
		"From: robot@example.net\r\nAuto-Submitted: auto-replied\r\nSubject: Absent\r\n\r\nJe suis absent.\r\n")
	for i := range 14 {
		h.mustSend("victim@example.net", []string{"jardin-request@lists.test"},
			requestMail("victim@example.net", "jardin-request@lists.test", "help", strings.Repeat("x", i)))
	}
	waitMessages(t, h.sink, "victim@example.net", "Réponse", 10)
	h.quiet()
	if n := len(messagesTo(h.sink, "victim@example.net", "")); n != 10 {
		t.Errorf("%d replies in an hour, want 10", n)
	}
	if n := len(messagesTo(h.sink, "robot@example.net", "")); n != 0 {
		t.Errorf("%d replies to an auto-responder", n)
	}
	c.Add(61 * time.Minute)
	h.mustSend("victim@example.net", []string{"jardin-request@lists.test"},
		requestMail("victim@example.net", "jardin-request@lists.test", "aide", "later"))
	waitMessages(t, h.sink, "victim@example.net", "Réponse", 11)
}

func TestModerationByMailAndCLI(t *testing.T) {
	t.Parallel()
	h, _ := startDecisions(t) // owner@example.net owns jardin
	post := func(from, subject string) {
		h.mustSend(from, []string{"jardin@lists.test"}, "From: "+from+"\r\nTo: jardin@lists.test\r\nSubject: "+subject+
			"\r\nMessage-ID: <"+strings.ReplaceAll(subject, " ", ".")+"@x>\r\n\r\nBonjour\r\n")
	}
	post("eve@example.net", "Vends vélo")
	notice := waitMessages(t, h.sink, "owner@example.net", "À modérer : Vends vélo", 1)[0]
	waitMessages(t, h.sink, "eve@example.net", "attend une modération", 1)
	raw, _ := io.ReadAll(notice.Body)
	if !strings.Contains(string(raw), "Content-Type: message/rfc822") || !strings.Contains(string(raw), "Subject: Vends vélo") {
		t.Errorf("the owners' notice lacks the post attached:\n%s", raw)
	}
	// A member cannot approve; the owner can, by a plain reply.
	subject := notice.Header.Get("Subject")
	h.mustSend("bob@example.org", []string{"jardin-request@lists.test"},
		requestMail("bob@example.org", "jardin-request@lists.test", "Re: "+subject, "accepter\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "Réponse", 1)
	if n := len(messagesTo(h.sink, "alice@example.org", "Vends vélo")); n != 0 {
		t.Fatalf("a member approved a held post")
	}
	h.mustSend("owner@example.net", []string{"jardin-request@lists.test"},
		requestMail("owner@example.net", "jardin-request@lists.test", "Re: "+subject, "Accepter\r\n\r\n> le message cité\r\n"))
	waitMessages(t, h.sink, "alice@example.org", "[jardin] Vends vélo", 1)
	waitMessages(t, h.sink, "eve@example.net", "a été accepté", 1)

	// Rejected with a reason, by mail.
	post("eve@example.net", "Pub casino")
	subject = waitMessages(t, h.sink, "owner@example.net", "À modérer : Pub casino", 1)[0].Header.Get("Subject")
	h.mustSend("owner@example.net", []string{"jardin-request@lists.test"},
		requestMail("owner@example.net", "jardin-request@lists.test", "Re: "+subject, "refuser hors sujet\r\n"))
	rej := waitMessages(t, h.sink, "eve@example.net", "a été refusé", 1)
	if body := readAll(t, rej[0]); !strings.Contains(body, "hors sujet") {
		t.Errorf("rejection lacks the reason:\n%s", body)
	}

	// A moderated member, decided with the CLI through the server's admin.
	if _, err := h.store.UpdateMember("jardin@lists.test", "bob@example.org", func(m *storage.Member) error {
		m.Moderated = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	post("bob@example.org", "Message de Bob")
	waitMessages(t, h.sink, "owner@example.net", "À modérer : Message de Bob", 1)
	held, _ := h.store.HeldPosts("jardin@lists.test")
	if len(held) != 1 || held[0].Reason != "moderated member" {
		t.Fatalf("held %+v", held)
	}
	var out strings.Builder
	if err := h.srv.admin.Execute(context.Background(), []string{"held", "approve", strconv.FormatUint(held[0].ID, 10)}, &out); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, h.sink, "carol@example.org", "[jardin] Message de Bob", 1)
	h.quiet()
	if n := len(messagesTo(h.sink, "alice@example.org", "Vends vélo")); n != 1 {
		t.Errorf("the approved post went out %d times", n)
	}
	if n := len(messagesTo(h.sink, "alice@example.org", "Pub casino")); n != 0 {
		t.Errorf("the rejected post went out")
	}

	// Rejected with the CLI and a reason (docs/admin.md: tacit held reject ID --reason TEXT).
	post("bob@example.org", "Doublon de Bob")
	waitMessages(t, h.sink, "owner@example.net", "À modérer : Doublon de Bob", 1)
	held, _ = h.store.HeldPosts("jardin@lists.test")
	if len(held) != 1 {
		t.Fatalf("held %+v", held)
	}
	out.Reset()
	if err := h.srv.admin.Execute(context.Background(), []string{"held", "reject", strconv.FormatUint(held[0].ID, 10),
		"--reason", "déjà envoyé hier"}, &out); err != nil {
		t.Fatal(err)
	}
	rej = waitMessages(t, h.sink, "bob@example.org", "a été refusé", 1)
	if body := readAll(t, rej[0]); !strings.Contains(body, "déjà envoyé hier") {
		t.Errorf("rejection by the CLI lacks the reason:\n%s", body)
	}
	if held, _ := h.store.HeldPosts("jardin@lists.test"); len(held) != 0 {
		t.Errorf("still held after the CLI's rejection: %+v", held)
	}
	h.quiet()
	if n := len(messagesTo(h.sink, "alice@example.org", "Doublon de Bob")); n != 0 {
		t.Errorf("the post rejected with the CLI went out")
	}
}

func TestAnnounceOnlyList(t *testing.T) {
	t.Parallel()
	h, _ := startDecisions(t)
	if _, err := h.store.UpdateList("jardin@lists.test", func(l *storage.List) error { l.AnnounceOnly = true; return nil }); err != nil {
		t.Fatal(err)
	}
	h.mustSend("owner@example.net", []string{"jardin@lists.test"},
		"From: owner@example.net\r\nSubject: Annonce\r\nMessage-ID: <a1@x>\r\n\r\nAG le 12.\r\n")
	waitMessages(t, h.sink, "alice@example.org", "[jardin] Annonce", 1)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		"From: alice@example.org\r\nSubject: Réponse\r\nMessage-ID: <a2@x>\r\n\r\nMerci\r\n")
	waitMessages(t, h.sink, "owner@example.net", "À modérer : Réponse", 1)
	if n := len(messagesTo(h.sink, "bob@example.org", "[jardin] Réponse")); n != 0 {
		t.Errorf("a member posted to an announce-only list")
	}
}

// Every command in English, on an English list.
func TestRequestCommandsInEnglish(t *testing.T) {
	t.Parallel()
	h, _ := startDecisions(t)
	if _, err := h.store.UpdateList("jardin@lists.test", func(l *storage.List) error { l.Lang = "en"; return nil }); err != nil {
		t.Fatal(err)
	}
	h.mustSend("new@example.net", []string{"jardin-request@lists.test"},
		requestMail("new@example.net", "jardin-request@lists.test", "subscribe", ""))
	tok := tokenTo(t, h, "new@example.net", 1)
	h.mustSend("new@example.net", []string{"jardin-request@lists.test"},
		requestMail("new@example.net", "jardin-request@lists.test", "", "confirm "+tok+"\r\nstatus\r\npassword\r\nhelp\r\nend\r\n-- \r\nNew\r\n"))
	got := waitMessages(t, h.sink, "new@example.net", "[jardin] Your request", 1)
	body := readAll(t, got[0])
	for _, want := range []string{"Welcome: you are now subscribed", "has no open proposal",
		"Ask for your password in another message", "unsubscribe      leave the list"} {
		if !strings.Contains(body, want) {
			t.Errorf("reply lacks %q:\n%s", want, body)
		}
	}
	if !isMember(t, h, "new@example.net") {
		t.Errorf("not subscribed")
	}
	h.mustSend("new@example.net", []string{"jardin-request@lists.test"},
		requestMail("new@example.net", "jardin-request@lists.test", "password", ""))
	pwTok := tokenTo(t, h, "new@example.net", 2)
	h.mustSend("new@example.net", []string{"jardin-request@lists.test"},
		requestMail("new@example.net", "jardin-request@lists.test", "Re: confirm "+pwTok, "yes"))
	got = waitMessages(t, h.sink, "new@example.net", "[jardin] Your request", 2)
	// The password mail says how to reach the archive: server and port.
	if body := readAll(t, got[1]); !strings.Contains(body, "Your new password to read the archive") ||
		!strings.Contains(body, "does not serve the archive over IMAP") { // this harness runs no IMAP
		t.Errorf("password reply:\n%s", body)
	}
	h.mustSend("new@example.net", []string{"jardin-request@lists.test"},
		requestMail("new@example.net", "jardin-request@lists.test", "unsubscribe", ""))
	tok = tokenTo(t, h, "new@example.net", 3)
	h.mustSend("new@example.net", []string{"jardin-request@lists.test"},
		requestMail("new@example.net", "jardin-request@lists.test", "Re: confirm "+tok, "Thanks!"))
	waitFor(t, func() bool { return !isMember(t, h, "new@example.net") })
}

// A held post that an owner approves is read like any post once the list
// sees it: a moderated member's proposal opens, its deadline running from
// the approval; a non-member's objection is distributed but not counted.
func TestApprovedPostsCountFromTheirApproval(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	if _, err := h.store.UpdateMember("jardin@lists.test", "bob@example.org", func(m *storage.Member) error {
		m.Moderated = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	approve := func(subject string) {
		t.Helper()
		waitMessages(t, h.sink, "owner@example.net", subject, 1)
		held, err := h.store.HeldPosts("jardin@lists.test")
		if err != nil || len(held) != 1 {
			t.Fatalf("held %+v, %v", held, err)
		}
		var out strings.Builder
		if err := h.srv.admin.Execute(context.Background(), []string{"held", "approve", strconv.FormatUint(held[0].ID, 10)}, &out); err != nil {
			t.Fatal(err)
		}
	}
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, "From: bob@example.org\r\nTo: jardin@lists.test\r\n"+
		"Subject: [PROPOSITION] Acheter une grelinette\r\nMessage-ID: <grelinette@x>\r\n\r\nPour le potager.\r\nDélai : 3 jours\r\n")
	c.Add(2 * time.Hour) // the owners take their time
	approved := c.Now()
	approve("[PROPOSITION] Acheter une grelinette")
	waitMessages(t, h.sink, "alice@example.org", "[PROPOSITION #1] Acheter une grelinette", 1)
	p, err := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if err != nil {
		t.Fatalf("the approved proposal was not opened: %v", err)
	}
	if p.Status != consensus.StatusOpen || p.Author != "bob@example.org" || !p.Opened.Equal(approved) ||
		!p.Deadline.Equal(approved.Add(72*time.Hour)) {
		t.Errorf("proposal %s by %s opened %s, deadline %s; want open, by bob, opened at the approval %s, deadline 3 days later",
			p.Status, p.Author, p.Opened, p.Deadline, approved)
	}

	// A non-member's objection, approved: distributed, refused, not counted.
	h.mustSend("eve@example.net", []string{"jardin@lists.test"}, "From: eve@example.net\r\nTo: jardin@lists.test\r\n"+
		"Subject: Re: [jardin] [PROPOSITION #1] Acheter une grelinette\r\nIn-Reply-To: <grelinette@x>\r\n"+
		"Message-ID: <eve.objection@x>\r\n\r\nobjection : trop cher\r\n")
	approve("Re: [jardin] [PROPOSITION #1] Acheter une grelinette")
	waitMessages(t, h.sink, "alice@example.org", "Re: [jardin] [PROPOSITION #1]", 1)
	waitMessages(t, h.sink, "eve@example.net", "message non compté", 1)
	if p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1}); len(p.Objections) != 0 {
		t.Errorf("a non-member's objection counted: %+v", p.Objections)
	}
}
