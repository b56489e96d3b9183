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
	req := webPosition{list: list, number: number, member: member, kind: kind, reason: reason}
	// Read, apply and write with nothing between: no tick, no post, on
	// any node.
	var why string
	err := s.exclusive(context.Background(), func() error {
		w, err := s.prepareWebPosition(req, false)
		if err != nil {
			return err
		}
		why, err = s.writeWebPosition(req, w)
		return err
	})
	return why, err
}

// webPosition is one position given on the web.
type webPosition struct {
	list   string
	number int
	member string
	kind   consensus.EventKind
	reason string
}

// positionWrite is what a web position writes: the proposal's update,
// decided from the state it was read in (From), and its messages; no
// update when there is nothing to write (why says why, or the position
// was already in effect).
type positionWrite struct {
	update *storage.ProposalUpdate
	outs   []storage.Outgoing
	why    string
	// list and member are the list's and the member's addresses.
	list, member string
}

// prepareWebPosition reads the proposal and applies the position to it,
// without writing. again says that the proposal was changed by another
// node since the position was first applied (the lock was lost between):
// a position already in effect is then left as it is, so that the same
// position applied twice, once on each node, counts once.
func (s *processor) prepareWebPosition(req webPosition, again bool) (positionWrite, error) {
	l, err := s.o.Store.List(req.list)
	if err != nil {
		return positionWrite{}, err
	}
	m, err := s.o.Store.Member(l.Address, req.member)
	if errors.Is(err, storage.ErrNotFound) {
		return positionWrite{why: consensus.WhyNotMember}, nil
	}
	if err != nil {
		return positionWrite{}, err
	}
	if public, err := s.o.Store.LinkRevoked(storage.LinkRef{List: l.Address, Number: req.number, Member: m.Address}); err != nil {
		return positionWrite{}, err
	} else if public {
		// Quoted in a message to the whole list: anyone could use it.
		return positionWrite{why: consensus.WhyLinkPublic}, nil
	}
	p, err := s.o.Store.Proposal(storage.ProposalRef{List: l.Address, Number: req.number})
	if err != nil {
		return positionWrite{}, err
	}
	if again && inEffect(p, m.Address, req.kind) {
		return positionWrite{list: l.Address, member: m.Address}, nil
	}
	now := s.o.Now().UTC()
	who := sender{addr: m.Address, member: true, auth: storage.AuthByWebToken, channel: storage.ChannelWeb}
	e := consensus.Event{Kind: req.kind, From: who.addr, FromName: who.name, Member: true, At: now, Reason: req.reason}
	next, outs, timeline, err := s.applyCommand(l, p, e, who, nil, now)
	if err != nil {
		return positionWrite{}, err
	}
	w := positionWrite{update: &storage.ProposalUpdate{Proposal: next, Events: timeline, From: &p}, outs: outs,
		list: l.Address, member: m.Address}
	if n := len(timeline); n > 0 {
		w.why = timeline[n-1].Refusal
	}
	return w, nil
}

// inEffect reports whether member's position kind on p already holds.
func inEffect(p consensus.Proposal, member string, kind consensus.EventKind) bool {
	switch kind {
	case consensus.EventSupport:
		return p.Supporter(member)
	case consensus.EventObject:
		return p.Objector(member)
	case consensus.EventLift:
		return !p.Objector(member)
	}
	return false
}

// writeWebPosition writes w only if the proposal is still in the state w
// was applied to (Store.DecideFrom). Should another node have changed it
// meanwhile — which the lock prevents, unless its database connection
// was lost while this node worked under it — the position is applied
// again to the proposal as it now is, as if it had come after: no
// position is lost, none counts twice.
func (s *processor) writeWebPosition(req webPosition, w positionWrite) (string, error) {
	for try := 1; w.update != nil; try++ {
		applied, err := s.o.Store.DecideFrom(*w.update, w.outs)
		if err != nil {
			return "", err
		}
		if applied {
			s.o.Logger.Info("web position", "list", w.list, "proposal", req.number,
				"member", w.member, "kind", req.kind, "refusal", w.why)
			return w.why, nil
		}
		if try == 3 {
			return "", fmt.Errorf("listserv: web position on %s#%d: the proposal keeps changing", req.list, req.number)
		}
		if w, err = s.prepareWebPosition(req, true); err != nil {
			return "", err
		}
	}
	return w.why, nil
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
