package imaparchive

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"tacit/storage"
)

var (
	_ imapserver.Session          = (*session)(nil)
	_ imapserver.SessionNamespace = (*session)(nil)
	_ imapserver.SessionMove      = (*session)(nil)
)

// dummyHash is compared against when an address has no password, so that
// an unknown address costs as much time as a wrong password.
const dummyHash = "$2a$10$WmzBjSHcp01y0NRz1fKAjuFrcKJCwfV5PKSylXgpEQOmG9HJ2SQ7e"

// session is one IMAP connection. imapserver calls its methods one at a
// time, except Idle which runs beside the reading of DONE: mu guards the
// state.
type session struct {
	srv  *Server
	conn *imapserver.Conn

	mu     sync.Mutex
	user   string // the logged-in address, "" before LOGIN
	sel    *view  // the selected mailbox, nil when none
	closed bool
}

// view is a selected mailbox as this session last told the client.
type view struct {
	box      mailbox
	readOnly bool
	state    boxState
	// searchRes is the result saved by SEARCH RETURN (SAVE), for "$".
	searchRes imap.UIDSet
}

func refusal(text string) error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNoPerm, Text: text}
}

// Close ends the session.
func (s *session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.sel = nil
		s.srv.sessionEnded()
	}
	return nil
}

// secure reports whether credentials may be sent on this connection.
func (s *session) secure() bool {
	nc := s.conn.NetConn()
	if _, ok := nc.(*tls.Conn); ok {
		return true
	}
	return s.srv.local(remoteIP(nc))
}

func remoteIP(nc net.Conn) net.IP {
	addr := nc.RemoteAddr()
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return nil
	}
	return net.ParseIP(host)
}

// Login checks username's password against the hashes of all its
// memberships.
func (s *session) Login(username, password string) error {
	if !s.secure() {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodePrivacyRequired,
			Text: "Use STARTTLS before logging in"}
	}
	addr := storage.NormalizeAddress(username)
	ip := remoteIP(s.conn.NetConn())
	client := clientKey(ip)
	log := s.srv.o.Logger.With("user", addr, "ip", ip.String())
	if s.srv.limiter.blocked(addr, client, s.srv.o.Now()) {
		log.Warn("imap: login refused, too many failures")
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable,
			Text: "Too many failed logins, try again later"}
	}
	if !s.srv.limiter.begin(addr, client) {
		log.Debug("imap: login refused, too many checks at once")
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable,
			Text: "Too many logins at once, try again later"}
	}
	defer s.srv.limiter.end(addr, client)
	hashes, err := s.passwordHashes(addr)
	if err != nil {
		return err
	}
	ok := false
	for _, h := range hashes {
		if s.srv.compare([]byte(h), []byte(password)) == nil {
			ok = true
			break
		}
	}
	if len(hashes) == 0 {
		_ = s.srv.compare([]byte(dummyHash), []byte(password))
	}
	if !ok {
		s.srv.limiter.fail(addr, client, s.srv.o.Now())
		log.Warn("imap: login failed")
		return imapserver.ErrAuthFailed
	}
	s.srv.limiter.succeed(addr, client)
	s.mu.Lock()
	s.user = addr
	s.mu.Unlock()
	log.Info("imap: logged in")
	return nil
}

// passwordHashes returns the distinct password hashes of addr's
// memberships.
func (s *session) passwordHashes(addr string) ([]string, error) {
	lists, err := s.srv.o.Store.Lists()
	if err != nil {
		return nil, fmt.Errorf("imaparchive: login: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		m, err := s.srv.o.Store.Member(l.Address, addr)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("imaparchive: login: %w", err)
		}
		if m.PasswordHash != "" && !seen[m.PasswordHash] {
			seen[m.PasswordHash] = true
			out = append(out, m.PasswordHash)
		}
	}
	return out, nil
}

// Select opens a mailbox; EXAMINE opens it read only.
func (s *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sel = nil
	box, err := s.srv.resolve(s.user, name)
	if err != nil {
		return nil, err
	}
	st, err := s.srv.load(box)
	if err != nil {
		return nil, err
	}
	seen, err := s.srv.o.Store.Seen(s.user, box.seenKey())
	if err != nil {
		return nil, fmt.Errorf("imaparchive: select: %w", err)
	}
	v := &view{box: box, readOnly: options.ReadOnly, state: st}
	data := &imap.SelectData{
		Flags:       []imap.Flag{imap.FlagSeen},
		NumMessages: uint32(len(st.msgs)),
		UIDNext:     imap.UID(st.uidNext),
		UIDValidity: box.uidValidity(),
	}
	if !options.ReadOnly {
		data.PermanentFlags = []imap.Flag{imap.FlagSeen}
	}
	for i, m := range st.msgs {
		if !seen[m.uid] {
			data.FirstUnseenSeqNum = uint32(i + 1)
			break
		}
	}
	s.sel = v
	return data, nil
}

