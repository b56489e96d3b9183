package listserv

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

	"tacit/consensus"
	"tacit/listserv/classify"
	"tacit/listserv/notice"
	"tacit/storage"
)

// hook is what the consensus side of the post path decided about one
// member's post: how to distribute it and what to record with it.
type hook struct {
	// subject replaces the distributed Subject ("" keeps it).
	subject string
	// extra header fields of a proposal (X-Tacit-*).
	extra []string
	// footer is appended to the distributed body ("" for none).
	footer string
	// update, threads and outgoing go into the post's Disposition.
	update   *storage.ProposalUpdate
	threads  []storage.ThreadLink
	outgoing []storage.Outgoing
}

// consensusHook reads a post as a proposal, or as a reply to one (the
// classifier that `tacit explain` also uses), and applies it. member says
// whether its author is a member of the list: only members open
// proposals, and a non-member's commands are refused (a non-member's
// post reaches the list only when its owners approve it). Callers hold
// s.proposalMu until the result is committed.
func (s *Server) consensusHook(l storage.List, id uint64, raw []byte, h textproto.Header,
	env storage.Envelope, author string, member bool, now time.Time) (hook, error) {
	received := env.ReceivedAt
	if received.IsZero() {
		received = now
	}
	r, err := classify.Read(classify.Input{Raw: raw, Header: h, List: l.Address, Received: received,
		Location: s.o.Consensus.Location}, s.o.Store)
	if err != nil {
		return hook{}, err
	}
	who := sender{addr: author, name: displayName(h), member: member}
	switch {
	case r.Kind == classify.Reply:
		authentic := func() (bool, string) { return s.o.Authenticity.Authentic(raw, env.RemoteAddr) }
		return s.reply(l, r, who, authentic, received, now)
	case r.Kind == classify.Proposal && member:
		return s.propose(l, id, r, who, received, now)
	}
	return hook{}, nil
}

// sender is who wrote a post.
type sender struct {
	addr, name string
	member     bool
}

// propose opens a proposal from a member's post. A deadline line that
// cannot be read is never ignored silently: the default applies, the
// distributed copy says so, and the author is told at once.
func (s *Server) propose(l storage.List, id uint64, r classify.Reading, who sender, received, now time.Time) (hook, error) {
	n, err := s.o.Store.ReserveProposalNumber(l.Address, id)
	if err != nil {
		return hook{}, err
	}
	def := s.o.DefaultDeadline
	if l.Deadline > 0 {
		def = l.Deadline
	}
	unread := ""
	if r.DeadlineError != "" {
		unread = r.DeadlineLine
	}
	p := consensus.NewProposal(consensus.Draft{
		List: l.Address, Number: n, Author: who.addr, AuthorName: who.name, Title: r.Parsed.Title,
		MessageID: strings.Trim(r.MessageID, "<>"), Text: r.OwnText, DeadlineUnread: unread,
		Received: received, Requested: r.Deadline, Default: def, Min: s.o.Consensus.MinDeadline,
		RemindBefore: s.o.Consensus.RemindBefore,
	})
	lang := s.listLang(l)
	tag := "PROPOSITION"
	if lang == "en" {
		tag = "PROPOSAL"
	}
	foot, err := s.notices.Render(notice.Footer, lang, s.noticeData(l, p, now))
	if err != nil {
		return hook{}, err
	}
	ref := storage.ProposalRef{List: l.Address, Number: n}
	hk := hook{
		subject: encodeSubject(fmt.Sprintf("[%s] [%s #%d] %s", l.LocalPart(), tag, n, r.Parsed.Title)),
		extra: []string{
			fmt.Sprintf("X-Tacit-Proposal: %s#%d", l.LocalPart(), n),
			"X-Tacit-Deadline: " + p.Deadline.In(s.o.Consensus.Location).Format(time.RFC3339),
		},
		footer: foot.Body,
		update: &storage.ProposalUpdate{Proposal: p, Events: []storage.ProposalEvent{
			{Kind: "status", Detail: string(consensus.StatusOpen), From: who.addr, MessageID: 0, At: received}}},
	}
	if p.MessageID != "" {
		hk.threads = append(hk.threads, storage.ThreadLink{MessageID: p.MessageID, Proposal: ref})
	}
	if unread != "" {
		s.o.Logger.Info("post: deadline not understood", "list", l.Address, "proposal", n, "line", unread,
			"err", r.DeadlineError)
		o, err := s.private(l, p, notice.DeadlineUnread, who.addr, now, nil)
		if err != nil {
			return hook{}, err
		}
		hk.outgoing = append(hk.outgoing, o)
	}
	return hk, nil
}

// private returns one of our texts about proposal p, sent to one person
// from the list (answers to it belong on the list), threaded to p.
func (s *Server) private(l storage.List, p consensus.Proposal, kind notice.Kind, to string, now time.Time,
	fill func(*notice.Data)) (storage.Outgoing, error) {
	d := s.noticeData(l, p, now)
	if fill != nil {
		fill(&d)
	}
	txt, err := s.notices.Render(kind, s.listLang(l), d)
	if err != nil {
		return storage.Outgoing{}, err
	}
	lt := letter{list: l, to: to, text: txt, inReplyTo: bracket(p.MessageID), now: now}
	if lt.inReplyTo != "" {
		lt.refs = []string{lt.inReplyTo}
	}
	return s.toOne(l, s.compose(lt), to, now), nil
}

