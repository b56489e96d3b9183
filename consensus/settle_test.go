package consensus

import (
	"slices"
	"testing"
	"time"
)

// docs/meetings.md: what silence could not settle, a meeting settles.
func TestSettleAtAMeeting(t *testing.T) {
	t.Parallel()
	p := open72h()
	p, _ = Apply(p, ev(EventObject, "bob@x.org", t0.Add(time.Hour)), t0.Add(time.Hour))
	blocked, _ := Apply(p, Event{Kind: EventTick}, t0.Add(80*time.Hour))
	if blocked.Status != StatusBlocked || blocked.DecidedBy != "" {
		t.Fatalf("blocked: %s %q", blocked.Status, blocked.DecidedBy)
	}
	meeting := t0.Add(200 * time.Hour)
	settle := func(outcome string) Event {
		return Event{Kind: EventSettle, From: "owner@x.org", Outcome: outcome, Reason: "vote à main levée", At: meeting}
	}
	postponed, fx := Apply(blocked, settle(SettlePostponed), meeting)
	if postponed.Status != StatusBlocked || postponed.Postponed != 1 || len(notices(fx)) != 0 {
		t.Errorf("postponed: %s %d %v", postponed.Status, postponed.Postponed, notices(fx))
	}
	adopted, fx := Apply(postponed, settle(SettleAdopted), meeting)
	if adopted.Status != StatusAdopted || adopted.DecidedBy != ByMeeting || adopted.MeetingNote != "vote à main levée" ||
		!slices.Equal(notices(fx), []NoticeKind{NoticeAdoptedAtMeeting}) || !adopted.Decided.Equal(meeting) {
		t.Errorf("adopted at the meeting: %+v %v", adopted, notices(fx))
	}
	rejected, fx := Apply(postponed, settle(SettleRejected), meeting)
	if rejected.Status != StatusRejected || !rejected.Status.Terminal() || !slices.Equal(notices(fx), []NoticeKind{NoticeRejected}) {
		t.Errorf("rejected: %s %v", rejected.Status, notices(fx))
	}
	if _, fx := Apply(rejected, settle(SettleAdopted), meeting); len(fx) == 0 || fx[0].Why != WhyDecided {
		t.Errorf("a decided proposal settled again: %+v", fx)
	}
	// How the others were decided.
	silent, _ := Apply(open72h(), Event{Kind: EventTick}, t0.Add(80*time.Hour))
	lifted, _ := Apply(blocked, ev(EventLift, "bob@x.org", t0.Add(90*time.Hour)), t0.Add(90*time.Hour))
	if silent.DecidedBy != BySilence || lifted.DecidedBy != ByLift {
		t.Errorf("decided by %q and %q", silent.DecidedBy, lifted.DecidedBy)
	}
}

func TestParseWhen(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, paris)
	for text, want := range map[string]struct {
		at   time.Time
		rest string
	}{
		"12/01/2027 18h30 Maison du libre": {time.Date(2027, 1, 12, 18, 30, 0, 0, paris), "Maison du libre"},
		"2027-01-12 18:30":                 {time.Date(2027, 1, 12, 18, 30, 0, 0, paris), ""},
		"mardi 18h salle des fêtes":        {time.Date(2026, 12, 8, 18, 0, 0, 0, paris), "salle des fêtes"},
	} {
		at, rest, err := ParseWhen(text, now, paris)
		if err != nil || !at.Equal(want.at) || rest != want.rest {
			t.Errorf("%q: %v %q %v, want %v %q", text, at, rest, err, want.at, want.rest)
		}
	}
	if _, _, err := ParseWhen("bientôt, on verra", now, paris); err == nil {
		t.Errorf("no date read as one")
	}
}
