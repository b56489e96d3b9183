package listserv

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"tacit/consensus"
	"tacit/listserv/notice"
	"tacit/storage"
)

// Moderation (docs/membership.md and docs/delivery.md): a post from a non-member, from a
// moderated member, to a moderated list, or from anybody but an owner to
// an announce-only list is held. The owners get a notice from
// NAME-request with the post attached and a token in the Subject; a reply
// "approve"/"accepter" or "reject"/"refuser [reason]" decides, as does
// `tacit held approve|reject`. A decision puts the post back in the inbox
// with the decision on its envelope, so that distributing it and telling
// its author happen in the post path, once, whichever way it was taken.
//
// The owners' notices are capped (docs/security.md): in one clock hour a
// list sends a notice for its first heldNoticesPerHour held posts only.
// The posts beyond are held and listed all the same, and the first post
// held in a later hour brings the owners one summary of those of them
// that still wait. Every count comes from the store's held log (when
// each list held each post, whatever became of it since), so a restart
// neither resets the cap nor sends a summary twice: the summary goes
// with the one post that is the first of its hour.

// heldNoticesPerHour caps the owners' notices of held posts, per list
// and clock hour.
const heldNoticesPerHour = 10

// heldSummaryLines bounds the posts a summary names one by one.
const heldSummaryLines = 25

// forOwners reports whether a post held for reason waits for the owners
// (and is capped): a proposal waiting for its author's confirmation, or
// a message held for a broken header, is not announced to them. An
// empty reason is a post logged before reasons were (schema 8).
func forOwners(reason string) bool {
	switch reason {
	case notice.ReasonNotMember, notice.ReasonModerated, notice.ReasonModeratedAll, notice.ReasonAnnounceOnly,
		notice.ReasonTooMany, "":
		return true
	}
	return false
}

// ownersLog returns the posts of the held log of list l, from from to
// to, that wait for the owners.
func (s *processor) ownersLog(l storage.List, from, to time.Time) ([]storage.HeldEntry, error) {
	log, err := s.o.Store.HeldLog(l.Address, from, to)
	return slices.DeleteFunc(log, func(e storage.HeldEntry) bool { return !forOwners(e.Reason) }), err
}

// holdReason says why list l must hold a post by author, "" when it must
// not.
func (s *processor) holdReason(l storage.List, author string) (string, error) {
	owner := slices.Contains(l.Owners, author)
	if l.AnnounceOnly && !owner {
		return notice.ReasonAnnounceOnly, nil
	}
	m, err := s.o.Store.Member(l.Address, author)
	if errors.Is(err, storage.ErrNotFound) {
		if owner && l.AnnounceOnly {
			return "", nil
		}
		return notice.ReasonNotMember, nil
	}
	if err != nil {
		return "", err
	}
	switch {
	case l.Moderated && !owner:
		return notice.ReasonModeratedAll, nil
	case m.Moderated:
		return notice.ReasonModerated, nil
	}
	return "", nil
}

// hold keeps a post for the owners, sends them the notice with the post
// attached, and tells the author the post waits.
func (s *processor) hold(l storage.List, in *inbound, reason string) error {
	d, id, raw, author, subject, now := in.d, in.id, in.raw, in.author, in.subject, in.now
	rank, err := s.heldRank(d, l, now)
	if err != nil {
		return err
	}
	told, err := s.floodTold(l, author, reason, now) // trolls.go: once per member and hour
	if err != nil {
		return err
	}
	tok := newToken()
	d.Held = append(d.Held, storage.Held{List: l.Address, MessageID: id, From: author,
		Subject: subject, Reason: reason, At: now, Token: tok})
	data := s.noticeData(l, consensus.Proposal{}, now)
	data.Token = tok
	data.Post = notice.HeldPost{From: author, Subject: subject, Reason: reason}
	if len(l.Owners) > 0 && !told {
		if rank == 1 {
			if err := s.heldSummary(d, l, now); err != nil {
				return err
			}
		}
		if rank <= heldNoticesPerHour {
			txt, err := s.notices.Render(notice.HeldOwner, s.listLang(l), data)
			if err != nil {
				return err
			}
			s.toOwners(d, l, s.composeWithAttachment(letter{list: l, from: requestAddress(l),
				to: strings.Join(l.Owners, ", "), text: txt, now: now}, raw), now)
		} else {
			s.o.Logger.Info("post: held without a notice to the owners", "list", l.Address, "from", author,
				"held_this_hour", rank)
		}
	}
	if told {
		s.o.Logger.Info("post: held without a notice, owners told of this member within the hour", "list", l.Address,
			"from", author, "reason", reason)
		return nil
	}
	return s.tell(d, l, author, notice.HeldAuthor, data, "", now)
}

