package admin

import (
	"context"
	"errors"
	"flag"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestTableFlagsAreParsed checks the table against the code: the flags
// each command parses are the flags its help lists, booleans as
// booleans, and --help is answered before the store is touched (the
// Admin here has none).
func TestTableFlagsAreParsed(t *testing.T) {
	t.Parallel()
	a := New(Options{Domain: "lists.test"})
	for _, c := range Commands() {
		if c.Local {
			continue
		}
		if c.run == nil {
			t.Errorf("%s: not local and nothing runs it", c.Name)
			continue
		}
		err := runRecovered(a, c, []string{"--help"})
		var help *helpRequest
		if !errors.As(err, &help) {
			var ue *UsageError
			if !errors.As(err, &ue) || len(c.Flags) != 0 {
				t.Errorf("%s --help: %v, want the flag set's help request", c.Name, err)
			}
			continue
		}
		var parsed []string
		help.fs.VisitAll(func(f *flag.Flag) { parsed = append(parsed, f.Name) })
		var listed []string
		for _, f := range c.Flags {
			listed = append(listed, f.Name)
			fl := help.fs.Lookup(f.Name)
			if fl == nil {
				continue
			}
			b, isBool := fl.Value.(interface{ IsBoolFlag() bool })
			if (isBool && b.IsBoolFlag()) != f.IsBool() {
				t.Errorf("%s --%s: boolean %v in the code, %v in the table", c.Name, f.Name, isBool, f.IsBool())
			}
		}
		slices.Sort(parsed)
		slices.Sort(listed)
		if !slices.Equal(parsed, listed) {
			t.Errorf("%s: the code parses %v, the table lists %v", c.Name, parsed, listed)
		}
	}
}

func runRecovered(a *Admin, c Command, args []string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("panic (the store touched?)")
		}
	}()
	return c.run(a, args, &strings.Builder{})
}

// TestExecuteHelp: --help anywhere on a command's line prints its usage
// and flags, in the server's language, runs nothing (no store here), and
// fails on no command.
func TestExecuteHelp(t *testing.T) {
	t.Parallel()
	a := New(Options{Domain: "lists.test", Language: "en"})
	for _, line := range []string{"list create --help", "member add jardin a@example.org -h", "backup --help", "held reject 3 -help"} {
		var out strings.Builder
		if err := a.Execute(context.Background(), strings.Fields(line), &out); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		name := strings.Join(strings.Fields(line)[:2], " ")
		if name == "backup --help" {
			name = "backup"
		}
		if !strings.HasPrefix(out.String(), "usage: tacit "+name) || !strings.Contains(out.String(), "--config FILE") {
			t.Errorf("%s printed:\n%s", line, out.String())
		}
	}
	var out strings.Builder
	if err := a.Execute(context.Background(), []string{"list", "create", "--help"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--name TEXT", "--lang fr|en", "--footer-file FILE", "--require-auth", "the list's display name"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list create --help lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := New(Options{}).Execute(context.Background(), []string{"list", "create", "--help"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"usage : tacit list create ADDR", "options :", "--name TEXT", "le nom affiché de la liste"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list create --help on a French server lacks %q:\n%s", want, out.String())
		}
	}
}

// TestUnknownCommand: the message names the commands of the group, or
// every command, from the table, in English and in French.
func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	for line, want := range map[string][]string{
		"list frob":    {`"list frob"`, "list create, list set, list ls, list rm, list export", "tacit list --help"},
		"frobnicate x": {`"frobnicate"`, "serve, init, list, member, digest, ban, held", "backup, migrate, explain, version, help"},
		"serve":        {`"serve"`}, // local: not run by Execute
	} {
		err := New(Options{}).Execute(context.Background(), strings.Fields(line), &strings.Builder{})
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Fatalf("%s: %v, want a UsageError", line, err)
		}
		for _, w := range want {
			if !strings.Contains(ue.In("en"), w) || !strings.Contains(ue.In("fr"), w) {
				t.Errorf("%s: %q / %q, want %q in both", line, ue.In("en"), ue.In("fr"), w)
			}
		}
		if !strings.HasPrefix(ue.In("en"), "unknown command ") || !strings.HasPrefix(ue.In("fr"), "commande inconnue ") || ue.Error() != ue.In("en") {
			t.Errorf("%s: %q / %q", line, ue.In("en"), ue.In("fr"))
		}
	}
}

