// Package notice writes what tacit says to people: the notices of an
// outcome (adopted, blocked, withdrawn, reminder) and of an amendment,
// the footer of a distributed proposal, the private acknowledgments,
// refusals and hints a reply gets, and the private word to an author
// whose deadline line was not understood. The texts are text/template files embedded in the
// binary, one directory per language (fr, the default, and en). Dates are
// written in words in the list's timezone. The sentences written outside
// the templates (the answers to NAME-request, the owners' summary of held
// posts, the address probe, a proposal's Subject) are in sentences.go,
// named by a Sentence and written by Say.
//
// No line of ours starts with a command word (docs/decisions.md): clients
// that quote without ">" would turn a reply into a command. Text that
// comes from members (titles, reasons, proposal text) is quoted with "> "
// by the templates, names and other short texts of theirs are written
// in the middle of our lines, and the package's tests check every
// template with the words of docs/decisions.md.
//
// The texts are written for volunteers who are not at ease with email:
// the most important thing first, short sentences, real plurals
// ("aucune objection", "une objection", "2 objections"), names rather
// than addresses, dates in words.
package notice

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"sync"
	"text/template"
	"time"

	"tacit/consensus"
)

//go:embed templates
var files embed.FS

// Kind names a text.
type Kind string

// The texts of tacit.
const (
	Adopted   Kind = "adopted"
	Blocked   Kind = "blocked"
	Withdrawn Kind = "withdrawn"
	Reminder  Kind = "reminder"
	// Footer is appended to a distributed proposal.
	Footer Kind = "footer"
	// Ack tells a member their command was recorded.
	Ack Kind = "ack"
	// Refused tells a member their command did not count, and why.
	Refused Kind = "refused"
	// Hint tells a member their reply took no position and nothing was
	// counted: a word looked like a command but was not one (Hints), or
	// lines disagreed or asked a question (Unclear).
	Hint Kind = "hint"
	// Request answers the commands of a mail to NAME-request.
	Request Kind = "request"
	// HeldOwner asks the owners to approve or reject a held post.
	HeldOwner Kind = "heldowner"
	// HeldAuthor tells an author their post waits for moderation.
	HeldAuthor Kind = "heldauthor"
	// Moderated tells an author the owners' decision.
	Moderated Kind = "moderated"
	// Disabled tells the owners a member's delivery was stopped by
	// bounces.
	Disabled Kind = "disabled"
	// Amended tells the list the new text and deadline of a proposal.
	Amended Kind = "amended"
	// DeadlineUnread tells a proposal's author, privately, which deadline
	// line was not understood and which deadline applies.
	DeadlineUnread Kind = "deadline"
	// Agenda is a meeting's agenda, to the whole list (docs/meetings.md).
	Agenda Kind = "agenda"
	// AdoptedAtMeeting and Rejected tell the list a meeting's decision.
	AdoptedAtMeeting Kind = "adoptedmeeting"
	Rejected         Kind = "rejected"
	// ConfirmCommand asks the sender of an unauthenticated reply to
	// confirm its commands by a plain reply (Subject "confirm TOKEN").
	ConfirmCommand Kind = "confirmcommand"
	// ConfirmProposal asks the author of an unauthenticated proposal to
	// confirm it; it opens then.
	ConfirmProposal Kind = "confirmproposal"
	// NotAuthenticated tells the author of a proposal, on a list that
	// counts only authenticated mail, that it opened nothing.
	NotAuthenticated Kind = "unauthenticated"
	// HolidayEnd tells a member that their holidays (nomail until a
	// date) are over (docs/membership.md).
	HolidayEnd Kind = "holidayend"
)

// Kinds lists every text, for tests and documentation.
var Kinds = []Kind{Adopted, Blocked, Withdrawn, Reminder, Amended, Footer, Ack, Refused, Hint,
	DeadlineUnread, Request, HeldOwner, HeldAuthor, Moderated, Disabled, ConfirmCommand, ConfirmProposal,
	NotAuthenticated, Agenda, AdoptedAtMeeting, Rejected, HolidayEnd}

