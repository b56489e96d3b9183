package admin

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/storage"
)

// newFrenchAdmin is newAdmin for a server whose language is French, the
// default.
func newFrenchAdmin(t *testing.T) (*Admin, *storage.Store) {
	t.Helper()
	s, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return New(Options{Store: s, Domain: "lists.test"}), s
}

// runIn runs line with the output and errors in lang; the error's text
// comes after the output.
func runIn(t *testing.T, a *Admin, lang, line string) string {
	t.Helper()
	var out strings.Builder
	if err := a.ExecuteIn(context.Background(), lang, strings.Fields(line), &out); err != nil {
		out.WriteString("error: " + err.Error())
	}
	return out.String()
}

// expectIn checks that each command line, run in lang, says its text.
func expectIn(t *testing.T, a *Admin, lang string, lines [][2]string) {
	t.Helper()
	for _, c := range lines {
		if got := runIn(t, a, lang, c[0]); !strings.Contains(got, c[1]) {
			t.Errorf("%s [%s]: %q, want %q", c[0], lang, got, c[1])
		}
	}
}

// The commands on lists and members speak French by default, English
// when asked, in their output and in their errors.
func TestListsAndMembersInFrench(t *testing.T) {
	t.Parallel()
	a, _ := newFrenchAdmin(t)
	expectIn(t, a, "", [][2]string{
		{"list create jardin --owner owner@example.org", "liste jardin@lists.test créée"},
		{"list create jardin", "error: la liste jardin@lists.test existe déjà"},
		{"list create jardin-request", "error: \"jardin-request\" : un nom de liste ne peut pas finir par -request (réservé)"},
		{"list set jardin --name Jardin", "liste jardin@lists.test modifiée"},
		{"list set nope --name x", "error: la liste nope@lists.test n'existe pas"},
		{"list set jardin --authentication none", "attention : jardin@lists.test se fie au From"},
		{"list ls", "ADRESSE"},
		{"member add jardin a@example.org b@example.org", "2 membres ajoutés à jardin@lists.test"},
		{"member add jardin a@example.org", "1 adresse était déjà membre"},
		{"member add jardin pas-une-adresse", "error: \"pas-une-adresse\" n'est pas une adresse valide"},
		{"member rm jardin b@example.org z@example.org", "1 membre retiré de jardin@lists.test"},
		{"member set jardin z@example.org --enabled=false", "error: z@example.org n'est pas membre de jardin@lists.test"},
		{"member set jardin a@example.org --enabled=false", "a@example.org sur jardin@lists.test : moderated=false enabled=false mode=normal"},
		{"member ban jardin troll@example.org", "troll@example.org banni de jardin@lists.test"},
		{"member ban jardin owner@example.org", "error: owner@example.org est responsable de jardin@lists.test"},
		{"member ls jardin", "troll@example.org (banni)"},
		{"ban ls jardin", "TYPE"},
		{"member add jardin troll@example.org", "error: troll@example.org est banni de jardin@lists.test"},
		{"member unban jardin troll@example.org", "troll@example.org n'est plus banni de jardin@lists.test"},
		{"digest send", "error: digest send : aucun serveur pour l'envoyer"},
	})
	// The same in English, on the same French server.
	expectIn(t, a, "en", [][2]string{
		{"list create jardin", "error: list jardin@lists.test already exists"},
		{"list ls", "ADDRESS"},
		{"member add jardin c@example.org", "added 1 member to jardin@lists.test"},
		{"member add jardin pas-une-adresse", "error: \"pas-une-adresse\" is not a valid address"},
		{"member rm nope a@example.org", "error: no list nope@lists.test"},
	})
	// JSON is the same in every language.
	if fr, en := runIn(t, a, "fr", "list ls --json"), runIn(t, a, "en", "list ls --json"); fr != en {
		t.Errorf("list ls --json differs by language:\n%s\n%s", fr, en)
	}
}

