package imaparchive

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"tacit/listserv/mailtext"
)

// A message's body structure is read as imapserver.ExtractBodyStructure
// reads it, within the bounds of docs/security.md, the same as the text
// extraction's (mailtext.MaxDepth, mailtext.MaxParts):
//
//   - a multipart or message/rfc822 part at level MaxDepth (the message is
//     level 0, the parts of a multipart or the message inside a
//     message/rfc822 one level further) is not opened: it is described as
//     an application/octet-stream part of its body's bytes, which is also
//     what BODY[part] answers for it;
//   - once MaxParts parts (the message itself counted) are described, the
//     others are left out of their multiparts.
//
// ExtractBodyStructure has no bound: 20,000 nested multiparts took it 85
// seconds, each level reading the bytes of all the levels under it. Within
// the bounds, reading costs at most MaxDepth times the message's size.

// maxHeaderBytes is how much of a message's own header is read for its
// envelope, its structure, HEADER.FIELDS and SEARCH: the fields after are
// ignored. It is go-message's bound in message.Read; without it a 25 MB
// header of short fields took 8 s to read.
const maxHeaderBytes = mailtext.MaxHeader

// headerBlock returns raw's header, whose length is hl, or when it is
// longer than maxHeaderBytes, its whole fields within maxHeaderBytes and
// a blank line.
func headerBlock(raw []byte, hl int) []byte {
	if hl <= maxHeaderBytes {
		return raw[:hl]
	}
	cut := bytes.LastIndexByte(raw[:maxHeaderBytes], '\n') + 1
	for cut > 0 && (raw[cut] == ' ' || raw[cut] == '\t') { // a field goes on: leave it out
		cut = bytes.LastIndexByte(raw[:cut-1], '\n') + 1
	}
	return append(raw[:cut:cut], "\r\n"...)
}

// errStopped is returned by work given up because the server closes.
var errStopped = errors.New("imaparchive: server closing")

// stopReader reads r until stop is closed, then fails.
type stopReader struct {
	r    io.Reader
	stop <-chan struct{}
}

func (s stopReader) Read(p []byte) (int, error) {
	select {
	case <-s.stop:
		return 0, errStopped
	default:
	}
	return s.r.Read(p)
}

// structureOf returns the body structure of raw, or errStopped when stop
// closed before it was read. A nil stop never closes.
func structureOf(raw []byte, stop <-chan struct{}) (*bodyPart, error) {
	br := bufio.NewReader(stopReader{bytes.NewReader(raw), stop})
	var header textproto.Header
	if hl := headerLen(raw); hl > maxHeaderBytes {
		header, _ = textproto.ReadHeader(bufio.NewReader(bytes.NewReader(headerBlock(raw, hl))))
		br = bufio.NewReader(stopReader{bytes.NewReader(raw[hl:]), stop})
	} else {
		header, _ = textproto.ReadHeader(br)
	}
	w := &structWalker{parts: 1, stop: stop}
	p := w.part(header, br, 0)
	if w.stopped() {
		return nil, errStopped
	}
	return p, nil
}

// structWalker describes the parts of one message within the bounds.
type structWalker struct {
	parts int // parts described so far, the message included
	stop  <-chan struct{}
}

func (w *structWalker) stopped() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

// part describes the part with header rawHeader and body r at level depth.
func (w *structWalker) part(rawHeader textproto.Header, r io.Reader, depth int) *bodyPart {
	header := gomessage.Header{Header: rawHeader}
	mediaType, typeParams, _ := header.ContentType()
	primaryType, subType, _ := strings.Cut(mediaType, "/")
	message := mediaType == "message/rfc822" || mediaType == "message/global"
	if depth >= mailtext.MaxDepth && (primaryType == "multipart" || message) {
		size, _ := count(r)
		p := &bodyPart{Type: "application", Subtype: "octet-stream", Size: uint32(size)}
		w.single(p, header)
		return p
	}
	if primaryType == "multipart" {
		p := &bodyPart{Multi: true, Subtype: subType, Params: typeParams,
			Disposition: disposition(header), Language: language(header), Location: header.Get("Content-Location")}
		mr := textproto.NewMultipartReader(r, typeParams["boundary"])
		for w.parts < mailtext.MaxParts && !w.stopped() {
			child, _ := mr.NextPart()
			if child == nil {
				break
			}
			w.parts++
			p.Children = append(p.Children, w.part(child.Header, child, depth+1))
		}
		return p
	}
	p := &bodyPart{Type: primaryType, Subtype: subType, Params: typeParams}
	w.single(p, header)
	var size, lines int64
	if message {
		// Read the message inside as it streams by, counting its bytes.
		c := &counter{}
		br := bufio.NewReader(io.TeeReader(r, c))
		childHeader, _ := textproto.ReadHeader(br)
		m := &bodyMessage{Envelope: imapserver.ExtractEnvelope(childHeader)}
		if w.parts < mailtext.MaxParts {
			w.parts++
			m.Body = w.part(childHeader, br, depth+1)
		} else {
			m.Body = &bodyPart{Type: "text", Subtype: "plain"}
		}
		_, _ = io.Copy(io.Discard, br)
		size, lines = c.n, c.lines
		m.Lines = lines
		p.Message = m
	} else {
		size, lines = count(r)
	}
	p.Size = uint32(size)
	if primaryType == "text" {
		p.Lines = &lines
	}
	return p
}

// single fills the fields of a single part that come from its header.
func (w *structWalker) single(p *bodyPart, header gomessage.Header) {
	p.ID = header.Get("Content-Id")
	p.Description = header.Get("Content-Description")
	p.Encoding = header.Get("Content-Transfer-Encoding")
	p.Disposition = disposition(header)
	p.Language = language(header)
	p.Location = header.Get("Content-Location")
}

// disposition is imapserver's reading of Content-Disposition.
func disposition(header gomessage.Header) *imap.BodyStructureDisposition {
	disp, params, _ := header.ContentDisposition()
	if disp == "" {
		return nil
	}
	return &imap.BodyStructureDisposition{Value: disp, Params: params}
}

// language is imapserver's reading of Content-Language.
func language(header gomessage.Header) []string {
	v := header.Get("Content-Language")
	if v == "" {
		return nil
	}
	l := strings.Split(v, ",")
	for i, lang := range l {
		l[i] = strings.TrimSpace(lang)
	}
	return l
}

// counter counts the bytes and the line feeds written to it.
type counter struct{ n, lines int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}

// count reads r to its end and returns its bytes and line feeds.
func count(r io.Reader) (n, lines int64) {
	c := &counter{}
	_, _ = io.Copy(c, r)
	return c.n, c.lines
}

// within reports whether the structure p describes stays within the
// bounds (with room for the stand-ins of parts left out), so that a blob
// kept by a version without them is computed again.
func (p *bodyPart) within() bool {
	budget := 2 * mailtext.MaxParts
	var walk func(p *bodyPart, depth int) bool
	walk = func(p *bodyPart, depth int) bool {
		if p == nil {
			return true
		}
		if budget--; budget < 0 || depth > mailtext.MaxDepth {
			return false
		}
		for _, c := range p.Children {
			if !walk(c, depth+1) {
				return false
			}
		}
		return p.Message == nil || walk(p.Message.Body, depth+1)
	}
	return walk(p, 0)
}
