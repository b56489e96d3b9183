package admin

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"tacit/config"
	"tacit/listserv/listaddr"
	"tacit/storage"
)

// parse parses flags wherever they appear among args (flag.Parse alone
// stops at the first positional argument) and returns the positionals.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, &helpRequest{fs: fs}
		} else if err != nil {
			return nil, flagError(fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// helpRequest is parse's error when the command line asks for help (-h,
// --help): Execute answers with the command's help from the table.
type helpRequest struct{ fs *flag.FlagSet }

func (h *helpRequest) Error() string { return h.fs.Name() + ": help requested" }

// parseN is parse for commands that take exactly n positionals; the
// error is the command's usage otherwise (the flag set is named after
// the command).
func parseN(fs *flag.FlagSet, args []string, n int) ([]string, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != n {
		return nil, usage(fs.Name())
	}
	return pos, nil
}

// multi is a flag that may be given several times.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// listFlags are the flags of `list create` and `list set`.
type listFlags struct {
	a                                 *Admin // the request, for the language of errors
	name, lang, deadline, fromRewrite string
	owners                            multi
	publicRegister, noPrefix          bool
	moderated, announceOnly           bool
	requireAuth                       bool
	authentication                    string
	footer, footerFile                string
}

func (a *Admin) newListFlags(cmd string) (*flag.FlagSet, *listFlags) {
	f := &listFlags{a: a}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.StringVar(&f.name, "name", "", "display name")
	fs.StringVar(&f.lang, "lang", "", "fr or en")
	fs.StringVar(&f.deadline, "deadline", "", "default deadline of proposals")
	fs.StringVar(&f.fromRewrite, "from-rewrite", "", "dmarc, always or never")
	fs.Var(&f.owners, "owner", "owner address (repeatable)")
	fs.BoolVar(&f.publicRegister, "public-register", false, "publish the decision register")
	fs.BoolVar(&f.noPrefix, "no-prefix", false, "no [name] Subject prefix")
	fs.BoolVar(&f.moderated, "moderated", false, "hold every post but the owners' for moderation")
	fs.BoolVar(&f.announceOnly, "announce-only", false, "only the owners may post")
	fs.BoolVar(&f.requireAuth, "require-auth", false, "count proposals and commands only from authenticated mail (--authentication dkim)")
	fs.StringVar(&f.authentication, "authentication", "", "dkim-or-confirm, dkim or none (default: the server's)")
	fs.StringVar(&f.footer, "footer", "", "the list's charter, appended to every post (\"\" removes it)")
	fs.StringVar(&f.footerFile, "footer-file", "", "a file holding the list's charter")
	return fs, f
}

// apply copies the flags that were given on the command line into l.
// Bad values are one UsageError, a line for each.
func (f *listFlags) apply(fs *flag.FlagSet, l *storage.List) error {
	var errs []error
	var bad []*UsageError
	usageErr := func(en, fr string, args ...any) {
		bad = append(bad, &UsageError{Msg: fmt.Sprintf(en, args...), Fr: fmt.Sprintf(fr, args...)})
	}
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "name":
			l.Name = f.name
		case "lang":
			if f.lang != "fr" && f.lang != "en" {
				usageErr("--lang must be fr or en, not %q", "--lang doit valoir fr ou en, et non %q", f.lang)
			}
			l.Lang = f.lang
		case "deadline":
			d, err := ParseDuration(f.deadline)
			if err != nil {
				fr := err.Error()
				if l, ok := err.(interface{ In(string) string }); ok {
					fr = l.In("fr")
				}
				bad = append(bad, &UsageError{Msg: "--deadline: " + err.Error(), Fr: "--deadline : " + fr})
			}
			l.Deadline = d
		case "from-rewrite":
			if f.fromRewrite != "dmarc" && f.fromRewrite != "always" && f.fromRewrite != "never" {
				usageErr("--from-rewrite must be dmarc, always or never, not %q",
					"--from-rewrite doit valoir dmarc, always ou never, et non %q", f.fromRewrite)
			}
			l.FromRewrite = f.fromRewrite
		case "owner":
			l.Owners = l.Owners[:0]
			for _, o := range f.owners {
				addr, err := f.a.checkAddress(o, "")
				if err != nil {
					errs = append(errs, fmt.Errorf("--owner: %w", err))
				}
				l.Owners = append(l.Owners, addr)
			}
		case "public-register":
			l.PublicRegister = f.publicRegister
		case "no-prefix":
			l.NoPrefix = f.noPrefix
		case "moderated":
			l.Moderated = f.moderated
		case "announce-only":
			l.AnnounceOnly = f.announceOnly
		case "require-auth":
			// The older flag is the "dkim" mode.
			l.RequireAuth = false
			switch {
			case f.requireAuth:
				l.Authentication = storage.AuthDKIM
			case l.Authentication == storage.AuthDKIM:
				l.Authentication = ""
			}
		case "footer", "footer-file":
			v := f.footer
			if fl.Name == "footer-file" {
				v = f.footerFile
			}
			if err := f.a.applyFooter(fl.Name, v, l); err != nil {
				errs = append(errs, err)
			}
		case "authentication":
			switch f.authentication {
			case storage.AuthDKIMOrConfirm, storage.AuthDKIM, storage.AuthNone:
				l.Authentication = f.authentication
			default:
				usageErr("--authentication must be dkim-or-confirm, dkim or none, not %q",
					"--authentication doit valoir dkim-or-confirm, dkim ou none, et non %q", f.authentication)
			}
		}
	})
	if len(bad) > 0 && len(errs) == 0 {
		all := &UsageError{}
		for i, u := range bad {
			sep := map[bool]string{true: "\n"}[i > 0]
			all.Msg += sep + u.Msg
			all.Fr += sep + u.Fr
		}
		return all
	}
	for _, u := range bad {
		errs = append(errs, u)
	}
	return errors.Join(errs...)
}

