package notice

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"tacit/consensus"
)

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// sample is data written to trap the templates: titles, texts, reasons,
// names and lines that read as commands, which must reach the reader
// quoted, never at the start of a line of ours.
func sample(t *testing.T) Data {
	t.Helper()
	opened := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	p := consensus.NewProposal(consensus.Draft{List: "jardin@lists.test", Number: 7, Author: "alice@example.org",
		AuthorName: "OBJECTION\nContre", DeadlineUnread: "Échéance : OBJECTION\nCONTRE",
		Title: "OBJECTION: acheter une tondeuse", Text: "OBJECTION\nJe propose d'acheter une tondeuse.\n+1",
		Received: opened, Requested: time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC), Min: time.Hour})
	p.Objections = []consensus.Objection{{Member: "bob@example.org", Name: "Contre.", Reason: "objection: trop cher\n-1", At: opened.Add(time.Hour)}}
	p.Supports = []consensus.Support{{Member: "carol@example.org", Name: "+1", At: opened}}
	p.Replies, p.Unpositioned = 3, 1
	p.Decided = p.Deadline
	p.DeadlineRaised = true
	return Data{ListName: "jardin", ListAddress: "jardin@lists.test", Proposal: p,
		Command: consensus.EventObject, Why: consensus.WhyLate, Reason: "OBJECTION trop cher",
		Hints:    []string{"objecton : trop cher"},
		Unclear:  []string{"OBJECTION ?", "Je suis contre\nD'ACCORD"},
		Location: paris(t), Now: opened,
		Results: []string{"Vous êtes maintenant abonné à jardin@lists.test."}, Help: true,
		Token: "abcdefghijklmnop1234", Member: "bob@example.org",
		Post: HeldPost{From: "eve@example.net", Subject: "OBJECTION: spam", Reason: ReasonNotMember, Rejection: "-1 hors sujet\nOBJECTION"}}
}

// The dates of the realistic proposal, in Paris.
var (
	opened    = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC) // samedi 28 novembre 2026 à 10 h
	amendedAt = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC) // lundi 30 novembre 2026 à 10 h
	firstDue  = "mardi 1er décembre 2026 à 10 h"              // the first version's deadline
	newDue    = "samedi 5 décembre 2026 à 10 h"               // the amendment's
)

// realistic is a proposal as the engine leaves it: Alice Martin proposes
// with a deadline line nobody can read, Carol Petit and dan (no display
// name) support it, two members reply without a position, Bob Durand
// objects with a reason, then Alice amends it with a new deadline.
func realistic(t *testing.T) Data {
	t.Helper()
	p := consensus.NewProposal(consensus.Draft{List: "jardin@lists.test", Number: 7,
		Author: "alice@example.org", AuthorName: "Alice Martin", Title: "Acheter une tondeuse",
		MessageID:      "<p7@example.org>",
		Text:           "Je propose d'acheter une tondeuse pour le jardin partagé.\nÉchéance : à la saint-glinglin",
		DeadlineUnread: "Échéance : à la saint-glinglin",
		Received:       opened, Default: 72 * time.Hour, Min: 24 * time.Hour, RemindBefore: 24 * time.Hour})
	reply := func(from, name string, at time.Time, e consensus.Event) {
		t.Helper()
		p, _ = consensus.Apply(p, consensus.Event{Kind: consensus.EventReply, From: from, FromName: name,
			Member: true, At: at, NoPosition: e.Kind == ""}, at)
		if e.Kind == "" {
			return
		}
		e.From, e.FromName, e.Member, e.At = from, name, true, at
		var fx []consensus.Effect
		p, fx = consensus.Apply(p, e, at)
		for _, f := range fx {
			if f.Kind == consensus.EffectRefused {
				t.Fatalf("%s refused: %+v", e.Kind, f)
			}
		}
	}
	reply("carol@example.org", "Carol Petit", opened.Add(time.Hour), consensus.Event{Kind: consensus.EventSupport})
	reply("dan@example.org", "", opened.Add(2*time.Hour), consensus.Event{Kind: consensus.EventSupport})
	reply("eve@example.org", "Ève Leroy", opened.Add(3*time.Hour), consensus.Event{})
	reply("frank@example.org", "Frank Morel", opened.Add(4*time.Hour), consensus.Event{})
	reply("bob@example.org", "Bob Durand", opened.Add(5*time.Hour), consensus.Event{Kind: consensus.EventObject,
		Reason: "trop cher pour cette année.\nOn pourrait en louer une."})
	reply("alice@example.org", "Alice Martin", amendedAt, consensus.Event{Kind: consensus.EventAmend,
		Text:     "Je propose d'acheter une tondeuse d'occasion, 150 € au plus.\nÉchéance : 5 jours",
		Deadline: amendedAt.Add(5 * 24 * time.Hour)})
	if !p.Amended() || Date(p.Deadline, "fr", paris(t)) != newDue {
		t.Fatalf("the realistic proposal is not amended as the tests expect: %+v", p)
	}
	return Data{ListName: "jardin", ListAddress: "jardin@lists.test", Proposal: p,
		Command: consensus.EventObject, Reason: "trop cher pour cette année.\nOn pourrait en louer une.",
		Why:     consensus.WhyLate,
		Unclear: []string{"Pourquoi pas une tondeuse électrique ?", "Je trouve ça cher."},
		Results: []string{"Vous êtes maintenant abonné à jardin@lists.test."},
		Member:  "dan@example.org", Token: "abcdefghijklmnop1234",
		Post:    HeldPost{From: "eve@example.net", Subject: "Vends vélo", Reason: ReasonNotMember},
		Members: 12, RegisterURL: registerURL,
		Location: paris(t), Now: amendedAt}
}

