package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"tacit/storage/internal/kv"

	"tacit/consensus"
)

// Buckets of schema version 2: proposals, their events, the thread index
// and the deadline index.
var (
	bucketProposals      = []byte("proposals")        // list ‖ 0 ‖ number → consensus.Proposal
	bucketProposalNumber = []byte("proposal_numbers") // list → last number (uint64)
	bucketProposalByMsg  = []byte("proposal_by_msg")  // message id → list ‖ 0 ‖ number
	bucketProposalEvents = []byte("proposal_events")  // list ‖ 0 ‖ number ‖ seq → ProposalEvent
	bucketThreads        = []byte("threads")          // Message-ID header value → list ‖ 0 ‖ number
	bucketProposalDue    = []byte("proposal_due")     // wake (UnixNano) ‖ list ‖ 0 ‖ number → nothing
	bucketProposalWake   = []byte("proposal_wake")    // list ‖ 0 ‖ number → its key in proposal_due
)

func migrateProposals(tx kv.Tx) error {
	for _, b := range [][]byte{bucketProposals, bucketProposalNumber, bucketProposalByMsg,
		bucketProposalEvents, bucketThreads, bucketProposalDue, bucketProposalWake} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	return nil
}

// maxWakeNanos is the latest time the deadline index can hold (2116).
const maxWakeNanos = 1 << 62

// ProposalRef names one proposal of one list.
type ProposalRef struct {
	List   string `json:"list"`
	Number int    `json:"number"`
}

// String returns "list#number".
func (r ProposalRef) String() string { return fmt.Sprintf("%s#%d", r.List, r.Number) }

func (r ProposalRef) key() []byte {
	k := make([]byte, 0, len(r.List)+9)
	k = append(k, r.List...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, uint64(r.Number))
}

func refFromKey(k []byte) ProposalRef {
	i := bytes.IndexByte(k, 0)
	if i < 0 || len(k) < i+9 {
		return ProposalRef{}
	}
	return ProposalRef{List: string(k[:i]), Number: int(binary.BigEndian.Uint64(k[i+1 : i+9]))}
}

// ProposalEvent is one entry of a proposal's timeline: a reply, a
// command, a refusal or a change of status.
type ProposalEvent struct {
	// Seq orders the events of one proposal, from 1.
	Seq uint64 `json:"seq,omitempty"`
	// Kind is the consensus event kind (object, lift, support, withdraw,
	// amend, reply), or EventStatus, EventReminder, EventAwaiting,
	// EventConfirmed.
	Kind string `json:"kind"`
	// From is the sender's address ("" for the engine).
	From string `json:"from,omitempty"`
	// MessageID is the store id of the message the event came from (0
	// for ticks).
	MessageID uint64 `json:"message_id,omitempty"`
	// At is the SMTP receipt time of that message, or the tick's time.
	At time.Time `json:"at"`
	// Reason is an objection's reason, as written.
	Reason string `json:"reason,omitempty"`
	// Refusal is why a command did not count (consensus.Why*); "" when
	// it counted.
	Refusal string `json:"refusal,omitempty"`
	// Status is the new status of an EventStatus.
	Status consensus.Status `json:"status,omitempty"`
	// Outcome is a meeting's decision (kind "settle"): adopted, rejected
	// or postponed; its note is Reason.
	Outcome string `json:"outcome,omitempty"`
	// Commands are the commands that wait (EventAwaiting).
	Commands []consensus.EventKind `json:"commands,omitempty"`
	// Channel is how the command came: ChannelMail ("" in older records)
	// or ChannelWeb.
	Channel string `json:"channel,omitempty"`
	// Auth is how the sender was authenticated (AuthBy*), "" when not
	// checked; Note is the check's own words, for the operator (never
	// shown on a public page).
	Auth string `json:"auth,omitempty"`
	Note string `json:"note,omitempty"`
}

