package storage

import (
	"encoding/binary"
	"fmt"
	"time"

	"tacit/storage/internal/kv"
)

// Envelope is what the SMTP session knew about a message besides its bytes.
type Envelope struct {
	// From is the MAIL FROM address ("" for the null sender of bounces).
	From string `json:"from"`
	// To lists the accepted RCPT TO addresses, lower case.
	To []string `json:"to"`
	// RemoteAddr is the client's IP address and port.
	RemoteAddr string `json:"remote_addr,omitempty"`
	// Helo is the name the client gave in EHLO/HELO.
	Helo string `json:"helo,omitempty"`
	// ReceivedAt is when the message was committed, just before the 250.
	ReceivedAt time.Time `json:"received_at"`
	// Moderation is set when an owner decided on the message after it
	// was held: it is processed again for that list only.
	Moderation *Moderation `json:"moderation,omitempty"`
}

// Moderation is an owner's decision on a held post.
type Moderation struct {
	// List is the list the post was held by.
	List string `json:"list"`
	// Approved distributes the post; otherwise it is rejected.
	Approved bool `json:"approved"`
	// Reason is the rejection's reason, told to the author.
	Reason string `json:"reason,omitempty"`
	// By is who decided (an owner's address, or "cli").
	By string `json:"by"`
	// Confirmed: the post's own author confirmed it by return mail (an
	// unauthenticated proposal), rather than an owner approving it.
	Confirmed bool `json:"confirmed,omitempty"`
	// At is when.
	At time.Time `json:"at"`
}

// ArchiveEntry records that a message was distributed by a list.
type ArchiveEntry struct {
	// Seq is the entry's position in the list's archive, from 1.
	Seq uint64 `json:"seq,omitempty"`
	// List is the list's address.
	List string `json:"list"`
	// MessageID is the id of the raw message in the store.
	MessageID uint64 `json:"message_id,omitempty"`
	// At is when the message was distributed.
	At time.Time `json:"at"`
	// From is the author's address.
	From string `json:"from"`
	// Subject is the decoded Subject of the original.
	Subject string `json:"subject"`
	// Header, when set, is the header block the list distributed the
	// message with, sent before the stored message's body (from
	// BodyOffset); when empty, the stored message is what was sent.
	Header     []byte `json:"header,omitempty"`
	BodyOffset int    `json:"body_offset,omitempty"`
	// Size is the size in bytes of what was distributed.
	Size int64 `json:"size,omitempty"`
}

// Held is a post kept for moderation.
type Held struct {
	// ID identifies the held post (tacit held approve ID).
	ID uint64 `json:"id"`
	// List is the list the post was sent to.
	List string `json:"list"`
	// MessageID is the id of the raw message in the store.
	MessageID uint64 `json:"message_id"`
	// From is the author's address.
	From string `json:"from"`
	// Subject is the decoded Subject.
	Subject string `json:"subject"`
	// Reason says why the post was held, e.g. "not a member".
	Reason string `json:"reason"`
	// At is when the post was held.
	At time.Time `json:"at"`
	// Token is the secret the owners' notice carries, so that a reply
	// to it approves or rejects this post.
	Token string `json:"token,omitempty"`
}

// Discard records why a received message was neither distributed nor
// held (a loop, an auto-reply, a bounce, a command for a later step).
type Discard struct {
	// List is the list address the message was sent to, if any.
	List string `json:"list,omitempty"`
	// Reason says why, in a few words.
	Reason string `json:"reason"`
	// At is when the decision was taken.
	At time.Time `json:"at"`
}

