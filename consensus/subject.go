package consensus

import (
	"regexp"
	"strconv"
	"strings"
)

// Subject is what the grammar reads in a Subject line.
type Subject struct {
	// Reply is true when the subject starts with a reply or forward
	// marker (Re:, RE :, AW:, Réf :, TR:, Fwd:, …).
	Reply bool
	// Proposal is true when, after the list prefix, the subject starts
	// with [PROPOSAL], [PROPOSITION] or [PROP], without a number.
	Proposal bool
	// Number is the N of a "#N" in the subject, 0 if none.
	Number int
	// Title is the subject without list prefix, markers and tags.
	Title string
}

var (
	replyMarker = regexp.MustCompile(`(?i)^\s*(re|aw|sv|vs|ref|réf|tr|fw|fwd|wg|rif|antw)\s*(\[\d+\])?\s*:\s*`)
	proposalTag = regexp.MustCompile(`(?i)^\s*\[\s*(proposal|proposition|prop)(\s*#\s*(\d+))?\s*\]\s*`)
	outcomeTag  = regexp.MustCompile(`(?i)^\s*\[\s*(adopt[ée]e?|adopted|bloqu[ée]e|blocked|retir[ée]e|withdrawn|rappel|reminder)\s*#\s*(\d+)\s*\]\s*`)
	numberRef   = regexp.MustCompile(`#(\d{1,9})\b`)
)

// ParseSubject reads a Subject (already decoded from RFC 2047) for list
// listName (the local part, as in the "[name]" prefix).
func ParseSubject(subject, listName string) Subject {
	var s Subject
	rest := strings.TrimSpace(subject)
	prefix := regexp.MustCompile(`(?i)^\s*\[` + regexp.QuoteMeta(listName) + `\]\s*`)
	for stripped := true; stripped; {
		stripped = false
		if m := prefix.FindString(rest); m != "" {
			rest, stripped = rest[len(m):], true
		}
		if m := replyMarker.FindString(rest); m != "" {
			rest, stripped, s.Reply = rest[len(m):], true, true
		}
	}
	if m := proposalTag.FindStringSubmatch(rest); m != nil {
		if m[3] == "" {
			s.Proposal = !s.Reply
		} else {
			s.Number, _ = strconv.Atoi(m[3])
		}
		rest = rest[len(m[0]):]
	} else if m := outcomeTag.FindStringSubmatch(rest); m != nil {
		s.Number, _ = strconv.Atoi(m[2])
		rest = rest[len(m[0]):]
	}
	if s.Number == 0 {
		if m := numberRef.FindStringSubmatch(rest); m != nil {
			s.Number, _ = strconv.Atoi(m[1])
		}
	}
	s.Title = strings.TrimSpace(rest)
	return s
}
