package admin

import (
	"io"
	"strings"
)

// The table of tacit's commands: the one place that names every command
// of the command line, its usage, what it does and its flags. `tacit
// help`, `tacit COMMAND --help`, the unknown-command message and the
// dispatch of Execute are all read from it; a test checks that the flags
// each command parses are the ones listed here, another that
// docs/admin.md lists the same usages.

// Command is one command of the tacit command line.
type Command struct {
	// Name is the command's words after "tacit": "serve", "list create".
	Name string
	// Usage holds the usage lines: the first starts with "tacit NAME",
	// the others continue it (they start with spaces and "[").
	Usage []string
	// Summary says in one line what the command does.
	Summary string
	// Flags are the command's flags, --config and --help aside.
	Flags []Flag
	// Local commands run in the tacit process itself (cmd/tacit), not
	// through Execute: they never reach the admin socket.
	Local bool

	run func(a *Admin, args []string, w io.Writer) error
}

// Flag is one flag of a command.
type Flag struct {
	// Name is the flag's name without dashes: "lang".
	Name string
	// Arg is the value it takes ("TEXT", "fr|en"); "" for a boolean
	// flag, and one starting with "=" for a boolean written with its
	// value ("=true|false").
	Arg string
	// Help says in one line what the flag does.
	Help string
}

// IsBool reports whether f is a boolean flag (given alone or as
// --NAME=false).
func (f Flag) IsBool() bool { return f.Arg == "" || strings.HasPrefix(f.Arg, "=") }

// Spelling is the flag as written on a command line: "--lang fr|en",
// "--json", "--enabled=true|false".
func (f Flag) Spelling() string {
	switch {
	case f.Arg == "":
		return "--" + f.Name
	case strings.HasPrefix(f.Arg, "="):
		return "--" + f.Name + f.Arg
	}
	return "--" + f.Name + " " + f.Arg
}

// listFlagTable returns the flags of `list create` and `list set`.
func listFlagTable() []Flag {
	return []Flag{
		{Name: "name", Arg: "TEXT", Help: "the list's display name, shown in the Subject prefix and in the notices"},
		{Name: "lang", Arg: "fr|en", Help: "the language of the list's notices (default: the server's language)"},
		{Name: "deadline", Arg: "DUR", Help: "time left to object when a proposal names none: 72h, 90m, or days: 3d"},
		{Name: "owner", Arg: "ADDR", Help: "an owner's address; repeat for several (with list set, they replace the current owners)"},
		{Name: "public-register", Help: "publish the list's register of decisions on the web (=false hides it)"},
		{Name: "from-rewrite", Arg: "dmarc|always|never", Help: "when a post's From becomes the list's address: dmarc (the default: if the author's domain needs it), always, never"},
		{Name: "no-prefix", Help: "no [name] prefix in the Subject of posts (=false puts it back)"},
		{Name: "moderated", Help: "hold every post except the owners' until an owner approves it"},
		{Name: "announce-only", Help: "only the owners may post; the others' posts are held for the owners"},
		{Name: "require-auth", Help: "the older spelling of --authentication dkim"},
		{Name: "authentication", Arg: "dkim-or-confirm|dkim|none", Help: "how tacit checks that a proposal or command comes from its sender (default: the server's)"},
		{Name: "footer-file", Arg: "FILE", Help: "a text file holding the list's charter, added at the end of every post"},
		{Name: "footer", Arg: "TEXT", Help: "the list's charter, given on the command line (--footer \"\" removes it)"},
	}
}