// registerURL is the realistic list's public register.
const registerURL = "https://lists.test/lists/jardin/decisions"

// outcome returns d with its proposal moved on by e (a tick, a lift, a
// withdrawal) at time at.
func outcome(t *testing.T, d Data, at time.Time, es ...consensus.Event) Data {
	t.Helper()
	for _, e := range es {
		if e.Kind != consensus.EventTick {
			e.Member, e.At = true, at
		}
		d.Proposal, _ = consensus.Apply(d.Proposal, e, at)
	}
	return d
}

// commandStarts are the words a line of the sender's own text may start
// with to count (docs/decisions.md), normalised as the grammar
// compares them, with the negated forms that count as support. The test
// reads our texts with them, independently of the grammar.
var commandStarts = []string{
	// object
	"objection", "je m'oppose", "i object", "blocage", "-1",
	"je ne suis pas d'accord", "je suis pas d'accord", "pas d'accord", "je suis contre", "contre",
	"je m'y oppose", "je refuse", "je bloque", "veto", "i disagree", "i don't agree", "i do not agree",
	"i'm against", "i am against", "against", "i oppose",
	// lift
	"objection levee", "objection lifted", "objection retiree", "objection withdrawn",
	"je leve mon objection", "je retire mon objection", "withdraw objection", "retrait objection",
	"i withdraw my objection", "i lift my objection",
	// support
	"+1", "d'accord", "je soutiens", "support", "pas d'objection", "pas d'objections", "aucune objection",
	"sans objection", "no objection", "no objections", "je suis d'accord", "ok pour moi", "ca me va", "i agree",
	"je ne suis pas contre", "je suis pas contre", "pas contre", "je m'oppose pas", "je ne m'oppose pas",
	"i don't object", "i do not object",
	// withdraw, amend
	"retrait proposition", "je retire ma proposition", "withdraw proposal", "i withdraw my proposal",
	"amendement", "amendment",
}

// fillers may open a line before a command without changing it (the
// grammar's own list is wider; these are the ones our texts could use).
var fillers = map[string]bool{"bonjour": true, "hello": true, "oui": true, "non": true, "yes": true,
	"no": true, "alors": true, "bon": true, "well": true, "moi": true}

// startsWithCommand returns the command word a line of ours starts with,
// as a whole word, after any punctuation, bullet or filler ("- Contre.",
// "« OBJECTION »", "Oui, d'accord"), or "".
func startsWithCommand(line string) string {
	n := consensus.Normalize(line)
	for {
		n = strings.TrimLeftFunc(n, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '+' && r != '-'
		})
		if strings.HasPrefix(n, "- ") || strings.HasPrefix(n, "+ ") {
			n = n[2:]
			continue
		}
		word, rest, _ := strings.Cut(n, " ")
		if w := strings.TrimRight(word, ",.;:!"); fillers[w] && rest != "" {
			n = rest
			continue
		}
		break
	}
	for _, w := range commandStarts {
		rest, ok := strings.CutPrefix(n, w)
		if !ok {
			continue
		}
		if rest == "" || !isWordRune(rest[0]) {
			return w
		}
	}
	return ""
}

