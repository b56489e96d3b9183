package config

import (
	"errors"
	"fmt"
	"strings"
)

// The messages of the configuration are in English and in French:
// Error.Error gives the English, Error.In either (the command line says
// them in the language of its locale).

// text is one message in English and in French.
type text struct{ en, fr string }

// say writes the two formats with args; an argument that is a text is
// written in the language of each format.
func say(en, fr string, args ...any) text {
	ea, fa := make([]any, len(args)), make([]any, len(args))
	for i, a := range args {
		if t, ok := a.(text); ok {
			ea[i], fa[i] = t.en, t.fr
		} else {
			ea[i], fa[i] = a, a
		}
	}
	return text{en: fmt.Sprintf(en, ea...), fr: fmt.Sprintf(fr, fa...)}
}

// plus returns t followed by u.
func (t text) plus(u text) text { return text{en: t.en + u.en, fr: t.fr + u.fr} }

// empty reports whether t says nothing.
func (t text) empty() bool { return t.en == "" && t.fr == "" }

// keyed returns t as "KEY: problem" ("KEY : problème" in French): t
// when it starts with key already, else t after key (a problem of
// several keys is reported at the one the file sets, which its text may
// not start with).
func keyed(key string, t text) text {
	if !strings.HasPrefix(t.en, key+": ") {
		t.en = key + ": " + t.en
	}
	if !strings.HasPrefix(t.fr, key+" : ") {
		t.fr = key + " : " + t.fr
	}
	return t
}

// textError is an error with its message in French too.
type textError struct{ t text }

func (e *textError) Error() string { return e.t.en }

// In returns the message in lang: English for "en", else French.
func (e *textError) In(lang string) string { return pick(e.t, lang) }

// textOf returns err's message in both languages (the English twice
// when err has no French).
func textOf(err error) text {
	var te *textError
	if errors.As(err, &te) && te.Error() == err.Error() {
		return te.t
	}
	return text{en: err.Error(), fr: err.Error()}
}

// pick returns t in lang: English for "en", else French, else English
// when t has no French.
func pick(t text, lang string) string {
	if lang == "en" || t.fr == "" {
		return t.en
	}
	return t.fr
}
