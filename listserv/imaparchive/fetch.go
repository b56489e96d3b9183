package imaparchive

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message/textproto"

	"tacit/listserv/mailtext"
	"tacit/storage"
)

// indexes returns the positions in v.state.msgs (0-based, ascending, no
// duplicates) of the messages numSet names. "*" is the last message (or
// the highest UID); "$" is the saved search result.
func (v *view) indexes(numSet imap.NumSet) []int {
	msgs := v.state.msgs
	if imap.IsSearchRes(numSet) {
		numSet = v.searchRes
	}
	var out []int
	switch set := numSet.(type) {
	case imap.SeqSet:
		n := uint32(len(msgs))
		for _, r := range set {
			start, stop := r.Start, r.Stop
			if start == 0 {
				start = n
			}
			if stop == 0 {
				stop = n
			}
			if start > stop {
				start, stop = stop, start
			}
			for i := max(start, 1); i <= min(stop, n); i++ {
				out = append(out, int(i-1))
			}
		}
	case imap.UIDSet:
		if len(msgs) == 0 {
			return nil
		}
		top := msgs[len(msgs)-1].uid
		for _, r := range set {
			start, stop := uint32(r.Start), uint32(r.Stop)
			if start == 0 {
				start = top
			}
			if stop == 0 {
				stop = top
			}
			if start > stop {
				start, stop = stop, start
			}
			i := sort.Search(len(msgs), func(i int) bool { return msgs[i].uid >= start })
			for ; i < len(msgs) && msgs[i].uid <= stop; i++ {
				out = append(out, i)
			}
		}
	}
	if !strictlyAscending(out) {
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out
}

func strictlyAscending(s []int) bool {
	for i := 1; i < len(s); i++ {
		if s[i] <= s[i-1] {
			return false
		}
	}
	return true
}

// Fetch writes the requested items of each message, reading the bytes
// of one message at a time.
func (s *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkSelected(); err != nil {
		return err
	}
	v := s.sel
	idx := v.indexes(numSet)
	if len(idx) == 0 {
		return nil
	}
	if cc := coalescing(s.conn.NetConn()); cc != nil && len(idx) > 1 {
		cc.hold()
		defer cc.release()
	}
	markSeen := false
	if !v.readOnly {
		for _, bs := range options.BodySection {
			markSeen = markSeen || !bs.Peek
		}
		for _, bs := range options.BinarySection {
			markSeen = markSeen || !bs.Peek
		}
	}
	key := v.box.seenKey()
	var seen map[uint32]bool
	if options.Flags || markSeen {
		var err error
		if seen, err = s.srv.o.Store.Seen(s.user, key); err != nil {
			return fmt.Errorf("imaparchive: fetch: %w", err)
		}
	}
	newlySeen := map[uint32]bool{}
	if markSeen {
		var uids []uint32
		for _, i := range idx {
			if uid := v.state.msgs[i].uid; !seen[uid] {
				uids = append(uids, uid)
				seen[uid], newlySeen[uid] = true, true
			}
		}
		if len(uids) > 0 {
			if err := s.srv.o.Store.SetSeen(s.user, key, uids, true); err != nil {
				return fmt.Errorf("imaparchive: fetch: %w", err)
			}
		}
	}
	needMeta := options.Envelope || options.BodyStructure != nil
	needRaw := len(options.BodySection) > 0 || len(options.BinarySection) > 0 || len(options.BinarySectionSize) > 0
	headerOnly := headerSectionsOnly(options)
	list := v.box.list.Address
	var (
		batch  map[uint64][]byte
		cached map[uint64][][]byte
	)
	for n, i := range idx {
		m := v.state.msgs[i]
		var (
			raw []byte
			md  *meta
			err error
		)
		if needRaw && n%fetchBatch == 0 {
			// One read transaction for the next messages; only their
			// headers when that is all the client asked for.
			seqs := make([]uint64, 0, fetchBatch)
			cached = map[uint64][][]byte{}
			for _, j := range idx[n:min(n+fetchBatch, len(idx))] {
				seq := v.state.msgs[j].seq
				if headerOnly { // header sections come from the cache when it has them all
					if got, ok := s.srv.sections.getAll(list, seq, options.BodySection); ok {
						cached[seq] = got
						continue
					}
				}
				seqs = append(seqs, seq)
			}
			batch = nil
			if len(seqs) > 0 {
				if batch, err = s.srv.o.Store.ArchivedBatch(list, seqs, headerOnly); err != nil {
					return fmt.Errorf("imaparchive: fetch: %w", err)
				}
			}
		}
		hit := cached[m.seq]
		if needRaw && hit == nil {
			var ok bool
			if raw, ok = batch[m.seq]; !ok {
				continue // deleted since: the next poll expunges it
			}
		}
		if needMeta {
			full := raw
			if headerOnly {
				full = nil // a header alone must never make the cached structure
			}
			if md, full, err = s.srv.loadMeta(list, m.seq, full); err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					continue
				}
				return err
			}
			if !headerOnly {
				raw = full
			}
		}
		var flags []imap.Flag
		if options.Flags || newlySeen[m.uid] {
			flags = flagsOf(seen[m.uid])
		}
		section := func(k int, bs *imap.FetchItemBodySection) []byte {
			switch {
			case hit != nil:
				return partial(hit[k], bs.Partial)
			case headerOnly:
				whole := *bs
				whole.Partial = nil
				b := bodySection(raw, &whole)
				s.srv.sections.put(sectionKey(list, m.seq, bs), b)
				return partial(b, bs.Partial)
			}
			return bodySection(raw, bs)
		}
		if err := writeMessage(w.CreateMessage(uint32(i+1)), m, flags, md, raw, section, options); err != nil {
			return err
		}
	}
	return nil
}

