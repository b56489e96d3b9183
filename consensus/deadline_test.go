package consensus

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Reference days, in Europe/Paris, 2026 unless said.
var (
	tue24Nov = time.Date(2026, 11, 24, 10, 0, 0, 0, paris) // a Tuesday
	mon30Nov = time.Date(2026, 11, 30, 10, 0, 0, 0, paris) // last day of November
	thu31Dec = time.Date(2026, 12, 31, 10, 0, 0, 0, paris) // last day of the year
	fri27Nov = time.Date(2026, 11, 27, 9, 0, 0, 0, paris)  // a Friday
	fri23Oct = time.Date(2026, 10, 23, 10, 0, 0, 0, paris) // summer time ends on Sunday 25
	sat28Mar = time.Date(2026, 3, 28, 10, 0, 0, 0, paris)  // summer time starts on Sunday 29
	fri10Apr = time.Date(2026, 4, 10, 10, 0, 0, 0, paris)  // April has no 31st
	sun20Dec = time.Date(2026, 12, 20, 10, 0, 0, 0, paris) // after the 15th of December
)

// at is a moment in Paris in 2026.
func at(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, paris)
}

func TestDeadlineInWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line     string
		received time.Time
		want     time.Time
	}{
		// French, from Tuesday 24 November.
		{"Échéance : vendredi", tue24Nov, at(11, 27, 23, 59)},
		{"Échéance : vendredi 18h", tue24Nov, at(11, 27, 18, 0)},
		{"Échéance : vendredi 18h30", tue24Nov, at(11, 27, 18, 30)},
		{"Échéance : vendredi à 18h", tue24Nov, at(11, 27, 18, 0)},
		{"Échéance : vendredi 18 heures", tue24Nov, at(11, 27, 18, 0)},
		{"Échéance : Vendredi, 18h00.", tue24Nov, at(11, 27, 18, 0)},
		{"Échéance : VENDREDI SOIR", tue24Nov, at(11, 27, 20, 0)},
		{"Échéance : vendredi midi", tue24Nov, at(11, 27, 12, 0)},
		{"Échéance : vendredi matin", tue24Nov, at(11, 27, 12, 0)},
		{"Échéance : vendredi à minuit", tue24Nov, at(11, 27, 23, 59)},
		{"Échéance : lundi prochain", tue24Nov, at(11, 30, 23, 59)},
		{"Échéance : lundi prochain à 9h", tue24Nov, at(11, 30, 9, 0)},
		{"Échéance : mardi", tue24Nov, at(12, 1, 23, 59)},
		{"Échéance : demain", tue24Nov, at(11, 25, 23, 59)},
		{"Échéance : demain soir", tue24Nov, at(11, 25, 20, 0)},
		{"Échéance : demain 18h", tue24Nov, at(11, 25, 18, 0)},
		{"Échéance : après-demain", tue24Nov, at(11, 26, 23, 59)},
		{"Échéance : après demain midi", tue24Nov, at(11, 26, 12, 0)},
		{"Échéance : ce soir", tue24Nov, at(11, 24, 20, 0)},
		{"Échéance : aujourd\u2019hui", tue24Nov, at(11, 24, 23, 59)},
		{"Échéance : 15 décembre", tue24Nov, at(12, 15, 23, 59)},
		{"Échéance : 15 décembre 18h", tue24Nov, at(12, 15, 18, 0)},
		{"Échéance : le 15 décembre", tue24Nov, at(12, 15, 23, 59)},
		{"Échéance : 15 déc. à 18h", tue24Nov, at(12, 15, 18, 0)},
		{"Échéance : 1er décembre", tue24Nov, at(12, 1, 23, 59)},
		{"Échéance : 15/12", tue24Nov, at(12, 15, 23, 59)},
		{"Échéance : 15/12 18h", tue24Nov, at(12, 15, 18, 0)},
		{"Échéance : 01/12/26", tue24Nov, at(12, 1, 23, 59)},
		{"Échéance : le 15", tue24Nov, at(12, 15, 23, 59)},
		{"Échéance : le 24", tue24Nov, at(11, 24, 23, 59)},
		{"Échéance : le 30 à 18h", tue24Nov, at(11, 30, 18, 0)},
		{"Échéance : fin du mois", tue24Nov, at(11, 30, 23, 59)},
		{"Échéance : Vendredi 4 décembre", tue24Nov, at(12, 4, 23, 59)},
		{"Échéance : 2026-12-01 à 18h", tue24Nov, at(12, 1, 18, 0)},
		{"Délai\u00a0: vendredi\u202f18h", tue24Nov, at(11, 27, 18, 0)},
		// Words that add nothing.
		{"Échéance : avant vendredi", tue24Nov, at(11, 27, 23, 59)},
		{"Échéance : avant le 15 décembre", tue24Nov, at(12, 15, 23, 59)},
		{"Échéance : jusqu\u2019au 15", tue24Nov, at(12, 15, 23, 59)},
		{"Échéance : jusqu'à vendredi", tue24Nov, at(11, 27, 23, 59)},
		{"Échéance : d'ici vendredi 18h", tue24Nov, at(11, 27, 18, 0)},
		{"Échéance : d'ici le 15/12", tue24Nov, at(12, 15, 23, 59)},
		{"Échéance : d'ici la fin du mois", tue24Nov, at(11, 30, 23, 59)},
		{"Échéance : au plus tard le 15 décembre,", tue24Nov, at(12, 15, 23, 59)},
		{"Échéance : au plus tard vendredi", tue24Nov, at(11, 27, 23, 59)},
		{"Échéance : vendredi au plus tard.", tue24Nov, at(11, 27, 23, 59)},
		{"Échéance : avant le 01/12/2026 à 18h", tue24Nov, at(12, 1, 18, 0)},
		{"Délai : d'ici 5 jours", tue24Nov, at(11, 29, 10, 0)},
		{"Délai : 0 jours", tue24Nov, tue24Nov}, // not passed: min_deadline raises it
		// English.
		{"Deadline: Friday", tue24Nov, at(11, 27, 23, 59)},
		{"Deadline: Friday 6pm", tue24Nov, at(11, 27, 18, 0)},
		{"Deadline: Friday 6:30 p.m.", tue24Nov, at(11, 27, 18, 30)},
		{"Deadline: Friday 18:00", tue24Nov, at(11, 27, 18, 0)},
		{"Deadline: Friday evening", tue24Nov, at(11, 27, 20, 0)},
		{"Deadline: Friday at noon", tue24Nov, at(11, 27, 12, 0)},
		{"Deadline: Friday 12am", tue24Nov, at(11, 27, 0, 0)},
		{"Deadline: next Monday", tue24Nov, at(11, 30, 23, 59)},
		{"Deadline: tomorrow", tue24Nov, at(11, 25, 23, 59)},
		{"Deadline: tomorrow 6pm", tue24Nov, at(11, 25, 18, 0)},
		{"Deadline: the day after tomorrow", tue24Nov, at(11, 26, 23, 59)},
		{"Deadline: tonight", tue24Nov, at(11, 24, 20, 0)},
		{"Deadline: December 15", tue24Nov, at(12, 15, 23, 59)},
		{"Deadline: 15 December", tue24Nov, at(12, 15, 23, 59)},
		{"Deadline: Dec 15", tue24Nov, at(12, 15, 23, 59)},
		{"Deadline: December 15th, 6pm", tue24Nov, at(12, 15, 18, 0)},
		{"Deadline: Fri, Dec 4", tue24Nov, at(12, 4, 23, 59)},
		{"Deadline: by Friday", tue24Nov, at(11, 27, 23, 59)},
		{"Deadline: before December 15", tue24Nov, at(12, 15, 23, 59)},
		{"Deadline: until Friday", tue24Nov, at(11, 27, 23, 59)},
		{"Deadline: no later than Dec 15.", tue24Nov, at(12, 15, 23, 59)},
		{"Deadline: on Friday at 6pm", tue24Nov, at(11, 27, 18, 0)},
		{"Deadline: by the 15th", tue24Nov, at(12, 15, 23, 59)},
		{"Deadline: end of the month", tue24Nov, at(11, 30, 23, 59)},
		{"Deadline: Friday at the latest", tue24Nov, at(11, 27, 23, 59)},
		// Across the end of a month.
		{"Échéance : demain", mon30Nov, at(12, 1, 23, 59)},
		{"Échéance : vendredi", mon30Nov, at(12, 4, 23, 59)},
		{"Échéance : le 1er", mon30Nov, at(12, 1, 23, 59)},
		{"Échéance : le 30", mon30Nov, at(11, 30, 23, 59)},
		{"Échéance : fin du mois", mon30Nov, at(11, 30, 23, 59)},
		// Across the end of a year.
		{"Échéance : lundi", thu31Dec, time.Date(2027, 1, 4, 23, 59, 0, 0, paris)},
		{"Échéance : demain", thu31Dec, time.Date(2027, 1, 1, 23, 59, 0, 0, paris)},
		{"Échéance : 15 janvier", thu31Dec, time.Date(2027, 1, 15, 23, 59, 0, 0, paris)},
		{"Échéance : le 2", thu31Dec, time.Date(2027, 1, 2, 23, 59, 0, 0, paris)},
		{"Échéance : 15/12", sun20Dec, time.Date(2027, 12, 15, 23, 59, 0, 0, paris)},
		{"Échéance : 15 décembre", sun20Dec, time.Date(2027, 12, 15, 23, 59, 0, 0, paris)},
		{"Deadline: December 15", sun20Dec, time.Date(2027, 12, 15, 23, 59, 0, 0, paris)},
		{"Échéance : 25/12", sun20Dec, at(12, 25, 23, 59)},
		// A Friday received on a Friday is next week's.
		{"Échéance : vendredi", fri27Nov, at(12, 4, 23, 59)},
		{"Échéance : vendredi prochain", fri27Nov, at(12, 4, 23, 59)},
		{"Deadline: Friday", fri27Nov, at(12, 4, 23, 59)},
		// Across a change of summer time.
		{"Échéance : vendredi 18h", fri23Oct, at(10, 30, 18, 0)},
		{"Échéance : demain", sat28Mar, at(3, 29, 23, 59)},
		{"Échéance : lundi 9h", sat28Mar, at(3, 30, 9, 0)},
		// 2:30 happens twice on 25 October: the later one, in winter time.
		{"Échéance : dimanche 2h30", fri23Oct, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)},
		// Days a month lacks are skipped.
		{"Échéance : le 31", fri10Apr, at(5, 31, 23, 59)},
		{"Échéance : le 30", time.Date(2026, 2, 10, 10, 0, 0, 0, paris), at(3, 30, 23, 59)},
		{"Échéance : 29/02", time.Date(2028, 1, 10, 10, 0, 0, 0, paris), time.Date(2028, 2, 29, 23, 59, 0, 0, paris)},
		// The list's timezone decides what "demain" is: 23:30 UTC on
		// 30 November is already 1 December in Paris.
		{"Échéance : demain", time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC), at(12, 2, 23, 59)},
	} {
		got, line, err := FindDeadline("Bonjour,\n\n"+tc.line+"\n\nMerci", tc.received, paris)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%q received %s: %v %v, want %v", tc.line, tc.received.In(paris).Format(time.RFC3339),
				got.In(paris), err, tc.want)
		}
		if line != tc.line {
			t.Errorf("%q: line %q", tc.line, line)
		}
	}
}

