package consensus

import (
	"slices"
	"testing"
	"time"
)

func kinds(p Parse) []EventKind {
	var out []EventKind
	for _, c := range p.Commands {
		out = append(out, c.Kind)
	}
	return out
}

func TestCommandLines(t *testing.T) {
	t.Parallel()
	for line, want := range map[string][]EventKind{
		"OBJECTION":                    {EventObject},
		"Objection.":                   {EventObject},
		"objection : trop cher":        {EventObject},
		"Objection\u00a0: trop cher":   {EventObject},
		"Je m\u2019oppose":             {EventObject},
		"I object, too expensive":      {EventObject},
		"BLOCAGE":                      {EventObject},
		"-1 : trop cher":               {EventObject},
		"-15 % de réduction":           nil,
		"OBJECTION LEVÉE":              {EventLift},
		"objection levee":              {EventLift},
		"Objection lifted.":            {EventLift},
		"Je lève mon objection":        {EventLift},
		"Objection retirée, merci":     {EventLift},
		"Objection withdrawn — thanks": {EventLift},
		"I withdraw my objection.":     {EventLift},
		"I withdraw my proposal":       {EventWithdraw},
		"No objections from me":        {EventSupport},
		"Pas d'objections":             {EventSupport},
		"Je retire mon objection":      {EventLift},
		"Withdraw objection":           {EventLift},
		"Retrait objection":            {EventLift},
		"+1":                           {EventSupport},
		"+1 pour moi":                  {EventSupport},
		"D\u2019accord !":              {EventSupport},
		"Je soutiens":                  {EventSupport},
		"Support":                      {EventSupport},
		"Supporting this is hard":      nil,
		"Pas d'objection.":             {EventSupport},
		"Aucune objection de mon côté": {EventSupport},
		"No objection":                 {EventSupport},
		"Sans objection":               {EventSupport},
		"je ne vois pas d'objection":   nil,
		"any objection?":               nil,
		"Objections are welcome":       nil,
		"RETRAIT PROPOSITION":          {EventWithdraw},
		"Je retire ma proposition":     {EventWithdraw},
		"Withdraw proposal":            {EventWithdraw},
		"AMENDEMENT":                   {EventAmend},
		"  objection":                  {EventObject},
	} {
		if got := kinds(Commands(line)); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", line, got, want)
		}
	}
}

func TestReasons(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]string{
		"Objection : trop cher":         "trop cher",
		"OBJECTION: trop cher":          "trop cher",
		"-1 : trop cher":                "trop cher",
		"Je m'oppose, c'est trop cher.": "c'est trop cher.",
		"Objection\u00a0: élevé":        "élevé",
		"Objection":                     "",
		"Blocage - pas le bon moment":   "pas le bon moment",
	} {
		p := Commands(line)
		if len(p.Commands) != 1 || p.Commands[0].Reason != want {
			t.Errorf("%q: %+v, want reason %q", line, p.Commands, want)
		}
	}
}

func TestAmendTakesTheRest(t *testing.T) {
	t.Parallel()
	p := Commands("Merci pour vos retours.\nAMENDEMENT\nAcheter deux composteurs.\nObjection bienvenue.")
	if !slices.Equal(kinds(p), []EventKind{EventAmend}) || p.Commands[0].Text != "Acheter deux composteurs.\nObjection bienvenue." {
		t.Fatalf("%+v", p)
	}
}

func TestHints(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]string{
		"objecton":               "objecton",
		"OBJETION : trop cher":   "OBJETION",
		"je m'opose":             "je m'opose",
		"Objectif : finir mardi": "",
		"Bonjour à tous":         "",
	} {
		p := Commands(line)
		got := ""
		if len(p.Hints) > 0 {
			got = p.Hints[0]
		}
		if got != want || len(p.Commands) != 0 {
			t.Errorf("%q: hints %v commands %v, want hint %q", line, p.Hints, p.Commands, want)
		}
	}
}

func TestOwnTextCutting(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ body, want string }{
		"top posting": {
			"OBJECTION : trop cher\n\nLe mar. 24 nov. 2026 à 10:12, Alice <alice@example.org> a écrit :\n> OBJECTION\n> Acheter\n",
			"OBJECTION : trop cher"},
		"wrapped attribution": {
			"+1\n\nLe mar. 24 nov. 2026 à 10:12, Alice Martin <\nalice@example.org> a écrit :\n\n> Acheter\n",
			"+1"},
		"bottom posting": {
			"On Tue, Nov 24, 2026 at 10:12 AM Alice <a@x.org> wrote:\n> Buy a composter\n\nI object\n",
			"I object"},
		"inline": {
			"> Question 1 ?\nOui.\n> Question 2 ?\nObjection\n",
			"Oui.\nObjection"},
		"outlook header block": {
			"D'accord\n\nDe : Alice Martin <alice@example.org>\nEnvoyé : mardi 24 novembre 2026 10:12\nÀ : jardin\nObjet : [PROPOSITION #3]\n\nOBJECTION si …\n",
			"D'accord"},
		"unmarked attribution": {
			"Je soutiens\nLe 24/11/2026 à 10:12, Alice a écrit :\nOBJECTION\n",
			"Je soutiens"},
		"original message": {
			"ok\n-----Original Message-----\nObjection\n", "ok"},
		"signature": {
			"+1\n-- \nObjection Man\nPrésident\n", "+1"},
		"phone footer": {
			"Je m'oppose\n\nEnvoyé de mon iPhone\n\nOBJECTION\n", "Je m'oppose"},
		"our footer unquoted": {
			"Pas d'objection\n\n" + ReplyAboveFR + "\nOBJECTION : répondez ainsi\n", "Pas d'objection"},
		"forward": {
			"Pour info\n\n---------- Forwarded message ---------\nFrom: x\nObjection\n", "Pour info"},
		"underscores": {
			"oui\n________________________________\nDe : Alice\nObjection\n", "oui"},
	} {
		if got := OwnText(c.body); got != c.want {
			t.Errorf("%s: own text %q, want %q", name, got, c.want)
		}
	}
}

