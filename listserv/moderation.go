package listserv

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

	"tacit/consensus"
	"tacit/listserv/admin"
	"tacit/listserv/notice"
	"tacit/storage"
)

// Moderation (SPEC sections 4 and 8): a post from a non-member, from a
// moderated member, to a moderated list, or from anybody but an owner to
// an announce-only list is held. The owners get a notice from
// NAME-request with the post attached and a token in the Subject; a reply
// "approve"/"accepter" or "reject"/"refuser [reason]" decides, as does
// `tacit held approve|reject`. A decision puts the post back in the inbox
// with the decision on its envelope, so that distributing it and telling
// its author happen in the post path, once, whichever way it was taken.

// holdReason says why list l must hold a post by author, "" when it must
// not.
func (s *Server) holdReason(l storage.List, author string) (string, error) {
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
func (s *Server) hold(d *storage.Disposition, l storage.List, id uint64, raw []byte, author, subject, reason string, now time.Time) error {
	tok := newToken()
	d.Held = append(d.Held, storage.Held{List: l.Address, MessageID: id, From: author,
		Subject: subject, Reason: reason, At: now, Token: tok})
	data := s.noticeData(l, consensus.Proposal{}, now)
	data.Token = tok
	data.Post = notice.HeldPost{From: author, Subject: subject, Reason: reason}
	if len(l.Owners) > 0 {
		txt, err := s.notices.Render(notice.HeldOwner, s.listLang(l), data)
		if err != nil {
			return err
		}
		c := s.composeWithAttachment(letter{list: l, from: requestAddress(l), to: strings.Join(l.Owners, ", "),
			text: txt, now: now}, raw)
		out := s.toOne(l, c, l.Owners[0], now)
		out.Queue = s.fanOut(storage.QueueEntry{List: l.Address, From: bounceAddress(l),
			Created: now, NextAttempt: now}, l.Owners)
		d.Outgoing = append(d.Outgoing, out)
	}
	return s.tell(d, l, author, notice.HeldAuthor, data, "", now)
}

// tell sends one of our texts to a person from NAME-request, unless the
// list already wrote to them MaxRepliesPerHour times in the last hour:
// then the text is dropped (and the drop recorded), so that the list can
// never be made to flood anybody.
func (s *Server) tell(d *storage.Disposition, l storage.List, to string, kind notice.Kind, data notice.Data,
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
func (s *Server) tellModerated(d *storage.Disposition, l storage.List, author, subject string, m storage.Moderation, now time.Time) error {
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
func (s *Server) moderateByMail(l storage.List, h textproto.Header, sender string, c reqCommand,
	say func(fr, en string, args ...any), now time.Time) error {
	if !slices.Contains(l.Owners, sender) {
		say("Seuls les responsables de %s peuvent accepter ou refuser un message.",
			"Only the owners of %s can approve or reject a message.", l.Address)
		return nil
	}
	subject := decodedSubject(h)
	tok := tokenWord.FindString(subject)
	reason := c.arg
	if tok == "" {
		tok = tokenWord.FindString(c.arg)
		reason = strings.TrimSpace(strings.Replace(c.arg, tok, "", 1))
	}
	held, err := s.o.Store.HeldByToken(tok)
	if errors.Is(err, storage.ErrNotFound) || tok == "" {
		say("Ce message n'attend plus de décision (déjà accepté ou refusé ?).",
			"That message no longer waits for a decision (already approved or rejected?).")
		return nil
	}
	if err != nil {
		return err
	}
	if held.List != l.Address {
		say("Ce message attend sur une autre liste.", "That message waits on another list.")
		return nil
	}
	approved := c.verb == "approve"
	if _, err := s.o.Store.ModerateHeld(held.ID, storage.Moderation{Approved: approved, Reason: reason,
		By: sender, At: now}); err != nil {
		return err
	}
	s.wakeInbox()
	if approved {
		say("Le message de %s est accepté : il part vers la liste.", "The message from %s is approved: it goes to the list.", held.From)
	} else {
		say("Le message de %s est refusé ; son auteur en est informé.", "The message from %s is rejected; its author is told.", held.From)
	}
	return nil
}

// setPassword gives a member a new IMAP password and returns it.
func (s *Server) setPassword(l storage.List, member string) (string, error) {
	return admin.SetPassword(s.o.Store, l.Address, member)
}

// recipients returns the addresses list l delivers to: its members whose
// delivery is not disabled.
func (s *Server) recipients(l storage.List) ([]string, error) {
	members, err := s.o.Store.Members(l.Address)
	if err != nil {
		return nil, err
	}
	addrs := make([]string, 0, len(members))
	for _, m := range members {
		if !m.Disabled {
			addrs = append(addrs, m.Address)
		}
	}
	return addrs, nil
}

// wakeInbox makes the post path read the inbox again soon.
func (s *Server) wakeInbox() {
	select {
	case s.incoming <- struct{}{}:
	default:
	}
}

// recipientCache keeps the recipients of each list for the length of one
// piece of work (a batch of the engine's tick); nil caches nothing.
type recipientCache map[string][]string

func (rc recipientCache) get(s *Server, l storage.List) ([]string, error) {
	if addrs, ok := rc[l.Address]; ok {
		return addrs, nil
	}
	addrs, err := s.recipients(l)
	if err == nil && rc != nil {
		rc[l.Address] = addrs
	}
	return addrs, err
}