// Data is what a text may speak about.
type Data struct {
	// ListName is NAME, ListAddress NAME@DOMAIN.
	ListName, ListAddress string
	// Proposal is the proposal spoken about.
	Proposal consensus.Proposal
	// Command and Why describe an Ack or a Refused text.
	Command consensus.EventKind
	Why     string
	// Reason is the objection's reason of an Ack.
	Reason string
	// Hints are the near misses of a Hint text.
	Hints []string
	// Meeting is the meeting of an Agenda; Blocked, Upcoming and Decided
	// its three parts: the blocked proposals, those whose deadline falls
	// after the meeting, the decisions since the previous meeting.
	Meeting                    Meeting
	Blocked, Upcoming, Decided []consensus.Proposal
	// RegisterURL is the list's register page ("" when it is not
	// public): a proposal's page is RegisterURL/N. Every text about a
	// proposal links to its page when it is set.
	RegisterURL string
	// Members is how many members the list has, for the participation
	// sentence ("3 membres sur 12"); 0 when unknown.
	Members int
	// Commands are the commands waiting for confirmation
	// (ConfirmCommand).
	Commands []consensus.EventKind
	// Unclear are the lines of a reply without position that hold words
	// of disagreement or a question, as written (Hint).
	Unclear []string
	// Results are the outcomes of -request commands, one sentence each,
	// already in the list's language; Help adds the list of commands.
	Results []string
	Help    bool
	// Token is the confirmation token of a Request that asks for one,
	// or the held post's token of a HeldOwner notice.
	Token string
	// Member is the address a text is about (Disabled, Request).
	Member string
	// Post describes a held post (HeldOwner, HeldAuthor, Moderated).
	Post HeldPost
	// Links are the recipient's one-click positions on Proposal
	// (docs/membership.md), in the private texts to one member (Ack, Hint,
	// DeadlineUnread); empty without HTTP.
	Links Links
	// Location is the list's timezone; nil means UTC.
	Location *time.Location
	// Now is when the text is written.
	Now time.Time
}

// Links are one member's links to take a position on a proposal in one
// click: each is "" when it does not apply (Support and Object while the
// proposal is open, Lift while their objection stands).
type Links struct {
	Support, Object, Lift string
}

// Any reports whether there is at least one link.
func (k Links) Any() bool { return k.Support != "" || k.Object != "" || k.Lift != "" }

// HeldPost describes a post held for moderation.
type HeldPost struct {
	From, Subject, Reason string
	// Approved and Rejection are the owners' decision (Moderated).
	Approved  bool
	Rejection string
}

// Meeting is a meeting as the texts speak of it.
type Meeting struct {
	At           time.Time
	Place, Title string
}

// Text is a rendered text: a Subject (empty for a footer) and a body.
type Text struct {
	Subject string
	Body    string
}

// Renderer holds the parsed templates; build it once with NewRenderer.
// It is safe for concurrent use.
type Renderer struct {
	t map[string]*template.Template // "lang/kind"
	// mu guards byLoc, the templates bound to a timezone, made once per
	// timezone (a server has one or two).
	mu    sync.Mutex
	byLoc map[string]*template.Template // "lang/kind/zone"
}

// NewRenderer parses every embedded template.
func NewRenderer() (*Renderer, error) {
	r := &Renderer{t: map[string]*template.Template{}, byLoc: map[string]*template.Template{}}
	for _, lang := range []string{"fr", "en"} {
		for _, k := range Kinds {
			name := lang + "/" + string(k)
			t, err := template.New(string(k)+".tmpl").Funcs(funcs(lang, time.UTC)).
				ParseFS(files, "templates/"+name+".tmpl")
			if err != nil {
				return nil, fmt.Errorf("notice: %s: %w", name, err)
			}
			r.t[name] = t
		}
	}
	return r, nil
}

// Render writes text kind in language lang ("fr" when lang is unknown).
func Render(kind Kind, lang string, d Data) (Text, error) {
	r, err := NewRenderer()
	if err != nil {
		return Text{}, err
	}
	return r.Render(kind, lang, d)
}

