package consensus

import (
	"slices"
	"testing"
	"time"
)

var paris = mustLoad("Europe/Paris")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// clock is a moved clock for one proposal's life.
var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, paris)

func open72h() Proposal {
	return NewProposal(Draft{List: "jardin@lists.test", Number: 3, Author: "alice@x.org", Title: "Composteur",
		Text: "Acheter un composteur", Received: t0, Default: 72 * time.Hour, Min: 24 * time.Hour,
		RemindBefore: 24 * time.Hour})
}

func ev(kind EventKind, from string, at time.Time) Event {
	return Event{Kind: kind, From: from, Member: true, At: at}
}

func notices(fx []Effect) []NoticeKind {
	var out []NoticeKind
	for _, f := range fx {
		if f.Kind == EffectNotice {
			out = append(out, f.Notice)
		}
	}
	return out
}

func TestSilenceGivesConsent(t *testing.T) {
	t.Parallel()
	p := open72h()
	p, fx := Apply(p, Event{Kind: EventTick}, t0.Add(47*time.Hour))
	if p.Status != StatusOpen || len(fx) != 0 {
		t.Fatalf("at +47h: %s %v", p.Status, fx)
	}
	p, fx = Apply(p, Event{Kind: EventTick}, t0.Add(48*time.Hour))
	if !slices.Equal(notices(fx), []NoticeKind{NoticeReminder}) || !p.Reminded {
		t.Fatalf("reminder at +48h: %v", fx)
	}
	p, fx = Apply(p, Event{Kind: EventTick}, t0.Add(60*time.Hour))
	if len(fx) != 0 {
		t.Fatalf("second reminder: %v", fx)
	}
	p, fx = Apply(p, Event{Kind: EventTick}, t0.Add(72*time.Hour-time.Nanosecond))
	if p.Status != StatusOpen || len(fx) != 0 {
		t.Fatalf("decided before the deadline: %s", p.Status)
	}
	p, fx = Apply(p, Event{Kind: EventTick}, t0.Add(72*time.Hour))
	if p.Status != StatusAdopted || !slices.Equal(notices(fx), []NoticeKind{NoticeAdopted}) || !p.Decided.Equal(p.Deadline) {
		t.Fatalf("at the deadline: %s %v", p.Status, fx)
	}
	_, fx = Apply(p, Event{Kind: EventTick}, t0.Add(100*time.Hour))
	if len(fx) != 0 {
		t.Fatalf("adopted twice: %v", fx)
	}
}

func TestObjectionBlocksThenLiftAdopts(t *testing.T) {
	t.Parallel()
	p := open72h()
	p, fx := Apply(p, Event{Kind: EventObject, From: "bob@x.org", Member: true, At: t0.Add(time.Hour), Reason: "trop cher"}, t0.Add(time.Hour))
	if len(p.Objections) != 1 || fx[0].Kind != EffectAck || fx[0].To != "bob@x.org" {
		t.Fatalf("objection: %+v %v", p.Objections, fx)
	}
	// A second objection from the same member does not stack.
	p, _ = Apply(p, Event{Kind: EventObject, From: "bob@x.org", Member: true, At: t0.Add(2 * time.Hour), Reason: "vraiment"}, t0)
	if len(p.Objections) != 1 || p.Objections[0].Reason != "vraiment" {
		t.Fatalf("one standing objection per member: %+v", p.Objections)
	}
	// No reminder while an objection stands.
	p, fx = Apply(p, Event{Kind: EventTick}, t0.Add(50*time.Hour))
	if len(fx) != 0 {
		t.Fatalf("reminder with an objection standing: %v", fx)
	}
	p, fx = Apply(p, Event{Kind: EventTick}, t0.Add(73*time.Hour))
	if p.Status != StatusBlocked || !slices.Equal(notices(fx), []NoticeKind{NoticeBlocked}) {
		t.Fatalf("deadline with objection: %s %v", p.Status, fx)
	}
	// A late objection is discussion.
	p, fx = Apply(p, ev(EventObject, "carol@x.org", t0.Add(74*time.Hour)), t0)
	if len(p.Objections) != 1 || fx[0].Kind != EffectRefused || fx[0].Why != WhyLate {
		t.Fatalf("late objection: %+v %v", p.Objections, fx)
	}
	// Lifting by someone who has no objection changes nothing.
	p, fx = Apply(p, ev(EventLift, "carol@x.org", t0.Add(75*time.Hour)), t0)
	if p.Status != StatusBlocked || fx[0].Why != WhyNoObjection {
		t.Fatalf("lift without objection: %s %v", p.Status, fx)
	}
	p, fx = Apply(p, ev(EventLift, "bob@x.org", t0.Add(80*time.Hour)), t0)
	if p.Status != StatusAdopted || !slices.Equal(notices(fx), []NoticeKind{NoticeAdopted}) || !p.Decided.Equal(t0.Add(80*time.Hour)) {
		t.Fatalf("last lift: %s %v", p.Status, fx)
	}
	_, fx = Apply(p, ev(EventWithdraw, "alice@x.org", t0.Add(81*time.Hour)), t0)
	if fx[0].Why != WhyDecided {
		t.Fatalf("withdraw after adoption: %v", fx)
	}
}

