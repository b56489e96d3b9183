package consensus

import (
	"slices"
	"strings"
	"testing"
)

// docs/decisions.md: nobody's "no" is read as silence, and no negated "no"
// blocks.
func TestPlainWords(t *testing.T) {
	t.Parallel()
	O, S, L := EventObject, EventSupport, EventLift
	for line, want := range map[string][]EventKind{
		// Plain disagreement objects.
		"Je ne suis pas d'accord, nous n'avons pas la place.": {O},
		"Je suis pas d'accord":                                {O},
		"Pas d'accord : trop cher":                            {O},
		"Pas d’accord.":                                       {O},
		"Je suis contre":                                      {O},
		"Je suis contre cette dépense":                        {O},
		"Contre.":                                             {O},
		"CONTRE":                                              {O},
		"Contre !":                                            {O},
		"Contre, c'est trop cher":                             {O},
		"Je m'y oppose":                                       {O},
		"Je refuse":                                           {O},
		"Je bloque.":                                          {O},
		"Veto":                                                {O},
		"I disagree":                                          {O},
		"I don’t agree.":                                      {O},
		"I'm against it":                                      {O},
		"I am against":                                        {O},
		"Against.":                                            {O},
		"I oppose this":                                       {O},
		"Moi, je suis contre.":                                {O},
		"Non, je ne suis pas d'accord.":                       {O},
		"Je ne suis vraiment pas d'accord":                    {O},
		"Pas du tout d'accord !":                              {O},
		"I strongly disagree":                                 {O},
		"No, objection: too expensive":                        {O},
		"Ça ne me va pas":                                     {O},
		// Negated, they are support, with or without "ne".
		"Je m'oppose pas à ça, bonne idée.": {S},
		"Je ne m'oppose pas":                {S},
		"je ne m’y oppose pas":              {S},
		"Je suis pas contre":                {S},
		"Je ne suis pas contre":             {S},
		"Je ne suis pas du tout contre":     {S},
		"Pas contre.":                       {S},
		"I don't object":                    {S},
		"I do not object":                   {S},
		"I'm not against it":                {S},
		"Non, aucune objection":             {S},
		"No objection":                      {S},
		"Je refuse pas":                     {S},
		// Plain agreement is support.
		"Je suis d'accord":             {S},
		"Tout à fait d'accord":         {S},
		"Je suis tout à fait d'accord": {S},
		"OK pour moi":                  {S},
		"Ok pour moi !":                {S},
		"Ça me va":                     {S},
		"I agree":                      {S},
		"Oui, d'accord.":               {S},
		// No longer objecting lifts.
		"Je ne m'oppose plus":      {L},
		"Je m'oppose plus, merci":  {L},
		"Je n'ai plus d'objection": {L},
		// Questions and mid-line words are discussion.
		"Qui est contre ?":                 nil,
		"Contre quoi ?":                    nil,
		"Contre ?":                         nil,
		"D'accord pour le 15 ?":            nil,
		"Pas d'accord ?":                   nil,
		"les voisins sont contre le bruit": nil,
		"Par contre, il faudrait un abri":  nil,
		"je ne vois pas d'objection":       nil,
		"Contre-productif, à mon avis":     nil,
		"Contrebasse à vendre":             nil,
		"Bonjour à tous, je suis contre":   nil,
		"Againstness":                      nil,
		"D'accordéon":                      nil,
		"Objection : pourquoi si cher ?":   {O},
		"Je suis contre, et vous ?":        {O},
		"Objection, pas maintenant":        {O},
		"Blocage - pas le bon moment":      {O},
	} {
		if got := kinds(Commands(line)); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", line, got, want)
		}
	}
}

func TestPlainWordReasons(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]string{
		"Je ne suis pas d'accord, nous n'avons pas la place.": "nous n'avons pas la place.",
		"Pas d'accord : trop cher":                            "trop cher",
		"Contre, c'est trop cher":                             "c'est trop cher",
		"Moi, je suis contre : le bruit":                      "le bruit",
		"I disagree: it is too loud":                          "it is too loud",
		"Je suis contre cette dépense":                        "cette dépense",
	} {
		p := Commands(line)
		if len(p.Commands) != 1 || p.Commands[0].Reason != want {
			t.Errorf("%q: %+v, want reason %q", line, p.Commands, want)
		}
	}
}

// A reply without position: no command, but disagreement or a question.
func TestNoPosition(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]bool{
		"Qui est contre ?":                        true,
		"Combien ça coûte ?":                      true,
		"Les voisins sont contre le bruit.":       true,
		"Merci, bonne idée !":                     false,
		"je ne vois pas d'objection":              false,
		"Par contre il faudra un abri.":           false,
		"objecton":                                true,
		"Contre.":                                 false, // an objection: a position
		"Bonne idée.\nMais qui va l'entretenir ?": true,
		"Bonjour à tous, je suis contre":          true,
		"Je ne suis pas d'accord\nQui paie ?":     false,
	} {
		p := Commands(text)
		if p.NoPosition() != want {
			t.Errorf("%q: no position %v (%+v), want %v", text, p.NoPosition(), p, want)
		}
	}
	p := Commands("Bonne idée.\nMais qui va l'entretenir ?")
	if !slices.Equal(p.Unclear, []string{"Mais qui va l'entretenir ?"}) {
		t.Errorf("unclear lines %q", p.Unclear)
	}
}

// The grammar reads at most MaxOwnText of the own text.
func TestOwnTextBound(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("Bonne idée, rien à ajouter.\n", MaxOwnText/20) + "OBJECTION\n"
	if p := Commands(text); len(p.Commands) != 0 {
		t.Errorf("a command after %d bytes was read: %+v", MaxOwnText, p.Commands)
	}
}