// Render writes text kind in language lang ("fr" when lang is unknown).
func (r *Renderer) Render(kind Kind, lang string, d Data) (Text, error) {
	if lang != "en" {
		lang = "fr"
	}
	if d.Location == nil {
		d.Location = time.UTC
	}
	t, err := r.bound(lang, kind, d.Location)
	if err != nil {
		return Text{}, err
	}
	// The templates get a pointer, so that they may call the methods of
	// consensus.Proposal (.Proposal.Amended, .Proposal.Current).
	var subject, body bytes.Buffer
	if t.Lookup("subject") != nil {
		if err := t.ExecuteTemplate(&subject, "subject", &d); err != nil {
			return Text{}, fmt.Errorf("notice: %s/%s subject: %w", lang, kind, err)
		}
	}
	if err := t.ExecuteTemplate(&body, "body", &d); err != nil {
		return Text{}, fmt.Errorf("notice: %s/%s body: %w", lang, kind, err)
	}
	return Text{Subject: strings.TrimSpace(subject.String()), Body: tidy(body.String())}, nil
}

// bound returns the template of lang/kind whose dates are written in loc.
func (r *Renderer) bound(lang string, kind Kind, loc *time.Location) (*template.Template, error) {
	key := lang + "/" + string(kind) + "/" + loc.String()
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.byLoc[key]; ok {
		return t, nil
	}
	base, ok := r.t[lang+"/"+string(kind)]
	if !ok {
		return nil, fmt.Errorf("notice: no text %s/%s", lang, kind)
	}
	t, err := base.Clone()
	if err != nil {
		return nil, fmt.Errorf("notice: %s/%s: %w", lang, kind, err)
	}
	t.Funcs(funcs(lang, loc))
	r.byLoc[key] = t
	return t, nil
}

// tidy trims the template's leading blank lines and keeps one final
// newline.
func tidy(s string) string {
	return strings.TrimLeft(strings.TrimRight(s, " \n")+"\n", "\n")
}

// funcs are the functions the templates of lang call. Besides dates in
// words and quoting:
//
//	plural n "objection" "objections"      the word alone, for n
//	count n "une" "objection" "objections" "aucune objection", "une objection", "2 objections"
//	who .Name .Member                      the display name, else the address
//	names .Proposal.Objections             "Bob Durand et Carol Petit"
//	inline s                               a member's text, on one line
//	wrap s                                 a long sentence of ours, in lines of 72
//	participation .Proposal .Members       "3 membres sur 12 se sont exprimés : 2 soutiens, 1 objection,
//	                                       1 réponse sans position. Lisez-la avant d'agir.", wrapped
//	page .RegisterURL .Proposal.Number     "Tout l'échange et la page de la proposition : URL", "" without a public register
func funcs(lang string, loc *time.Location) template.FuncMap {
	return template.FuncMap{
		"date":   func(t time.Time) string { return Date(t, lang, loc) },
		"quote":  quote,
		"plural": func(n int, one, many string) string { return plural(lang, n, one, many) },
		"count": func(n int, article, one, many string) string {
			return count(lang, n, article, one, many)
		},
		"who":    who,
		"names":  func(ms any) string { return names(lang, ms) },
		"inline": inline,
		"wrap":   wrap,
		"participation": func(p consensus.Proposal, members int) string {
			s := participation(lang, p, members)
			if p.Unpositioned > 0 && respondents(p) > 0 {
				s += " " + readFirst(lang, p.Unpositioned)
			}
			return wrap(s)
		},
		"day":     func(t time.Time) string { return Day(t, lang, loc) },
		"outcome": func(p consensus.Proposal) string { return Outcome(p, lang) },
		"link":    func(base string, n int) string { return link(base, n) },
		"page": func(base string, n int) string {
			u := link(base, n)
			if u == "" {
				return ""
			}
			if lang == "en" {
				return "The proposal's page: " + u
			}
			return "Tout l'échange et la page de la proposition : " + u
		},
		"reply": func() string { return consensus.ReplyAbove(lang) },
		"domain": func(addr string) string {
			_, d, _ := strings.Cut(addr, "@")
			return d
		},
		"reasonFR":   func(r string) string { return heldReason(heldReasons, "fr", r) },
		"reasonEN":   func(r string) string { return heldReason(heldReasons, "en", r) },
		"youFR":      func(r string) string { return heldReason(heldReasonsToAuthor, "fr", r) },
		"youEN":      func(r string) string { return heldReason(heldReasonsToAuthor, "en", r) },
		"recordedFR": func(k consensus.EventKind) string { return recordedFR[k] },
		"recordedEN": func(k consensus.EventKind) string { return recordedEN[k] },
		"statusFR":   func(s consensus.Status) string { return statusWords["fr"][s] },
		"statusEN":   func(s consensus.Status) string { return statusWords["en"][s] },
		"whyFR":      func(w string) string { return whyWords["fr"][w] },
		"refusalFR": func(k consensus.EventKind, n int) string {
			return fmt.Sprintf(refusals["fr"][refusalKey(k)], n)
		},
		"refusalEN": func(k consensus.EventKind, n int) string {
			return fmt.Sprintf(refusals["en"][refusalKey(k)], n)
		},
		"whyEN":   func(w string) string { return whyWords["en"][w] },
		"askedFR": func(k consensus.EventKind) string { return askedWords["fr"][k] },
		"askedEN": func(k consensus.EventKind) string { return askedWords["en"][k] },
	}
}