// reply applies a member's reply to a proposal: one reply event, then one
// event per command of the sender's own text; the sender hears privately
// what was counted (or, for a reply without position, that nothing was),
// and the list hears of any outcome or amendment.
func (s *Server) reply(l storage.List, r classify.Reading, who sender, authentic func() (bool, string),
	received, now time.Time) (hook, error) {
	p, err := s.o.Store.Proposal(r.Answers)
	if err != nil {
		return hook{}, err
	}
	events := []consensus.Event{{Kind: consensus.EventReply, From: who.addr, FromName: who.name, Member: who.member,
		At: received, NoPosition: r.NoPosition()}}
	for _, c := range r.Parse.Commands {
		e := consensus.Event{Kind: c.Kind, From: who.addr, FromName: who.name, Member: who.member, At: received,
			Reason: c.Reason, Text: c.Text}
		events = append(events, e)
	}
	var timeline []storage.ProposalEvent
	var outs []storage.Outgoing
	checked, ok, why := false, true, ""
	for _, e := range events {
		if l.RequireAuth && needsAuth(e.Kind) {
			if !checked {
				ok, why = authentic()
				checked = true
			}
			if !ok {
				// A forged objection would block a decision: not counted.
				fx := []consensus.Effect{{Kind: consensus.EffectRefused, To: e.From, Command: e.Kind,
					Why: consensus.WhyUnauthenticated}}
				timeline = append(timeline, storage.ProposalEvent{Kind: string(e.Kind), From: who.addr, At: received,
					Detail: e.Reason + refusal(fx) + ": " + why})
				o, err := s.effectMessages(l, p, fx, e.Reason, now, nil)
				if err != nil {
					return hook{}, err
				}
				outs = append(outs, o...)
				continue
			}
		}
		unread := ""
		if e.Kind == consensus.EventAmend {
			e.Deadline, unread = s.amendedDeadline(e.Text, received)
		}
		next, fx := consensus.Apply(p, e, now)
		if e.Kind == consensus.EventAmend && next.Amended() && len(next.Versions) > len(p.Versions) {
			next.DeadlineUnread = unread
		}
		timeline = append(timeline, statusEvents(p, next, now)...)
		timeline = append(timeline, storage.ProposalEvent{Kind: string(e.Kind), From: who.addr, At: received,
			Detail: e.Reason + refusal(fx)})
		o, err := s.effectMessages(l, next, fx, e.Reason, now, nil)
		if err != nil {
			return hook{}, err
		}
		outs = append(outs, o...)
		if next.DeadlineUnread != "" && next.DeadlineUnread == unread {
			o, err := s.private(l, next, notice.DeadlineUnread, who.addr, now, nil)
			if err != nil {
				return hook{}, err
			}
			outs = append(outs, o)
		}
		p = next
	}
	if who.member && r.NoPosition() {
		o, err := s.private(l, p, notice.Hint, who.addr, now, func(d *notice.Data) {
			d.Hints, d.Unclear = r.Parse.Hints, r.Parse.Unclear
		})
		if err != nil {
			return hook{}, err
		}
		outs = append(outs, o)
	}
	hk := hook{update: &storage.ProposalUpdate{Proposal: p, Events: timeline}, outgoing: outs}
	if r.MessageID != "" {
		hk.threads = append(hk.threads, storage.ThreadLink{MessageID: r.MessageID, Proposal: r.Answers})
	}
	return hk, nil
}

// amendedDeadline reads the deadline line of an amendment's text: the
// deadline it asks for, raised to the minimum (zero when it has none, or
// an unreadable one, whose line is returned).
func (s *Server) amendedDeadline(text string, received time.Time) (time.Time, string) {
	dl, line, err := consensus.FindDeadline(text, received, s.o.Consensus.Location)
	switch {
	case errors.Is(err, consensus.ErrNoDeadline):
		return time.Time{}, ""
	case err != nil:
		return time.Time{}, line
	}
	if earliest := received.Add(s.o.Consensus.MinDeadline); dl.Before(earliest) {
		return earliest, ""
	}
	return dl, ""
}

// needsAuth reports whether a command counts only from an authenticated
// reply on lists that require it: those that block or end a decision.
func needsAuth(k consensus.EventKind) bool {
	switch k {
	case consensus.EventObject, consensus.EventLift, consensus.EventWithdraw, consensus.EventAmend:
		return true
	}
	return false
}

// refusal returns " (refused: why)" when the effects refuse the command.
func refusal(fx []consensus.Effect) string {
	for _, e := range fx {
		if e.Kind == consensus.EffectRefused {
			return " (refused: " + e.Why + ")"
		}
	}
	return ""
}
