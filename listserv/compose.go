package listserv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime/quotedprintable"
	"strings"
	"time"

	"tacit/listserv/notice"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// composed is a whole message of ours, ready to store and queue.
type composed struct {
	raw       []byte
	bodyOff   int
	messageID string // with angle brackets
}

// letter describes a message of ours.
type letter struct {
	list storage.List
	// from is the From address; "" means the list's posting address.
	// Mail from another address (NAME-request) asks one person to answer
	// tacit: it carries no Reply-To, so that a plain Reply reaches it.
	from string
	// to is the To header; "" means the list's posting address.
	to        string
	text      notice.Text
	inReplyTo string   // Message-ID the message answers, "" if none
	refs      []string // References, oldest first
	now       time.Time
	// attach, when set, is a message attached as message/rfc822.
	attach []byte
	// toList is true for mail to every member (see toList).
	toList bool
	// agenda marks a meeting's agenda: its Message-ID says so, so that
	// an owner's reply to it may record the meeting's decisions.
	agenda bool
}

// compose writes a letter as a MIME message: UTF-8 text in
// quoted-printable, the list's List-* headers, Auto-Submitted so that no
// robot answers it, and threading headers.
func (s *processor) compose(lt letter) composed {
	l := lt.list
	from, to := lt.from, lt.to
	if from == "" {
		from = l.Address
	}
	if to == "" {
		to = l.Address
	}
	id := newMessageID(s.o.SMTP.Hostname, lt.now)
	if lt.agenda {
		id = strings.Replace(id, "<tacit.", "<"+agendaIDPrefix, 1)
	}
	var b bytes.Buffer
	b.Grow(1024 + len(lt.text.Body)*5/4 + len(lt.attach)) // the header, the body once in quoted-printable
	// Mail to the whole list gets a personal List-Unsubscribe at delivery.
	rewrite.WriteListFields(&b, rewrite.Options{List: s.rewriteList(l), NoUnsubscribe: lt.toList && s.o.HTTPBaseURL != "",
		NoReplyTo: from != l.Address})
	// Every field is folded under 998 octets a line (docs/security.md):
	// a long title, three hundred owners, a long thread.
	rewrite.WriteField(&b, "From", rewrite.Phrase(listDisplayName(l))+" <"+from+">")
	rewrite.WriteField(&b, "To", to)
	rewrite.WriteField(&b, "Subject", rewrite.EncodeText(lt.text.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", lt.now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: %s\r\n", id)
	if irt := writableIDs([]string{lt.inReplyTo}); len(irt) > 0 {
		rewrite.WriteField(&b, "In-Reply-To", irt[0])
	}
	if refs := writableIDs(lt.refs); len(refs) > 0 {
		rewrite.WriteField(&b, "References", strings.Join(refs, " "))
	}
	b.WriteString("Auto-Submitted: auto-generated\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	if lt.attach == nil {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
		off := b.Len()
		writeQP(&b, lt.text.Body)
		return s.signed(composed{raw: b.Bytes(), bodyOff: off, messageID: id})
	}
	// The text, then the message it is about, attached unchanged.
	boundary := newBoundary()
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary)
	off := b.Len()
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary)
	writeQP(&b, lt.text.Body)
	fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n", boundary)
	b.Write(lt.attach)
	if !bytes.HasSuffix(lt.attach, []byte("\n")) {
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return s.signed(composed{raw: b.Bytes(), bodyOff: off, messageID: id})
}

// writableIDs returns the Message-IDs of ids that a header line can
// carry: an empty one, or one longer than rewrite.MaxWord (which no
// folding could bring under 998 octets), is left out.
func writableIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && len(id) <= rewrite.MaxWord && !strings.ContainsAny(id, " \t\r\n") {
			out = append(out, id)
		}
	}
	return out
}

