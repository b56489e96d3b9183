package imaparchive

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	gomessage "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode every charset when searching text
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"tacit/storage"
)

// Search matches the criteria against the selected mailbox, reading a
// message's meta or bytes only when a criterion needs them.
func (s *session) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, options *imap.SearchOptions) (*imap.SearchData, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkSelected(); err != nil {
		return nil, err
	}
	v := s.sel
	seen, err := s.srv.o.Store.Seen(s.user, v.box.seenKey())
	if err != nil {
		return nil, fmt.Errorf("imaparchive: search: %w", err)
	}
	v.staticCriteria(criteria)
	var (
		data   imap.SearchData
		seqSet imap.SeqSet
		uidSet imap.UIDSet
	)
	for i, m := range v.state.msgs {
		c := &candidate{srv: s.srv, list: v.box.list.Address, seqNum: uint32(i + 1), msg: m, seen: seen[m.uid]}
		ok, err := c.match(criteria)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		uidSet.AddNum(imap.UID(m.uid))
		num := c.seqNum
		if kind == imapserver.NumKindUID {
			num = m.uid
		} else {
			seqSet.AddNum(num)
		}
		if data.Min == 0 || num < data.Min {
			data.Min = num
		}
		data.Max = max(data.Max, num)
		data.Count++
	}
	if kind == imapserver.NumKindUID {
		data.All = uidSet
	} else {
		data.All = seqSet
	}
	if options.ReturnSave {
		v.searchRes = uidSet
	}
	return &data, nil
}

// staticCriteria replaces "*" and "$" in the criteria's number sets.
func (v *view) staticCriteria(c *imap.SearchCriteria) {
	n := uint32(len(v.state.msgs))
	var top uint32
	if n > 0 {
		top = v.state.msgs[n-1].uid
	}
	seqs := c.SeqNum[:0:0]
	for _, set := range c.SeqNum {
		if imap.IsSearchRes(set) {
			c.UID = append(c.UID, v.searchRes)
			continue
		}
		set = append(imap.SeqSet(nil), set...)
		for i := range set {
			fill(&set[i].Start, &set[i].Stop, n)
		}
		seqs = append(seqs, set)
	}
	c.SeqNum = seqs
	for j, set := range c.UID {
		if imap.IsSearchRes(set) {
			c.UID[j] = append(imap.UIDSet(nil), v.searchRes...)
			continue
		}
		set = append(imap.UIDSet(nil), set...)
		for i := range set {
			fill((*uint32)(&set[i].Start), (*uint32)(&set[i].Stop), top)
		}
		c.UID[j] = set
	}
	for i := range c.Not {
		v.staticCriteria(&c.Not[i])
	}
	for i := range c.Or {
		v.staticCriteria(&c.Or[i][0])
		v.staticCriteria(&c.Or[i][1])
	}
}

// fill replaces "*" (0) in a range by top.
func fill(start, stop *uint32, top uint32) {
	if *start == 0 {
		*start = top
	}
	if *stop == 0 {
		*stop = top
	}
	if *start > *stop {
		*start, *stop = *stop, *start
	}
}

// candidate is one message being matched; its meta and bytes are read
// once, when first needed.
type candidate struct {
	srv    *Server
	list   string
	seqNum uint32
	msg    msgInfo
	seen   bool

	raw  []byte
	md   *meta
	gone bool
}

func (c *candidate) bytes() ([]byte, error) {
	if c.raw == nil && !c.gone {
		_, raw, err := c.srv.o.Store.ArchivedMessage(c.list, c.msg.seq)
		if errors.Is(err, storage.ErrNotFound) {
			c.gone = true
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("imaparchive: search: %w", err)
		}
		c.raw = raw
	}
	return c.raw, nil
}

