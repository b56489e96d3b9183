// Package consensus is tacit's decision engine: the email grammar of
// proposals and replies, and the state machine of lazy consensus ("qui ne
// dit mot consent"). It is pure: no I/O, no clock of its own (every
// function takes the time it is told), no dependency beyond the standard
// library. Callers decode mail to text before handing it here, and store
// and send what Apply returns.
package consensus

import (
	"slices"
	"time"
)

// Status is where a proposal stands.
type Status string

// The statuses of a proposal. Adopted and Withdrawn are terminal: nothing
// moves a proposal out of them.
const (
	StatusOpen      Status = "open"
	StatusAdopted   Status = "adopted"
	StatusBlocked   Status = "blocked"
	StatusWithdrawn Status = "withdrawn"
	// StatusRejected: a meeting decided against it (docs/meetings.md).
	StatusRejected Status = "rejected"
)

// Statuses lists every status, in the order people read them.
var Statuses = []Status{StatusOpen, StatusAdopted, StatusBlocked, StatusWithdrawn, StatusRejected}

// Terminal reports whether no event can change a proposal in status s.
func (s Status) Terminal() bool {
	return s == StatusAdopted || s == StatusWithdrawn || s == StatusRejected
}

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusOpen, StatusAdopted, StatusBlocked, StatusWithdrawn, StatusRejected:
		return true
	}
	return false
}

// How a proposal was decided (Proposal.DecidedBy).
const (
	BySilence    = "silence"    // adopted at its deadline: nobody objected
	ByLift       = "lift"       // adopted when its last objection was lifted
	ByMeeting    = "meeting"    // settled at a meeting
	ByWithdrawal = "withdrawal" // withdrawn by its author
)

// The outcomes a meeting may give a proposal (EventSettle).
const (
	SettleAdopted   = "adopted"
	SettleRejected  = "rejected"
	SettlePostponed = "postponed"
)

// Objection is a member's standing objection.
type Objection struct {
	// Member is the objector's address.
	Member string `json:"member"`
	// Name is the objector's display name, when their mail had one.
	Name string `json:"name,omitempty"`
	// Reason is the text after the command word, if any.
	Reason string `json:"reason,omitempty"`
	// At is when the objection was received by SMTP.
	At time.Time `json:"at"`
}

// Support records a member's support (never required for adoption).
type Support struct {
	Member string `json:"member"`
	// Name is the supporter's display name, when their mail had one.
	Name string    `json:"name,omitempty"`
	At   time.Time `json:"at"`
}

// Version is one text of a proposal: the original or an amendment.
type Version struct {
	// Text is the proposal's own text in that version.
	Text string `json:"text"`
	// At is when the version was received.
	At time.Time `json:"at"`
	// Deadline is the deadline that version set.
	Deadline time.Time `json:"deadline"`
}

// Proposal is one proposal of one list.
type Proposal struct {
	// List is the list's address; Number its number within the list.
	List   string `json:"list"`
	Number int    `json:"number"`
	// Author is the proposer's address; only they may withdraw or amend.
	Author string `json:"author"`
	// AuthorName is the proposer's display name, when their mail had one.
	AuthorName string `json:"author_name,omitempty"`
	// Title is the Subject without list prefix and proposal tag.
	Title string `json:"title"`
	// MessageID is the Message-ID of the proposal as distributed.
	MessageID string `json:"message_id"`
	// Status is where the proposal stands.
	Status Status `json:"status"`
	// Opened is when the proposal was received.
	Opened time.Time `json:"opened"`
	// Deadline is when the proposal is decided.
	Deadline time.Time `json:"deadline"`
	// DeadlineRaised is true when the requested deadline was shorter than
	// the minimum and was raised to it.
	DeadlineRaised bool `json:"deadline_raised,omitempty"`
	// Objections are the objections standing now.
	Objections []Objection `json:"objections,omitempty"`
	// Supports are the members who said they support it.
	Supports []Support `json:"supports,omitempty"`
	// Versions holds the original text then each amendment.
	Versions []Version `json:"versions,omitempty"`
	// Replies counts the replies from members received in the thread.
	Replies int `json:"replies"`
	// Respondents are the members who replied at least once, each once:
	// "N membres sur M se sont exprimés" counts them (the silent are
	// never named).
	Respondents []string `json:"respondents,omitempty"`
	// Unpositioned counts the members' replies that took no position
	// but held words of disagreement, a question or a near miss of a
	// command: each got a private hint, and notices ask the list to read
	// them before acting.
	Unpositioned int `json:"unpositioned,omitempty"`
	// Awaiting are the commands that wait for their sender's
	// confirmation by return mail (docs/security.md): a deadline never
	// passes over one received before it, until its Until.
	Awaiting []Awaiting `json:"awaiting,omitempty"`
	// DeadlineUnread is the deadline line of the proposal's text that
	// could not be read, as written; the default deadline applies.
	DeadlineUnread string `json:"deadline_unread,omitempty"`
	// RemindBefore is how long before the deadline a reminder is due; 0
	// sends none.
	RemindBefore time.Duration `json:"remind_before,omitempty"`
	// Reminded is true once the reminder has been sent for the current
	// deadline.
	Reminded bool `json:"reminded,omitempty"`
	// Decided is when the proposal reached its current terminal or
	// blocked status; zero while open.
	Decided time.Time `json:"decided,omitzero"`
	// DecidedBy says how a decided proposal was decided (BySilence,
	// ByLift, ByMeeting, ByWithdrawal); "" while open or blocked.
	DecidedBy string `json:"decided_by,omitempty"`
	// MeetingNote is what the meeting that settled it (or postponed it)
	// wrote; Postponed counts the meetings that postponed it.
	MeetingNote string `json:"meeting_note,omitempty"`
	Postponed   int    `json:"postponed,omitempty"`
}

