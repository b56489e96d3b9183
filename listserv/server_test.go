package listserv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"tacit/internal/smtpsink"
	"tacit/listserv/dkim"
	"tacit/listserv/outbound"
	"tacit/storage"
)

// harness is a real server on loopback, delivering into a real SMTP sink.
type harness struct {
	t     *testing.T
	store *storage.Store
	srv   *Server
	sink  *smtpsink.Sink
	// stop shuts the server down and closes its store (idempotent).
	stop func()
	// relayAuth: messages come through the trusted relay (send).
	relayAuth bool
}

type harnessOptions struct {
	sink      smtpsink.Options
	transport outbound.Transport // nil: relay into the sink
	maxBytes  int64
	perTx     int
	now       func() time.Time
	consensus ConsensusOptions
	// path and sharedSink let a test restart a server on the same store
	// and sink.
	path       string
	sharedSink *smtpsink.Sink
	verp       bool
	http       bool
	auth       dkim.Checker
	signer     *dkim.Signer
	imap       bool
	// logger, when set, receives the server's logs (else warnings go
	// to stderr).
	logger *slog.Logger
	// maxPosts is Options.MaxPostsPerHour; 0 means no cap, since most
	// tests post far more than any member would (trolls_test.go sets it).
	maxPosts int
}

func start(t *testing.T, ho harnessOptions) *harness {
	t.Helper()
	if ho.path == "" {
		ho.path = filepath.Join(t.TempDir(), "tacit.db")
	}
	store, err := storage.Open(ho.path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sink := ho.sharedSink
	if sink == nil {
		sink = smtpsink.Start(t, ho.sink)
	}
	h := &harness{t: t, store: store, sink: sink}
	if ho.auth.LookupTXT == nil && ho.auth.Trusted == nil {
		ho.auth = dkim.Checker{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, AuthservID: testRelayID}
		h.relayAuth = true
	}
	tr := ho.transport
	if tr == nil {
		tr = outbound.NewRelay(outbound.RelayOptions{Addr: h.sink.Addr(), Hostname: "lists.test", MaxConns: 4})
	}
	if ho.maxBytes == 0 {
		ho.maxBytes = 1 << 20
	}
	log := ho.logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	h.srv, err = New(Options{
		Store:    store,
		Domain:   "lists.test",
		Language: "fr",
		SMTP: SMTPOptions{Listen: "127.0.0.1:0", Hostname: "lists.test",
			MaxMessageBytes: ho.maxBytes, MaxRecipients: 10, MaxConnections: 50,
			IdleTimeout: 5 * time.Second, DataTimeout: 5 * time.Second},
		Delivery: DeliveryOptions{Transport: tr, Concurrency: 4,
			RecipientsPerTransaction: ho.perTx, MaxQueueLifetime: time.Hour,
			RetryBase: 100 * time.Millisecond, RetryMax: 400 * time.Millisecond},
		AdminSocket:     "",
		Logger:          log,
		Now:             ho.now,
		Consensus:       ho.consensus,
		VERP:            ho.verp,
		Authenticity:    ho.auth,
		DKIM:            ho.signer,
		HTTPListen:      map[bool]string{true: "127.0.0.1:0"}[ho.http],
		IMAPListen:      map[bool]string{true: "127.0.0.1:0"}[ho.imap],
		MaxPostsPerHour: map[bool]int{true: -1, false: ho.maxPosts}[ho.maxPosts == 0],
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.srv.Run(ctx) }()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
			tr.Close()
			store.Close()
		})
	}
	t.Cleanup(h.stop)
	return h
}

func (h *harness) list(addr string, members ...string) {
	h.t.Helper()
	if err := h.store.CreateList(storage.List{Address: addr, Name: "Jardin partagé", Owners: []string{"owner@example.net"}}); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.store.AddMembers(addr, time.Now(), members...); err != nil {
		h.t.Fatal(err)
	}
}

// testRelayID is the authserv-id of the trusted relay the harness plays
// by default: the tests' members are authenticated as a real MTA would
// say (docs/security.md), not by a check switched off.
const testRelayID = "relay.lists.test"

