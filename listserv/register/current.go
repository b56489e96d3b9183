package register

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"tacit/consensus"
)

// An amended proposal is one proposal everywhere: every output of the
// register shows its current text and deadline, marks it amended, and
// says when it changed and how. The helpers here are what every format
// shares.

// deadline returns the deadline that applies to p now: p.Deadline, which
// the engine keeps current through amendments, else the current
// version's.
func deadline(p consensus.Proposal) time.Time {
	if !p.Deadline.IsZero() {
		return p.Deadline
	}
	return p.Current().Deadline
}

// versions returns p's versions, oldest first, the last being the
// current one, with the deadline that applies now; nil when p has
// none.
func versions(p consensus.Proposal) []consensus.Version {
	vs := slices.Clone(p.Versions)
	if n := len(vs); n > 0 {
		if d := deadline(p); !d.IsZero() {
			vs[n-1].Deadline = d
		}
	}
	return vs
}

// amendment says when and how an amended proposal last changed.
type amendment struct {
	// At is when the current version was received; Count how many
	// amendments there were.
	At    time.Time
	Count int
	// From is the deadline before the last amendment, To the one now.
	From, To time.Time
}

// amendmentOf returns the last amendment of p; false when p was never
// amended.
func amendmentOf(p consensus.Proposal) (amendment, bool) {
	if !p.Amended() {
		return amendment{}, false
	}
	n := len(p.Versions)
	return amendment{At: p.Versions[n-1].At, Count: n - 1, From: p.Versions[n-2].Deadline, To: deadline(p)}, true
}

// amendedAt returns when p was last amended; zero when never.
func amendedAt(p consensus.Proposal) time.Time {
	a, _ := amendmentOf(p)
	return a.At
}

// amended writes when and how p last changed, in words, dates in loc
// (long with the weekday): "amendée le 30 novembre 2026 à 9 h 30 :
// échéance déplacée du 1er décembre 2026 à 11 h au 5 décembre 2026 à
// 9 h 30". "" when p was never amended.
func (w *words) amended(p consensus.Proposal, loc *time.Location, long bool) string {
	a, ok := amendmentOf(p)
	if !ok {
		return ""
	}
	when := func(t time.Time) string {
		if long {
			return w.longDate(t, loc)
		}
		return w.shortDate(t, loc)
	}
	s := fmt.Sprintf(w.AmendedOn, when(a.At))
	if a.Count > 1 {
		s = fmt.Sprintf(w.AmendedTimes, a.Count, when(a.At))
	}
	switch {
	case a.From.IsZero() || a.To.IsZero():
		return s
	case a.From.Equal(a.To):
		return s + w.Colon + w.DeadlineKept
	}
	return s + w.Colon + fmt.Sprintf(w.DeadlineMoved, when(a.From), when(a.To))
}

// count writes n with the word of forms: none, one or several.
func count(forms [3]string, n int) string {
	switch {
	case n <= 0:
		return forms[0]
	case n == 1:
		return fmt.Sprintf(forms[1], n)
	}
	return fmt.Sprintf(forms[2], n)
}

// participation says how many members took a position on p: "3
// réponses : 2 soutiens, 1 objection, 1 réponse sans position : lisez-les
// avant d'agir". It counts; it never names the members who said
// nothing.
func (w *words) participation(p consensus.Proposal) string {
	if p.Replies <= 0 && len(p.Supports) == 0 && len(p.Objections) == 0 && p.Unpositioned <= 0 {
		return count(w.RepliesN, 0)
	}
	parts := []string{count(w.SupportsN, len(p.Supports)), count(w.ObjectionsN, len(p.Objections))}
	if p.Unpositioned > 0 {
		parts = append(parts, count(w.UnpositionedN, p.Unpositioned)+w.Colon+w.ReadThem)
	}
	return count(w.RepliesN, p.Replies) + w.Colon + strings.Join(parts, ", ")
}