// Unselect leaves the selected mailbox.
func (s *session) Unselect() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sel = nil
	return nil
}

// Create is refused: the archive is read only.
func (s *session) Create(string, *imap.CreateOptions) error {
	return refusal("The archive is read only")
}

// Delete is refused.
func (s *session) Delete(string) error { return refusal("The archive is read only") }

// Rename is refused.
func (s *session) Rename(string, string, *imap.RenameOptions) error {
	return refusal("The archive is read only")
}

// Append is refused.
func (s *session) Append(string, imap.LiteralReader, *imap.AppendOptions) (*imap.AppendData, error) {
	return nil, refusal("The archive is read only: write to the list instead")
}

// Subscribe does nothing: every mailbox is listed as subscribed.
func (s *session) Subscribe(string) error { return nil }

// Unsubscribe does nothing.
func (s *session) Unsubscribe(string) error { return nil }

// Copy is refused.
func (s *session) Copy(imap.NumSet, string) (*imap.CopyData, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkSelected(); err != nil {
		return nil, err
	}
	return nil, refusal("The archive is read only")
}

// Move is refused.
func (s *session) Move(*imapserver.MoveWriter, imap.NumSet, string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkSelected(); err != nil {
		return err
	}
	return refusal("The archive is read only")
}

// Expunge is refused, except for the implicit expunge of CLOSE, which
// removes nothing and succeeds.
func (s *session) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkSelected(); err != nil {
		return err
	}
	if uids == nil && fromClose(w) {
		return nil
	}
	return refusal("The archive is read only")
}

// fromClose reports whether imapserver called Expunge for CLOSE: it then
// passes an ExpungeWriter without a connection (imapserver v2.0.0-beta.8
// offers no other way to tell CLOSE from EXPUNGE).
func fromClose(w *imapserver.ExpungeWriter) bool {
	if w == nil {
		return true
	}
	f := reflect.ValueOf(w).Elem().FieldByName("conn")
	return !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil()
}

// Namespace has one personal namespace with "/" as delimiter.
func (s *session) Namespace() (*imap.NamespaceData, error) {
	return &imap.NamespaceData{Personal: []imap.NamespaceDescriptor{{Delim: delim}}}, nil
}

// List writes the member's mailboxes matching the patterns.
func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(patterns) == 0 {
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: delim})
	}
	if options.SelectSpecialUse {
		return nil
	}
	lists, prefixes, err := s.srv.memberLists(s.user)
	if err != nil {
		return err
	}
	for i, l := range lists {
		boxes, err := s.srv.mailboxes(l, prefixes[i])
		if err != nil {
			return err
		}
		for _, b := range boxes {
			if !matchAny(b.name, ref, patterns) {
				continue
			}
			data := &imap.ListData{Mailbox: b.name, Delim: delim}
			if b.kind == kindParent {
				data.Attrs = append(data.Attrs, imap.MailboxAttrNoSelect, imap.MailboxAttrHasChildren)
			} else {
				if b.rel == "" {
					data.Attrs = append(data.Attrs, imap.MailboxAttrHasChildren)
				} else {
					data.Attrs = append(data.Attrs, imap.MailboxAttrHasNoChildren)
				}
				data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
				if options.ReturnStatus != nil {
					seen, err := s.srv.o.Store.Seen(s.user, b.seenKey())
					if err != nil {
						return fmt.Errorf("imaparchive: list: %w", err)
					}
					if data.Status, err = s.srv.status(b, seen, options.ReturnStatus); err != nil {
						return err
					}
				}
			}
			if err := w.WriteList(data); err != nil {
				return err
			}
		}
	}
	return nil
}

func matchAny(name, ref string, patterns []string) bool {
	for _, p := range patterns {
		if imapserver.MatchList(name, delim, ref, p) {
			return true
		}
	}
	return false
}

// Status answers STATUS for one of the member's mailboxes.
func (s *session) Status(name string, options *imap.StatusOptions) (*imap.StatusData, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	box, err := s.srv.resolve(s.user, name)
	if err != nil {
		return nil, err
	}
	if box.kind == kindParent {
		return nil, errNoSelect()
	}
	seen, err := s.srv.o.Store.Seen(s.user, box.seenKey())
	if err != nil {
		return nil, fmt.Errorf("imaparchive: status: %w", err)
	}
	data, err := s.srv.status(box, seen, options)
	if err != nil {
		return nil, err
	}
	data.Mailbox = name
	return data, nil
}

