package listserv

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

	"tacit/consensus"
	"tacit/listserv/mailtext"
	"tacit/listserv/notice"
	"tacit/listserv/rewrite"
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

// consensusHook reads a post as a proposal, or as a reply to one, and
// applies it. member says whether its author is a member of the list:
// only members open proposals, and a non-member's commands are refused
// (a non-member's post reaches the list only when its owners approve
// it). Callers hold s.proposalMu until the result is committed.
func (s *Server) consensusHook(l storage.List, id uint64, raw []byte, h textproto.Header,
	env storage.Envelope, author string, member bool, now time.Time) (hook, error) {
	subj := consensus.ParseSubject(decodedSubject(h), l.LocalPart())
	ref, threaded, err := s.threadOf(l, h, subj)
	if err != nil {
		return hook{}, err
	}
	received := env.ReceivedAt
	if received.IsZero() {
		received = now
	}
	// The text is read only for replies and proposals: a large post
	// that is neither is never decoded.
	if threaded {
		authentic := func() (bool, string) { return s.o.Authenticity.Authentic(raw, env.RemoteAddr) }
		return s.reply(l, ref, h, bodyText(raw), author, member, authentic, received, now)
	}
	if member && subj.Proposal && !subj.Reply && !h.Has("In-Reply-To") {
		return s.propose(l, id, h, subj, bodyText(raw), author, received, now)
	}
	return hook{}, nil
}

// threadOf finds the proposal a post answers: In-Reply-To, then
// References (newest first), then "#N" in the Subject.
func (s *Server) threadOf(l storage.List, h textproto.Header, subj consensus.Subject) (storage.ProposalRef, bool, error) {
	ids := messageIDs(h.Get("In-Reply-To"))
	refs := messageIDs(h.Get("References"))
	for i := len(refs) - 1; i >= 0; i-- {
		ids = append(ids, refs[i])
	}
	for _, mid := range ids {
		ref, ok, err := s.o.Store.ThreadOf(mid)
		if err != nil {
			return ref, false, err
		}
		if ok && ref.List == l.Address {
			return ref, true, nil
		}
	}
	if subj.Number > 0 && !subj.Proposal {
		ref := storage.ProposalRef{List: l.Address, Number: subj.Number}
		if _, err := s.o.Store.Proposal(ref); err == nil {
			return ref, true, nil
		} else if !errors.Is(err, storage.ErrNotFound) {
			return ref, false, err
		}
	}
	return storage.ProposalRef{}, false, nil
}

// messageIDs returns the <…> tokens of a Message-ID list header.
func messageIDs(v string) []string {
	var out []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return out
		}
		out = append(out, v[i:i+j+1])
		v = v[i+j+1:]
	}
}

// bodyText returns the readable text of a message, or its raw body when
// it cannot be decoded.
func bodyText(raw []byte) string {
	if t, err := mailtext.Text(raw); err == nil {
		return t
	}
	if _, off, err := rewrite.Split(raw); err == nil {
		body := raw[off:]
		return string(body[:min(len(body), mailtext.MaxText)])
	}
	return ""
}

// propose opens a proposal from a member's post.
func (s *Server) propose(l storage.List, id uint64, h textproto.Header, subj consensus.Subject,
	text, author string, received, now time.Time) (hook, error) {
	n, err := s.o.Store.ReserveProposalNumber(l.Address, id)
	if err != nil {
		return hook{}, err
	}
	own := consensus.OwnText(text)
	loc := s.o.Consensus.Location
	requested, _, err := consensus.FindDeadline(own, received, loc)
	if err != nil && !errors.Is(err, consensus.ErrNoDeadline) {
		requested = time.Time{} // an unreadable deadline line: the list's default
	}
	def := s.o.DefaultDeadline
	if l.Deadline > 0 {
		def = l.Deadline
	}
	p := consensus.NewProposal(consensus.Draft{
		List: l.Address, Number: n, Author: author, Title: subj.Title,
		MessageID: strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>"), Text: own,
		Received: received, Requested: requested, Default: def, Min: s.o.Consensus.MinDeadline,
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
		subject: encodeSubject(fmt.Sprintf("[%s] [%s #%d] %s", l.LocalPart(), tag, n, subj.Title)),
		extra: []string{
			fmt.Sprintf("X-Tacit-Proposal: %s#%d", l.LocalPart(), n),
			"X-Tacit-Deadline: " + p.Deadline.In(loc).Format(time.RFC3339),
		},
		footer: foot.Body,
		update: &storage.ProposalUpdate{Proposal: p, Events: []storage.ProposalEvent{
			{Kind: "status", Detail: string(consensus.StatusOpen), From: author, MessageID: 0, At: received}}},
	}
	if p.MessageID != "" {
		hk.threads = append(hk.threads, storage.ThreadLink{MessageID: p.MessageID, Proposal: ref})
	}
	return hk, nil
}

// reply applies a member's reply to a proposal: one reply event, then one
// event per command of the sender's own text; the sender hears privately
// what was counted, and the list hears of any outcome.
func (s *Server) reply(l storage.List, ref storage.ProposalRef, h textproto.Header, text, author string,
	member bool, authentic func() (bool, string), received, now time.Time) (hook, error) {
	p, err := s.o.Store.Proposal(ref)
	if err != nil {
		return hook{}, err
	}
	parse := consensus.Commands(consensus.OwnText(text))
	events := []consensus.Event{{Kind: consensus.EventReply, From: author, Member: member, At: received}}
	for _, c := range parse.Commands {
		events = append(events, consensus.Event{Kind: c.Kind, From: author, Member: member, At: received,
			Reason: c.Reason, Text: c.Text})
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
				timeline = append(timeline, storage.ProposalEvent{Kind: string(e.Kind), From: author, At: received,
					Detail: e.Reason + refusal(fx) + ": " + why})
				o, err := s.effectMessages(l, p, fx, e.Reason, now, nil)
				if err != nil {
					return hook{}, err
				}
				outs = append(outs, o...)
				continue
			}
		}
		next, fx := consensus.Apply(p, e, now)
		timeline = append(timeline, statusEvents(p, next, now)...)
		timeline = append(timeline, storage.ProposalEvent{Kind: string(e.Kind), From: author, At: received,
			Detail: e.Reason + refusal(fx)})
		o, err := s.effectMessages(l, next, fx, e.Reason, now, nil)
		if err != nil {
			return hook{}, err
		}
		outs = append(outs, o...)
		p = next
	}
	if len(parse.Commands) == 0 && len(parse.Hints) > 0 {
		d := s.noticeData(l, p, now)
		d.Hints = parse.Hints
		txt, err := s.notices.Render(notice.Hint, s.listLang(l), d)
		if err != nil {
			return hook{}, err
		}
		c := s.compose(letter{list: l, to: author, text: txt, inReplyTo: bracket(p.MessageID), now: now})
		outs = append(outs, s.toOne(l, c, author, now))
	}
	hk := hook{update: &storage.ProposalUpdate{Proposal: p, Events: timeline}, outgoing: outs}
	if mid := strings.TrimSpace(h.Get("Message-Id")); mid != "" {
		hk.threads = append(hk.threads, storage.ThreadLink{MessageID: mid, Proposal: ref})
	}
	return hk, nil
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
