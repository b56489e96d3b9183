package listserv

import (
	"errors"
	"slices"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/listserv/bounce"
	"tacit/listserv/notice"
	"tacit/storage"
)

// bounce handles mail to NAME-bounces[+VERP]@DOMAIN: delivery reports
// are attributed to a member (by the VERP address first, the report's
// recipient otherwise); a member whose mail fails for good on
// BounceThreshold different days within BounceWindow has delivery
// disabled and the owners are told. A refusal of our content (spam,
// policy, DMARC) never counts against a member.
func (s *Server) bounce(d *storage.Disposition, l storage.List, rcpt string, raw []byte, env storage.Envelope, now time.Time) error {
	local, _, _ := strings.Cut(storage.NormalizeAddress(rcpt), "@")
	verpMember, verp := bounce.VERPRecipient(local, l.LocalPart())
	rep, err := bounce.Parse(raw)
	if err != nil || !rep.IsBounce {
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "mail to the bounce address that is not a delivery report", At: now})
		return nil
	}
	counted := map[string]bool{}
	for _, f := range rep.Failures {
		who := storage.NormalizeAddress(f.Recipient)
		if verp {
			who = verpMember
		}
		if who == "" || counted[who] {
			continue
		}
		switch f.Kind {
		case bounce.Content:
			s.o.Logger.Warn("bounce: our content was refused", "list", l.Address, "member", who,
				"status", f.Status, "diagnostic", f.Diagnostic)
			continue
		case bounce.Soft:
			continue
		}
		counted[who] = true
		if err := s.recordBounce(d, l, who, f, now); err != nil {
			return err
		}
	}
	d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "delivery report processed", At: now})
	return nil
}

// recordBounce counts one day of hard failure for a member and disables
// delivery when the score is reached.
func (s *Server) recordBounce(d *storage.Disposition, l storage.List, who string, f bounce.Failure, now time.Time) error {
	day := now.UTC().Format(time.DateOnly)
	oldest := now.Add(-s.o.BounceWindow).UTC().Format(time.DateOnly)
	m, err := s.o.Store.UpdateMember(l.Address, who, func(m *storage.Member) error {
		m.BounceDays = slices.DeleteFunc(m.BounceDays, func(d string) bool { return d < oldest })
		if !slices.Contains(m.BounceDays, day) {
			m.BounceDays = append(m.BounceDays, day)
		}
		if !m.Disabled && len(m.BounceDays) >= s.o.BounceThreshold {
			m.Disabled = true
		}
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil // not (or no longer) a member
	}
	if err != nil {
		return err
	}
	s.o.Logger.Info("bounce", "list", l.Address, "member", who, "status", f.Status,
		"days", len(m.BounceDays), "disabled", m.Disabled)
	// The owners hear of it once: the notice and the mark that it was
	// sent are written together, after the member's update. A crash in
	// between leaves the member disabled and unmarked, and the report,
	// still in the inbox, sends the notice when it is processed again.
	if !m.Disabled || m.DisabledNoticeSent || len(l.Owners) == 0 {
		return nil
	}
	data := s.noticeData(l, consensus.Proposal{}, now)
	data.Member = who
	txt, err := s.notices.Render(notice.Disabled, s.listLang(l), data)
	if err != nil {
		return err
	}
	c := s.compose(letter{list: l, from: requestAddress(l), to: strings.Join(l.Owners, ", "), text: txt, now: now})
	out := s.toOne(l, c, l.Owners[0], now)
	out.Queue = s.fanOut(storage.QueueEntry{List: l.Address, From: bounceAddress(l), Created: now, NextAttempt: now}, l.Owners)
	d.Outgoing = append(d.Outgoing, out)
	d.DisabledNoticed = append(d.DisabledNoticed, storage.MemberRef{List: l.Address, Address: who})
	return nil
}
