package admin

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"tacit/storage"
)

// Against trolls (docs/membership.md): `member ban|unban LIST ADDR|@DOMAIN`,
// `ban ls LIST`, the moderation set behind `member set --moderated`, and
// the list's charter (`list set --footer-file FILE`, `--footer ""`).

// MaxFooterBytes bounds a list's charter.
const MaxFooterBytes = 4096

// memberBan runs `member ban|unban LIST ADDR|@DOMAIN...`.
func (a *Admin) memberBan(ban bool, args []string, w io.Writer) error {
	name := map[bool]string{true: "member ban", false: "member unban"}[ban]
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usage(name)
	}
	list, err := a.checkListAddress(pos[0])
	if err != nil {
		return err
	}
	l, err := a.o.Store.List(list)
	if err != nil {
		return a.notFoundList(list, err)
	}
	var patterns []string
	for _, p := range pos[1:] {
		pat, err := a.checkBanPattern(p)
		if err != nil {
			return err
		}
		if ban && containsAddr(l.Owners, pat) {
			return a.errorf("%s est responsable de %s : retirez-le d'abord des responsables",
				"%s owns %s: remove it from the owners first", pat, list)
		}
		patterns = append(patterns, pat)
	}
	kind := storage.SanctionUnban
	if ban {
		kind = storage.SanctionBan
	}
	for _, pat := range patterns {
		member, _ := a.o.Store.IsMember(list, pat)
		changed, err := a.o.Store.Sanction(storage.Sanction{Kind: kind,
			Ban: storage.Ban{List: list, Pattern: pat, At: a.o.Now().UTC(), By: "cli"}})
		if err != nil {
			return a.notFoundList(list, err)
		}
		switch {
		case ban && changed:
			a.printf(w, "%s banni de %s\n", "banned %s from %s\n", Escape(pat), list)
		case ban:
			a.printf(w, "%s était déjà banni de %s\n", "%s was already banned from %s\n", Escape(pat), list)
		case changed:
			a.printf(w, "%s n'est plus banni de %s\n", "unbanned %s from %s\n", Escape(pat), list)
		default:
			a.printf(w, "%s n'était pas banni de %s\n", "%s was not banned from %s\n", Escape(pat), list)
		}
		if ban && member {
			a.printf(w, "%s n'est plus membre de %s\n", "%s is no longer a member of %s\n", Escape(pat), list)
		}
		if ban && strings.HasPrefix(pat, "@") {
			ms, err := a.o.Store.Members(list)
			if err != nil {
				return err
			}
			for _, m := range ms {
				if strings.HasSuffix(m.Address, pat) {
					a.printf(w, "remarque : %s est toujours membre (tacit member rm %s %s)\n",
						"note: %s is still a member (tacit member rm %s %s)\n", Escape(m.Address), list, Escape(m.Address))
				}
			}
		}
	}
	return nil
}

func containsAddr(addrs []string, a string) bool {
	for _, x := range addrs {
		if storage.NormalizeAddress(x) == a {
			return true
		}
	}
	return false
}

// checkBanPattern checks an address or "@domain".
func (a *Admin) checkBanPattern(p string) (string, error) {
	if d, ok := strings.CutPrefix(strings.TrimSpace(p), "@"); ok {
		if _, err := a.checkAddress("x@"+d, ""); err != nil {
			return "", a.errorf("%q n'est ni une adresse valide ni un @domaine", "%q is not a valid address or @domain", p)
		}
		return "@" + strings.ToLower(d), nil
	}
	addr, err := a.checkAddress(p, "")
	if err != nil || !strings.Contains(p, "@") {
		return "", a.errorf("%q n'est ni une adresse valide ni un @domaine", "%q is not a valid address or @domain", p)
	}
	return addr, nil
}

// banEntry is one line of `ban ls`.
type banEntry struct {
	storage.Ban
	Kind string `json:"kind"`
}

// banLs runs `ban ls LIST [--json]`: the bans and the moderation set.
func (a *Admin) banLs(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("ban ls", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	list, err := a.listArg(fs, args)
	if err != nil {
		return err
	}
	if _, err := a.o.Store.List(list); err != nil {
		return a.notFoundList(list, err)
	}
	entries, err := a.sanctions(list)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(w, entries)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, a.tr("TYPE\tADRESSE\tDEPUIS\tPAR", "KIND\tADDRESS\tSINCE\tBY"))
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.kindWord(e.Kind), Escape(e.Pattern), e.At.Format(time.RFC3339), Escape(e.By))
	}
	return tw.Flush()
}

