package listserv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// run runs an admin command on the harness's server and returns its
// output.
func (h *harness) run(args ...string) string {
	h.t.Helper()
	var out strings.Builder
	if err := h.srv.admin.Execute(context.Background(), args, &out); err != nil {
		h.t.Fatalf("tacit %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

// discards counts the discards recorded for list whose reason contains
// sub.
func discards(t *testing.T, h *harness, sub string) int {
	t.Helper()
	n := 0
	ds, err := h.store.Discards()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if strings.Contains(d.Reason, sub) {
			n++
		}
	}
	return n
}

// A banned address gets nowhere: its post is not distributed, its
// subscription asks for no confirmation, nothing answers it; a banned
// domain the same; the ban shows in `ban ls` and `member ls`.
func TestBannedSenderGetsNowhereAndNoAnswer(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	h.list("jardin@lists.test", "alice@example.org", "troll@example.org")
	out := h.run("member", "ban", "jardin", "troll@example.org")
	if !strings.Contains(out, "troll@example.org banni de jardin@lists.test") || !strings.Contains(out, "n'est plus membre") {
		t.Errorf("member ban said %q", out)
	}
	h.run("member", "ban", "jardin", "@spam.test")
	if out := h.run("ban", "ls", "jardin"); !strings.Contains(out, "troll@example.org") || !strings.Contains(out, "@spam.test") {
		t.Errorf("ban ls = %q", out)
	}
	if out := h.run("member", "ls", "jardin"); !strings.Contains(out, "troll@example.org (banni)") {
		t.Errorf("member ls = %q", out)
	}

	h.mustSend("troll@example.org", []string{"jardin@lists.test"}, post("troll@example.org", "Provocation", "Hop.\r\n"))
	h.mustSend("troll@example.org", []string{"jardin-request@lists.test"},
		"From: troll@example.org\r\nTo: jardin-request@lists.test\r\nSubject: subscribe\r\nMessage-ID: <sub1@example.org>\r\n\r\nsubscribe\r\n")
	h.mustSend("x@spam.test", []string{"jardin-subscribe@lists.test"},
		"From: x@spam.test\r\nTo: jardin-subscribe@lists.test\r\nSubject: hello\r\nMessage-ID: <sub2@spam.test>\r\n\r\nhi\r\n")
	h.mustSend("x@spam.test", []string{"jardin-owner@lists.test"},
		"From: x@spam.test\r\nTo: jardin-owner@lists.test\r\nSubject: insultes\r\nMessage-ID: <own@spam.test>\r\n\r\n...\r\n")
	// A member's post after them: once it is out, theirs were disposed of.
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Semis", "Demain.\r\n"))
	waitMessages(t, h.sink, "alice@example.org", "Semis", 1)
	h.quiet()
	for _, r := range h.sink.Messages() {
		for _, to := range r.To {
			if to == "troll@example.org" || to == "x@spam.test" || to == "owner@example.net" {
				t.Errorf("%s got mail:\n%s", to, r.Data)
			}
		}
		if bytes.Contains(r.Data, []byte("Provocation")) {
			t.Errorf("the banned post went out to %v", r.To)
		}
	}
	if n := discards(t, h, "banned sender"); n != 4 {
		t.Errorf("%d discards of banned mail, want 4", n)
	}
	if ok, _ := h.store.IsMember("jardin@lists.test", "troll@example.org"); ok {
		t.Error("the banned address is a member")
	}

	// Unbanned, it may subscribe again.
	h.run("member", "unban", "jardin", "troll@example.org")
	h.mustSend("troll@example.org", []string{"jardin-subscribe@lists.test"},
		"From: troll@example.org\r\nTo: jardin-subscribe@lists.test\r\nSubject: hello\r\nMessage-ID: <sub3@example.org>\r\n\r\nhi\r\n")
	waitMessages(t, h.sink, "troll@example.org", "confirm", 1)
}

// A moderated troll who is removed and subscribes again is still held.
func TestModerationSurvivesRemovalAndResubscription(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	h.list("jardin@lists.test", "alice@example.org", "troll@example.org")
	h.run("member", "set", "jardin", "troll@example.org", "--moderated")
	h.run("member", "rm", "jardin", "troll@example.org")
	h.run("member", "add", "jardin", "troll@example.org")
	h.mustSend("troll@example.org", []string{"jardin@lists.test"}, post("troll@example.org", "Encore moi", "Hop.\r\n"))
	waitMessages(t, h.sink, "owner@example.net", "Encore moi", 1)
	h.quiet()
	if got := messagesTo(h.sink, "alice@example.org", "Encore moi"); len(got) != 0 {
		t.Error("the moderated troll's post was distributed")
	}
	held, _ := h.store.HeldPosts("jardin@lists.test")
	if len(held) != 1 || held[0].Reason != "moderated member" {
		t.Fatalf("held = %+v", held)
	}
	// Cleared by an owner, it goes through.
	h.run("member", "set", "jardin", "troll@example.org", "--moderated=false")
	h.mustSend("troll@example.org", []string{"jardin@lists.test"}, post("troll@example.org", "Pardon", "Hop.\r\n"))
	waitMessages(t, h.sink, "alice@example.org", "Pardon", 1)
}

// The 11th post of a member in an hour is held, and so are the next
// ones; the owners get one notice for that member, not one per post; a
// restart changes nothing; an hour later posts go out again.
func TestEleventhPostInAnHourIsHeldOwnersToldOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tacit.db")
	c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{now: c.Now, path: path, maxPosts: 10}) // the default
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	send := func(h *harness, i int) {
		h.mustSend("bob@example.org", []string{"jardin@lists.test"}, post("bob@example.org", fmt.Sprintf("Flood %02d", i), "Hop.\r\n"))
	}
	for i := 1; i <= 13; i++ {
		send(h, i)
		c.Add(time.Second)
	}
	waitMessages(t, h.sink, "alice@example.org", "Flood 10", 1)
	waitFor(t, func() bool { held, _ := h.store.HeldPosts("jardin@lists.test"); return len(held) == 3 })
	h.quiet()
	if got := messagesTo(h.sink, "alice@example.org", "Flood"); len(got) != 10 {
		t.Errorf("alice got %d posts, want 10", len(got))
	}
	notices := messagesTo(h.sink, "owner@example.net", "Flood")
	if len(notices) != 1 || !strings.Contains(readAll(t, notices[0]), "trop de messages en une heure") {
		t.Fatalf("owners got %d notices, want 1 naming the flood", len(notices))
	}
	// After a restart, still held, still no second notice.
	h.stop()
	h = start(t, harnessOptions{now: c.Now, path: path, sharedSink: h.sink, maxPosts: 10})
	send(h, 14)
	waitFor(t, func() bool { held, _ := h.store.HeldPosts("jardin@lists.test"); return len(held) == 4 })
	h.quiet()
	if n := len(messagesTo(h.sink, "owner@example.net", "Flood")); n != 1 {
		t.Errorf("owners got %d notices after a restart, want 1", n)
	}
	// A sliding hour later, the member writes again.
	c.Add(time.Hour)
	send(h, 15)
	waitMessages(t, h.sink, "alice@example.org", "Flood 15", 1)
}