func isWordRune(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b >= 0x80
}

func TestStartsWithCommand(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]string{
		"OBJECTION : trop cher": "objection", "Objections à lever": "", "Contre.": "contre",
		"  D’ACCORD pour moi": "d'accord", "Ça me va": "ca me va", "contre-proposition": "contre",
		"- Contre.": "contre", "« OBJECTION »": "objection", "Oui, d'accord": "d'accord",
		"(Aucune objection.)": "aucune objection", "- de Contre, le lundi": "",
		"Supporters: 2": "", "-15 %": "", "La raison : OBJECTION": "", "Bonjour,": "",
	} {
		if got := startsWithCommand(line); got != want {
			t.Errorf("startsWithCommand(%q) = %q, want %q", line, got, want)
		}
	}
}

// ours returns the lines of a text that are ours: not members' text,
// which is quoted with ">".
func ours(body string) []string {
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if !strings.HasPrefix(l, ">") {
			lines = append(lines, l)
		}
	}
	return lines
}

// renderAll renders every kind in both languages for every command.
func renderAll(t *testing.T, d Data, check func(lang string, k Kind, cmd consensus.EventKind, txt Text)) {
	t.Helper()
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"fr", "en"} {
		for _, k := range Kinds {
			for _, cmd := range []consensus.EventKind{consensus.EventObject, consensus.EventLift,
				consensus.EventSupport, consensus.EventWithdraw, consensus.EventAmend} {
				d.Command = cmd
				txt, err := r.Render(k, lang, d)
				if err != nil {
					t.Fatalf("%s/%s: %v", lang, k, err)
				}
				check(lang, k, cmd, txt)
			}
		}
	}
}

// No line of ours may read as a command, whatever the members wrote:
// clients that quote without ">" would turn every reply into one.
func TestNoLineStartsWithACommand(t *testing.T) {
	t.Parallel()
	approved := sample(t)
	approved.Post.Approved, approved.Post.Reason = true, "OBJECTION\nCONTRE"
	approved.Unclear, approved.Reason = nil, ""
	// With a public register, a count of members and a meeting's
	// blocked proposals: the participation sentences and the links.
	listed := sample(t)
	listed.RegisterURL, listed.Members = "https://lists.test/lists/jardin/decisions", 1234
	listed.Links = Links{Support: "https://lists.test/p/AQdqYXJkaW4/support", Object: "https://lists.test/p/AQdqYXJkaW4/object",
		Lift: "https://lists.test/p/AQdqYXJkaW4/lift"}
	listed.Proposal.Respondents = []string{"bob@example.org", "dan@example.org", "eve@example.org"}
	listed.Meeting = Meeting{At: opened.Add(96 * time.Hour), Place: "OBJECTION\nsalle", Title: "D'ACCORD"}
	listed.Blocked = []consensus.Proposal{listed.Proposal, realistic(t).Proposal}
	for name, d := range map[string]Data{"trap": sample(t), "trap approved": approved, "realistic": realistic(t),
		"trap listed": listed} {
		renderAll(t, d, func(lang string, k Kind, cmd consensus.EventKind, txt Text) {
			where := name + " " + lang + "/" + string(k) + "/" + string(cmd)
			if strings.Contains(txt.Body, "<no value>") || strings.Contains(txt.Subject, "<no value>") {
				t.Errorf("%s: missing value:\n%s", where, txt.Body)
			}
			for _, line := range ours(txt.Body) {
				if w := startsWithCommand(line); w != "" {
					t.Errorf("%s: a line starts with %q: %q", where, w, line)
				}
				// The grammar itself reads each line of ours as
				// discussion; a word of ours close to a command would
				// earn whoever quotes us a hint they did not ask for.
				if got := consensus.Commands(line); len(got.Commands) > 0 || len(got.Hints) > 0 {
					t.Errorf("%s: the grammar reads %q as %+v", where, line, got)
				}
			}
			// Quoted without ">" by an Outlook user, above their own text.
			reply := "Merci.\n\n" + txt.Body
			if got := consensus.Commands(consensus.OwnText(reply)); len(got.Commands) > 0 {
				t.Errorf("%s quoted plainly reads as %+v", where, got.Commands)
			}
			if k != Footer && txt.Subject == "" {
				t.Errorf("%s has no subject", where)
			}
			if strings.Contains(txt.Subject, "\n") {
				t.Errorf("%s: subject on two lines: %q", where, txt.Subject)
			}
		})
	}
}

