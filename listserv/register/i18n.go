package register

import (
	"fmt"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/listserv/notice"
)

// words are the fixed texts of the pages and feeds in one language.
type words struct {
	// Lang is "fr" or "en"; OtherLangCode the other one, OtherLang
	// the link to it, written in it.
	Lang, OtherLangCode, OtherLang string
	// Headings and labels of the pages.
	RegisterOf, Intro, Caption, Empty, Skip               string
	Number, Title, Author, Opened, Deadline, Decided      string
	Status, Objections, Supports, Replies, NoReason       string
	Text, Versions, Version, Original, Timeline           string
	NoObjection, NoSupport, NoEvent, Back, Raised         string
	Formats, Subscribe, Calendar, Feed, Spreadsheet, Data string
	NotFound, NotFoundText, Proposal, SetDeadline, Engine string
	NotCounted                                            string
	// ViaWeb marks a position taken on the web page.
	ViaWeb string
	// Amendments: the mark of an amended proposal, when and how it
	// changed, and which version is current.
	Amended, AmendedOn, AmendedTimes, DeadlineMoved, DeadlineKept string
	Current, CurrentSince, VersionDeadline                        string
	// Participation heads the sentence that counts who took a
	// position; ReadThem follows replies without position.
	Participation, ReadThem string
	// DeadlineUnread says that a deadline line was not understood.
	DeadlineUnread string
	// Counted words: none, one and several ("%d" stands for the count).
	RepliesN, SupportsN, ObjectionsN, UnpositionedN [3]string
	// Texts of the feed and calendar: titles and events.
	FeedTitle, EventSummary, EventText string
	// Colon separates a label from what it introduces: " : " in
	// French typography, ": " in English.
	Colon string
	// AdoptedAtMeeting is the status of a proposal a meeting adopted
	// (docs/meetings.md), where the others say the status alone.
	AdoptedAtMeeting string
	// HowDecided heads how a decision was taken; WithNote adds the
	// meeting's note to it; PostponedN counts the meetings that
	// postponed a proposal.
	HowDecided, WithNote string
	PostponedN           [3]string
	// Filters of the register page: their label, the link to every
	// proposal, and what a filter that keeps none says.
	FilterBy, AllStatuses, NoneWithStatus string
	// Meetings: the register page's section of the next ones, and the
	// calendar's events (with and without a title).
	NextMeetings, MeetingTitled, MeetingOf, MeetingText string
	// statuses names the statuses that notice.StatusWord may not know
	// (it is tried first, so that notices and pages agree).
	statuses map[consensus.Status]string
	// filters names the proposals of each status, in the plural.
	filters map[consensus.Status]string
	// how says how a decision was taken, by "status/decided_by"
	// (consensus.Proposal.DecidedBy).
	how map[string]string
	// kinds names the events of a timeline.
	kinds map[string]string
	// why explains why a command did not count.
	why map[string]string
	// tell are the words of a proposal's story (story_i18n.go).
	tell
}

