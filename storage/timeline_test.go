package storage

import (
	"slices"
	"testing"

	"tacit/consensus"
)

// Records written before schema 10 are read once into typed fields.
func TestLegacyTimelineTyped(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		legacy legacyEvent
		want   ProposalEvent
	}{
		{legacyEvent{ProposalEvent{Kind: "status"}, "blocked"}, ProposalEvent{Kind: "status", Status: consensus.StatusBlocked}},
		{legacyEvent{ProposalEvent{Kind: "object"}, "trop cher"}, ProposalEvent{Kind: "object", Reason: "trop cher"}},
		{legacyEvent{ProposalEvent{Kind: "object"}, "trop cher (refused: late)"},
			ProposalEvent{Kind: "object", Reason: "trop cher", Refusal: "late"}},
		{legacyEvent{ProposalEvent{Kind: "lift"}, " (refused: unauthenticated): no DKIM signature"},
			ProposalEvent{Kind: "lift", Refusal: "unauthenticated", Note: "no DKIM signature"}},
		{legacyEvent{ProposalEvent{Kind: "confirmed"}, "sometoken1234567890"}, ProposalEvent{Kind: "confirmed"}},
	} {
		got := typeLegacy(c.legacy)
		if got.Kind != c.want.Kind || got.Status != c.want.Status || got.Reason != c.want.Reason ||
			got.Refusal != c.want.Refusal || got.Note != c.want.Note {
			t.Errorf("%+v: %+v, want %+v", c.legacy, got, c.want)
		}
	}
	got := typeLegacy(legacyEvent{ProposalEvent{Kind: "awaiting"}, "object, support: no DKIM signature"})
	if !slices.Equal(got.Commands, []consensus.EventKind{"object", "support"}) || got.Note != "no DKIM signature" {
		t.Errorf("awaiting: %+v", got)
	}
}
