package listserv

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

	"tacit/listserv/listaddr"
	"tacit/listserv/register"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// processLoop disposes of every message in the inbox, at start-up (what a
// crash left), whenever SMTP spools a new one, and every five seconds;
// every second on a store shared with other nodes, whose SMTP servers
// spool into the same inbox without waking this one.
func (s *Server) processLoop(ctx context.Context) {
	every := 5 * time.Second
	if s.o.Store.Shared() {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		ids, err := s.o.Store.Inbox()
		if err != nil {
			s.o.Logger.Error("post: read inbox", "err", err)
		}
		disposed := 0
		for _, id := range ids {
			if ctx.Err() != nil {
				return
			}
			if err := s.proc.process(ctx, id); errors.Is(err, errDisposed) {
				continue // by another node
			} else if err != nil {
				// Left in the inbox: tried again on the next pass.
				s.o.Logger.Error("post: process message", "message", id, "err", err)
				continue
			}
			disposed++
		}
		if len(ids) > 0 {
			s.runner.Wake()
		}
		if disposed > 0 {
			// What was disposed of may have put messages back in the
			// inbox (a held post decided by mail): read it again now.
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.incoming:
		case <-tick.C:
		}
	}
}

// post is the path of a message sent to a list's posting address: loop,
// replay and auto-reply checks, membership and moderation, the consensus
// reading, then archive and fan-out.
func (s *processor) post(ctx context.Context, l storage.List, in *inbound) error {
	d, now := in.d, in.now
	if in.badHeader != nil {
		d.Held = append(d.Held, storage.Held{List: l.Address, MessageID: in.id, From: in.env.From,
			Reason: "unreadable header: " + in.badHeader.Error(), At: now})
		return nil
	}
	if why := rewrite.Loop(in.h, in.env.From, s.rewriteList(l)); why != "" {
		s.o.Logger.Info("post: not distributed", "message", in.id, "list", l.Address, "reason", why)
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: why, At: now})
		return nil
	}
	mid := strings.TrimSpace(in.h.Get("Message-Id"))
	if seen, err := s.o.Store.Distributed(l.Address, mid); err != nil {
		return err
	} else if seen {
		// A reply-all that reached the list twice, a server retrying:
		// neither distributed nor counted again.
		s.o.Logger.Info("post: replay not distributed", "message", in.id, "list", l.Address, "message_id", mid)
		s.metrics.Replay()
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "replay: Message-ID already distributed", At: now})
		return nil
	}
	m := in.env.Moderation
	if m != nil && !m.Approved {
		return s.tellModerated(d, l, in.author, in.subject, *m, now)
	}
	member := true // a post that was not held is a member's (or an announcing owner's)
	if m == nil {
		reason, err := s.trollHoldReason(l, in)
		if err != nil {
			return err
		}
		if reason != "" {
			s.o.Logger.Info("post: held", "message", in.id, "list", l.Address, "from", in.author, "reason", reason)
			return s.hold(l, in, reason)
		}
	} else {
		// Approved by an owner: distributed, and its author told. It
		// counts from now, when the list sees it: a proposal's deadline
		// runs from its approval, not from when it was held.
		if !m.Confirmed { // its author, who confirmed it, was already answered
			if err := s.tellModerated(d, l, in.author, in.subject, *m, now); err != nil {
				return err
			}
		}
		in.received = now
		var err error
		if member, err = s.o.Store.IsMember(l.Address, in.author); err != nil {
			return err
		}
	}
	hk, err := s.consensusHook(l, in, member)
	if err != nil {
		return err
	}
	if err := s.agendaReply(l, in); err != nil {
		return err
	}
	if hk.confirm {
		return s.holdForConfirmation(l, in)
	}
	return s.distribute(ctx, l, in, hk)
}

