package admin

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"tacit/storage"
)

// heldDecide runs `held approve ID` and `held reject ID [--reason TEXT]`:
// the post goes back to the server's inbox with the decision, and the
// server distributes it (or tells its author) as soon as it runs.
func (a *Admin) heldDecide(approve bool, args []string, w io.Writer) error {
	name := "held reject"
	if approve {
		name = "held approve"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	reason := new(string)
	if !approve {
		reason = fs.String("reason", "", "why the post is rejected (told to its author)")
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usage(name)
	}
	id, err := strconv.ParseUint(pos[0], 10, 64)
	if err != nil {
		return &UsageError{Msg: fmt.Sprintf("%s: %q is not a held post ID (see tacit held ls)", name, pos[0]),
			Fr: fmt.Sprintf("%s : %q n'est pas le numéro d'un message retenu (voir tacit held ls)", name, pos[0])}
	}
	h, err := a.o.Store.ModerateHeld(id, storage.Moderation{Approved: approve, Reason: *reason, By: "cli", At: a.o.Now().UTC()})
	if errors.Is(err, storage.ErrNotFound) {
		return a.errorf("aucun message retenu n° %d (voir tacit held ls)", "no held post %d (see tacit held ls)", id)
	}
	if err != nil {
		return err
	}
	if a.o.Wake != nil {
		a.o.Wake()
	}
	if approve {
		a.printf(w, "message %d de %s à %s accepté\n", "approved post %d from %s to %s\n", id, Escape(h.From), Escape(h.List))
	} else {
		a.printf(w, "message %d de %s à %s refusé\n", "rejected post %d from %s to %s\n", id, Escape(h.From), Escape(h.List))
	}
	return nil
}

// memberSet runs `member set LIST ADDR [--moderated=true|false]
// [--enabled=true|false]`.
func (a *Admin) memberSet(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("member set", flag.ContinueOnError)
	moderated := fs.Bool("moderated", false, "hold this member's posts for moderation")
	enabled := fs.Bool("enabled", true, "deliver to this member (false stops delivery)")
	modeOf := a.modeFlags(fs)
	pos, err := parseN(fs, args, 2)
	if err != nil {
		return err
	}
	setMode, err := modeOf()
	if err != nil {
		return err
	}
	list, err := a.checkListAddress(pos[0])
	if err != nil {
		return err
	}
	addr, err := a.checkAddress(pos[1], "")
	if err != nil {
		return err
	}
	modOnly, err := a.moderationFlag(fs, list, addr, *moderated) // bans.go: the moderation set
	if err != nil {
		return err
	}
	m, err := a.o.Store.UpdateMember(list, addr, func(m *storage.Member) error {
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "moderated":
				m.Moderated = *moderated
			case "enabled":
				m.Disabled = !*enabled
				if *enabled {
					m.BounceDays, m.DisabledNoticeSent = nil, false // a fresh start
				} else {
					m.DisabledNoticeSent = true // the owners did it: no bounce notice to tell them
				}
			}
		})
		if setMode != nil {
			setMode(m)
		}
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) && modOnly {
		a.printf(w, "%s n'est pas membre de %s : moderated=%v tout de même, s'il s'inscrit\n",
			"%s is not a member of %s: moderated=%v all the same, should it subscribe\n", Escape(addr), list, *moderated)
		return nil
	}
	if errors.Is(err, storage.ErrNotFound) {
		return a.errorf("%s n'est pas membre de %s", "%s is not a member of %s", addr, list)
	}
	if err != nil {
		return err
	}
	a.printf(w, "%s sur %s : moderated=%v enabled=%v mode=%s\n", "%s on %s: moderated=%v enabled=%v mode=%s\n",
		Escape(m.Address), list, m.Moderated, !m.Disabled, a.modeWords(m, a.o.Location))
	return nil
}

// memberPasswd runs `member passwd LIST ADDR`: it prints a new IMAP
// password for the member.
func (a *Admin) memberPasswd(args []string, w io.Writer) error {
	list, addrs, err := a.memberArgs("member passwd", args)
	if err != nil {
		return err
	}
	if len(addrs) != 1 {
		return usage("member passwd")
	}
	pw, err := SetPassword(a.o.Store, list, addrs[0])
	if errors.Is(err, storage.ErrNotFound) {
		return a.errorf("%s n'est pas membre de %s", "%s is not a member of %s", addrs[0], list)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(w, pw)
	return nil
}

// SetPassword gives a member a new random IMAP password, stores its
// bcrypt hash (never the password) and returns it.
func SetPassword(store *storage.Store, list, member string) (string, error) {
	pw, hash, err := NewPassword()
	if err != nil {
		return "", err
	}
	_, err = store.UpdateMember(list, member, func(m *storage.Member) error {
		m.PasswordHash = hash
		return nil
	})
	return pw, err
}

// NewPassword returns a new random IMAP password and its bcrypt hash (the
// only form that is stored).
func NewPassword() (pw, hash string, err error) {
	pw = newPassword()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", "", fmt.Errorf("admin: hash password: %w", err)
	}
	return pw, string(h), nil
}

// newPassword returns four groups of four easy-to-read characters
// (about 78 bits).
func newPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	var out strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return out.String()
}