// checkSelected re-checks, with s.mu held, that the member still
// belongs to the selected mailbox's list. When not, the mailbox is gone:
// the connection is closed with BYE and an error returned.
func (s *session) checkSelected() error {
	if s.sel == nil {
		return &imap.Error{Type: imap.StatusResponseTypeBad, Code: imap.ResponseCodeClientBug,
			Text: "No mailbox selected"}
	}
	ok, err := s.srv.o.Store.IsMember(s.sel.box.list.Address, s.user)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("imaparchive: membership: %w", err)
	}
	if ok {
		return nil
	}
	s.srv.o.Logger.Info("imap: member lost access to the selected mailbox, closing",
		"user", s.user, "list", s.sel.box.list.Address)
	s.sel = nil
	s.conn.Bye("You are no longer a member of this list")
	return refusal("You are no longer a member of this list")
}

// Poll tells the client about new, moved and deleted messages of the
// selected mailbox.
func (s *session) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sel == nil {
		return nil
	}
	if err := s.checkSelected(); err != nil {
		return err
	}
	return s.refresh(w, allowExpunge)
}

// Idle polls the store every second until stop is closed.
func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	t := time.NewTicker(s.srv.pollEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return nil
		case <-s.srv.done:
			return nil
		case <-t.C:
		}
		if err := s.Poll(w, true); err != nil {
			return err
		}
	}
}

// refresh reads the selected mailbox again and writes the differences:
// EXPUNGE for messages gone (only when allowed; otherwise they wait for
// the next refresh) and EXISTS for new ones.
func (s *session) refresh(w *imapserver.UpdateWriter, allowExpunge bool) error {
	v := s.sel
	old := v.state
	var cur boxState
	switch v.box.kind {
	case kindArchive:
		count, last, err := s.srv.o.Store.ArchiveStat(v.box.list.Address)
		if err != nil {
			return fmt.Errorf("imaparchive: poll: %w", err)
		}
		if count == old.count && last == old.last {
			return nil
		}
		if count-old.count == int(last-old.last) {
			// Only additions: read the new entries.
			added, err := s.srv.archiveMsgs(v.box.list.Address, max(old.last, v.box.lo), v.box.hi)
			if err != nil {
				return err
			}
			cur = boxState{msgs: append(old.msgs[:len(old.msgs):len(old.msgs)], added...), count: count, last: last}
		} else if cur, err = s.srv.load(v.box); err != nil {
			return err
		}
		cur.uidNext = archiveUIDNext(v.box, last)
	case kindProposals:
		known := make(map[uint64]msgInfo, len(old.msgs))
		for _, m := range old.msgs {
			known[m.seq] = m
		}
		msgs, next, err := s.srv.proposalMsgs(v.box.list.Address, v.box.status, known)
		if err != nil {
			return err
		}
		cur = boxState{msgs: msgs, uidNext: next}
	}
	return s.applyState(w, cur, allowExpunge)
}

// applyState moves the view to cur, telling the client.
func (s *session) applyState(w *imapserver.UpdateWriter, cur boxState, allowExpunge bool) error {
	v := s.sel
	old := v.state.msgs
	present := make(map[uint32]bool, len(cur.msgs))
	for _, m := range cur.msgs {
		present[m.uid] = true
	}
	var maxOld uint32
	if len(old) > 0 {
		maxOld = old[len(old)-1].uid
	}
	gone := false
	for _, m := range old {
		if !present[m.uid] {
			gone = true
			break
		}
	}
	if gone && !allowExpunge {
		// Keep the old messages; add only the new ones, and keep
		// the old bookmark so that the next refresh sees the rest.
		next := old[:len(old):len(old)]
		for _, m := range cur.msgs {
			if m.uid > maxOld {
				next = append(next, m)
			}
		}
		v.state.msgs = next
		v.state.uidNext = cur.uidNext
		if len(next) > len(old) {
			return w.WriteNumMessages(uint32(len(next)))
		}
		return nil
	}
	kept := make([]msgInfo, 0, len(cur.msgs))
	for i := len(old) - 1; i >= 0; i-- {
		if !present[old[i].uid] {
			if err := w.WriteExpunge(uint32(i + 1)); err != nil {
				return err
			}
		}
	}
	for _, m := range old {
		if present[m.uid] {
			kept = append(kept, m)
		}
	}
	n := len(kept)
	for _, m := range cur.msgs {
		if m.uid > maxOld {
			kept = append(kept, m)
		}
	}
	v.state = cur
	v.state.msgs = kept
	if len(kept) > n {
		return w.WriteNumMessages(uint32(len(kept)))
	}
	return nil
}

// closedForWrite is the answer to STORE in an EXAMINEd mailbox.
func closedForWrite() error {
	return refusal("The mailbox is open read only (EXAMINE)")
}

// isSeenFlag reports whether f is \Seen.
func isSeenFlag(f imap.Flag) bool { return strings.EqualFold(string(f), string(imap.FlagSeen)) }