// What a reader checks in every text about the amended proposal.
func TestAmendedProposalEverywhere(t *testing.T) {
	t.Parallel()
	d := realistic(t)
	// The texts that speak about a proposal, and whether they show its
	// deadline while it is open.
	about := map[Kind]bool{Reminder: true, Amended: true, Footer: true, Ack: true, Refused: true,
		Hint: true, DeadlineUnread: true}
	renderAll(t, d, func(lang string, k Kind, cmd consensus.EventKind, txt Text) {
		where := lang + "/" + string(k) + "/" + string(cmd)
		body := txt.Body
		for _, bad := range []string{"(s)", "(en)", "debout", "tenai", "<no value>", "\n\n\n", " \n"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: %q in:\n%s", where, bad, body)
			}
		}
		other := consensus.ReplyAboveEN
		if lang == "en" {
			other = consensus.ReplyAboveFR
		}
		if strings.Contains(body, other) {
			t.Errorf("%s: the reply-above line is in the other language:\n%s", where, body)
		}
		if lang == "fr" && regexp.MustCompile(`(?i)\b(deadline|proposal|reply|objections? still)\b`).MatchString(body) {
			t.Errorf("%s: English in a French text:\n%s", where, body)
		}
		if !about[k] {
			return
		}
		amended, due, first := "amendée le lundi 30 novembre 2026 à 10 h", newDue, firstDue
		if lang == "en" {
			amended, due, first = "amended on Monday 30 November 2026 at 10:00 (CET)",
				"Saturday 5 December 2026 at 10:00 (CET)", "Tuesday 1 December 2026 at 10:00 (CET)"
		}
		if !strings.Contains(strings.Join(strings.Fields(body), " "), amended) {
			t.Errorf("%s does not say %q:\n%s", where, amended, body)
		}
		if !strings.Contains(strings.Join(strings.Fields(body), " "), due) {
			t.Errorf("%s does not show the current deadline %q:\n%s", where, due, body)
		}
		if strings.Contains(strings.Join(strings.Fields(body), " "), first) {
			t.Errorf("%s shows the first version's deadline %q:\n%s", where, first, body)
		}
		if strings.Contains(body, "pour le jardin partagé") {
			t.Errorf("%s shows the first version's text:\n%s", where, body)
		}
		// Names, not bare addresses, of those whose name is known; never
		// anybody who replied without a position.
		for _, addr := range []string{"alice@example.org", "bob@example.org", "carol@example.org",
			"eve@example.org", "frank@example.org", "Ève Leroy", "Frank Morel"} {
			if strings.Contains(body, addr) {
				t.Errorf("%s names %q:\n%s", where, addr, body)
			}
		}
	})
}

// The outcome notices of the amended proposal speak of its current
// version too, and say how many took part without naming the silent.
func TestAmendedProposalOutcomes(t *testing.T) {
	t.Parallel()
	d := realistic(t)
	outcomes := map[Kind]Data{
		Blocked: outcome(t, d, d.Proposal.Deadline, consensus.Event{Kind: consensus.EventTick}),
		Adopted: outcome(t, outcome(t, d, amendedAt.Add(time.Hour),
			consensus.Event{Kind: consensus.EventLift, From: "bob@example.org"}),
			d.Proposal.Deadline, consensus.Event{Kind: consensus.EventTick}),
		Withdrawn: outcome(t, d, amendedAt.Add(30*time.Hour),
			consensus.Event{Kind: consensus.EventWithdraw, From: "alice@example.org"}),
	}
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for k, x := range outcomes {
		for _, lang := range []string{"fr", "en"} {
			txt, err := r.Render(k, lang, x)
			if err != nil {
				t.Fatal(err)
			}
			body := oneLine(txt.Body)
			want := []string{"amendée le lundi 30 novembre 2026 à 10 h", "2 réponses sans position. Lisez-les avant d'agir.",
				"Tout l'échange et la page de la proposition : " + registerURL + "/7"}
			if lang == "en" {
				want = []string{"amended on Monday 30 November 2026 at 10:00 (CET)",
					"2 replies without position. Please read them before acting.",
					"The proposal's page: " + registerURL + "/7"}
			}
			if k != Withdrawn {
				want = append(want, "> Je propose d'acheter une tondeuse d'occasion")
				if lang == "fr" {
					want = append(want, newDue)
				} else {
					want = append(want, "Saturday 5 December 2026 at 10:00 (CET)")
				}
			}
			for _, w := range want {
				if !strings.Contains(body, oneLine(w)) {
					t.Errorf("%s/%s lacks %q:\n%s", lang, k, w, txt.Body)
				}
			}
			for _, bad := range []string{firstDue, "Tuesday 1 December 2026 at 10:00", "pour le jardin partagé",
				"alice@example.org", "bob@example.org", "carol@example.org", "eve@example.org", "frank@example.org",
				"Ève Leroy", "Frank Morel", "(s)", "<no value>", "0001"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s/%s shows %q:\n%s", lang, k, bad, txt.Body)
				}
			}
		}
	}
}

