package listserv

import (
	"slices"
	"strings"
	"time"

	"tacit/listserv/listaddr"
	"tacit/listserv/notice"
	"tacit/storage"
)

// Against trolls (docs/membership.md). What the owners decide about an
// address sticks to it, whatever its membership:
//
//   - a banned address (or domain) gets nowhere: its posts, replies,
//     commands and mail to the owners are discarded and logged, never
//     answered, never distributed, so it cannot subscribe again either
//     (no confirmation goes out);
//   - a moderated address stays moderated after it leaves and comes
//     back, until an owner clears it;
//   - a member who posts more than max_posts_per_hour in a sliding hour
//     has the posts beyond held, and the owners are told once per member
//     and hour (counted from the store: the archive and the held log by
//     author, so a restart changes nothing);
//   - the list's charter (List.Footer) ends every distributed post.
//
// The owners set bans and moderation with `tacit member ban|unban` and
// `member set --moderated`, or by mail to NAME-request ("bannir ADDR",
// "débannir ADDR", "modérer ADDR"), authenticated like their other
// commands (ownerSpeaks).

// ReasonTooMany holds the posts of a member beyond max_posts_per_hour.
const ReasonTooMany = notice.ReasonTooMany

// MaxFooterBytes bounds a list's charter.
const MaxFooterBytes = 4096

// dropBanned reports whether in comes from an address list l banned (by
// its From or its envelope sender); if so the message is recorded as
// discarded for l, and nothing else happens.
func (s *processor) dropBanned(l storage.List, r listaddr.Role, in *inbound) (bool, error) {
	if r == listaddr.Bounces {
		return false, nil // delivery reports are about our own mail
	}
	for _, a := range []string{in.author, storage.NormalizeAddress(in.env.From)} {
		ban, ok, err := s.o.Store.Banned(l.Address, a)
		if err != nil || !ok {
			if err != nil {
				return false, err
			}
			continue
		}
		s.o.Logger.Info("banned sender: discarded", "message", in.id, "list", l.Address, "from", a, "ban", ban.Pattern)
		in.d.Discards = append(in.d.Discards, storage.Discard{List: l.Address,
			Reason: "banned sender " + a + " (" + ban.Pattern + ")", At: in.now})
		return true, nil
	}
	return false, nil
}

// trollHoldReason is holdReason, and then what sticks to the address:
// the list's moderation set, and the cap on posts per hour.
func (s *processor) trollHoldReason(l storage.List, in *inbound) (string, error) {
	reason, err := s.holdReason(l, in.author)
	if err != nil || reason != "" {
		return reason, err
	}
	if slices.Contains(l.Owners, in.author) {
		return "", nil
	}
	if mod, err := s.o.Store.IsModerated(l.Address, in.author); err != nil || mod {
		if mod {
			return notice.ReasonModerated, nil
		}
		return "", err
	}
	max := s.o.MaxPostsPerHour
	if max <= 0 {
		return "", nil
	}
	n, err := s.o.Store.PostsSince(l.Address, in.author, in.now.Add(-time.Hour))
	if err != nil {
		return "", err
	}
	if n >= max {
		s.o.Logger.Info("post: too many posts in an hour", "list", l.Address, "from", in.author, "posts", n, "max", max)
		return ReasonTooMany, nil
	}
	return "", nil
}

// floodTold reports whether the owners of list l were told within the
// last hour that author posts too much: then a post of theirs held for
// that reason goes without a notice (to the owners or to its author).
func (s *processor) floodTold(l storage.List, author, reason string, now time.Time) (bool, error) {
	if reason != ReasonTooMany {
		return false, nil
	}
	n, err := s.o.Store.HeldFromSince(l.Address, author, reason, now.Add(-time.Hour))
	return n > 0, err
}

// listFooter is the footer a distributed post ends with: a proposal's,
// then the list's charter.
func listFooter(l storage.List, proposal string) string {
	charter := strings.TrimSpace(l.Footer)
	switch {
	case charter == "":
		return proposal
	case proposal == "":
		return charter + "\n"
	}
	return strings.TrimRight(proposal, "\n") + "\n\n" + charter + "\n"
}

// trollVerbs are the owners' -request commands of this file.
var trollVerbs = map[string]string{"ban": storage.SanctionBan, "unban": storage.SanctionUnban,
	"moderate": storage.SanctionModerate}

// trollCommand carries out an owner's "bannir ADDR", "débannir ADDR" or
// "modérer ADDR", from an authenticated (or confirmed) owner only.
func (s *processor) trollCommand(rq *requestRun, c reqCommand) error {
	l := rq.l
	if !slices.Contains(l.Owners, rq.sender) {
		rq.say(notice.OwnersOnlyBan, l.Address)
		return nil
	}
	arg := strings.Trim(strings.TrimSpace(strings.SplitN(strings.TrimSpace(c.arg)+" ", " ", 2)[0]), "<>.,;")
	pattern, ok := storage.BanPattern(arg)
	if !ok || (c.verb == "moderate" && strings.HasPrefix(pattern, "@")) {
		rq.say(notice.BanUnread, c.arg)
		return nil
	}
	if ok, err := s.ownerSpeaks(rq); err != nil || !ok {
		return err
	}
	kind := trollVerbs[c.verb]
	if kind == storage.SanctionBan && slices.Contains(l.Owners, pattern) {
		rq.say(notice.BanOwner, pattern)
		return nil
	}
	rq.d.Sanctions = append(rq.d.Sanctions, storage.Sanction{Kind: kind,
		Ban: storage.Ban{List: l.Address, Pattern: pattern, At: rq.now, By: rq.sender}})
	s.o.Logger.Info("request: owner sanction", "list", l.Address, "by", rq.sender, "kind", kind, "pattern", pattern)
	switch kind {
	case storage.SanctionBan:
		rq.say(notice.Banned, pattern, l.Address)
	case storage.SanctionUnban:
		rq.say(notice.Unbanned, pattern, l.Address)
	default:
		rq.say(notice.ModeratedSet, pattern, l.Address)
	}
	return nil
}

// isTrollVerb reports whether verb is one of trollCommand's.
func isTrollVerb(verb string) bool { _, ok := trollVerbs[verb]; return ok }
