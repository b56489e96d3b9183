package consensus

import (
	"errors"
	"strings"
	"time"
)

// ParseWhen reads a date at the start of text in the forms of a
// deadline (FindDeadline: "12/01/2027 18h30", "mardi 18h", "15 janvier
// à 18h", "2027-01-12 18:30"…), in loc, relative to now, and returns it
// with the rest of the text ("Maison du libre"). It takes the longest
// run of leading words that reads as a date.
func ParseWhen(text string, now time.Time, loc *time.Location) (time.Time, string, error) {
	words := strings.Fields(text)
	var firstErr error
	for n := min(len(words), 8); n > 0; n-- {
		at, _, err := FindDeadline("Échéance : "+strings.Join(words[:n], " "), now, loc)
		if err == nil {
			return at, strings.Join(words[n:], " "), nil
		}
		if firstErr == nil || errors.Is(err, ErrDeadlinePassed) {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = errors.New("consensus: no date given")
	}
	return time.Time{}, "", firstErr
}