func TestSubjects(t *testing.T) {
	t.Parallel()
	for subject, want := range map[string]Subject{
		"[PROPOSITION] Acheter un composteur":             {Proposal: true, Title: "Acheter un composteur"},
		"[jardin] [proposal] Buy":                         {Proposal: true, Title: "Buy"},
		"[Prop] x":                                        {Proposal: true, Title: "x"},
		"Re: [jardin] [PROPOSITION #3] Acheter":           {Reply: true, Number: 3, Title: "Acheter"},
		"RE : [PROPOSITION] Acheter":                      {Reply: true, Title: "Acheter"},
		"AW: [PROPOSAL] x":                                {Reply: true, Title: "x"},
		"Réf : [jardin] [PROPOSITION #12] x":              {Reply: true, Number: 12, Title: "x"},
		"[jardin] Re: [jardin] [PROPOSITION #3] Acheter":  {Reply: true, Number: 3, Title: "Acheter"},
		"[jardin] [ADOPTÉE #4] Acheter":                   {Number: 4, Title: "Acheter"},
		"Question sur #7":                                 {Number: 7, Title: "Question sur #7"},
		"[jardin] Réunion jeudi":                          {Title: "Réunion jeudi"},
		"[PROPOSITION #3] déjà numérotée n'est pas neuve": {Number: 3, Title: "déjà numérotée n'est pas neuve"},
	} {
		if got := ParseSubject(subject, "jardin"); got != want {
			t.Errorf("%q: %+v, want %+v", subject, got, want)
		}
	}
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	received := time.Date(2026, 11, 24, 10, 0, 0, 0, paris)
	for line, want := range map[string]time.Time{
		"Deadline: 2026-12-01T18:00:00+01:00":      time.Date(2026, 12, 1, 18, 0, 0, 0, paris),
		"Échéance : 2026-12-01 18:00":              time.Date(2026, 12, 1, 18, 0, 0, 0, paris),
		"Échéance\u00a0: 01/12/2026":               time.Date(2026, 12, 1, 23, 59, 0, 0, paris),
		"Délai : 01/12/2026 18h":                   time.Date(2026, 12, 1, 18, 0, 0, 0, paris),
		"ECHEANCE : 01/12/2026 à 18h30":            time.Date(2026, 12, 1, 18, 30, 0, 0, paris),
		"deadline: 5d":                             received.Add(5 * 24 * time.Hour),
		"Deadline: 48h":                            received.Add(48 * time.Hour),
		"Délai : 5 jours":                          received.Add(5 * 24 * time.Hour),
		"Deadline: 3 days":                         received.Add(3 * 24 * time.Hour),
		"Délai : une semaine":                      received.Add(7 * 24 * time.Hour),
		"Deadline: 1 week":                         received.Add(7 * 24 * time.Hour),
		"Délai : dans 5 jours":                     received.Add(5 * 24 * time.Hour),
		"Deadline: in 3 days":                      received.Add(3 * 24 * time.Hour),
		"Échéance : 1er décembre 2026":             time.Date(2026, 12, 1, 23, 59, 0, 0, paris),
		"Échéance : mardi 1er décembre 2026 à 18h": time.Date(2026, 12, 1, 18, 0, 0, 0, paris),
		"Deadline: December 1, 2026 18:00":         time.Date(2026, 12, 1, 18, 0, 0, 0, paris),
		"Deadline: 1 December 2026":                time.Date(2026, 12, 1, 23, 59, 0, 0, paris),
	} {
		got, _, err := FindDeadline("Bonjour,\n\n"+line+"\n\nMerci", received, paris)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", line, got.In(paris), err, want)
		}
	}
	if _, _, err := FindDeadline("pas de date ici", received, paris); err != ErrNoDeadline {
		t.Errorf("no line: %v", err)
	}
	for _, bad := range []string{"Échéance : bientôt", "Deadline: 31/02/2026", "Délai : 25h99"} {
		if _, _, err := FindDeadline(bad, received, paris); err == nil || err == ErrNoDeadline {
			t.Errorf("%q: %v, want a read error", bad, err)
		}
	}
	// Summer time: a date in October is +02:00.
	got, _, _ := FindDeadline("Échéance : 20/10/2026 18h", received, paris)
	if _, off := got.Zone(); off != 2*3600 {
		t.Errorf("October deadline offset %d", off)
	}
}

// Days are calendar days in the list's timezone: five days from a
// summer-time morning end at the same hour after the clocks go back.
func TestDurationAcrossDaylightSaving(t *testing.T) {
	t.Parallel()
	received := time.Date(2026, 10, 22, 10, 0, 0, 0, paris)
	got, _, err := FindDeadline("Délai : 5 jours", received, paris)
	if want := time.Date(2026, 10, 27, 10, 0, 0, 0, paris); err != nil || !got.Equal(want) {
		t.Errorf("5 jours from %v: %v %v, want %v", received, got.In(paris), err, want)
	}
	got, _, _ = FindDeadline("Délai : 120h", received, paris)
	if want := received.Add(120 * time.Hour); !got.Equal(want) {
		t.Errorf("120h is 120 hours: %v, want %v", got.In(paris), want.In(paris))
	}
}
