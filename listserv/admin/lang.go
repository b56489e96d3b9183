package admin

import (
	"errors"
	"fmt"
	"io"
)

// The language of what a command writes: its output and its errors are
// in the language of the request (the caller's locale, carried over the
// socket), French unless it is "en"; a request that names none is in the
// server's language (Options.Language). --json output is the same in
// every language: its field names and values are an interface.

// requestLang returns the language a request for lang is answered in:
// lang when it is "fr" or "en", else the server's def, else French.
func requestLang(lang, def string) string {
	switch {
	case lang == "fr" || lang == "en":
		return lang
	case def == "en":
		return "en"
	}
	return "fr"
}

// tr returns fr or en, in the language of the request being run.
func (a *Admin) tr(fr, en string) string {
	if a.lang == "en" {
		return en
	}
	return fr
}

// printf writes the format fr or en, in the language of the request,
// with the same args.
func (a *Admin) printf(w io.Writer, fr, en string, args ...any) {
	fmt.Fprintf(w, a.tr(fr, en), args...)
}

// errorf returns the error of the format fr or en, in the language of
// the request, with the same args (%w wraps as in fmt.Errorf).
func (a *Admin) errorf(fr, en string, args ...any) error {
	return fmt.Errorf(a.tr(fr, en), args...)
}

// localize returns err in the language of the request when it can say
// itself in French and in English (an In method, the outermost error);
// err as it is otherwise.
func (a *Admin) localize(err error) error {
	var l interface {
		error
		In(lang string) string
	}
	if errors.As(err, &l) && l.Error() == err.Error() {
		return errors.New(l.In(a.lang))
	}
	return err
}

// count writes n and the word that follows it, chosen by n in the
// language of the request: French writes 0 and 1 in the singular
// ("0 membre ajouté", "2 membres ajoutés"), English only 1 ("1 member",
// "0 members").
func (a *Admin) count(n int, frOne, frMany, enOne, enMany string) string {
	one, many := a.tr(frOne, enOne), a.tr(frMany, enMany)
	if n == 1 || (a.lang != "en" && n == 0) {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// noList is the error for a list that does not exist.
func (a *Admin) noList(list string) error {
	return a.errorf("la liste %s n'existe pas", "no list %s", list)
}
