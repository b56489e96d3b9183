package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// UnmarshalText reads a duration with ParseDuration: "72h", "90m",
// "1h30m", or with days, "3d", "1d12h". Negative durations are an
// error; "0s" is allowed.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// durationForms says how a duration is written, for error messages.
var durationForms = text{
	en: `a number and a unit, d (days), h, m or s, like "3d", "72h", "1d12h", "90m" or "30s"`,
	fr: `un nombre et une unité, d (jours), h, m ou s, comme "3d", "72h", "1d12h", "90m" ou "30s"`,
}

// ParseDuration reads a Go duration string (time.ParseDuration: "72h",
// "1h30m", "30s"), which may start with a whole number of days: "3d",
// "7d", "1d12h". It refuses negative durations; "0s" and "0d" are
// allowed. Its errors say what to write, in English, and in French
// through their method In(lang string) string.
func ParseDuration(s string) (time.Duration, error) {
	invalid := &textError{say("invalid duration %q: write %s", "durée %q invalide : écrire %s", s, durationForms)}
	if strings.HasPrefix(s, "-") {
		if _, err := ParseDuration(s[1:]); err == nil {
			return 0, &textError{say("negative duration %q is not allowed", "la durée négative %q n'est pas permise", s)}
		}
		return 0, invalid
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || s[0] == '+' || n > math.MaxInt64/int(24*time.Hour) {
			return 0, invalid
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 || strings.HasPrefix(s, "+") || v > math.MaxInt64-days {
		return 0, invalid
	}
	return days + v, nil
}

// MarshalText writes d in the short form String gives; UnmarshalText
// reads it back to the same value. A negative d is an error.
func (d Duration) MarshalText() ([]byte, error) {
	if d.Duration < 0 {
		return nil, errors.New("negative duration " + d.Duration.String() + " cannot be written")
	}
	return []byte(d.String()), nil
}

// String writes d like time.Duration.String without its trailing zero
// units: "72h" rather than "72h0m0s", "1h30m", "30s", "0s".
func (d Duration) String() string {
	s := d.Duration.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
	}
	return s
}