func TestNoticeSubjectsAndContent(t *testing.T) {
	t.Parallel()
	d := realistic(t)
	blocked := outcome(t, d, d.Proposal.Deadline, consensus.Event{Kind: consensus.EventTick})
	lifted := outcome(t, blocked, d.Proposal.Deadline.Add(time.Hour),
		consensus.Event{Kind: consensus.EventReply, From: "bob@example.org"},
		consensus.Event{Kind: consensus.EventLift, From: "bob@example.org"})
	adopted := outcome(t, d, d.Proposal.Deadline.Add(-time.Hour),
		consensus.Event{Kind: consensus.EventReply, From: "bob@example.org"},
		consensus.Event{Kind: consensus.EventLift, From: "bob@example.org"})
	adopted = outcome(t, adopted, d.Proposal.Deadline, consensus.Event{Kind: consensus.EventTick})
	withdrawn := outcome(t, d, amendedAt.Add(30*time.Hour),
		consensus.Event{Kind: consensus.EventReply, From: "alice@example.org"},
		consensus.Event{Kind: consensus.EventWithdraw, From: "alice@example.org"})
	reminder := outcome(t, d, amendedAt.Add(time.Hour),
		consensus.Event{Kind: consensus.EventReply, From: "bob@example.org"},
		consensus.Event{Kind: consensus.EventLift, From: "bob@example.org"})
	support := d
	support.Command = consensus.EventSupport
	hint := d
	hint.Hints = []string{"objecton : trop cher"}
	for _, x := range []Data{blocked, lifted, adopted, withdrawn} {
		if x.Proposal.Status == consensus.StatusOpen {
			t.Fatalf("the outcome did not happen: %+v", x.Proposal)
		}
	}
	cases := []struct {
		name    string
		d       Data
		kind    Kind
		lang    string
		subject string
		body    []string
	}{
		{"adopted", adopted, Adopted, "fr", "[jardin] [ADOPTÉE #7] Acheter une tondeuse", []string{
			"La proposition n° 7 est adoptée : personne ne s'y est opposé avant son échéance, le " + newDue + ".",
			"proposée par Alice Martin le samedi 28 novembre 2026 à 10 h, puis amendée le lundi 30 novembre 2026 à 10 h.",
			"6 membres sur 12 se sont exprimés : 2 soutiens, aucune objection, 2 réponses sans position. Lisez-les avant d'agir.",
			"Soutiens : Carol Petit et dan@example.org.",
			"Le texte adopté, tel qu'amendé le lundi 30 novembre 2026 à 10 h :",
			"> Je propose d'acheter une tondeuse d'occasion, 150 € au plus."}},
		{"lifted", lifted, Adopted, "fr", "[jardin] [ADOPTÉE #7] Acheter une tondeuse", []string{
			"la dernière objection a été levée le samedi 5 décembre 2026 à 11 h."}},
		{"adopted", adopted, Adopted, "en", "[jardin] [ADOPTED #7] Acheter une tondeuse", []string{
			"nobody objected before its deadline, Saturday 5 December 2026 at 10:00 (CET).",
			"6 of 12 members took part: 2 supports, no objections, 2 replies without position. Please read them before acting.",
			"In support: Carol Petit and dan@example.org."}},
		{"blocked", blocked, Blocked, "fr", "[jardin] [BLOQUÉE #7] Acheter une tondeuse", []string{
			"est bloquée : à son échéance, le " + newDue + ", il restait une objection.",
			"L'objection :", "- de Bob Durand, le samedi 28 novembre 2026 à 15 h :\n> trop cher pour cette année.\n> On pourrait en louer une.",
			"6 membres sur 12 se sont exprimés : 2 soutiens, 1 objection, 2 réponses sans position. Lisez-les avant d'agir.",
			"les mots OBJECTION LEVÉE.", consensus.ReplyAboveFR}},
		{"blocked", blocked, Blocked, "en", "[jardin] [BLOCKED #7] Acheter une tondeuse", []string{
			"one objection still stood.", "- from Bob Durand, on Saturday 28 November 2026 at 15:00 (CET):",
			"6 of 12 members took part: 2 supports, 1 objection, 2 replies without position.", "the words OBJECTION LIFTED.",
			consensus.ReplyAboveEN}},
		{"withdrawn", withdrawn, Withdrawn, "fr", "[jardin] [RETIRÉE #7] Acheter une tondeuse", []string{
			"retirée le mardi 1er décembre 2026 à 16 h\npar son auteur, Alice Martin.",
			"6 membres sur 12 se sont exprimés : 2 soutiens, 1 objection, 2 réponses sans position."}},
		{"withdrawn", withdrawn, Withdrawn, "en", "[jardin] [WITHDRAWN #7] Acheter une tondeuse", []string{
			"by its author, Alice Martin."}},
		{"reminder", reminder, Reminder, "fr", "[jardin] [RAPPEL #7] Acheter une tondeuse", []string{
			consensus.ReplyAboveFR, "sera adoptée le\n" + newDue,
			"6 membres sur 12 se sont exprimés : 2 soutiens, aucune objection, 2 réponses sans position. Lisez-les avant d'agir.",
			"le mot OBJECTION, suivi de votre raison.",
			"les mots D'ACCORD."}},
		{"reminder", reminder, Reminder, "en", "[jardin] [REMINDER #7] Acheter une tondeuse", []string{
			consensus.ReplyAboveEN, "6 of 12 members took part: 2 supports, no objections, 2 replies without position.",
			"the word SUPPORT."}},
		{"amended", d, Amended, "fr", "[jardin] [AMENDÉE #7] Acheter une tondeuse", []string{
			"La proposition n° 7 a été amendée le lundi 30 novembre 2026 à 10 h\npar son auteur, Alice Martin",
			"Le délai repart : elle sera adoptée le " + newDue,
			"> Je propose d'acheter une tondeuse d'occasion, 150 € au plus.\n> Échéance : 5 jours",
			"l'objection de Bob Durand reste en place.", "les mots OBJECTION LEVÉE.",
			"le mot OBJECTION, suivi de votre raison.", "les mots D'ACCORD.", consensus.ReplyAboveFR}},
		{"amended", d, Amended, "en", "[jardin] [AMENDED #7] Acheter une tondeuse", []string{
			"The deadline starts again: it will be adopted on Saturday 5 December 2026 at 10:00 (CET)",
			"the objection from Bob Durand still stands.", consensus.ReplyAboveEN}},
		{"footer", d, Footer, "fr", "", []string{consensus.ReplyAboveFR, "proposition n° 7",
			"(Échéance non comprise : « Échéance : à la saint-glinglin » ; l'échéance par défaut de la liste s'applique.)",
			"le mot OBJECTION, suivi de votre raison.", "les mots D'ACCORD."}},
		{"footer", d, Footer, "en", "", []string{consensus.ReplyAboveEN,
			`(Deadline not understood: "Échéance : à la saint-glinglin"; the list's default deadline applies.)`}},
		{"ack", d, Ack, "fr", "[jardin] #7 : objection enregistrée", []string{
			"objection enregistrée pour la proposition", "> trop cher pour cette année.",
			"en écrivant au début d'une ligne : OBJECTION LEVÉE.", "À ce jour : une objection et 2 soutiens."}},
		{"ack", d, Ack, "en", "[jardin] #7: your objection is recorded", []string{
			"write at the start of a line: OBJECTION LIFTED.", "So far: one objection and 2 supporters."}},
		{"support", support, Ack, "fr", "[jardin] #7 : soutien enregistré", []string{"Merci."}},
		{"refused", d, Refused, "fr", "[jardin] #7 : message non compté", []string{"après l'échéance"}},
		{"refused", d, Refused, "en", "[jardin] #7: your message was not counted", []string{"after the deadline"}},
		{"hint", d, Hint, "fr", "[jardin] #7 : votre réponse n'a pas été comptée", []string{
			"Bonjour,\n\nVotre réponse ne contient pas de position : rien n'a été compté.",
			"> Pourquoi pas une tondeuse électrique ?\n> Je trouve ça cher.",
			"le mot OBJECTION, suivi de votre raison.", "les mots D'ACCORD.",
			"Si votre réponse était une question à l'auteur de la proposition,\nvous n'avez rien d'autre à faire."}},
		{"hint", hint, Hint, "fr", "[jardin] #7 : votre réponse n'a pas été comptée", []string{"> objecton : trop cher"}},
		{"hint", d, Hint, "en", "[jardin] #7: your reply was not counted", []string{
			"Your reply does not state a position: nothing was counted."}},
		{"deadline", d, DeadlineUnread, "fr", "[jardin] #7 : échéance non comprise", []string{
			"cette ligne d'échéance n'a pas été comprise :\n\n> Échéance : à la saint-glinglin",
			"elle sera adoptée le " + newDue, "le seul mot AMENDEMENT",
			"    Échéance : vendredi 18h\n    Échéance : 15/12/2026\n    Échéance : 5 jours"}},
		{"deadline", d, DeadlineUnread, "en", "[jardin] #7: deadline not understood", []string{
			"> Échéance : à la saint-glinglin", "the single word AMENDMENT"}},
		{"request", d, Request, "fr", "confirm abcdefghijklmnop1234", []string{"Vous êtes maintenant abonné", "répondez simplement"}},
	}
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		txt, err := r.Render(c.kind, c.lang, c.d)
		if err != nil {
			t.Fatal(err)
		}
		if txt.Subject != c.subject {
			t.Errorf("%s %s/%s subject %q, want %q", c.name, c.lang, c.kind, txt.Subject, c.subject)
		}
		for _, w := range c.body {
			// Compared without line breaks: a reader does not see
			// where a sentence wraps.
			if !strings.Contains(oneLine(txt.Body), oneLine(w)) {
				t.Errorf("%s %s/%s body lacks %q:\n%s", c.name, c.lang, c.kind, w, txt.Body)
			}
		}
	}
	if txt, _ := Render(Adopted, "de", adopted); !strings.Contains(txt.Subject, "ADOPTÉE") {
		t.Errorf("an unknown language must fall back to French: %q", txt.Subject)
	}
}

