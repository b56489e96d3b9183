package imaparchive

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"tacit/consensus"
	"tacit/storage"
)

// delim is the hierarchy delimiter.
const delim = '/'

// statuses returns the statuses of the proposal mailboxes, in listing
// order, which also gives their UIDVALIDITY offsets: Open 1, Adopted 2,
// Blocked 3, Withdrawn 4, Rejected 5. The order is written here, not
// taken from consensus.Statuses, so that no mailbox's UIDVALIDITY moves
// when statuses are added or reordered there; a new status goes at the
// end (a test checks that every status of consensus has its mailbox).
func statuses() [5]consensus.Status {
	return [5]consensus.Status{consensus.StatusOpen, consensus.StatusAdopted,
		consensus.StatusBlocked, consensus.StatusWithdrawn, consensus.StatusRejected}
}

// boxKind says what a mailbox shows.
type boxKind int

const (
	kindArchive   boxKind = iota // NAME or NAME/Archive/k
	kindProposals                // NAME/Proposals/<Status>
	kindParent                   // NAME/Proposals, NAME/Archive: \Noselect
)

// mailbox is one mailbox of one list, as a member sees it.
type mailbox struct {
	list storage.List
	// name is the IMAP name; rel is the part after the list's prefix
	// ("" for NAME).
	name, rel string
	kind      boxKind
	// lo < seq ≤ hi are the archive positions of an archive mailbox
	// (hi 0: no bound).
	lo, hi uint64
	status consensus.Status
}

// uidValidity returns the mailbox's UIDVALIDITY.
func (m mailbox) uidValidity() uint32 {
	base := uint32(1)
	if !m.list.Created.IsZero() {
		if v := uint32(m.list.Created.Unix()); v != 0 {
			base = v
		}
	}
	if m.kind == kindProposals {
		for i, st := range statuses() {
			if st == m.status {
				if v := base + uint32(i) + 1; v != 0 {
					return v
				}
				return 1
			}
		}
	}
	return base
}

// seenKey is the mailbox key under which the member's \Seen flags are
// kept: the archive's slices share one key since their UIDs are the same
// archive positions.
func (m mailbox) seenKey() string {
	if m.kind == kindProposals {
		return m.list.Address + "/Proposals/" + statusName(m.status)
	}
	return m.list.Address
}

func statusName(st consensus.Status) string {
	s := string(st)
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// memberLists returns the lists addr belongs to, each with the prefix
// of its mailboxes.
func (s *Server) memberLists(addr string) ([]storage.List, []string, error) {
	all, err := s.o.Store.Lists()
	if err != nil {
		return nil, nil, fmt.Errorf("imaparchive: lists: %w", err)
	}
	var lists []storage.List
	for _, l := range all {
		ok, err := s.o.Store.IsMember(l.Address, addr)
		if err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			return nil, nil, fmt.Errorf("imaparchive: membership: %w", err)
		}
		if ok {
			lists = append(lists, l)
		}
	}
	count := map[string]int{}
	for _, l := range lists {
		count[l.LocalPart()]++
	}
	prefixes := make([]string, len(lists))
	for i, l := range lists {
		prefixes[i] = l.LocalPart()
		if count[prefixes[i]] > 1 || prefixes[i] == "" {
			prefixes[i] = l.Address
		}
	}
	return lists, prefixes, nil
}

// slices returns how many full Archive/k slices list's archive has, and
// its last position.
func (s *Server) slices(list string) (int, uint64, error) {
	_, last, err := s.o.Store.ArchiveStat(list)
	if err != nil {
		return 0, 0, fmt.Errorf("imaparchive: %w", err)
	}
	if last <= s.sliceSize {
		return 0, last, nil
	}
	return int((last - 1) / s.sliceSize), last, nil
}