// link returns the page of proposal n of the register at base, or "" when
// the register is not public (base is "").
func link(base string, n int) string {
	if base == "" || n <= 0 {
		return ""
	}
	return fmt.Sprintf("%s/%d", base, n)
}

// quote prefixes every line of a member's text with "> ", so that none
// of it can read as a command of ours.
func quote(s string) string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if s == "" {
		return ">"
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight("> "+l, " ")
	}
	return strings.Join(lines, "\n")
}

var (
	frDays   = []string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frMonths = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre"}
)

// Date writes t in words in loc: "mardi 1er décembre 2026 à 18 h",
// "mardi 1er décembre 2026 à 18 h 30" in French, "Tuesday 1 December 2026
// at 18:00 (CET)" in English.
func Date(t time.Time, lang string, loc *time.Location) string {
	t = t.In(loc)
	if lang == "en" {
		return t.Format("Monday 2 January 2006 at 15:04") + " (" + t.Format("MST") + ")"
	}
	return frDays[t.Weekday()] + " " + frenchDate(t)
}

// Day writes the day of t in words, in loc, without the time: "mardi 12
// janvier 2027", "Tuesday 12 January 2027".
func Day(t time.Time, lang string, loc *time.Location) string {
	t = t.In(loc)
	if lang == "en" {
		return t.Format("Monday 2 January 2006")
	}
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("%s %s %s %d", frDays[t.Weekday()], day, frMonths[t.Month()-1], t.Year())
}

// Outcome says in words how a decided proposal was decided: "adoptée
// sans objection", "adoptée en réunion", "rejetée en réunion", …
func Outcome(p consensus.Proposal, lang string) string {
	if lang != "en" {
		lang = "fr"
	}
	key := string(p.Status) + "/" + p.DecidedBy
	if w, ok := outcomeWords[lang][key]; ok {
		return w
	}
	return statusWords[lang][p.Status]
}

var outcomeWords = map[string]map[string]string{
	"fr": {
		"adopted/silence": "adoptée sans objection", "adopted/lift": "adoptée après la levée des objections",
		"adopted/meeting": "adoptée en réunion", "rejected/meeting": "rejetée en réunion",
		"withdrawn/withdrawal": "retirée par son auteur",
	},
	"en": {
		"adopted/silence": "adopted without objection", "adopted/lift": "adopted once the objections were lifted",
		"adopted/meeting": "adopted at a meeting", "rejected/meeting": "rejected at a meeting",
		"withdrawn/withdrawal": "withdrawn by its author",
	},
}

// ShortDate writes t in words, in loc, without the weekday or the zone:
// "3 décembre 2026 à 10 h", "3 December 2026 at 10:00".
func ShortDate(t time.Time, lang string, loc *time.Location) string {
	t = t.In(loc)
	if lang == "en" {
		return t.Format("2 January 2006 at 15:04")
	}
	return frenchDate(t)
}

// frenchDate writes "1er décembre 2026 à 18 h 30".
func frenchDate(t time.Time) string {
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	hour := fmt.Sprintf("%d h", t.Hour())
	if t.Minute() != 0 {
		hour += fmt.Sprintf(" %02d", t.Minute())
	}
	return fmt.Sprintf("%s %s %d à %s", day, frMonths[t.Month()-1], t.Year(), hour)
}