var french = words{
	Lang:          "fr",
	RegisterOf:    "Registre des décisions de %s",
	Intro:         "Les propositions faites sur la liste %s. Une proposition est adoptée si personne ne s'y oppose avant son échéance : qui ne dit mot consent.",
	Caption:       "Propositions, des plus récentes aux plus anciennes",
	Empty:         "Aucune proposition n'a encore été faite sur cette liste.",
	Number:        "N°",
	Title:         "Titre",
	Author:        "Auteur",
	Opened:        "Ouverte le",
	Deadline:      "Échéance",
	Decided:       "Décidée le",
	Status:        "Statut",
	Objections:    "Objections",
	Supports:      "Soutiens",
	Replies:       "Réponses",
	NoReason:      "sans motif donné",
	Text:          "Texte de la proposition",
	Versions:      "Versions",
	Version:       "Amendement %d",
	Original:      "Texte d'origine",
	Timeline:      "Chronologie",
	NoObjection:   "Aucune objection en cours.",
	NoSupport:     "Aucun soutien exprimé.",
	NoEvent:       "Rien n'a encore été reçu.",
	Back:          "Retour au registre",
	Raised:        "L'échéance demandée était trop proche : elle a été repoussée au délai minimal de la liste.",
	Formats:       "Autres formats",
	Subscribe:     "Ajouter les échéances et les réunions à votre agenda (il se mettra à jour tout seul)",
	OtherLangCode: "en",
	OtherLang:     "Read in English",
	NotFound:      "Page introuvable",
	NotFoundText:  "Il n'y a rien à cette adresse : le lien est peut-être incomplet, ou la page n'est pas publique.",
	FeedTitle:     "Décisions de %s",
	EventSummary:  "Échéance de la proposition #%d\u00a0: %s",
	EventText:     "Sans objection d'ici là, la proposition #%d de la liste %s sera adoptée.",
	SetDeadline:   "échéance\u00a0: %s",
	Engine:        "tacit",
	Proposal:      "Proposition n° %d",
	Skip:          "Aller au contenu",
	Calendar:      "le fichier de l'agenda (iCalendar), à importer",
	Feed:          "suivre les décisions (flux Atom), dans un lecteur de flux",
	Spreadsheet:   "le registre pour un tableur (CSV)",
	Data:          "le registre pour un programme (JSON)",
	NotCounted:    "non comptée",
	ViaWeb:        "via le web",
	Colon:         "\u00a0: ",

	Amended:         "amendée",
	AmendedOn:       "amendée le %s",
	AmendedTimes:    "amendée %d fois, en dernier le %s",
	DeadlineMoved:   "échéance déplacée du %s au %s",
	DeadlineKept:    "échéance inchangée",
	Current:         "en vigueur",
	CurrentSince:    "En vigueur\u00a0: %s, reçu le %s.",
	VersionDeadline: "échéance fixée alors\u00a0: %s",
	Participation:   "Participation",
	ReadThem:        "lisez-les avant d'agir",
	DeadlineUnread:  "échéance non comprise\u00a0: «\u00a0%s\u00a0»\u00a0; l'échéance par défaut s'applique",
	RepliesN:        [3]string{"aucune réponse", "%d réponse", "%d réponses"},
	SupportsN:       [3]string{"aucun soutien", "%d soutien", "%d soutiens"},
	ObjectionsN:     [3]string{"aucune objection", "%d objection", "%d objections"},
	UnpositionedN:   [3]string{"aucune réponse sans position", "%d réponse sans position", "%d réponses sans position"},

	AdoptedAtMeeting: "adoptée en réunion",
	HowDecided:       "Décision",
	WithNote:         "%s\u00a0: «\u00a0%s\u00a0»",
	PostponedN:       [3]string{"jamais reportée", "reportée lors de %d réunion", "reportée lors de %d réunions"},
	FilterBy:         "Filtrer par statut",
	AllStatuses:      "toutes",
	NoneWithStatus:   "Aucune proposition n'a ce statut.",
	NextMeetings:     "Prochaines réunions",
	MeetingTitled:    "Réunion\u00a0: %s",
	MeetingOf:        "Réunion de %s",
	MeetingText:      "Réunion des membres de la liste %s. Ce que le silence n'a pas tranché s'y décide\u00a0; l'ordre du jour est envoyé à la liste avant la réunion.",
	statuses: map[consensus.Status]string{
		consensus.StatusOpen: "en cours", consensus.StatusAdopted: "adoptée", consensus.StatusBlocked: "bloquée",
		consensus.StatusWithdrawn: "retirée", consensus.StatusRejected: "rejetée",
	},
	filters: map[consensus.Status]string{
		consensus.StatusOpen: "en cours", consensus.StatusAdopted: "adoptées", consensus.StatusBlocked: "bloquées",
		consensus.StatusWithdrawn: "retirées", consensus.StatusRejected: "rejetées",
	},
	how: map[string]string{
		"adopted/" + consensus.BySilence:      "adoptée sans objection à l'échéance",
		"adopted/" + consensus.ByLift:         "adoptée après la levée de la dernière objection",
		"adopted/" + consensus.ByMeeting:      "adoptée en réunion",
		"rejected/" + consensus.ByMeeting:     "rejetée en réunion",
		"withdrawn/" + consensus.ByWithdrawal: "retirée par son auteur",
	},
	kinds: map[string]string{
		"status":                        "statut",
		"reminder":                      "rappel envoyé à la liste",
		string(consensus.EventReply):    "réponse",
		string(consensus.EventObject):   "objection",
		string(consensus.EventLift):     "objection levée",
		string(consensus.EventSupport):  "soutien",
		string(consensus.EventWithdraw): "retrait de la proposition",
		string(consensus.EventAmend):    "amendement",
		string(consensus.EventTick):     "échéance",
		string(consensus.EventSettle):   "décision en réunion",
		"refused":                       "commande non comptée",
	},
	why: map[string]string{
		consensus.WhyNotMember:       "non comptée : seuls les membres de la liste agissent sur une proposition",
		consensus.WhyLate:            "non comptée : arrivée après l'échéance",
		consensus.WhyNotAuthor:       "non comptée : seul l'auteur peut retirer ou amender sa proposition",
		consensus.WhyNoObjection:     "non comptée : aucune objection en cours de ce membre",
		consensus.WhyDecided:         "non comptée : la proposition était déjà décidée",
		consensus.WhyEmptyVersion:    "non comptée : l'amendement ne contenait aucun texte",
		consensus.WhyUnauthenticated: "non comptée : message non authentifié",
	},
	tell: frenchTell,
}

