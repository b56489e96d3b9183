package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestFrenchMessages: every problem of the invalid fixtures has its
// French message, "KEY : problème" (a TOML syntax error "TOML invalide
// : …"), which Errors.In gives for any language but "en".
func TestFrenchMessages(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(fixtures, "invalid", "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("invalid fixtures: %v %v", files, err)
	}
	for _, f := range files {
		_, err := Load(f)
		var errs Errors
		if !errors.As(err, &errs) {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range errs {
			prefix := e.Key + " : "
			if e.Key == "" {
				prefix = "TOML invalide : "
			}
			if !strings.HasPrefix(e.MsgFr, prefix) || e.MsgFr == e.Msg {
				t.Errorf("%s:%d: French %q for %q", filepath.Base(f), e.Line, e.MsgFr, e.Msg)
			}
		}
		if fr, en := errs.In("fr"), errs.In("en"); en != err.Error() || strings.Count(fr, "\n") != len(errs)-1 || fr == en {
			t.Errorf("%s: In(fr) = %q, In(en) = %q", filepath.Base(f), fr, en)
		}
	}
	for doc, want := range map[string]string{
		"[smtp]\nlisen = \"x\"\n":           "t.toml:2: smtp.lisen : clé inconnue (faute de frappe, ou dans la mauvaise table) ; vouliez-vous dire listen ?",
		"[delivery]\nlisten = \"x\"\n":      "vouliez-vous dire [smtp] listen, [imap] listen ou [http] listen ?",
		"[smtp]\nlanguage = \"fr\"\n":       "vouliez-vous dire language (en haut du fichier, avant toute [table]) ?",
		"[imapp]\n":                         "t.toml:1: imapp : table inconnue (faute de frappe, ou pas une table de tacit) ; vouliez-vous dire [imap] ?",
		"[delivery]\nlease = \"3 jours\"\n": `t.toml:2: delivery.lease : durée "3 jours" invalide : écrire un nombre et une unité, d (jours), h, m ou s, comme "3d", "72h", "1d12h", "90m" ou "30s"`,
		"[delivery]\nlease = 3\n":           `t.toml:2: delivery.lease : il faut une durée entre guillemets (comme "3d" ou "72h"), pas le nombre 3`,
		"[smtp]\nmax_recipients = 0\n":      "t.toml:2: smtp.max_recipients : doit valoir au moins 1, et vaut 0",
		"[smtp]\ntrusted_relays = \"x\"\n":  `t.toml:2: smtp.trusted_relays : "x" n'est ni une adresse ni un bloc CIDR (comme "192.0.2.0/24")`,
		"domain = \"\"\n":                   "t.toml:1: domain : ne doit pas être vide",
	} {
		_, err := Parse("t.toml", []byte(doc))
		var errs Errors
		if !errors.As(err, &errs) || !strings.HasSuffix(errs.In("fr"), want) {
			t.Errorf("%q in French:\n%v\nwant it to end with\n%s", doc, errs.In("fr"), want)
		}
	}
	// A problem without a file or a line.
	if got := (Error{Line: 3, Msg: "x: bad", MsgFr: "x : mauvais"}).In("fr"); got != "ligne 3 : x : mauvais" {
		t.Errorf("Error.In(fr) = %q", got)
	}
}