// StatusWord names a status in lang ("fr" unless "en").
func StatusWord(st consensus.Status, lang string) string {
	if lang != "en" {
		lang = "fr"
	}
	return statusWords[lang][st]
}

var statusWords = map[string]map[consensus.Status]string{
	"fr": {consensus.StatusOpen: "en cours", consensus.StatusAdopted: "adoptée",
		consensus.StatusBlocked: "bloquée", consensus.StatusWithdrawn: "retirée", consensus.StatusRejected: "rejetée"},
	"en": {consensus.StatusOpen: "open", consensus.StatusAdopted: "adopted",
		consensus.StatusBlocked: "blocked", consensus.StatusWithdrawn: "withdrawn", consensus.StatusRejected: "rejected"},
}

var whyWords = map[string]map[string]string{
	"fr": {
		consensus.WhyNotMember:    "car seuls les membres de la liste peuvent prendre position sur une proposition",
		consensus.WhyLate:         "car votre message est arrivé après l'échéance",
		consensus.WhyNotAuthor:    "car seul l'auteur de la proposition peut la retirer ou la modifier",
		consensus.WhyNoObjection:  "car vous n'aviez pas d'objection en place sur cette proposition",
		consensus.WhyDecided:      "car la proposition est déjà décidée",
		consensus.WhyEmptyVersion: "car l'amendement ne contenait aucun texte",
		consensus.WhyUnauthenticated: "car nous n'avons pas pu vérifier que ce message venait bien de vous : il n'est pas authentifié " +
			"(votre messagerie ne l'a pas signé : signature DKIM absente ou invalide). Sur cette liste, " +
			"une telle demande doit venir d'un message vérifié, pour que personne ne puisse agir en votre nom",
	},
	"en": {
		consensus.WhyNotMember:    "because only members of the list can take a position on a proposal",
		consensus.WhyLate:         "because your message arrived after the deadline",
		consensus.WhyNotAuthor:    "because only the proposal's author can withdraw or change it",
		consensus.WhyNoObjection:  "because you had no objection standing on this proposal",
		consensus.WhyDecided:      "because the proposal is already decided",
		consensus.WhyEmptyVersion: "because the amendment held no text",
		consensus.WhyUnauthenticated: "because we could not check that this message really came from you: it is not authenticated " +
			"(your mail service did not sign it: no valid DKIM signature). On this list, " +
			"such a request must come from checked mail, so that nobody can act in your name",
	},
}

// refusals say which command was not counted; %d is the proposal's
// number. The reason follows (whyWords).
var refusals = map[string]map[consensus.EventKind]string{
	"fr": {
		consensus.EventObject:   "Votre objection à la proposition n° %d n'a pas été comptée",
		consensus.EventLift:     "Votre demande de lever une objection à la proposition n° %d n'a pas été prise en compte",
		consensus.EventSupport:  "Votre soutien à la proposition n° %d n'a pas été compté",
		consensus.EventWithdraw: "Votre demande de retirer la proposition n° %d n'a pas été prise en compte",
		consensus.EventAmend:    "Votre amendement à la proposition n° %d n'a pas été pris en compte",
		"":                      "Votre message pour la proposition n° %d n'a pas été compté",
	},
	"en": {
		consensus.EventObject:   "Your objection to proposal #%d was not counted",
		consensus.EventLift:     "Your request to lift an objection to proposal #%d was not taken into account",
		consensus.EventSupport:  "Your support for proposal #%d was not counted",
		consensus.EventWithdraw: "Your request to withdraw proposal #%d was not taken into account",
		consensus.EventAmend:    "Your amendment to proposal #%d was not taken into account",
		"":                      "Your message about proposal #%d was not counted",
	},
}

// refusalKey is k when refusals words it, else "".
func refusalKey(k consensus.EventKind) consensus.EventKind {
	if _, ok := refusals["fr"][k]; ok {
		return k
	}
	return ""
}