// distribute archives a post and queues a copy for every member: its
// header rewritten (List-* fields, Subject, DMARC), a proposal's footer
// added, sealed (ARC) and signed; and records what the consensus side decided with it.
func (s *processor) distribute(ctx context.Context, l storage.List, in *inbound, hk hook) error {
	d, now, raw := in.d, in.now, in.raw
	ro := rewrite.Options{List: s.rewriteList(l), DMARC: s.o.DMARC, Subject: hk.subject, Extra: hk.extra,
		NoUnsubscribe: s.o.HTTPBaseURL != ""}
	var footerBody []byte
	if footer := listFooter(l, hk.footer); footer != "" {
		var footerFields []string
		footerFields, footerBody = withFooter(in.h, raw[in.bodyOff:], footer, newBoundary())
		ro.Drop = contentFields
		ro.Extra = append(ro.Extra, footerFields...)
	}
	// A slow resolver must not stall every post behind this one.
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	hdr, off, err := rewrite.Header(rctx, raw, ro)
	cancel()
	if errors.Is(err, rewrite.ErrDMARC) {
		return err // left in the inbox, tried again on the next pass
	}
	if err != nil {
		d.Held = append(d.Held, storage.Held{List: l.Address, MessageID: in.id, From: in.author,
			Subject: in.subject, Reason: "header cannot be rewritten: " + err.Error(), At: now})
		return nil
	}
	mid := strings.TrimSpace(in.h.Get("Message-Id"))
	if mid == "" {
		// Replies must be able to point at every distributed message.
		hdr = append([]byte(fmt.Sprintf("Message-ID: <tacit.%d.%d@%s>\r\n", in.id, now.Unix(), s.o.SMTP.Hostname)), hdr...)
	}
	body := raw[off:]
	if footerBody != nil {
		body = footerBody
	}
	hdr = s.signPost(in, hdr, body)
	addrs, err := s.audience(d, l, in, hk, hdr, body)
	if err != nil {
		return err
	}
	hk.record(d)
	d.Seen = append(d.Seen, storage.SeenMessage{List: l.Address, MessageID: mid})
	d.RevokedLinks = append(d.RevokedLinks, s.leakedLinks(in)...)
	proto := storage.QueueEntry{List: l.Address, From: bounceAddress(l), Created: now, NextAttempt: now, Personal: s.personal()}
	if footerBody != nil {
		// The distributed copy differs from the post: store it as ours.
		proto.Post = in.id
		if hk.footer != "" && hk.update != nil {
			proto.Proposal = hk.update.Proposal.Number // each copy gets its links
		}
		out := storage.Outgoing{
			Raw: append(hdr, footerBody...), BodyOffset: len(hdr), At: now,
			Archive: storage.ArchiveEntry{List: l.Address, At: now, From: in.author, Subject: in.subject},
			Queue:   s.fanOut(proto, addrs),
		}
		if hk.update != nil {
			out.ProposalPost = storage.ProposalRef{List: hk.update.Proposal.List, Number: hk.update.Proposal.Number}
		}
		d.Outgoing = append(d.Outgoing, out)
	} else {
		d.Archive = append(d.Archive, storage.ArchiveEntry{List: l.Address, MessageID: in.id, At: now,
			From: in.author, Subject: in.subject, Header: hdr, BodyOffset: off})
		proto.MessageID, proto.Header, proto.BodyOffset = in.id, hdr, off
		d.Queue = append(d.Queue, s.fanOut(proto, addrs)...)
	}
	s.o.Logger.Info("post: distributed", "message", in.id, "list", l.Address, "from", in.author,
		"recipients", len(addrs))
	return nil
}

// forwardToOwners sends mail for NAME-owner to the list's owners,
// unchanged but for an X-Loop line that stops it from coming back.
func (s *processor) forwardToOwners(l storage.List, in *inbound) {
	d, now := in.d, in.now
	ownerAddr := listaddr.Of(l.Address, listaddr.Owner)
	if in.badHeader != nil {
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "owner mail with unreadable header", At: now})
		return
	}
	for _, v := range in.h.Values("X-Loop") {
		if strings.EqualFold(strings.TrimSpace(v), ownerAddr) {
			d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "owner mail loop", At: now})
			return
		}
	}
	if len(l.Owners) == 0 {
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "owner mail but the list has no owner", At: now})
		return
	}
	hdr := append([]byte("X-Loop: "+ownerAddr+"\r\n"), in.raw[:in.bodyOff]...)
	d.Queue = append(d.Queue, s.fanOut(storage.QueueEntry{
		MessageID: in.id, List: l.Address, Header: hdr, BodyOffset: in.bodyOff,
		From: bounceAddress(l), Created: now, NextAttempt: now,
	}, l.Owners)...)
}

// fanOut splits recipients into queue entries of one domain and at most
// RecipientsPerTransaction recipients each, all copies of proto.
func (s *processor) fanOut(proto storage.QueueEntry, recipients []string) []storage.QueueEntry {
	byDomain := make(map[string][]string)
	for _, r := range recipients {
		_, dom, _ := strings.Cut(r, "@")
		byDomain[dom] = append(byDomain[dom], r)
	}
	domains := make([]string, 0, len(byDomain))
	for dom := range byDomain {
		domains = append(domains, dom)
	}
	slices.Sort(domains)
	var out []storage.QueueEntry
	for _, dom := range domains {
		for chunk := range slices.Chunk(byDomain[dom], s.o.Delivery.RecipientsPerTransaction) {
			e := proto
			e.Domain = dom
			e.Recipients = chunk
			out = append(out, e)
		}
	}
	return out
}

// rewriteList describes list l for the rewrite package. List-Archive
// announces the list's decision register when it is public and the HTTP
// server is on (register.ArchiveURL says "" otherwise).
func (s *processor) rewriteList(l storage.List) rewrite.List {
	return rewrite.List{Address: l.Address, Name: l.Name, NoPrefix: l.NoPrefix, FromRewrite: l.FromRewrite,
		ArchiveURL: register.ArchiveURL(s.o.HTTPBaseURL, s.o.Domain, l)}
}

// authorOf returns the address of a message's author: the From header,
// or the envelope sender when From is missing or unreadable.
func authorOf(h textproto.Header, envFrom string) string {
	if from := h.Get("From"); from != "" {
		if a, err := mail.ParseAddress(from); err == nil {
			return storage.NormalizeAddress(a.Address)
		}
		if as, err := mail.ParseAddressList(from); err == nil && len(as) > 0 {
			return storage.NormalizeAddress(as[0].Address)
		}
		if i, j := strings.LastIndex(from, "<"), strings.LastIndex(from, ">"); i >= 0 && j > i {
			return storage.NormalizeAddress(from[i+1 : j])
		}
	}
	return storage.NormalizeAddress(envFrom)
}

// displayName returns the display name of a message's From, decoded, ""
// when it has none.
func displayName(h textproto.Header) string {
	v := h.Get("From")
	if v == "" {
		return ""
	}
	if a, err := rewrite.ParseAddress(v); err == nil {
		return strings.TrimSpace(a.Name)
	}
	return ""
}

// decodedSubject returns the Subject with RFC 2047 words decoded as far
// as possible.
func decodedSubject(h textproto.Header) string {
	return rewrite.DecodeHeader(h.Get("Subject"))
}