func flagsOf(seen bool) []imap.Flag {
	if seen {
		return []imap.Flag{imap.FlagSeen}
	}
	return []imap.Flag{}
}

// writeMessage writes one FETCH response; flags nil leaves FLAGS out.
func writeMessage(rw *imapserver.FetchResponseWriter, m msgInfo, flags []imap.Flag, md *meta, raw []byte,
	section func(int, *imap.FetchItemBodySection) []byte, options *imap.FetchOptions) error {
	rw.WriteUID(imap.UID(m.uid))
	if flags != nil {
		rw.WriteFlags(flags)
	}
	if options.InternalDate {
		rw.WriteInternalDate(time.Unix(0, m.at).In(time.FixedZone("", int(m.zone))))
	}
	if options.RFC822Size {
		// The archive entry's size first: raw may be the header alone.
		size := m.size
		switch {
		case size > 0:
		case md != nil:
			size = md.Size
		case raw != nil:
			size = int64(len(raw))
		}
		rw.WriteRFC822Size(size)
	}
	if options.Envelope {
		rw.WriteEnvelope(md.Envelope)
	}
	if options.BodyStructure != nil {
		rw.WriteBodyStructure(md.Body.structure())
	}
	for k, bs := range options.BodySection {
		b := section(k, bs)
		if err := writeLiteral(rw.WriteBodySection(bs, int64(len(b))), b); err != nil {
			return err
		}
	}
	for _, bs := range options.BinarySection {
		var b []byte
		if partInBounds(bs.Part) {
			b = imapserver.ExtractBinarySection(bytes.NewReader(raw), bs)
		}
		if err := writeLiteral(rw.WriteBinarySection(bs, int64(len(b))), b); err != nil {
			return err
		}
	}
	for _, bss := range options.BinarySectionSize {
		var size uint32
		if partInBounds(bss.Part) {
			size = imapserver.ExtractBinarySectionSize(bytes.NewReader(raw), bss)
		}
		rw.WriteBinarySectionSize(bss, size)
	}
	return rw.Close()
}

func writeLiteral(wc io.WriteCloser, b []byte) error {
	_, werr := wc.Write(b)
	cerr := wc.Close()
	if werr != nil {
		return werr
	}
	return cerr
}

// bodySection returns a BODY[…] section of raw. The whole message, its
// header and its text are cut from the bytes as they are (byte-exact even
// when the header does not parse); header fields are picked by
// pickFields; the rest goes through imapserver.ExtractBodySection. A part
// beyond the bounds of the body structure (see partInBounds) is empty.
func bodySection(raw []byte, bs *imap.FetchItemBodySection) []byte {
	if !partInBounds(bs.Part) {
		return nil
	}
	if len(bs.HeaderFields) > 0 || len(bs.HeaderFieldsNot) > 0 {
		whole := *bs
		whole.HeaderFields, whole.HeaderFieldsNot, whole.Partial = nil, nil, nil
		return partial(pickFields(bodySection(raw, &whole), bs), bs.Partial)
	}
	if len(bs.Part) == 0 {
		hl := headerLen(raw)
		switch bs.Specifier {
		case imap.PartSpecifierNone:
			return partial(raw, bs.Partial)
		case imap.PartSpecifierText:
			return partial(raw[hl:], bs.Partial)
		case imap.PartSpecifierHeader:
			return partial(raw[:hl], bs.Partial)
		}
	}
	return imapserver.ExtractBodySection(bytes.NewReader(raw), bs)
}