// TestUsageErrorsInBothLanguages: a command line that does not fit its
// command says the usage, a bad flag says what is wrong, in English and
// in French.
func TestUsageErrorsInBothLanguages(t *testing.T) {
	t.Parallel()
	a := New(Options{Domain: "lists.test"})
	for line, want := range map[string][2]string{
		"member add jardin": {"usage: tacit member add LIST ADDR... (tacit member add --help)",
			"usage : tacit member add LIST ADDR... (tacit member add --help)"},
		"member set jardin": {"usage: tacit member set LIST ADDR [--moderated=true|false] [--enabled=true|false] [--mode normal|digest|nomail [--until DATE]] (tacit member set --help)",
			"usage : tacit member set LIST ADDR [--moderated=true|false] [--enabled=true|false] [--mode normal|digest|nomail [--until DATE]] (tacit member set --help)"},
		"list ls --bogus": {"list ls: flag provided but not defined: -bogus (tacit list ls --help)",
			"list ls : option inconnue : -bogus (tacit list ls --help)"},
		"held reject 3 --reason": {"held reject: flag needs an argument: -reason (tacit held reject --help)",
			"held reject : l'option -reason demande une valeur (tacit held reject --help)"},
		"member ls jardin --json=peut-être": {`member ls: invalid boolean value "peut-être" for -json: parse error (tacit member ls --help)`,
			`member ls : valeur "peut-être" invalide pour -json : écrire true ou false (tacit member ls --help)`},
		"list create x --lang de --deadline 3jours": {"--deadline: invalid duration \"3jours\": write a number and a unit, d (days), h, m or s, like \"3d\", \"72h\", \"1d12h\", \"90m\" or \"30s\"\n--lang must be fr or en, not \"de\"",
			"--deadline : durée \"3jours\" invalide : écrire un nombre et une unité, d (jours), h, m ou s, comme \"3d\", \"72h\", \"1d12h\", \"90m\" ou \"30s\"\n--lang doit valoir fr ou en, et non \"de\""},
		"held approve x": {`held approve: "x" is not a held post ID (see tacit held ls)`,
			`held approve : "x" n'est pas le numéro d'un message retenu (voir tacit held ls)`},
	} {
		err := a.Execute(context.Background(), strings.Fields(line), &strings.Builder{})
		var ue *UsageError
		if !errors.As(err, &ue) || ue.In("en") != want[0] || ue.In("fr") != want[1] {
			t.Errorf("%s: %v\nwant %q\n and %q", line, err, want[0], want[1])
			if ue != nil {
				t.Errorf("French: %q", ue.In("fr"))
			}
		}
	}
}

// TestWriteHelp: every command, a group, one command, and an unknown
// word.
func TestWriteHelp(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"fr", "en"} {
		var all strings.Builder
		if err := WriteHelp(&all, nil, lang); err != nil {
			t.Fatal(err)
		}
		for _, c := range Commands() {
			if !strings.Contains(all.String(), "  "+c.Usage[0]+"\n") || !strings.Contains(all.String(), "        "+c.Summary.In(lang)+"\n") {
				t.Errorf("tacit help in %s lacks %s", lang, c.Name)
			}
		}
		// The headings, each before its commands, migrate with backup.
		text := all.String()
		for _, g := range Groups() {
			at := strings.Index(text, "\n\n"+g.Title.In(lang)+"\n")
			if at < 0 {
				t.Errorf("tacit help in %s lacks the heading %q", lang, g.Title.In(lang))
				continue
			}
			for _, c := range g.Commands {
				if i := strings.Index(text, "  "+c.Usage[0]+"\n"); i < at {
					t.Errorf("tacit help in %s: %s is not under %q", lang, c.Name, g.Title.In(lang))
				}
			}
			text = text[at+1:]
		}
		if !regexp.MustCompile(`  tacit backup FILE\n.*\n  tacit list export .*\n.*\n  tacit migrate `).MatchString(all.String()) {
			t.Errorf("tacit help in %s: migrate is not next to backup:\n%s", lang, all.String())
		}
	}
	var group strings.Builder
	if err := WriteHelp(&group, []string{"member"}, "fr"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(group.String(), "tacit member passwd") || strings.Contains(group.String(), "tacit list ls") {
		t.Errorf("tacit member --help:\n%s", group.String())
	}
	var one strings.Builder
	if err := WriteHelp(&one, []string{"version", "--json"}, "en"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(one.String(), "usage: tacit version [--json]\n") || !strings.Contains(one.String(), "\nflags:\n") {
		t.Errorf("tacit version --help:\n%s", one.String())
	}
	if err := WriteHelp(&strings.Builder{}, []string{"nope"}, "fr"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("tacit help nope: %v", err)
	}
}