// Each change of summer time gives the offset of the day, not of the
// day the message was received.
func TestDeadlineInWordsOffset(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line     string
		received time.Time
		offset   int
	}{
		{"Échéance : vendredi 18h", fri23Oct, 3600},
		{"Échéance : demain", sat28Mar, 2 * 3600},
		{"Échéance : dimanche 2h30", fri23Oct, 3600},
		{"Échéance : dimanche 1h30", fri23Oct, 2 * 3600},
	} {
		got, _, err := FindDeadline(tc.line, tc.received, paris)
		if _, off := got.Zone(); err != nil || off != tc.offset {
			t.Errorf("%q: %v offset %d, want %d", tc.line, err, off, tc.offset)
		}
	}
}

func TestDeadlineNotUnderstood(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line     string
		received time.Time
		says     string // the error says this, in plain words
	}{
		{"Échéance : bientôt", tue24Nov, `"bientôt" was not understood`},
		{"Deadline: asap", tue24Nov, "expected a day"},
		{"Échéance : quand tout le monde aura répondu", tue24Nov, "expected a day"},
		{"Échéance : vendredi 25h", tue24Nov, "no hour 25"},
		{"Échéance : vendredi 18h75", tue24Nov, "no minute 75"},
		{"Deadline: Friday 13pm", tue24Nov, "no 13 o'clock"},
		{"Échéance : 31/02", tue24Nov, "no 31 February"},
		{"Deadline: 12/15", tue24Nov, "no month 15: dates are written day first"},
		{"Deadline: 31/04/2026", tue24Nov, "no 31 April"},
		{"Échéance : 29/02", tue24Nov, "no 29 February in 2027"},
		{"Échéance : le 32", tue24Nov, "no month has a day 32"},
		{"Échéance : le 0", tue24Nov, "no month has a day 0"},
		{"Échéance : 15", tue24Nov, "expected a day"},
		{"Échéance : 15 bananes", tue24Nov, `"bananes" is not a month`},
		{"Échéance : 18h30", tue24Nov, "a time of day without a day"},
		{"Échéance : vendredi après-midi", tue24Nov, "expected a day"},
		{"Échéance : ce vendredi", tue24Nov, "expected a day"},
		{"Deadline: this 6pm", tue24Nov, `"this" needs`},
		{"Échéance : vendredi 5 décembre", tue24Nov, "5 December 2026 is a Saturday, not a Friday"},
		{"Deadline: next week", tue24Nov, `"next" is not a number`},
		{"Échéance : demain 2h30", sat28Mar, "02:30 does not exist on 29 March 2026"},
		{"Échéance :", tue24Nov, "no date after the colon"},
		{"Délai : 25h99", tue24Nov, "no hour 25"},
		{"Délai : 99/99/9999 à 99h99", tue24Nov, "no hour 99"},
		{"Deadline: -5 days", tue24Nov, "expected a day"},
		{"Échéance : 99999 jours", tue24Nov, "not understood"},
		{"Échéance : 31/12/2554", tue24Nov, "more than 10 years away"},
	} {
		got, line, err := FindDeadline("Bonjour,\n"+tc.line+"\nMerci", tc.received, paris)
		if err == nil || errors.Is(err, ErrNoDeadline) || errors.Is(err, ErrDeadlinePassed) || !got.IsZero() {
			t.Errorf("%q: %v %v, want an error that it was not understood", tc.line, got, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: error %q does not say %q", tc.line, err, tc.says)
		}
		if line != tc.line {
			t.Errorf("%q: line %q", tc.line, line)
		}
	}
}

