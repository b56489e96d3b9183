package listserv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/listserv/notice"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// Less mail, never fewer decisions (docs/membership.md). Two recipient sets:
//
//   - the decision set (recipients: every enabled member, whatever their
//     mode) gets proposals — the post that opens one —, reminders,
//     outcome and amendment notices and agendas, one by one: toList and
//     a proposal's distribution use it;
//   - the post set (postRecipients: the enabled members in the normal
//     mode) gets the ordinary posts. A post that digest members did not
//     get is kept, as distributed, for the list's digest.
//
// Once a day at digest_time (the list's timezone) the engine's tick sends
// each list's digest — MIME multipart/digest (RFC 2046), a short table
// of contents then each post as message/rfc822, oldest first — to its
// digest members. The posts it carries are deleted, the day marked and
// the digest queued in one transaction (Store.SendDigest): it goes once
// across crashes and repeated ticks. No post, no digest.
//
// The same tick ends the holidays that are over (nomail until a date):
// the member is back to normal and told, in one transaction.

// audience returns the addresses a post goes to now, and keeps it for
// the digest when it is an ordinary post the list's digest members do
// not get: hdr and body are the copy distributed.
func (s *processor) audience(d *storage.Disposition, l storage.List, in *inbound, hk hook, hdr, body []byte) ([]string, error) {
	if hk.footer != "" && hk.update != nil {
		return s.recipients(l) // a proposal: every member, one by one
	}
	addrs, digest, err := s.postRecipients(l)
	if err != nil || len(digest) == 0 {
		return addrs, err
	}
	raw := make([]byte, 0, len(hdr)+len(body))
	raw = append(append(raw, hdr...), body...)
	d.Digest = append(d.Digest, storage.DigestItem{List: l.Address, At: in.now, From: in.author,
		Subject: in.subject, Raw: raw})
	return addrs, nil
}

// postRecipients returns the enabled members of list l that get each
// ordinary post (normal), and those that get the digest.
func (s *processor) postRecipients(l storage.List) (normal, digest []string, err error) {
	members, err := s.o.Store.Members(l.Address)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range members {
		switch {
		case m.Disabled:
		case m.Mode == storage.ModeDigest:
			digest = append(digest, m.Address)
		case m.Mode == storage.ModeNomail:
		default:
			normal = append(normal, m.Address)
		}
	}
	return normal, digest, nil
}

// dailyDelivery is the engine's daily work for the delivery modes: the
// holidays that ended, and the digests due at now.
func (s *processor) dailyDelivery(now time.Time) error {
	lists, err := s.o.Store.Lists()
	if err != nil {
		return err
	}
	var errs []error
	for _, l := range lists {
		if err := s.endHolidays(l, now); err != nil {
			errs = append(errs, fmt.Errorf("holidays on %s: %w", l.Address, err))
		}
		at, day, err := s.digestDue(now)
		if err != nil {
			return err
		}
		if at.IsZero() {
			continue
		}
		if sent, err := s.o.Store.DigestSentDay(l.Address); err != nil {
			errs = append(errs, err)
			continue
		} else if sent == day {
			continue
		}
		if _, err := s.sendDigest(l, at, day, now); err != nil {
			errs = append(errs, fmt.Errorf("digest of %s: %w", l.Address, err))
		}
	}
	return errors.Join(errs...)
}

// digestDue returns today's digest time (in the consensus timezone) and
// day when it has come at now, zero before.
func (s *processor) digestDue(now time.Time) (time.Time, string, error) {
	hh, mm, err := ParseDigestTime(s.digestTime())
	if err != nil {
		return time.Time{}, "", err
	}
	loc := s.loc()
	local := now.In(loc)
	at := time.Date(local.Year(), local.Month(), local.Day(), hh, mm, 0, 0, loc)
	if now.Before(at) {
		return time.Time{}, "", nil
	}
	return at, local.Format("2006-01-02"), nil
}

// ParseDigestTime reads a digest_time, "HH:MM" (24 hours).
func ParseDigestTime(v string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", strings.TrimSpace(v))
	if err != nil {
		return 0, 0, fmt.Errorf("digest time %q: want HH:MM, for example 18:00", v)
	}
	return t.Hour(), t.Minute(), nil
}

func (s *processor) loc() *time.Location {
	if s.o.Consensus.Location != nil {
		return s.o.Consensus.Location
	}
	return time.UTC
}

// sendDigest sends list l's digest of the posts kept before before, as
// day's digest ("" for one on demand). It returns how many posts it
// carried (0: none, or another digest carried them).
func (s *processor) sendDigest(l storage.List, before time.Time, day string, now time.Time) (int, error) {
	d, err := s.prepareDigest(l, before, now)
	if err != nil || len(d.items) == 0 {
		return 0, err
	}
	return s.writeDigest(l, day, d)
}

// digestWrite is a digest composed, waiting to be written.
type digestWrite struct {
	items []storage.DigestItem
	out   storage.Outgoing
	to    int // recipients
}