// mailboxes returns every mailbox of list under prefix, in listing order.
func (s *Server) mailboxes(l storage.List, prefix string) ([]mailbox, error) {
	n, _, err := s.slices(l.Address)
	if err != nil {
		return nil, err
	}
	out := []mailbox{{list: l, name: prefix, kind: kindArchive, lo: uint64(n) * s.sliceSize}}
	if n > 0 {
		out = append(out, mailbox{list: l, name: prefix + "/Archive", rel: "Archive", kind: kindParent})
		for k := 1; k <= n; k++ {
			rel := "Archive/" + strconv.Itoa(k)
			out = append(out, mailbox{list: l, name: prefix + "/" + rel, rel: rel, kind: kindArchive,
				lo: uint64(k-1) * s.sliceSize, hi: uint64(k) * s.sliceSize})
		}
	}
	out = append(out, mailbox{list: l, name: prefix + "/Proposals", rel: "Proposals", kind: kindParent})
	for _, st := range statuses() {
		rel := "Proposals/" + statusName(st)
		out = append(out, mailbox{list: l, name: prefix + "/" + rel, rel: rel, kind: kindProposals, status: st})
	}
	return out, nil
}

// errNoMailbox is the answer for a name that is not one of the member's
// mailboxes, whether it exists for somebody else or not.
func errNoMailbox() error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNonExistent,
		Text: "No such mailbox"}
}

// resolve finds the mailbox called name among addr's lists. Names are
// matched without regard to case; the list's full address may stand for
// its prefix.
func (s *Server) resolve(addr, name string) (mailbox, error) {
	lists, prefixes, err := s.memberLists(addr)
	if err != nil {
		return mailbox{}, err
	}
	name = strings.TrimSuffix(name, string(delim))
	for i, l := range lists {
		rel, ok := relName(name, prefixes[i])
		if !ok {
			if rel, ok = relName(name, l.Address); !ok {
				continue
			}
		}
		boxes, err := s.mailboxes(l, prefixes[i])
		if err != nil {
			return mailbox{}, err
		}
		for _, b := range boxes {
			if strings.EqualFold(b.rel, rel) {
				return b, nil
			}
		}
	}
	return mailbox{}, errNoMailbox()
}

// relName returns the part of name after prefix and the delimiter ("" for
// prefix itself), or false when name is not under prefix. Case is
// ignored.
func relName(name, prefix string) (string, bool) {
	if len(name) < len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
		return "", false
	}
	rel := name[len(prefix):]
	if rel == "" {
		return "", true
	}
	if rel[0] != delim {
		return "", false
	}
	return rel[1:], true
}

// msgInfo is what a selected mailbox keeps per message.
type msgInfo struct {
	uid  uint32
	seq  uint64 // position in the list's archive
	at   int64  // internal date, Unix nanoseconds
	zone int32  // offset of the internal date, seconds east of UTC
	size int64
}

// entriesChunk is how many archive entries are decoded per read
// transaction.
const entriesChunk = 2000

// archiveMsgs returns the messages of archive positions lo < seq ≤ hi
// (hi 0: no bound), reading the store in chunks.
func (s *Server) archiveMsgs(list string, lo, hi uint64) ([]msgInfo, error) {
	var out []msgInfo
	after := lo
	for {
		entries, err := s.o.Store.ArchiveEntries(list, after, entriesChunk)
		if err != nil {
			return nil, fmt.Errorf("imaparchive: %w", err)
		}
		for _, e := range entries {
			if hi != 0 && e.Seq > hi {
				return out, nil
			}
			out = append(out, infoOf(e, uint32(e.Seq)))
			after = e.Seq
		}
		if len(entries) < entriesChunk {
			return out, nil
		}
	}
}

func infoOf(e storage.ArchiveEntry, uid uint32) msgInfo {
	_, off := e.At.Zone()
	return msgInfo{uid: uid, seq: e.Seq, at: e.At.UnixNano(), zone: int32(off), size: e.Size}
}