// ParseDuration reads a duration longer than 0s written as Go does
// ("72h", "90m") or with days ("5d", "1d12h"): config.ParseDuration.
func ParseDuration(s string) (time.Duration, error) {
	d, err := config.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, &UsageError{Msg: fmt.Sprintf("invalid duration %q: it must be longer than 0s", s),
			Fr: fmt.Sprintf("durée %q invalide : elle doit dépasser 0s", s)}
	}
	return d, nil
}

var (
	localPartRe = regexp.MustCompile(`^[a-z0-9!#$%&'*+/=?^_{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_{|}~-]+)*$`)
	domainRe    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
	listNameRe  = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`)
)

// checkAddress normalises addr, completing it with domain when it has no
// "@" and domain is not "", and checks that it is a plain address.
func (a *Admin) checkAddress(addr, domain string) (string, error) {
	norm := storage.NormalizeAddress(addr)
	if !strings.Contains(norm, "@") && domain != "" {
		norm += "@" + domain
	}
	local, dom, ok := strings.Cut(norm, "@")
	if !ok || !localPartRe.MatchString(local) || !domainRe.MatchString(dom) {
		return "", a.errorf("%q n'est pas une adresse valide", "%q is not a valid address", addr)
	}
	return norm, nil
}

// listArg parses the flags of a command whose one argument is a list's
// address, and returns the address, checked and normalised.
func (a *Admin) listArg(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseN(fs, args, 1)
	if err != nil {
		return "", err
	}
	return a.checkListAddress(pos[0])
}

// checkListAddress is checkAddress plus the rules of list names: letters,
// digits, '.', '_' and '-', and no reserved suffix.
func (a *Admin) checkListAddress(addr string) (string, error) {
	l, err := a.checkAddress(addr, a.o.Domain)
	if err != nil {
		return "", err
	}
	local, _, _ := strings.Cut(l, "@")
	if !listNameRe.MatchString(local) {
		return "", a.errorf("%q : un nom de liste n'a que des lettres, des chiffres, « . », « _ » et « - »",
			"%q: a list name has only letters, digits, '.', '_' and '-'", addr)
	}
	if sf, ok := listaddr.Reserved(local); ok {
		return "", a.errorf("%q : un nom de liste ne peut pas finir par %s (réservé)",
			"%q: a list name cannot end with %s (reserved)", addr, sf)
	}
	return l, nil
}

func (a *Admin) listCreate(args []string, w io.Writer) error {
	fs, f := a.newListFlags("list create")
	addr, err := a.listArg(fs, args)
	if err != nil {
		return err
	}
	l := storage.List{Address: addr, Lang: a.o.Language, FromRewrite: "dmarc", Created: a.o.Now().UTC()}
	if err := f.apply(fs, &l); err != nil {
		return err
	}
	if err := a.o.Store.CreateList(l); err != nil {
		if errors.Is(err, storage.ErrExists) {
			return a.errorf("la liste %s existe déjà", "list %s already exists", addr)
		}
		return err
	}
	a.printf(w, "liste %s créée\n", "created list %s\n", addr)
	a.warnAuthentication(w, l)
	return nil
}

// warnAuthentication says what "none" gives up: From is then trusted.
func (a *Admin) warnAuthentication(w io.Writer, l storage.List) {
	if l.Authentication == storage.AuthNone {
		a.printf(w, "attention : %s se fie au From (--authentication none) : quiconque peut envoyer un courriel peut "+
			"objecter, lever une objection ou proposer au nom d'un membre. Ne l'utilisez que si chaque message passe "+
			"par un serveur de courrier qui refuse les expéditeurs falsifiés.\n", "warning: %s trusts From (--authentication none): anyone who can send mail can object, "+
			"lift or propose in a member's name. Use it only when every post comes through an MTA that refuses "+
			"forged senders.\n", l.Address)
	}
}

func (a *Admin) listSet(args []string, w io.Writer) error {
	fs, f := a.newListFlags("list set")
	addr, err := a.listArg(fs, args)
	if err != nil {
		return err
	}
	l, err := a.o.Store.UpdateList(addr, func(l *storage.List) error { return f.apply(fs, l) })
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return a.noList(addr)
		}
		return err
	}
	a.printf(w, "liste %s modifiée\n", "updated list %s\n", addr)
	a.warnAuthentication(w, l)
	return nil
}

// listInfo is one line of `list ls`.
type listInfo struct {
	storage.List
	Members int `json:"members"`
}

func (a *Admin) listLs(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("list ls", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) != 0 {
		return usage("list ls")
	}
	lists, err := a.o.Store.Lists()
	if err != nil {
		return err
	}
	infos := make([]listInfo, 0, len(lists))
	for _, l := range lists {
		ms, err := a.o.Store.Members(l.Address)
		if err != nil {
			return err
		}
		infos = append(infos, listInfo{List: l, Members: len(ms)})
	}
	if *asJSON {
		return writeJSON(w, infos)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, a.tr("ADRESSE\tNOM\tLANGUE\tMEMBRES\tRESPONSABLES", "ADDRESS\tNAME\tLANG\tMEMBERS\tOWNERS"))
	for _, l := range infos {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", Escape(l.Address), Escape(l.Name), Escape(l.Lang), l.Members,
			Escape(strings.Join(l.Owners, ",")))
	}
	return tw.Flush()
}

// memberArgs parses `member add|rm LIST ADDR...`.
func (a *Admin) memberArgs(cmd string, args []string) (string, []string, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return "", nil, err
	}
	if len(pos) < 2 {
		return "", nil, usage(cmd)
	}
	list, err := a.checkListAddress(pos[0])
	if err != nil {
		return "", nil, err
	}
	var addrs []string
	var errs []error
	for _, p := range pos[1:] {
		addr, err := a.checkAddress(p, "")
		if err != nil || !strings.Contains(p, "@") {
			errs = append(errs, a.errorf("%q n'est pas une adresse valide", "%q is not a valid address", p))
			continue
		}
		addrs = append(addrs, addr)
	}
	return list, addrs, errors.Join(errs...)
}

func (a *Admin) notFoundList(list string, err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return a.noList(list)
	}
	return err
}

func (a *Admin) memberAdd(args []string, w io.Writer) error {
	list, addrs, err := a.memberArgs("member add", args)
	if err != nil {
		return err
	}
	for _, addr := range addrs {
		// A banned address is not added by mistake: unban it first.
		if _, banned, err := a.o.Store.Banned(list, addr); err != nil {
			return err
		} else if banned {
			return a.errorf("%s est banni de %s : lancez d'abord tacit member unban %s %s",
				"%s is banned from %s: tacit member unban %s %s first", addr, list, list, addr)
		}
	}
	added, err := a.o.Store.AddMembers(list, a.o.Now().UTC(), addrs...)
	if err != nil {
		return a.notFoundList(list, err)
	}
	a.printf(w, "%s à %s\n", "added %s to %s\n", a.count(len(added), "membre ajouté", "membres ajoutés", "member", "members"), list)
	if n := len(addrs) - len(added); n > 0 {
		fmt.Fprintln(w, a.count(n, "adresse était déjà membre", "adresses étaient déjà membres",
			"address was already a member", "addresses were already members"))
	}
	return nil
}

func (a *Admin) memberRm(args []string, w io.Writer) error {
	list, addrs, err := a.memberArgs("member rm", args)
	if err != nil {
		return err
	}
	removed, err := a.o.Store.RemoveMembers(list, addrs...)
	if err != nil {
		return a.notFoundList(list, err)
	}
	a.printf(w, "%s de %s\n", "removed %s from %s\n", a.count(len(removed), "membre retiré", "membres retirés", "member", "members"), list)
	if n := len(addrs) - len(removed); n > 0 {
		fmt.Fprintln(w, a.count(n, "adresse n'était pas membre", "adresses n'étaient pas membres",
			"address was not a member", "addresses were not members"))
	}
	return nil
}

func (a *Admin) memberLs(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("member ls", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	list, err := a.listArg(fs, args)
	if err != nil {
		return err
	}
	ms, err := a.o.Store.Members(list)
	if err != nil {
		return a.notFoundList(list, err)
	}
	if *asJSON {
		if ms == nil {
			ms = []storage.Member{}
		}
		return writeJSON(w, ms)
	}
	for _, m := range ms {
		fmt.Fprintln(w, Escape(m.Address))
	}
	return a.printSanctions(list, w)
}

func (a *Admin) heldLs(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("held ls", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usage("held ls")
	}
	list, err := a.optionalList(pos)
	if err != nil {
		return err
	}
	held, err := a.o.Store.HeldPosts(list)
	if err != nil {
		return err
	}
	if *asJSON {
		if held == nil {
			held = []storage.Held{}
		}
		return writeJSON(w, held)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, a.tr("ID\tLISTE\tDE\tRETENU LE\tRAISON\tSUJET", "ID\tLIST\tFROM\tHELD AT\tREASON\tSUBJECT"))
	for _, h := range held {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", h.ID, Escape(h.List), Escape(h.From),
			h.At.Format(time.RFC3339), Escape(h.Reason), Escape(h.Subject))
	}
	return tw.Flush()
}

// writeJSON writes v as one indented JSON document. encoding/json
// escapes the C0 controls; Execute's last pass escapes DEL, the C1 and
// the bidi controls, which it leaves as they are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("admin: write JSON: %w", err)
	}
	return nil
}

// optionalList reads the optional LIST argument of an ls command: ""
// for every list, else the address of an existing list.
func (a *Admin) optionalList(pos []string) (string, error) {
	if len(pos) == 0 {
		return "", nil
	}
	list, err := a.checkListAddress(pos[0])
	if err != nil {
		return "", err
	}
	if _, err := a.o.Store.List(list); err != nil {
		return "", a.notFoundList(list, err)
	}
	return list, nil
}