// Objector reports whether member has a standing objection.
func (p *Proposal) Objector(member string) bool {
	return slices.ContainsFunc(p.Objections, func(o Objection) bool { return o.Member == member })
}

// Supporter reports whether member has recorded support.
func (p *Proposal) Supporter(member string) bool {
	return slices.ContainsFunc(p.Supports, func(s Support) bool { return s.Member == member })
}

// Awaiting is a command of an unauthenticated reply, waiting for its
// sender to confirm it.
type Awaiting struct {
	// Token is the confirmation's token; Member who must confirm.
	Token  string `json:"token"`
	Member string `json:"member"`
	// At is when the command was received; Until when the wait ends
	// (the command then counts for nothing).
	At    time.Time `json:"at"`
	Until time.Time `json:"until"`
}

// WithAwaiting returns p with a command waiting for confirmation.
func (p Proposal) WithAwaiting(a Awaiting) Proposal {
	p = p.clone()
	p.Awaiting = append(p.Awaiting, a)
	return p
}

// WithoutAwaiting returns p without the waiting command of token, and
// whether it was there.
func (p Proposal) WithoutAwaiting(token string) (Proposal, bool) {
	p = p.clone()
	n := len(p.Awaiting)
	p.Awaiting = slices.DeleteFunc(p.Awaiting, func(a Awaiting) bool { return a.Token == token })
	return p, len(p.Awaiting) < n
}

// waitsAt reports whether, at t, a command received before the deadline
// still waits for its confirmation, and until when.
func (p *Proposal) waitsAt(t time.Time) (time.Time, bool) {
	var until time.Time
	for _, a := range p.Awaiting {
		if a.At.Before(p.Deadline) && t.Before(a.Until) && a.Until.After(until) {
			until = a.Until
		}
	}
	return until, !until.IsZero()
}

// Amended reports whether the proposal's text was amended at least once.
func (p *Proposal) Amended() bool { return len(p.Versions) > 1 }

// Current returns the proposal's current version (the last amendment, or
// the original); the zero Version when none is recorded.
func (p *Proposal) Current() Version {
	if n := len(p.Versions); n > 0 {
		return p.Versions[n-1]
	}
	return Version{}
}

// clone returns a deep copy of p, so Apply never changes its argument.
func (p Proposal) clone() Proposal {
	p.Objections = slices.Clone(p.Objections)
	p.Supports = slices.Clone(p.Supports)
	p.Versions = slices.Clone(p.Versions)
	p.Awaiting = slices.Clone(p.Awaiting)
	p.Respondents = slices.Clone(p.Respondents)
	return p
}

// Draft is what is known of a proposal when its post arrives.
type Draft struct {
	List, Author, Title, MessageID, Text string
	// AuthorName is the author's display name ("" when none).
	AuthorName string
	// DeadlineUnread is a deadline line that could not be read ("" when
	// the text had none or it was read).
	DeadlineUnread string
	Number         int
	// Received is when SMTP accepted the post.
	Received time.Time
	// Requested is the deadline the post asked for; zero means the list's
	// default.
	Requested time.Time
	// Default and Min are the list's default and minimum deadline lengths.
	Default, Min time.Duration
	// RemindBefore is how long before the deadline the reminder is due.
	RemindBefore time.Duration
}

// NewProposal opens a proposal from its draft: the deadline is the
// requested one, or the default, raised to the minimum if shorter.
func NewProposal(d Draft) Proposal {
	deadline := d.Requested
	if deadline.IsZero() {
		deadline = d.Received.Add(d.Default)
	}
	raised := false
	if earliest := d.Received.Add(d.Min); deadline.Before(earliest) {
		deadline, raised = earliest, true
	}
	return Proposal{
		List: d.List, Number: d.Number, Author: d.Author, AuthorName: d.AuthorName, Title: d.Title,
		MessageID: d.MessageID, DeadlineUnread: d.DeadlineUnread,
		Status: StatusOpen, Opened: d.Received, Deadline: deadline, DeadlineRaised: raised,
		RemindBefore: d.RemindBefore,
		Versions:     []Version{{Text: d.Text, At: d.Received, Deadline: deadline}},
	}
}