// send submits one message with Go's standard SMTP client. Unless the
// harness checks authentication its own way (harnessOptions.auth), the
// message comes as through the trusted relay, with the relay's
// Authentication-Results for its From domain; use sendForged for a
// message the relay would not vouch for.
func (h *harness) send(from string, to []string, msg string) error {
	if h.relayAuth && !strings.Contains(msg, "Authentication-Results:") && fromDomain(msg) != "invalid" {
		msg = "Authentication-Results: " + testRelayID + "; dmarc=pass header.from=" + fromDomain(msg) + "\r\n" + msg
	}
	return smtp.SendMail(h.srv.SMTPAddr(), nil, from, to, []byte(msg))
}

// sendForged submits a message the trusted relay found no authentication
// for: dmarc=fail.
func (h *harness) sendForged(from string, to []string, msg string) error {
	msg = "Authentication-Results: " + testRelayID + "; dmarc=fail header.from=" + fromDomain(msg) + "\r\n" + msg
	return smtp.SendMail(h.srv.SMTPAddr(), nil, from, to, []byte(msg))
}

// fromDomain returns the domain of a raw message's From address.
func fromDomain(msg string) string {
	hdr, _, _ := strings.Cut(msg, "\r\n\r\n")
	for _, line := range strings.Split(hdr, "\r\n") {
		if v, ok := strings.CutPrefix(line, "From:"); ok {
			if a, err := mail.ParseAddress(strings.TrimSpace(v)); err == nil {
				_, d, _ := strings.Cut(a.Address, "@")
				return d
			}
		}
	}
	return "invalid"
}

func (h *harness) mustSend(from string, to []string, msg string) {
	h.t.Helper()
	if err := h.send(from, to, msg); err != nil {
		h.t.Fatalf("send: %v", err)
	}
}

func post(from, subject, body string) string {
	return "From: " + from + "\r\nTo: jardin@lists.test\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@example.org>\r\n" +
		"Return-Receipt-To: " + from + "\r\n\r\n" + body
}

func TestMemberPostReachesEveryMemberUnchanged(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{perTx: 2})
	members := []string{"alice@example.org", "bob@example.org", "carol@example.org", "dan@other.test"}
	h.list("jardin@lists.test", members...)
	body := "Bonjour à tous,\r\nla réunion est jeudi.\r\n.leading dot\r\n"
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("Alice <alice@example.org>", "Réunion", body))
	h.sink.WaitCount(t, len(members), 10*time.Second)

	got := h.sink.Recipients()
	for _, m := range members {
		if got[m] != 1 {
			t.Errorf("%s got %d copies, want 1 (author included)", m, got[m])
		}
	}
	for _, m := range h.sink.Messages() {
		if m.From != "jardin-bounces@lists.test" {
			t.Errorf("envelope sender %q", m.From)
		}
		if len(m.To) > 2 {
			t.Errorf("%d recipients in one transaction, want at most 2", len(m.To))
		}
		hdr, b, _ := bytes.Cut(m.Data, []byte("\r\n\r\n"))
		if string(b) != body {
			t.Errorf("body changed:\n%q\nwant\n%q", b, body)
		}
		for _, want := range []string{
			"List-Id: \"Jardin partagé\"", "<jardin.lists.test>", "List-Post: <mailto:jardin@lists.test>",
			"Precedence: list", "X-Loop: jardin@lists.test", "Subject: [jardin] Réunion",
			"Message-ID: <Réunion@example.org>", "List-Unsubscribe: <mailto:jardin-request@lists.test",
		} {
			if !bytes.Contains(hdr, []byte(want)) && !bytes.Contains(hdr, []byte(strings.ReplaceAll(want, "\"Jardin partagé\"", ""))) {
				t.Errorf("header lacks %q:\n%s", want, hdr)
			}
		}
		if bytes.Contains(hdr, []byte("Return-Receipt-To")) {
			t.Errorf("Return-Receipt-To not removed:\n%s", hdr)
		}
	}
	arch, _ := h.store.Archive("jardin@lists.test")
	if len(arch) != 1 || arch[0].From != "alice@example.org" || arch[0].Subject != "Réunion" {
		t.Errorf("archive %+v", arch)
	}
}