// commandTable returns the table, in the order of `tacit help`. It is
// a function rather than a variable so that nobody changes it at run
// time.
func commandTable() []Command {
	flagJSON := Flag{Name: "json", Help: "print one JSON document, for scripts"}
	flagJSONOneArray := Flag{Name: "json", Help: "print one JSON document (an array), for scripts"}
	return []Command{
		{Name: "serve", Local: true, Usage: []string{"tacit serve"},
			Summary: "run the list server: mail in and out, archives, web pages, deadlines (systemd runs it)"},
		{Name: "init", Local: true, Usage: []string{"tacit init [--domain D] [--dir DIR]"},
			Summary: "set up a server: write tacit.toml, a systemd unit, a DKIM key; print DNS records, Postfix lines",
			Flags: []Flag{
				{Name: "domain", Arg: "D", Help: "the domain of the lists' addresses (default: this machine's name, if it has a dot)"},
				{Name: "dir", Arg: "DIR", Help: "where to write the files (default: the current directory)"},
				{Name: "lang", Arg: "fr|en", Help: "language of what init prints and of the comments in tacit.toml (default fr)"},
				{Name: "force", Help: "replace files that already exist"},
				{Name: "selector", Arg: "NAME", Help: "the name of the new DKIM key in DNS, its selector (default: tacit, the year and the month)"},
				{Name: "report-to", Arg: "ADDR", Help: "the address that receives DMARC reports (default: postmaster at the parent domain)"},
				{Name: "binary", Arg: "PATH", Help: "the program the unit runs (default: this one if under /usr or /opt, else /usr/bin/tacit)"},
			}},
		{Name: "migrate", Local: true,
			Usage:   []string{"tacit migrate --from bbolt:PATH|postgres:DSN --to bbolt:PATH|postgres:DSN"},
			Summary: "copy all of tacit's data from one store to another; stop the server first",
			Flags: []Flag{
				{Name: "from", Arg: "bbolt:PATH|postgres:DSN", Help: "the store to read"},
				{Name: "to", Arg: "bbolt:PATH|postgres:DSN", Help: "the store to write, new or empty"},
			}},
		{Name: "list create", run: (*Admin).listCreate,
			Usage: []string{"tacit list create ADDR [--name TEXT] [--lang fr|en] [--deadline DUR] [--owner ADDR]...",
				"    [--public-register] [--from-rewrite dmarc|always|never] [--no-prefix]",
				"    [--moderated] [--announce-only] [--require-auth]",
				"    [--authentication dkim-or-confirm|dkim|none]",
				"    [--footer-file FILE | --footer TEXT]"},
			Summary: "create a list", Flags: listFlagTable()},
		{Name: "list set", run: (*Admin).listSet,
			Usage:   []string{"tacit list set ADDR (the flags of list create)"},
			Summary: "change a list's settings; only the flags given change anything", Flags: listFlagTable()},
		{Name: "list ls", run: (*Admin).listLs, Usage: []string{"tacit list ls [--json]"},
			Summary: "show the lists, with their language, members and owners", Flags: []Flag{flagJSONOneArray}},
		{Name: "list export", run: (*Admin).listExport, Usage: []string{"tacit list export LIST [--output DIR]"},
			Summary: "write the list's archive to DIR/LIST.mbox (mboxrd) and its register to DIR/LIST.json",
			Flags: []Flag{{Name: "output", Arg: "DIR",
				Help: "the folder to write in, created if needed (default: the current folder)"}}},
		{Name: "list rm", run: (*Admin).listRm, Usage: []string{"tacit list rm LIST [--force]"},
			Summary: "delete a list and everything kept for it; refused until list export has saved it",
			Flags: []Flag{{Name: "force",
				Help: "delete it even without an export since its last change (its data is then lost)"}}},
		{Name: "member add", run: (*Admin).memberAdd, Usage: []string{"tacit member add LIST ADDR..."},
			Summary: "subscribe addresses to a list, without asking them to confirm"},
		{Name: "member rm", run: (*Admin).memberRm, Usage: []string{"tacit member rm LIST ADDR..."},
			Summary: "unsubscribe addresses from a list"},
		{Name: "member ls", run: (*Admin).memberLs, Usage: []string{"tacit member ls LIST [--json]"},
			Summary: "show a list's members, then its banned and moderated addresses", Flags: []Flag{flagJSONOneArray}},
		{Name: "member set", run: (*Admin).memberSet,
			Usage: []string{"tacit member set LIST ADDR [--moderated=true|false] [--enabled=true|false]",
				"    [--mode normal|digest|nomail [--until DATE]]"},
			Summary: "for one member: moderate, stop or resume delivery, choose how posts arrive",
			Flags: []Flag{
				{Name: "moderated", Arg: "=true|false", Help: "hold this member's posts for the owners (kept if the address leaves and comes back)"},
				{Name: "enabled", Arg: "=true|false", Help: "deliver to this member or not; true also forgets past bounces"},
				{Name: "mode", Arg: "normal|digest|nomail", Help: "every post, one digest a day, or no posts (decisions always come)"},
				{Name: "until", Arg: "DATE", Help: "with --mode nomail: the day posts start again, like 15/01/2027"},
			}},
		{Name: "member ban", run: func(a *Admin, args []string, w io.Writer) error { return a.memberBan(true, args, w) },
			Usage:   []string{"tacit member ban LIST ADDR|@DOMAIN..."},
			Summary: "ban addresses or domains: their mail is dropped without answer and they cannot subscribe"},
		{Name: "member unban", run: func(a *Admin, args []string, w io.Writer) error { return a.memberBan(false, args, w) },
			Usage:   []string{"tacit member unban LIST ADDR|@DOMAIN..."},
			Summary: "lift bans on addresses or domains"},
		{Name: "member passwd", run: (*Admin).memberPasswd, Usage: []string{"tacit member passwd LIST ADDR"},
			Summary: "print a new password for a member to read the archives (IMAP); tacit keeps only its hash"},
		{Name: "ban ls", run: (*Admin).banLs, Usage: []string{"tacit ban ls LIST [--json]"},
			Summary: "show a list's banned and moderated addresses", Flags: []Flag{flagJSON}},
		{Name: "held ls", run: (*Admin).heldLs, Usage: []string{"tacit held ls [LIST] [--json]"},
			Summary: "show the posts waiting for an owner's decision (all lists if LIST is left out)", Flags: []Flag{flagJSONOneArray}},
		{Name: "held approve", run: func(a *Admin, args []string, w io.Writer) error { return a.heldDecide(true, args, w) },
			Usage:   []string{"tacit held approve ID"},
			Summary: "accept a held post and distribute it (ID from held ls)"},
		{Name: "held reject", run: func(a *Admin, args []string, w io.Writer) error { return a.heldDecide(false, args, w) },
			Usage:   []string{"tacit held reject ID [--reason TEXT]"},
			Summary: "refuse a held post; its author is told (ID from held ls)",
			Flags:   []Flag{{Name: "reason", Arg: "TEXT", Help: "why, in the message to the post's author"}}},
		{Name: "proposal ls", run: (*Admin).proposalLs,
			Usage:   []string{"tacit proposal ls [LIST] [--status open|adopted|blocked|withdrawn|rejected] [--json]"},
			Summary: "show the proposals (all lists if LIST is left out)",
			Flags: []Flag{
				{Name: "status", Arg: "open|adopted|blocked|withdrawn|rejected", Help: "only the proposals in that state"},
				flagJSONOneArray,
			}},
		{Name: "proposal show", run: (*Admin).proposalShow, Usage: []string{"tacit proposal show LIST#N [--json]"},
			Summary: "show one proposal: its text, state, deadline and history (LIST#N from proposal ls)", Flags: []Flag{flagJSON}},
		{Name: "proposal settle", run: (*Admin).proposalSettle,
			Usage:   []string{"tacit proposal settle LIST#N adopted|rejected|postponed [--note TEXT]"},
			Summary: "record what a meeting decided on a proposal; the list is told",
			Flags:   []Flag{{Name: "note", Arg: "TEXT", Help: "what the meeting noted, quoted in the message to the list"}}},
		{Name: "meeting add", run: (*Admin).meetingAdd,
			Usage:   []string{"tacit meeting add LIST WHEN [--place TEXT] [--title TEXT]"},
			Summary: "announce a meeting; WHEN is written like a deadline: 12/01/2027 18h30",
			Flags: []Flag{
				{Name: "place", Arg: "TEXT", Help: "where the meeting takes place"},
				{Name: "title", Arg: "TEXT", Help: "what the meeting is about"},
			}},
		{Name: "meeting ls", run: (*Admin).meetingLs, Usage: []string{"tacit meeting ls [LIST] [--json]"},
			Summary: "show the meetings to come (all lists if LIST is left out)", Flags: []Flag{flagJSONOneArray}},
		{Name: "meeting rm", run: (*Admin).meetingRm, Usage: []string{"tacit meeting rm LIST ID"},
			Summary: "cancel a meeting (ID from meeting ls)"},
		{Name: "digest send", run: (*Admin).digestSend, Usage: []string{"tacit digest send [LIST]"},
			Summary: "send the daily digest now, without waiting for its time (all lists if LIST is left out)"},
		{Name: "report", run: (*Admin).report,
			Usage:   []string{"tacit report LIST [--from DATE] [--to DATE] [--format text|html|csv|json]"},
			Summary: "print the decisions taken over a period (default: the last twelve months)",
			Flags: []Flag{
				{Name: "from", Arg: "DATE", Help: "first day, YYYY-MM-DD (default: twelve months before --to)"},
				{Name: "to", Arg: "DATE", Help: "last day, YYYY-MM-DD (default: today)"},
				{Name: "format", Arg: "text|html|csv|json", Help: "the format of the report (default text)"},
			}},
		{Name: "explain", run: (*Admin).explain, Usage: []string{"tacit explain FILE|- [--list NAME] [--json]"},
			Summary: "show what tacit understands in one message (- reads standard input); changes nothing",
			Flags: []Flag{
				{Name: "list", Arg: "NAME", Help: "the list the message is for (default: the one in its To header)"},
				{Name: "json", Help: "print one JSON document, for scripts"},
			}},
		{Name: "backup", run: (*Admin).backup, Usage: []string{"tacit backup FILE"},
			Summary: "write a consistent copy of all of tacit's data to a new FILE, while the server runs or not"},
		{Name: "version", Local: true, Usage: []string{"tacit version [--json]"},
			Summary: "print tacit's version, the Go version and the commit it was built from",
			Flags:   []Flag{{Name: "json", Help: `print {"version": …, "go": …, "commit": …}`}}},
		{Name: "help", Local: true, Usage: []string{"tacit help [COMMAND]"},
			Summary: "list the commands, or show one command's usage and flags (like tacit COMMAND --help)"},
	}
}

// Commands returns the table of tacit's commands, in the order of
// `tacit help`.
func Commands() []Command { return commandTable() }

// FindCommand returns the command args start with: the one whose name
// matches the most leading words of args.
func FindCommand(args []string) (Command, bool) {
	var found Command
	best := 0
	for _, c := range commandTable() {
		words := strings.Fields(c.Name)
		if len(words) > best && len(args) >= len(words) && equalWords(words, args[:len(words)]) {
			found, best = c, len(words)
		}
	}
	return found, best > 0
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// IsCommand reports whether args name a command Execute runs (a command
// of the table that is not local).
func IsCommand(args []string) bool {
	c, ok := FindCommand(args)
	return ok && !c.Local
}
