package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOneProblemPerLine: a file with two unknown keys and a bad value
// gives three lines, each FILE:LINE: key: problem, in file order.
func TestOneProblemPerLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tacit.toml")
	doc := "domain = \"lists.example.org\"\nlangage = \"fr\"\n\n[smtp]\nlisen = \"127.0.0.1:25\"\nmax_recipients = 0\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil {
		t.Fatal("Load accepted two unknown keys and a bad value")
	}
	want := []string{
		path + ":2: langage: unknown key (misspelt, or in the wrong table); did you mean language?",
		path + ":5: smtp.lisen: unknown key (misspelt, or in the wrong table); did you mean listen?",
		path + ":6: smtp.max_recipients: must be at least 1, got 0",
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Load error lines:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

// TestEveryProblemNamesItsKey: in every invalid fixture, each line is
// FILE:LINE: KEY: problem with the Error's own key (a syntax error,
// which has none, says "invalid TOML").
func TestEveryProblemNamesItsKey(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(fixtures, "invalid", "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	line := regexp.MustCompile(`^[^:]+:[0-9]+: (\S+): \S`)
	for _, f := range files {
		_, err := Load(f)
		var errs Errors
		if !errors.As(err, &errs) {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range errs {
			m := line.FindStringSubmatch(e.Error())
			switch {
			case e.Key == "" && strings.Contains(e.Error(), ": invalid TOML: "):
			case m == nil || m[1] != e.Key:
				t.Errorf("%s: %q is not FILE:LINE: %s: problem", filepath.Base(f), e.Error(), e.Key)
			}
		}
	}
}