// oneLine writes s with its runs of spaces and line breaks as one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Zero, one and two of everything read right.
func TestPlurals(t *testing.T) {
	t.Parallel()
	d := realistic(t)
	// The objectors, then the supporters, are the first of the members
	// who replied.
	member := func(i int) string { return fmt.Sprintf("m%d@example.org", i) }
	obj := func(n int) []consensus.Objection {
		os := make([]consensus.Objection, n)
		for i := range os {
			os[i] = consensus.Objection{Member: member(i), Name: "Membre", At: opened}
		}
		return os
	}
	sup := func(n, after int) []consensus.Support {
		ss := make([]consensus.Support, n)
		for i := range ss {
			ss[i] = consensus.Support{Member: member(after + i), At: opened}
		}
		return ss
	}
	cases := []struct {
		objections, supports, replies, unpositioned int
		lang                                        string
		want                                        []string
	}{
		{0, 0, 0, 0, "fr", []string{"À ce jour : aucune objection et aucun soutien.", "Aucun membre ne s'est encore exprimé."}},
		{1, 1, 2, 1, "fr", []string{"À ce jour : une objection et un soutien.",
			"2 membres sur 12 se sont exprimés : 1 soutien, 1 objection, 1 réponse sans position. Lisez-la avant d'agir."}},
		{2, 2, 5, 2, "fr", []string{"À ce jour : 2 objections et 2 soutiens.",
			"5 membres sur 12 se sont exprimés : 2 soutiens, 2 objections, 2 réponses sans position. Lisez-les avant d'agir.",
			"il restait 2 objections.", "Les objections :"}},
		{1, 0, 1, 0, "fr", []string{"1 membre sur 12 s'est exprimé : aucun soutien, 1 objection.", "il restait une objection.", "L'objection :"}},
		{0, 0, 1, 1, "fr", []string{"1 membre sur 12 s'est exprimé : aucun soutien, aucune objection, 1 réponse sans position."}},
		{0, 0, 0, 0, "en", []string{"So far: no objections and no supporters.", "No member has taken part yet."}},
		{1, 1, 2, 1, "en", []string{"So far: one objection and one supporter.",
			"2 of 12 members took part: 1 support, 1 objection, 1 reply without position. Please read it before acting."}},
		{2, 2, 5, 2, "en", []string{"So far: 2 objections and 2 supporters.",
			"5 of 12 members took part: 2 supports, 2 objections, 2 replies without position. Please read them before acting.",
			"2 objections still stood.", "The objections:"}},
		{1, 0, 1, 0, "en", []string{"1 of 12 members took part: no supports, 1 objection.", "one objection still stood.", "The objection:"}},
	}
	for _, c := range cases {
		d.Proposal.Objections, d.Proposal.Supports = obj(c.objections), sup(c.supports, c.objections)
		d.Proposal.Replies, d.Proposal.Unpositioned = c.replies, c.unpositioned
		d.Proposal.Respondents = nil
		for i := range c.replies {
			d.Proposal.Respondents = append(d.Proposal.Respondents, member(i))
		}
		var all strings.Builder
		for _, k := range []Kind{Ack, Blocked, Adopted} {
			d.Command = consensus.EventObject
			txt, err := Render(k, c.lang, d)
			if err != nil {
				t.Fatal(err)
			}
			all.WriteString(txt.Body)
		}
		for _, w := range c.want {
			if !strings.Contains(oneLine(all.String()), w) {
				t.Errorf("%+v: lacks %q:\n%s", c, w, all.String())
			}
		}
		if c.unpositioned == 0 && strings.Contains(all.String(), "sans position") {
			t.Errorf("%+v: speaks of replies without position when there are none", c)
		}
	}
}

