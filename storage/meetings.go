package storage

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"tacit/storage/internal/kv"
)

// Since schema version 11, the meetings of each list (docs/meetings.md):
//
//	meetings  list ‖ 0 ‖ id → Meeting (JSON)
//
// A meeting's agenda is sent once: AgendaSent is set in the transaction
// that stores and queues the agenda.
var bucketMeetings = []byte("meetings")

func migrateMeetings(tx kv.Tx) error {
	_, err := tx.CreateBucketIfNotExists(bucketMeetings)
	return err
}

// Meeting is one meeting of a list's members.
type Meeting struct {
	// ID identifies the meeting within tacit (tacit meeting rm LIST ID).
	ID uint64 `json:"id"`
	// List is the list's address.
	List string `json:"list"`
	// At is when the meeting starts.
	At time.Time `json:"at"`
	// Place and Title are free text ("Maison du libre").
	Place string `json:"place,omitempty"`
	Title string `json:"title,omitempty"`
	// Created is when it was announced to tacit, By by whom ("cli" or
	// an owner's address).
	Created time.Time `json:"created"`
	By      string    `json:"by,omitempty"`
	// AgendaSent is set once the agenda went to the list.
	AgendaSent bool `json:"agenda_sent,omitempty"`
}

func meetingKey(list string, id uint64) []byte {
	return append(append([]byte(NormalizeAddress(list)), 0), u64(id)...)
}

// AddMeeting records a meeting and returns it with its id.
func (s *Store) AddMeeting(m Meeting) (Meeting, error) {
	err := s.db.Update(func(tx kv.Tx) error {
		var err error
		m, err = putMeeting(tx, m)
		return err
	})
	if err != nil {
		return m, fmt.Errorf("storage: add meeting: %w", err)
	}
	return m, nil
}

// putMeeting stores a new meeting and returns it with its id.
func putMeeting(tx kv.Tx, m Meeting) (Meeting, error) {
	m.List = NormalizeAddress(m.List)
	if tx.Bucket(bucketLists).Get([]byte(m.List)) == nil {
		return m, fmt.Errorf("list %s: %w", m.List, ErrNotFound)
	}
	b := tx.Bucket(bucketMeetings)
	id, err := b.NextSequence()
	if err != nil {
		return m, err
	}
	m.ID = id
	return m, putJSON(b, meetingKey(m.List, id), m)
}

// Meetings returns the meetings of list ("" for every list), earliest
// first.
func (s *Store) Meetings(list string) ([]Meeting, error) {
	var out []Meeting
	err := s.db.View(func(tx kv.Tx) error {
		var prefix []byte
		if list != "" {
			prefix = append([]byte(NormalizeAddress(list)), 0)
		}
		c := tx.Bucket(bucketMeetings).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var m Meeting
			if err := decodeJSON(v, &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: meetings: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Meeting) int { return a.At.Compare(b.At) })
	return out, nil
}

// RemoveMeeting deletes a meeting of list; ErrNotFound when there is
// none with that id.
func (s *Store) RemoveMeeting(list string, id uint64) error {
	err := s.db.Update(func(tx kv.Tx) error {
		b := tx.Bucket(bucketMeetings)
		k := meetingKey(list, id)
		if b.Get(k) == nil {
			return ErrNotFound
		}
		return b.Delete(k)
	})
	if err != nil {
		return fmt.Errorf("storage: remove meeting %d: %w", id, err)
	}
	return nil
}

// DueAgendas returns the meetings whose agenda is due at now: not sent,
// the meeting less than before away and not started.
func (s *Store) DueAgendas(now time.Time, before time.Duration) ([]Meeting, error) {
	all, err := s.Meetings("")
	if err != nil {
		return nil, err
	}
	var out []Meeting
	for _, m := range all {
		if !m.AgendaSent && now.Before(m.At) && !now.Before(m.At.Add(-before)) {
			out = append(out, m)
		}
	}
	return out, nil
}

// SendAgenda marks meeting m's agenda sent and stores and queues it, in
// one transaction: an agenda goes out once, whatever crashes happen and
// whichever node sends it. It returns whether it won: false, writing
// nothing, when the agenda was already marked sent (by another node
// that read the meeting at the same time, or an earlier try) or the
// meeting is gone.
func (s *Store) SendAgenda(m Meeting, agenda Outgoing) (bool, error) {
	sent := false
	err := s.db.Update(func(tx kv.Tx) error {
		sent = false
		b := tx.Bucket(bucketMeetings)
		k := meetingKey(m.List, m.ID)
		var cur Meeting
		if err := getJSON(b, k, &cur); err != nil {
			if err == ErrNotFound {
				return nil
			}
			return err
		}
		if cur.AgendaSent {
			return nil
		}
		cur.AgendaSent = true
		if err := putJSON(b, k, cur); err != nil {
			return err
		}
		sent = true
		return putOutgoing(tx, agenda)
	})
	if err != nil {
		return false, fmt.Errorf("storage: send agenda of meeting %d: %w", m.ID, err)
	}
	return sent, nil
}
