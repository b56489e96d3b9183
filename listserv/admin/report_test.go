package admin

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"tacit/consensus"
	"tacit/storage"
)

// newReportAdmin is an Admin on a real store, its clock on 1 December
// 2026 in Paris, with the list jardin (French, private register) and
// these proposals: #1 adopted by silence in March, #2 rejected at a
// meeting in June, #3 withdrawn in 2025, #4 blocked in October.
func newReportAdmin(t *testing.T) *Admin {
	t.Helper()
	s, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	a := New(Options{Store: s, Domain: "lists.test", Language: "en", Location: paris,
		Now: func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) }})
	mustRun(t, a, "list create jardin --lang fr --name Jardin")
	mustRun(t, a, "list create garden")
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, time.UTC) }
	mk := func(list string, n int, title string, opened time.Time) consensus.Proposal {
		return consensus.NewProposal(consensus.Draft{List: list, Number: n, Author: "alice@example.org",
			Title: title, Text: "Texte.", Received: opened, Requested: opened.Add(72 * time.Hour), Min: time.Hour})
	}
	apply := func(p consensus.Proposal, es ...consensus.Event) consensus.Proposal {
		for _, e := range es {
			p, _ = consensus.Apply(p, e, e.At)
		}
		return p
	}
	object := consensus.Event{Kind: consensus.EventObject, From: "bob@example.org", Member: true, Reason: "non", At: at(2026, 6, 2)}
	var ups []storage.ProposalUpdate
	for _, p := range []consensus.Proposal{
		apply(mk("jardin@lists.test", 1, "Acheter une tondeuse", at(2026, 3, 1)), consensus.Event{Kind: consensus.EventTick, At: at(2026, 3, 5)}),
		apply(mk("jardin@lists.test", 2, "Vendre la serre\x1b[2J\x7f", at(2026, 6, 1)), object,
			consensus.Event{Kind: consensus.EventTick, At: at(2026, 6, 5)},
			consensus.Event{Kind: consensus.EventSettle, From: "owner@example.org", Outcome: consensus.SettleRejected,
				Reason: "trop cher", At: at(2026, 6, 20)}),
		apply(mk("jardin@lists.test", 3, "Fermer en août", at(2025, 7, 1)),
			consensus.Event{Kind: consensus.EventWithdraw, From: "alice@example.org", Member: true, At: at(2025, 7, 2)}),
		apply(mk("jardin@lists.test", 4, "Installer des ruches", at(2026, 10, 1)),
			consensus.Event{Kind: consensus.EventObject, From: "bob@example.org", Member: true, At: at(2026, 10, 2)},
			consensus.Event{Kind: consensus.EventTick, At: at(2026, 10, 5)}),
		apply(mk("garden@lists.test", 1, "Buy a wheelbarrow", at(2026, 3, 1)), consensus.Event{Kind: consensus.EventTick, At: at(2026, 3, 5)}),
	} {
		ups = append(ups, storage.ProposalUpdate{Proposal: p})
	}
	if err := s.Decide(ups, nil); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestReportCommand(t *testing.T) {
	t.Parallel()
	a := newReportAdmin(t)
	if !IsCommand([]string{"report", "jardin"}) {
		t.Error("report is not a command")
	}

	// Text, in the list's language, the last twelve months by default.
	out := mustRun(t, a, "report jardin")
	for _, want := range []string{"Relevé de décisions — Jardin", "Du 2 décembre 2025 au 1er décembre 2026",
		"2 décisions, 1 proposition en attente.", "Acheter une tondeuse", "sans objection à l'échéance",
		"rejetée en réunion", "trop cher", "Installer des ruches", "Objection : bob@e…"} {
		if !strings.Contains(strings.ReplaceAll(out, "\u00a0", " "), want) {
			t.Errorf("report jardin lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Fermer en août") || strings.ContainsAny(out, "\x1b\x7f") || !strings.Contains(out, "Vendre la serre�[2J�") {
		t.Errorf("report jardin shows a decision of 2025 or a raw control character:\n%q", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(line) > 80 {
			t.Errorf("a line wider than 80 columns: %q", line)
		}
	}
	if out := mustRun(t, a, "report garden@lists.test"); !strings.Contains(out, "Record of decisions — garden") ||
		!strings.Contains(out, "without objection at the deadline") {
		t.Errorf("report garden, in the server's language:\n%s", out)
	}

	// JSON stays JSON after the escaping of what a terminal must not get.
	var doc struct {
		From, To  string
		Decisions []struct {
			Number        int
			Title         string
			Outcome       string
			DecidedBy     string `json:"decided_by"`
			MeetingNote   string `json:"meeting_note"`
			Participation string
		}
		Pending []struct{ Number int }
	}
	out = mustRun(t, a, "report jardin --from 2025-01-01 --to 2025-12-31 --format json")
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.From != "2025-01-01" || doc.To != "2025-12-31" ||
		len(doc.Decisions) != 1 || doc.Decisions[0].DecidedBy != "withdrawal" || len(doc.Pending) != 0 {
		t.Errorf("2025 in JSON: %+v %v\n%s", doc, err, out)
	}
	out = mustRun(t, a, "report jardin --from=2026-06-01 --to=2026-12-31 --format=json")
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Decisions) != 1 ||
		doc.Decisions[0].Title != "Vendre la serre\x1b[2J\x7f" || doc.Decisions[0].MeetingNote != "trop cher" ||
		len(doc.Pending) != 1 || doc.Pending[0].Number != 4 {
		t.Errorf("from June 2026 in JSON: %+v %v\n%s", doc, err, out)
	}

	out = mustRun(t, a, "report jardin --format csv --from 2026-01-01")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "section" || rows[1][1] != "1" || rows[2][6] != "rejected" ||
		rows[3][0] != "pending" || strings.Contains(out, "\r") {
		t.Errorf("CSV: %v\n%s", err, out)
	}
	if out := mustRun(t, a, "report jardin --format html"); !strings.HasPrefix(out, "<!doctype html>") ||
		!strings.Contains(out, `<html lang="fr">`) || !strings.Contains(out, "@media print") ||
		strings.Contains(out, "<nav") {
		t.Errorf("HTML:\n%s", out)
	}

	for line, want := range map[string]string{
		"report":                                          "usage: tacit report LIST",
		"report jardin garden":                            "usage: tacit report LIST",
		"report nosuch":                                   "no list nosuch@lists.test",
		"report jardin --format pdf":                      `--format "pdf"`,
		"report jardin --from 2026-13-01":                 `from "2026-13-01": want a date written YYYY-MM-DD`,
		"report jardin --to yesterday":                    `to "yesterday"`,
		"report jardin --from 2026-05-01 --to 2026-04-30": "from 2026-05-01 is after to 2026-04-30",
		"report jardin --since 2026-01-01":                "flag provided but not defined",
	} {
		if _, err := run(t, a, line); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", line, err, want)
		}
	}
}
