package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// `tacit explain FILE --json` prints the document docs/admin.md names:
// proposal, deadline, own_text and commands, without any store.
func TestExplainJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, msg string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(msg), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type doc struct {
		Proposal bool     `json:"proposal"`
		Deadline string   `json:"deadline"`
		OwnText  string   `json:"own_text"`
		Commands []string `json:"commands"`
	}
	explain := func(file string) doc {
		t.Helper()
		out, errOut, code := runTacit(t, dir, "--config", "/dev/null", "explain", file, "--json")
		if code != 0 {
			t.Fatalf("explain: exit %d: %s", code, errOut)
		}
		var d doc
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("explain --json printed no JSON document: %v\n%s", err, out)
		}
		return d
	}
	reply := write("reply.eml", "From: bob@example.org\r\nTo: jardin@lists.test\r\n"+
		"Subject: RE: [jardin] [PROPOSITION #3] Budget\r\nIn-Reply-To: <p3@example.org>\r\n\r\n"+
		"Objection : trop cher\r\n+1 pour le reste\r\n\r\n-----Message d'origine-----\r\nOBJECTION\r\n")
	d := explain(reply)
	if d.Proposal || !slices.Equal(d.Commands, []string{"object", "support"}) ||
		!strings.Contains(d.OwnText, "trop cher") || strings.Contains(d.OwnText, "origine") {
		t.Errorf("reply explained as %+v", d)
	}
	prop := write("prop.eml", "From: alice@example.org\r\nTo: jardin@lists.test\r\n"+
		"Subject: [PROPOSITION] Budget\r\nDate: Mon, 30 Nov 2026 10:00:00 +0100\r\n\r\n"+
		"Voter le budget.\r\nÉchéance : 01/12/2026 18h\r\n")
	d = explain(prop)
	if !d.Proposal || d.Deadline != "2026-12-01T18:00:00+01:00" || len(d.Commands) != 0 {
		t.Errorf("proposal explained as %+v", d)
	}
	if _, errOut, code := runTacit(t, dir, "--config", "/dev/null", "explain", filepath.Join(dir, "missing.eml")); code == 0 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("a missing file: exit %d, stderr %q (want non-zero and one line)", code, errOut)
	}
}
