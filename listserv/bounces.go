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

// bounce handles mail to NAME-bounces[+…]@DOMAIN (docs/security.md). A
// delivery report counts only when it comes to a tagged VERP address:
// NAME-bounces+alice=example.org+TAG@DOMAIN, the envelope sender of list
// mail to alice, or …+probe-TAG@DOMAIN, that of the probe sent to her
// (verp_probe.go). A report to any other address of ours (no tag, a
// wrong tag, the plain bounce address) counts for nobody: it is logged,
// recorded as discarded, and changes nothing; the SMTP session accepted
// it all the same, so that a stranger learns nothing about membership.
//
// A hard failure of list mail counts one bounce day for the member;
// after BounceThreshold different days within BounceWindow, one probe
// goes out. Only a hard failure of the probe disables delivery, and the
// owners are told. A refusal of our content (spam, policy, DMARC) never
// counts against a member. The report's own recipient fields are not
// trusted to name the member: the tag does.
func (s *processor) bounce(l storage.List, rcpt string, in *inbound) error {
	d, raw, env, now := in.d, in.raw, in.env, in.now
	// The probes whose window ended pass first, so that this report
	// counts against a fresh score.
	if err := s.settleProbes(now); err != nil {
		return err
	}
	rep, err := bounce.Parse(raw)
	if err != nil || !rep.IsBounce {
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "mail to the bounce address that is not a delivery report", At: now})
		return nil
	}
	local, _, _ := strings.Cut(storage.NormalizeAddress(rcpt), "@")
	v, ok := bounce.ParseVERP(local, l.LocalPart())
	switch {
	case !ok || v.Tag == "":
		s.countsForNobody(d, l, rcpt, env, "delivery report to a bounce address without a tag: counted for nobody", now)
		return nil
	case v.Probe:
		return s.probeReport(d, l, rcpt, v, rep, env, now)
	case !v.Valid(s.verpKey, l.Address):
		s.countsForNobody(d, l, rcpt, env, "delivery report to a bounce address with a wrong tag: counted for nobody", now)
		return nil
	}
	if f, ok := s.hardFailure(l, v.Member, rep); ok {
		if err := s.recordBounce(d, l, v.Member, f, now); err != nil {
			return err
		}
	}
	d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "delivery report processed", At: now})
	return nil
}

// countsForNobody logs and records a delivery report that changes
// nothing.
func (s *processor) countsForNobody(d *storage.Disposition, l storage.List, rcpt string, env storage.Envelope, reason string, now time.Time) {
	s.o.Logger.Warn("bounce: "+reason, "list", l.Address, "rcpt", rcpt, "remote", env.RemoteAddr, "helo", env.Helo)
	d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: reason, At: now})
}

// hardFailure returns the first failure of rep that counts against
// member: a hard one. Refusals of our content are logged for the
// operator; temporary failures and delays are not failures of the
// address.
func (s *processor) hardFailure(l storage.List, member string, rep bounce.Report) (bounce.Failure, bool) {
	for _, f := range rep.Failures {
		switch f.Kind {
		case bounce.Hard:
			return f, true
		case bounce.Content:
			s.o.Logger.Warn("bounce: our content was refused", "list", l.Address, "member", member,
				"status", f.Status, "diagnostic", f.Diagnostic)
		}
	}
	return bounce.Failure{}, false
}

// recordBounce counts one day of hard failure for a member, and sends
// the member a probe when the score is reached.
func (s *processor) recordBounce(d *storage.Disposition, l storage.List, who string, f bounce.Failure, now time.Time) error {
	day := now.UTC().Format(time.DateOnly)
	oldest := now.Add(-s.o.BounceWindow).UTC().Format(time.DateOnly)
	m, err := s.o.Store.UpdateMember(l.Address, who, func(m *storage.Member) error {
		m.BounceDays = slices.DeleteFunc(m.BounceDays, func(d string) bool { return d < oldest })
		if !slices.Contains(m.BounceDays, day) {
			m.BounceDays = append(m.BounceDays, day)
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
		"days", len(m.BounceDays), "disabled", m.Disabled, "probe", m.Probe != nil)
	switch {
	case m.Disabled:
		return s.disabledNotice(d, l, m, now)
	case m.Probe != nil || len(m.BounceDays) < s.o.BounceThreshold:
		return nil
	}
	return s.sendProbe(l, m, now)
}

// disabledNotice tells the owners of a member disabled but not announced:
// what an older tacit could leave behind when it stopped between
// disabling a member and telling the owners (a probe's failure now does
// both in one transaction). The notice and the mark that it was sent are
// written together.
func (s *processor) disabledNotice(d *storage.Disposition, l storage.List, m storage.Member, now time.Time) error {
	if m.DisabledNoticeSent || len(l.Owners) == 0 {
		return nil
	}
	out, err := s.disabledOutgoing(l, m.Address, now)
	if err != nil {
		return err
	}
	d.Outgoing = append(d.Outgoing, out)
	d.DisabledNoticed = append(d.DisabledNoticed, storage.MemberRef{List: l.Address, Address: m.Address})
	return nil
}

// disabledOutgoing is the owners' notice that delivery to member stopped.
func (s *processor) disabledOutgoing(l storage.List, member string, now time.Time) (storage.Outgoing, error) {
	data := s.noticeData(l, consensus.Proposal{}, now)
	data.Member = member
	txt, err := s.notices.Render(notice.Disabled, s.listLang(l), data)
	if err != nil {
		return storage.Outgoing{}, err
	}
	c := s.compose(letter{list: l, from: requestAddress(l), to: strings.Join(l.Owners, ", "), text: txt, now: now})
	out := s.toOne(l, c, l.Owners[0], now)
	out.Queue = s.fanOut(storage.QueueEntry{List: l.Address, From: bounceAddress(l), Created: now, NextAttempt: now}, l.Owners)
	return out, nil
}
