package listserv

import (
	"fmt"

	"github.com/emersion/go-message/textproto"
	"net/mail"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/listserv/classify"
	"tacit/listserv/dkim"
	"tacit/listserv/notice"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// Only the member speaks for the member (docs/security.md). A proposal and
// every reply command count only when the message is authenticated as
// its From: an aligned DKIM signature (each signature once per list), or
// the Authentication-Results of a trusted relay. Otherwise, on the
// default "dkim-or-confirm", tacit asks the From address privately to
// confirm by a plain reply (Subject "confirm TOKEN", from NAME-request):
// a forger never sees the question. A command then counts as of its own
// receipt, and a deadline never passes over it while it waits (at most
// confirm_window); a proposal is held and opens at its confirmation.

// ReasonUnconfirmed is the held reason of a proposal that waits for its
// author's confirmation.
const ReasonUnconfirmed = notice.ReasonUnconfirmed

// authMode returns how list l authenticates senders: its own setting,
// "dkim" for the older require-auth flag, else the server's.
func (s *processor) authMode(l storage.List) string {
	switch {
	case l.Authentication != "":
		return l.Authentication
	case l.RequireAuth:
		return storage.AuthDKIM
	}
	return s.o.Consensus.Authentication
}

// confirmWindow is how long a command waits for its confirmation.
func (s *processor) confirmWindow() time.Duration { return s.o.Consensus.ConfirmWindow }

// authenticate checks msg for list l; a DKIM signature that already
// authenticated a message of the list does not count again.
func (s *processor) authenticate(l storage.List, in *inbound) (dkim.Result, error) {
	r := s.checkAuth(in)
	if r.OK && !addressedTo(in.h, l.Address) {
		// A signature proves who wrote, not to whom: a member's private
		// reply resent to the list is not their word to the list.
		return dkim.Result{How: "the list is not among the message's recipients (To, Cc)"}, nil
	}
	if r.OK && r.Signature != "" {
		used, err := s.o.Store.SignatureUsed(l.Address, r.Signature)
		if err != nil {
			return r, err
		}
		if used {
			return dkim.Result{How: "this DKIM signature was already used on the list (a replay)"}, nil
		}
	}
	return r, nil
}

// checkAuth returns how in is authenticated as its From (DKIM, a
// trusted relay), checked once however many steps ask.
func (s *processor) checkAuth(in *inbound) dkim.Result {
	if in.auth == nil {
		r := s.o.Authenticity.Authenticate(in.raw, in.env.RemoteAddr)
		in.auth = &r
	}
	return *in.auth
}

// addressedTo reports whether the To or Cc of header h names list.
func addressedTo(h textproto.Header, list string) bool {
	for _, field := range []string{"To", "Cc"} {
		for _, v := range h.Values(field) {
			as, err := mail.ParseAddressList(v)
			if err != nil {
				if strings.Contains(strings.ToLower(v), strings.ToLower(list)) {
					return true // unparsable, but it names the list
				}
				continue
			}
			for _, a := range as {
				if storage.NormalizeAddress(a.Address) == storage.NormalizeAddress(list) {
					return true
				}
			}
		}
	}
	return false
}

// holdForConfirmation keeps an unauthenticated proposal until its author
// confirms it by a plain reply; it opens then.
func (s *processor) holdForConfirmation(l storage.List, in *inbound) error {
	d, author, subject, now := in.d, in.author, in.subject, in.now
	tok := newToken()
	d.Held = append(d.Held, storage.Held{List: l.Address, MessageID: in.id, From: author,
		Subject: subject, Reason: ReasonUnconfirmed, At: now, Token: tok})
	data := s.noticeData(l, consensus.Proposal{}, now)
	data.Token = tok
	data.Post = notice.HeldPost{From: author, Subject: subject, Reason: ReasonUnconfirmed}
	s.o.Logger.Info("post: proposal waits for its author's confirmation", "message", in.id, "list", l.Address,
		"from", author)
	return s.tell(d, l, author, notice.ConfirmProposal, data, "", now)
}

// awaitConfirmation records that the commands of an unauthenticated
// reply wait for its sender's confirmation, and asks for it — within the
// cap on what the list writes to one address in an hour, so that forged
// replies cannot flood a member with questions (beyond it, the commands
// count for nothing).
func (s *processor) awaitConfirmation(l storage.List, p consensus.Proposal, r classify.Reading, in *inbound,
	who sender) (consensus.Proposal, hook, error) {
	now := in.now
	n, err := s.o.Store.RepliesSince(who.addr, now.Add(-time.Hour))
	if err != nil {
		return p, hook{}, err
	}
	if n >= s.o.MaxRepliesPerHour {
		s.o.Logger.Warn("reply cap reached: no confirmation question", "list", l.Address, "to", who.addr, "replies", n)
		return p, hook{}, nil
	}
	tok := newToken()
	received := in.received
	until := received.Add(s.confirmWindow())
	p = p.WithAwaiting(consensus.Awaiting{Token: tok, Member: who.addr, At: received, Until: until})
	c := storage.Confirmation{Token: tok, List: l.Address, Address: who.addr, Action: "command",
		Created: now, Expires: until, Message: in.id, Proposal: r.Answers, Received: received}
	data := s.noticeData(l, p, now)
	data.Token = tok
	for _, cmd := range r.Parse.Commands {
		data.Commands = append(data.Commands, cmd.Kind)
	}
	txt, err := s.notices.Render(notice.ConfirmCommand, s.listLang(l), data)
	if err != nil {
		return p, hook{}, err
	}
	lt := letter{list: l, from: requestAddress(l), to: who.addr, text: txt, inReplyTo: r.MessageID, now: now}
	return p, hook{outgoing: []storage.Outgoing{s.toOne(l, s.compose(lt), who.addr, now)},
		confirmations: []storage.Confirmation{c}, replies: []storage.Reply{{Address: who.addr, At: now}}}, nil
}

// confirmCommands counts the commands of a reply whose sender just
// confirmed them, as of the reply's receipt.
func (s *processor) confirmCommands(rq *requestRun, c storage.Confirmation) error {
	d, l, now, say := rq.d, rq.l, rq.now, rq.say
	raw, _, err := s.o.Store.Message(c.Message)
	if err != nil {
		return fmt.Errorf("confirmed reply %d: %w", c.Message, err)
	}
	p, err := s.o.Store.Proposal(c.Proposal)
	if err != nil {
		return fmt.Errorf("confirmed reply %d: %w", c.Message, err)
	}
	r, err := classify.Read(classify.Input{Raw: raw, List: l.Address, Received: c.Received,
		Location: s.o.Consensus.Location}, s.o.Store)
	if err != nil {
		return err
	}
	p, waiting := p.WithoutAwaiting(c.Token)
	member, err := s.o.Store.IsMember(l.Address, c.Address)
	if err != nil {
		return err
	}
	who := sender{addr: c.Address, member: member, auth: storage.AuthByConfirm, msg: c.Message, channel: storage.ChannelMail}
	if h, _, err := rewrite.Split(raw); err == nil {
		who.name = displayName(h)
	}
	var timeline []storage.ProposalEvent
	for _, cmd := range r.Parse.Commands {
		e := consensus.Event{Kind: cmd.Kind, From: c.Address, FromName: who.name, Member: member, At: c.Received,
			Reason: cmd.Reason, Text: cmd.Text}
		var out []storage.Outgoing
		p, out, timeline, err = s.applyCommand(l, p, e, who, timeline, now)
		if err != nil {
			return err
		}
		d.Outgoing = append(d.Outgoing, out...)
	}
	d.Proposals = append(d.Proposals, storage.ProposalUpdate{Proposal: p, Events: append(timeline,
		storage.ProposalEvent{Kind: storage.EventConfirmed, From: c.Address, At: now, MessageID: c.Message,
			Auth: storage.AuthByConfirm})})
	d.UsedTokens = append(d.UsedTokens, c.Token)
	if !waiting {
		s.o.Logger.Info("confirm: the wait had ended; commands applied as late", "list", l.Address,
			"proposal", c.Proposal.Number, "from", c.Address)
	}
	say(notice.CommandsConfirmed, c.Proposal.Number)
	return nil
}
