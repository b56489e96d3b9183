package listserv

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tacit/listserv/admin"
	"tacit/listserv/outbound"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// spam sends the i-th held post of a test: a stranger's.
func spam(h *harness, i int) {
	h.t.Helper()
	from := fmt.Sprintf("spam%02d@spam.test", i)
	h.mustSend(from, []string{"jardin@lists.test"}, "From: "+from+"\r\nTo: jardin@lists.test\r\n"+
		fmt.Sprintf("Subject: Gagnez %d euros\r\nMessage-ID: <spam%02d@spam.test>\r\n\r\nCliquez.\r\n", i, i))
	// Its author is told it waits: the post went through the post path.
	waitMessages(h.t, h.sink, from, "attend une modération", 1)
}

// heldIDs returns the ids of the posts jardin holds, as `tacit held ls
// --json` lists them.
func heldIDs(t *testing.T, h *harness) []uint64 {
	t.Helper()
	var out strings.Builder
	if err := h.srv.admin.Execute(context.Background(), []string{"held", "ls", "jardin", "--json"}, &out); err != nil {
		t.Fatal(err)
	}
	var held []storage.Held
	if err := json.Unmarshal([]byte(out.String()), &held); err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, len(held))
	for i, p := range held {
		ids[i] = p.ID
	}
	return ids
}

