package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"tacit/storage/internal/kv"
)

// Since schema version 9, the probes that wait for the end of their
// window:
//
//	probes  due (UnixNano) ‖ list ‖ 0 ‖ member → probe id
//
// A probe is the one message the server sends a member whose mail
// bounced too often, before it may disable delivery (docs/security.md).
// The probe itself is Member.Probe; this index only finds, by time, the
// probes whose window is over. An entry whose member is gone, or whose
// member no longer waits for that probe, is stale: EndProbe removes it.
var bucketProbes = []byte("probes")

// migrateProbes opens schema 9: the index of pending probes. From this
// version on, a delivery report counts only when it is sent to a tagged
// bounce address, which an older tacit would not check.
func migrateProbes(tx kv.Tx) error {
	_, err := tx.CreateBucketIfNotExists(bucketProbes)
	return err
}

// Probe is a test message sent to a member before disabling delivery:
// only a delivery report for it may disable the member.
type Probe struct {
	// ID names the probe; the probe's envelope sender carries a tag
	// computed over it.
	ID string `json:"id"`
	// Sent is when it was queued; Due when its window ends.
	Sent time.Time `json:"sent"`
	Due  time.Time `json:"due"`
	// Entry is the delivery queue entry that carries it.
	Entry uint64 `json:"entry,omitempty"`
}

// ProbeRef names the probe of one member, and when its window ends.
type ProbeRef struct {
	List, Address, ID string
	Due               time.Time
}

func probeKey(due time.Time, list, addr string) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(due.UnixNano()))
	return append(append(append(k, list...), 0), addr...)
}

// StartProbe records probe p of member addr of list and queues out, the
// probe message, in one transaction: the probe exists if and only if it
// is queued. out must have exactly one queue entry, to the member. The
// returned probe has its Entry set. It returns ErrExists, and writes
// nothing, when the member already waits for a probe.
func (s *Store) StartProbe(list, addr string, p Probe, out Outgoing) (Probe, error) {
	list, addr = NormalizeAddress(list), NormalizeAddress(addr)
	if len(out.Queue) != 1 {
		return p, fmt.Errorf("storage: start probe of %s in %s: %d queue entries, want 1", addr, list, len(out.Queue))
	}
	err := s.db.Update(func(tx kv.Tx) error {
		b, err := membersBucket(tx, list)
		if err != nil {
			return err
		}
		var m Member
		if err := getJSON(b, []byte(addr), &m); err != nil {
			return err
		}
		if m.Probe != nil {
			return ErrExists
		}
		if err := putOutgoing(tx, out); err != nil {
			return err
		}
		// putOutgoing queued the probe's one entry last.
		p.Entry = tx.Bucket(bucketQueue).Sequence()
		m.Probe = &p
		if err := putJSON(b, []byte(addr), m); err != nil {
			return err
		}
		return tx.Bucket(bucketProbes).Put(probeKey(p.Due, list, addr), []byte(p.ID))
	})
	if err != nil {
		return p, fmt.Errorf("storage: start probe of %s in %s: %w", addr, list, err)
	}
	return p, nil
}

// DueProbes returns up to limit (0: all) probes whose window ended at or
// before now, earliest first. Some may be stale (see EndProbe).
func (s *Store) DueProbes(now time.Time, limit int) ([]ProbeRef, error) {
	var out []ProbeRef
	end := uint64(now.UnixNano())
	err := s.db.View(func(tx kv.Tx) error {
		c := tx.Bucket(bucketProbes).Cursor()
		for k, v := c.First(); len(k) > 8 && binary.BigEndian.Uint64(k) <= end; k, v = c.Next() {
			list, addr, ok := bytes.Cut(k[8:], []byte{0})
			if !ok {
				continue
			}
			out = append(out, ProbeRef{List: string(list), Address: string(addr), ID: string(v),
				Due: time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC()})
			if limit > 0 && len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: due probes: %w", err)
	}
	return out, nil
}

// EndProbe ends probe ref, in one transaction: change applies to the
// member, whose Probe is then cleared, and the messages change returns
// are queued. It returns ErrNotFound when the member is gone or waits for
// no probe of that id; the probe's index entry is removed all the same.
func (s *Store) EndProbe(ref ProbeRef, change func(*Member) ([]Outgoing, error)) (Member, error) {
	list, addr := NormalizeAddress(ref.List), NormalizeAddress(ref.Address)
	var m Member
	stale := false
	err := s.db.Update(func(tx kv.Tx) error {
		stale = false
		idx := tx.Bucket(bucketProbes)
		if err := idx.Delete(probeKey(ref.Due, list, addr)); err != nil {
			return err
		}
		b, err := membersBucket(tx, list)
		if err == nil {
			m = Member{}
			err = getJSON(b, []byte(addr), &m)
		}
		switch {
		case errors.Is(err, ErrNotFound), err == nil && (m.Probe == nil || m.Probe.ID != ref.ID):
			stale = true
			return nil
		case err != nil:
			return err
		}
		if err := idx.Delete(probeKey(m.Probe.Due, list, addr)); err != nil {
			return err
		}
		out, err := change(&m)
		if err != nil {
			return err
		}
		m.Probe = nil
		m.Address = addr
		if err := putJSON(b, []byte(addr), m); err != nil {
			return err
		}
		for _, o := range out {
			if err := putOutgoing(tx, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && stale {
		err = ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("storage: end probe %s of %s in %s: %w", ref.ID, addr, list, err)
	}
	return m, nil
}

// deleteProbeIndex removes the index entry of m's pending probe, if any.
func deleteProbeIndex(tx kv.Tx, list string, m Member) error {
	if m.Probe == nil {
		return nil
	}
	return tx.Bucket(bucketProbes).Delete(probeKey(m.Probe.Due, list, m.Address))
}
