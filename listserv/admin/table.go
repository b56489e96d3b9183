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
	Summary Text
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
	Help Text
}

// Text is a text of the command line in French, the default, and in
// English.
type Text struct {
	Fr, En string
}

// In returns the text in lang: English for "en", else French.
func (t Text) In(lang string) string {
	if lang == "en" {
		return t.En
	}
	return t.Fr
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
		{Name: "name", Arg: "TEXT", Help: Text{
			Fr: "le nom affiché de la liste, dans le préfixe du sujet des messages et dans les avis",
			En: "the list's display name, shown in the Subject prefix and in the notices"}},
		{Name: "lang", Arg: "fr|en", Help: Text{
			Fr: "la langue des avis de la liste (par défaut : celle du serveur)",
			En: "the language of the list's notices (default: the server's language)"}},
		{Name: "deadline", Arg: "DUR", Help: Text{
			Fr: "le délai pour objecter quand une proposition n'en donne pas : 72h, 90m, ou en jours : 3d",
			En: "time left to object when a proposal names none: 72h, 90m, or days: 3d"}},
		{Name: "owner", Arg: "ADDR", Help: Text{
			Fr: "l'adresse d'un responsable ; à répéter pour plusieurs (avec list set, ils remplacent les responsables actuels)",
			En: "an owner's address; repeat for several (with list set, they replace the current owners)"}},
		{Name: "public-register", Help: Text{
			Fr: "publier sur le web le registre des décisions de la liste (=false le cache)",
			En: "publish the list's register of decisions on the web (=false hides it)"}},
		{Name: "from-rewrite", Arg: "dmarc|always|never", Help: Text{
			Fr: "quand le From d'un message devient l'adresse de la liste : dmarc (par défaut : si le domaine de l'auteur l'exige), always (toujours), never (jamais)",
			En: "when a post's From becomes the list's address: dmarc (the default: if the author's domain needs it), always, never"}},
		{Name: "no-prefix", Help: Text{
			Fr: "pas de préfixe [nom] dans le sujet des messages (=false le remet)",
			En: "no [name] prefix in the Subject of posts (=false puts it back)"}},
		{Name: "moderated", Help: Text{
			Fr: "retenir chaque message, sauf ceux des responsables, jusqu'à ce qu'un responsable l'accepte",
			En: "hold every post except the owners' until an owner approves it"}},
		{Name: "announce-only", Help: Text{
			Fr: "seuls les responsables peuvent écrire ; les messages des autres leur sont retenus",
			En: "only the owners may post; the others' posts are held for the owners"}},
		{Name: "require-auth", Help: Text{
			Fr: "l'ancienne écriture de --authentication dkim",
			En: "the older spelling of --authentication dkim"}},
		{Name: "authentication", Arg: "dkim-or-confirm|dkim|none", Help: Text{
			Fr: "comment tacit vérifie qu'une proposition ou une commande vient bien de son expéditeur (par défaut : le réglage du serveur)",
			En: "how tacit checks that a proposal or command comes from its sender (default: the server's)"}},
		{Name: "footer-file", Arg: "FILE", Help: Text{
			Fr: "un fichier texte contenant la charte de la liste, ajoutée à la fin de chaque message",
			En: "a text file holding the list's charter, added at the end of every post"}},
		{Name: "footer", Arg: "TEXT", Help: Text{
			Fr: "la charte de la liste, donnée sur la ligne de commande (--footer \"\" l'enlève)",
			En: "the list's charter, given on the command line (--footer \"\" removes it)"}},
	}
}

// Group is a heading of `tacit help` and the commands under it.
type Group struct {
	// Title is the heading.
	Title Text
	// Commands are the commands under it, in the order of the help.
	Commands []Command
}