// receivedRaw returns a message found by messagesTo as it was received.
func receivedRaw(t *testing.T, m *mail.Message) string {
	t.Helper()
	b, err := io.ReadAll(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The list's charter ends a distributed plain-text post in its own
// encoding, and a multipart post as a part of its own.
func TestCharterFooterOnPlainAndMultipartPosts(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	charter := filepath.Join(t.TempDir(), "charte.txt")
	if err := os.WriteFile(charter, []byte("Charte : on se parle avec respect.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.run("list", "set", "jardin", "--footer-file", charter)

	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Texte simple", "Bonjour.\r\n"))
	got := waitMessages(t, h.sink, "bob@example.org", "Texte simple", 1)
	raw := receivedRaw(t, got[0])
	_, body, _ := strings.Cut(raw, "\r\n\r\n")
	if !strings.Contains(body, "Bonjour.\r\n\r\nCharte : on se parle avec respect.") {
		t.Errorf("plain post without the charter after its text:\n%s", raw)
	}

	const b = "XyZ"
	multi := "From: alice@example.org\r\nTo: jardin@lists.test\r\nSubject: Avec HTML\r\nMessage-ID: <html1@example.org>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"" + b + "\"\r\n\r\n" +
		"--" + b + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n" +
		"--" + b + "\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Bonjour.</p>\r\n--" + b + "--\r\n"
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, multi)
	got = waitMessages(t, h.sink, "bob@example.org", "Avec HTML", 1)
	mt, params, err := mime.ParseMediaType(got[0].Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("multipart post's Content-Type = %q", got[0].Header.Get("Content-Type"))
	}
	raw = receivedRaw(t, got[0])
	_, body, _ = strings.Cut(raw, "\r\n\r\n")
	mr := multipart.NewReader(strings.NewReader(body), params["boundary"])
	var parts []string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		txt, _ := io.ReadAll(p)
		parts = append(parts, p.Header.Get("Content-Type")+"|"+string(txt))
	}
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "multipart/alternative") ||
		!strings.Contains(parts[1], "Charte : on se parle avec respect.") {
		t.Errorf("parts = %q", parts)
	}

	// Removed, posts go out unchanged.
	h.run("list", "set", "jardin", "--footer", "")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "Sans charte", "Bonjour.\r\n"))
	got = waitMessages(t, h.sink, "bob@example.org", "Sans charte", 1)
	if strings.Contains(receivedRaw(t, got[0]), "Charte") {
		t.Error("the charter is still there after --footer \"\"")
	}
}