// The kinds of timeline events that are not consensus events.
const (
	EventStatus    = "status"
	EventReminder  = "reminder"
	EventAwaiting  = "awaiting"
	EventConfirmed = "confirmed"
)

// The channels a command comes by.
const (
	ChannelMail = "mail"
	ChannelWeb  = "web"
)

// How a sender was authenticated.
const (
	AuthByDKIM      = "dkim"      // an aligned DKIM signature tacit verified
	AuthByRelay     = "relay"     // a trusted relay's Authentication-Results
	AuthByConfirm   = "confirmed" // the sender confirmed by return mail
	AuthByNone      = "none"      // the list trusts From
	AuthByNotProven = "failed"    // no authentication: the command did not count
	// AuthByWebToken: a one-click position link, whose keyed token only
	// the member's own mail carried (docs/security.md and docs/membership.md).
	AuthByWebToken = "web-token"
)

// ProposalUpdate is what one decision does to one proposal: its new
// state and the events to append to its timeline.
type ProposalUpdate struct {
	Proposal consensus.Proposal
	Events   []ProposalEvent
	// From, when set, is the state the update was decided from: DecideEach
	// skips the update, and its messages, when the stored proposal is no
	// longer in that state (another process decided it meanwhile).
	From *consensus.Proposal
	enc  *encodedUpdate // set by Prepare
}

// Outgoing is a message the server writes itself (a notice, an
// acknowledgment): stored like a received one, optionally archived, and
// queued to its recipients, all in the transaction that decided it.
type Outgoing struct {
	// Raw is the whole message; BodyOffset is where its body starts.
	Raw        []byte
	BodyOffset int
	// At is when the message was written.
	At time.Time
	// Archive, when its List is set, archives the message in that list.
	Archive ArchiveEntry
	// Queue entries get their MessageID, Header and BodyOffset filled in
	// from Raw.
	Queue []QueueEntry
	// MessageIDHeader, when set, joins the thread of Thread.
	MessageIDHeader string
	Thread          ProposalRef
	// ProposalPost, when set, says that the message is the distributed
	// proposal itself: its archive entry files into the proposal
	// mailboxes (Proposals/Open, …) and moves with the status.
	ProposalPost ProposalRef
	enc          *encodedOutgoing // set by Prepare
}

// ReserveProposalNumber returns the number of the proposal that message
// msgID opens in list: a new number the first time, the same one when the
// message is processed again after a crash, so numbering has no holes
// and no duplicates.
func (s *Store) ReserveProposalNumber(list string, msgID uint64) (int, error) {
	list = NormalizeAddress(list)
	var n int
	err := s.db.Update(func(tx kv.Tx) error {
		byMsg := tx.Bucket(bucketProposalByMsg)
		if v := byMsg.Get(u64(msgID)); v != nil {
			n = refFromKey(v).Number
			return nil
		}
		nums := tx.Bucket(bucketProposalNumber)
		last := uint64(0)
		if v := nums.Get([]byte(list)); v != nil {
			last = be64(v)
		}
		n = int(last + 1)
		if err := nums.Put([]byte(list), u64(last+1)); err != nil {
			return err
		}
		return byMsg.Put(u64(msgID), ProposalRef{List: list, Number: n}.key())
	})
	if err != nil {
		return 0, fmt.Errorf("storage: reserve proposal number in %s: %w", list, err)
	}
	return n, nil
}

// Proposal returns one proposal.
func (s *Store) Proposal(ref ProposalRef) (consensus.Proposal, error) {
	ref.List = NormalizeAddress(ref.List)
	var p consensus.Proposal
	err := s.db.View(func(tx kv.Tx) error {
		return getJSON(tx.Bucket(bucketProposals), ref.key(), &p)
	})
	if err != nil {
		return p, fmt.Errorf("storage: proposal %s: %w", ref, err)
	}
	return p, nil
}