// Disposition is everything that processing one received message
// decided. Store.Dispose records it in one transaction, together with the
// removal of the message from the inbox, so a message is processed exactly
// once across crashes.
type Disposition struct {
	// Archive lists the lists that distributed the message.
	Archive []ArchiveEntry
	// Held lists the lists that hold the message for moderation.
	Held []Held
	// Queue holds the delivery queue entries to create.
	Queue []QueueEntry
	// Discards records the addresses for which the message was dropped.
	Discards []Discard
	// Proposals are the proposals the message opened or changed.
	Proposals []ProposalUpdate
	// Threads link Message-ID values (the post's own) to proposals.
	Threads []ThreadLink
	// Seen are the Message-IDs the lists distributed: a second message
	// with one of them is a replay.
	Seen []SeenMessage
	// Signatures are the DKIM signature ids that authenticated commands,
	// per list (MessageID holds the id): each counts once.
	Signatures []SeenMessage
	// Outgoing are the messages of ours it caused (acknowledgments,
	// notices).
	Outgoing []Outgoing
	// Members are the subscriptions and unsubscriptions it confirmed.
	Members []MemberChange
	// HeldDecisions are the decisions on held posts it took (an owner's
	// reply, an author's confirmation): each post goes back to the inbox
	// with its decision.
	HeldDecisions []HeldDecision
	// Passwords are the IMAP passwords it set (a confirmed request).
	Passwords []PasswordChange
	// Meetings are the meetings an owner announced by mail.
	Meetings []Meeting
	// RevokedLinks are the one-click links the message made public.
	RevokedLinks []LinkRef
	// Confirmations are the confirmation requests it sent; UsedTokens
	// the confirmations it consumed.
	Confirmations []Confirmation
	UsedTokens    []string
	// Replies records the replies it sent, for the per-sender cap.
	Replies []Reply
	// DisabledNoticed are the members whose owners it told that delivery
	// was disabled: their DisabledNoticeSent is set.
	DisabledNoticed []MemberRef
	// Sanctions are the bans and moderations owners asked for by mail
	// (bans.go).
	Sanctions []Sanction
	// Modes are the delivery modes members chose (digest.go); Digest
	// the posts kept for the day's digest.
	Modes  []ModeChange
	Digest []DigestItem
}

// MemberRef names one member of one list.
type MemberRef struct {
	List, Address string
}

// ThreadLink says that the message with this Message-ID belongs to a
// proposal's thread.
type ThreadLink struct {
	MessageID string
	Proposal  ProposalRef
}

// Receive stores a message and its envelope and puts it in the inbox, in
// one fsync'd transaction shared with concurrent callers (group commit).
// Once it returns nil, the message survives a crash.
func (s *Store) Receive(env Envelope, raw []byte) (uint64, error) {
	var id uint64
	err := s.db.Batch(func(tx kv.Tx) error {
		msgs := appending(tx.Bucket(bucketMessages))
		n, err := msgs.NextSequence()
		if err != nil {
			return err
		}
		id = n
		key := u64(id)
		if err := putMessage(msgs, key, raw); err != nil {
			return err
		}
		if err := putJSON(appending(tx.Bucket(bucketEnvelopes)), key, env); err != nil {
			return err
		}
		return tx.Bucket(bucketInbox).Put(key, nil)
	})
	if err != nil {
		return 0, fmt.Errorf("storage: receive message: %w", err)
	}
	return id, nil
}

// bigMessage is the size above which a message is stored in a bucket of
// its own rather than as one value among the others. bbolt rewrites every
// value of a leaf page when a key is added to it: the next few messages
// received after a 25 MB post would each copy it into memory and write
// it to disk again (measured: 120 MB allocated and written for the four
// small messages that followed one).
const bigMessage = 64 << 10

// bigMessageKey is the one key of a big message's own bucket.
var bigMessageKey = []byte("raw")

// putMessage stores raw under key in msgs, the messages bucket.
func putMessage(msgs kv.Bucket, key, raw []byte) error {
	if len(raw) <= bigMessage {
		return msgs.Put(key, raw)
	}
	b, err := msgs.CreateBucket(key)
	if err != nil {
		return err
	}
	return b.Put(bigMessageKey, raw)
}

// getMessage returns the message stored under key in msgs, nil if none;
// the bytes are the store's, valid for the transaction.
func getMessage(msgs kv.Bucket, key []byte) []byte {
	if v := msgs.Get(key); v != nil {
		return v
	}
	if b := msgs.Bucket(key); b != nil {
		return b.Get(bigMessageKey)
	}
	return nil
}

