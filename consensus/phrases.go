package consensus

// phrase is a command word or phrase, as normalised words.
type phrase struct {
	words string
	kind  EventKind
	// hint: a near miss of this phrase deserves a private hint.
	hint bool
	// alone: the phrase counts only at the end of the line or before
	// punctuation ("Contre." is an objection, "Contre quoi ?" is not).
	alone bool
	// negatable: "pas"/"point" right after it makes it support, "plus"
	// a lift ("je m'oppose pas", "je ne m'oppose plus").
	negatable bool
}

// phrases are docs/decisions.md. The longest that matches at the
// start of a line wins, so "objection levee" is a lift, "pas d'objection"
// a support and "je ne suis pas contre" a support, not an objection.
// Negated forms are listed with and without the French "ne", which
// spoken French drops.
var phrases = []phrase{
	// Lift an objection.
	{words: "i withdraw my objection", kind: EventLift, hint: true},
	{words: "i lift my objection", kind: EventLift, hint: true},
	{words: "je retire mon objection", kind: EventLift, hint: true},
	{words: "je leve mon objection", kind: EventLift, hint: true},
	{words: "j'enleve mon objection", kind: EventLift},
	{words: "withdraw objection", kind: EventLift, hint: true},
	{words: "retrait objection", kind: EventLift, hint: true},
	{words: "retrait de mon objection", kind: EventLift},
	{words: "objection lifted", kind: EventLift, hint: true},
	{words: "objection levee", kind: EventLift, hint: true},
	{words: "objection retiree", kind: EventLift, hint: true},
	{words: "objection withdrawn", kind: EventLift, hint: true},
	{words: "je n'ai plus d'objection", kind: EventLift},
	{words: "je n'ai plus aucune objection", kind: EventLift},
	{words: "plus d'objection", kind: EventLift},
	{words: "je ne m'oppose plus", kind: EventLift},
	{words: "je ne m'y oppose plus", kind: EventLift},
	{words: "je ne suis plus contre", kind: EventLift},
	{words: "je suis plus contre", kind: EventLift},
	{words: "i no longer object", kind: EventLift},
	{words: "i'm no longer against", kind: EventLift},
	{words: "i am no longer against", kind: EventLift},

	// Withdraw the proposal (author only).
	{words: "i withdraw my proposal", kind: EventWithdraw, hint: true},
	{words: "je retire ma proposition", kind: EventWithdraw, hint: true},
	{words: "withdraw proposal", kind: EventWithdraw, hint: true},
	{words: "retrait proposition", kind: EventWithdraw, hint: true},
	{words: "retrait de la proposition", kind: EventWithdraw},

	// Amend (author only).
	{words: "amendement", kind: EventAmend, hint: true},
	{words: "amendment", kind: EventAmend, hint: true},

	// Support: no objection, negated disagreement, plain agreement.
	{words: "pas d'objections", kind: EventSupport},
	{words: "pas d'objection", kind: EventSupport},
	{words: "no objections", kind: EventSupport},
	{words: "no objection", kind: EventSupport},
	{words: "aucune objection", kind: EventSupport},
	{words: "sans objection", kind: EventSupport},
	{words: "je ne m'oppose pas", kind: EventSupport},
	{words: "je ne m'y oppose pas", kind: EventSupport},
	{words: "je ne suis pas contre", kind: EventSupport},
	{words: "je suis pas contre", kind: EventSupport},
	{words: "pas contre", kind: EventSupport},
	{words: "je ne refuse pas", kind: EventSupport},
	{words: "je ne bloque pas", kind: EventSupport},
	{words: "je ne suis pas en desaccord", kind: EventSupport},
	{words: "i don't object", kind: EventSupport},
	{words: "i do not object", kind: EventSupport},
	{words: "i don't disagree", kind: EventSupport},
	{words: "i do not disagree", kind: EventSupport},
	{words: "i don't oppose", kind: EventSupport},
	{words: "i do not oppose", kind: EventSupport},
	{words: "i'm not against", kind: EventSupport},
	{words: "i am not against", kind: EventSupport},
	{words: "not against", kind: EventSupport},
	{words: "je soutiens", kind: EventSupport},
	{words: "je suis d'accord", kind: EventSupport},
	{words: "je suis favorable", kind: EventSupport},
	{words: "d'accord", kind: EventSupport},
	{words: "ok pour moi", kind: EventSupport},
	{words: "ca me va", kind: EventSupport},
	{words: "i agree", kind: EventSupport},
	{words: "i support", kind: EventSupport},
	{words: "support", kind: EventSupport},
	{words: "+1", kind: EventSupport},

	// Object: the command words, then plain disagreement.
	{words: "objection", kind: EventObject, hint: true},
	{words: "je m'oppose", kind: EventObject, hint: true, negatable: true},
	{words: "je m'y oppose", kind: EventObject, negatable: true},
	{words: "i object", kind: EventObject, hint: true},
	{words: "blocage", kind: EventObject, hint: true},
	{words: "-1", kind: EventObject},
	{words: "je ne suis pas d'accord", kind: EventObject},
	{words: "je suis pas d'accord", kind: EventObject},
	{words: "pas d'accord", kind: EventObject},
	{words: "je suis en desaccord", kind: EventObject},
	{words: "desaccord", kind: EventObject, alone: true},
	{words: "je suis contre", kind: EventObject, negatable: true},
	{words: "contre", kind: EventObject, alone: true},
	{words: "je refuse", kind: EventObject, negatable: true},
	{words: "je bloque", kind: EventObject, negatable: true},
	{words: "veto", kind: EventObject},
	{words: "ca ne me va pas", kind: EventObject},
	{words: "ca me va pas", kind: EventObject},
	{words: "i disagree", kind: EventObject},
	{words: "i don't agree", kind: EventObject},
	{words: "i do not agree", kind: EventObject},
	{words: "i'm against", kind: EventObject},
	{words: "i am against", kind: EventObject},
	{words: "against", kind: EventObject},
	{words: "i oppose", kind: EventObject},
	{words: "i'm opposed", kind: EventObject},
	{words: "i am opposed", kind: EventObject},
}

