package listserv

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"tacit/consensus"
	"tacit/listserv/notice"
	"tacit/storage"
)

// What silence could not settle goes to the next meeting (docs/meetings.md).
// agenda_before ahead of each meeting, the list gets its agenda:
// the blocked proposals with their objections, those still open after
// the meeting, the decisions since the previous one. After it, an owner
// records what was decided (settle): adopted at the meeting, rejected,
// or postponed to the next one.

// agendas sends the agendas due at now, each once: the mark and the
// message are one transaction, written only if the agenda is not yet
// marked sent (another node may have sent it, should the lock be lost).
func (s *processor) agendas(now time.Time) error {
	due, err := s.o.Store.DueAgendas(now, s.o.Consensus.AgendaBefore)
	if err != nil {
		return err
	}
	for _, m := range due {
		out, ok, err := s.prepareAgenda(m, now)
		if err != nil {
			return err
		}
		if ok {
			if err := s.writeAgenda(m, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// prepareAgenda reads and writes meeting m's agenda; false when its list
// is gone.
func (s *processor) prepareAgenda(m storage.Meeting, now time.Time) (storage.Outgoing, bool, error) {
	l, err := s.o.Store.List(m.List)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Outgoing{}, false, nil
	}
	if err != nil {
		return storage.Outgoing{}, false, err
	}
	out, err := s.agenda(l, m, now)
	if err != nil {
		return storage.Outgoing{}, false, fmt.Errorf("agenda of meeting %d: %w", m.ID, err)
	}
	return out, true, nil
}

// writeAgenda sends out, meeting m's agenda, unless it was sent meanwhile.
func (s *processor) writeAgenda(m storage.Meeting, out storage.Outgoing) error {
	sent, err := s.o.Store.SendAgenda(m, out)
	if err != nil || !sent {
		return err
	}
	s.o.Logger.Info("engine: agenda sent", "list", m.List, "meeting", m.ID, "at", m.At)
	return nil
}

// agenda writes meeting m's agenda to list l.
func (s *processor) agenda(l storage.List, m storage.Meeting, now time.Time) (storage.Outgoing, error) {
	all, err := s.o.Store.Proposals(l.Address)
	if err != nil {
		return storage.Outgoing{}, err
	}
	meetings, err := s.o.Store.Meetings(l.Address)
	if err != nil {
		return storage.Outgoing{}, err
	}
	var since time.Time // the previous meeting, else the list's beginning
	for _, o := range meetings {
		if o.At.Before(m.At) && o.ID != m.ID {
			since = o.At
		}
	}
	d := s.noticeData(l, consensus.Proposal{}, now)
	d.Meeting = notice.Meeting{At: m.At, Place: m.Place, Title: m.Title}
	d.Members = s.memberCount(l, nil) // the blocked proposals' participation
	for _, p := range all {
		switch {
		case p.Status == consensus.StatusBlocked:
			d.Blocked = append(d.Blocked, p)
		case p.Status == consensus.StatusOpen && p.Deadline.After(m.At):
			d.Upcoming = append(d.Upcoming, p)
		case p.Status.Terminal() && p.Decided.After(since) && !p.Decided.After(now):
			d.Decided = append(d.Decided, p)
		}
	}
	for _, ps := range [][]consensus.Proposal{d.Blocked, d.Upcoming, d.Decided} {
		slices.SortFunc(ps, func(a, b consensus.Proposal) int { return a.Number - b.Number })
	}
	txt, err := s.notices.Render(notice.Agenda, s.listLang(l), d)
	if err != nil {
		return storage.Outgoing{}, err
	}
	c := s.compose(letter{list: l, text: txt, now: now, toList: true, agenda: true})
	return s.toList(l, c, txt.Subject, now, storage.ProposalRef{}, nil)
}

// settlement is a meeting's decision on one proposal.
type settlement struct {
	ref     storage.ProposalRef
	outcome string // consensus.Settle*
	note    string
	by      string // an owner's address, or "cli"
}

// settle applies a meeting's decision: the proposal's new state, its
// timeline entry and the list's notice. why is the refusal when the
// decision cannot apply (the proposal is already decided).
func (s *processor) settle(l storage.List, st settlement, now time.Time) (storage.ProposalUpdate, []storage.Outgoing, string, error) {
	p, err := s.o.Store.Proposal(st.ref)
	if err != nil {
		return storage.ProposalUpdate{}, nil, "", err
	}
	next, fx := consensus.Apply(p, consensus.Event{Kind: consensus.EventSettle, From: st.by, Outcome: st.outcome,
		Reason: st.note, At: now}, now)
	why := refusal(fx)
	timeline := append(statusEvents(p, next, now), storage.ProposalEvent{Kind: string(consensus.EventSettle),
		From: st.by, At: now, Outcome: st.outcome, Reason: st.note, Refusal: why})
	// The owner hears from the command's answer, not an acknowledgment.
	fx = slices.DeleteFunc(fx, func(e consensus.Effect) bool { return e.Kind != consensus.EffectNotice })
	outs, err := s.effectMessages(l, next, fx, "", now, nil)
	if err != nil {
		return storage.ProposalUpdate{}, nil, "", err
	}
	return storage.ProposalUpdate{Proposal: next, Events: timeline, From: &p}, outs, why, nil
}

// Settle records a meeting's decision given on the command line (tacit
// proposal settle), in one transaction with its notice.
func (s *processor) Settle(list string, number int, outcome, note string) error {
	return s.exclusive(context.Background(), func() error {
		d, err := s.prepareSettle(list, number, outcome, note)
		if err != nil {
			return err
		}
		return s.writeSettle(d)
	})
}

// cliSettlement is a settlement given on the command line, applied to
// the proposal as read, not yet written.
type cliSettlement struct {
	list          storage.List
	number        int
	outcome, note string
	update        storage.ProposalUpdate
	outs          []storage.Outgoing
}

// prepareSettle reads the proposal and applies the settlement to it,
// without writing; a proposal already decided is refused.
func (s *processor) prepareSettle(list string, number int, outcome, note string) (cliSettlement, error) {
	l, err := s.o.Store.List(list)
	if err != nil {
		return cliSettlement{}, err
	}
	u, outs, why, err := s.settle(l, settlement{ref: storage.ProposalRef{List: l.Address, Number: number},
		outcome: outcome, note: note, by: "cli"}, s.o.Now().UTC())
	if err != nil {
		return cliSettlement{}, err
	}
	if why != "" {
		return cliSettlement{}, &settleRefusal{
			fr: fmt.Sprintf("la proposition %s#%d est déjà décidée", l.LocalPart(), number),
			en: fmt.Sprintf("proposal %s#%d is already decided", l.LocalPart(), number)}
	}
	return cliSettlement{list: l, number: number, outcome: outcome, note: note, update: u, outs: outs}, nil
}

// writeSettle writes d only if the proposal is still in the state d was
// applied to (Store.DecideFrom). Should another node have changed it
// meanwhile (the lock's connection lost while this node worked under
// it), the settlement is applied again to the proposal as it now is, as
// if it had come after: a proposal settled meanwhile refuses it, so a
// settlement applied on two nodes is written once.
func (s *processor) writeSettle(d cliSettlement) error {
	for try := 1; ; try++ {
		applied, err := s.o.Store.DecideFrom(d.update, d.outs)
		if err != nil || applied {
			return err
		}
		if try == 3 {
			return &settleRefusal{
				fr: fmt.Sprintf("la proposition %s#%d ne cesse de changer", d.list.LocalPart(), d.number),
				en: fmt.Sprintf("proposal %s#%d keeps changing", d.list.LocalPart(), d.number)}
		}
		if d, err = s.prepareSettle(d.list.Address, d.number, d.outcome, d.note); err != nil {
			return err
		}
	}
}

// settleRefusal is a refusal of tacit proposal settle; Error is the
// English, In says it in French too (the admin command answers in its
// caller's language).
type settleRefusal struct{ fr, en string }

func (e *settleRefusal) Error() string { return e.en }

// In returns the refusal in lang: English for "en", else French.
func (e *settleRefusal) In(lang string) string {
	if lang == "en" {
		return e.en
	}
	return e.fr
}

// Settle records a meeting's decision on a store no server holds (tacit
// proposal settle while tacit serve is stopped): the notice waits in the
// queue for the next start. o needs Store, Domain, Language, the SMTP
// host name and the consensus timezone.
func Settle(o Options, list string, number int, outcome, note string) error {
	notices, err := notice.NewRenderer()
	if err != nil {
		return err
	}
	p := &processor{o: o.withDefaults(), notices: notices}
	return p.Settle(list, number, outcome, note)
}
