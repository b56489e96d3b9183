package listserv

import (
	"context"
	"log/slog"
	"net/netip"
	"net/smtp"
	"os"
	"sync"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/internal/smtpsink"
	"tacit/listserv/dkim"
	"tacit/listserv/outbound"
	"tacit/storage"
)

// secondNode runs another server on h's store, delivering into h's sink,
// until the test ends: two tacit nodes sharing one store, as on
// PostgreSQL (on bbolt, in one process: the store's locks are in-process).
func secondNode(t *testing.T, h *harness, now func() time.Time, cons ConsensusOptions) *Server {
	t.Helper()
	return runNode(t, h.store, h.sink, now, cons)
}

// runNode runs a server on store, delivering into sink, until the test
// ends (the caller closes the store after).
func runNode(t *testing.T, store *storage.Store, sink *smtpsink.Sink, now func() time.Time, cons ConsensusOptions) *Server {
	t.Helper()
	tr := outbound.NewRelay(outbound.RelayOptions{Addr: sink.Addr(), Hostname: "lists.test", MaxConns: 4})
	srv, err := New(Options{
		Store: store, Domain: "lists.test", Language: "fr",
		SMTP: SMTPOptions{Listen: "127.0.0.1:0", Hostname: "lists.test", MaxMessageBytes: 1 << 20,
			MaxRecipients: 10, MaxConnections: 50, IdleTimeout: 5 * time.Second, DataTimeout: 5 * time.Second},
		Delivery: DeliveryOptions{Transport: tr, Concurrency: 4, MaxQueueLifetime: time.Hour,
			RetryBase: 100 * time.Millisecond, RetryMax: 400 * time.Millisecond, Lease: time.Second},
		Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:             now,
		Consensus:       cons,
		Authenticity:    dkim.Checker{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, AuthservID: testRelayID},
		MaxPostsPerHour: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { // before h's cleanup, which closes the store
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node: %v", err)
		}
		tr.Close()
	})
	return srv
}

// sendVia submits msg to the server srv, as through the trusted relay.
func sendVia(t *testing.T, srv *Server, from, msg string) {
	t.Helper()
	msg = "Authentication-Results: " + testRelayID + "; dmarc=pass header.from=" + fromDomain(msg) + "\r\n" + msg
	if err := smtp.SendMail(srv.SMTPAddr(), nil, from, []string{"jardin@lists.test"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// Two nodes on one store: a proposal posted to one, a reply to the
// other, both ticking the due proposal at once, again and again: the
// proposal is adopted once and every member gets one notice.
func TestTwoNodesDecideEachProposalOnce(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	b := secondNode(t, h, c.Now, ConsensusOptions{MinDeadline: 24 * time.Hour, Schedule: "@every 1h",
		Location: time.UTC})
	sendVia(t, h.srv, "alice@example.org", proposalPost("[PROPOSITION] Composteur", "Installer un composteur.\r\nÉchéance : 2 jours\r\n"))
	waitMessages(t, h.sink, "carol@example.org", "[PROPOSITION #1]", 1)
	sendVia(t, b, "carol@example.org", replyPost("carol@example.org", "c1@example.org", "prop1@example.org",
		"Re: [jardin] [PROPOSITION #1] Composteur", "+1\r\n"))
	waitMessages(t, h.sink, "carol@example.org", "soutien enregistré", 1)

	c.Add(49 * time.Hour)
	var wg sync.WaitGroup
	for _, srv := range []*Server{h.srv, b, h.srv, b, h.srv, b} {
		wg.Go(func() {
			if _, err := srv.Tick(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	waitMessages(t, h.sink, "bob@example.org", "[ADOPTÉE #1]", 1)
	h.quiet()
	for _, m := range []string{"alice@example.org", "bob@example.org", "carol@example.org"} {
		if n := len(messagesTo(h.sink, m, "[ADOPTÉE #1]")); n != 1 {
			t.Errorf("%s got %d adoption notices, want 1", m, n)
		}
	}
	ev, _ := h.store.ProposalEvents(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	adopted := 0
	for _, e := range ev {
		if e.Kind == storage.EventStatus && e.Status == consensus.StatusAdopted {
			adopted++
		}
	}
	if adopted != 1 {
		t.Errorf("%d adoptions in the timeline, want 1: %+v", adopted, ev)
	}
}

// A message both nodes find in the inbox at once is processed by one:
// every member gets one copy.
func TestTwoNodesDisposeOfAMessageOnce(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org", "carol@example.org")
	b := secondNode(t, h, nil, ConsensusOptions{})
	for i := range 5 {
		raw := "Authentication-Results: " + testRelayID + "; dmarc=pass header.from=example.org\r\n" +
			post("alice@example.org", "semis "+string(rune('a'+i)), "Les semis sont prêts.\r\n")
		if _, err := h.store.Receive(storage.Envelope{From: "alice@example.org", To: []string{"jardin@lists.test"},
			RemoteAddr: "127.0.0.1:2525", ReceivedAt: time.Now().UTC()}, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	h.srv.wakeInbox()
	b.wakeInbox()
	h.quiet()
	for _, m := range []string{"alice@example.org", "bob@example.org", "carol@example.org"} {
		if n := len(messagesTo(h.sink, m, "[jardin] semis")); n != 5 {
			t.Errorf("%s got %d copies of 5 posts, want 5", m, n)
		}
	}
	if arch, _ := h.store.Archive("jardin@lists.test"); len(arch) != 5 {
		t.Errorf("%d archived, want 5", len(arch))
	}
}