var english = words{
	Lang:          "en",
	RegisterOf:    "Decision register of %s",
	Intro:         "The proposals made on the list %s. A proposal is adopted if nobody objects before its deadline: silence gives consent.",
	Caption:       "Proposals, newest first",
	Empty:         "No proposal has been made on this list yet.",
	Number:        "No.",
	Title:         "Title",
	Author:        "Author",
	Opened:        "Opened",
	Deadline:      "Deadline",
	Decided:       "Decided",
	Status:        "Status",
	Objections:    "Objections",
	Supports:      "Supports",
	Replies:       "Replies",
	NoReason:      "no reason given",
	Text:          "Text of the proposal",
	Versions:      "Versions",
	Version:       "Amendment %d",
	Original:      "Original text",
	Timeline:      "Timeline",
	NoObjection:   "No standing objection.",
	NoSupport:     "No support expressed.",
	NoEvent:       "Nothing received yet.",
	Back:          "Back to the register",
	Raised:        "The requested deadline was too close: it was moved to the list's minimum.",
	Formats:       "Other formats",
	Subscribe:     "Add the deadlines and meetings to your calendar (it will keep itself up to date)",
	OtherLangCode: "fr",
	OtherLang:     "Lire en français",
	NotFound:      "Page not found",
	NotFoundText:  "There is nothing at this address: the link may be incomplete, or the page is not public.",
	FeedTitle:     "Decisions of %s",
	EventSummary:  "Deadline of proposal #%d: %s",
	EventText:     "Without objection by then, proposal #%d of the list %s will be adopted.",
	SetDeadline:   "deadline: %s",
	Engine:        "tacit",
	Proposal:      "Proposal no. %d",
	Skip:          "Skip to content",
	Calendar:      "the calendar file (iCalendar), to import",
	Feed:          "follow the decisions (Atom feed), in a feed reader",
	Spreadsheet:   "the register for a spreadsheet (CSV)",
	Data:          "the register for a program (JSON)",
	NotCounted:    "not counted",
	ViaWeb:        "on the web",
	Colon:         ": ",

	Amended:         "amended",
	AmendedOn:       "amended on %s",
	AmendedTimes:    "amended %d times, last on %s",
	DeadlineMoved:   "deadline moved from %s to %s",
	DeadlineKept:    "deadline unchanged",
	Current:         "current",
	CurrentSince:    "Current: %s, received %s.",
	VersionDeadline: "deadline it set then: %s",
	Participation:   "Participation",
	ReadThem:        "read them before acting",
	DeadlineUnread:  "deadline not understood: “%s”; the default deadline applies",
	RepliesN:        [3]string{"no replies", "%d reply", "%d replies"},
	SupportsN:       [3]string{"no supports", "%d support", "%d supports"},
	ObjectionsN:     [3]string{"no objections", "%d objection", "%d objections"},
	UnpositionedN:   [3]string{"no replies without position", "%d reply without position", "%d replies without position"},

	AdoptedAtMeeting: "adopted at a meeting",
	HowDecided:       "How it was decided",
	WithNote:         "%s: “%s”",
	PostponedN:       [3]string{"never postponed", "postponed at %d meeting", "postponed at %d meetings"},
	FilterBy:         "Filter by status",
	AllStatuses:      "all",
	NoneWithStatus:   "No proposal has this status.",
	NextMeetings:     "Next meetings",
	MeetingTitled:    "Meeting: %s",
	MeetingOf:        "Meeting of %s",
	MeetingText:      "Meeting of the members of the list %s. What silence did not settle is decided there; the agenda is sent to the list before the meeting.",
	statuses: map[consensus.Status]string{
		consensus.StatusOpen: "open", consensus.StatusAdopted: "adopted", consensus.StatusBlocked: "blocked",
		consensus.StatusWithdrawn: "withdrawn", consensus.StatusRejected: "rejected",
	},
	filters: map[consensus.Status]string{
		consensus.StatusOpen: "open", consensus.StatusAdopted: "adopted", consensus.StatusBlocked: "blocked",
		consensus.StatusWithdrawn: "withdrawn", consensus.StatusRejected: "rejected",
	},
	how: map[string]string{
		"adopted/" + consensus.BySilence:      "adopted without objection at the deadline",
		"adopted/" + consensus.ByLift:         "adopted once the last objection was lifted",
		"adopted/" + consensus.ByMeeting:      "adopted at a meeting",
		"rejected/" + consensus.ByMeeting:     "rejected at a meeting",
		"withdrawn/" + consensus.ByWithdrawal: "withdrawn by its author",
	},
	kinds: map[string]string{
		"status":                        "status",
		"reminder":                      "reminder sent to the list",
		string(consensus.EventReply):    "reply",
		string(consensus.EventObject):   "objection",
		string(consensus.EventLift):     "objection lifted",
		string(consensus.EventSupport):  "support",
		string(consensus.EventWithdraw): "withdrawal of the proposal",
		string(consensus.EventAmend):    "amendment",
		string(consensus.EventTick):     "deadline",
		string(consensus.EventSettle):   "decision at a meeting",
		"refused":                       "command not counted",
	},
	why: map[string]string{
		consensus.WhyNotMember:       "not counted: only members of the list act on a proposal",
		consensus.WhyLate:            "not counted: it arrived after the deadline",
		consensus.WhyNotAuthor:       "not counted: only the author may withdraw or amend a proposal",
		consensus.WhyNoObjection:     "not counted: this member had no standing objection",
		consensus.WhyDecided:         "not counted: the proposal was already decided",
		consensus.WhyEmptyVersion:    "not counted: the amendment held no text",
		consensus.WhyUnauthenticated: "not counted: the message could not be authenticated",
	},
	tell: englishTell,
}

