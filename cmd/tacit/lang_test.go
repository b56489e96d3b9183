package main

import (
	"errors"
	"fmt"
	"testing"

	"tacit/listserv/admin"
)

// TestLocaleLang: the first of LC_ALL, LC_MESSAGES and LANG that is set
// decides; English only for a locale starting with "en".
func TestLocaleLang(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "fr"},
		{map[string]string{"LANG": "en_US.UTF-8"}, "en"},
		{map[string]string{"LANG": "C.UTF-8"}, "fr"},
		{map[string]string{"LANG": "fr_FR.UTF-8"}, "fr"},
		{map[string]string{"LC_ALL": "en_GB.UTF-8", "LANG": "fr_FR.UTF-8"}, "en"},
		{map[string]string{"LC_ALL": "C", "LANG": "en_US.UTF-8"}, "fr"},
		{map[string]string{"LC_MESSAGES": "fr_FR.UTF-8", "LANG": "en_US.UTF-8"}, "fr"},
		{map[string]string{"LC_MESSAGES": "en", "LANG": "fr_FR.UTF-8"}, "en"},
		{map[string]string{"LC_ALL": "", "LANG": "en_US"}, "en"},
	} {
		if got := localeLang(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %s, want %s", c.env, got, c.want)
		}
	}
}

// TestErrorText: an error that says itself in both languages is printed
// in the one asked for, after the English of what wraps it.
func TestErrorText(t *testing.T) {
	t.Parallel()
	usage := &admin.UsageError{Msg: "usage: tacit x", Fr: "usage : tacit x"}
	for _, c := range []struct {
		err      error
		lang     string
		want     string
		describe string
	}{
		{usage, "fr", "usage : tacit x", "alone"},
		{usage, "en", "usage: tacit x", "alone"},
		{fmt.Errorf("migrate: %w", usage), "fr", "migrate: usage : tacit x", "wrapped"},
		{fmt.Errorf("%w (more)", usage), "fr", "usage: tacit x (more)", "wrapped with text after"},
		{errors.New("plain"), "fr", "plain", "plain"},
		{errorf("ceci", "this"), "fr", "ceci", "bilingual"},
	} {
		if got := errorText(c.err, c.lang); got != c.want {
			t.Errorf("%s, %s: %q, want %q", c.describe, c.lang, got, c.want)
		}
	}
}
