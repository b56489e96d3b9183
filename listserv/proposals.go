package listserv

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/listserv/classify"
	"tacit/listserv/dkim"
	"tacit/listserv/notice"
	"tacit/listserv/webpos"
	"tacit/storage"
)

// record writes what the consensus side decided into d.
func (hk hook) record(d *storage.Disposition) {
	if hk.update != nil {
		d.Proposals = append(d.Proposals, *hk.update)
	}
	d.Threads = append(d.Threads, hk.threads...)
	d.Outgoing = append(d.Outgoing, hk.outgoing...)
	d.Confirmations = append(d.Confirmations, hk.confirmations...)
	d.Replies = append(d.Replies, hk.replies...)
	d.Signatures = append(d.Signatures, hk.signatures...)
}

// hook is what the consensus side of the post path decided about one
// member's post: how to distribute it and what to record with it.
type hook struct {
	// subject replaces the distributed Subject ("" keeps it).
	subject string
	// extra header fields of a proposal (X-Tacit-*).
	extra []string
	// footer is appended to the distributed body ("" for none).
	footer string
	// update, threads, outgoing, confirmations and signatures go into
	// the post's Disposition.
	update        *storage.ProposalUpdate
	threads       []storage.ThreadLink
	outgoing      []storage.Outgoing
	confirmations []storage.Confirmation
	signatures    []storage.SeenMessage
	replies       []storage.Reply
	// confirm: the post is an unauthenticated proposal, held until its
	// author confirms it.
	confirm bool
}

// consensusHook reads a post as a proposal, or as a reply to one (the
// classifier that `tacit explain` also uses), and applies it. member says
// whether its author is a member of the list: only members open
// proposals, and a non-member's commands are refused (a non-member's
// post reaches the list only when its owners approve it). Callers hold
// s.proposalMu until the result is committed.
func (s *processor) consensusHook(l storage.List, in *inbound, member bool) (hook, error) {
	r, err := classify.Read(classify.Input{Raw: in.raw, Header: in.h, List: l.Address, Received: in.received,
		Location: s.o.Consensus.Location}, s.o.Store)
	if err != nil {
		return hook{}, err
	}
	who := sender{addr: in.author, name: in.name, member: member, msg: in.id, channel: storage.ChannelMail}
	switch {
	case r.Kind == classify.Reply:
		return s.reply(l, r, in, who)
	case r.Kind == classify.Proposal && member:
		if m := in.env.Moderation; m != nil && m.Approved {
			// Confirmed by its author, or approved by an owner.
			return s.propose(l, r, in, who)
		}
		mode := s.authMode(l)
		if mode == storage.AuthNone {
			return s.propose(l, r, in, who)
		}
		auth, err := s.authenticate(l, in)
		if err != nil {
			return hook{}, err
		}
		switch {
		case auth.OK:
			hk, err := s.propose(l, r, in, who)
			if auth.Signature != "" {
				hk.signatures = append(hk.signatures, storage.SeenMessage{List: l.Address, MessageID: auth.Signature})
			}
			return hk, err
		case mode == storage.AuthDKIMOrConfirm:
			return hook{confirm: true}, nil
		}
		// "dkim": distributed as a plain post; the author hears why it
		// opened nothing.
		s.o.Logger.Info("post: unauthenticated proposal not opened", "list", l.Address, "from", in.author, "why", auth.How)
		o, err := s.private(l, consensus.Proposal{Title: r.Parsed.Title}, notice.NotAuthenticated, in.author, in.now, nil)
		return hook{outgoing: []storage.Outgoing{o}}, err
	}
	return hook{}, nil
}

// sender is who wrote a post, and how the timeline records it.
type sender struct {
	addr, name string
	member     bool
	// auth is how the sender was authenticated (storage.AuthBy*), ""
	// when nothing needed it; msg the store id of their message (0 for
	// a position taken on the web).
	auth string
	msg  uint64
	// channel is how their commands came: storage.ChannelMail or
	// storage.ChannelWeb.
	channel string
}

