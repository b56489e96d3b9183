package main

// Two `tacit serve` processes on one PostgreSQL database, as two machines
// of a hosting association would run them (docs/scaling.md): any of them
// takes mail, each proposal is decided and notified once, a node killed
// mid fan-out leaves its deliveries to the other, and a PostgreSQL
// restart loses nothing that was acknowledged.

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"tacit/internal/pgtest"
	"tacit/internal/smtpsink"
	"tacit/storage"
)

// clusterNode is one tacit of a cluster: its own data directory (admin
// socket, logs), the shared database and the shared relay.
func clusterNode(t *testing.T, dsn, relay, extra string) *instance {
	t.Helper()
	in := &instance{t: t, dir: t.TempDir(), mode: "relay", relay: relay}
	in.cfgPath = in.dir + "/tacit.toml"
	// [delivery] is the last table writeConfig writes: its keys first.
	in.extra = "lease = \"2s\"\n" + extra + fmt.Sprintf("\n[storage]\ndriver = \"postgres\"\ndsn = %q\n", dsn)
	in.writeConfig(freePort(t))
	return in
}

// clusterList creates the list jardin@lists.test with members, through
// node in's command line (no server runs yet: it opens the database).
func clusterList(t *testing.T, in *instance, members []string) {
	t.Helper()
	in.mustCLI("list", "create", "jardin@lists.test", "--lang", "fr")
	for i := 0; i < len(members); i += 100 {
		in.mustCLI(append([]string{"member", "add", "jardin@lists.test"}, members[i:min(len(members), i+100)]...)...)
	}
}

// received counts, per recipient, the copies of the sink's messages whose
// Subject contains sub.
func received(s *smtpsink.Sink, sub string) map[string]int {
	out := map[string]int{}
	for _, m := range s.Messages() {
		if !strings.Contains(decodedHeader(m.Data, "Subject"), sub) {
			continue
		}
		for _, r := range m.To {
			out[strings.ToLower(r)]++
		}
	}
	return out
}

// copyOf returns the copy the sink received for rcpt whose Subject
// contains sub.
func copyOf(t *testing.T, s *smtpsink.Sink, rcpt, sub string) []byte {
	t.Helper()
	for _, m := range s.Messages() {
		if strings.Contains(decodedHeader(m.Data, "Subject"), sub) && slices.Contains(m.To, rcpt) {
			return m.Data
		}
	}
	t.Fatalf("%s got no copy of %q", rcpt, sub)
	return nil
}

// plainReply is what a mail client sends when from presses Reply on raw
// and writes body: to Reply-To, else From, in the thread, "Re: " and the
// Subject. It returns the address the reply goes to and the reply.
func plainReply(t *testing.T, raw []byte, from, body string) (string, []byte) {
	t.Helper()
	orig, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	to, err := replyAddress(orig)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(orig.Header.Get("Message-Id"))
	refs := strings.TrimSpace(strings.TrimSpace(orig.Header.Get("References")) + " " + id)
	msg := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\n"+
		"In-Reply-To: %s\r\nReferences: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s",
		from, to[0].Address, mime.QEncoding.Encode("utf-8", "Re: "+decodedHeader(raw, "Subject")), randomHex(8), id, refs, body)
	return to[0].Address, []byte(msg)
}

