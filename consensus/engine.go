package consensus

import (
	"slices"
	"time"
)

// EventKind names what happened to a proposal.
type EventKind string

// The events Apply understands. The command events come from a member's
// reply (one event per command found, in order); EventReply counts a reply
// in the thread; EventTick lets time pass.
const (
	EventReply    EventKind = "reply"
	EventObject   EventKind = "object"
	EventLift     EventKind = "lift"
	EventSupport  EventKind = "support"
	EventWithdraw EventKind = "withdraw"
	EventAmend    EventKind = "amend"
	EventTick     EventKind = "tick"
	// EventSettle is a meeting's decision (Outcome, the note in Reason);
	// callers let only the list's owners settle.
	EventSettle EventKind = "settle"
)

// Event is one thing that happened to a proposal.
type Event struct {
	Kind EventKind
	// From is the sender's address (empty for ticks); FromName their
	// display name, when the mail had one.
	From     string
	FromName string
	// Member is true when From is a member of the list.
	Member bool
	// At is when the message was received by SMTP (not its Date header).
	// Ticks use Apply's now instead.
	At time.Time
	// Reason is the objection's reason (EventObject).
	Reason string
	// Text is the new version (EventAmend).
	Text string
	// Deadline is the deadline an amendment asks for (EventAmend); zero
	// starts the previous length again. The caller raises it to the
	// list's minimum.
	Deadline time.Time
	// Outcome is a meeting's decision (EventSettle): SettleAdopted,
	// SettleRejected or SettlePostponed.
	Outcome string
	// NoPosition marks a reply (EventReply) that took no position but
	// held words of disagreement, a question or a near miss: it is
	// counted in Proposal.Unpositioned.
	NoPosition bool
}

// NoticeKind names a notice to the whole list.
type NoticeKind string

// The notices of docs/decisions.md.
const (
	NoticeAdopted   NoticeKind = "adopted"
	NoticeBlocked   NoticeKind = "blocked"
	NoticeWithdrawn NoticeKind = "withdrawn"
	NoticeReminder  NoticeKind = "reminder"
	// NoticeAmended tells the list the new text and deadline of an
	// amended proposal.
	NoticeAmended NoticeKind = "amended"
	// NoticeAdoptedAtMeeting and NoticeRejected tell the list what a
	// meeting decided.
	NoticeAdoptedAtMeeting NoticeKind = "adoptedmeeting"
	NoticeRejected         NoticeKind = "rejected"
)

// EffectKind names what the caller must do after Apply.
type EffectKind string

// The effects Apply returns.
const (
	// EffectNotice: send Notice to the list.
	EffectNotice EffectKind = "notice"
	// EffectAck: tell To privately that Command was recorded.
	EffectAck EffectKind = "ack"
	// EffectRefused: tell To privately that Command was not counted, and
	// Why.
	EffectRefused EffectKind = "refused"
)

// Refusal reasons carried by EffectRefused.
const (
	WhyNotMember    = "not-member"    // only members' commands count
	WhyLate         = "late"          // received after the deadline
	WhyNotAuthor    = "not-author"    // withdraw and amend are the author's
	WhyNoObjection  = "no-objection"  // lift without a standing objection
	WhyDecided      = "decided"       // the proposal is adopted or withdrawn
	WhyEmptyVersion = "empty-version" // an amendment with no text
	WhyNotOwner     = "not-owner"     // only the list's owners settle at a meeting
	// WhyLinkPublic is not given by Apply: a one-click link that was
	// quoted in a message to the whole list no longer stands for its
	// member.
	WhyLinkPublic = "link-public"
	// WhyUnauthenticated is not given by Apply: callers refuse commands
	// of unauthenticated replies on lists that require authentication.
	WhyUnauthenticated = "unauthenticated"
)

// Effect is one consequence of an event.
type Effect struct {
	Kind EffectKind
	// Notice is set for EffectNotice.
	Notice NoticeKind
	// To and Command are set for EffectAck and EffectRefused.
	To      string
	Command EventKind
	// Why is set for EffectRefused.
	Why string
}