// wordsFor returns the texts of lang: English for "en", French otherwise.
func wordsFor(lang string) *words {
	if lang == "en" {
		return &english
	}
	return &french
}

// status names a status in the language.
func (w *words) status(s consensus.Status) string {
	if word := notice.StatusWord(s, w.Lang); word != "" {
		return word
	}
	if word := w.statuses[s]; word != "" {
		return word
	}
	return string(s)
}

// label names where proposal p stands: its status, or "adoptée en
// réunion" when a meeting adopted it.
func (w *words) label(p consensus.Proposal) string {
	if p.Status == consensus.StatusAdopted && p.DecidedBy == consensus.ByMeeting {
		return w.AdoptedAtMeeting
	}
	return w.status(p.Status)
}

// howShort says how p was decided, without the meeting's note: "adoptée
// sans objection à l'échéance", "rejetée en réunion", …; for a proposal
// still blocked or open, how many meetings postponed it. "" when nothing
// is known (open, blocked, or decided before tacit recorded how).
func (w *words) howShort(p consensus.Proposal) string {
	if s := w.how[string(p.Status)+"/"+p.DecidedBy]; s != "" {
		return s
	}
	if !p.Status.Terminal() && p.Postponed > 0 {
		return count(w.PostponedN, p.Postponed)
	}
	return ""
}

// howDecided is howShort with the note of the meeting that settled or
// postponed p: "rejetée en réunion : « trop cher cette année »".
func (w *words) howDecided(p consensus.Proposal) string {
	s := w.howShort(p)
	if note := strings.TrimSpace(p.MeetingNote); s != "" && note != "" &&
		(p.DecidedBy == consensus.ByMeeting || !p.Status.Terminal()) {
		return fmt.Sprintf(w.WithNote, s, note)
	}
	return s
}

// filter names the proposals of status s in the plural ("rejetées").
func (w *words) filter(s consensus.Status) string {
	if word := w.filters[s]; word != "" {
		return word
	}
	return w.status(s)
}

// kind names the kind of a timeline event.
func (w *words) kind(k string) string {
	if word, ok := w.kinds[k]; ok {
		return word
	}
	return k
}

// longDate writes t in words with its weekday, as notices do.
func (w *words) longDate(t time.Time, loc *time.Location) string {
	return notice.Date(t, w.Lang, loc)
}

// shortDate writes t in words without the weekday: "3 décembre 2026 à
// 10 h", "3 December 2026 at 10:00".
func (w *words) shortDate(t time.Time, loc *time.Location) string {
	return notice.ShortDate(t, w.Lang, loc)
}