// An authenticated owner bans, moderates and unbans by mail to
// -request, and is answered in French; a member who tries is told only
// owners can.
func TestOwnerBansByMail(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	h.list("jardin@lists.test", "alice@example.org", "troll@example.org")
	h.mustSend("owner@example.net", []string{"jardin-request@lists.test"},
		"From: owner@example.net\r\nTo: jardin-request@lists.test\r\nSubject: commandes\r\nMessage-ID: <ban1@example.net>\r\n\r\n"+
			"bannir troll@example.org\r\nmodérer bob@example.org\r\nfin\r\n")
	answers := waitMessages(t, h.sink, "owner@example.net", "", 1)
	text := readAll(t, answers[0])
	for _, want := range []string{"troll@example.org est banni de jardin@lists.test", "les messages de bob@example.org"} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
			t.Errorf("answer without %q:\n%s", want, text)
		}
	}
	waitFor(t, func() bool { _, ok, _ := h.store.Banned("jardin@lists.test", "troll@example.org"); return ok })
	if ok, _ := h.store.IsModerated("jardin@lists.test", "bob@example.org"); !ok {
		t.Error("bob is not moderated")
	}
	if ok, _ := h.store.IsMember("jardin@lists.test", "troll@example.org"); ok {
		t.Error("the banned troll is still a member")
	}
	// A member cannot.
	h.mustSend("alice@example.org", []string{"jardin-request@lists.test"},
		"From: alice@example.org\r\nTo: jardin-request@lists.test\r\nSubject: ban owner@example.net\r\nMessage-ID: <ban2@example.org>\r\n\r\n")
	got := waitMessages(t, h.sink, "alice@example.org", "", 1)
	if text := readAll(t, got[0]); !strings.Contains(text, "Seuls les responsables") {
		t.Errorf("alice's answer:\n%s", text)
	}
	if _, ok, _ := h.store.Banned("jardin@lists.test", "owner@example.net"); ok {
		t.Error("a member banned the owner")
	}
	h.mustSend("owner@example.net", []string{"jardin-request@lists.test"},
		"From: owner@example.net\r\nTo: jardin-request@lists.test\r\nSubject: débannir troll@example.org\r\nMessage-ID: <ban3@example.net>\r\n\r\n")
	waitFor(t, func() bool { _, ok, _ := h.store.Banned("jardin@lists.test", "troll@example.org"); return !ok })
}