// Apply returns the proposal after event e, at time now, and the effects
// to carry out. It never changes p. Time is applied first: a deadline or a
// reminder that falls before the event (before now, for a tick) is decided
// before the event is, so the order in which late events and ticks arrive
// does not change the outcome.
func Apply(p Proposal, e Event, now time.Time) (Proposal, []Effect) {
	p = p.clone()
	at := e.At
	if e.Kind == EventTick || at.IsZero() {
		at = now
	}
	if e.Kind == EventTick {
		// Waits that ended count for nothing.
		p.Awaiting = slices.DeleteFunc(p.Awaiting, func(a Awaiting) bool { return !at.Before(a.Until) })
	}
	fx := p.advance(at)
	if e.Kind == EventTick {
		return p, fx
	}
	if e.Kind == EventSettle {
		return p.settle(e, at, fx)
	}
	if !e.Member {
		if e.Kind != EventReply {
			fx = append(fx, refuse(e, WhyNotMember))
		}
		return p, fx
	}
	if e.Kind == EventReply {
		p.Replies++
		if !slices.Contains(p.Respondents, e.From) {
			p.Respondents = append(p.Respondents, e.From)
		}
		if e.NoPosition {
			p.Unpositioned++
		}
		return p, fx
	}
	if p.Status.Terminal() {
		why := WhyDecided
		if (e.Kind == EventObject || e.Kind == EventSupport) && !at.Before(p.Deadline) && p.Status == StatusAdopted {
			why = WhyLate
		}
		return p, append(fx, refuse(e, why))
	}
	if (e.Kind == EventObject || e.Kind == EventSupport) && !at.Before(p.Deadline) {
		// Past the deadline, the proposal may still be open while a
		// confirmation is awaited: a new position is late all the same.
		return p, append(fx, refuse(e, WhyLate))
	}
	switch e.Kind {
	case EventObject:
		if p.Status != StatusOpen {
			return p, append(fx, refuse(e, WhyLate))
		}
		i := slices.IndexFunc(p.Objections, func(o Objection) bool { return o.Member == e.From })
		if i >= 0 {
			p.Objections[i].Reason = e.Reason // one standing objection per member
		} else {
			p.Objections = append(p.Objections, Objection{Member: e.From, Name: e.FromName, Reason: e.Reason, At: at})
		}
	case EventLift:
		if !p.Objector(e.From) {
			return p, append(fx, refuse(e, WhyNoObjection))
		}
		p.Objections = slices.DeleteFunc(p.Objections, func(o Objection) bool { return o.Member == e.From })
		if p.Status == StatusBlocked && len(p.Objections) == 0 {
			fx = append(fx, ack(e))
			d := p.decide(StatusAdopted, at)
			p.DecidedBy = ByLift
			return p, append(fx, d)
		}
	case EventSupport:
		if p.Status != StatusOpen {
			return p, append(fx, refuse(e, WhyLate))
		}
		if !p.Supporter(e.From) {
			p.Supports = append(p.Supports, Support{Member: e.From, Name: e.FromName, At: at})
		}
	case EventWithdraw:
		if e.From != p.Author {
			return p, append(fx, refuse(e, WhyNotAuthor))
		}
		fx = append(fx, ack(e))
		d := p.decide(StatusWithdrawn, at)
		p.DecidedBy = ByWithdrawal
		return p, append(fx, d)
	case EventAmend:
		if e.From != p.Author {
			return p, append(fx, refuse(e, WhyNotAuthor))
		}
		if e.Text == "" {
			return p, append(fx, refuse(e, WhyEmptyVersion))
		}
		p.amend(e.Text, e.Deadline, at)
		return p, append(fx, ack(e), Effect{Kind: EffectNotice, Notice: NoticeAmended})
	default:
		return p, fx
	}
	return p, append(fx, ack(e))
}