// The request carries the caller's language over the socket; without
// one (an older client), the server answers in its own.
func TestSocketCarriesTheLanguage(t *testing.T) {
	t.Parallel()
	a, _ := newFrenchAdmin(t)
	sock := filepath.Join(shortDir(t), "tacit.sock")
	l, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go a.Serve(ctx, l, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, c := range []struct{ lang, line, want string }{
		{"en", "list create jardin", "created list jardin@lists.test"},
		{"fr", "member add jardin a@example.org", "1 membre ajouté à jardin@lists.test"},
		{"", "member rm jardin a@example.org", "1 membre retiré de jardin@lists.test"},
		{"en", "member rm nope a@example.org", "no list nope@lists.test"},
		{"", "member rm nope a@example.org", "la liste nope@lists.test n'existe pas"},
	} {
		var out strings.Builder
		err := CallIn(ctx, sock, c.lang, strings.Fields(c.line), &out)
		got := out.String()
		if err != nil {
			got += err.Error()
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%s [%q]: %q, want %q", c.line, c.lang, got, c.want)
		}
	}
}

// The commands on proposals and held posts speak French by default,
// English when asked; their values (status, dates) stay as they are.
func TestProposalsAndHeldInFrench(t *testing.T) {
	t.Parallel()
	a, s := newFrenchAdmin(t)
	runIn(t, a, "", "list create jardin")
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	p := consensus.NewProposal(consensus.Draft{List: "jardin@lists.test", Number: 1, Author: "alice@example.org",
		Title: "Des graines", Text: "Acheter des graines.", Received: t0, Default: 72 * time.Hour})
	if err := s.Decide([]storage.ProposalUpdate{{Proposal: p, Events: []storage.ProposalEvent{
		{Kind: "object", From: "bob@example.org", At: t0, Reason: "trop cher", Channel: storage.ChannelWeb}}}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"1", "2"} {
		mid, err := s.Receive(storage.Envelope{From: "m@example.com", To: []string{"jardin@lists.test"}}, []byte("Subject: x\r\n\r\nx"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Dispose(mid, storage.Disposition{Held: []storage.Held{{List: "jardin@lists.test", MessageID: mid,
			From: "m@example.com", At: t0, Reason: "not a member"}}}); err != nil {
			t.Fatalf("hold %s: %v", id, err)
		}
	}
	expectIn(t, a, "", [][2]string{
		{"proposal ls", "ÉTAT  ÉCHÉANCE"},
		{"proposal ls", "jardin#1  open  2026-12-04T10:00:00Z"},
		{"proposal show jardin#1", "état :       open\n"},
		{"proposal show jardin#1", "échéance :   2026-12-04T10:00:00Z\n"},
		{"proposal show jardin#1", "historique :\n"},
		{"proposal show jardin#1", "bob@example.org trop cher par le web"},
		{"proposal show jardin#1", "version 1 (2026-12-01T10:00:00Z) :\n  | Acheter des graines."},
		{"proposal show jardin#9", "error: la proposition jardin#9 n'existe pas"},
		{"proposal settle jardin#1 adopted", "error: proposal settle : impossible d'envoyer ici l'avis à la liste"},
		{"held ls", "ID  LISTE"},
		{"held approve 1", "message 1 de m@example.com à jardin@lists.test accepté"},
		{"held reject 2", "message 2 de m@example.com à jardin@lists.test refusé"},
		{"held approve 9", "error: aucun message retenu n° 9 (voir tacit held ls)"},
	})
	expectIn(t, a, "en", [][2]string{
		{"proposal ls", "STATUS  DEADLINE"},
		{"proposal show jardin#1", "status:     open\n"},
		{"proposal show jardin#9", "error: no proposal jardin#9"},
		{"held approve 9", "error: no held post 9"},
	})
	if fr, en := runIn(t, a, "fr", "proposal show jardin#1 --json"), runIn(t, a, "en", "proposal show jardin#1 --json"); fr != en {
		t.Errorf("proposal show --json differs by language:\n%s\n%s", fr, en)
	}
}

// Backup, export, removal, report and explain speak French by default,
// English when asked.
func TestBackupExportExplainInFrench(t *testing.T) {
	t.Parallel()
	a, _ := newFrenchAdmin(t)
	dir := t.TempDir()
	msg := filepath.Join(dir, "post.eml")
	if err := os.WriteFile(msg, []byte("From: alice@example.org\r\nTo: jardin@lists.test\r\nSubject: Bonjour\r\n\r\nBonjour à tous.\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runIn(t, a, "", "list create jardin")
	expectIn(t, a, "", [][2]string{
		{"backup " + filepath.Join(dir, "copie.db"), "sauvegarde écrite dans " + filepath.Join(dir, "copie.db")},
		{"list rm jardin", "error: la liste jardin@lists.test n'a jamais été exportée : lancez d'abord tacit list export"},
		{"list export jardin --output " + dir, "jardin@lists.test exportée : ses archives, 0 message, dans "},
		{"explain " + msg, "sujet :         Bonjour\n"},
		{"explain " + msg, "nature :        message ordinaire"},
		{"explain " + msg, "texte propre :\n  | Bonjour à tous."},
		{"list create potager", "liste potager@lists.test créée"},
		{"list rm jardin", "liste jardin@lists.test supprimée : 0 membre,"},
	})
	expectIn(t, a, "en", [][2]string{
		{"explain " + msg, "subject:   Bonjour\n"},
		{"backup " + filepath.Join(dir, "copy.db"), "backup written to "},
	})
	var u *UsageError
	var out strings.Builder
	err := a.ExecuteIn(context.Background(), "fr", strings.Fields("report potager --from 2026-13-01"), &out)
	if !errors.As(err, &u) || !strings.Contains(u.In("fr"), `report : from "2026-13-01" : écrire une date AAAA-MM-JJ`) {
		t.Errorf("report with a bad --from: %v", err)
	}
	if fr, en := runIn(t, a, "fr", "explain "+msg+" --json"), runIn(t, a, "en", "explain "+msg+" --json"); fr != en {
		t.Errorf("explain --json differs by language:\n%s\n%s", fr, en)
	}
}