// signed returns c with its DKIM signature, when signing is configured.
func (s *processor) signed(c composed) composed {
	hdr := s.sign(c.raw[:c.bodyOff:c.bodyOff], c.raw[c.bodyOff:])
	if len(hdr) == c.bodyOff {
		return c
	}
	c.raw = append(hdr, c.raw[c.bodyOff:]...)
	c.bodyOff = len(hdr)
	return c
}

// sign prepends the list's DKIM-Signature to a header, when signing is
// configured; a failure is logged and the message goes unsigned.
func (s *processor) sign(header, body []byte) []byte {
	if s.o.DKIM == nil {
		return header
	}
	sig, err := s.o.DKIM.Sign(header, body)
	if err != nil {
		s.o.Logger.Error("dkim: cannot sign", "err", err)
		return header
	}
	return append(sig, header...)
}

// composeWithAttachment is compose with raw attached as message/rfc822.
func (s *processor) composeWithAttachment(lt letter, raw []byte) composed {
	lt.attach = raw
	return s.compose(lt)
}

// qp encodes text as quoted-printable with CRLF line ends.
func qp(text string) []byte {
	var out bytes.Buffer
	writeQP(&out, text)
	return out.Bytes()
}

// writeQP writes text to b as qp does.
func writeQP(b *bytes.Buffer, text string) {
	w := quotedprintable.NewWriter(b)
	_, _ = w.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")))
	_ = w.Close()
}

func listDisplayName(l storage.List) string {
	if l.Name != "" {
		return l.Name
	}
	return l.LocalPart()
}

// agendaIDPrefix starts the Message-ID of an agenda (after "<").
const agendaIDPrefix = "tacit.agenda."

// newMessageID returns a fresh Message-ID at host, angle brackets
// included: the time of writing (fixed-width hex, so that IDs sort by
// time) then 8 random bytes. The store's thread index is keyed by
// Message-ID; IDs that sort by time make a tick's notices append to it
// rather than touch a page each.
func newMessageID(host string, now time.Time) string {
	var r [8]byte
	_, _ = rand.Read(r[:])
	if host == "" {
		host = "tacit.invalid"
	}
	return fmt.Sprintf("<tacit.%016x.%s@%s>", uint64(now.UnixNano()), hex.EncodeToString(r[:]), host)
}

// newBoundary returns a fresh MIME boundary.
func newBoundary() string {
	var r [12]byte
	_, _ = rand.Read(r[:])
	return "tacit-" + hex.EncodeToString(r[:])
}

// toList returns the Outgoing that sends c to every member of list l and
// archives it there.
func (s *processor) toList(l storage.List, c composed, subject string, now time.Time, thread storage.ProposalRef,
	rc recipientCache) (storage.Outgoing, error) {
	addrs, err := rc.get(s, l)
	if err != nil {
		return storage.Outgoing{}, err
	}
	return storage.Outgoing{
		Raw: c.raw, BodyOffset: c.bodyOff, At: now,
		Archive: storage.ArchiveEntry{List: l.Address, At: now, From: l.Address, Subject: subject},
		// A notice about a proposal may carry each member's links.
		Queue: s.fanOut(storage.QueueEntry{List: l.Address, From: bounceAddress(l),
			Created: now, NextAttempt: now, Personal: s.personal(), Proposal: thread.Number}, addrs),
		MessageIDHeader: c.messageID, Thread: thread,
	}, nil
}

// toOne returns the Outgoing that sends c privately to one address.
func (s *processor) toOne(l storage.List, c composed, rcpt string, now time.Time) storage.Outgoing {
	return storage.Outgoing{
		Raw: c.raw, BodyOffset: c.bodyOff, At: now,
		Queue: s.fanOut(storage.QueueEntry{List: l.Address, From: bounceAddress(l),
			Created: now, NextAttempt: now}, []string{rcpt}),
	}
}

// listLang returns the language of list l's texts.
func (s *processor) listLang(l storage.List) string {
	if l.Lang != "" {
		return l.Lang
	}
	return s.o.Language
}