func (c *candidate) meta() (*meta, error) {
	if c.md == nil && !c.gone {
		md, raw, err := c.srv.loadMeta(c.list, c.msg.seq, c.raw)
		if errors.Is(err, storage.ErrNotFound) {
			c.gone = true
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		c.md, c.raw = md, raw
	}
	return c.md, nil
}

// match evaluates the criteria, cheapest first.
func (c *candidate) match(cr *imap.SearchCriteria) (bool, error) {
	for _, set := range cr.SeqNum {
		if !set.Contains(c.seqNum) {
			return false, nil
		}
	}
	for _, set := range cr.UID {
		if !set.Contains(imap.UID(c.msg.uid)) {
			return false, nil
		}
	}
	if !matchDate(time.Unix(0, c.msg.at).In(time.FixedZone("", int(c.msg.zone))), cr.Since, cr.Before) {
		return false, nil
	}
	for _, f := range cr.Flag {
		if !isSeenFlag(f) || !c.seen {
			return false, nil
		}
	}
	for _, f := range cr.NotFlag {
		if isSeenFlag(f) && c.seen {
			return false, nil
		}
	}
	if cr.Larger > 0 && c.msg.size <= cr.Larger || cr.Smaller > 0 && c.msg.size >= cr.Smaller {
		return false, nil
	}
	if !cr.SentSince.IsZero() || !cr.SentBefore.IsZero() {
		md, err := c.meta()
		if err != nil || md == nil || md.Envelope == nil || md.Envelope.Date.IsZero() {
			return false, err
		}
		if !matchDate(md.Envelope.Date, cr.SentSince, cr.SentBefore) {
			return false, nil
		}
	}
	if len(cr.Header) > 0 || len(cr.Body) > 0 || len(cr.Text) > 0 {
		raw, err := c.bytes()
		if err != nil || raw == nil {
			return false, err
		}
		if !matchText(raw, cr) {
			return false, nil
		}
	}
	for i := range cr.Not {
		ok, err := c.match(&cr.Not[i])
		if err != nil || ok {
			return false, err
		}
	}
	for i := range cr.Or {
		ok, err := c.match(&cr.Or[i][0])
		if err != nil {
			return false, err
		}
		if !ok {
			if ok, err = c.match(&cr.Or[i][1]); err != nil || !ok {
				return false, err
			}
		}
	}
	return true, nil
}

// matchDate compares dates only, each in its own zone (RFC 3501 6.4.4).
func matchDate(t, since, before time.Time) bool {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if !since.IsZero() && d.Before(time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, time.UTC)) {
		return false
	}
	if !before.IsZero() && !d.Before(time.Date(before.Year(), before.Month(), before.Day(), 0, 0, 0, 0, time.UTC)) {
		return false
	}
	return true
}

// matchText checks the HEADER, BODY and TEXT criteria: case-insensitive
// substrings of the decoded header fields and text parts.
func matchText(raw []byte, cr *imap.SearchCriteria) bool {
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw[:headerLen(raw)])))
	header := mail.Header{Header: gomessage.Header{Header: h}}
	for _, f := range cr.Header {
		if !matchFields(header.FieldsByKey(f.Key), f.Value) {
			return false
		}
	}
	for _, b := range cr.Body {
		if !matchBody(raw, b) {
			return false
		}
	}
	for _, t := range cr.Text {
		if !matchFields(header.Fields(), t) && !matchBody(raw, t) {
			return false
		}
	}
	return true
}

func matchFields(fields gomessage.HeaderFields, pattern string) bool {
	if pattern == "" {
		return fields.Len() > 0
	}
	pattern = strings.ToLower(pattern)
	for fields.Next() {
		v, err := fields.Text()
		if err != nil {
			v = fields.Value()
		}
		if strings.Contains(strings.ToLower(v), pattern) {
			return true
		}
	}
	return false
}

// matchBody looks for pattern in the decoded text parts of the message,
// or in its raw body when it does not parse.
func matchBody(raw []byte, pattern string) bool {
	if pattern == "" {
		return true
	}
	pattern = strings.ToLower(pattern)
	e, err := gomessage.Read(bytes.NewReader(raw))
	if e == nil || (err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err)) {
		return bytes.Contains(bytes.ToLower(raw[headerLen(raw):]), []byte(pattern))
	}
	return matchEntity(e, pattern)
}

func matchEntity(e *gomessage.Entity, pattern string) bool {
	if mr := e.MultipartReader(); mr != nil {
		for {
			part, err := mr.NextPart()
			if err == io.EOF || (err != nil && part == nil) {
				return false
			}
			if matchEntity(part, pattern) {
				return true
			}
		}
	}
	t, _, _ := e.Header.ContentType()
	if !strings.HasPrefix(t, "text/") && !strings.HasPrefix(t, "message/") {
		return false
	}
	b, _ := io.ReadAll(e.Body)
	return bytes.Contains(bytes.ToLower(b), []byte(pattern))
}
