package listserv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-message/textproto"

	"tacit/listserv/dkim"
	"tacit/listserv/listaddr"
	"tacit/listserv/metrics"
	"tacit/listserv/notice"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// processor is what a received message goes through, and what the
// engine's tick decides with: classification, authentication,
// moderation, proposals and commands, -request commands, bounces, and
// the messages of ours they cause. Its entry points are process (one
// message from the inbox: everything it causes is recorded by one
// Store.Dispose) and tickBatch (due proposals: one Store.DecideEach). It
// owns no listener and no goroutine: the Server runs those and calls it.
type processor struct {
	// o are the server's options, as New completed them.
	o       Options
	notices *notice.Renderer
	metrics *metrics.Metrics
	// verpKey keys the tags of bounce addresses (verp.go); webKey the
	// tokens of one-click positions (webposition.go), nil without HTTP.
	verpKey []byte
	webKey  []byte
	// imapAddr is where the IMAP archive listens ("" when off), for the
	// password mail.
	imapAddr string
	// imapsAddr is where it listens over TLS from the first byte ("" when
	// off).
	imapsAddr string
	// bodies are the body hashes of the messages being delivered, so
	// that each member's copy is signed without hashing its body again.
	bodies bodyHashes
}

// lockDecide names the store's lock (storage.Store.Exclusive) that
// serialises every read-decide-write of the processor: a received
// message's processing, a batch of the engine's tick, a web position, a
// meeting's settlement. It is held across every tacit sharing the store,
// so that two nodes never decide from the same state: a message is
// disposed of once, a due proposal decided and notified once.
const lockDecide = "tacit.decide"

// exclusive runs fn under lockDecide.
func (s *processor) exclusive(ctx context.Context, fn func() error) error {
	return s.o.Store.Exclusive(ctx, lockDecide, fn)
}

// errDisposed is process's answer for a message no longer in the inbox:
// another node (or an earlier pass) disposed of it.
var errDisposed = errors.New("listserv: message already disposed of")

// personal reports whether each member's copy of list mail is written
// for them (VERP sender, one-click unsubscribe URL).
func (s *processor) personal() bool { return s.o.VERP || s.o.HTTPBaseURL != "" }

// inbound is one received message, read once: every step of the
// processor reads it from here, and writes what it decides into d.
type inbound struct {
	id  uint64
	raw []byte
	env storage.Envelope
	// h is the parsed header and bodyOff where the body starts; badHeader
	// says why the header could not be read (h is then empty).
	h         textproto.Header
	bodyOff   int
	badHeader error
	// author is the From address (else the envelope sender), name its
	// display name, subject the decoded Subject.
	author, name, subject string
	// received is when the message counts from: its SMTP receipt, or
	// its approval for a post that was held.
	received time.Time
	// now is when it is processed.
	now time.Time
	// d is what processing it records, in one transaction.
	d *storage.Disposition
	// auth is how it was authenticated, once checked (checkAuth).
	auth *dkim.Result
}

// process decides what becomes of one received message, for each of its
// recipients, and records it all in one transaction: the one store write
// of the post path.
func (s *processor) process(ctx context.Context, id uint64) error {
	// Proposals read here are written by Dispose below: no tick, no
	// other node between.
	return s.exclusive(ctx, func() error { return s.processLocked(ctx, id) })
}

// processLocked is process under lockDecide.
func (s *processor) processLocked(ctx context.Context, id uint64) error {
	if in, err := s.o.Store.InInbox(id); err != nil {
		return err
	} else if !in {
		return errDisposed
	}
	raw, env, err := s.o.Store.Message(id)
	if err != nil {
		return err
	}
	in := read(id, raw, env, s.o.Now().UTC())
	for _, rcpt := range env.To {
		l, r, ok, err := s.resolve(rcpt)
		if err != nil {
			return err
		}
		if !ok { // the list was deleted since RCPT
			in.d.Discards = append(in.d.Discards, storage.Discard{Reason: "no such list: " + rcpt, At: in.now})
			continue
		}
		if m := env.Moderation; m != nil && (r != listaddr.Post || l.Address != m.List) {
			continue // a moderated post comes back for its list only
		}
		if banned, err := s.dropBanned(l, r, in); err != nil {
			return err
		} else if banned {
			continue // trolls.go: discarded, never answered
		}
		switch r {
		case listaddr.Post:
			err = s.post(ctx, l, in)
		case listaddr.Owner:
			s.forwardToOwners(l, in)
		case listaddr.Request, listaddr.Subscribe, listaddr.Unsubscribe:
			err = s.request(l, r, in)
		case listaddr.Bounces:
			err = s.bounce(l, rcpt, in)
		}
		if err != nil {
			return fmt.Errorf("message %d to %s: %w", id, rcpt, err)
		}
	}
	return s.o.Store.Dispose(id, *in.d)
}

// read parses a received message once.
func read(id uint64, raw []byte, env storage.Envelope, now time.Time) *inbound {
	in := &inbound{id: id, raw: raw, env: env, now: now, received: env.ReceivedAt, d: &storage.Disposition{}}
	if in.received.IsZero() {
		in.received = now
	}
	in.h, in.bodyOff, in.badHeader = rewrite.Split(raw)
	in.author = authorOf(in.h, env.From)
	if in.badHeader == nil {
		in.name, in.subject = displayName(in.h), decodedSubject(in.h)
	}
	return in
}
