package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"tacit/listserv/admin"
)

// usages reads the command usages out of a text: a line whose text
// starts with "tacit " (after indent) begins one, the lines below it
// that start with "[" continue it. Spaces are collapsed.
func usages(lines []string, indent string) []string {
	var out []string
	for _, line := range lines {
		text := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, indent+"tacit "):
			out = append(out, text)
		case strings.HasPrefix(text, "[") && len(out) > 0:
			out[len(out)-1] += " " + text
		}
	}
	for i, u := range out {
		out[i] = strings.Join(strings.Fields(u), " ")
	}
	return out
}

// headings reads the group headings out of a text: the lines after the
// first blank one that start at indent with neither "tacit " nor "[".
func headings(lines []string, indent string) []string {
	var out []string
	blank := false
	for _, line := range lines {
		text := strings.TrimSpace(line)
		if text == "" {
			blank = true
			continue
		}
		if blank && strings.HasPrefix(line, indent) && !strings.HasPrefix(line, indent+" ") &&
			!strings.HasPrefix(text, "tacit ") && !strings.HasPrefix(text, "[") {
			out = append(out, text)
		}
	}
	return out
}

// englishOnly is an environment that speaks English and has no
// configuration file.
func englishOnly() environment {
	return environment{getenv: func(string) string { return "" }, lang: "en"}
}

