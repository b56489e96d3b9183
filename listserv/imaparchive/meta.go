package imaparchive

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message/textproto"
)

// metaVersion is the format of the blob this package keeps per archived
// message; a blob of another version is recomputed.
const metaVersion = 1

// meta is what FETCH needs of a message besides its bytes, computed once
// from them and kept in the store (storage.PutArchiveMeta) as JSON.
type meta struct {
	V int `json:"v"`
	// Size is the exact length of the distributed bytes.
	Size int64 `json:"size"`
	// HeaderLen is the length of the header block, blank line included.
	HeaderLen int            `json:"header_len"`
	Envelope  *imap.Envelope `json:"envelope"`
	Body      *bodyPart      `json:"body"`
}

// bodyPart is a serializable imap.BodyStructure.
type bodyPart struct {
	// Multi parts have Children and Subtype (and Params, Disposition,
	// Language, Location); single parts the rest.
	Multi       bool                           `json:"multi,omitempty"`
	Children    []*bodyPart                    `json:"children,omitempty"`
	Type        string                         `json:"type,omitempty"`
	Subtype     string                         `json:"subtype"`
	Params      map[string]string              `json:"params,omitempty"`
	ID          string                         `json:"id,omitempty"`
	Description string                         `json:"description,omitempty"`
	Encoding    string                         `json:"encoding,omitempty"`
	Size        uint32                         `json:"size,omitempty"`
	Lines       *int64                         `json:"lines,omitempty"` // text/* only
	Message     *bodyMessage                   `json:"message,omitempty"`
	Disposition *imap.BodyStructureDisposition `json:"disposition,omitempty"`
	Language    []string                       `json:"language,omitempty"`
	Location    string                         `json:"location,omitempty"`
}

// bodyMessage is the content of a message/rfc822 part.
type bodyMessage struct {
	Envelope *imap.Envelope `json:"envelope"`
	Body     *bodyPart      `json:"body"`
	Lines    int64          `json:"lines"`
}

// computeMeta derives a message's meta from its bytes, reading its MIME
// structure within the bounds of docs/security.md (see structureOf). It
// gives up with errStopped when stop closes.
func computeMeta(raw []byte, stop <-chan struct{}) (*meta, error) {
	hl := headerLen(raw)
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(headerBlock(raw, hl))))
	body, err := structureOf(raw, stop)
	if err != nil {
		return nil, err
	}
	return &meta{
		V:         metaVersion,
		Size:      int64(len(raw)),
		HeaderLen: hl,
		Envelope:  imapserver.ExtractEnvelope(h),
		Body:      body,
	}, nil
}

// headerLen returns the length of raw's header block up to and including
// the blank line that ends it (all of raw when there is none).
func headerLen(raw []byte) int {
	i := 0
	for i < len(raw) {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return len(raw)
		}
		line := raw[i : i+j+1]
		i += j + 1
		if len(line) == 1 || (len(line) == 2 && line[0] == '\r') {
			return i
		}
	}
	return len(raw)
}

// structure turns p back into what imapserver writes. Every part gets its
// extension data, so that BODYSTRUCTURE can always be answered.
func (p *bodyPart) structure() imap.BodyStructure {
	if p == nil {
		p = &bodyPart{Type: "text", Subtype: "plain"}
	}
	if p.Multi {
		bs := &imap.BodyStructureMultiPart{Subtype: p.Subtype,
			Extended: &imap.BodyStructureMultiPartExt{Params: p.Params, Disposition: p.Disposition,
				Language: p.Language, Location: p.Location}}
		for _, c := range p.Children {
			bs.Children = append(bs.Children, c.structure())
		}
		if len(bs.Children) == 0 { // a multipart without parts: show it empty
			bs.Children = []imap.BodyStructure{&imap.BodyStructureSinglePart{Type: "text", Subtype: "plain",
				Text: &imap.BodyStructureText{}, Extended: &imap.BodyStructureSinglePartExt{}}}
		}
		return bs
	}
	bs := &imap.BodyStructureSinglePart{Type: p.Type, Subtype: p.Subtype, Params: p.Params, ID: p.ID,
		Description: p.Description, Encoding: p.Encoding, Size: p.Size,
		Extended: &imap.BodyStructureSinglePartExt{Disposition: p.Disposition, Language: p.Language,
			Location: p.Location}}
	if bs.Type == "" || bs.Subtype == "" {
		bs.Type, bs.Subtype = "text", "plain"
	}
	if p.Lines != nil {
		bs.Text = &imap.BodyStructureText{NumLines: *p.Lines}
	} else if bs.Type == "text" {
		bs.Text = &imap.BodyStructureText{}
	}
	if m := p.Message; m != nil {
		bs.MessageRFC822 = &imap.BodyStructureMessageRFC822{Envelope: m.Envelope,
			BodyStructure: m.Body.structure(), NumLines: m.Lines}
	}
	return bs
}

// loadMeta returns the meta of list's message seq, from the store or
// computed from raw (read from the store when nil). It also returns the
// bytes when it had to read them.
func (s *Server) loadMeta(list string, seq uint64, raw []byte) (*meta, []byte, error) {
	blob, ok, err := s.o.Store.ArchiveMeta(list, seq)
	if err != nil {
		return nil, raw, fmt.Errorf("imaparchive: %w", err)
	}
	if ok {
		var m meta
		if json.Unmarshal(blob, &m) == nil && m.V == metaVersion && m.Body.within() {
			return &m, raw, nil
		}
	}
	if raw == nil {
		if _, raw, err = s.o.Store.ArchivedMessage(list, seq); err != nil {
			return nil, nil, fmt.Errorf("imaparchive: %w", err)
		}
	}
	m, err := computeMeta(raw, s.done)
	if err != nil {
		return nil, raw, err
	}
	if blob, err := json.Marshal(m); err == nil {
		s.meta.put(list, seq, blob)
	}
	return m, raw, nil
}

// metaWriter stores computed metas in the background, several at once so
// that bbolt's Batch shares one commit among them: FETCH does not wait
// for an fsync per message.
type metaWriter struct {
	store Store
	log   *slog.Logger
	jobs  chan metaJob
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

type metaJob struct {
	list string
	seq  uint64
	blob []byte
}

const (
	metaWorkers = 32
	metaQueue   = 4096
)

func newMetaWriter(store Store, log *slog.Logger) *metaWriter {
	w := &metaWriter{store: store, log: log, jobs: make(chan metaJob, metaQueue), done: make(chan struct{})}
	w.wg.Add(metaWorkers)
	for range metaWorkers {
		go w.work()
	}
	return w
}

func (w *metaWriter) work() {
	defer w.wg.Done()
	for {
		select {
		case <-w.done:
			return
		case j := <-w.jobs:
			if err := w.store.PutArchiveMeta(j.list, j.seq, j.blob); err != nil {
				w.log.Warn("imap: keep message meta", "list", j.list, "seq", j.seq, "err", err)
			}
		}
	}
}

// put queues a blob; when the queue is full it is dropped and will be
// computed again next time.
func (w *metaWriter) put(list string, seq uint64, blob []byte) {
	select {
	case <-w.done:
	case w.jobs <- metaJob{list, seq, blob}:
	default:
	}
}

// close stops the workers and waits for the writes under way.
func (w *metaWriter) close() {
	w.once.Do(func() { close(w.done) })
	w.wg.Wait()
}
