package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestChooseConfig: --config first, then TACIT_CONFIG, then the file of
// the package when it exists, then the built-in defaults; "builtin"
// asks for the defaults at either place.
func TestChooseConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	etc := filepath.Join(dir, "tacit.toml")
	if err := os.WriteFile(etc, []byte("domain = \"lists.test\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "absent.toml")
	for _, c := range []struct {
		name          string
		flag          string
		given         bool
		env, etc      string
		path, from    string
		describeHolds string
	}{
		{"flag", "/x.toml", true, "/y.toml", etc, "/x.toml", fromFlag, "/x.toml (--config)"},
		{"flag builtin", "builtin", true, "/y.toml", etc, "", fromFlag, "built-in defaults (--config builtin)"},
		{"flag empty", "", true, "", etc, "", fromFlag, "built-in defaults"},
		{"env", "", false, "/y.toml", etc, "/y.toml", fromEnv, "/y.toml (TACIT_CONFIG)"},
		{"env builtin", "", false, "builtin", etc, "", fromEnv, "TACIT_CONFIG=builtin"},
		{"etc", "", false, "", etc, etc, fromEtc, "read by default"},
		{"nothing", "", false, "", missing, "", fromNothing, "no --config, no TACIT_CONFIG, no " + missing},
	} {
		env := environment{getenv: func(k string) string {
			if k == configEnv {
				return c.env
			}
			return ""
		}, etcConfig: c.etc}
		got := chooseConfig(c.flag, c.given, env)
		_, en := got.describe()
		if got.path != c.path || got.from != c.from || !strings.Contains(en, c.describeHolds) {
			t.Errorf("%s: path %q from %s (%q), want %q from %s (%q)", c.name, got.path, got.from, en,
				c.path, c.from, c.describeHolds)
		}
	}
}

// TestEtcConfigReadByDefault: on a server installed from the package,
// `tacit list ls` without --config reads the package's file and shows
// the server's lists; TACIT_CONFIG=builtin still gets the defaults,
// which refuse to create a store in the working directory.
func TestEtcConfigReadByDefault(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "var-lib-tacit")
	if err := os.Mkdir(data, 0o700); err != nil { // as the package's postinst does
		t.Fatal(err)
	}
	etc := filepath.Join(dir, "tacit.toml")
	doc := "data_dir = " + `"` + data + `"` + "\ndomain = \"lists.test\"\nlanguage = \"en\"\n"
	if err := os.WriteFile(etc, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(tacitConfig string) environment {
		return environment{etcConfig: etc, getenv: func(k string) string {
			if k == configEnv {
				return tacitConfig
			}
			return ""
		}}
	}
	run := func(e environment, args ...string) (string, error) {
		var out strings.Builder
		err := runIn(e, args, &out, &strings.Builder{})
		return out.String(), err
	}
	if _, err := run(env(""), "list", "create", "jardin", "--from-rewrite", "never"); err != nil {
		t.Fatal(err)
	}
	if out, err := run(env(""), "list", "ls"); err != nil || !strings.Contains(out, "jardin@lists.test") {
		t.Errorf("list ls without --config: %v, %q; want the list of the file read by default", err, out)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	_, err = run(env("builtin"), "list", "ls")
	if err == nil || !strings.Contains(err.Error(), "tacit-data") || !strings.Contains(err.Error(), "TACIT_CONFIG=builtin") {
		t.Errorf("list ls with TACIT_CONFIG=builtin: %v; want a refusal naming tacit-data", err)
	}
	if _, err := os.Stat(filepath.Join(wd, "tacit-data")); err == nil {
		t.Errorf("list ls with the built-in defaults created tacit-data in %s", wd)
	}
}

// TestAdminRefusesNewStore runs the real binary: an admin command whose
// data directory does not exist creates nothing and says which data_dir
// and which configuration it used, and how to give the server's; with
// TACIT_CONFIG naming the file, the same command works.
func TestAdminRefusesNewStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{{"list", "ls"}, {"member", "add", "jardin", "a@example.org"}, {"backup", "copy.db"}} {
		_, errOut, code := runTacit(t, dir, args...)
		for _, want := range []string{"tacit-data", filepath.Join(dir, "tacit-data"), "TACIT_CONFIG=builtin", "--config"} {
			if code == 0 || !strings.Contains(errOut, want) || !oneLine(errOut) {
				t.Errorf("tacit %s in an empty directory: exit %d, stderr %q; want one line with %q",
					strings.Join(args, " "), code, errOut, want)
			}
		}
	}
	if _, errOut, _ := runTacit(t, dir, "list", "ls"); !strings.HasPrefix(errOut, "tacit: list ls : le dossier de données tacit-data (") {
		t.Errorf("the refusal in French: %q", errOut)
	}
	if _, errOut, _ := runTacitEnv(t, dir, []string{englishEnv}, "list", "ls"); !strings.HasPrefix(errOut, "tacit: list ls: the data directory tacit-data (") {
		t.Errorf("the refusal in English: %q", errOut)
	}
	cfg := filepath.Join(dir, "server.toml")
	data := filepath.Join(dir, "data")
	doc := "data_dir = \"" + data + "\"\ndomain = \"lists.test\"\nlanguage = \"en\"\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runTacit(t, dir, "--config", cfg, "list", "ls")
	if code == 0 || !strings.Contains(errOut, data) || !strings.Contains(errOut, cfg+" (--config)") {
		t.Errorf("tacit --config %s list ls with no data directory: exit %d, stderr %q", cfg, code, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the refused commands left files: %v", entries)
	}

	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runTacit(t, dir, "--config", cfg, "list", "create", "jardin", "--from-rewrite", "never"); code != 0 {
		t.Fatalf("list create: exit %d, %s", code, errOut)
	}
	out, errOut, code := runTacitEnv(t, dir, []string{configEnv + "=" + cfg}, "list", "ls")
	if code != 0 || !strings.Contains(out, "jardin@lists.test") {
		t.Errorf("TACIT_CONFIG=%s tacit list ls: exit %d, stderr %q, stdout %q", cfg, code, errOut, out)
	}
	// --config wins over TACIT_CONFIG.
	if _, errOut, code := runTacitEnv(t, dir, []string{configEnv + "=" + cfg}, "--config", "builtin", "list", "ls"); code == 0 ||
		!strings.Contains(errOut, "--config builtin") {
		t.Errorf("tacit --config builtin list ls: exit %d, stderr %q", code, errOut)
	}
}