// (a) A proposal posted to node A, a supporting reply to node B, both
// nodes ticking every second when it falls due: it is adopted once, and
// every member gets one adoption notice.
func TestClusterDecidesEachProposalOnce(t *testing.T) {
	t.Parallel()
	pg := pgtest.StartPrivate(t)
	sink := startSink(t, nil)
	consensus := "\n[consensus]\ndefault_deadline = \"3s\"\nmin_deadline = \"1s\"\nremind_before = \"0s\"\nschedule = \"@every 1s\"\n"
	a := clusterNode(t, pg.DSN(), sink.Addr(), consensus)
	b := clusterNode(t, pg.DSN(), sink.Addr(), consensus)
	for _, n := range []*instance{a, b} { // /metrics counts each node's ticks
		n.http = true
		n.writeConfig(freePort(t))
	}
	b.imapAddr = freePort(t) // B's archive shows what A archived
	b.writeConfig(freePort(t))
	members := []string{"alice@example.org", "bob@example.org", "carol@example.org", "dan@example.org"}
	clusterList(t, a, members)
	a.start()
	b.start()

	if err := sendMail(a.smtpAddr, "alice@example.org", []string{"jardin@lists.test"},
		message("alice@example.org", "jardin@lists.test", "[PROPOSITION] Composteur", "<prop@example.org>",
			"Installer un composteur.\r\n"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { return received(sink, "[PROPOSITION #1]")["dan@example.org"] == 1 }) {
		t.Fatal("the proposal was not distributed")
	}
	// Over IMAP on node B, Carol's archive holds the proposal node A took.
	pass := strings.TrimSpace(b.mustCLI("member", "passwd", "jardin@lists.test", "carol@example.org"))
	cl, err := imapclient.DialInsecure(b.imapAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Login("carol@example.org", pass).Wait(); err != nil {
		t.Fatalf("IMAP login on node B: %v", err)
	}
	var subjects []string
	if !waitFor(10*time.Second, func() bool {
		subjects = nil
		sd, err := cl.Select("jardin", &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil || sd.NumMessages == 0 {
			return false
		}
		var set imap.SeqSet
		set.AddRange(1, sd.NumMessages)
		msgs, err := cl.Fetch(set, &imap.FetchOptions{Envelope: true}).Collect()
		if err != nil {
			return false
		}
		for _, m := range msgs {
			subjects = append(subjects, m.Envelope.Subject)
		}
		return slices.ContainsFunc(subjects, func(s string) bool { return strings.Contains(s, "Composteur") })
	}) {
		t.Errorf("node B's IMAP archive holds %q, not the proposal node A took", subjects)
	}
	_ = cl.Logout().Wait()

	// Carol presses Reply on her copy, and her mail reaches node B.
	to, reply := plainReply(t, copyOf(t, sink, "carol@example.org", "[PROPOSITION #1]"), "carol@example.org", "+1\r\n")
	if err := sendMail(b.smtpAddr, "carol@example.org", []string{to}, reply, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	adopted := func() bool {
		got := received(sink, "[ADOPTÉE #1]")
		for _, m := range members {
			if got[m] == 0 {
				return false
			}
		}
		return true
	}
	if !waitFor(20*time.Second, adopted) {
		t.Fatalf("no adoption notice to every member: %v", received(sink, "[ADOPTÉE #1]"))
	}
	// Both nodes go on ticking: nothing more may come within three more
	// ticks of each.
	ticks := func(n *instance) int {
		v, _ := strconv.Atoi(metricAt(t, n.httpAddr, "tacit_engine_tick_duration_seconds_count"))
		return v
	}
	ta, tb := ticks(a), ticks(b)
	if !waitFor(15*time.Second, func() bool { return ticks(a) >= ta+3 && ticks(b) >= tb+3 }) {
		t.Fatalf("the nodes stopped ticking: %d and %d ticks after %d and %d", ticks(a), ticks(b), ta, tb)
	}
	for _, m := range members {
		if n := received(sink, "[ADOPTÉE #1]")[m]; n != 1 {
			t.Errorf("%s got %d adoption notices, want 1", m, n)
		}
	}
	if n := received(sink, "soutien enregistré")["carol@example.org"]; n != 1 {
		t.Errorf("carol got %d acknowledgments of her support, want 1", n)
	}
}

// (b) Node A is killed (SIGKILL) while it hands a post for 300 members to
// a slow relay: node B delivers every member, and only the transactions
// A had in flight can reach a member twice.
func TestClusterNodeKilledMidFanOut(t *testing.T) {
	t.Parallel()
	pg := pgtest.StartPrivate(t)
	sink := smtpsink.Start(t, smtpsink.Options{RcptDelay: func() time.Duration { return 3 * time.Millisecond }})
	const perTx, conc = 10, 2
	delivery := fmt.Sprintf("verp = false\nrecipients_per_transaction = %d\nconcurrency = %d\n", perTx, conc)
	a := clusterNode(t, pg.DSN(), sink.Addr(), delivery)
	b := clusterNode(t, pg.DSN(), sink.Addr(), delivery)
	var members []string
	for i := range 300 {
		members = append(members, fmt.Sprintf("m%03d@example.net", i))
	}
	clusterList(t, a, members)
	pa := a.start()
	b.start()
	if err := sendMail(a.smtpAddr, "m000@example.net", []string{"jardin@lists.test"},
		message("m000@example.net", "jardin@lists.test", "Semis", "<semis@example.net>", "Les semis sont prêts.\r\n"),
		10*time.Second); err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { return len(received(sink, "Semis")) >= 30 }) {
		t.Fatal("the fan-out did not start")
	}
	pa.kill()
	killedAt := len(received(sink, "Semis"))
	if killedAt == len(members) {
		t.Fatal("node A delivered everything before it was killed: the relay is not slow enough for this test")
	}
	if !waitFor(20*time.Second, func() bool { return len(received(sink, "Semis")) == len(members) }) {
		t.Fatalf("%d of %d members reached after node A was killed", len(received(sink, "Semis")), len(members))
	}
	// Whatever A had claimed is B's once its lease ran out: when the
	// shared queue is empty, nothing more can come.
	st, err := storage.Open("", storage.Options{Driver: "postgres", DSN: pg.DSN()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !waitFor(20*time.Second, func() bool { n, _, err := st.QueueDepth(); return err == nil && n == 0 }) {
		t.Fatal("the shared queue is not empty 20 s after every member was reached")
	}
	twice := 0
	for _, m := range members {
		switch n := received(sink, "Semis")[m]; {
		case n == 2:
			twice++
		case n != 1:
			t.Errorf("%s got %d copies", m, n)
		}
	}
	// A had at most conc transactions of perTx recipients in flight.
	if twice > conc*perTx {
		t.Errorf("%d members got the post twice, more than the %d of the transactions node A had in flight", twice, conc*perTx)
	}
	t.Logf("killed at %d of %d; %d duplicates", killedAt, len(members), twice)
}

// (c) PostgreSQL restarted while posts are sent to both nodes: every
// post is answered 250 or a temporary 4xx, every post answered 250 is
// distributed, and the nodes take mail again after the restart.
func TestClusterSurvivesAPostgreSQLRestart(t *testing.T) {
	t.Parallel()
	pg := pgtest.StartPrivate(t)
	sink := startSink(t, nil)
	a := clusterNode(t, pg.DSN(), sink.Addr(), "verp = false\n")
	b := clusterNode(t, pg.DSN(), sink.Addr(), "verp = false\n")
	clusterList(t, a, []string{"alice@example.org", "bob@example.org"})
	a.start()
	b.start()

	var mu sync.Mutex
	accepted := map[string]bool{}
	refused := map[int]int{}
	send := func(i int) {
		node := []*instance{a, b}[i%2]
		id := fmt.Sprintf("<p%d@example.org>", i)
		err := sendMail(node.smtpAddr, "alice@example.org", []string{"jardin@lists.test"},
			message("alice@example.org", "jardin@lists.test", fmt.Sprintf("Post %d", i), id, "Bonjour.\r\n"), 10*time.Second)
		mu.Lock()
		defer mu.Unlock()
		var te *textproto.Error
		switch {
		case err == nil:
			accepted[id] = true
		case errors.As(err, &te):
			refused[te.Code]++
		default:
			refused[0]++ // the connection itself failed
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 2 {
		wg.Go(func() {
			for i := c; ; i += 2 {
				select {
				case <-stop:
					return
				default:
				}
				send(i)
			}
		})
	}
	if !waitFor(10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(accepted) >= 10 }) {
		t.Fatal("no post accepted before the restart")
	}
	pg.Restart(t)
	mu.Lock()
	before := len(accepted)
	mu.Unlock()
	if !waitFor(20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(accepted) >= before+10 }) {
		t.Errorf("no post accepted after the restart (refusals %v)", refused)
	}
	close(stop)
	wg.Wait()
	for code, n := range refused {
		if code >= 500 {
			t.Errorf("%d posts refused with a permanent %d", n, code)
		}
	}
	distributed := func() []string {
		got := copies(sink)
		var missing []string
		for id := range accepted {
			if got[strings.Trim(id, "<>")]["bob@example.org"] == 0 && got[id]["bob@example.org"] == 0 {
				missing = append(missing, id)
			}
		}
		return missing
	}
	if !waitFor(30*time.Second, func() bool { return len(distributed()) == 0 }) {
		t.Errorf("%d posts answered 250 were never distributed: %v", len(distributed()), distributed())
	}
	t.Logf("%d posts accepted, refusals by code %v", len(accepted), refused)
}

// decodedHeader returns a header field of a raw message with its RFC 2047
// words decoded.
func decodedHeader(raw []byte, name string) string {
	v := headerOf(raw, name)
	if d, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
		return d
	}
	return v
}
