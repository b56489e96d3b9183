package listserv

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"tacit/internal/pgtest"
	"tacit/internal/smtpsink"
	"tacit/storage"
)

// openPG opens a store on the database dsn, closed when the test ends:
// each call is one more process as far as PostgreSQL knows.
func openPG(t *testing.T, dsn string) *storage.Store {
	t.Helper()
	st, err := storage.Open("", storage.Options{Driver: storage.DriverPostgres, DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Two nodes, each with its own connections to one PostgreSQL database: a
// proposal posted to one, a reply to the other, both ticking the due
// proposal at once; then a post to 200 members that both deliver. The
// proposal is decided once, with one notice to each member, and every
// member gets one copy of the post.
func TestNodesOnPostgresDecideAndDeliverOnce(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	cons := ConsensusOptions{MinDeadline: 24 * time.Hour, Schedule: "@every 1h", Location: time.UTC}
	sink := smtpsink.Start(t, smtpsink.Options{Delay: time.Millisecond})
	sa, sb := openPG(t, dsn), openPG(t, dsn)
	if !sa.Shared() {
		t.Fatal("a PostgreSQL store says it is not shared")
	}
	members := []string{"alice@example.org", "bob@example.org", "carol@example.org"}
	for i := range 197 {
		members = append(members, fmt.Sprintf("m%03d@example.net", i))
	}
	if err := sa.CreateList(storage.List{Address: "jardin@lists.test", Name: "Jardin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sa.AddMembers("jardin@lists.test", c.Now(), members...); err != nil {
		t.Fatal(err)
	}
	a, b := runNode(t, sa, sink, c.Now, cons), runNode(t, sb, sink, c.Now, cons)

	sendVia(t, a, "alice@example.org", proposalPost("[PROPOSITION] Composteur", "Installer un composteur.\r\nÉchéance : 2 jours\r\n"))
	waitMessages(t, sink, "carol@example.org", "[PROPOSITION #1]", 1)
	sendVia(t, b, "carol@example.org", replyPost("carol@example.org", "c1@example.org", "prop1@example.org",
		"Re: [jardin] [PROPOSITION #1] Composteur", "+1\r\n"))
	waitMessages(t, sink, "carol@example.org", "soutien enregistré", 1)
	c.Add(49 * time.Hour)
	var wg sync.WaitGroup
	for _, srv := range []*Server{a, b, a, b} {
		wg.Go(func() {
			if _, err := srv.Tick(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	sendVia(t, b, "bob@example.org", post("bob@example.org", "semis", "Les semis sont prêts.\r\n"))
	waitFor(t, func() bool {
		ids, _ := sa.Inbox()
		n, _, _ := sa.QueueDepth()
		return len(ids) == 0 && n == 0 && len(messagesTo(sink, "m196@example.net", "[jardin] semis")) == 1
	})
	for _, m := range members {
		if n := len(messagesTo(sink, m, "[ADOPTÉE #1]")); n != 1 {
			t.Errorf("%s got %d adoption notices, want 1", m, n)
		}
		if n := len(messagesTo(sink, m, "[jardin] semis")); n != 1 {
			t.Errorf("%s got %d copies of the post, want 1", m, n)
		}
	}
}