// toOwners sends c, written to the owners of list l, to each of them.
func (s *processor) toOwners(d *storage.Disposition, l storage.List, c composed, now time.Time) {
	out := s.toOne(l, c, l.Owners[0], now)
	out.Queue = s.fanOut(storage.QueueEntry{List: l.Address, From: bounceAddress(l),
		Created: now, NextAttempt: now}, l.Owners)
	d.Outgoing = append(d.Outgoing, out)
}

// heldRank returns the place of a post list l holds now for its owners
// among those it held in the same clock hour: 1 for the first. The
// posts this disposition already holds count: they are not in the store
// yet.
func (s *processor) heldRank(d *storage.Disposition, l storage.List, now time.Time) (int, error) {
	log, err := s.ownersLog(l, now.Truncate(time.Hour), now.Add(time.Nanosecond))
	if err != nil {
		return 0, err
	}
	n := len(log)
	for _, h := range d.Held {
		if h.List == l.Address && forOwners(h.Reason) {
			n++
		}
	}
	return n + 1, nil
}

// heldSummary tells the owners of list l, as the first post of a new
// hour is held, about the posts of the last hour that had posts held
// which went without a notice (beyond the cap) and still wait.
func (s *processor) heldSummary(d *storage.Disposition, l storage.List, now time.Time) error {
	last, err := s.o.Store.LastHeldBefore(l.Address, now.Truncate(time.Hour), forOwners)
	if err != nil || last.IsZero() {
		return err
	}
	hour := last.Truncate(time.Hour)
	log, err := s.ownersLog(l, hour, hour.Add(time.Hour))
	if err != nil || len(log) <= heldNoticesPerHour {
		return err
	}
	silent := make(map[uint64]bool, len(log)-heldNoticesPerHour)
	for _, e := range log[heldNoticesPerHour:] {
		silent[e.ID] = true
	}
	held, err := s.o.Store.HeldPosts(l.Address)
	if err != nil {
		return err
	}
	var waiting []storage.Held
	for _, h := range held {
		if silent[h.ID] {
			waiting = append(waiting, h)
		}
	}
	if len(waiting) == 0 {
		return nil // all decided already
	}
	s.o.Logger.Info("post: summary of held posts to the owners", "list", l.Address, "hour", hour, "waiting", len(waiting))
	txt := s.heldSummaryText(l, hour, len(log), waiting)
	s.toOwners(d, l, s.compose(letter{list: l, from: requestAddress(l), to: strings.Join(l.Owners, ", "),
		text: txt, now: now}), now)
	return nil
}

// heldSummaryText writes the summary of the posts held in the hour from
// hour, total in all, that went without a notice and still wait.
func (s *processor) heldSummaryText(l storage.List, hour time.Time, total int, waiting []storage.Held) notice.Text {
	loc := s.o.Consensus.Location
	if loc == nil {
		loc = time.UTC
	}
	lang := s.listLang(l)
	var lines strings.Builder
	for i, h := range waiting {
		if i == heldSummaryLines {
			fmt.Fprintf(&lines, "  … (%d)\n", len(waiting)-i)
			break
		}
		lines.WriteString(notice.Say(lang, notice.HeldSummaryLine, h.ID, oneLine(h.From, 60), oneLine(h.Subject, 60), h.Token))
	}
	day := hour.In(loc).Format("2006-01-02")
	from, to := hour.In(loc).Format("15:04"), hour.Add(time.Hour).In(loc).Format("15:04")
	n, name, addr := len(waiting), l.LocalPart(), l.Address
	return notice.Text{
		Subject: notice.Say(lang, notice.HeldSummarySubject, name, n),
		Body: notice.Say(lang, notice.HeldSummaryBody,
			day, from, to, addr, total, heldNoticesPerHour, n, addr, lines.String(), addr),
	}
}

// oneLine returns s on one line, control characters and runs of spaces
// made one space, cut at max characters.
func oneLine(s string, max int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
	}), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

// tell sends one of our texts to a person from NAME-request, unless the
// list already wrote to them MaxRepliesPerHour times in the last hour:
// then the text is dropped (and the drop recorded), so that the list can
// never be made to flood anybody.
func (s *processor) tell(d *storage.Disposition, l storage.List, to string, kind notice.Kind, data notice.Data,
	inReplyTo string, now time.Time) error {
	n, err := s.o.Store.RepliesSince(to, now.Add(-time.Hour))
	if err != nil {
		return err
	}
	if n >= s.o.MaxRepliesPerHour {
		s.o.Logger.Warn("reply cap reached", "list", l.Address, "to", to, "kind", kind, "replies", n)
		d.Discards = append(d.Discards, storage.Discard{List: l.Address,
			Reason: fmt.Sprintf("no %s to %s: %d replies in the last hour", kind, to, n), At: now})
		return nil
	}
	txt, err := s.notices.Render(kind, s.listLang(l), data)
	if err != nil {
		return err
	}
	c := s.compose(letter{list: l, from: requestAddress(l), to: to, text: txt, inReplyTo: inReplyTo, now: now})
	d.Outgoing = append(d.Outgoing, s.toOne(l, c, to, now))
	d.Replies = append(d.Replies, storage.Reply{Address: to, At: now})
	return nil
}

