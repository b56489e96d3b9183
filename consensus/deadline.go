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

var (
	deadlineKey = regexp.MustCompile(`^(deadline|echeance|delai)\s*:\s*(.*)$`)
	isoDate     = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]+(\d{1,2})\s*[:h]\s*(\d{2})?)?$`)
	frDate      = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s*(?:a\s+)?(\d{1,2})\s*[:h]\s*(\d{2})?)?$`)
	durationRe  = regexp.MustCompile(`^(\d{1,4}|[a-z]+)\s*(d|j|jours?|days?|h|heures?|hours?|semaines?|weeks?|w)$`)
	// wordDate reads "1er decembre 2026", "1 december 2026 a 18h",
	// "december 1, 2026 18:00" (normalised: no accents, lower case).
	wordDate = regexp.MustCompile(`^(?:(\d{1,2})(?:er|st|nd|rd|th)?\s+([a-z]+)|([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?,?)\s+(\d{4})(?:,?\s*(?:a|at)?\s*(\d{1,2})\s*[:h]\s*(\d{2})?)?$`)
	weekday  = regexp.MustCompile(`^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s+`)
)

var monthNames = map[string]int{
	"janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
	"septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
	"september": 9, "october": 10, "november": 11, "december": 12,
}

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
// "Délai : …" in text and reads its value: an RFC 3339 date, a date in
// loc written "2026-12-01 18:00", "01/12/2026", "01/12/2026 18h" or
// "01/12/2026 à 18h30", or in words "1er décembre 2026 à 18h" (a date
// without a time means 23:59 that day), or a duration from received
// (days and weeks counted on the calendar of loc, "dans" or "in" allowed) ("5d", "48h", "5 jours", "3 days", "une semaine",
// "1 week"). It returns the deadline and the line as written;
// ErrNoDeadline when there is no such line, another error when the line
// cannot be read.
func FindDeadline(text string, received time.Time, loc *time.Location) (time.Time, string, error) {
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		m := deadlineKey.FindStringSubmatch(Normalize(line))
		if m == nil {
			continue
		}
		at, err := parseDeadlineValue(strings.TrimRight(m[2], ". "), received, loc)
		if err == nil && at.After(received.AddDate(maxDeadlineYears, 0, 0)) {
			err = fmt.Errorf("consensus: the deadline %q is more than %d years away", m[2], maxDeadlineYears)
		}
		if err != nil {
			return time.Time{}, strings.TrimSpace(line), err
		}
		return at, strings.TrimSpace(line), nil
	}
	return time.Time{}, "", ErrNoDeadline
}

// parseDeadlineValue reads a normalised deadline value.
func parseDeadlineValue(v string, received time.Time, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(v)); err == nil {
		return t, nil
	}
	if m := isoDate.FindStringSubmatch(v); m != nil {
		return localDate(m[3], m[2], m[1], m[4], m[5], loc, v)
	}
	if m := frDate.FindStringSubmatch(v); m != nil {
		return localDate(m[1], m[2], m[3], m[4], m[5], loc, v)
	}
	if m := wordDate.FindStringSubmatch(weekday.ReplaceAllString(v, "")); m != nil {
		day, month := m[1], m[2]
		if day == "" {
			day, month = m[4], m[3]
		}
		mo, ok := monthNames[month]
		if !ok {
			return time.Time{}, fmt.Errorf("consensus: unknown month %q in deadline %q", month, v)
		}
		return localDate(day, strconv.Itoa(mo), m[5], m[6], m[7], loc, v)
	}
	v = strings.TrimPrefix(strings.TrimPrefix(v, "dans "), "in ")
	if m := durationRe.FindStringSubmatch(v); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			w, ok := numberWords[m[1]]
			if !ok {
				return time.Time{}, fmt.Errorf("consensus: cannot read the number in deadline %q", v)
			}
			n = w
		}
		unit := unitLength[m[2][0]]
		if unit >= 24*time.Hour {
			// Days and weeks are calendar days in the list's timezone:
			// "5 jours" ends at the same hour on the clock, across a
			// change to or from summer time.
			days := n * int(unit/(24*time.Hour))
			return received.In(loc).AddDate(0, 0, days), nil
		}
		return received.Add(time.Duration(n) * unit), nil
	}
	return time.Time{}, fmt.Errorf("consensus: cannot read the deadline %q", v)
}

// localDate builds a time in loc from text fields; no hour means 23:59.
func localDate(day, month, year, hour, minute string, loc *time.Location, v string) (time.Time, error) {
	d, _ := strconv.Atoi(day)
	mo, _ := strconv.Atoi(month)
	y, _ := strconv.Atoi(year)
	h, mi := 23, 59
	if hour != "" {
		h, _ = strconv.Atoi(hour)
		mi, _ = strconv.Atoi(minute)
	}
	t := time.Date(y, time.Month(mo), d, h, mi, 0, 0, loc)
	if t.Day() != d || int(t.Month()) != mo || h > 23 || mi > 59 {
		return time.Time{}, fmt.Errorf("consensus: no such date or time in deadline %q", v)
	}
	return t, nil
}