// advance lets time pass up to t: the deadline decides an open proposal,
// and the reminder is due remind_before ahead of it.
func (p *Proposal) advance(t time.Time) []Effect {
	if p.Status != StatusOpen {
		return nil
	}
	if !t.Before(p.Deadline) {
		if _, waiting := p.waitsAt(t); waiting {
			return nil // a command received in time waits for its confirmation
		}
		if len(p.Objections) > 0 {
			return []Effect{p.decide(StatusBlocked, p.Deadline)}
		}
		d := p.decide(StatusAdopted, p.Deadline)
		p.DecidedBy = BySilence
		return []Effect{d}
	}
	if r, ok := p.remindAt(); ok && !t.Before(r) {
		p.Reminded = true
		return []Effect{{Kind: EffectNotice, Notice: NoticeReminder}}
	}
	return nil
}

// settle applies a meeting's decision: adopted ("adoptée en réunion")
// or rejected ends the proposal; postponed keeps it blocked, for the next
// meeting's agenda. A decided proposal cannot be settled again.
func (p Proposal) settle(e Event, at time.Time, fx []Effect) (Proposal, []Effect) {
	if p.Status.Terminal() {
		return p, append(fx, refuse(e, WhyDecided))
	}
	p.MeetingNote = e.Reason
	switch e.Outcome {
	case SettleAdopted:
		p.decide(StatusAdopted, at)
		p.DecidedBy = ByMeeting
		return p, append(fx, ack(e), Effect{Kind: EffectNotice, Notice: NoticeAdoptedAtMeeting})
	case SettleRejected:
		p.decide(StatusRejected, at)
		p.DecidedBy = ByMeeting
		return p, append(fx, ack(e), Effect{Kind: EffectNotice, Notice: NoticeRejected})
	case SettlePostponed:
		// Blocked, it stays so for the next agenda; open, its deadline
		// still decides.
		p.Postponed++
		return p, append(fx, ack(e))
	}
	return p, fx
}

// decide moves p to status s at t and returns the notice saying so.
func (p *Proposal) decide(s Status, t time.Time) Effect {
	p.Status = s
	p.Decided = t
	p.DecidedBy = ""
	notice := map[Status]NoticeKind{StatusAdopted: NoticeAdopted, StatusBlocked: NoticeBlocked,
		StatusWithdrawn: NoticeWithdrawn}[s]
	return Effect{Kind: EffectNotice, Notice: notice}
}

// amend records a new version: the deadline is the one the amendment
// asks for, or starts again with the same length as the last version's,
// and the proposal is open again.
func (p *Proposal) amend(text string, deadline, t time.Time) {
	length := p.Deadline.Sub(p.Opened)
	if n := len(p.Versions); n > 0 {
		length = p.Versions[n-1].Deadline.Sub(p.Versions[n-1].At)
	}
	p.Deadline = t.Add(length)
	if deadline.After(t) {
		p.Deadline = deadline
	}
	p.Versions = append(p.Versions, Version{Text: text, At: t, Deadline: p.Deadline})
	p.Status = StatusOpen
	p.Decided = time.Time{}
	p.Reminded = false
}

// remindAt returns when the reminder of the current deadline is due: ok
// is false when none is (already sent, disabled, an objection stands, or
// the version is younger than remind_before would need).
func (p *Proposal) remindAt() (time.Time, bool) {
	if p.RemindBefore <= 0 || p.Reminded || len(p.Objections) > 0 {
		return time.Time{}, false
	}
	start := p.Opened
	if n := len(p.Versions); n > 0 {
		start = p.Versions[n-1].At
	}
	r := p.Deadline.Add(-p.RemindBefore)
	return r, r.After(start)
}

// NextWake returns when p next needs a tick (its reminder or its
// deadline); ok is false when time can no longer change p.
func (p *Proposal) NextWake() (t time.Time, ok bool) {
	if p.Status != StatusOpen {
		return time.Time{}, false
	}
	if r, ok := p.remindAt(); ok {
		return r, true
	}
	if until, waiting := p.waitsAt(p.Deadline); waiting {
		return until, true
	}
	return p.Deadline, true
}

func ack(e Event) Effect { return Effect{Kind: EffectAck, To: e.From, Command: e.Kind} }

func refuse(e Event, why string) Effect {
	return Effect{Kind: EffectRefused, To: e.From, Command: e.Kind, Why: why}
}
