package storage

import (
	"encoding/json"
	"strings"

	"tacit/storage/internal/kv"

	"tacit/consensus"
)

// Since schema version 10, timeline events are typed (ProposalEvent's
// Reason, Refusal, Status, Commands, Auth, Note) instead of one text.

// legacyEvent is a timeline event as written before schema 10: one
// Detail text held the reason, the refusal and the new status.
type legacyEvent struct {
	ProposalEvent
	Detail string `json:"detail,omitempty"`
}

// migrateTypedTimeline opens schema 10: every event's Detail is read once,
// here, into the typed fields, so that no reader parses text.
func migrateTypedTimeline(tx kv.Tx) error {
	b := tx.Bucket(bucketProposalEvents)
	var keys, values [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var e legacyEvent
		if err := json.Unmarshal(v, &e); err != nil || e.Detail == "" {
			return nil // unreadable or already typed: left as it is
		}
		typed := typeLegacy(e)
		raw, err := json.Marshal(typed)
		if err != nil {
			return err
		}
		keys, values = append(keys, append([]byte(nil), k...)), append(values, raw)
		return nil
	})
	if err != nil {
		return err
	}
	for i, k := range keys {
		if err := b.Put(k, values[i]); err != nil {
			return err
		}
	}
	return nil
}

// typeLegacy reads an old event's Detail: "status" events held the new
// status; commands "reason (refused: why): the check's words";
// "awaiting" events "object, support: the check's words"; "confirmed"
// events the token, which is dropped.
func typeLegacy(e legacyEvent) ProposalEvent {
	t := e.ProposalEvent
	switch e.Kind {
	case EventStatus:
		t.Status = consensus.Status(e.Detail)
		return t
	case EventConfirmed:
		return t
	case EventAwaiting:
		cmds, note, _ := strings.Cut(e.Detail, ": ")
		for c := range strings.SplitSeq(cmds, ", ") {
			t.Commands = append(t.Commands, consensus.EventKind(c))
		}
		t.Note = note
		return t
	}
	reason, refused, found := strings.Cut(e.Detail, " (refused: ")
	t.Reason = reason
	if found {
		why, note, _ := strings.Cut(refused, ")")
		t.Refusal = why
		t.Note = strings.TrimPrefix(note, ": ")
	}
	return t
}
