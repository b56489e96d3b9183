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

	"tacit/listserv/mailtext"
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
		if s.srv.closing() {
			return nil, errStopped
		}
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

	// fields and text are what HEADER, BODY and TEXT look through, read
	// once, when first needed (see searchFields, searchText).
	fields     []searchField
	text       []byte
	fieldsRead bool
	textRead   bool
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
		if !c.matchText(raw, cr) {
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

// What SEARCH reads of one message is bounded (docs/security.md), and read
// once per SEARCH however many criteria name it: before, each HEADER, BODY
// or TEXT criterion parsed the message again, through every level of
// multipart (a 5,000-level message took 4 s a criterion).
const (
	// maxSearchFields is how many header fields HEADER and TEXT look
	// through, from the top.
	maxSearchFields = 1000
	// maxSearchText is how many bytes of decoded text BODY and TEXT look
	// through in one message; its text parts are read to
	// mailtext.MaxDepth levels and mailtext.MaxParts parts.
	maxSearchText = 4 << 20
)

// searchField is a header field as SEARCH compares it.
type searchField struct {
	key   string // in lower case
	value string // decoded (RFC 2047) and in lower case
}

// matchText checks the HEADER, BODY and TEXT criteria: case-insensitive
// substrings of the decoded header fields and text parts.
func (c *candidate) matchText(raw []byte, cr *imap.SearchCriteria) bool {
	for _, f := range cr.Header {
		if !c.matchFields(raw, strings.ToLower(f.Key), f.Value) {
			return false
		}
	}
	for _, b := range cr.Body {
		if !c.matchBody(raw, b) {
			return false
		}
	}
	for _, t := range cr.Text {
		if !c.matchFields(raw, "", t) && !c.matchBody(raw, t) {
			return false
		}
	}
	return true
}

// matchFields reports whether a field named key (any field when key is
// "") contains pattern; an empty pattern asks whether there is one.
func (c *candidate) matchFields(raw []byte, key, pattern string) bool {
	if !c.fieldsRead {
		c.fields, c.fieldsRead = searchFields(raw), true
	}
	pattern = strings.ToLower(pattern)
	for _, f := range c.fields {
		if (key == "" || f.key == key) && strings.Contains(f.value, pattern) {
			return true
		}
	}
	return false
}

// searchFields reads the first maxSearchFields fields of raw's header,
// within its first maxHeaderBytes.
func searchFields(raw []byte) []searchField {
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(headerBlock(raw, headerLen(raw)))))
	header := mail.Header{Header: gomessage.Header{Header: h}}
	var out []searchField
	for fields := header.Fields(); fields.Next() && len(out) < maxSearchFields; {
		v, err := fields.Text()
		if err != nil {
			v = fields.Value()
		}
		out = append(out, searchField{key: strings.ToLower(fields.Key()), value: strings.ToLower(v)})
	}
	return out
}

// matchBody looks for pattern in the decoded text parts of the message,
// or in its raw body when it does not parse.
func (c *candidate) matchBody(raw []byte, pattern string) bool {
	if pattern == "" {
		return true
	}
	if !c.textRead {
		c.text, c.textRead = searchText(raw), true
	}
	return bytes.Contains(c.text, []byte(strings.ToLower(pattern)))
}

// searchText returns, in lower case, the decoded text/* and message/*
// parts of raw, each after a NUL so that no pattern matches across two,
// within the bounds; or raw's body as it is when it does not parse.
func searchText(raw []byte) []byte {
	e, err := gomessage.Read(bytes.NewReader(raw))
	if e == nil || (err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err)) {
		body := raw[headerLen(raw):]
		return bytes.ToLower(body[:min(len(body), maxSearchText)])
	}
	t := &textCollector{parts: 1}
	t.entity(e, 0)
	return bytes.ToLower(t.buf.Bytes())
}

// textCollector gathers the text parts of one message within the bounds.
type textCollector struct {
	buf   bytes.Buffer
	parts int // parts read so far, the message included
}

func (t *textCollector) entity(e *gomessage.Entity, depth int) {
	if mr := e.MultipartReader(); mr != nil {
		if depth >= mailtext.MaxDepth {
			return
		}
		for t.parts < mailtext.MaxParts && t.buf.Len() < maxSearchText {
			part, err := mr.NextPart()
			if err == io.EOF || (err != nil && part == nil) {
				return
			}
			t.parts++
			t.entity(part, depth+1)
		}
		return
	}
	typ, _, _ := e.Header.ContentType()
	if !strings.HasPrefix(typ, "text/") && !strings.HasPrefix(typ, "message/") {
		return
	}
	t.buf.WriteByte(0)
	_, _ = io.Copy(&t.buf, io.LimitReader(e.Body, int64(maxSearchText-t.buf.Len())))
}
