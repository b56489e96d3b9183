package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestVersionJSON: tacit version --json is one JSON document with the
// version, the Go version and the commit (empty when the build did not
// record one).
func TestVersionJSON(t *testing.T) {
	t.Parallel()
	out, errOut, code := runTacit(t, t.TempDir(), "version", "--json")
	if code != 0 {
		t.Fatalf("tacit version --json: exit %d, stderr %q", code, errOut)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("tacit version --json: %v in %q", err, out)
	}
	if v["version"] == "" || v["go"] != runtime.Version() {
		t.Errorf("tacit version --json = %v, want a version and go %s", v, runtime.Version())
	}
	if _, ok := v["commit"]; !ok || len(v) != 3 {
		t.Errorf("tacit version --json = %v, want exactly version, go and commit", v)
	}
	if c := v["commit"]; c != "" && !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(c) {
		t.Errorf("commit %q is not a git revision", c)
	}
	if _, errOut, code := runTacit(t, t.TempDir(), "version", "extra"); code == 0 || !strings.Contains(errOut, "unexpected argument") {
		t.Errorf("tacit version extra: exit %d, stderr %q", code, errOut)
	}
}

// TestConfigProblemsOneLineEach: a configuration with three problems
// makes any command print three lines on stderr, each "tacit:
// FILE:LINE: key: problem", and exit non-zero.
func TestConfigProblemsOneLineEach(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tacit.toml")
	doc := "data_dir = \"d\"\nlangage = \"fr\"\n[smtp]\nlisen = \"x\"\nmax_recipients = 0\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"serve"}, {"list", "ls"}} {
		_, errOut, code := runTacit(t, dir, append([]string{"--config", cfg}, args...)...)
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		want := []string{
			"tacit: " + cfg + ":2: langage: unknown key (misspelt, or in the wrong table); did you mean language?",
			"tacit: " + cfg + ":4: smtp.lisen: unknown key (misspelt, or in the wrong table); did you mean listen?",
			"tacit: " + cfg + ":5: smtp.max_recipients: must be at least 1, got 0",
		}
		if code == 0 || strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Errorf("tacit %s: exit %d, stderr:\n%s\nwant:\n%s", strings.Join(args, " "), code, errOut, strings.Join(want, "\n"))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "d")); err == nil {
		t.Errorf("a bad configuration created its data directory")
	}
}