// TestHelpMatchesDocs: docs/admin.md lists the commands the English
// tacit help prints, under the same headings, with the same usages, in
// the same order.
func TestHelpMatchesDocs(t *testing.T) {
	t.Parallel()
	var help strings.Builder
	if err := runIn(englishOnly(), []string{"help"}, &help, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	fromHelp := usages(strings.Split(help.String(), "\n"), "  ")
	helpHeadings := headings(strings.Split(help.String(), "\n"), "")

	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "admin.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "<!-- commands:")
	if !ok {
		t.Fatal("docs/admin.md: no <!-- commands: --> marker before the list of commands")
	}
	var lines []string
	for _, line := range strings.Split(block, "\n")[1:] {
		if line != "" && !strings.HasPrefix(line, "    ") {
			break // the end of the indented block
		}
		lines = append(lines, line)
	}
	fromDocs := usages(lines, "    ")
	var titles []string
	for _, g := range admin.Groups() {
		titles = append(titles, g.Title.En)
	}
	if docHeadings := headings(lines, "    "); !slices.Equal(docHeadings, titles) || !slices.Equal(helpHeadings, titles) {
		t.Errorf("headings: docs/admin.md %q, tacit help %q, the table %q", docHeadings, helpHeadings, titles)
	}

	if len(fromHelp) != len(admin.Commands()) {
		t.Errorf("tacit help shows %d usages for %d commands", len(fromHelp), len(admin.Commands()))
	}
	for _, u := range fromHelp {
		if !slices.Contains(fromDocs, u) {
			t.Errorf("docs/admin.md lacks the usage of tacit help:\n  %s", u)
		}
	}
	for _, u := range fromDocs {
		if !slices.Contains(fromHelp, u) {
			t.Errorf("docs/admin.md has a usage tacit help does not print:\n  %s", u)
		}
	}
	if !slices.Equal(fromHelp, fromDocs) && !t.Failed() {
		t.Errorf("docs/admin.md lists the commands in another order than tacit help")
	}
}

// TestHelpOfEveryCommand runs the real binary: `tacit CMD --help` and
// `-h` print CMD's usage and flags on stdout and exit 0, in French
// without a locale and in English with LANG=en_US.UTF-8, with a
// configuration file that does not exist, and create nothing (no data
// directory, no store).
func TestHelpOfEveryCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such.toml")
	for _, c := range admin.Commands() {
		for _, h := range []struct{ flag, lang, usage string }{{"--help", "fr", "usage : "}, {"-h", "en", "usage: "}} {
			args := append(strings.Fields(c.Name), h.flag)
			if c.Name == "member add" {
				args = []string{"member", "add", "jardin", "a@example.org", h.flag} // after the arguments too
			}
			var env []string
			if h.lang == "en" {
				env = []string{englishEnv}
			}
			out, errOut, code := runTacitEnv(t, dir, env, append([]string{"--config", missing}, args...)...)
			what := h.lang + ": tacit " + strings.Join(args, " ")
			if code != 0 || errOut != "" {
				t.Errorf("%s: exit %d, stderr %q", what, code, errOut)
				continue
			}
			if !strings.HasPrefix(out, h.usage+c.Usage[0]+"\n") || !strings.Contains(out, c.Summary.In(h.lang)) ||
				!strings.Contains(out, "--config FILE") || c.Summary.Fr == c.Summary.En {
				t.Errorf("%s printed:\n%s", what, out)
			}
			for _, f := range c.Flags {
				if !regexp.MustCompile(`(?m)^  `+regexp.QuoteMeta(f.Spelling())+`\s`).MatchString(out) ||
					!strings.Contains(out, f.Help.In(h.lang)) || f.Help.Fr == f.Help.En {
					t.Errorf("%s: no line for %s in its language:\n%s", what, f.Spelling(), out)
				}
			}
		}
	}
	// Groups and tacit help COMMAND.
	for args, want := range map[string]string{
		"list --help":        "tacit list ls [--json]",
		"help member set":    "usage : tacit member set LIST ADDR",
		"--help":             "tacit version [--json]",
		"proposal -h":        "tacit proposal settle",
		"serve --help extra": "usage : tacit serve",
		"help":               "Serveur et installation\n  tacit serve\n",
		"meeting --help":     "tacit meeting ls [LIST] [--json]\n        afficher les réunions à venir",
	} {
		out, errOut, code := runTacit(t, dir, strings.Fields(args)...)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("tacit %s: exit %d, stderr %q, stdout:\n%s", args, code, errOut, out)
		}
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("help left files in its directory: %v %v", entries, err)
	}
	// An unknown command is an error naming the commands, in the
	// order of tacit help.
	_, errOut, code := runTacit(t, dir, "frobnicate", "--help")
	if code == 0 || !strings.Contains(errOut, `tacit: commande inconnue "frobnicate" ; les commandes sont : serve, init, list, member`) ||
		!strings.Contains(errOut, "meeting, backup, migrate, explain") {
		t.Errorf("tacit frobnicate --help: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = runTacitEnv(t, dir, []string{englishEnv}, "frobnicate", "--help")
	if code == 0 || !strings.Contains(errOut, `tacit: unknown command "frobnicate"; the commands are: serve, init, list, member`) {
		t.Errorf("LANG=en_US.UTF-8 tacit frobnicate --help: exit %d, stderr %q", code, errOut)
	}
}

// TestLocalFlagsMatchTable: the flags each command run by this process
// parses are the flags the table lists (the admin commands have their
// own test, in listserv/admin).
func TestLocalFlagsMatchTable(t *testing.T) {
	t.Parallel()
	local := localCommands()
	for _, c := range admin.Commands() {
		f, ok := local[c.Name]
		if !ok {
			if c.Local {
				t.Errorf("%s: local in the table, nothing here runs it", c.Name)
			}
			continue
		}
		err := f(&cli{stdin: strings.NewReader(""), stdout: &strings.Builder{}, stderr: &strings.Builder{}}, []string{"--help"})
		var h *localHelp
		if !errors.As(err, &h) {
			if strings.Contains(fmt.Sprint(err), "not yet built") || !c.Local {
				continue // not here yet, or parsed by admin (explain)
			}
			if len(c.Flags) != 0 {
				t.Errorf("%s --help: %v, want its flag set's help request", c.Name, err)
			}
			continue
		}
		var parsed, listed []string
		h.fs.VisitAll(func(f *flag.Flag) { parsed = append(parsed, f.Name) })
		for _, fl := range c.Flags {
			listed = append(listed, fl.Name)
			if got := h.fs.Lookup(fl.Name); got != nil {
				b, isBool := got.Value.(interface{ IsBoolFlag() bool })
				if (isBool && b.IsBoolFlag()) != fl.IsBool() {
					t.Errorf("%s --%s: boolean %v in the code, %v in the table", c.Name, fl.Name, isBool, fl.IsBool())
				}
			}
		}
		slices.Sort(parsed)
		slices.Sort(listed)
		if !slices.Equal(parsed, listed) {
			t.Errorf("%s: the code parses %v, the table lists %v", c.Name, parsed, listed)
		}
	}
}
