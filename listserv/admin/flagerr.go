package admin

import (
	"regexp"
	"strings"
)

// The errors of the flag package, in French too: the command line says
// them in its language (docs/admin.md).

// flagErrorsFr are the flag package's messages and their French, the
// parts in parentheses kept as they are.
var flagErrorsFr = []struct {
	en *regexp.Regexp
	fr string
}{
	{regexp.MustCompile(`^flag provided but not defined: (.*)$`), "option inconnue : $1"},
	{regexp.MustCompile(`^flag needs an argument: (.*)$`), "l'option $1 demande une valeur"},
	{regexp.MustCompile(`^invalid boolean value (".*") for (\S+): .*$`), "valeur $1 invalide pour $2 : écrire true ou false"},
	{regexp.MustCompile(`^invalid value (".*") for flag (\S+): (.*)$`), "valeur $1 invalide pour $2 : $3"},
	{regexp.MustCompile(`^invalid boolean flag (\S+): .*$`), "option $1 : écrire --$1=true ou --$1=false"},
	{regexp.MustCompile(`^bad flag syntax: (.*)$`), "option mal écrite : $1"},
}

// FlagErrorFr returns msg, an error of the flag package, in French; msg
// itself when it is not one of them.
func FlagErrorFr(msg string) string {
	for _, f := range flagErrorsFr {
		if f.en.MatchString(msg) {
			return f.en.ReplaceAllString(msg, f.fr)
		}
	}
	return msg
}

// flagError is the UsageError of a command line whose flags do not
// parse: the flag package's error after the command's name, with the
// command's help to read.
func flagError(name string, err error) *UsageError {
	msg := strings.TrimSpace(err.Error())
	return &UsageError{
		Msg: name + ": " + msg + " (tacit " + name + " --help)",
		Fr:  name + " : " + FlagErrorFr(msg) + " (tacit " + name + " --help)",
	}
}
