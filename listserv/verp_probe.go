package listserv

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"tacit/listserv/bounce"
	"tacit/listserv/notice"
	"tacit/storage"
)

// The probe (docs/security.md). Delivery reports about list mail raise a
// member's bounce score but never disable the member: a report could
// still be about a copy a third party sent us back. When the score is
// reached, the list sends the member one short message of its own, the
// probe, under an envelope sender whose tag is computed over the probe's
// id (NAME-bounces+alice=example.org+probe-TAG@DOMAIN), and waits:
//
//   - a hard failure reported to that address disables delivery to the
//     member and tells the owners, in one transaction;
//   - when probeWindow has passed and the probe has left our queue
//     without such a report, the probe ends and the score starts again
//     from nothing.
//
// The probe and its id (storage.Member.Probe) are written in the
// transaction that queues it: after a crash, either both exist or
// neither, and a report processed again finds the same probe.
// Windows are checked, on the store's clock, each time a message to a
// bounce address is processed (settleProbes).

// probeWindow is how long a probe waits for its failure report.
const probeWindow = 72 * time.Hour

// sendProbe records and queues a probe to member m of list l.
func (s *processor) sendProbe(l storage.List, m storage.Member, now time.Time) error {
	id, err := newProbeID()
	if err != nil {
		return err
	}
	c := s.compose(letter{list: l, from: requestAddress(l), to: m.Address, text: probeText(s.listLang(l), l), now: now})
	_, domain, _ := strings.Cut(m.Address, "@")
	out := storage.Outgoing{Raw: c.raw, BodyOffset: c.bodyOff, At: now,
		Queue: []storage.QueueEntry{{List: l.Address, From: bounce.ProbeAddress(l.Address, m.Address, s.verpKey, id),
			Domain: domain, Recipients: []string{m.Address}, Created: now, NextAttempt: now}}}
	p, err := s.o.Store.StartProbe(l.Address, m.Address, storage.Probe{ID: id, Sent: now, Due: now.Add(probeWindow)}, out)
	switch {
	case errors.Is(err, storage.ErrExists), errors.Is(err, storage.ErrNotFound):
		return nil // a probe already waits, or the member left meanwhile
	case err != nil:
		return err
	}
	s.o.Logger.Info("bounce: probe sent", "list", l.Address, "member", m.Address, "probe", p.ID,
		"days", len(m.BounceDays), "due", p.Due)
	return nil
}

// probeReport handles a delivery report to a probe's address: a hard
// failure of the member's pending probe disables the member. A report
// for a probe the member no longer waits for, or with a wrong tag,
// counts for nobody.
func (s *processor) probeReport(d *storage.Disposition, l storage.List, rcpt string, v bounce.VERP,
	rep bounce.Report, env storage.Envelope, now time.Time) error {
	m, err := s.o.Store.Member(l.Address, v.Member)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		s.countsForNobody(d, l, rcpt, env, "delivery report for a probe to a non-member: counted for nobody", now)
		return nil
	case err != nil:
		return err
	case m.Probe == nil || !v.ValidProbe(s.verpKey, l.Address, m.Probe.ID):
		s.countsForNobody(d, l, rcpt, env, "delivery report to a probe address with a wrong tag or for no pending probe: counted for nobody", now)
		return nil
	}
	f, hard := s.hardFailure(l, m.Address, rep)
	if !hard {
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "delivery report for a probe without a hard failure", At: now})
		return nil
	}
	var notify []storage.Outgoing
	if len(l.Owners) > 0 {
		out, err := s.disabledOutgoing(l, m.Address, now)
		if err != nil {
			return err
		}
		notify = []storage.Outgoing{out}
	}
	ref := storage.ProbeRef{List: l.Address, Address: m.Address, ID: m.Probe.ID, Due: m.Probe.Due}
	m, err = s.o.Store.EndProbe(ref, func(m *storage.Member) ([]storage.Outgoing, error) {
		if m.Disabled && m.DisabledNoticeSent || notify == nil {
			m.Disabled = true
			return nil, nil
		}
		m.Disabled, m.DisabledNoticeSent = true, true
		return notify, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil // ended meanwhile
	}
	if err != nil {
		return err
	}
	s.o.Logger.Info("bounce: probe failed, delivery disabled", "list", l.Address, "member", m.Address,
		"probe", ref.ID, "status", f.Status, "diagnostic", f.Diagnostic)
	d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "delivery report for a probe: delivery disabled", At: now})
	return nil
}

// settleProbes ends the probes whose window is over without a failure
// report: the member's score starts again. A probe still in our delivery
// queue (its next hop keeps deferring it) waits for its delivery.
func (s *processor) settleProbes(now time.Time) error {
	refs, err := s.o.Store.DueProbes(now, 0)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if m, err := s.o.Store.Member(r.List, r.Address); err == nil && m.Probe != nil && m.Probe.ID == r.ID && m.Probe.Entry != 0 {
			if _, err := s.o.Store.QueueEntry(m.Probe.Entry); err == nil {
				continue
			}
		}
		_, err := s.o.Store.EndProbe(r, func(m *storage.Member) ([]storage.Outgoing, error) {
			m.BounceDays = nil
			return nil, nil
		})
		if errors.Is(err, storage.ErrNotFound) {
			continue // stale: the member left, or the probe already ended
		}
		if err != nil {
			return err
		}
		s.o.Logger.Info("bounce: probe not bounced, score reset", "list", r.List, "member", r.Address, "probe", r.ID)
	}
	return nil
}

// newProbeID returns 16 random base32 characters.
func newProbeID() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("listserv: probe id: %w", err)
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(b)), nil
}

// probeText is the probe: it says why it comes, and that nothing needs
// doing if it arrives.
func probeText(lang string, l storage.List) notice.Text {
	return notice.Text{
		Subject: notice.Say(lang, notice.ProbeSubject, l.LocalPart()),
		Body:    notice.Say(lang, notice.ProbeBody, l.Address, l.Address),
	}
}