// 25 spam posts in an hour send the owners 10 notices, not 25; every post
// is held and listed; the cap holds across a restart; the first post
// held in the next hour brings one summary of the posts that went
// without a notice and still wait, and each stays approvable.
func TestHeldNoticesAreCappedPerHour(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tacit.db")
	c := &clock{t: time.Date(2026, 11, 30, 9, 5, 0, 0, time.UTC)}
	h := start(t, harnessOptions{now: c.Now, path: path})
	h.list("jardin@lists.test", "alice@example.org")
	const owner = "owner@example.net"
	for i := 1; i <= 25; i++ {
		spam(h, i)
		c.Add(time.Minute)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(messagesTo(h.sink, owner, "À modérer")); n != heldNoticesPerHour {
		t.Fatalf("25 held posts in an hour sent the owners %d notices, want %d", n, heldNoticesPerHour)
	}
	if ids := heldIDs(t, h); len(ids) != 25 {
		t.Fatalf("held ls lists %d posts, want 25", len(ids))
	}

	// A restart within the hour: the count comes from the store.
	h.stop()
	h = start(t, harnessOptions{now: c.Now, path: path, sharedSink: h.sink})
	spam(h, 26) // 09:30
	ids := heldIDs(t, h)
	if len(ids) != 26 {
		t.Fatalf("held ls lists %d posts, want 26", len(ids))
	}
	// One post without a notice is decided before the summary.
	var out strings.Builder
	if err := h.srv.admin.Execute(context.Background(), []string{"held", "reject", strconv.FormatUint(ids[25], 10)}, &out); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, h.sink, "spam26@spam.test", "a été refusé", 1)
	time.Sleep(200 * time.Millisecond)
	if n := len(messagesTo(h.sink, owner, "")); n != heldNoticesPerHour {
		t.Fatalf("after a restart the owners got %d messages in the hour, want still %d", n, heldNoticesPerHour)
	}

	// The next hour: the first held post has its notice, and brings the
	// summary of the 15 posts of 09:00 that had none and still wait.
	c.Add(time.Hour)
	spam(h, 27)
	summary := waitMessages(t, h.sink, owner, "autres messages attendent votre décision", 1)
	waitMessages(t, h.sink, owner, "À modérer : Gagnez 27 euros", 1)
	if got := rewrite.DecodeHeader(summary[0].Header.Get("Subject")); !strings.Contains(got, "[jardin] 15 autres messages") {
		t.Errorf("summary Subject %q, want 15 messages", got)
	}
	body := readAll(t, summary[0])
	for _, want := range []string{"26 messages", "tacit held ls", "« accepter JETON »", "spam11@spam.test", "Gagnez 25 euros"} {
		if !strings.Contains(body, want) {
			t.Errorf("summary lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "spam10@spam.test") || strings.Contains(body, "spam26@spam.test") {
		t.Errorf("summary names a post that had its notice or is decided:\n%s", body)
	}
	spam(h, 28)
	time.Sleep(300 * time.Millisecond)
	if n := len(messagesTo(h.sink, owner, "autres messages")); n != 1 {
		t.Errorf("%d summaries, want 1", n)
	}
	if n := len(messagesTo(h.sink, owner, "À modérer")); n != heldNoticesPerHour+2 {
		t.Errorf("%d notices after the hour, want %d", n, heldNoticesPerHour+2)
	}

	// A post without a notice is approved by a reply to the summary that
	// names its token.
	m := regexp.MustCompile(`(?m)^\s*\d+\s+spam12@spam\.test\s+«[^»]*»\s+(\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("summary does not list spam12's post with its token:\n%s", body)
	}
	h.mustSend(owner, []string{"jardin-request@lists.test"},
		requestMail(owner, "jardin-request@lists.test", "Re: "+summary[0].Header.Get("Subject"), "accepter "+m[1]+"\r\n"))
	waitMessages(t, h.sink, "alice@example.org", "Gagnez 12 euros", 1)
	if ids := heldIDs(t, h); len(ids) != 26 {
		t.Errorf("held ls lists %d posts after one rejection and one approval of 28, want 26", len(ids))
	}
}

// Proposals held for their author's confirmation are no business of the
// owners: they neither use up the owners' notices nor appear in a
// summary.
func TestHeldForConfirmationDoNotCountForTheCap(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 30, 9, 5, 0, 0, time.UTC)}
	h := start(t, harnessOptions{now: c.Now})
	h.list("jardin@lists.test", "alice@example.org")
	for i := range 2 * heldNoticesPerHour {
		id, err := h.store.Receive(storage.Envelope{From: "alice@example.org"}, []byte("Subject: p\r\n\r\nx"))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.store.Dispose(id, storage.Disposition{Held: []storage.Held{{List: "jardin@lists.test", MessageID: id,
			From: "alice@example.org", Reason: ReasonUnconfirmed, At: c.Now().Add(time.Duration(i) * time.Second)}}}); err != nil {
			t.Fatal(err)
		}
	}
	c.Add(time.Minute)
	spam(h, 1) // the same hour
	waitMessages(t, h.sink, "owner@example.net", "À modérer : Gagnez 1 euros", 1)
	c.Add(time.Hour)
	spam(h, 2)
	waitMessages(t, h.sink, "owner@example.net", "À modérer : Gagnez 2 euros", 1)
	time.Sleep(200 * time.Millisecond)
	if n := len(messagesTo(h.sink, "owner@example.net", "")); n != 2 {
		t.Errorf("the owners got %d messages, want the two notices (no summary of proposals awaiting confirmation)", n)
	}
}

// The admin socket, by which `tacit held approve` reaches a running
// server, is mode 0600 after start even under a umask of 0. Not
// parallel: the umask belongs to the process.
func TestAdminSocketIsPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir, err := os.MkdirTemp("", "tacit") // short: a socket path has ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	store, err := storage.Open(filepath.Join(dir, "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sock := filepath.Join(dir, "tacit.sock")
	srv, err := New(Options{Store: store, Domain: "lists.test",
		SMTP:        SMTPOptions{Listen: "127.0.0.1:0", Hostname: "lists.test"},
		Delivery:    DeliveryOptions{Transport: outbound.NewMaildir(filepath.Join(dir, "maildir"))},
		AdminSocket: sock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket after start: %v, %v; want a socket of mode 0600", fi.Mode(), err)
	}
	var out strings.Builder
	if err := admin.Call(ctx, sock, []string{"list", "ls"}, &out); err != nil || !strings.Contains(out.String(), "ADRESSE") {
		t.Errorf("list ls through the socket: %q, %v", out.String(), err)
	}
}