// propose opens a proposal from a member's post. A deadline line that
// cannot be read is never ignored silently: the default applies, the
// distributed copy says so, and the author is told at once.
func (s *processor) propose(l storage.List, r classify.Reading, in *inbound, who sender) (hook, error) {
	id, received, now := in.id, in.received, in.now
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
	fd := s.noticeData(l, p, now)
	// Each member's copy gets their own token in place of the
	// placeholder, at delivery (personalLinks).
	fd.Links = s.placeholderLinks(webpos.Support, webpos.Object)
	foot, err := s.notices.Render(notice.Footer, lang, fd)
	if err != nil {
		return hook{}, err
	}
	ref := storage.ProposalRef{List: l.Address, Number: n}
	hk := hook{
		subject: encodeSubject(notice.Say(lang, notice.ProposalSubject, l.LocalPart(), n, r.Parsed.Title)),
		extra: []string{
			fmt.Sprintf("X-Tacit-Proposal: %s#%d", l.LocalPart(), n),
			"X-Tacit-Deadline: " + p.Deadline.In(s.o.Consensus.Location).Format(time.RFC3339),
		},
		footer: foot.Body,
		update: &storage.ProposalUpdate{Proposal: p, Events: []storage.ProposalEvent{
			{Kind: storage.EventStatus, Status: consensus.StatusOpen, From: who.addr, MessageID: id, At: received}}},
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
func (s *processor) private(l storage.List, p consensus.Proposal, kind notice.Kind, to string, now time.Time,
	fill func(*notice.Data)) (storage.Outgoing, error) {
	d := s.noticeData(l, p, now)
	if kind == notice.Hint || kind == notice.DeadlineUnread {
		d.Links = s.links(l, p, to, now)
	}
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
	c := s.compose(lt)
	o := s.toOne(l, c, to, now)
	if p.Number > 0 {
		// A plain Reply to it (to the list) threads to the proposal.
		o.MessageIDHeader, o.Thread = c.messageID, storage.ProposalRef{List: l.Address, Number: p.Number}
	}
	return o, nil
}

// reply applies a member's reply to a proposal: one reply event, then one
// event per command of the sender's own text; the sender hears privately
// what was counted (or, for a reply without position, that nothing was),
// and the list hears of any outcome or amendment. Commands count only
// from an authenticated message (docs/security.md); otherwise they wait
// for the sender's confirmation, or are refused on "dkim" lists.
func (s *processor) reply(l storage.List, r classify.Reading, in *inbound, who sender) (hook, error) {
	received, now := in.received, in.now
	p, err := s.o.Store.Proposal(r.Answers)
	if err != nil {
		return hook{}, err
	}
	var hk hook
	var timeline []storage.ProposalEvent
	p, hk.outgoing, timeline, err = s.applyCommand(l, p, consensus.Event{Kind: consensus.EventReply,
		From: who.addr, FromName: who.name, Member: who.member, At: received, NoPosition: r.NoPosition()}, who, nil, now)
	if err != nil {
		return hook{}, err
	}
	mode := s.authMode(l)
	auth := dkim.Result{OK: true}
	if len(r.Parse.Commands) > 0 && who.member && mode != storage.AuthNone && !p.Status.Terminal() {
		if auth, err = s.authenticate(l, in); err != nil {
			return hook{}, err
		}
		if auth.OK && auth.Signature != "" {
			hk.signatures = append(hk.signatures, storage.SeenMessage{List: l.Address, MessageID: auth.Signature})
		}
	}
	switch {
	case mode == storage.AuthNone:
		who.auth = storage.AuthByNone
	case auth.Signature != "":
		who.auth = storage.AuthByDKIM
	case auth.OK && auth.How != "":
		who.auth = storage.AuthByRelay
	}
	switch {
	case !auth.OK && mode == storage.AuthDKIMOrConfirm:
		var asked hook
		if p, asked, err = s.awaitConfirmation(l, p, r, in, who); err != nil {
			return hook{}, err
		}
		hk.outgoing = append(hk.outgoing, asked.outgoing...)
		hk.confirmations = append(hk.confirmations, asked.confirmations...)
		hk.replies = append(hk.replies, asked.replies...)
		note := auth.How
		if len(asked.confirmations) == 0 {
			note += "; no question sent: the cap on mail to this address was reached"
		}
		timeline = append(timeline, storage.ProposalEvent{Kind: storage.EventAwaiting, From: who.addr, At: received,
			MessageID: in.id, Commands: commandKinds(r.Parse.Commands), Channel: storage.ChannelMail,
			Auth: storage.AuthByNotProven, Note: note})
	case !auth.OK:
		// A forged objection would block a decision: not counted.
		for _, c := range r.Parse.Commands {
			fx := []consensus.Effect{{Kind: consensus.EffectRefused, To: who.addr, Command: c.Kind,
				Why: consensus.WhyUnauthenticated}}
			timeline = append(timeline, storage.ProposalEvent{Kind: string(c.Kind), From: who.addr, At: received,
				MessageID: in.id, Reason: c.Reason, Refusal: consensus.WhyUnauthenticated, Channel: storage.ChannelMail,
				Auth: storage.AuthByNotProven, Note: auth.How})
			o, err := s.effectMessages(l, p, fx, c.Reason, now, nil)
			if err != nil {
				return hook{}, err
			}
			hk.outgoing = append(hk.outgoing, o...)
		}
	default:
		for _, c := range r.Parse.Commands {
			e := consensus.Event{Kind: c.Kind, From: who.addr, FromName: who.name, Member: who.member, At: received,
				Reason: c.Reason, Text: c.Text}
			var outs []storage.Outgoing
			if p, outs, timeline, err = s.applyCommand(l, p, e, who, timeline, now); err != nil {
				return hook{}, err
			}
			hk.outgoing = append(hk.outgoing, outs...)
		}
	}
	if who.member && r.NoPosition() {
		o, err := s.private(l, p, notice.Hint, who.addr, now, func(d *notice.Data) {
			d.Hints, d.Unclear = r.Parse.Hints, r.Parse.Unclear
		})
		if err != nil {
			return hook{}, err
		}
		hk.outgoing = append(hk.outgoing, o)
	}
	hk.update = &storage.ProposalUpdate{Proposal: p, Events: timeline}
	if r.MessageID != "" {
		hk.threads = append(hk.threads, storage.ThreadLink{MessageID: r.MessageID, Proposal: r.Answers})
	}
	return hk, nil
}

// applyCommand applies one counted command to p: the timeline entries,
// the acknowledgment or refusal, any notice to the list, and for an
// amendment whose deadline line cannot be read, the author's notice.
func (s *processor) applyCommand(l storage.List, p consensus.Proposal, e consensus.Event, who sender,
	timeline []storage.ProposalEvent, now time.Time) (consensus.Proposal, []storage.Outgoing, []storage.ProposalEvent, error) {
	unread := ""
	if e.Kind == consensus.EventAmend {
		e.Deadline, unread = s.amendedDeadline(e.Text, e.At)
	}
	next, fx := consensus.Apply(p, e, now)
	if e.Kind == consensus.EventAmend && len(next.Versions) > len(p.Versions) {
		next.DeadlineUnread = unread
	}
	timeline = append(timeline, statusEvents(p, next, now)...)
	timeline = append(timeline, storage.ProposalEvent{Kind: string(e.Kind), From: who.addr, At: e.At,
		MessageID: who.msg, Reason: e.Reason, Refusal: refusal(fx), Channel: who.channel, Auth: who.auth})
	outs, err := s.effectMessages(l, next, fx, e.Reason, now, nil)
	if err != nil {
		return p, nil, timeline, err
	}
	if unread != "" && next.DeadlineUnread == unread {
		o, err := s.private(l, next, notice.DeadlineUnread, who.addr, now, nil)
		if err != nil {
			return p, nil, timeline, err
		}
		outs = append(outs, o)
	}
	return next, outs, timeline, nil
}

// commandKinds returns the kinds of commands, in order.
func commandKinds(cs []consensus.Command) []consensus.EventKind {
	kinds := make([]consensus.EventKind, len(cs))
	for i, c := range cs {
		kinds[i] = c.Kind
	}
	return kinds
}

// amendedDeadline reads the deadline line of an amendment's text: the
// deadline it asks for, raised to the minimum (zero when it has none, or
// an unreadable one, whose line is returned).
func (s *processor) amendedDeadline(text string, received time.Time) (time.Time, string) {
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

// refusal returns why the effects refuse the command, "" when they do
// not.
func refusal(fx []consensus.Effect) string {
	for _, e := range fx {
		if e.Kind == consensus.EffectRefused {
			return e.Why
		}
	}
	return ""
}
