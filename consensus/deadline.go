package consensus

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// maxDeadlineYears bounds how far a deadline may be: a group decides
// within months, and times past 2262 do not fit the store's index.
const maxDeadlineYears = 10

// ErrNoDeadline is returned by FindDeadline when the text has no deadline
// line.
var ErrNoDeadline = errors.New("consensus: no deadline line")

// ErrDeadlinePassed is wrapped by the error FindDeadline returns when the
// deadline line is read but names a moment before the message was
// received, so that the caller can tell the author.
var ErrDeadlinePassed = errors.New("consensus: this date has passed")

var (
	deadlineKey = regexp.MustCompile(`^(deadline|echeance|delai)\s*:\s*(.*)$`)
	isoDate     = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]+(\d{1,2})\s*[:h]\s*(\d{2})?)?$`)
	// durationRe reads "5d", "48h", "5 jours", "une semaine": a number in
	// figures (a space is optional) or in words (a space is needed, so
	// that "friday" is not "fri" days).
	durationRe = regexp.MustCompile(`^(?:(\d{1,4})\s*|([a-z]+)\s+)(d|j|jours?|days?|h|heures?|hours?|semaines?|weeks?|w)$`)
)

// leadPhrases may open a deadline value and add nothing to it ("avant
// vendredi" is Friday at the end of the day, like "vendredi"). The
// article flag says the phrase ends with an article, so that a day
// number alone ("jusqu'au 15") is a date.
var leadPhrases = []struct {
	words   string
	article bool
}{
	{"au plus tard", false}, {"no later than", false}, {"not later than", false},
	{"jusqu'au", true}, {"jusqu'a", false}, {"d'ici", false},
	{"avant", false}, {"pour", false}, {"by", false}, {"before", false},
	{"until", false}, {"till", false}, {"on", false}, {"due", false},
}

// trailPhrases may close a deadline value and add nothing to it.
var trailPhrases = []string{"au plus tard", "dernier delai", "at the latest"}

// durationLead may open a duration: "dans 5 jours", "in 3 days".
var durationLead = []string{"dans", "in", "sous", "within"}

var numberWords = map[string]int{
	"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
	"huit": 8, "neuf": 9, "dix": 10, "quinze": 15,
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "fifteen": 15,
}

var unitLength = map[byte]time.Duration{
	'd': 24 * time.Hour, 'j': 24 * time.Hour, 'h': time.Hour, 's': 7 * 24 * time.Hour, 'w': 7 * 24 * time.Hour,
}

// FindDeadline looks for a line "Deadline: …", "Échéance : …" or
// "Délai : …" in text and reads its value, in the timezone loc and
// relative to received:
//
//   - a date: RFC 3339, "2026-12-01 18:00", "01/12/2026", "01/12/2026 18h",
//     "01/12/2026 à 18h30", "1er décembre 2026 à 18h", "December 1, 2026";
//   - a date without a year, which is the next such date: "15 décembre",
//     "December 15th", "15/12" (day first, always), "le 15" (the next
//     month that has a 15th);
//   - a day in words: "vendredi", "lundi prochain", "next Monday" (the
//     next one strictly after the day of received), "demain",
//     "après-demain", "tomorrow", "ce soir", "fin du mois";
//   - any of these followed by a time: "18h", "18h30", "à 18h", "18:00",
//     "6pm", "soir"/"evening" (20:00), "midi"/"noon" and "matin"/"morning"
//     (12:00), "minuit"/"midnight" (23:59); a date without a time means
//     23:59 that day;
//   - a duration from received: "5d", "48h", "5 jours", "3 days",
//     "une semaine", "dans 5 jours", "in 1 week" (days and weeks are
//     calendar days in loc).
//
// The value may start with "le", "avant (le)", "jusqu'au", "d'ici (le)",
// "au plus tard (le)", "by", "before", "until", "no later than", "on",
// and end with a period or a comma. FindDeadline returns the deadline and
// the line as written; ErrNoDeadline when there is no such line; another
// error, in plain words, when the line cannot be read or is more than ten
// years away. A deadline before received is an error that wraps
// ErrDeadlinePassed; only then is the first result set along with the
// error: the moment that was understood, for the message to the author.
func FindDeadline(text string, received time.Time, loc *time.Location) (time.Time, string, error) {
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		m := deadlineKey.FindStringSubmatch(Normalize(line))
		if m == nil {
			continue
		}
		written := strings.TrimSpace(line)
		value := writtenValue(line)
		at, err := parseDeadlineValue(m[2], received, loc)
		switch {
		case err != nil:
			err = fmt.Errorf("consensus: the deadline %q was not understood: %w", value, err)
		case at.Before(received):
			// The date read goes back with the error, so that the
			// caller can tell the author what was understood.
			return at, written, fmt.Errorf("%w: the deadline %q means %s", ErrDeadlinePassed, value, spellTime(at, loc))
		case at.After(received.AddDate(maxDeadlineYears, 0, 0)):
			err = fmt.Errorf("consensus: the deadline %q is more than %d years away", value, maxDeadlineYears)
		}
		if err != nil {
			return time.Time{}, written, err
		}
		return at, written, nil
	}
	return time.Time{}, "", ErrNoDeadline
}

// writtenValue returns what follows the colon of a deadline line, with
// the author's accents and case, for error messages.
func writtenValue(line string) string {
	if i := strings.IndexByte(line, ':'); i >= 0 {
		line = line[i+1:]
	}
	return strings.Join(strings.Fields(fold.Replace(line)), " ")
}

// spellTime writes t in loc for an error message.
func spellTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Monday 2 January 2006 at 15:04 (MST)")
}

// parseDeadlineValue reads a normalised deadline value.
func parseDeadlineValue(v string, received time.Time, loc *time.Location) (time.Time, error) {
	v, article := trimDeadlineWords(v)
	if v == "" {
		return time.Time{}, errors.New("no date after the colon")
	}
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(v)); err == nil {
		return t, nil
	}
	if m := isoDate.FindStringSubmatch(v); m != nil {
		return localDate(m[3], m[2], m[1], m[4], m[5], loc)
	}
	if t, ok, err := readDuration(v, received, loc); ok {
		return t, err
	}
	return readEveryday(v, article, received, loc)
}

// trimDeadlineWords removes the trailing punctuation and the words that
// add nothing around a deadline value; article says the value was
// introduced by "le", "the" or "jusqu'au".
func trimDeadlineWords(v string) (string, bool) {
	v = strings.TrimRight(v, ".,;! ")
	for _, p := range trailPhrases {
		if s, ok := strings.CutSuffix(v, " "+p); ok {
			v = strings.TrimRight(s, ".,;! ")
			break
		}
	}
	article := false
	for _, p := range leadPhrases {
		if s, ok := strings.CutPrefix(v, p.words+" "); ok {
			v, article = s, p.article
			break
		}
	}
	for _, a := range []string{"le ", "the "} {
		if s, ok := strings.CutPrefix(v, a); ok {
			v, article = s, true
			break
		}
	}
	return v, article
}

// readDuration reads a duration from received; ok is false when v is not
// written as a duration.
func readDuration(v string, received time.Time, loc *time.Location) (t time.Time, ok bool, err error) {
	for _, p := range durationLead {
		if s, found := strings.CutPrefix(v, p+" "); found {
			v = s
			break
		}
	}
	m := durationRe.FindStringSubmatch(v)
	if m == nil {
		return time.Time{}, false, nil
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		w, known := numberWords[m[2]]
		if !known {
			return time.Time{}, true, fmt.Errorf("%q is not a number", m[2])
		}
		n = w
	}
	unit := unitLength[m[3][0]]
	if unit >= 24*time.Hour {
		// Days and weeks are calendar days in the list's timezone:
		// "5 jours" ends at the same hour on the clock, across a
		// change to or from summer time.
		days := n * int(unit/(24*time.Hour))
		return received.In(loc).AddDate(0, 0, days), true, nil
	}
	return received.Add(time.Duration(n) * unit), true, nil
}

// localDate builds a time in loc from text fields; no hour means 23:59.
func localDate(day, month, year, hour, minute string, loc *time.Location) (time.Time, error) {
	d, _ := strconv.Atoi(day)
	mo, _ := strconv.Atoi(month)
	y, _ := strconv.Atoi(year)
	c := clock{h: 23, m: 59}
	if hour != "" {
		c.h, _ = strconv.Atoi(hour)
		c.m, _ = strconv.Atoi(minute)
		if err := c.check(); err != nil {
			return time.Time{}, err
		}
	}
	day0, err := calendarDate(y, mo, d)
	if err != nil {
		return time.Time{}, err
	}
	return c.on(day0, loc)
}
