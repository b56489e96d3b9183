package listserv

import (
	"strings"
	"time"

	"tacit/consensus"
	"tacit/listserv/notice"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// request handles mail to NAME-request@DOMAIN. This step answers the
// status command (état) with the open proposals; subscription,
// confirmation and the other commands come with moderation by email and
// are recorded as not handled until then.
func (s *Server) request(d *storage.Disposition, l storage.List, raw []byte, env storage.Envelope, now time.Time) error {
	h, _, err := rewrite.Split(raw)
	if err != nil {
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "request with unreadable header", At: now})
		return nil
	}
	if why := rewrite.Loop(h, env.From, s.rewriteList(l)); why != "" {
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "request not answered: " + why, At: now})
		return nil
	}
	author := authorOf(h, env.From)
	if !requestsStatus(decodedSubject(h), bodyText(raw)) {
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "request mail is not handled yet", At: now})
		return nil
	}
	member, err := s.o.Store.IsMember(l.Address, author)
	if err != nil {
		return err
	}
	if !member {
		// Members see only their lists' proposals.
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "status asked by a non-member: " + author, At: now})
		return nil
	}
	all, err := s.o.Store.Proposals(l.Address)
	if err != nil {
		return err
	}
	data := s.noticeData(l, consensus.Proposal{}, now)
	for _, p := range all {
		if p.Status == consensus.StatusOpen || p.Status == consensus.StatusBlocked {
			data.Open = append(data.Open, p)
		}
	}
	txt, err := s.notices.Render(notice.Status, s.listLang(l), data)
	if err != nil {
		return err
	}
	c := s.compose(letter{list: l, from: l.LocalPart() + "-request@" + l.Domain(), to: author, text: txt,
		inReplyTo: strings.TrimSpace(h.Get("Message-Id")), now: now})
	d.Outgoing = append(d.Outgoing, s.toOne(l, c, author, now))
	return nil
}

// requestsStatus reports whether the Subject or a line of the body is
// the status command, in English or French.
func requestsStatus(subject, body string) bool {
	lines := append([]string{subject}, strings.Split(consensus.OwnText(body), "\n")...)
	for _, line := range lines {
		w := consensus.Normalize(strings.TrimSpace(line))
		w = strings.TrimRight(w, " .!")
		if w == "status" || w == "etat" {
			return true
		}
	}
	return false
}