func TestLiftBeforeDeadlineThenAdopted(t *testing.T) {
	t.Parallel()
	p := open72h()
	p, _ = Apply(p, ev(EventObject, "bob@x.org", t0.Add(time.Hour)), t0)
	p, fx := Apply(p, ev(EventLift, "bob@x.org", t0.Add(2*time.Hour)), t0)
	if p.Status != StatusOpen || len(p.Objections) != 0 || len(notices(fx)) != 0 {
		t.Fatalf("lift while open: %s %v", p.Status, fx)
	}
	p, fx = Apply(p, Event{Kind: EventTick}, t0.Add(72*time.Hour))
	if p.Status != StatusAdopted {
		t.Fatalf("%s %v", p.Status, fx)
	}
}

func TestLateEventDecidesDeadlineFirst(t *testing.T) {
	t.Parallel()
	// The server was down over the deadline: an objection received after
	// it, processed before any tick, must not block.
	p := open72h()
	p, fx := Apply(p, ev(EventObject, "bob@x.org", t0.Add(73*time.Hour)), t0.Add(73*time.Hour))
	if p.Status != StatusAdopted || !slices.Equal(notices(fx), []NoticeKind{NoticeAdopted}) || fx[len(fx)-1].Why != WhyLate {
		t.Fatalf("late objection before tick: %s %v", p.Status, fx)
	}
}

func TestNonMembersAndNonAuthors(t *testing.T) {
	t.Parallel()
	p := open72h()
	p, fx := Apply(p, Event{Kind: EventObject, From: "eve@evil.test", At: t0.Add(time.Hour)}, t0)
	if len(p.Objections) != 0 || fx[0].Why != WhyNotMember {
		t.Fatalf("non-member objection: %v", fx)
	}
	p, fx = Apply(p, ev(EventWithdraw, "bob@x.org", t0.Add(time.Hour)), t0)
	if p.Status != StatusOpen || fx[0].Why != WhyNotAuthor {
		t.Fatalf("withdraw by non-author: %v", fx)
	}
	p, fx = Apply(p, Event{Kind: EventAmend, From: "bob@x.org", Member: true, At: t0.Add(time.Hour), Text: "x"}, t0)
	if len(p.Versions) != 1 || fx[0].Why != WhyNotAuthor {
		t.Fatalf("amend by non-author: %v", fx)
	}
}

func TestWithdraw(t *testing.T) {
	t.Parallel()
	p := open72h()
	p, fx := Apply(p, ev(EventWithdraw, "alice@x.org", t0.Add(time.Hour)), t0)
	if p.Status != StatusWithdrawn || !slices.Equal(notices(fx), []NoticeKind{NoticeWithdrawn}) {
		t.Fatalf("withdraw: %s %v", p.Status, fx)
	}
	p, fx = Apply(p, Event{Kind: EventTick}, t0.Add(100*time.Hour))
	if p.Status != StatusWithdrawn || len(fx) != 0 {
		t.Fatalf("withdrawn proposal moved: %s %v", p.Status, fx)
	}
	if _, fx := Apply(p, ev(EventObject, "bob@x.org", t0.Add(2*time.Hour)), t0); fx[0].Why != WhyDecided {
		t.Fatalf("objection to a withdrawn proposal: %v", fx)
	}
}