func TestRecipientsOutsideOurListsAreRefused(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	h.list("jardin@lists.test", "alice@example.org")
	for _, rcpt := range []string{"nobody@lists.test", "jardin@elsewhere.test", "victim@example.com",
		"jardin-admin@lists.test", "jardin-request+x@lists.test"} {
		err := h.send("alice@example.org", []string{rcpt}, post("alice@example.org", "x", "x\r\n"))
		if code, msg := smtpReply(err); code != 550 || !strings.HasPrefix(msg, "5.1.1") {
			t.Errorf("RCPT %s: %v, want 550 5.1.1", rcpt, err)
		}
	}
	for _, rcpt := range []string{"jardin@lists.test", "JARDIN@Lists.Test", "jardin-request@lists.test",
		"jardin-owner@lists.test", "jardin-bounces@lists.test", "jardin-bounces+alice=example.org@lists.test"} {
		if err := h.send("alice@example.org", []string{rcpt}, post("alice@example.org", "x", "x\r\n")); err != nil {
			t.Errorf("RCPT %s refused: %v", rcpt, err)
		}
	}
}

func TestTooLargeIs552(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{maxBytes: 2000})
	h.list("jardin@lists.test", "alice@example.org")
	err := h.send("alice@example.org", []string{"jardin@lists.test"},
		post("alice@example.org", "big", strings.Repeat("x", 70)+"\r\n"+strings.Repeat(strings.Repeat("y", 70)+"\r\n", 40)))
	if err == nil || !strings.HasPrefix(err.Error(), "552") {
		t.Fatalf("oversized message: %v, want 552", err)
	}
	if ids, _ := h.store.Inbox(); len(ids) != 0 {
		t.Fatalf("oversized message stored: %v", ids)
	}
}

func TestNonMemberPostIsHeldNotSent(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	h.list("jardin@lists.test", "alice@example.org")
	h.mustSend("mallory@example.com", []string{"jardin@lists.test"}, post("mallory@example.com", "spam", "buy\r\n"))
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "real", "hello\r\n"))
	h.sink.WaitCount(t, 1, 10*time.Second)
	waitFor(t, func() bool { held, _ := h.store.HeldPosts("jardin@lists.test"); return len(held) == 1 })
	held, _ := h.store.HeldPosts("jardin@lists.test")
	if held[0].From != "mallory@example.com" || held[0].Reason != "not a member" || held[0].Subject != "spam" {
		t.Errorf("held %+v", held[0])
	}
	for _, m := range h.sink.Messages() {
		if bytes.Contains(m.Data, []byte("buy")) && !slices.Equal(m.To, []string{"owner@example.net"}) {
			t.Errorf("non-member post reached %v (only the owners get it, attached to their notice)", m.To)
		}
	}
}

func TestLoopsAutoRepliesAndBouncesAreNotRedistributed(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	bad := map[string]string{
		"x-loop":     "X-Loop: jardin@lists.test\r\n",
		"list-id":    "List-Id: \"Jardin\" <jardin.lists.test>\r\n",
		"autoreply":  "Auto-Submitted: auto-replied\r\n",
		"precedence": "Precedence: bulk\r\n",
		"x-autorep":  "X-Autoreply: yes\r\n",
	}
	for name, extra := range bad {
		h.mustSend("alice@example.org", []string{"jardin@lists.test"}, extra+post("alice@example.org", name, "loop "+name+"\r\n"))
	}
	// A bounce: the null envelope sender.
	c, err := gosmtp.Dial(h.srv.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("", []string{"jardin@lists.test"}, strings.NewReader(post("mailer-daemon@example.org", "bounce", "loop bounce\r\n"))); err != nil {
		t.Fatal(err)
	}
	c.Close()
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, "Auto-Submitted: no\r\n"+post("alice@example.org", "fine", "ok\r\n"))
	h.sink.WaitCount(t, 2, 10*time.Second)
	waitFor(t, func() bool { ids, _ := h.store.Inbox(); return len(ids) == 0 })
	for _, m := range h.sink.Messages() {
		if bytes.Contains(m.Data, []byte("loop ")) {
			t.Errorf("redistributed: %s", m.Data)
		}
	}
	if n := h.sink.Count(); n != 2 {
		t.Errorf("%d deliveries, want 2", n)
	}
}

