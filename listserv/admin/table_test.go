package admin

import (
	"context"
	"errors"
	"flag"
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
// and flags, runs nothing (no store here), and fails on no command.
func TestExecuteHelp(t *testing.T) {
	t.Parallel()
	a := New(Options{Domain: "lists.test"})
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
}

// TestUnknownCommand: the message names the commands of the group, or
// every command, from the table.
func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	for line, want := range map[string][]string{
		"list frob":    {`"list frob"`, "list create, list set, list ls", "tacit list --help"},
		"frobnicate x": {`"frobnicate"`, "serve, init, migrate, list, member", "version, help"},
		"serve":        {`"serve"`}, // local: not run by Execute
	} {
		err := New(Options{}).Execute(context.Background(), strings.Fields(line), &strings.Builder{})
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want %q in it", line, err, w)
			}
		}
	}
}

// TestWriteHelp: every command, a group, one command, and an unknown
// word.
func TestWriteHelp(t *testing.T) {
	t.Parallel()
	var all strings.Builder
	if err := WriteHelp(&all, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range Commands() {
		if !strings.Contains(all.String(), "  "+c.Usage[0]+"\n") || !strings.Contains(all.String(), c.Summary) {
			t.Errorf("tacit help lacks %s", c.Name)
		}
	}
	var group strings.Builder
	if err := WriteHelp(&group, []string{"member"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(group.String(), "tacit member passwd") || strings.Contains(group.String(), "tacit list ls") {
		t.Errorf("tacit member --help:\n%s", group.String())
	}
	var one strings.Builder
	if err := WriteHelp(&one, []string{"version", "--json"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(one.String(), "usage: tacit version [--json]\n") {
		t.Errorf("tacit version --help:\n%s", one.String())
	}
	if err := WriteHelp(&strings.Builder{}, []string{"nope"}); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("tacit help nope: %v", err)
	}
}