// recordedFR says in French that a command was recorded, with the right
// gender.
var recordedFR = map[consensus.EventKind]string{
	consensus.EventObject: "objection enregistrée", consensus.EventLift: "objection levée",
	consensus.EventSupport: "soutien enregistré", consensus.EventWithdraw: "proposition retirée",
	consensus.EventAmend: "amendement enregistré",
}

// askedWords name what a command asks, for the confirmation question.
var askedWords = map[string]map[consensus.EventKind]string{
	"fr": {consensus.EventObject: "une objection", consensus.EventLift: "la levée de votre objection",
		consensus.EventSupport: "un soutien", consensus.EventWithdraw: "le retrait de votre proposition",
		consensus.EventAmend: "un amendement"},
	"en": {consensus.EventObject: "an objection", consensus.EventLift: "the lifting of your objection",
		consensus.EventSupport: "support", consensus.EventWithdraw: "the withdrawal of your proposal",
		consensus.EventAmend: "an amendment"},
}

// recordedEN says in English that a command was recorded.
var recordedEN = map[consensus.EventKind]string{
	consensus.EventObject: "your objection is recorded", consensus.EventLift: "your objection is lifted",
	consensus.EventSupport: "your support is recorded", consensus.EventWithdraw: "your proposal is withdrawn",
	consensus.EventAmend: "your amendment is recorded",
}

// Held reasons, as listserv records them.
const (
	ReasonNotMember    = "not a member"
	ReasonModerated    = "moderated member"
	ReasonModeratedAll = "moderated list"
	ReasonAnnounceOnly = "announce-only list"
	// ReasonUnconfirmed: an unauthenticated proposal waits for its
	// author's confirmation by return mail.
	ReasonUnconfirmed = "awaiting the author's confirmation"
	// ReasonTooMany: the member wrote more than max_posts_per_hour.
	ReasonTooMany = "too many posts in an hour"
)

var heldReasons = map[string]map[string]string{
	"fr": {
		ReasonNotMember:    "l'expéditeur n'est pas membre de la liste",
		ReasonModerated:    "les messages de ce membre sont modérés",
		ReasonModeratedAll: "tous les messages de cette liste sont modérés",
		ReasonAnnounceOnly: "seuls ses responsables écrivent sur cette liste d'annonces",
		ReasonUnconfirmed:  "la proposition attend que son auteur confirme l'avoir envoyée",
		ReasonTooMany:      "trop de messages en une heure de ce membre",
	},
	"en": {
		ReasonNotMember:    "the sender is not a member of the list",
		ReasonModerated:    "this member's messages are moderated",
		ReasonModeratedAll: "every message of this list is moderated",
		ReasonAnnounceOnly: "only its owners write to this announcement list",
		ReasonUnconfirmed:  "the proposal waits for its author to confirm sending it",
		ReasonTooMany:      "too many messages in an hour from this member",
	},
}

// heldReason words a held reason in lang from words; a reason it does not
// know is told as it is, inside a general sentence.
func heldReason(words map[string]map[string]string, lang, r string) string {
	if w, ok := words[lang][r]; ok {
		return w
	}
	if lang == "en" {
		return "the owners must read it first (" + inline(r) + ")"
	}
	return "les responsables doivent d'abord le lire (" + inline(r) + ")"
}

// heldReasonsToAuthor are the held reasons as told to the post's author.
var heldReasonsToAuthor = map[string]map[string]string{
	"fr": {
		ReasonNotMember:    "vous n'êtes pas membre de la liste",
		ReasonModerated:    "vos messages sont relus par les responsables avant d'être diffusés",
		ReasonModeratedAll: "tous les messages de cette liste sont relus avant d'être diffusés",
		ReasonAnnounceOnly: "seuls ses responsables écrivent sur cette liste d'annonces",
		ReasonTooMany:      "vous avez envoyé trop de messages en une heure ; les responsables les liront",
	},
	"en": {
		ReasonNotMember:    "you are not a member of the list",
		ReasonModerated:    "your messages are read by the owners before they are sent",
		ReasonModeratedAll: "every message of this list is read before it is sent",
		ReasonAnnounceOnly: "only its owners write to this announcement list",
		ReasonTooMany:      "you sent too many messages in an hour; the owners will read them",
	},
}
