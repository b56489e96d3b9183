package storage

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"tacit/storage/internal/kv"
)

// Buckets of schema version 3: membership by email and moderation.
var (
	bucketConfirmations = []byte("confirmations") // token → Confirmation
	bucketReplies       = []byte("replies")       // address ‖ 0 ‖ UnixNano ‖ seq → nothing
	bucketHeldTokens    = []byte("held_tokens")   // token → held id
	keySecret           = []byte("secret")        // in meta: the server's HMAC secret
)

func migrateRequests(tx kv.Tx) error {
	for _, b := range [][]byte{bucketConfirmations, bucketReplies, bucketHeldTokens} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	if tx.Bucket(bucketMeta).Get(keySecret) == nil {
		return tx.Bucket(bucketMeta).Put(keySecret, secret)
	}
	return nil
}

// ErrExpired is returned for a confirmation token past its expiry.
var ErrExpired = errors.New("storage: expired")

// Confirmation is a pending subscription or unsubscription, waiting for
// its address to answer.
type Confirmation struct {
	Token   string `json:"token"`
	List    string `json:"list"`
	Address string `json:"address"`
	// Action is "subscribe", "unsubscribe", "password" or "command".
	Action  string    `json:"action"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Message, Proposal and Received describe a "command" confirmation:
	// the stored reply whose commands wait, the proposal they answer,
	// and when the reply was received (they count as of then).
	Message  uint64      `json:"message,omitempty"`
	Proposal ProposalRef `json:"proposal,omitzero"`
	Received time.Time   `json:"received,omitzero"`
}

// MemberChange subscribes (Add) or unsubscribes an address.
type MemberChange struct {
	List    string
	Address string
	Add     bool
	At      time.Time
}

// Reply records that the list wrote to an address, for the cap on
// replies per sender.
type Reply struct {
	Address string
	At      time.Time
}

// Secret returns the server's secret (32 random bytes made when the
// store was created), the key of one-click unsubscribe tokens.
func (s *Store) Secret() ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx kv.Tx) error {
		out = append([]byte(nil), tx.Bucket(bucketMeta).Get(keySecret)...)
		return nil
	})
	if err == nil && len(out) == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("storage: secret: %w", err)
	}
	return out, nil
}

// Confirmation returns a pending confirmation; ErrExpired when it is past
// its expiry at now, ErrNotFound when unknown or already used.
func (s *Store) Confirmation(token string, now time.Time) (Confirmation, error) {
	var c Confirmation
	err := s.db.View(func(tx kv.Tx) error {
		return getJSON(tx.Bucket(bucketConfirmations), []byte(token), &c)
	})
	if err == nil && now.After(c.Expires) {
		err = ErrExpired
	}
	if err != nil {
		return c, fmt.Errorf("storage: confirmation: %w", err)
	}
	return c, nil
}

// RepliesSince counts the replies written to addr since t.
func (s *Store) RepliesSince(addr string, t time.Time) (int, error) {
	addr = NormalizeAddress(addr)
	n := 0
	err := s.db.View(func(tx kv.Tx) error {
		c := tx.Bucket(bucketReplies).Cursor()
		prefix := append([]byte(addr), 0)
		from := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(t.UnixNano()))
		for k, _ := c.Seek(from); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storage: replies to %s: %w", addr, err)
	}
	return n, nil
}

// HeldByToken returns the held post whose owners' notice carries token.
func (s *Store) HeldByToken(token string) (Held, error) {
	var h Held
	err := s.db.View(func(tx kv.Tx) error {
		id := tx.Bucket(bucketHeldTokens).Get([]byte(token))
		if id == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bucketHeld), id, &h)
	})
	if err != nil {
		return h, fmt.Errorf("storage: held post by token: %w", err)
	}
	return h, nil
}

// ModerateHeld records an owner's decision on held post id: the post
// leaves the held list and goes back to the inbox, marked with the
// decision, for the server to distribute it or tell its author. It
// returns ErrNotFound when the post is no longer held (already decided).
func (s *Store) ModerateHeld(id uint64, m Moderation) (Held, error) {
	var h Held
	err := s.db.Update(func(tx kv.Tx) error {
		var err error
		h, err = moderateHeld(tx, id, m)
		return err
	})
	if err != nil {
		return h, fmt.Errorf("storage: moderate held post %d: %w", id, err)
	}
	return h, nil
}

// HeldDecision is a decision on a held post taken by mail (an owner's
// approve or reject, an author's confirmation), recorded with the
// message that took it.
type HeldDecision struct {
	ID         uint64
	Moderation Moderation
}

// PasswordChange sets a member's IMAP password hash (a mailed password,
// once confirmed).
type PasswordChange struct {
	List, Member, Hash string
}

// moderateHeld is ModerateHeld inside a transaction.
func moderateHeld(tx kv.Tx, id uint64, m Moderation) (Held, error) {
	var h Held
	held := tx.Bucket(bucketHeld)
	if err := getJSON(held, u64(id), &h); err != nil {
		return h, err
	}
	if err := held.Delete(u64(id)); err != nil {
		return h, err
	}
	if h.Token != "" {
		if err := tx.Bucket(bucketHeldTokens).Delete([]byte(h.Token)); err != nil {
			return h, err
		}
	}
	var env Envelope
	envs := tx.Bucket(bucketEnvelopes)
	if err := getJSON(envs, u64(h.MessageID), &env); err != nil {
		return h, err
	}
	m.List = h.List
	env.Moderation = &m
	if err := putJSON(envs, u64(h.MessageID), env); err != nil {
		return h, err
	}
	return h, tx.Bucket(bucketInbox).Put(u64(h.MessageID), nil)
}

// putRequestEffects records the membership side of a disposition.
func putRequestEffects(tx kv.Tx, d Disposition) error {
	for _, hd := range d.HeldDecisions {
		// Decided already (by another owner, or on the command line):
		// the first decision stands.
		if _, err := moderateHeld(tx, hd.ID, hd.Moderation); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	for _, m := range d.Meetings {
		if _, err := putMeeting(tx, m); err != nil {
			return err
		}
	}
	for _, pc := range d.Passwords {
		_, err := updateMember(tx, NormalizeAddress(pc.List), NormalizeAddress(pc.Member), func(m *Member) error {
			m.PasswordHash = pc.Hash
			return nil
		})
		if err != nil && !errors.Is(err, ErrNotFound) { // left the list meanwhile
			return err
		}
	}
	for _, mc := range d.Members {
		b, err := membersBucket(tx, NormalizeAddress(mc.List))
		if err != nil {
			return err
		}
		addr := []byte(NormalizeAddress(mc.Address))
		switch {
		case mc.Add && b.Get(addr) == nil:
			err = putJSON(b, addr, Member{Address: string(addr), Added: mc.At})
		case !mc.Add:
			err = b.Delete(addr)
		}
		if err != nil {
			return err
		}
	}
	for _, r := range d.DisabledNoticed {
		_, err := updateMember(tx, NormalizeAddress(r.List), NormalizeAddress(r.Address), func(m *Member) error {
			m.DisabledNoticeSent = true
			return nil
		})
		if err != nil && !errors.Is(err, ErrNotFound) { // gone meanwhile: nothing to mark
			return err
		}
	}
	confs := tx.Bucket(bucketConfirmations)
	for _, c := range d.Confirmations {
		if err := putJSON(confs, []byte(c.Token), c); err != nil {
			return err
		}
	}
	for _, t := range d.UsedTokens {
		if err := confs.Delete([]byte(t)); err != nil {
			return err
		}
	}
	replies := tx.Bucket(bucketReplies)
	for _, r := range d.Replies {
		k := append([]byte(NormalizeAddress(r.Address)), 0)
		if err := pruneReplies(replies, k, r.At.Add(-24*time.Hour)); err != nil {
			return err
		}
		seq, err := replies.NextSequence()
		if err != nil {
			return err
		}
		// The sequence keeps replies written at the same instant apart.
		key := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(k, uint64(r.At.UnixNano())), seq)
		if err := replies.Put(key, nil); err != nil {
			return err
		}
	}
	return nil
}

// pruneReplies forgets the replies to one address older than before.
func pruneReplies(b kv.Bucket, prefix []byte, before time.Time) error {
	var old [][]byte
	c := b.Cursor()
	end := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(before.UnixNano()))
	for k, _ := c.Seek(prefix); k != nil && bytes.Compare(k, end) < 0 && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		old = append(old, bytes.Clone(k))
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