// ProposalsAt returns the proposals refs name, in the same order, read in
// one transaction. A proposal whose record is missing (ErrNotFound) or
// damaged (ErrDamaged) does not fail the others: it is zero in ps and
// its error is at its index in unreadable (nil for the others).
func (s *Store) ProposalsAt(refs []ProposalRef) (ps []consensus.Proposal, unreadable []error, err error) {
	ps, unreadable = make([]consensus.Proposal, len(refs)), make([]error, len(refs))
	err = s.db.View(func(tx kv.Tx) error {
		b := tx.Bucket(bucketProposals)
		prefetch(b, refKeys(refs))
		for i, ref := range refs {
			ref.List = NormalizeAddress(ref.List)
			err := getJSON(b, ref.key(), &ps[i])
			switch {
			case errors.Is(err, ErrNotFound) || errors.Is(err, ErrDamaged):
				ps[i], unreadable[i] = consensus.Proposal{}, fmt.Errorf("storage: proposal %s: %w", ref, err)
			case err != nil:
				return fmt.Errorf("%s: %w", ref, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("storage: proposals: %w", err)
	}
	return ps, unreadable, nil
}

// refKeys returns the keys of refs in the proposal buckets.
func refKeys(refs []ProposalRef) [][]byte {
	keys := make([][]byte, len(refs))
	for i, ref := range refs {
		ref.List = NormalizeAddress(ref.List)
		keys[i] = ref.key()
	}
	return keys
}

// Proposals returns the proposals of a list ("" for every list), in list
// then number order.
func (s *Store) Proposals(list string) ([]consensus.Proposal, error) {
	list = NormalizeAddress(list)
	var out []consensus.Proposal
	err := s.db.View(func(tx kv.Tx) error {
		c := tx.Bucket(bucketProposals).Cursor()
		prefix := []byte(nil)
		if list != "" {
			prefix = append([]byte(list), 0)
		}
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var p consensus.Proposal
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: proposals of %q: %w", list, err)
	}
	return out, nil
}

// ProposalCounts returns how many proposals of every list stand in each
// status, read in one transaction. Only the status of each record is
// decoded.
func (s *Store) ProposalCounts() (map[consensus.Status]int, error) {
	out := map[consensus.Status]int{}
	err := s.db.View(func(tx kv.Tx) error {
		return tx.Bucket(bucketProposals).ForEach(func(k, v []byte) error {
			var p struct {
				Status consensus.Status `json:"status"`
			}
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("%s: %w", refFromKey(k), err)
			}
			out[p.Status]++
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("storage: proposal counts: %w", err)
	}
	return out, nil
}

// ProposalEvents returns the timeline of a proposal, oldest first.
func (s *Store) ProposalEvents(ref ProposalRef) ([]ProposalEvent, error) {
	ref.List = NormalizeAddress(ref.List)
	var out []ProposalEvent
	err := s.db.View(func(tx kv.Tx) error {
		c := tx.Bucket(bucketProposalEvents).Cursor()
		prefix := ref.key()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var e ProposalEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: events of %s: %w", ref, err)
	}
	return out, nil
}

// ThreadOf returns the proposal whose thread holds the message with this
// Message-ID header value (angle brackets optional), if any.
func (s *Store) ThreadOf(messageID string) (ProposalRef, bool, error) {
	var ref ProposalRef
	found := false
	err := s.db.View(func(tx kv.Tx) error {
		if v := tx.Bucket(bucketThreads).Get(threadKey(messageID)); v != nil {
			ref, found = refFromKey(v), true
		}
		return nil
	})
	if err != nil {
		return ref, false, fmt.Errorf("storage: thread of %s: %w", messageID, err)
	}
	return ref, found, nil
}

func threadKey(messageID string) []byte {
	id := strings.TrimSpace(messageID)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	return []byte(strings.ToLower(id))
}

// DueProposals returns the proposals whose next wake-up (deadline or
// reminder) is at or before now, earliest first, at most limit. The cost
// grows with what is due, not with how many proposals are open.
func (s *Store) DueProposals(now time.Time, limit int) ([]ProposalRef, error) {
	var out []ProposalRef
	err := s.db.View(func(tx kv.Tx) error {
		c := tx.Bucket(bucketProposalDue).Cursor()
		end := u64(uint64(now.UnixNano()))
		for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) <= 0; k, _ = c.Next() {
			if limit > 0 && len(out) >= limit {
				break
			}
			out = append(out, refFromKey(k[8:]))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: due proposals: %w", err)
	}
	return out, nil
}

// NextProposalWake returns the earliest wake-up in the deadline index.
func (s *Store) NextProposalWake() (time.Time, bool, error) {
	var t time.Time
	ok := false
	err := s.db.View(func(tx kv.Tx) error {
		if k, _ := tx.Bucket(bucketProposalDue).Cursor().First(); k != nil {
			t, ok = time.Unix(0, int64(be64(k[:8]))).UTC(), true
		}
		return nil
	})
	if err != nil {
		return t, false, fmt.Errorf("storage: next proposal wake: %w", err)
	}
	return t, ok, nil
}

// putProposal writes a proposal, raw being its JSON, and moves its key
// in the deadline index to its next wake-up (none once it needs no tick).
func putProposal(tx kv.Tx, p consensus.Proposal, raw []byte) error {
	p.List = NormalizeAddress(p.List)
	ref := ProposalRef{List: p.List, Number: p.Number}
	key := ref.key()
	if err := tx.Bucket(bucketProposals).Put(key, raw); err != nil {
		return err
	}
	if err := moveProposalPost(tx, p); err != nil {
		return err
	}
	wakes, due := tx.Bucket(bucketProposalWake), tx.Bucket(bucketProposalDue)
	if old := wakes.Get(key); old != nil {
		if err := due.Delete(append([]byte(nil), old...)); err != nil {
			return err
		}
		if err := wakes.Delete(key); err != nil {
			return err
		}
	}
	wake, ok := p.NextWake()
	if !ok {
		return nil
	}
	if wake.After(time.Unix(0, maxWakeNanos)) || wake.Before(time.Unix(0, 0)) {
		wake = time.Unix(0, maxWakeNanos) // the index holds UnixNano: keep far times in range
	}
	dk := binary.BigEndian.AppendUint64(nil, uint64(wake.UnixNano()))
	dk = append(dk, key...)
	if err := due.Put(dk, nil); err != nil {
		return err
	}
	return wakes.Put(key, dk)
}

// putProposalEvents appends events, encoded without their seq, to a
// proposal's timeline.
func putProposalEvents(tx kv.Tx, ref ProposalRef, events [][]byte) error {
	b := tx.Bucket(bucketProposalEvents)
	for _, e := range events {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		k := binary.BigEndian.AppendUint64(ref.key(), seq)
		if err := b.Put(k, withIDs(e, idField{"seq", seq})); err != nil {
			return err
		}
	}
	return nil
}

// putThread links a Message-ID to a proposal's thread.
func putThread(tx kv.Tx, messageID string, ref ProposalRef) error {
	if strings.TrimSpace(messageID) == "" {
		return nil
	}
	return tx.Bucket(bucketThreads).Put(threadKey(messageID), ref.key())
}

// putOutgoing stores a message of ours, archives and queues it.
func putOutgoing(tx kv.Tx, o Outgoing) error {
	if o.enc == nil {
		if err := o.Prepare(); err != nil {
			return err
		}
	}
	msgs := appending(tx.Bucket(bucketMessages))
	id, err := msgs.NextSequence()
	if err != nil {
		return err
	}
	key := u64(id)
	if err := putMessage(msgs, key, o.Raw); err != nil {
		return err
	}
	if err := appending(tx.Bucket(bucketEnvelopes)).Put(key, o.enc.envelope); err != nil {
		return err
	}
	if o.Archive.List != "" {
		seq, err := putArchiveEncoded(tx, o.Archive.List, o.enc.archive, id)
		if err != nil {
			return err
		}
		if o.ProposalPost.List != "" {
			if err := linkProposalPost(tx, o.ProposalPost, seq); err != nil {
				return err
			}
		}
	}
	for i, e := range o.Queue {
		if _, err := putQueueEncoded(tx, o.enc.queue[i], id, e.NextAttempt); err != nil {
			return err
		}
	}
	if o.MessageIDHeader != "" && o.Thread.List != "" {
		return putThread(tx, o.MessageIDHeader, o.Thread)
	}
	return nil
}

// Decide records, in one transaction, the outcome of a tick for some
// proposals: their new states, their events and the notices they send.
// A notice exists if and only if its outcome does.
func (s *Store) Decide(updates []ProposalUpdate, out []Outgoing) error {
	err := s.db.Update(func(tx kv.Tx) error {
		return putDecisions(tx, updates, out)
	})
	if err != nil {
		return fmt.Errorf("storage: record decisions: %w", err)
	}
	return nil
}

// DecideFrom records update u and its messages out in one transaction,
// as Decide does, only if the stored proposal is still in the state
// u.From it was decided from (always, without From). applied is false,
// and nothing is written, when another process changed the proposal
// since it was read: the caller reads it again and decides anew. It is
// the check that backs the lock up for a decision taken by one request
// (a position given on the web, a meeting's settlement), as DecideEach's
// for the tick.
func (s *Store) DecideFrom(u ProposalUpdate, out []Outgoing) (applied bool, err error) {
	err = s.db.Update(func(tx kv.Tx) error {
		applied = false
		if same, err := unchanged(tx, &u); err != nil || !same {
			return err
		}
		applied = true
		return putDecisions(tx, []ProposalUpdate{u}, out)
	})
	if err != nil {
		return false, fmt.Errorf("storage: record decision: %w", err)
	}
	return applied, nil
}

// DecideEach records len(refs) decisions in one transaction, as Decide
// does, asking next for each in turn (0 to len(refs)-1) from inside the
// transaction: the caller can prepare decision i+1 while decision i is
// written. refs are the proposals decided, in order: what the decisions
// check and move of them is read ahead, in one request per bucket where
// the engine can (PostgreSQL). A nil update records no proposal (its
// messages, if any, are still written); an update whose From no longer
// matches the stored proposal is skipped with its messages. An error
// from next rolls the whole transaction back.
func (s *Store) DecideEach(refs []ProposalRef, next func(i int) (*ProposalUpdate, []Outgoing, error)) error {
	err := s.db.Update(func(tx kv.Tx) error {
		keys := refKeys(refs)
		for _, b := range [][]byte{bucketProposals, bucketProposalPost, bucketProposalWake} {
			prefetch(tx.Bucket(b), keys)
		}
		for i := range refs {
			u, out, err := next(i)
			if err != nil {
				return err
			}
			var ups []ProposalUpdate
			if u != nil {
				if same, err := unchanged(tx, u); err != nil {
					return err
				} else if !same {
					continue
				}
				ups = []ProposalUpdate{*u}
			}
			if err := putDecisions(tx, ups, out); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: record decisions: %w", err)
	}
	return nil
}

func putDecisions(tx kv.Tx, updates []ProposalUpdate, out []Outgoing) error {
	for _, u := range updates {
		if u.enc == nil {
			if err := u.Prepare(); err != nil {
				return err
			}
		}
		if err := putProposal(tx, u.Proposal, u.enc.proposal); err != nil {
			return err
		}
		ref := ProposalRef{List: NormalizeAddress(u.Proposal.List), Number: u.Proposal.Number}
		if err := putProposalEvents(tx, ref, u.enc.events); err != nil {
			return err
		}
	}
	for _, o := range out {
		if err := putOutgoing(tx, o); err != nil {
			return err
		}
	}
	return nil
}