// prepareDigest reads the posts of l kept before before and composes
// their digest (no items: nothing to send).
func (s *processor) prepareDigest(l storage.List, before, now time.Time) (digestWrite, error) {
	items, err := s.o.Store.DigestItems(l.Address, before)
	if err != nil || len(items) == 0 {
		return digestWrite{}, err
	}
	_, to, err := s.postRecipients(l)
	if err != nil {
		return digestWrite{}, err
	}
	c := s.composeDigest(l, items, now)
	out := storage.Outgoing{Raw: c.raw, BodyOffset: c.bodyOff, At: now,
		Queue: s.fanOut(storage.QueueEntry{List: l.Address, From: bounceAddress(l), Created: now, NextAttempt: now,
			Personal: s.personal()}, to)}
	return digestWrite{items: items, out: out, to: len(to)}, nil
}

// writeDigest sends d as day's digest of l, only if its posts are still
// kept (another node, should the lock be lost, may have carried them)
// and day's digest not yet sent. It returns how many posts went.
func (s *processor) writeDigest(l storage.List, day string, d digestWrite) (int, error) {
	sent, err := s.o.Store.SendDigest(l.Address, day, d.items, d.out)
	if err != nil || !sent {
		return 0, err
	}
	s.o.Logger.Info("engine: digest sent", "list", l.Address, "posts", len(d.items), "recipients", d.to)
	return len(d.items), nil
}

// SendDigest sends the digest of list ("" for every list) now, with the
// posts kept so far (tacit digest send). It returns how many posts went.
func (s *processor) SendDigest(list string) (int, error) {
	var n int
	err := s.exclusive(context.Background(), func() error {
		var err error
		n, err = s.sendDigestNow(list)
		return err
	})
	return n, err
}

// sendDigestNow is SendDigest under lockDecide.
func (s *processor) sendDigestNow(list string) (int, error) {
	now := s.o.Now().UTC()
	var lists []storage.List
	if list != "" {
		l, err := s.o.Store.List(list)
		if err != nil {
			return 0, err
		}
		lists = []storage.List{l}
	} else {
		var err error
		if lists, err = s.o.Store.Lists(); err != nil {
			return 0, err
		}
	}
	total := 0
	for _, l := range lists {
		n, err := s.sendDigest(l, now.Add(time.Nanosecond), "", now)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// composeDigest writes the digest of items: a multipart/digest whose
// first part is the table of contents, then each post as distributed.
func (s *processor) composeDigest(l storage.List, items []storage.DigestItem, now time.Time) composed {
	lang, loc := s.listLang(l), s.loc()
	var toc strings.Builder
	toc.WriteString(notice.Say(lang, notice.DigestIntro, l.Address, len(items)) + "\n\n")
	for i, it := range items {
		toc.WriteString(notice.Say(lang, notice.DigestLine, i+1, it.At.In(loc).Format("02/01 15:04"),
			oneLine(it.From, 60), oneLine(it.Subject, 70)) + "\n")
	}
	toc.WriteString("\n--\n" + l.Address + "\n")
	subject := notice.Say(lang, notice.DigestSubject, l.LocalPart(), notice.Day(now, lang, loc), len(items))
	id := newMessageID(s.o.SMTP.Hostname, now)
	var b bytes.Buffer
	rewrite.WriteListFields(&b, rewrite.Options{List: s.rewriteList(l), NoUnsubscribe: s.o.HTTPBaseURL != ""})
	rewrite.WriteField(&b, "From", rewrite.Phrase(listDisplayName(l))+" <"+l.Address+">")
	rewrite.WriteField(&b, "To", l.Address)
	rewrite.WriteField(&b, "Subject", rewrite.EncodeText(subject))
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: %s\r\n", id)
	b.WriteString("Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n")
	boundary := newBoundary()
	fmt.Fprintf(&b, "Content-Type: multipart/digest; boundary=\"%s\"\r\n\r\n", boundary)
	off := b.Len()
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary)
	writeQP(&b, toc.String())
	for _, it := range items {
		fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: message/rfc822\r\n\r\n", boundary)
		b.Write(bytes.TrimRight(it.Raw, "\r\n"))
	}
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return s.signed(composed{raw: b.Bytes(), bodyOff: off, messageID: id})
}

// endHolidays puts back to normal the members of list l whose holidays
// ended at now, each told in the transaction that ends them.
func (s *processor) endHolidays(l storage.List, now time.Time) error {
	members, err := s.o.Store.Members(l.Address)
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.Mode != storage.ModeNomail || m.NomailUntil.IsZero() || now.Before(m.NomailUntil) {
			continue
		}
		data := s.noticeData(l, consensus.Proposal{}, now)
		data.Member = m.Address
		txt, err := s.notices.Render(notice.HolidayEnd, s.listLang(l), data)
		if err != nil {
			return err
		}
		c := s.compose(letter{list: l, from: requestAddress(l), to: m.Address, text: txt, now: now})
		ended, err := s.o.Store.EndHoliday(l.Address, m.Address, m.NomailUntil, s.toOne(l, c, m.Address, now))
		if err != nil {
			return err
		}
		if ended {
			s.o.Logger.Info("engine: holidays over", "list", l.Address, "member", m.Address)
		}
	}
	return nil
}

// SendDigest sends the digest of list ("" for every list) on a store no
// server holds (tacit digest send while tacit serve is stopped): it
// waits in the queue for the next start.
func SendDigest(o Options, list string) (int, error) {
	notices, err := notice.NewRenderer()
	if err != nil {
		return 0, err
	}
	p := &processor{o: o.withDefaults(), notices: notices}
	return p.SendDigest(list)
}
