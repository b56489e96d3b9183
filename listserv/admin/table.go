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
		{Name: "name", Arg: "TEXT", Help: "the list's display name (in the Subject prefix and the notices)"},
		{Name: "lang", Arg: "fr|en", Help: "the language of the list's notices (default: the server's language)"},
		{Name: "deadline", Arg: "DUR", Help: "the default deadline of proposals: 72h, 90m or days, 3d"},
		{Name: "owner", Arg: "ADDR", Help: "an owner's address; repeat it for several (list set: they replace the old ones)"},
		{Name: "public-register", Help: "publish the list's decision register on the web (=false to hide it)"},
		{Name: "from-rewrite", Arg: "dmarc|always|never", Help: "when From is rewritten to the list's address (default dmarc)"},
		{Name: "no-prefix", Help: "no [name] prefix in the Subject of posts (=false to put it back)"},
		{Name: "moderated", Help: "hold every post but the owners' for moderation"},
		{Name: "announce-only", Help: "only the owners may post; the others' posts are held"},
		{Name: "require-auth", Help: "the older spelling of --authentication dkim"},
		{Name: "authentication", Arg: "dkim-or-confirm|dkim|none", Help: "how a proposal or command is tied to its sender (default: the server's)"},
		{Name: "footer-file", Arg: "FILE", Help: "a file holding the list's charter, added to every post"},
		{Name: "footer", Arg: "TEXT", Help: "the list's charter as text (\"\" removes it)"},
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
			Summary: "run the list server: SMTP, IMAP, HTTP, delivery, deadlines, the admin socket"},
		{Name: "init", Local: true, Usage: []string{"tacit init [--domain D] [--dir DIR]"},
			Summary: "write tacit.toml, a systemd unit and a DKIM key; print the DNS records and the Postfix lines",
			Flags: []Flag{
				{Name: "domain", Arg: "D", Help: "the domain of the lists (default: this machine's name, if it has a dot)"},
				{Name: "dir", Arg: "DIR", Help: "where to write the files (default: the current directory)"},
				{Name: "lang", Arg: "fr|en", Help: "language of what init prints and of the file's comments (default fr)"},
				{Name: "force", Help: "replace files that already exist"},
				{Name: "selector", Arg: "NAME", Help: "the DKIM selector of the new key (default: tacit and the year and month)"},
				{Name: "report-to", Arg: "ADDR", Help: "the mailbox of DMARC reports (default: postmaster at the parent domain)"},
				{Name: "binary", Arg: "PATH", Help: "tacit's path in the unit (default: this program under /usr or /opt, else /usr/bin/tacit)"},
			}},
		{Name: "migrate", Local: true,
			Usage:   []string{"tacit migrate --from bbolt:PATH|postgres:DSN --to bbolt:PATH|postgres:DSN"},
			Summary: "copy a whole store from one storage to another (the server stopped)",
			Flags: []Flag{
				{Name: "from", Arg: "bbolt:PATH|postgres:DSN", Help: "the store to read"},
				{Name: "to", Arg: "bbolt:PATH|postgres:DSN", Help: "the store to write (new or empty)"},
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
			Summary: "change a list's settings; only the flags given change", Flags: listFlagTable()},
		{Name: "list ls", run: (*Admin).listLs, Usage: []string{"tacit list ls [--json]"},
			Summary: "the lists, their language, members and owners", Flags: []Flag{flagJSONOneArray}},
		{Name: "list export", run: (*Admin).listExport, Usage: []string{"tacit list export LIST [--output DIR]"},
			Summary: "write the list's archive to DIR/LIST.mbox (mboxrd) and its register to DIR/LIST.json",
			Flags: []Flag{{Name: "output", Arg: "DIR",
				Help: "the directory to write in, created if needed (default: the current directory)"}}},
		{Name: "list rm", run: (*Admin).listRm, Usage: []string{"tacit list rm LIST [--force]"},
			Summary: "remove a list and everything kept for it, once list export has saved it",
			Flags: []Flag{{Name: "force",
				Help: "remove it even if it was not exported since its last change"}}},
		{Name: "member add", run: (*Admin).memberAdd, Usage: []string{"tacit member add LIST ADDR..."},
			Summary: "subscribe addresses to a list (no confirmation asked)"},
		{Name: "member rm", run: (*Admin).memberRm, Usage: []string{"tacit member rm LIST ADDR..."},
			Summary: "unsubscribe addresses from a list"},
		{Name: "member ls", run: (*Admin).memberLs, Usage: []string{"tacit member ls LIST [--json]"},
			Summary: "a list's members, then its bans and moderated addresses", Flags: []Flag{flagJSONOneArray}},
		{Name: "member set", run: (*Admin).memberSet,
			Usage: []string{"tacit member set LIST ADDR [--moderated=true|false] [--enabled=true|false]",
				"    [--mode normal|digest|nomail [--until DATE]]"},
			Summary: "moderate one member, stop or resume delivery, choose the delivery mode",
			Flags: []Flag{
				{Name: "moderated", Arg: "=true|false", Help: "hold this member's posts for moderation (sticks to the address)"},
				{Name: "enabled", Arg: "=true|false", Help: "deliver to this member; true also forgets the bounce days"},
				{Name: "mode", Arg: "normal|digest|nomail", Help: "each post, one digest a day, or no ordinary post (decisions always come)"},
				{Name: "until", Arg: "DATE", Help: "with --mode nomail: the day posts come again (15/01/2027)"},
			}},
		{Name: "member ban", run: func(a *Admin, args []string, w io.Writer) error { return a.memberBan(true, args, w) },
			Usage:   []string{"tacit member ban LIST ADDR|@DOMAIN..."},
			Summary: "ban addresses or domains: their mail is discarded unanswered, they cannot subscribe"},
		{Name: "member unban", run: func(a *Admin, args []string, w io.Writer) error { return a.memberBan(false, args, w) },
			Usage:   []string{"tacit member unban LIST ADDR|@DOMAIN..."},
			Summary: "lift bans"},
		{Name: "member passwd", run: (*Admin).memberPasswd, Usage: []string{"tacit member passwd LIST ADDR"},
			Summary: "print a new IMAP archive password for a member (only its hash is kept)"},
		{Name: "ban ls", run: (*Admin).banLs, Usage: []string{"tacit ban ls LIST [--json]"},
			Summary: "a list's bans and moderated addresses", Flags: []Flag{flagJSON}},
		{Name: "held ls", run: (*Admin).heldLs, Usage: []string{"tacit held ls [LIST] [--json]"},
			Summary: "the posts held for moderation (of every list without LIST)", Flags: []Flag{flagJSONOneArray}},
		{Name: "held approve", run: func(a *Admin, args []string, w io.Writer) error { return a.heldDecide(true, args, w) },
			Usage:   []string{"tacit held approve ID"},
			Summary: "distribute a held post (ID from held ls)"},
		{Name: "held reject", run: func(a *Admin, args []string, w io.Writer) error { return a.heldDecide(false, args, w) },
			Usage:   []string{"tacit held reject ID [--reason TEXT]"},
			Summary: "refuse a held post; its author is told",
			Flags:   []Flag{{Name: "reason", Arg: "TEXT", Help: "why, told to the post's author"}}},
		{Name: "proposal ls", run: (*Admin).proposalLs,
			Usage:   []string{"tacit proposal ls [LIST] [--status open|adopted|blocked|withdrawn|rejected] [--json]"},
			Summary: "the proposals (of every list without LIST)",
			Flags: []Flag{
				{Name: "status", Arg: "open|adopted|blocked|withdrawn|rejected", Help: "only the proposals in that state"},
				flagJSONOneArray,
			}},
		{Name: "proposal show", run: (*Admin).proposalShow, Usage: []string{"tacit proposal show LIST#N [--json]"},
			Summary: "one proposal: its text, state, deadline and timeline", Flags: []Flag{flagJSON}},
		{Name: "proposal settle", run: (*Admin).proposalSettle,
			Usage:   []string{"tacit proposal settle LIST#N adopted|rejected|postponed [--note TEXT]"},
			Summary: "record what a meeting decided on a proposal; the list gets the notice",
			Flags:   []Flag{{Name: "note", Arg: "TEXT", Help: "what the meeting noted, quoted in the notice"}}},
		{Name: "meeting add", run: (*Admin).meetingAdd,
			Usage:   []string{"tacit meeting add LIST WHEN [--place TEXT] [--title TEXT]"},
			Summary: "announce a meeting; WHEN is written like a deadline: 12/01/2027 18h30",
			Flags: []Flag{
				{Name: "place", Arg: "TEXT", Help: "where the meeting is"},
				{Name: "title", Arg: "TEXT", Help: "what it is"},
			}},
		{Name: "meeting ls", run: (*Admin).meetingLs, Usage: []string{"tacit meeting ls [LIST] [--json]"},
			Summary: "the meetings to come (of every list without LIST)", Flags: []Flag{flagJSONOneArray}},
		{Name: "meeting rm", run: (*Admin).meetingRm, Usage: []string{"tacit meeting rm LIST ID"},
			Summary: "cancel a meeting (ID from meeting ls)"},
		{Name: "digest send", run: (*Admin).digestSend, Usage: []string{"tacit digest send [LIST]"},
			Summary: "send the digest of the posts kept so far now (of every list without LIST)"},
		{Name: "report", run: (*Admin).report,
			Usage:   []string{"tacit report LIST [--from DATE] [--to DATE] [--format text|html|csv|json]"},
			Summary: "the record of the decisions of a period (default: the last twelve months)",
			Flags: []Flag{
				{Name: "from", Arg: "DATE", Help: "first day, YYYY-MM-DD (default: twelve months before --to)"},
				{Name: "to", Arg: "DATE", Help: "last day, YYYY-MM-DD (default: today)"},
				{Name: "format", Arg: "text|html|csv|json", Help: "the format of the record (default text)"},
			}},
		{Name: "explain", run: (*Admin).explain, Usage: []string{"tacit explain FILE|- [--list NAME] [--json]"},
			Summary: "what tacit reads in one message (- reads it from stdin); changes nothing",
			Flags: []Flag{
				{Name: "list", Arg: "NAME", Help: "the list the message is for (default: from its To header)"},
				{Name: "json", Help: "print one JSON document, for scripts"},
			}},
		{Name: "backup", run: (*Admin).backup, Usage: []string{"tacit backup FILE"},
			Summary: "write a consistent copy of the store to a new FILE, server running or not"},
		{Name: "version", Local: true, Usage: []string{"tacit version [--json]"},
			Summary: "print tacit's version, the Go version and the commit it was built from",
			Flags:   []Flag{{Name: "json", Help: `print {"version": …, "go": …, "commit": …}`}}},
		{Name: "help", Local: true, Usage: []string{"tacit help [COMMAND]"},
			Summary: "the commands, or one command's usage and flags (as tacit COMMAND --help)"},
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
