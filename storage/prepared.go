package storage

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Encoding records as JSON is, after writing pages, most of what the
// engine's transaction does. Prepare moves it out of the transaction,
// onto the caller's goroutine (the engine's workers prepare decisions
// while the transaction writes earlier ones). What only the transaction
// knows — the sequence numbers and ids that lead a record — is left out
// of the prepared JSON (those fields are omitempty and zero there) and
// written in front of it by withIDs.

// encodedUpdate is a ProposalUpdate encoded ahead of its transaction.
type encodedUpdate struct {
	proposal []byte
	events   [][]byte // without their seq
}

// encodedOutgoing is an Outgoing encoded ahead of its transaction.
type encodedOutgoing struct {
	envelope []byte
	archive  []byte   // without seq and message_id; nil when not archived
	queue    [][]byte // without id and message_id, in the order of Queue
}

// Prepare encodes the update for the transaction that will write it.
// Preparing is optional (the transaction encodes what was not); an
// update must not change once prepared.
func (u *ProposalUpdate) Prepare() error {
	p := u.Proposal
	p.List = NormalizeAddress(p.List)
	enc := &encodedUpdate{}
	var err error
	if enc.proposal, err = json.Marshal(p); err != nil {
		return fmt.Errorf("storage: encode proposal %s: %w", ProposalRef{List: p.List, Number: p.Number}, err)
	}
	for _, e := range u.Events {
		e.Seq = 0
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("storage: encode proposal event: %w", err)
		}
		enc.events = append(enc.events, b)
	}
	u.enc = enc
	return nil
}

// Prepare encodes the message's envelope, archive entry and queue
// entries for the transaction that will write them. Preparing is
// optional (the transaction encodes what was not); a message must not
// change once prepared.
func (o *Outgoing) Prepare() error {
	enc := &encodedOutgoing{}
	var err error
	if enc.envelope, err = json.Marshal(Envelope{ReceivedAt: o.At}); err != nil {
		return fmt.Errorf("storage: encode envelope: %w", err)
	}
	if o.Archive.List != "" {
		if enc.archive, err = encodeArchiveEntry(o.Archive, o.Raw); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
	}
	for _, e := range o.Queue {
		e.BodyOffset = o.BodyOffset
		b, err := encodeQueueEntry(e)
		if err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		enc.queue = append(enc.queue, b)
	}
	o.enc = enc
	return nil
}

// encodeArchiveEntry encodes a, raw being its stored message, without
// its seq and message id (see withIDs).
func encodeArchiveEntry(a ArchiveEntry, raw []byte) ([]byte, error) {
	a.Seq, a.MessageID = 0, 0
	a.Size = archiveSize(a, raw)
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode archive entry: %w", err)
	}
	return b, nil
}

// encodeQueueEntry encodes e without its id and message id (see withIDs).
func encodeQueueEntry(e QueueEntry) ([]byte, error) {
	e.ID, e.MessageID = 0, 0
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode queue entry: %w", err)
	}
	return b, nil
}

// idField is one leading numeric field of a record.
type idField struct {
	name  string
	value uint64
}

// withIDs returns the JSON object obj with fields written before its
// own. obj must not hold them already (they are omitempty and zero in it).
func withIDs(obj []byte, fields ...idField) []byte {
	out := make([]byte, 0, len(obj)+32*len(fields))
	out = append(out, '{')
	for i, f := range fields {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, f.name...)
		out = append(out, '"', ':')
		out = strconv.AppendUint(out, f.value, 10)
	}
	if len(obj) > 2 { // more than {}
		out = append(out, ',')
		return append(out, obj[1:]...)
	}
	return append(out, '}')
}

// archiveSize returns the size of what an archive entry distributed,
// raw being its stored message: the entry's own Size when known.
func archiveSize(a ArchiveEntry, raw []byte) int64 {
	switch {
	case a.Size != 0:
		return a.Size
	case len(a.Header) > 0 && a.BodyOffset <= len(raw):
		return int64(len(a.Header) + len(raw) - a.BodyOffset)
	}
	return int64(len(raw))
}