// A deadline before the message was received is an error the author can
// be told about; the moment understood comes with it.
func TestDeadlinePassed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line     string
		received time.Time
		want     time.Time
	}{
		{"Échéance : ce soir", time.Date(2026, 11, 24, 21, 0, 0, 0, paris), at(11, 24, 20, 0)},
		{"Échéance : le 24 à 9h", tue24Nov, at(11, 24, 9, 0)},
		{"Échéance : 15/12 9h", time.Date(2026, 12, 15, 10, 0, 0, 0, paris), at(12, 15, 9, 0)},
		{"Échéance : 29/11/2026", mon30Nov, at(11, 29, 23, 59)},
		{"Deadline: 2026-11-01T00:00:00Z", tue24Nov, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
	} {
		got, _, err := FindDeadline(tc.line, tc.received, paris)
		if !errors.Is(err, ErrDeadlinePassed) || !got.Equal(tc.want) {
			t.Errorf("%q: %v %v, want %v and ErrDeadlinePassed", tc.line, got, err, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), "this date has passed") {
			t.Errorf("%q: error %q", tc.line, err)
		}
	}
}

// The line comes back as written, and the error quotes the value with
// its accents.
func TestDeadlineLineAsWritten(t *testing.T) {
	t.Parallel()
	got, line, err := FindDeadline("Texte.\r\n  Échéance\u00a0: jusqu\u2019au 15.  \r\nMerci", tue24Nov, paris)
	if err != nil || !got.Equal(at(12, 15, 23, 59)) || line != "Échéance\u00a0: jusqu\u2019au 15." {
		t.Errorf("got %v %q %v", got, line, err)
	}
	_, line, err = FindDeadline("DÉLAI : Bientôt\u00a0!", tue24Nov, paris)
	if err == nil || line != "DÉLAI : Bientôt\u00a0!" || !strings.Contains(err.Error(), `"Bientôt !"`) {
		t.Errorf("got %q %v", line, err)
	}
	if _, _, err := FindDeadline("Rendez-vous vendredi 18h.", tue24Nov, paris); err != ErrNoDeadline {
		t.Errorf("no deadline line: %v", err)
	}
}

// A time that happens twice when the clocks go back is the later one,
// whatever the zone: 1:30 on 1 November 2026 in New York is in winter
// time (-05:00).
func TestDeadlineRepeatedHour(t *testing.T) {
	t.Parallel()
	ny := mustLoad("America/New_York")
	received := time.Date(2026, 10, 30, 10, 0, 0, 0, ny)
	got, _, err := FindDeadline("Deadline: Sunday 1:30am", received, ny)
	if want := time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("Sunday 1:30am: %v %v, want %v", got, err, want.In(ny))
	}
}