// pickFields keeps the fields of header (of its first maxHeaderBytes)
// that HEADER.FIELDS names, or
// drops those HEADER.FIELDS.NOT names, as imapserver.ExtractBodySection
// does, but in one pass: its deletions cost a pass over the header each,
// and 50,000 fields took 0.4 s, 25 MB of them minutes.
func pickFields(header []byte, bs *imap.FetchItemBodySection) []byte {
	if header == nil {
		return nil
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(headerBlock(header, len(header)))))
	if err != nil {
		return nil
	}
	keep, names := len(bs.HeaderFields) > 0, bs.HeaderFieldsNot
	if keep {
		names = bs.HeaderFields
	}
	named := make(map[string]bool, len(names))
	for _, k := range names {
		named[strings.ToLower(k)] = true
	}
	var out bytes.Buffer
	for f := h.Fields(); f.Next(); {
		if named[strings.ToLower(f.Key())] != keep {
			continue
		}
		b, err := f.Raw()
		if err != nil {
			return nil
		}
		out.Write(b)
	}
	out.WriteString("\r\n")
	return out.Bytes()
}

// partInBounds reports whether a section's part numbers stay within the
// bounds of the body structure (docs/security.md): at most
// mailtext.MaxDepth numbers, none above mailtext.MaxParts. Other parts are
// served empty, without reading the message.
func partInBounds(part []int) bool {
	if len(part) > mailtext.MaxDepth {
		return false
	}
	for _, n := range part {
		if n > mailtext.MaxParts {
			return false
		}
	}
	return true
}

// partial cuts <offset.size> out of b.
func partial(b []byte, p *imap.SectionPartial) []byte {
	if p == nil {
		return b
	}
	if p.Offset >= int64(len(b)) {
		return nil
	}
	end := min(p.Offset+p.Size, int64(len(b)))
	return b[p.Offset:end]
}

// Store sets or clears \Seen for the member; any other flag is refused.
func (s *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, _ *imap.StoreOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkSelected(); err != nil {
		return err
	}
	v := s.sel
	for _, f := range flags.Flags {
		if !isSeenFlag(f) {
			return refusal(fmt.Sprintf("Only \\Seen can be set in the archive, not %s", f))
		}
	}
	if v.readOnly {
		return closedForWrite()
	}
	set := true
	switch flags.Op {
	case imap.StoreFlagsDel:
		set = false
	case imap.StoreFlagsSet:
		set = len(flags.Flags) > 0
	case imap.StoreFlagsAdd:
		if len(flags.Flags) == 0 {
			return nil
		}
	}
	if flags.Op == imap.StoreFlagsDel && len(flags.Flags) == 0 {
		return nil
	}
	idx := v.indexes(numSet)
	uids := make([]uint32, len(idx))
	for j, i := range idx {
		uids[j] = v.state.msgs[i].uid
	}
	if len(uids) > 0 {
		if err := s.srv.o.Store.SetSeen(s.user, v.box.seenKey(), uids, set); err != nil {
			return fmt.Errorf("imaparchive: store: %w", err)
		}
	}
	if flags.Silent {
		return nil
	}
	for j, i := range idx {
		rw := w.CreateMessage(uint32(i + 1))
		rw.WriteUID(imap.UID(uids[j]))
		rw.WriteFlags(flagsOf(set))
		if err := rw.Close(); err != nil {
			return err
		}
	}
	return nil
}

// fetchBatch is how many messages one read transaction of FETCH reads.
const fetchBatch = 256

// headerSectionsOnly reports whether every section asked for lies in the
// header (HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT of the message itself),
// so that the bodies need not be read.
func headerSectionsOnly(o *imap.FetchOptions) bool {
	if len(o.BinarySection) > 0 || len(o.BinarySectionSize) > 0 || len(o.BodySection) == 0 {
		return false
	}
	for _, bs := range o.BodySection {
		if len(bs.Part) > 0 {
			return false
		}
		switch bs.Specifier {
		case imap.PartSpecifierHeader:
		default:
			return false
		}
	}
	return true
}