// groupTable returns the table, by group, in the order of `tacit help`.
// It is a function rather than a variable so that nobody changes it at
// run time.
func groupTable() []Group {
	flagJSON := Flag{Name: "json", Help: Text{
		Fr: "afficher un seul document JSON, pour les scripts",
		En: "print one JSON document, for scripts"}}
	flagJSONOneArray := Flag{Name: "json", Help: Text{
		Fr: "afficher un seul document JSON (un tableau), pour les scripts",
		En: "print one JSON document (an array), for scripts"}}
	return []Group{
		{Title: Text{Fr: "Serveur et installation", En: "Server and setup"}, Commands: []Command{
			{Name: "serve", Local: true, Usage: []string{"tacit serve"},
				Summary: Text{
					Fr: "faire tourner le serveur de listes : courrier entrant et sortant, archives, pages web, échéances (systemd le lance)",
					En: "run the list server: mail in and out, archives, web pages, deadlines (systemd runs it)"}},
			{Name: "init", Local: true, Usage: []string{"tacit init [--domain D] [--dir DIR] [--postmaster ADDR]"},
				Summary: Text{
					Fr: "installer un serveur : écrire tacit.toml, un service systemd, une clé DKIM ; afficher les enregistrements DNS et les lignes pour Postfix",
					En: "set up a server: write tacit.toml, a systemd unit, a DKIM key; print DNS records, Postfix lines"},
				Flags: []Flag{
					{Name: "domain", Arg: "D", Help: Text{
						Fr: "le domaine des adresses des listes (par défaut : le nom de cette machine, s'il contient un point)",
						En: "the domain of the lists' addresses (default: this machine's name, if it has a dot)"}},
					{Name: "dir", Arg: "DIR", Help: Text{
						Fr: "où écrire les fichiers (par défaut : le dossier courant)",
						En: "where to write the files (default: the current directory)"}},
					{Name: "lang", Arg: "fr|en", Help: Text{
						Fr: "la langue de ce qu'affiche init et des commentaires de tacit.toml (par défaut : celle de la locale, fr sinon)",
						En: "language of what init prints and of the comments in tacit.toml (default: the locale's, else fr)"}},
					{Name: "force", Help: Text{
						Fr: "remplacer les fichiers qui existent déjà",
						En: "replace files that already exist"}},
					{Name: "selector", Arg: "NAME", Help: Text{
						Fr: "le nom de la nouvelle clé DKIM dans le DNS, son sélecteur (par défaut : tacit, l'année et le mois)",
						En: "the name of the new DKIM key in DNS, its selector (default: tacit, the year and the month)"}},
					{Name: "postmaster", Arg: "ADDR", Help: Text{
						Fr: "votre propre adresse, sur un autre domaine : Postfix y fait suivre le courrier écrit à postmaster@ et abuse@ du domaine des listes (indispensable sur un vrai serveur)",
						En: "your own address, where Postfix forwards postmaster@ and abuse@ the domain (needed for a real server)"}},
					{Name: "report-to", Arg: "ADDR", Help: Text{
						Fr: "l'adresse qui reçoit les rapports DMARC (par défaut : postmaster@ du domaine des listes avec --postmaster, sinon postmaster@ du domaine parent)",
						En: "the address that receives DMARC reports (default: postmaster at the domain with --postmaster, else at the parent domain)"}},
					{Name: "binary", Arg: "PATH", Help: Text{
						Fr: "le programme que lance le service (par défaut : celui-ci s'il est sous /usr ou /opt, sinon /usr/bin/tacit)",
						En: "the program the unit runs (default: this one if under /usr or /opt, else /usr/bin/tacit)"}},
				}},
		}},
		{Title: Text{Fr: "Listes", En: "Lists"}, Commands: []Command{
			{Name: "list create", run: (*Admin).listCreate,
				Usage: []string{"tacit list create ADDR [--name TEXT] [--lang fr|en] [--deadline DUR] [--owner ADDR]...",
					"    [--public-register] [--from-rewrite dmarc|always|never] [--no-prefix]",
					"    [--moderated] [--announce-only] [--require-auth]",
					"    [--authentication dkim-or-confirm|dkim|none]",
					"    [--footer-file FILE | --footer TEXT]"},
				Summary: Text{Fr: "créer une liste", En: "create a list"}, Flags: listFlagTable()},
			{Name: "list set", run: (*Admin).listSet,
				Usage: []string{"tacit list set ADDR (the flags of list create)"},
				Summary: Text{
					Fr: "changer les réglages d'une liste ; seules les options données changent quelque chose",
					En: "change a list's settings; only the flags given change anything"}, Flags: listFlagTable()},
			{Name: "list ls", run: (*Admin).listLs, Usage: []string{"tacit list ls [--json]"},
				Summary: Text{
					Fr: "afficher les listes, avec leur langue, leurs membres et leurs responsables",
					En: "show the lists, with their language, members and owners"}, Flags: []Flag{flagJSONOneArray}},
			{Name: "list rm", run: (*Admin).listRm, Usage: []string{"tacit list rm LIST [--force]"},
				Summary: Text{
					Fr: "supprimer une liste et tout ce qui est gardé pour elle ; refusé tant que list export ne l'a pas sauvegardée",
					En: "delete a list and everything kept for it; refused until list export has saved it"},
				Flags: []Flag{{Name: "force", Help: Text{
					Fr: "la supprimer même sans export depuis son dernier changement (ses données sont alors perdues)",
					En: "delete it even without an export since its last change (its data is then lost)"}}}},
		}},
		{Title: Text{Fr: "Membres", En: "Members"}, Commands: []Command{
			{Name: "member add", run: (*Admin).memberAdd, Usage: []string{"tacit member add LIST ADDR..."},
				Summary: Text{
					Fr: "inscrire des adresses à une liste, sans leur demander de confirmer",
					En: "subscribe addresses to a list, without asking them to confirm"}},
			{Name: "member rm", run: (*Admin).memberRm, Usage: []string{"tacit member rm LIST ADDR..."},
				Summary: Text{Fr: "désinscrire des adresses d'une liste", En: "unsubscribe addresses from a list"}},
			{Name: "member ls", run: (*Admin).memberLs, Usage: []string{"tacit member ls LIST [--json]"},
				Summary: Text{
					Fr: "afficher les membres d'une liste, puis ses adresses bannies et modérées",
					En: "show a list's members, then its banned and moderated addresses"}, Flags: []Flag{flagJSONOneArray}},
			{Name: "member set", run: (*Admin).memberSet,
				Usage: []string{"tacit member set LIST ADDR [--moderated=true|false] [--enabled=true|false]",
					"    [--mode normal|digest|nomail [--until DATE]]"},
				Summary: Text{
					Fr: "pour un membre : le modérer, arrêter ou reprendre l'envoi, choisir comment les messages lui arrivent",
					En: "for one member: moderate, stop or resume delivery, choose how posts arrive"},
				Flags: []Flag{
					{Name: "moderated", Arg: "=true|false", Help: Text{
						Fr: "retenir les messages de ce membre pour les responsables (gardé si l'adresse part et revient)",
						En: "hold this member's posts for the owners (kept if the address leaves and comes back)"}},
					{Name: "enabled", Arg: "=true|false", Help: Text{
						Fr: "envoyer ou non à ce membre ; true oublie aussi les rejets passés",
						En: "deliver to this member or not; true also forgets past bounces"}},
					{Name: "mode", Arg: "normal|digest|nomail", Help: Text{
						Fr: "chaque message, un résumé par jour, ou aucun message (les décisions arrivent toujours)",
						En: "every post, one digest a day, or no posts (decisions always come)"}},
					{Name: "until", Arg: "DATE", Help: Text{
						Fr: "avec --mode nomail : le jour où les messages reprennent, comme 15/01/2027",
						En: "with --mode nomail: the day posts start again, like 15/01/2027"}},
				}},
			{Name: "member passwd", run: (*Admin).memberPasswd, Usage: []string{"tacit member passwd LIST ADDR"},
				Summary: Text{
					Fr: "afficher un nouveau mot de passe pour qu'un membre lise les archives (IMAP) ; tacit n'en garde que l'empreinte",
					En: "print a new password for a member to read the archives (IMAP); tacit keeps only its hash"}},
			{Name: "digest send", run: (*Admin).digestSend, Usage: []string{"tacit digest send [LIST]"},
				Summary: Text{
					Fr: "envoyer le résumé du jour maintenant, sans attendre son heure (toutes les listes si LIST est omis)",
					En: "send the daily digest now, without waiting for its time (all lists if LIST is left out)"}},
		}},
		{Title: Text{Fr: "Modération", En: "Moderation"}, Commands: []Command{
			{Name: "member ban", run: func(a *Admin, args []string, w io.Writer) error { return a.memberBan(true, args, w) },
				Usage: []string{"tacit member ban LIST ADDR|@DOMAIN..."},
				Summary: Text{
					Fr: "bannir des adresses ou des domaines : leur courrier est jeté sans réponse et ils ne peuvent pas s'inscrire",
					En: "ban addresses or domains: their mail is dropped without answer and they cannot subscribe"}},
			{Name: "member unban", run: func(a *Admin, args []string, w io.Writer) error { return a.memberBan(false, args, w) },
				Usage:   []string{"tacit member unban LIST ADDR|@DOMAIN..."},
				Summary: Text{Fr: "lever le bannissement d'adresses ou de domaines", En: "lift bans on addresses or domains"}},
			{Name: "ban ls", run: (*Admin).banLs, Usage: []string{"tacit ban ls LIST [--json]"},
				Summary: Text{
					Fr: "afficher les adresses bannies et modérées d'une liste",
					En: "show a list's banned and moderated addresses"}, Flags: []Flag{flagJSON}},
			{Name: "held ls", run: (*Admin).heldLs, Usage: []string{"tacit held ls [LIST] [--json]"},
				Summary: Text{
					Fr: "afficher les messages qui attendent la décision d'un responsable (toutes les listes si LIST est omis)",
					En: "show the posts waiting for an owner's decision (all lists if LIST is left out)"}, Flags: []Flag{flagJSONOneArray}},
			{Name: "held approve", run: func(a *Admin, args []string, w io.Writer) error { return a.heldDecide(true, args, w) },
				Usage: []string{"tacit held approve ID"},
				Summary: Text{
					Fr: "accepter un message retenu et le diffuser (ID donné par held ls)",
					En: "accept a held post and distribute it (ID from held ls)"}},
			{Name: "held reject", run: func(a *Admin, args []string, w io.Writer) error { return a.heldDecide(false, args, w) },
				Usage: []string{"tacit held reject ID [--reason TEXT]"},
				Summary: Text{
					Fr: "refuser un message retenu ; son auteur est prévenu (ID donné par held ls)",
					En: "refuse a held post; its author is told (ID from held ls)"},
				Flags: []Flag{{Name: "reason", Arg: "TEXT", Help: Text{
					Fr: "pourquoi, dans le message à l'auteur",
					En: "why, in the message to the post's author"}}}},
		}},
		{Title: Text{Fr: "Décisions", En: "Decisions"}, Commands: []Command{
			{Name: "proposal ls", run: (*Admin).proposalLs,
				Usage: []string{"tacit proposal ls [LIST] [--status open|adopted|blocked|withdrawn|rejected] [--json]"},
				Summary: Text{
					Fr: "afficher les propositions (toutes les listes si LIST est omis)",
					En: "show the proposals (all lists if LIST is left out)"},
				Flags: []Flag{
					{Name: "status", Arg: "open|adopted|blocked|withdrawn|rejected", Help: Text{
						Fr: "seulement les propositions dans cet état",
						En: "only the proposals in that state"}},
					flagJSONOneArray,
				}},
			{Name: "proposal show", run: (*Admin).proposalShow, Usage: []string{"tacit proposal show LIST#N [--json]"},
				Summary: Text{
					Fr: "afficher une proposition : son texte, son état, son échéance et son historique (LIST#N donné par proposal ls)",
					En: "show one proposal: its text, state, deadline and history (LIST#N from proposal ls)"}, Flags: []Flag{flagJSON}},
			{Name: "proposal settle", run: (*Admin).proposalSettle,
				Usage: []string{"tacit proposal settle LIST#N adopted|rejected|postponed [--note TEXT]"},
				Summary: Text{
					Fr: "enregistrer ce qu'une réunion a décidé d'une proposition ; la liste est prévenue",
					En: "record what a meeting decided on a proposal; the list is told"},
				Flags: []Flag{{Name: "note", Arg: "TEXT", Help: Text{
					Fr: "ce que la réunion a noté, cité dans le message à la liste",
					En: "what the meeting noted, quoted in the message to the list"}}}},
			{Name: "report", run: (*Admin).report,
				Usage: []string{"tacit report LIST [--from DATE] [--to DATE] [--format text|html|csv|json]"},
				Summary: Text{
					Fr: "afficher les décisions prises sur une période (par défaut : les douze derniers mois)",
					En: "print the decisions taken over a period (default: the last twelve months)"},
				Flags: []Flag{
					{Name: "from", Arg: "DATE", Help: Text{
						Fr: "le premier jour, AAAA-MM-JJ (par défaut : douze mois avant --to)",
						En: "first day, YYYY-MM-DD (default: twelve months before --to)"}},
					{Name: "to", Arg: "DATE", Help: Text{
						Fr: "le dernier jour, AAAA-MM-JJ (par défaut : aujourd'hui)",
						En: "last day, YYYY-MM-DD (default: today)"}},
					{Name: "format", Arg: "text|html|csv|json", Help: Text{
						Fr: "le format du rapport (par défaut text)",
						En: "the format of the report (default text)"}},
				}},
		}},
		{Title: Text{Fr: "Réunions", En: "Meetings"}, Commands: []Command{
			{Name: "meeting add", run: (*Admin).meetingAdd,
				Usage: []string{"tacit meeting add LIST WHEN [--place TEXT] [--title TEXT]"},
				Summary: Text{
					Fr: "annoncer une réunion ; WHEN s'écrit comme une échéance : 12/01/2027 18h30",
					En: "announce a meeting; WHEN is written like a deadline: 12/01/2027 18h30"},
				Flags: []Flag{
					{Name: "place", Arg: "TEXT", Help: Text{Fr: "où a lieu la réunion", En: "where the meeting takes place"}},
					{Name: "title", Arg: "TEXT", Help: Text{Fr: "l'objet de la réunion", En: "what the meeting is about"}},
				}},
			{Name: "meeting ls", run: (*Admin).meetingLs, Usage: []string{"tacit meeting ls [LIST] [--json]"},
				Summary: Text{
					Fr: "afficher les réunions à venir (toutes les listes si LIST est omis)",
					En: "show the meetings to come (all lists if LIST is left out)"}, Flags: []Flag{flagJSONOneArray}},
			{Name: "meeting rm", run: (*Admin).meetingRm, Usage: []string{"tacit meeting rm LIST ID"},
				Summary: Text{Fr: "annuler une réunion (ID donné par meeting ls)", En: "cancel a meeting (ID from meeting ls)"}},
		}},
		{Title: Text{Fr: "Sauvegarde et export", En: "Backup and export"}, Commands: []Command{
			{Name: "backup", run: (*Admin).backup, Usage: []string{"tacit backup FILE"},
				Summary: Text{
					Fr: "écrire une copie cohérente de toutes les données de tacit dans un nouveau FILE, serveur lancé ou non",
					En: "write a consistent copy of all of tacit's data to a new FILE, while the server runs or not"}},
			{Name: "list export", run: (*Admin).listExport, Usage: []string{"tacit list export LIST [--output DIR]"},
				Summary: Text{
					Fr: "écrire l'archive de la liste dans DIR/LIST.mbox (mboxrd) et son registre dans DIR/LIST.json",
					En: "write the list's archive to DIR/LIST.mbox (mboxrd) and its register to DIR/LIST.json"},
				Flags: []Flag{{Name: "output", Arg: "DIR", Help: Text{
					Fr: "le dossier où écrire, créé si besoin (par défaut : le dossier courant)",
					En: "the folder to write in, created if needed (default: the current folder)"}}}},
			{Name: "migrate", Local: true,
				Usage: []string{"tacit migrate --from bbolt:PATH|postgres:DSN --to bbolt:PATH|postgres:DSN"},
				Summary: Text{
					Fr: "copier toutes les données de tacit d'un stockage à un autre ; arrêter le serveur avant",
					En: "copy all of tacit's data from one store to another; stop the server first"},
				Flags: []Flag{
					{Name: "from", Arg: "bbolt:PATH|postgres:DSN", Help: Text{Fr: "le stockage à lire", En: "the store to read"}},
					{Name: "to", Arg: "bbolt:PATH|postgres:DSN", Help: Text{
						Fr: "le stockage à écrire, nouveau ou vide", En: "the store to write, new or empty"}},
				}},
		}},
		{Title: Text{Fr: "Diagnostic et aide", En: "Diagnosis and help"}, Commands: []Command{
			{Name: "explain", run: (*Admin).explain, Usage: []string{"tacit explain FILE|- [--list NAME] [--json]"},
				Summary: Text{
					Fr: "montrer ce que tacit comprend d'un message (- lit l'entrée standard) ; ne change rien",
					En: "show what tacit understands in one message (- reads standard input); changes nothing"},
				Flags: []Flag{
					{Name: "list", Arg: "NAME", Help: Text{
						Fr: "la liste à laquelle le message s'adresse (par défaut : celle de son en-tête To)",
						En: "the list the message is for (default: the one in its To header)"}},
					flagJSON,
				}},
			{Name: "version", Local: true, Usage: []string{"tacit version [--json]"},
				Summary: Text{
					Fr: "afficher la version de tacit, celle de Go et le commit dont il est construit",
					En: "print tacit's version, the Go version and the commit it was built from"},
				Flags: []Flag{{Name: "json", Help: Text{
					Fr: `afficher {"version": …, "go": …, "commit": …}`,
					En: `print {"version": …, "go": …, "commit": …}`}}}},
			{Name: "help", Local: true, Usage: []string{"tacit help [COMMAND]"},
				Summary: Text{
					Fr: "lister les commandes, ou montrer l'usage et les options d'une commande (comme tacit COMMAND --help)",
					En: "list the commands, or show one command's usage and flags (like tacit COMMAND --help)"}},
		}},
	}
}

// commandTable returns the commands of every group, in the order of
// `tacit help`.
func commandTable() []Command {
	var all []Command
	for _, g := range groupTable() {
		all = append(all, g.Commands...)
	}
	return all
}

// Groups returns the table by group, in the order of `tacit help`.
func Groups() []Group { return groupTable() }

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
