package admin

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// The help of the command line, written from the table (table.go).

// commonFlags are the flags every command takes.
func commonFlags() []Flag {
	return []Flag{
		{Name: "config", Arg: "FILE", Help: Text{
			Fr: "le fichier de configuration (par défaut : $TACIT_CONFIG, sinon /etc/tacit/tacit.toml s'il existe, sinon les réglages intégrés, que builtin demande aussi)",
			En: "the configuration file (default: $TACIT_CONFIG, else /etc/tacit/tacit.toml if it exists, else the built-in defaults, also given by builtin)"}},
		{Name: "help", Help: Text{Fr: "afficher cette aide (aussi -h)", En: "print this help (also -h)"}},
	}
}

// WantsHelp reports whether args ask for help: -h, -help or --help
// among them, before a "--".
func WantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// WriteHelp writes, in lang ("en" for English, else French), the help
// words ask for: every command under its group's heading for none, one
// command's usage and flags when they start with a command's name (the
// rest is ignored), the commands of a group for its word alone ("list").
// Flags among words are skipped. It returns the unknown-command error
// when words name nothing.
func WriteHelp(w io.Writer, words []string, lang string) error {
	var pos []string
	for _, a := range words {
		if !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
		}
	}
	if len(pos) == 0 {
		writeHeader(w, lang)
		for _, g := range groupTable() {
			fmt.Fprintf(w, "\n%s\n", g.Title.In(lang))
			writeSummaries(w, g.Commands, lang)
		}
		return nil
	}
	if c, ok := FindCommand(pos); ok {
		writeOne(w, c, lang)
		return nil
	}
	if group := commandGroup(pos[0]); len(group) > 0 && len(pos) == 1 {
		writeHeader(w, lang)
		fmt.Fprintln(w)
		writeSummaries(w, group, lang)
		return nil
	}
	return UnknownCommand(pos)
}

// UnknownCommand is the error for args that name no command: it lists
// the commands of the group args start with, or every command.
func UnknownCommand(args []string) error {
	if len(args) == 0 {
		return &UsageError{Msg: "no command given; run tacit help", Fr: "aucune commande donnée ; voir tacit help"}
	}
	if group := commandGroup(args[0]); len(group) > 0 {
		names := make([]string, len(group))
		for i, c := range group {
			names[i] = c.Name
		}
		shown := args[0]
		if len(args) > 1 {
			shown += " " + args[1]
		}
		list := strings.Join(names, ", ")
		return &UsageError{
			Msg: fmt.Sprintf("unknown command %q; the %s commands are: %s (tacit %s --help)", shown, args[0], list, args[0]),
			Fr:  fmt.Sprintf("commande inconnue %q ; les commandes %s sont : %s (tacit %s --help)", shown, args[0], list, args[0]),
		}
	}
	var firsts []string
	for _, c := range commandTable() {
		first, _, _ := strings.Cut(c.Name, " ")
		if !slices.Contains(firsts, first) {
			firsts = append(firsts, first)
		}
	}
	list := strings.Join(firsts, ", ")
	return &UsageError{
		Msg: fmt.Sprintf("unknown command %q; the commands are: %s (tacit help)", args[0], list),
		Fr:  fmt.Sprintf("commande inconnue %q ; les commandes sont : %s (tacit help)", args[0], list),
	}
}

// commandGroup returns the commands of more than one word whose first
// word is word ("list": list create, list set…).
func commandGroup(word string) []Command {
	var group []Command
	for _, c := range commandTable() {
		if first, _, two := strings.Cut(c.Name, " "); two && first == word {
			group = append(group, c)
		}
	}
	return group
}

// usageWord is "usage: " in lang.
func usageWord(lang string) string {
	return Text{Fr: "usage : ", En: "usage: "}.In(lang)
}

// writeUsage writes c's usage lines, indented by indent, the
// continuation lines aligned after the command's name.
func writeUsage(w io.Writer, c Command, indent string) {
	cont := indent + strings.Repeat(" ", len("tacit "+c.Name+" "))
	for i, line := range c.Usage {
		if i == 0 {
			fmt.Fprintf(w, "%s%s\n", indent, line)
			continue
		}
		fmt.Fprintf(w, "%s%s\n", cont, strings.TrimSpace(line))
	}
}

// writeHeader writes the first lines of the help of several commands.
func writeHeader(w io.Writer, lang string) {
	fmt.Fprintln(w, usageWord(lang)+"tacit [--config FILE] COMMAND [ARGUMENT]...")
	fmt.Fprintln(w, Text{
		Fr: "tacit COMMAND --help montre les options d'une commande et ce que fait chacune.",
		En: "tacit COMMAND --help shows a command's flags and what each one does.",
	}.In(lang))
}

// writeSummaries writes the usage and the summary of cmds.
func writeSummaries(w io.Writer, cmds []Command, lang string) {
	for _, c := range cmds {
		writeUsage(w, c, "  ")
		fmt.Fprintf(w, "        %s\n", c.Summary.In(lang))
	}
}

// writeOne writes c's usage, summary and flags.
func writeOne(w io.Writer, c Command, lang string) {
	word := usageWord(lang)
	for i, line := range c.Usage {
		if i == 0 {
			fmt.Fprintf(w, "%s%s\n", word, line)
			continue
		}
		fmt.Fprintf(w, "%s%s%s\n", strings.Repeat(" ", len(word)), strings.Repeat(" ", len("tacit "+c.Name+" ")), strings.TrimSpace(line))
	}
	fmt.Fprintf(w, "\n%s\n\n%s\n", c.Summary.In(lang), Text{Fr: "options :", En: "flags:"}.In(lang))
	flags := append(slices.Clone(c.Flags), commonFlags()...)
	// A long spelling has its help on the next line, aligned.
	const widest = 24
	width := 0
	for _, f := range flags {
		if n := len(f.Spelling()); n <= widest {
			width = max(width, n)
		}
	}
	for _, f := range flags {
		if len(f.Spelling()) > width {
			fmt.Fprintf(w, "  %s\n  %-*s  %s\n", f.Spelling(), width, "", f.Help.In(lang))
			continue
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, f.Spelling(), f.Help.In(lang))
	}
}
