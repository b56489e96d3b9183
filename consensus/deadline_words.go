package consensus

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// This file reads deadlines in everyday words (docs/decisions.md):
// "vendredi 18h", "demain soir", "le 15", "15/12", "next Monday",
// "December 15th 6pm". Values are normalised (lower case, no accents)
// and stripped of the words that add nothing (deadline.go).

const weekdayWords = `(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|` +
	`monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu|thurs?|fri|sat|sun)\.?`

var (
	// clockRe finds a time of day at the end of a value: "18h", "18h30",
	// "18 heures", "à 18h", "18:00", "6pm", "6:30 p.m.", "soir", "at noon".
	clockRe = regexp.MustCompile(`(?:^|[\s,]+)(?:(?:a|at)\s+)?(?:` +
		`(\d{1,2})\s*(?:h|heures?)\s*(\d{2})?|(\d{1,2})\s*:\s*(\d{2})|` +
		`(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.?|p\.m\.?)|` +
		`(soir|evening|midi|noon|matin|morning|minuit|midnight))$`)
	weekdayOnly = regexp.MustCompile(`^(?:next\s+)?` + weekdayWords + `(?:\s+(?:prochaine?|next))?$`)
	weekdayDate = regexp.MustCompile(`^` + weekdayWords + `,?\s+(.+)$`)
	dayMonth    = regexp.MustCompile(`^(\d{1,2})(?:er|eme|e|st|nd|rd|th)?\s+([a-z]+)\.?(?:\s+(\d{4}))?$`)
	monthDay    = regexp.MustCompile(`^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$`)
	isoDay      = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)
	numericDate = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?$`)
	dayOnly     = regexp.MustCompile(`^(\d{1,2})(er|eme|e|st|nd|rd|th)?$`)
)

var weekdays = map[string]time.Weekday{
	"lundi": time.Monday, "mardi": time.Tuesday, "mercredi": time.Wednesday, "jeudi": time.Thursday,
	"vendredi": time.Friday, "samedi": time.Saturday, "dimanche": time.Sunday,
	"monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday, "thursday": time.Thursday,
	"friday": time.Friday, "saturday": time.Saturday, "sunday": time.Sunday,
	"mon": time.Monday, "tue": time.Tuesday, "tues": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "fri": time.Friday,
	"sat": time.Saturday, "sun": time.Sunday,
}

var monthNames = map[string]time.Month{
	"janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
	"septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
	"september": 9, "october": 10, "november": 11, "december": 12,
	"janv": 1, "jan": 1, "fevr": 2, "fev": 2, "feb": 2, "mar": 3, "avr": 4, "apr": 4, "jun": 6,
	"juil": 7, "jul": 7, "aug": 8, "sept": 9, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

// relativeDays are days counted from the day the message was received.
var relativeDays = map[string]int{
	"aujourd'hui": 0, "today": 0,
	"demain": 1, "tomorrow": 1,
	"apres-demain": 2, "apres demain": 2, "day after tomorrow": 2,
}

// monthEnd names the last day of the month the message was received in.
var monthEnd = map[string]bool{
	"fin du mois": true, "la fin du mois": true, "fin de mois": true,
	"end of the month": true, "end of month": true, "the end of the month": true,
}

// clockWords are the times of day said in words. "matin"/"morning" is
// read as noon, the end of the morning.
var clockWords = map[string]clock{
	"soir": {h: 20}, "evening": {h: 20},
	"midi": {h: 12}, "noon": {h: 12}, "matin": {h: 12}, "morning": {h: 12},
	"minuit": {h: 23, m: 59}, "midnight": {h: 23, m: 59},
}

// errWhat is the plain explanation of a value nobody could read.
var errWhat = errors.New(`expected a day such as "vendredi", "demain", "15 décembre", "15/12" or "le 15", ` +
	`a full date such as "01/12/2026 18h", or a duration such as "5 jours"`)

// clock is a time of day; set says it was written, word that it was
// written in words ("soir").
type clock struct {
	h, m      int
	set, word bool
}

// check says whether the clock is a time of day.
func (c clock) check() error {
	if c.h > 23 {
		return fmt.Errorf("there is no hour %d in a day (0h to 23h59)", c.h)
	}
	if c.m > 59 {
		return fmt.Errorf("there is no minute %d in an hour", c.m)
	}
	return nil
}

// on returns the clock's time on day (a date at midnight UTC) in loc, or
// an error when the clocks skip it that day. When the clocks go back and
// the time happens twice, it is the later one.
func (c clock) on(day time.Time, loc *time.Location) (time.Time, error) {
	t := time.Date(day.Year(), day.Month(), day.Day(), c.h, c.m, 0, 0, loc)
	same := func(u time.Time) bool { return u.Day() == day.Day() && u.Hour() == c.h && u.Minute() == c.m }
	if !same(t) {
		return time.Time{}, fmt.Errorf("%02d:%02d does not exist on %s in %s: the clocks change that night",
			c.h, c.m, day.Format("2 January 2006"), loc)
	}
	wall := time.Date(day.Year(), day.Month(), day.Day(), c.h, c.m, 0, 0, time.UTC)
	for _, probe := range []time.Duration{-12 * time.Hour, 12 * time.Hour} {
		_, off := t.Add(probe).Zone()
		if u := wall.Add(-time.Duration(off) * time.Second).In(loc); u.After(t) && same(u) {
			t = u
		}
	}
	return t, nil
}

// readClock reads a match of clockRe.
func readClock(m []string) (clock, error) {
	var c clock
	switch {
	case m[1] != "":
		c.h, _ = strconv.Atoi(m[1])
		c.m, _ = strconv.Atoi(m[2])
	case m[3] != "":
		c.h, _ = strconv.Atoi(m[3])
		c.m, _ = strconv.Atoi(m[4])
	case m[5] != "":
		c.h, _ = strconv.Atoi(m[5])
		c.m, _ = strconv.Atoi(m[6])
		if c.h < 1 || c.h > 12 {
			return clock{}, fmt.Errorf("there is no %d o'clock with am or pm (1 to 12)", c.h)
		}
		if c.h == 12 {
			c.h = 0
		}
		if m[7][0] == 'p' {
			c.h += 12
		}
	default:
		c = clockWords[m[8]]
		c.word = true
	}
	c.set = true
	return c, c.check()
}

// readEveryday reads a day in words or a date, then an optional time of
// day; article says a day number alone is a date ("le 15").
func readEveryday(v string, article bool, received time.Time, loc *time.Location) (time.Time, error) {
	r := received.In(loc)
	today := time.Date(r.Year(), r.Month(), r.Day(), 0, 0, 0, 0, time.UTC)
	day, c := v, clock{h: 23, m: 59}
	if ix := clockRe.FindStringSubmatchIndex(v); ix != nil {
		m := make([]string, len(ix)/2)
		for i := range m {
			if ix[2*i] >= 0 {
				m[i] = v[ix[2*i]:ix[2*i+1]]
			}
		}
		var err error
		if c, err = readClock(m); err != nil {
			return time.Time{}, err
		}
		day = v[:ix[0]]
	}
	if day == "" {
		return time.Time{}, errors.New("a time of day without a day: write which day, as in \"vendredi 18h\"")
	}
	var date time.Time
	var err error
	switch {
	case day == "ce" || day == "this":
		if !c.word {
			return time.Time{}, fmt.Errorf("%q needs \"soir\", \"midi\" or \"matin\" after it", day)
		}
		date = today
	case day == "tonight":
		if c.set {
			return time.Time{}, errors.New(`"tonight" already says 20:00`)
		}
		date, c = today, clock{h: 20, set: true}
	case monthEnd[day]:
		date = time.Date(today.Year(), today.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	default:
		if n, ok := relativeDays[day]; ok {
			date = today.AddDate(0, 0, n)
		} else if date, err = readDay(day, article, today); err != nil {
			return time.Time{}, err
		}
	}
	return c.on(date, loc)
}

// readDay reads a weekday, a weekday and a date, or a date, as a date at
// midnight UTC; today is the day the message was received.
func readDay(s string, article bool, today time.Time) (time.Time, error) {
	if m := weekdayOnly.FindStringSubmatch(s); m != nil {
		n := (int(weekdays[m[1]]) - int(today.Weekday()) + 7) % 7
		if n == 0 {
			n = 7 // strictly after today: "vendredi" sent on a Friday is next week's
		}
		return today.AddDate(0, 0, n), nil
	}
	if m := weekdayDate.FindStringSubmatch(s); m != nil {
		date, err := readDate(m[2], true, today)
		if err != nil {
			return time.Time{}, err
		}
		if want := weekdays[m[1]]; date.Weekday() != want {
			return time.Time{}, fmt.Errorf("%s is a %s, not a %s", date.Format("2 January 2006"), date.Weekday(), want)
		}
		return date, nil
	}
	return readDate(s, article, today)
}

// readDate reads a date with or without a year: "15 decembre",
// "december 15th, 2026", "15/12", "01/12/2026", "15" (only after an
// article or with an ordinal suffix). A date without a year is the next
// one from today, today included.
func readDate(s string, article bool, today time.Time) (time.Time, error) {
	var day, year, mo string
	var month time.Month
	if m := dayMonth.FindStringSubmatch(s); m != nil {
		day, mo, year = m[1], m[2], m[3]
	} else if m := monthDay.FindStringSubmatch(s); m != nil {
		day, mo, year = m[2], m[1], m[3]
	} else if m := isoDay.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		return calendarDate(y, n, d)
	} else if m := numericDate.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[2])
		if n < 1 || n > 12 {
			return time.Time{}, fmt.Errorf("there is no month %d: dates are written day first, as 15/12 for 15 December", n)
		}
		day, month, year = m[1], time.Month(n), m[3]
	} else if m := dayOnly.FindStringSubmatch(s); m != nil && (article || m[2] != "") {
		d, _ := strconv.Atoi(m[1])
		return nextDayNumber(today, d)
	} else {
		return time.Time{}, errWhat
	}
	if mo != "" {
		var ok bool
		if month, ok = monthNames[mo]; !ok {
			return time.Time{}, fmt.Errorf("%q is not a month", mo)
		}
	}
	d, _ := strconv.Atoi(day)
	if year != "" {
		y, _ := strconv.Atoi(year)
		if len(year) == 2 {
			y += 2000
		}
		return calendarDate(y, int(month), d)
	}
	y := today.Year()
	if month < today.Month() || month == today.Month() && d < today.Day() {
		y++
	}
	return calendarDate(y, int(month), d)
}

// calendarDate returns the date at midnight UTC, or an error naming the
// day that does not exist.
func calendarDate(y, month, d int) (time.Time, error) {
	if month < 1 || month > 12 {
		return time.Time{}, fmt.Errorf("there is no month %d", month)
	}
	t := time.Date(y, time.Month(month), d, 0, 0, 0, 0, time.UTC)
	if d < 1 || t.Day() != d {
		if leap := time.Date(2000, time.Month(month), d, 0, 0, 0, 0, time.UTC); d >= 1 && leap.Day() == d {
			return time.Time{}, fmt.Errorf("there is no %d %s in %d", d, time.Month(month), y)
		}
		return time.Time{}, fmt.Errorf("there is no %d %s", d, time.Month(month))
	}
	return t, nil
}

// nextDayNumber returns the next date from today, today included, whose
// day of the month is d, skipping the months that have no such day.
func nextDayNumber(today time.Time, d int) (time.Time, error) {
	if d < 1 || d > 31 {
		return time.Time{}, fmt.Errorf("no month has a day %d", d)
	}
	for i := range 12 {
		first := time.Date(today.Year(), today.Month()+time.Month(i), 1, 0, 0, 0, 0, time.UTC)
		t := first.AddDate(0, 0, d-1)
		if t.Month() == first.Month() && !t.Before(today) {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("no month has a day %d", d) // not reached: every other month has 31 days
}