// Message returns a copy of the raw bytes of a message and its envelope.
func (s *Store) Message(id uint64) ([]byte, Envelope, error) {
	var raw []byte
	var env Envelope
	err := s.db.View(func(tx kv.Tx) error {
		key := u64(id)
		v := getMessage(tx.Bucket(bucketMessages), key)
		if v == nil {
			return ErrNotFound
		}
		raw = append([]byte(nil), v...)
		return getJSON(tx.Bucket(bucketEnvelopes), key, &env)
	})
	if err != nil {
		return nil, Envelope{}, fmt.Errorf("storage: message %d: %w", id, err)
	}
	return raw, env, nil
}

// Inbox returns the ids of the received messages not yet disposed of, in
// arrival order.
func (s *Store) Inbox() ([]uint64, error) {
	var ids []uint64
	err := s.db.View(func(tx kv.Tx) error {
		return tx.Bucket(bucketInbox).ForEach(func(k, _ []byte) error {
			ids = append(ids, be64(k))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("storage: inbox: %w", err)
	}
	return ids, nil
}

// Dispose records what processing message id decided and takes it out of
// the inbox, atomically. Disposing of a message that is no longer in the
// inbox does nothing and returns nil, so a repeated call is harmless.
func (s *Store) Dispose(id uint64, d Disposition) error {
	err := s.db.Batch(func(tx kv.Tx) error {
		key := u64(id)
		inbox := tx.Bucket(bucketInbox)
		if inbox.Get(key) == nil {
			return nil
		}
		if err := inbox.Delete(key); err != nil {
			return err
		}
		for _, a := range d.Archive {
			if _, err := putArchive(tx, a); err != nil {
				return err
			}
		}
		for _, h := range d.Held {
			if err := putHeld(tx, h); err != nil {
				return err
			}
		}
		for _, e := range d.Queue {
			if _, err := putNewQueueEntry(tx, e); err != nil {
				return err
			}
		}
		for _, l := range d.Threads {
			if err := putThread(tx, l.MessageID, l.Proposal); err != nil {
				return err
			}
		}
		for _, m := range d.Seen {
			if err := putSeen(tx, m); err != nil {
				return err
			}
		}
		for _, r := range d.RevokedLinks {
			if err := putRevokedLink(tx, r); err != nil {
				return err
			}
		}
		for _, m := range d.Signatures {
			if err := putSeen(tx, SeenMessage{List: m.List, MessageID: signatureKey(m.MessageID)}); err != nil {
				return err
			}
		}
		if err := putDecisions(tx, d.Proposals, d.Outgoing); err != nil {
			return err
		}
		if err := putRequestEffects(tx, d); err != nil {
			return err
		}
		if err := putSanctions(tx, d.Sanctions); err != nil {
			return err
		}
		if err := putDigestEffects(tx, d); err != nil {
			return err
		}
		for i, dc := range d.Discards {
			k := append(u64(id), u64(uint64(i))...)
			if err := putJSON(tx.Bucket(bucketDiscarded), k, dc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: dispose of message %d: %w", id, err)
	}
	return nil
}

func putArchive(tx kv.Tx, a ArchiveEntry) (uint64, error) {
	var stored []byte
	if a.Size == 0 { // read the message only for its size
		stored = getMessage(tx.Bucket(bucketMessages), u64(a.MessageID))
	}
	raw, err := encodeArchiveEntry(a, stored)
	if err != nil {
		return 0, err
	}
	return putArchiveEncoded(tx, a.List, raw, a.MessageID)
}

// putArchiveEncoded appends to list's archive an entry encoded without
// its seq and message id, and returns its seq.
func putArchiveEncoded(tx kv.Tx, list string, raw []byte, messageID uint64) (uint64, error) {
	b, err := tx.Bucket(bucketArchive).CreateBucketIfNotExists([]byte(list))
	if err != nil {
		return 0, err
	}
	appending(b)
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	return seq, b.Put(u64(seq), withIDs(raw, idField{"seq", seq}, idField{"message_id", messageID}))
}

// Archive returns the entries of a list's archive, oldest first.
func (s *Store) Archive(list string) ([]ArchiveEntry, error) {
	return s.ArchiveEntries(list, 0, 0)
}

func be64(k []byte) uint64 { return binary.BigEndian.Uint64(k) }
