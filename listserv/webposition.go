package listserv

import (
	"errors"
	"fmt"
	"time"

	"tacit/consensus"
	"tacit/listserv/notice"
	"tacit/listserv/webpos"
	"tacit/storage"
)

// Positions in one click (SPEC section 14): a member's link to support,
// object or lift (listserv/webpos) carries a token keyed per member, list
// and proposal, derived from the store's secret with a label of its own.
// The token stands for the authentication of SPEC section 11: only the
// member's own mail carried it. A position taken so is applied exactly
// as the mail command (applyCommand: the same acknowledgment, the same
// deadline rules), as that member, with a timeline entry on the web
// channel, written in one transaction (Store.Decide).

// WebPosition applies member's position kind (support, object or lift)
// to proposal number of list, as of now, and returns why it did not
// count (consensus.Why*), "" when it counted. A member who left the list
// is refused without a mail; an unknown list or proposal is
// storage.ErrNotFound.
func (s *processor) WebPosition(list string, number int, member string, kind consensus.EventKind,
	reason string) (string, error) {
	switch kind {
	case consensus.EventSupport, consensus.EventObject, consensus.EventLift:
	default:
		return "", fmt.Errorf("listserv: web position %q: not a position", kind)
	}
	if kind != consensus.EventObject {
		reason = ""
	}
	// Read, apply and write with nothing between: no tick, no post.
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.o.Store.List(list)
	if err != nil {
		return "", err
	}
	m, err := s.o.Store.Member(l.Address, member)
	if errors.Is(err, storage.ErrNotFound) {
		return consensus.WhyNotMember, nil
	}
	if err != nil {
		return "", err
	}
	p, err := s.o.Store.Proposal(storage.ProposalRef{List: l.Address, Number: number})
	if err != nil {
		return "", err
	}
	now := s.o.Now().UTC()
	who := sender{addr: m.Address, member: true, auth: storage.AuthByWebToken, channel: storage.ChannelWeb}
	e := consensus.Event{Kind: kind, From: who.addr, FromName: who.name, Member: true, At: now, Reason: reason}
	next, outs, timeline, err := s.applyCommand(l, p, e, who, nil, now)
	if err != nil {
		return "", err
	}
	why := ""
	if n := len(timeline); n > 0 {
		why = timeline[n-1].Refusal
	}
	if err := s.o.Store.Decide([]storage.ProposalUpdate{{Proposal: next, Events: timeline}}, outs); err != nil {
		return "", err
	}
	s.o.Logger.Info("web position", "list", l.Address, "proposal", number, "member", who.addr, "kind", kind,
		"refusal", why)
	return why, nil
}

// links are member's one-click links about p, for the private mails
// tacit writes them (acknowledgment, hint, deadline notice): support and
// object while p is open and before its deadline (not the one they
// already took), lift while their objection stands. None without HTTP.
func (s *processor) links(l storage.List, p consensus.Proposal, member string, now time.Time) notice.Links {
	var k notice.Links
	if s.o.HTTPBaseURL == "" || len(s.webKey) == 0 || p.Number <= 0 || member == "" {
		return k
	}
	url := func(action string) string {
		return webpos.URL(s.o.HTTPBaseURL, s.webKey, l.Address, p.Number, member, action)
	}
	if p.Status == consensus.StatusOpen && now.Before(p.Deadline) {
		if !p.Supporter(member) {
			k.Support = url(webpos.Support)
		}
		if !p.Objector(member) {
			k.Object = url(webpos.Object)
		}
	}
	if (p.Status == consensus.StatusOpen || p.Status == consensus.StatusBlocked) && p.Objector(member) {
		k.Lift = url(webpos.Lift)
	}
	return k
}