func TestOwnerAddressForwardsToOwners(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	h.list("jardin@lists.test", "alice@example.org")
	msg := "From: visitor@example.com\r\nSubject: question\r\n\r\nwho runs this list?\r\n"
	h.mustSend("visitor@example.com", []string{"jardin-owner@lists.test"}, msg)
	h.sink.WaitCount(t, 1, 10*time.Second)
	m := h.sink.Messages()[0]
	if len(m.To) != 1 || m.To[0] != "owner@example.net" {
		t.Fatalf("forwarded to %v", m.To)
	}
	if !bytes.HasSuffix(m.Data, []byte(msg)) || !bytes.HasPrefix(m.Data, []byte("X-Loop: jardin-owner@lists.test\r\n")) {
		t.Fatalf("forwarded message:\n%s", m.Data)
	}
}

func TestTemporaryFailureIsRetriedPermanentIsRecorded(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	tries := map[string]int{}
	h := start(t, harnessOptions{sink: smtpsink.Options{RcptReply: func(rcpt string) *gosmtp.SMTPError {
		mu.Lock()
		defer mu.Unlock()
		tries[rcpt]++
		switch {
		case rcpt == "bob@example.org" && tries[rcpt] < 3:
			return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try later"}
		case rcpt == "carol@example.org":
			return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}}})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org", "carol@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "retry", "x\r\n"))
	waitFor(t, func() bool { return h.sink.Recipients()["bob@example.org"] == 1 })
	if got := h.sink.Recipients(); got["alice@example.org"] != 1 || got["carol@example.org"] != 0 {
		t.Errorf("deliveries %v", got)
	}
	fails, _ := h.store.Failures()
	if len(fails) != 1 || fails[0].Recipient != "carol@example.org" || !strings.Contains(fails[0].Error, "550") {
		t.Errorf("failures %+v", fails)
	}
	mu.Lock()
	if tries["carol@example.org"] != 1 {
		t.Errorf("carol tried %d times after a 550, want 1", tries["carol@example.org"])
	}
	mu.Unlock()
	waitFor(t, func() bool { st, _ := h.store.QueueStats(); return st.Entries == 0 })
}

func TestManyClientsAtOnce(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	const clients, each = 20, 5
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				if err := h.send("alice@example.org", []string{"jardin@lists.test"},
					post("alice@example.org", fmt.Sprintf("c%d-m%d", c, i), "x\r\n")); err != nil {
					t.Errorf("client %d: %v", c, err)
				}
			}
		})
	}
	wg.Wait()
	h.sink.WaitCount(t, clients*each*2, 30*time.Second)
	if got := h.sink.Recipients(); got["alice@example.org"] != clients*each || got["bob@example.org"] != clients*each {
		t.Fatalf("deliveries %v", got)
	}
}

func TestMaildirDelivery(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := start(t, harnessOptions{transport: outbound.NewMaildir(dir)})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "maildir", "dans la boîte\r\n"))
	for _, m := range []string{"alice@example.org", "bob@example.org"} {
		var files []string
		waitFor(t, func() bool { files, _ = filepath.Glob(filepath.Join(dir, m, "new", "*")); return len(files) == 1 })
		data, _ := os.ReadFile(files[0])
		if !bytes.Contains(data, []byte("Subject: [jardin] maildir")) || !bytes.HasSuffix(data, []byte("\r\n\r\ndans la boîte\r\n")) {
			t.Errorf("%s got:\n%s", m, data)
		}
	}
}

// quiet waits until the server has nothing left to do: every received
// message processed and every queued copy delivered, so that a check of
// "nothing more arrived" reads a final state.
func (h *harness) quiet() {
	h.t.Helper()
	waitFor(h.t, func() bool {
		ids, _ := h.store.Inbox()
		st, _ := h.store.QueueStats()
		return len(ids) == 0 && st.Entries == 0
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// smtpReply returns the code and text of an SMTP error from net/smtp.
func smtpReply(err error) (int, string) {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code, te.Msg
	}
	return 0, fmt.Sprint(err)
}