func TestWho(t *testing.T) {
	t.Parallel()
	if got := who("Alice Martin", "alice@example.org"); got != "Alice Martin" {
		t.Errorf("who with a name = %q", got)
	}
	if got := who(" ", "alice@example.org"); got != "alice@example.org" {
		t.Errorf("who without a name = %q", got)
	}
	if got := who("Alice\n  Martin", "a@b"); got != "Alice Martin" {
		t.Errorf("who must keep a name on one line: %q", got)
	}
	ss := []consensus.Support{{Member: "a@x", Name: "Ann"}, {Member: "b@x"}, {Member: "c@x", Name: "Cid"}}
	if got := names("fr", ss); got != "Ann, b@x et Cid" {
		t.Errorf("names = %q", got)
	}
	if got := names("en", ss[:2]); got != "Ann and b@x" {
		t.Errorf("names = %q", got)
	}
}

func TestDateInWords(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	cases := []struct {
		t    time.Time
		lang string
		want string
	}{
		{time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC), "fr", "mardi 1er décembre 2026 à 18 h"},
		{time.Date(2026, 12, 2, 17, 30, 0, 0, time.UTC), "fr", "mercredi 2 décembre 2026 à 18 h 30"},
		{time.Date(2027, 3, 28, 12, 0, 0, 0, time.UTC), "fr", "dimanche 28 mars 2027 à 14 h"}, // summer time
		{time.Date(2027, 8, 15, 22, 5, 0, 0, time.UTC), "fr", "lundi 16 août 2027 à 0 h 05"},
		{time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC), "en", "Tuesday 1 December 2026 at 18:00 (CET)"},
	}
	for _, c := range cases {
		if got := Date(c.t, c.lang, loc); got != c.want {
			t.Errorf("Date(%v, %s) = %q, want %q", c.t, c.lang, got, c.want)
		}
	}
}

// wrap breaks long sentences of ours, and never before a command word.
func TestWrap(t *testing.T) {
	t.Parallel()
	s := strings.Repeat("x", 60) + " une objection à la proposition n° 7 n'a pas été comptée, car " +
		strings.Repeat("y", 50) + " moi pas d'accord."
	got := wrap(s)
	if oneLine(got) != oneLine(s) {
		t.Errorf("wrap changed the words: %q", got)
	}
	for _, l := range strings.Split(got, "\n") {
		if w := startsWithCommand(l); w != "" {
			t.Errorf("wrap starts a line with %q:\n%s", w, got)
		}
		if n := len([]rune(l)); n > width {
			t.Errorf("line of %d characters: %q", n, l)
		}
	}
	// A line above made of one long word cannot give one: the command
	// word goes up instead.
	long := wrap(strings.Repeat("z", 80) + " contre. " + strings.Repeat("z", 80))
	for _, l := range strings.Split(long, "\n") {
		if w := startsWithCommand(l); w != "" {
			t.Errorf("wrap starts a line with %q:\n%s", w, long)
		}
	}
	if got := wrap("court"); got != "court" {
		t.Errorf("wrap(short) = %q", got)
	}
}
