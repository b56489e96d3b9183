package consensus

import (
	"slices"
	"testing"
	"time"
)

// docs/security.md: a deadline never passes over a command waiting for its
// confirmation; a command never confirmed changes nothing.
func TestDeadlineWaitsForConfirmation(t *testing.T) {
	t.Parallel()
	p := open72h()
	p.Reminded = true
	sent := t0.Add(71 * time.Hour) // an hour before the deadline
	p = p.WithAwaiting(Awaiting{Token: "tok", Member: "bob@x.org", At: sent, Until: sent.Add(24 * time.Hour)})
	if w, _ := p.NextWake(); !w.Equal(sent.Add(24 * time.Hour)) {
		t.Errorf("next wake %v, want the end of the wait", w)
	}
	// The deadline passes: no decision while the command waits.
	next, fx := Apply(p, Event{Kind: EventTick}, t0.Add(73*time.Hour))
	if next.Status != StatusOpen || len(notices(fx)) != 0 {
		t.Fatalf("decided over a waiting command: %s %v", next.Status, notices(fx))
	}
	// A new objection after the deadline is late, waiting or not.
	_, fx = Apply(next, ev(EventObject, "carol@x.org", t0.Add(74*time.Hour)), t0.Add(74*time.Hour))
	if len(fx) == 0 || fx[len(fx)-1].Why != WhyLate {
		t.Errorf("a late objection while waiting: %+v", fx)
	}
	// Bob confirms: his objection counts as of its receipt, and blocks.
	confirmed, ok := next.WithoutAwaiting("tok")
	if !ok {
		t.Fatal("the waiting command is not found by its token")
	}
	confirmed, _ = Apply(confirmed, ev(EventObject, "bob@x.org", sent), t0.Add(75*time.Hour))
	blocked, fx := Apply(confirmed, Event{Kind: EventTick}, t0.Add(75*time.Hour))
	if blocked.Status != StatusBlocked || !slices.Equal(notices(fx), []NoticeKind{NoticeBlocked}) {
		t.Errorf("confirmed objection: %s %v", blocked.Status, notices(fx))
	}
	// Never confirmed: the wait ends, the command is dropped, silence adopts.
	adopted, fx := Apply(next, Event{Kind: EventTick}, sent.Add(24*time.Hour))
	if adopted.Status != StatusAdopted || len(adopted.Awaiting) != 0 || !slices.Equal(notices(fx), []NoticeKind{NoticeAdopted}) {
		t.Errorf("unconfirmed: %s awaiting %v %v", adopted.Status, adopted.Awaiting, notices(fx))
	}
	if !adopted.Decided.Equal(p.Deadline) {
		t.Errorf("adopted as of %v, want the deadline %v", adopted.Decided, p.Deadline)
	}
}

// A command received after the deadline does not hold the decision.
func TestLateAwaitingDoesNotHold(t *testing.T) {
	t.Parallel()
	p := open72h()
	late := t0.Add(80 * time.Hour)
	p = p.WithAwaiting(Awaiting{Token: "x", Member: "bob@x.org", At: late, Until: late.Add(24 * time.Hour)})
	next, _ := Apply(p, Event{Kind: EventTick}, late)
	if next.Status != StatusAdopted {
		t.Errorf("status %s, want adopted", next.Status)
	}
}
