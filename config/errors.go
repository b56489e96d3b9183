package config

import (
	"strconv"
	"strings"
)

// Error is one problem found in a configuration.
type Error struct {
	// File is the configuration file as given to Load ("" for a
	// configuration that was not read from a file).
	File string
	// Line is the 1-based line of the problem in File; 0 when the problem
	// has no line (built-in defaults, or a value set in code).
	Line int
	// Key is the dotted key concerned, like "smtp.listen"; "" for a TOML
	// syntax error.
	Key string
	// Msg says what is wrong, in English, as "KEY: problem" with Key
	// first; a TOML syntax error, which has no key, as "invalid TOML: …".
	Msg string
	// MsgFr is Msg in French, as "KEY : problème"; "" when there is none
	// (Msg is then said in every language).
	MsgFr string
}

// Error formats e as "FILE:LINE: MSG", leaving out FILE and LINE when
// they are unknown.
func (e Error) Error() string { return e.In("en") }

// In is Error in lang: the French message, unless lang is "en" or there
// is none.
func (e Error) In(lang string) string {
	en := lang == "en" || e.MsgFr == ""
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString(map[bool]string{true: "line ", false: "ligne "}[en])
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(map[bool]string{true: ": ", false: " : "}[en])
	}
	if en {
		b.WriteString(e.Msg)
	} else {
		b.WriteString(e.MsgFr)
	}
	return b.String()
}

// Errors is every problem found in a configuration, in file order. Load
// and Validate return it as their error (never empty when returned).
type Errors []Error

// Error returns one line per problem, each formatted by Error.Error.
func (es Errors) Error() string { return es.In("en") }

// In is Error in lang ("en" for English, else French).
func (es Errors) In(lang string) string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.In(lang)
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems one by one, so that errors.As can find an
// Error inside Errors.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
