package admin

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/storage"
)

func TestProposalLsAndShow(t *testing.T) {
	t.Parallel()
	a, s := newAdmin(t)
	mustRun(t, a, "list create jardin")
	mustRun(t, a, "list create velo")
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	mk := func(list string, n int, st consensus.Status) consensus.Proposal {
		p := consensus.NewProposal(consensus.Draft{List: list, Number: n, Author: "alice@example.org",
			Title: "Titre " + list, Text: "Le texte.\nSur deux lignes.", Received: t0, Default: 72 * time.Hour})
		p.Status = st
		return p
	}
	err := s.Decide([]storage.ProposalUpdate{
		{Proposal: mk("jardin@lists.test", 1, consensus.StatusAdopted)},
		{Proposal: mk("jardin@lists.test", 2, consensus.StatusOpen),
			Events: []storage.ProposalEvent{{Kind: "object", From: "bob@example.org", At: t0, Reason: "trop cher"}}},
		{Proposal: mk("velo@lists.test", 1, consensus.StatusOpen)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ps []consensus.Proposal
	if err := json.Unmarshal([]byte(mustRun(t, a, "proposal ls jardin --status open --json")), &ps); err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Number != 2 {
		t.Errorf("open proposals of jardin: %+v", ps)
	}
	out := mustRun(t, a, "proposal ls")
	if strings.Count(out, "\n") != 4 || !strings.Contains(out, "velo#1") || !strings.Contains(out, "jardin#2") {
		t.Errorf("proposal ls:\n%s", out)
	}
	out = mustRun(t, a, "proposal show jardin#2")
	for _, want := range []string{"jardin#2  Titre jardin@lists.test", "status:     open", "bob@example.org trop cher", "  | Sur deux lignes."} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	var shown struct {
		Number int                     `json:"number"`
		Events []storage.ProposalEvent `json:"events"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, a, "proposal show 2 --json")), &shown); err != nil || shown.Number != 2 || len(shown.Events) != 1 {
		t.Errorf("show --json: %+v %v", shown, err)
	}
	for line, want := range map[string]string{
		"proposal show 1":          "several lists",
		"proposal show jardin#9":   "no proposal",
		"proposal show x":          "want LIST#N",
		"proposal ls --status odd": "--status",
		"proposal ls nosuch":       "no list",
	} {
		if _, err := run(t, a, line); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", line, err, want)
		}
	}
}