func TestAmendRestartsDeadline(t *testing.T) {
	t.Parallel()
	p := open72h()
	p, _ = Apply(p, Event{Kind: EventTick}, t0.Add(49*time.Hour)) // reminder sent
	at := t0.Add(50 * time.Hour)
	p, fx := Apply(p, Event{Kind: EventAmend, From: "alice@x.org", Member: true, At: at, Text: "Deux composteurs"}, at)
	if !p.Deadline.Equal(at.Add(72*time.Hour)) || len(p.Versions) != 2 || p.Reminded || fx[0].Kind != EffectAck {
		t.Fatalf("amend: deadline %v versions %d reminded %v %v", p.Deadline, len(p.Versions), p.Reminded, fx)
	}
	if w, _ := p.NextWake(); !w.Equal(at.Add(48 * time.Hour)) {
		t.Fatalf("next wake %v", w)
	}
	// Amending a blocked proposal opens it again.
	p, _ = Apply(p, ev(EventObject, "bob@x.org", at.Add(time.Hour)), at)
	p, _ = Apply(p, Event{Kind: EventTick}, at.Add(72*time.Hour))
	if p.Status != StatusBlocked {
		t.Fatal(p.Status)
	}
	p, _ = Apply(p, Event{Kind: EventAmend, From: "alice@x.org", Member: true, At: at.Add(73 * time.Hour), Text: "Trois"}, at)
	if p.Status != StatusOpen || !p.Deadline.Equal(at.Add(145*time.Hour)) || len(p.Objections) != 1 {
		t.Fatalf("amend blocked: %s %v %v", p.Status, p.Deadline, p.Objections)
	}
	if _, fx := Apply(p, Event{Kind: EventAmend, From: "alice@x.org", Member: true, At: at.Add(74 * time.Hour)}, at); fx[0].Why != WhyEmptyVersion {
		t.Fatalf("empty amendment: %v", fx)
	}
}

func TestSupportsAndRepliesAreCounted(t *testing.T) {
	t.Parallel()
	p := open72h()
	p, _ = Apply(p, ev(EventReply, "bob@x.org", t0.Add(time.Hour)), t0)
	p, _ = Apply(p, ev(EventSupport, "bob@x.org", t0.Add(time.Hour)), t0)
	p, _ = Apply(p, ev(EventSupport, "bob@x.org", t0.Add(2*time.Hour)), t0)
	p, _ = Apply(p, Event{Kind: EventReply, From: "eve@evil.test", At: t0.Add(time.Hour)}, t0)
	if len(p.Supports) != 1 || p.Replies != 1 {
		t.Fatalf("supports %v replies %d", p.Supports, p.Replies)
	}
}

func TestMinimumDeadline(t *testing.T) {
	t.Parallel()
	p := NewProposal(Draft{Received: t0, Requested: t0.Add(2 * time.Hour), Default: 72 * time.Hour, Min: 24 * time.Hour})
	if !p.DeadlineRaised || !p.Deadline.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("deadline %v raised %v", p.Deadline, p.DeadlineRaised)
	}
	// Remind_before as long as the deadline: no reminder at all.
	p = NewProposal(Draft{Received: t0, Default: 24 * time.Hour, Min: 24 * time.Hour, RemindBefore: 24 * time.Hour})
	if w, _ := p.NextWake(); !w.Equal(p.Deadline) {
		t.Fatalf("next wake %v, want the deadline", w)
	}
	if _, fx := Apply(p, Event{Kind: EventTick}, t0.Add(time.Minute)); len(fx) != 0 {
		t.Fatalf("reminder right after opening: %v", fx)
	}
}

func TestDeadlineAcrossDaylightSavingChange(t *testing.T) {
	t.Parallel()
	// Europe/Paris leaves summer time on 2026-10-25 at 03:00 → 02:00.
	start := time.Date(2026, 10, 24, 18, 0, 0, 0, paris)
	p := NewProposal(Draft{Received: start, Default: 72 * time.Hour, Min: 24 * time.Hour})
	want := time.Date(2026, 10, 27, 17, 0, 0, 0, paris) // 72 real hours, one of them "repeated"
	if !p.Deadline.Equal(want) {
		t.Fatalf("deadline %v, want %v", p.Deadline.In(paris), want)
	}
	p, _ = Apply(p, Event{Kind: EventTick}, time.Date(2026, 10, 27, 16, 59, 59, 0, paris))
	if p.Status != StatusOpen {
		t.Fatal("decided an hour early across the DST change")
	}
	p, _ = Apply(p, Event{Kind: EventTick}, want)
	if p.Status != StatusAdopted {
		t.Fatal("not decided at the deadline")
	}
}

func TestApplyDoesNotChangeItsArgument(t *testing.T) {
	t.Parallel()
	p := open72h()
	p, _ = Apply(p, ev(EventObject, "bob@x.org", t0.Add(time.Hour)), t0)
	before := p.clone()
	Apply(p, ev(EventLift, "bob@x.org", t0.Add(2*time.Hour)), t0)
	if len(p.Objections) != 1 || p.Objections[0] != before.Objections[0] {
		t.Fatal("Apply changed the proposal it was given")
	}
}
