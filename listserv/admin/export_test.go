package admin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/storage"
)

// post archives raw as a post of list.
func post(t *testing.T, s *storage.Store, list, from, raw string, at time.Time) {
	t.Helper()
	id, err := s.Receive(storage.Envelope{From: from, To: []string{list}, ReceivedAt: at}, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Dispose(id, storage.Disposition{Archive: []storage.ArchiveEntry{{List: list, MessageID: id, From: from, At: at}}}); err != nil {
		t.Fatal(err)
	}
}

func TestListExportAndRm(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"fr", "en"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			s, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			a := New(Options{Store: s, Domain: "lists.test", Language: lang})
			mustRun(t, a, "list create jardin --owner o@example.org")
			mustRun(t, a, "member add jardin alice@example.org bob@example.org")
			t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			post(t, s, "jardin@lists.test", "alice@example.org",
				"From: alice@example.org\r\nSubject: one\r\n\r\nFrom the garden\r\n>From here\r\nbye\r\n", t0)
			p := consensus.NewProposal(consensus.Draft{List: "jardin@lists.test", Number: 1, Author: "alice@example.org",
				Title: "Buy seeds", Received: t0, Requested: t0.Add(72 * time.Hour), Min: time.Hour})
			if err := s.Decide([]storage.ProposalUpdate{{Proposal: p, Events: []storage.ProposalEvent{
				{Kind: "object", From: "bob@example.org", At: t0, Reason: "too dear"}}}}, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := a.o.Store.UpdateMember("jardin@lists.test", "alice@example.org", func(m *storage.Member) error {
				m.PasswordHash = "$2a$secret"
				return nil
			}); err != nil {
				t.Fatal(err)
			}

			// Not exported: refused, saying what to run, in the server's language.
			_, err = run(t, a, "list rm jardin")
			want := map[string]string{"fr": "lancez d'abord tacit list export jardin@lists.test", "en": "run tacit list export jardin@lists.test first"}[lang]
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--force") {
				t.Fatalf("list rm before export: %v, want %q", err, want)
			}

			dir := t.TempDir()
			if _, err := run(t, a, "list export jardin --output relative"); err == nil || !strings.Contains(err.Error(), "absolute") {
				t.Errorf("a relative --output: %v", err)
			}
			out := mustRun(t, a, "list export jardin --output "+dir)
			if !strings.Contains(out, "1 message,") {
				t.Errorf("list export said %q", out)
			}
			mbox, err := os.ReadFile(filepath.Join(dir, "jardin@lists.test.mbox"))
			if err != nil {
				t.Fatal(err)
			}
			wantMbox := "From alice@example.org Tue Dec  1 10:00:00 2026\nFrom: alice@example.org\nSubject: one\n\n" +
				">From the garden\n>>From here\nbye\n\n"
			if string(mbox) != wantMbox {
				t.Errorf("mbox:\n%q\nwant\n%q", mbox, wantMbox)
			}
			var doc struct {
				Format    string
				List      storage.List
				Members   []storage.Member
				Proposals []struct {
					Title  string
					Events []storage.ProposalEvent
				}
				Archive struct {
					File     string
					Messages int
				}
			}
			raw, err := os.ReadFile(filepath.Join(dir, "jardin@lists.test.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Format != ExportFormat || doc.List.Address != "jardin@lists.test" || len(doc.Members) != 2 ||
				len(doc.Proposals) != 1 || doc.Proposals[0].Title != "Buy seeds" || len(doc.Proposals[0].Events) != 1 ||
				doc.Proposals[0].Events[0].Reason != "too dear" || doc.Archive.Messages != 1 || doc.Archive.File != "jardin@lists.test.mbox" {
				t.Errorf("register: %s", raw)
			}
			if strings.Contains(string(raw), "secret") {
				t.Errorf("the register holds a password hash: %s", raw)
			}

			// A post after the export: refused again, naming the export.
			post(t, s, "jardin@lists.test", "bob@example.org", "Subject: two\r\n\r\nx\r\n", t0.Add(time.Hour))
			_, err = run(t, a, "list rm jardin")
			since := map[string]string{"fr": "a changé depuis sa dernière exportation, le", "en": "changed since its last export, on"}[lang]
			if err == nil || !strings.Contains(err.Error(), since) {
				t.Fatalf("list rm after a new post: %v, want %q", err, since)
			}
			mustRun(t, a, "list export jardin --output "+dir)
			out = mustRun(t, a, "list rm jardin")
			removed := map[string]string{
				"fr": "liste jardin@lists.test supprimée : 2 membres, 2 messages archivés, 1 proposition",
				"en": "removed list jardin@lists.test: 2 members, 2 archived messages, 1 proposal"}[lang]
			if !strings.Contains(out, removed) {
				t.Errorf("list rm said %q", out)
			}
			if ls := mustRun(t, a, "list ls --json"); strings.TrimSpace(ls) != "[]" {
				t.Errorf("list ls after rm: %s", ls)
			}
			noList := map[string]string{"fr": "la liste jardin@lists.test n'existe pas", "en": "no list jardin@lists.test"}[lang]
			if _, err := run(t, a, "list rm jardin --force"); err == nil || !strings.Contains(err.Error(), noList) {
				t.Errorf("list rm of a removed list: %v", err)
			}
			if _, err := run(t, a, "list export jardin --output "+dir); err == nil || !strings.Contains(err.Error(), noList) {
				t.Errorf("list export of a removed list: %v", err)
			}
		})
	}
}

// TestListRmForce: --force removes a list never exported.
func TestListRmForce(t *testing.T) {
	t.Parallel()
	a, s := newAdmin(t)
	mustRun(t, a, "list create velo")
	mustRun(t, a, "list rm velo --force")
	if _, err := s.List("velo@lists.test"); err == nil {
		t.Error("the list is still there")
	}
}