// proposalMsgs returns the messages of a proposal mailbox and its next
// UID; known gives the messages already read, by archive position.
func (s *Server) proposalMsgs(list string, st consensus.Status, known map[uint64]msgInfo) ([]msgInfo, uint32, error) {
	box, next, err := s.o.Store.ProposalBox(list, st)
	if err != nil {
		return nil, 0, fmt.Errorf("imaparchive: %w", err)
	}
	out := make([]msgInfo, 0, len(box))
	for _, b := range box {
		if m, ok := known[b.Seq]; ok {
			m.uid = b.UID
			out = append(out, m)
			continue
		}
		entries, err := s.o.Store.ArchiveEntries(list, b.Seq-1, 1)
		if err != nil {
			return nil, 0, fmt.Errorf("imaparchive: %w", err)
		}
		if len(entries) == 0 || entries[0].Seq != b.Seq {
			continue // the archive entry is gone
		}
		out = append(out, infoOf(entries[0], b.UID))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].uid < out[j].uid })
	return out, next, nil
}

// boxState is a snapshot of a mailbox: its messages in UID order, the
// next UID, and for an archive mailbox the archive's count and last
// position when it was read.
type boxState struct {
	msgs    []msgInfo
	uidNext uint32
	count   int
	last    uint64
}

// load reads the current state of m.
func (s *Server) load(m mailbox) (boxState, error) {
	switch m.kind {
	case kindArchive:
		count, last, err := s.o.Store.ArchiveStat(m.list.Address)
		if err != nil {
			return boxState{}, fmt.Errorf("imaparchive: %w", err)
		}
		msgs, err := s.archiveMsgs(m.list.Address, m.lo, m.hi)
		if err != nil {
			return boxState{}, err
		}
		return boxState{msgs: msgs, uidNext: archiveUIDNext(m, last), count: count, last: last}, nil
	case kindProposals:
		msgs, next, err := s.proposalMsgs(m.list.Address, m.status, nil)
		if err != nil {
			return boxState{}, err
		}
		return boxState{msgs: msgs, uidNext: next}, nil
	}
	return boxState{}, errNoSelect()
}

func archiveUIDNext(m mailbox, last uint64) uint32 {
	if m.hi != 0 {
		return uint32(m.hi + 1)
	}
	return uint32(max(last, m.lo) + 1)
}

// errNoSelect is the answer for SELECT or STATUS of a \Noselect parent.
func errNoSelect() error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot,
		Text: "This mailbox only holds other mailboxes"}
}

// status answers STATUS for m; seen is the member's \Seen set for it.
func (s *Server) status(m mailbox, seen map[uint32]bool, options *imap.StatusOptions) (*imap.StatusData, error) {
	data := &imap.StatusData{Mailbox: m.name, UIDValidity: m.uidValidity()}
	var (
		num, unseen uint32
		size        int64
	)
	fast := false
	if m.kind == kindArchive && !options.Size {
		// Without deletions, an archive slice is a range of positions.
		count, last, err := s.o.Store.ArchiveStat(m.list.Address)
		if err != nil {
			return nil, fmt.Errorf("imaparchive: %w", err)
		}
		if uint64(count) == last {
			fast = true
			top := last
			if m.hi != 0 {
				top = min(m.hi, last)
			}
			if top > m.lo {
				num = uint32(top - m.lo)
			}
			unseen = num
			for uid := range seen {
				if uint64(uid) > m.lo && uint64(uid) <= top {
					unseen--
				}
			}
			data.UIDNext = imap.UID(archiveUIDNext(m, last))
		}
	}
	if !fast {
		st, err := s.load(m)
		if err != nil {
			return nil, err
		}
		num = uint32(len(st.msgs))
		for _, msg := range st.msgs {
			if !seen[msg.uid] {
				unseen++
			}
			size += msg.size
		}
		data.UIDNext = imap.UID(st.uidNext)
	}
	zero := uint32(0)
	data.NumMessages = &num
	data.NumUnseen = &unseen
	data.Size = &size
	data.NumDeleted = &zero
	data.NumRecent = &zero
	var noStorage int64
	data.DeletedStorage = &noStorage
	return data, nil
}
