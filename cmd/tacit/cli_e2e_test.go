package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
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
	if _, errOut, code := runTacit(t, t.TempDir(), "version", "extra"); code == 0 ||
		errOut != "tacit: version : argument inattendu \"extra\" (voir tacit version --help)\n" {
		t.Errorf("tacit version extra: exit %d, stderr %q", code, errOut)
	}
	if _, errOut, code := runTacitEnv(t, t.TempDir(), []string{englishEnv}, "version", "--jsn"); code == 0 ||
		errOut != "tacit: version: flag provided but not defined: -jsn (tacit version --help)\n" {
		t.Errorf("LANG=en_US.UTF-8 tacit version --jsn: exit %d, stderr %q", code, errOut)
	}
}

// TestConfigProblemsOneLineEach: a configuration with three problems
// makes any command print three lines on stderr, each "tacit:
// FILE:LINE: key: problem", in English when the locale says so, in
// French ("key : problème") otherwise, and exit non-zero.
func TestConfigProblemsOneLineEach(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tacit.toml")
	doc := "data_dir = \"d\"\nlangage = \"fr\"\n[smtp]\nlisen = \"x\"\nmax_recipients = 0\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	english := []string{
		"tacit: " + cfg + ":2: langage: unknown key (misspelt, or in the wrong table); did you mean language?",
		"tacit: " + cfg + ":4: smtp.lisen: unknown key (misspelt, or in the wrong table); did you mean listen?",
		"tacit: " + cfg + ":5: smtp.max_recipients: must be at least 1, got 0",
	}
	french := []string{
		"tacit: " + cfg + ":2: langage : clé inconnue (faute de frappe, ou dans la mauvaise table) ; vouliez-vous dire language ?",
		"tacit: " + cfg + ":4: smtp.lisen : clé inconnue (faute de frappe, ou dans la mauvaise table) ; vouliez-vous dire listen ?",
		"tacit: " + cfg + ":5: smtp.max_recipients : doit valoir au moins 1, et vaut 0",
	}
	for _, c := range []struct {
		args []string
		env  []string
		want []string
	}{
		{[]string{"serve"}, []string{englishEnv}, english},
		{[]string{"list", "ls"}, []string{"LC_ALL=en_GB.UTF-8", "LANG=fr_FR.UTF-8"}, english},
		{[]string{"serve"}, nil, french},
		{[]string{"list", "ls"}, []string{"LC_MESSAGES=fr_FR.UTF-8", "LANG=en_US.UTF-8"}, french},
	} {
		args, want := c.args, c.want
		_, errOut, code := runTacitEnv(t, dir, c.env, append([]string{"--config", cfg}, args...)...)
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if code == 0 || strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Errorf("tacit %s: exit %d, stderr:\n%s\nwant:\n%s", strings.Join(args, " "), code, errOut, strings.Join(want, "\n"))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "d")); err == nil {
		t.Errorf("a bad configuration created its data directory")
	}
}

// TestUsageErrorsThroughServer: with a server running, the command
// line's errors come back from it in the user's language: a usage error
// and a bad flag in French without a locale, in English with one.
func TestUsageErrorsThroughServer(t *testing.T) {
	t.Parallel()
	in := newInstance(t, "maildir", "")
	p := in.start()
	defer p.stop()
	env := func(lang string) []string {
		if lang == "en" {
			return []string{englishEnv}
		}
		return nil
	}
	for _, c := range []struct {
		lang string
		args []string
		want string
	}{
		{"fr", []string{"member", "add", "jardin"}, "tacit: usage : tacit member add LIST ADDR... (tacit member add --help)\n"},
		{"en", []string{"member", "add", "jardin"}, "tacit: usage: tacit member add LIST ADDR... (tacit member add --help)\n"},
		{"fr", []string{"list", "ls", "--jsn"}, "tacit: list ls : option inconnue : -jsn (tacit list ls --help)\n"},
		{"en", []string{"proposal", "show", "x"}, "tacit: proposal \"x\": want LIST#N, e.g. jardin#3\n"},
		{"fr", []string{"proposal", "show", "x"}, "tacit: proposition \"x\" : écrire LIST#N, par exemple jardin#3\n"},
	} {
		_, errOut, code := runTacitEnv(t, in.dir, env(c.lang), append([]string{"--config", in.cfgPath}, c.args...)...)
		if code == 0 || errOut != c.want {
			t.Errorf("%s: tacit %s: exit %d, stderr %q, want %q", c.lang, strings.Join(c.args, " "), code, errOut, c.want)
		}
	}
	logged := func() int { return strings.Count(p.logs.String(), `msg="admin command"`) }
	if !waitFor(5*time.Second, func() bool { return logged() == 5 }) {
		t.Errorf("the server answered %d commands, want 5 (the errors must come through its socket)", logged())
	}
}