// tellModerated tells an author what the owners decided.
func (s *processor) tellModerated(d *storage.Disposition, l storage.List, author, subject string, m storage.Moderation, now time.Time) error {
	data := s.noticeData(l, consensus.Proposal{}, now)
	data.Post = notice.HeldPost{From: author, Subject: subject, Approved: m.Approved, Rejection: m.Reason}
	s.o.Logger.Info("post: moderated", "list", l.Address, "from", author, "approved", m.Approved, "by", m.By)
	if !m.Approved {
		d.Discards = append(d.Discards, storage.Discard{List: l.Address,
			Reason: fmt.Sprintf("rejected by %s: %s", m.By, m.Reason), At: now})
	}
	return s.tell(d, l, author, notice.Moderated, data, "", now)
}

// moderateByMail carries out an owner's "approve" or "reject" sent to
// NAME-request in reply to the notice of a held post.
func (s *processor) moderateByMail(rq *requestRun, c reqCommand) error {
	l, h, sender, now, say := rq.l, rq.h, rq.sender, rq.now, rq.say
	if !slices.Contains(l.Owners, sender) {
		say(notice.OwnersOnly, l.Address)
		return nil
	}
	held, reason, err := s.heldNamed(decodedSubject(h), c.arg)
	if errors.Is(err, storage.ErrNotFound) {
		say(notice.HeldGone)
		return nil
	}
	if err != nil {
		return err
	}
	if held.List != l.Address {
		say(notice.HeldOtherList)
		return nil
	}
	approved := c.verb == "approve"
	rq.d.HeldDecisions = append(rq.d.HeldDecisions, storage.HeldDecision{ID: held.ID,
		Moderation: storage.Moderation{Approved: approved, Reason: reason, By: sender, At: now}})
	if approved {
		say(notice.HeldApproved, held.From)
	} else {
		say(notice.HeldRejected, held.From)
	}
	return nil
}

// heldNamed finds the held post an owner's "approve"/"reject" names: by
// a token on the command's line ("accepter JETON", in reply to a
// summary), else by the token in the Subject (a reply to the post's own
// notice). A word that looks like a token but names no held post is
// part of the reason. It returns the reason, and ErrNotFound when no
// held post is named.
func (s *processor) heldNamed(subject, arg string) (storage.Held, string, error) {
	for _, tok := range tokenWord.FindAllString(arg, -1) {
		h, err := s.o.Store.HeldByToken(tok)
		if err == nil {
			return h, strings.TrimSpace(strings.Replace(arg, tok, "", 1)), nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return h, "", err
		}
	}
	for _, tok := range tokenWord.FindAllString(subject, -1) {
		h, err := s.o.Store.HeldByToken(tok)
		if err == nil || !errors.Is(err, storage.ErrNotFound) {
			return h, arg, err
		}
	}
	return storage.Held{}, arg, storage.ErrNotFound
}

// recipients returns the addresses list l delivers to: its members whose
// delivery is not disabled.
func (s *processor) recipients(l storage.List) ([]string, error) {
	f, err := s.listFacts(l)
	return f.recipients, err
}

// listFacts reads what the messages to list l need of its members: the
// addresses that receive its mail, and how many members it has.
func (s *processor) listFacts(l storage.List) (listFacts, error) {
	members, err := s.o.Store.Members(l.Address)
	if err != nil {
		return listFacts{}, err
	}
	addrs := make([]string, 0, len(members))
	for _, m := range members {
		if !m.Disabled {
			addrs = append(addrs, m.Address)
		}
	}
	return listFacts{recipients: addrs, members: len(members)}, nil
}

// wakeInbox makes the post path read the inbox again soon.
func (s *Server) wakeInbox() {
	select {
	case s.incoming <- struct{}{}:
	default:
	}
}

// recipientCache keeps what the messages to each list need of its
// members (listFacts) for the length of one piece of work (a batch of
// the engine's tick), read once per list rather than once per proposal;
// nil caches nothing.
type recipientCache map[string]listFacts

// listFacts are a list's recipients and its number of members.
type listFacts struct {
	recipients []string
	members    int
}

func (rc recipientCache) facts(s *processor, l storage.List) (listFacts, error) {
	if f, ok := rc[l.Address]; ok {
		return f, nil
	}
	f, err := s.listFacts(l)
	if err == nil && rc != nil {
		rc[l.Address] = f
	}
	return f, err
}

// get returns the recipients of list l.
func (rc recipientCache) get(s *processor, l storage.List) ([]string, error) {
	f, err := rc.facts(s, l)
	return f.recipients, err
}
