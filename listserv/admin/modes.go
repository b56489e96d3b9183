package admin

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"tacit/consensus"
	"tacit/storage"
)

// modeFlags adds --mode normal|digest|nomail and --until DATE to `member
// set`. The function it returns, called once the flags are parsed,
// checks them and returns the change to apply to the member (nil when
// neither flag was given).
func (a *Admin) modeFlags(fs *flag.FlagSet) func() (func(*storage.Member), error) {
	mode := fs.String("mode", "", "delivery: normal (each post), digest (one a day) or nomail (no ordinary post); "+
		"proposals and decisions always come one by one")
	until := fs.String("until", "", "with --mode nomail: the date the member gets posts again (\"15/01/2027\", \"2027-01-15\")")
	return func() (func(*storage.Member), error) {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["mode"] && !set["until"] {
			return nil, nil
		}
		m := *mode
		if m == "normal" {
			m = storage.ModeNormal
		}
		if !set["mode"] {
			m = storage.ModeNomail // --until alone: a pause
		}
		if !storage.ValidMode(m) || set["mode"] && *mode == "" {
			return nil, &UsageError{Msg: fmt.Sprintf("member set: --mode %q: use normal, digest or nomail", *mode),
				Fr: fmt.Sprintf("member set : --mode %q : écrire normal, digest ou nomail", *mode)}
		}
		var end time.Time
		if *until != "" {
			if m != storage.ModeNomail {
				return nil, &UsageError{Msg: "member set: --until goes with --mode nomail",
					Fr: "member set : --until va avec --mode nomail"}
			}
			loc := a.o.Location
			if loc == nil {
				loc = time.UTC
			}
			at, rest, err := consensus.ParseWhen(*until, a.o.Now(), loc)
			if err != nil || rest != "" {
				return nil, &UsageError{Msg: fmt.Sprintf("member set: --until %q is not a date (for example 15/01/2027)", *until),
					Fr: fmt.Sprintf("member set : --until %q n'est pas une date (par exemple 15/01/2027)", *until)}
			}
			if !at.After(a.o.Now()) {
				return nil, &UsageError{Msg: fmt.Sprintf("member set: --until %q is past", *until),
					Fr: fmt.Sprintf("member set : --until %q est passé", *until)}
			}
			end = at.UTC()
		}
		return func(mb *storage.Member) { storage.SetMode(mb, m, end) }, nil
	}
}

// modeWords describes a member's delivery mode for `member set`.
func (a *Admin) modeWords(m storage.Member, loc *time.Location) string {
	switch m.Mode {
	case storage.ModeNormal:
		return "normal"
	case storage.ModeNomail:
		if !m.NomailUntil.IsZero() {
			if loc == nil {
				loc = time.UTC
			}
			return a.tr("nomail jusqu'au ", "nomail until ") + m.NomailUntil.In(loc).Format("2006-01-02 15:04")
		}
	}
	return m.Mode
}

// digestSend runs `digest send [LIST]`: the digest of the posts kept so
// far goes now to the digest members of LIST (of every list without
// one), whatever the hour.
func (a *Admin) digestSend(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("digest send", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usage("digest send")
	}
	list := ""
	if len(pos) == 1 {
		if list, err = a.checkListAddress(pos[0]); err != nil {
			return err
		}
	}
	if a.o.SendDigest == nil {
		return errors.New(a.tr("digest send : aucun serveur pour l'envoyer", "digest send: no server to send with"))
	}
	n, err := a.o.SendDigest(list)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(w, a.tr("aucun message n'attend de résumé", "no post waits for a digest"))
		return nil
	}
	a.printf(w, "résumé envoyé : %s\n", "digest sent: %s\n", a.count(n, "message", "messages", "post", "posts"))
	return nil
}