func (a *Admin) sanctions(list string) ([]banEntry, error) {
	entries := []banEntry{}
	bans, err := a.o.Store.Bans(list)
	if err != nil {
		return nil, err
	}
	for _, b := range bans {
		entries = append(entries, banEntry{Ban: b, Kind: "banned"})
	}
	mods, err := a.o.Store.ModeratedAddresses(list)
	if err != nil {
		return nil, err
	}
	for _, b := range mods {
		entries = append(entries, banEntry{Ban: b, Kind: "moderated"})
	}
	return entries, nil
}

// printSanctions ends `member ls` with the list's bans and moderation
// set, when it has any.
func (a *Admin) printSanctions(list string, w io.Writer) error {
	entries, err := a.sanctions(list)
	if err != nil {
		return err
	}
	for _, e := range entries {
		fmt.Fprintf(w, "%s (%s)\n", Escape(e.Pattern), a.kindWord(e.Kind))
	}
	return nil
}

// kindWord names a sanction's kind ("banned", "moderated") in the
// language of the request.
func (a *Admin) kindWord(kind string) string {
	switch kind {
	case "banned":
		return a.tr("banni", kind)
	case "moderated":
		return a.tr("modéré", kind)
	}
	return kind
}

// setModerated records the moderation of addr in list's moderation set,
// which outlives the membership.
func (a *Admin) setModerated(list, addr string, on bool) error {
	kind := storage.SanctionUnmoderate
	if on {
		kind = storage.SanctionModerate
	}
	_, err := a.o.Store.Sanction(storage.Sanction{Kind: kind,
		Ban: storage.Ban{List: list, Pattern: addr, At: a.o.Now().UTC(), By: "cli"}})
	return a.notFoundList(list, err)
}

// applyFooter sets l's charter from --footer TEXT or --footer-file FILE.
func (a *Admin) applyFooter(flagName, value string, l *storage.List) error {
	text := value
	if flagName == "footer-file" {
		raw, err := os.ReadFile(value)
		if err != nil {
			return fmt.Errorf("--footer-file: %w", err)
		}
		text = string(raw)
	}
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	switch {
	case len(text) > MaxFooterBytes:
		return a.errorf("--%s : la charte fait %d octets, plus de %d : raccourcissez-la, ou donnez un lien vers elle",
			"--%s: the charter has %d bytes, more than %d: keep it short, or link to it", flagName, len(text), MaxFooterBytes)
	case !utf8.ValidString(text):
		return a.errorf("--%s : la charte n'est pas du texte UTF-8", "--%s: the charter is not UTF-8 text", flagName)
	case strings.ContainsFunc(text, func(r rune) bool { return r < ' ' && r != '\n' && r != '\t' }):
		return a.errorf("--%s : la charte contient des caractères de contrôle : texte brut seulement",
			"--%s: the charter has control characters: plain text only", flagName)
	}
	l.Footer = text
	return nil
}

// InlineFiles reads, on the command line's side, the files a command
// names (`list set --footer-file FILE`) and passes their text instead,
// since the server that runs the command may not see the same files.
func InlineFiles(args []string) ([]string, error) {
	if len(args) < 2 || args[0] != "list" || (args[1] != "set" && args[1] != "create") {
		return args, nil
	}
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		var file string
		switch {
		case a == "--footer-file" || a == "-footer-file":
			if i+1 >= len(args) {
				return nil, &UsageError{Msg: "--footer-file needs a FILE", Fr: "--footer-file demande un fichier (FILE)"}
			}
			file = args[i+1]
			i++
		case strings.HasPrefix(a, "--footer-file=") || strings.HasPrefix(a, "-footer-file="):
			_, file, _ = strings.Cut(a, "=")
		default:
			out = append(out, a)
			continue
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--footer-file: %w", err)
		}
		if len(raw) > 4*MaxFooterBytes {
			return nil, &UsageError{
				Msg: fmt.Sprintf("--footer-file: %s is more than %d bytes: keep the charter short", file, MaxFooterBytes),
				Fr:  fmt.Sprintf("--footer-file : %s fait plus de %d octets : raccourcissez la charte", file, MaxFooterBytes)}
		}
		out = append(out, "--footer="+string(raw))
	}
	return out, nil
}

// moderationFlag records `member set --moderated` in the list's
// moderation set when the flag is given, and reports whether it is the
// only flag (then an address that is not a member is no error).
func (a *Admin) moderationFlag(fs *flag.FlagSet, list, addr string, on bool) (bool, error) {
	given, others := false, false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "moderated" {
			given = true
		} else {
			others = true
		}
	})
	if !given {
		return false, nil
	}
	return !others, a.setModerated(list, addr, on)
}
