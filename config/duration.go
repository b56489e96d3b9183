package config

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// UnmarshalText reads a Go duration string such as "72h", "90m" or
// "1h30m" (time.ParseDuration). Negative durations are an error; "0s" is
// allowed.
func (d *Duration) UnmarshalText(text []byte) error {
	s := string(text)
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (write hours, minutes or seconds, like \"72h\" or \"1h30m\"; 3 days is \"72h\")", s)
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q is not allowed", s)
	}
	d.Duration = v
	return nil
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
