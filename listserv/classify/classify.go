// Package classify reads one message sent to a list the way tacit acts on
// it: a proposal, a reply to proposal #N, or a plain post; the sender's
// own text once quotes and signatures are cut; the commands in it, or why
// it took no position; a proposal's deadline line. The server's post path
// and `tacit explain` both call Read, so what explain says is what the
// server does (docs/decisions.md). Read changes nothing: the store is only
// asked where a Message-ID belongs.
package classify

import (
	"errors"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

	"tacit/consensus"
	"tacit/listserv/mailtext"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// Index is what Read asks the store: where a Message-ID belongs.
type Index interface {
	// ThreadOf returns the proposal whose thread holds the message with
	// this Message-ID.
	ThreadOf(messageID string) (storage.ProposalRef, bool, error)
	// Distributed reports whether list already distributed a message
	// with this Message-ID.
	Distributed(list, messageID string) (bool, error)
	// Proposal returns a proposal (storage.ErrNotFound when none).
	Proposal(ref storage.ProposalRef) (consensus.Proposal, error)
}

// Kind is what a message is to its list.
type Kind string

// The kinds of message.
const (
	// Proposal opens a new proposal (when its author is a member).
	Proposal Kind = "proposal"
	// Reply answers a proposal: its commands count.
	Reply Kind = "reply"
	// Post is plain discussion.
	Post Kind = "post"
)

// How a reply was tied to its proposal.
const (
	ByInReplyTo  = "in-reply-to"
	ByReferences = "references"
	BySubject    = "subject"
)

// Input is one message and its list.
type Input struct {
	// Raw is the message as received; Header its parsed header (Read
	// splits Raw when Header is nil).
	Raw    []byte
	Header textproto.Header
	// List is the list's address, NAME@DOMAIN.
	List string
	// Received is when SMTP accepted the message: durations count from
	// it. Location is the list's timezone (nil: UTC).
	Received time.Time
	Location *time.Location
}

// Reading is what tacit reads in a message.
type Reading struct {
	Kind Kind
	// Subject is the decoded Subject, and Parsed what the grammar reads
	// in it.
	Subject string
	Parsed  consensus.Subject
	// Answers is the proposal a Reply answers, and ThreadedBy how it was
	// found (ByInReplyTo, ByReferences or BySubject).
	Answers    storage.ProposalRef
	ThreadedBy string
	// MessageID is the message's own Message-ID (with brackets, "" when
	// none); References are its In-Reply-To then References ids.
	MessageID  string
	References []string
	// OfList is true when one of References is a message of the list:
	// a [PROPOSITION] that answers the list is not a new proposal.
	OfList bool
	// Text is the readable text of the body; DecodeError says why the
	// raw body was read instead.
	Text        string
	DecodeError string
	// OwnText is the sender's own text; Parse the commands in it.
	OwnText string
	Parse   consensus.Parse
	// Deadline is the deadline a proposal asks for (zero: none, or
	// unreadable), DeadlineLine the line it was read from, and
	// DeadlineError why that line could not be read.
	Deadline      time.Time
	DeadlineLine  string
	DeadlineError string
}

// NoPosition reports whether a reply took no position but may have meant
// to (words of disagreement, a question, a near miss of a command).
func (r Reading) NoPosition() bool { return r.Kind == Reply && r.Parse.NoPosition() }

// Read classifies a message. The text is decoded only for replies and
// proposals: a large post that is neither is never read.
func Read(in Input, idx Index) (Reading, error) {
	h := in.Header
	var r Reading
	if h.Len() == 0 {
		var err error
		if h, _, err = rewrite.Split(in.Raw); err != nil {
			r.DecodeError = err.Error()
		}
	}
	name, _, _ := strings.Cut(in.List, "@")
	r.Subject = rewrite.DecodeHeader(h.Get("Subject"))
	r.Parsed = consensus.ParseSubject(r.Subject, name)
	r.MessageID = firstID(h.Get("Message-Id"))
	irt := MessageIDs(h.Get("In-Reply-To"))
	refs := MessageIDs(h.Get("References"))
	r.References = append(append([]string{}, irt...), refs...)
	if err := r.thread(in.List, irt, refs, idx); err != nil {
		return r, err
	}
	switch {
	case r.ThreadedBy != "":
		r.Kind = Reply
	case r.Parsed.Proposal && !r.Parsed.Reply && !r.OfList:
		r.Kind = Proposal
	default:
		r.Kind = Post
		return r, nil
	}
	r.readText(in.Raw)
	if r.Kind == Proposal {
		loc := in.Location
		if loc == nil {
			loc = time.UTC
		}
		dl, line, err := consensus.FindDeadline(r.OwnText, in.Received, loc)
		switch {
		case err == nil:
			r.Deadline, r.DeadlineLine = dl, line
		case !errors.Is(err, consensus.ErrNoDeadline):
			r.DeadlineLine, r.DeadlineError = line, err.Error()
		}
	}
	return r, nil
}

// thread finds the proposal a message answers: In-Reply-To, then
// References (newest first), then "#N" in the Subject; and whether it
// answers any message of the list.
func (r *Reading) thread(list string, irt, refs []string, idx Index) error {
	type cand struct{ id, by string }
	var cands []cand
	for _, id := range irt {
		cands = append(cands, cand{id, ByInReplyTo})
	}
	for i := len(refs) - 1; i >= 0; i-- {
		cands = append(cands, cand{refs[i], ByReferences})
	}
	list = storage.NormalizeAddress(list)
	for _, c := range cands {
		ref, ok, err := idx.ThreadOf(c.id)
		if err != nil {
			return err
		}
		if ok && ref.List == list {
			r.Answers, r.ThreadedBy, r.OfList = ref, c.by, true
			return nil
		}
		if !r.OfList {
			if r.OfList, err = idx.Distributed(list, c.id); err != nil {
				return err
			}
		}
	}
	if n := r.Parsed.Number; n > 0 && !r.Parsed.Proposal {
		ref := storage.ProposalRef{List: list, Number: n}
		_, err := idx.Proposal(ref)
		switch {
		case err == nil:
			r.Answers, r.ThreadedBy = ref, BySubject
		case !errors.Is(err, storage.ErrNotFound):
			return err
		}
	}
	return nil
}

// readText decodes the body and reads the sender's own text.
func (r *Reading) readText(raw []byte) {
	t, err := BodyText(raw)
	if err != nil {
		r.DecodeError = err.Error()
	}
	r.Text = t
	r.OwnText = consensus.OwnText(t)
	r.Parse = consensus.Commands(r.OwnText)
}

// BodyText returns the readable text of a message (mailtext.Text); when
// it cannot be decoded, the raw body (bounded) and why.
func BodyText(raw []byte) (string, error) {
	t, err := mailtext.Text(raw)
	if err == nil {
		return t, nil
	}
	if errors.Is(err, mailtext.ErrTooDeep) || errors.Is(err, mailtext.ErrTooManyParts) {
		// MIME past the bounds is not read at all, not even raw.
		return t, err
	}
	if _, off, serr := rewrite.Split(raw); serr == nil {
		body := raw[off:]
		return string(body[:min(len(body), mailtext.MaxText)]), err
	}
	return "", err
}

// MessageIDs returns the <…> tokens of a Message-ID list header.
func MessageIDs(v string) []string {
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

// firstID returns a Message-ID header's id with its brackets, or the
// trimmed value when it has none.
func firstID(v string) string {
	if ids := MessageIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return strings.TrimSpace(v)
}
