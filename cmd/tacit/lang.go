package main

import (
	"errors"
	"fmt"
	"strings"
)

// The language of the command line's own texts (help, errors): French,
// unless the locale says English. The locale is the first of LC_ALL,
// LC_MESSAGES and LANG that is set, as for any program; English is one
// starting with "en" (en_US.UTF-8, en_GB, en).

// localeLang returns "en" when the locale getenv reads says English,
// else "fr".
func localeLang(getenv func(string) string) string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(name); v != "" {
			if strings.HasPrefix(v, "en") {
				return "en"
			}
			return "fr"
		}
	}
	return "fr"
}

// localized is an error that can say itself in French and in English;
// its Error is the English.
type localized interface {
	error
	In(lang string) string
}

// bilingual is an error of the command line in French and in English.
type bilingual struct{ fr, en string }

func (e *bilingual) Error() string { return e.en }

// In returns the message in lang: English for "en", else French.
func (e *bilingual) In(lang string) string {
	if lang == "en" {
		return e.en
	}
	return e.fr
}

// errorf returns an error written with the French format fr and the
// English format en, the same args in both.
func errorf(fr, en string, args ...any) error {
	return &bilingual{fr: fmt.Sprintf(fr, args...), en: fmt.Sprintf(en, args...)}
}

// errorText returns err's text in lang: that of the localized error it
// holds, after the English of what wraps it; err's own text when it
// holds none or when the wrapping does not end with it.
func errorText(err error, lang string) string {
	var l localized
	if errors.As(err, &l) {
		if prefix, ok := strings.CutSuffix(err.Error(), l.Error()); ok {
			return prefix + l.In(lang)
		}
	}
	return err.Error()
}
