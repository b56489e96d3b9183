package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/internal/pgtest"
	"tacit/storage"
)

// A bbolt store moves to PostgreSQL and back with tacit migrate: every
// bucket compares the same, a store that holds data is never written
// over, and tacit configured on the database reads what was moved.
func TestMigrateBoltToPostgresAndBack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	boltPath := filepath.Join(dir, "tacit.db")
	fillStore(t, boltPath)
	dsn := pgtest.DSN(t)

	out, errOut, code := runTacit(t, dir, "migrate", "--from", "bbolt:"+boltPath, "--to", "postgres:"+dsn)
	if code != 0 {
		t.Fatalf("migrate to PostgreSQL: exit %d, %s", code, errOut)
	}
	for _, bucket := range []string{"lists", "members", "proposals", "archive", "queue"} {
		if !regexp.MustCompile(`(?m)^ *` + bucket + ` +[1-9][0-9]* +[1-9][0-9]* +same *$`).MatchString(out) {
			t.Errorf("no line saying %s was copied whole:\n%s", bucket, out)
		}
	}
	if !strings.Contains(out, "buckets are the same in both stores") || strings.Contains(out, "DIFFERENT") {
		t.Errorf("comparison:\n%s", out)
	}

	// Never over a store (said in French, without a locale).
	if _, errOut, code := runTacit(t, dir, "migrate", "--from", "bbolt:"+boltPath, "--to", "postgres:"+dsn); code == 0 ||
		!strings.Contains(errOut, "contient déjà un stockage : rien n'a été copié") {
		t.Errorf("second migrate into the same database: exit %d, %q", code, errOut)
	}

	// tacit on the database sees the list and its members.
	cfg := filepath.Join(dir, "pg.toml")
	toml := fmt.Sprintf("data_dir = %q\n[storage]\ndriver = \"postgres\"\ndsn = %q\n", filepath.Join(dir, "pgdata"), dsn)
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runTacit(t, dir, "--config", cfg, "member", "ls", "jardin@lists.test"); code != 0 ||
		!strings.Contains(out, "alice@example.org") || !strings.Contains(out, "bob@example.org") {
		t.Errorf("member ls on PostgreSQL: exit %d, %q, %q", code, out, errOut)
	}
	// A change there, then back to a new bbolt file.
	if _, errOut, code := runTacit(t, dir, "--config", cfg, "member", "add", "jardin@lists.test", "carol@example.org"); code != 0 {
		t.Fatalf("member add on PostgreSQL: exit %d, %s", code, errOut)
	}
	back := filepath.Join(dir, "back.db")
	out, errOut, code = runTacit(t, dir, "migrate", "--from", "postgres:"+dsn, "--to", "bbolt:"+back)
	if code != 0 || strings.Contains(out, "DIFFERENT") {
		t.Fatalf("migrate back to bbolt: exit %d, %s\n%s", code, errOut, out)
	}
	// A bbolt destination that exists and holds a store is refused too.
	if _, errOut, code := runTacitEnv(t, dir, []string{englishEnv}, "migrate", "--from", "bbolt:"+boltPath, "--to", "bbolt:"+back); code == 0 ||
		!strings.Contains(errOut, "already holds a store") {
		t.Errorf("migrate onto a bbolt store: exit %d, %q", code, errOut)
	}
	t.Logf("tacit migrate back to bbolt:\n%s", out)
	s, err := storage.Open(back, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	members, err := s.Members("jardin@lists.test")
	if err != nil || len(members) != 3 {
		t.Errorf("members after the round trip: %d, %v; want alice, bob and carol", len(members), err)
	}
	if raw, _, err := s.Message(1); err != nil || !strings.Contains(string(raw), "Subject: compost") {
		t.Errorf("message 1 after the round trip: %q, %v", raw, err)
	}
	if a, err := s.ArchiveEntries("jardin@lists.test", 0, 10); err != nil || len(a) != 1 {
		t.Errorf("archive after the round trip: %d entries, %v", len(a), err)
	}
	if p, err := s.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1}); err != nil || p.Title != "compost" {
		t.Errorf("proposal 1 after the round trip: %+v, %v", p, err)
	}
}

// fillStore makes a bbolt store with a list, members, a post archived
// and queued (with a big message), and a proposal.
func fillStore(t *testing.T, path string) {
	t.Helper()
	s, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	const list = "jardin@lists.test"
	if err := s.CreateList(storage.List{Address: list, Name: "Jardin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMembers(list, t0, "alice@example.org", "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	for i, body := range []string{"hi", strings.Repeat("big ", 50_000)} {
		raw := []byte("From: alice@example.org\r\nSubject: compost\r\n\r\n" + body + "\r\n")
		id, err := s.Receive(storage.Envelope{From: "alice@example.org", To: []string{list}, ReceivedAt: t0}, raw)
		if err != nil {
			t.Fatal(err)
		}
		d := storage.Disposition{Queue: []storage.QueueEntry{{List: list, MessageID: id, Domain: "example.org",
			Recipients: []string{"bob@example.org"}, From: "jardin-bounces@lists.test", NextAttempt: t0}}}
		if i == 0 {
			d.Archive = []storage.ArchiveEntry{{List: list, MessageID: id, At: t0, Subject: "compost"}}
		}
		if err := s.Dispose(id, d); err != nil {
			t.Fatal(err)
		}
	}
	p := consensus.NewProposal(consensus.Draft{List: list, Number: 1, Author: "alice@example.org", Title: "compost",
		Received: t0, Requested: t0.Add(72 * time.Hour), Min: time.Hour})
	if err := s.Decide([]storage.ProposalUpdate{{Proposal: p}}, nil); err != nil {
		t.Fatal(err)
	}
}
