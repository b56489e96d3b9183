package listserv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"tacit/listserv/classify"
	"time"

	"tacit/consensus"
	"tacit/listserv/notice"
	"tacit/listserv/webpos"
	"tacit/storage"
)

// Positions in one click (docs/membership.md): a member's link to support,
// object or lift (listserv/webpos) carries a token keyed per member, list
// and proposal, derived from the store's secret with a label of its own.
// The token stands for the authentication of docs/security.md: only the
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
	// Read, apply and write with nothing between: no tick, no post, on
	// any node.
	var why string
	err := s.exclusive(context.Background(), func() error {
		var err error
		why, err = s.webPositionLocked(list, number, member, kind, reason)
		return err
	})
	return why, err
}

// webPositionLocked is WebPosition under lockDecide.
func (s *processor) webPositionLocked(list string, number int, member string, kind consensus.EventKind,
	reason string) (string, error) {
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
	if public, err := s.o.Store.LinkRevoked(storage.LinkRef{List: l.Address, Number: number, Member: m.Address}); err != nil {
		return "", err
	} else if public {
		// Quoted in a message to the whole list: anyone could use it.
		return consensus.WhyLinkPublic, nil
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
	if public, err := s.o.Store.LinkRevoked(storage.LinkRef{List: l.Address, Number: p.Number, Member: member}); err != nil || public {
		return k // made public: no link stands for them any more
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

// personalLinks writes member rcpt's own token in place of the
// placeholder of a distributed proposal's links (webpos.Placeholder);
// changed says it did (the copy is then signed over its own body).
// Copies without the placeholder go out as they are.
func (s *processor) personalLinks(e *storage.QueueEntry, rcpt string, body []byte) (out []byte, changed bool) {
	placeholder := []byte(webpos.Placeholder)
	if e.Proposal <= 0 || len(s.webKey) == 0 || !bytes.Contains(body, placeholder) {
		return body, false
	}
	token := webpos.Token(s.webKey, e.List, e.Proposal, storage.NormalizeAddress(rcpt))
	return bytes.ReplaceAll(body, placeholder, []byte(token)), true
}

// linkInText finds our one-click links in a message's bytes or text:
// their token.
var linkInText = regexp.MustCompile(`/p/([A-Za-z0-9_-]{24,})/(?:support|object|lift)`)

// leakedLinks returns the one-click links of members that a post about
// to go to the whole list quotes (a reply that kept the footer, an
// acknowledgment forwarded): from now on anyone could use them, so they
// stop standing for their member.
func (s *processor) leakedLinks(in *inbound) []storage.LinkRef {
	if len(s.webKey) == 0 {
		return nil
	}
	text, _ := classify.BodyText(in.raw)
	var out []storage.LinkRef
	seen := map[string]bool{}
	for _, src := range [][]byte{in.raw, []byte(text)} {
		for _, m := range linkInText.FindAllSubmatch(src, -1) {
			tok := string(m[1])
			if seen[tok] {
				continue
			}
			seen[tok] = true
			if list, n, member, ok := webpos.Parse(s.webKey, tok); ok {
				out = append(out, storage.LinkRef{List: list, Number: n, Member: member})
			}
		}
	}
	return out
}

// placeholderLinks are the one-click links of a mail to the whole list
// about a proposal, with the placeholder where each member's token goes
// at delivery (personalLinks); none without HTTP.
func (s *processor) placeholderLinks(actions ...string) notice.Links {
	var k notice.Links
	if len(s.webKey) == 0 {
		return k
	}
	for _, a := range actions {
		u := webpos.PlaceholderURL(s.o.HTTPBaseURL, a)
		switch a {
		case webpos.Support:
			k.Support = u
		case webpos.Object:
			k.Object = u
		case webpos.Lift:
			k.Lift = u
		}
	}
	return k
}
