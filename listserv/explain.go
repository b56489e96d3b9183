package listserv

import (
	"net/mail"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/listserv/mailtext"
	"tacit/listserv/rewrite"
)

// Explanation is what the engine reads in one message (tacit explain).
type Explanation struct {
	// List is the list name the Subject was read for.
	List string `json:"list"`
	// Subject is the decoded Subject.
	Subject string `json:"subject"`
	// Proposal is true when the message would open a proposal.
	Proposal bool `json:"proposal"`
	// Title is the proposal's title, when Proposal.
	Title string `json:"title,omitempty"`
	// Deadline is the deadline the message asks for (RFC 3339), and
	// DeadlineLine the line it was read from; empty when none.
	Deadline     string `json:"deadline,omitempty"`
	DeadlineLine string `json:"deadline_line,omitempty"`
	// DeadlineError says why a deadline line could not be read.
	DeadlineError string `json:"deadline_error,omitempty"`
	// Reply is true when the Subject or headers mark a reply.
	Reply bool `json:"reply"`
	// AnswersNumber is the #N of the Subject, 0 if none; InReplyTo lists
	// the Message-IDs the threading follows first.
	AnswersNumber int      `json:"answers_number,omitempty"`
	InReplyTo     []string `json:"in_reply_to,omitempty"`
	// OwnText is the sender's own text after cutting quotes and
	// signatures.
	OwnText string `json:"own_text"`
	// Commands are the kinds of the commands found, in order; Details
	// has each with its reason and line.
	Commands []string            `json:"commands"`
	Details  []consensus.Command `json:"details,omitempty"`
	// Hints are near misses that would get a private hint.
	Hints []string `json:"hints,omitempty"`
	// DecodeError says why the body could not be decoded (the raw body
	// was read instead).
	DecodeError string `json:"decode_error,omitempty"`
}

// Explain reads raw the way the post path does, without changing
// anything. list is the list's NAME ("" guesses it from To); received is
// the time durations count from (zero: the Date header, else now); loc
// is the list's timezone.
func Explain(raw []byte, list string, received time.Time, loc *time.Location) Explanation {
	var e Explanation
	h, off, err := rewrite.Split(raw)
	if err != nil {
		e.DecodeError = err.Error()
	}
	if list == "" {
		if a, err := mail.ParseAddress(h.Get("To")); err == nil {
			list, _, _ = strings.Cut(a.Address, "@")
		}
	}
	if received.IsZero() {
		if d, err := mail.ParseDate(h.Get("Date")); err == nil {
			received = d
		} else {
			received = time.Now()
		}
	}
	if loc == nil {
		loc = time.UTC
	}
	e.List = list
	e.Subject = rewrite.DecodeHeader(h.Get("Subject"))
	subj := consensus.ParseSubject(e.Subject, list)
	e.InReplyTo = append(messageIDs(h.Get("In-Reply-To")), messageIDs(h.Get("References"))...)
	e.Reply = subj.Reply || len(e.InReplyTo) > 0
	e.AnswersNumber = subj.Number
	text, err := mailtext.Text(raw)
	if err != nil {
		e.DecodeError = err.Error()
		if off <= len(raw) {
			text = string(raw[off:])
		}
	}
	e.OwnText = consensus.OwnText(text)
	parse := consensus.Commands(e.OwnText)
	e.Commands = []string{}
	for _, c := range parse.Commands {
		e.Commands = append(e.Commands, string(c.Kind))
	}
	e.Details, e.Hints = parse.Commands, parse.Hints
	if subj.Proposal && !e.Reply {
		e.Proposal, e.Title = true, subj.Title
		dl, line, err := consensus.FindDeadline(e.OwnText, received, loc)
		switch {
		case err == nil:
			e.Deadline, e.DeadlineLine = dl.In(loc).Format(time.RFC3339), line
		case err != consensus.ErrNoDeadline:
			e.DeadlineError, e.DeadlineLine = err.Error(), line
		}
	}
	return e
}