// fillers may open a line before its command without changing it:
// "Moi, je suis contre.", "Non, pas d'accord.", "Bonjour, +1".
var fillers = map[string]bool{
	"moi": true, "perso": true, "personnellement": true, "alors": true, "bon": true, "bref": true,
	"euh": true, "ben": true, "bah": true, "oui": true, "non": true, "yes": true, "no": true,
	"bonjour": true, "bonsoir": true, "salut": true, "coucou": true, "hello": true, "hi": true,
	"personally": true, "well": true, "honnetement": true, "sincerement": true,
}

// intensifiers may stand inside or before a phrase without changing it:
// "pas du tout d'accord", "tout a fait d'accord", "strongly disagree".
var intensifiers = [][]string{
	{"tout", "a", "fait"}, {"du", "tout"}, {"at", "all"},
	{"vraiment"}, {"absolument"}, {"totalement"}, {"completement"}, {"franchement"},
	{"carrement"}, {"entierement"}, {"plutot"}, {"resolument"}, {"fermement"},
	{"really"}, {"totally"}, {"completely"}, {"absolutely"}, {"strongly"}, {"fully"},
	{"entirely"}, {"definitely"}, {"firmly"},
}

// disagreeing words make a reply without a command "a reply without
// position": the sender may have meant to object. Negated ("pas
// d'objection"), they do not count.
var disagreeing = map[string]bool{
	"contre": true, "desaccord": true, "oppose": true, "opposee": true, "opposes": true, "opposer": true,
	"opposition": true, "objection": true, "objections": true, "refuse": true, "bloque": true,
	"bloquer": true, "blocage": true, "veto": true, "disagree": true, "against": true, "object": true,
	"opposed": true, "objecting": true,
}

// negations cancel a disagreeing word up to two words ahead of it.
var negations = map[string]bool{
	"pas": true, "aucune": true, "aucun": true, "sans": true, "no": true, "not": true, "ne": true,
	"n'": true, "jamais": true, "don't": true, "doesn't": true, "never": true, "plus": true, "nor": true,
}
