package register

import (
	"tacit/consensus"
	"tacit/storage"
)

// tell are the words of the story a proposal's page tells: where it
// stands, what comes next, how to take part, and its timeline.
type tell struct {
	// Time left of an open proposal, and a deadline already past.
	DaysLeft, HoursLeft, MinutesLeft [3]string
	Overdue                          string
	// Where a proposal stands (SitOpen takes the deadline; SitBlocked
	// counts the objections; SitDecided takes how and when) and what
	// happens next (NextMeetingOn takes the meeting's date).
	SitOpen, SitDecided, SitDecidedNoDate, NextOpen, NextBlocked, NextMeetingOn string
	SitBlocked, NextOpenObjected                                                [3]string
	// Participation counted in members: "N membres sur M se sont
	// exprimés" (RespondentsOf takes N and M).
	RespondentsN  [3]string
	RespondentsOf [2]string
	// The box on how to take part.
	HowToTitle, HowToWrite, HowToWriteLink, HowToMembers, HowToClosed string
	Commands                                                          [][2]string
	// Headings of the page's parts, and the index of the registers.
	Where, Facts, Home, HomeTitle, HomeIntro, HomeEmpty, BackRegister string
	// Quotes open and close the words a person wrote.
	Quotes [2]string
	// Reopened is the sentence of a proposal open again.
	Reopened string
	// acts are what a person did, after their name, by event kind
	// ("propose" for opening, "objectNoReason" for an objection without
	// one); settled what a meeting decided, by outcome; became the
	// changes of status as sentences, becameBy the adoptions by how.
	acts, settled map[string]string
	became        map[consensus.Status]string
	becameBy      map[string]string
}

var frenchTell = tell{
	DaysLeft:         [3]string{"échéance dépassée", "encore %d jour", "encore %d jours"},
	HoursLeft:        [3]string{"échéance dépassée", "encore %d heure", "encore %d heures"},
	MinutesLeft:      [3]string{"échéance dépassée", "encore %d minute", "encore %d minutes"},
	Overdue:          "échéance dépassée, décision au prochain passage",
	SitOpen:          "Cette proposition est en cours jusqu'au %s",
	SitBlocked:       [3]string{"Cette proposition est bloquée : une objection tenait à l'échéance.", "Cette proposition est bloquée : %d objection tient toujours.", "Cette proposition est bloquée : %d objections tiennent toujours."},
	SitDecided:       "%s, le %s",
	SitDecidedNoDate: "%s",
	NextOpen:         "Si personne ne s'y oppose d'ici là, elle sera adoptée.",
	NextOpenObjected: [3]string{"Si personne ne s'y oppose d'ici là, elle sera adoptée.", "%d objection est en cours : si elle n'est pas levée d'ici là, la proposition sera bloquée.", "%d objections sont en cours : si elles ne sont pas levées d'ici là, la proposition sera bloquée."},
	NextBlocked:      "Si chaque objection est levée, elle sera adoptée ; sinon on en parlera à la prochaine réunion",
	NextMeetingOn:    ", le %s",
	RespondentsN:     [3]string{"personne ne s'est exprimé", "%d membre s'est exprimé", "%d membres se sont exprimés"},
	RespondentsOf:    [2]string{"%d membre sur %d s'est exprimé", "%d membres sur %d se sont exprimés"},
	HowToTitle:       "Comment participer",
	HowToWrite:       "Écrivez à la liste, en répondant au message de la proposition, ou à l'adresse",
	HowToWriteLink:   "Écrire à la liste",
	HowToMembers:     "Commencez une ligne par l'un de ces mots. Seules les réponses des membres de la liste comptent ; qui ne dit rien consent.",
	HowToClosed:      "Cette proposition est décidée : on ne peut plus y prendre position. Pour proposer autre chose, écrivez à la liste :",
	Commands: [][2]string{
		{"OBJECTION", "suivi de votre raison, pour vous y opposer"},
		{"D'ACCORD", "pour la soutenir"},
		{"OBJECTION LEVÉE", "pour retirer votre objection"},
	},
	Where:        "Où en est-on ?",
	Facts:        "En bref",
	Home:         "Voir les registres publics",
	HomeTitle:    "Registres des décisions",
	HomeIntro:    "Les listes de ce serveur qui publient leurs décisions. Choisissez-en une pour voir ses propositions.",
	HomeEmpty:    "Aucune liste ne publie encore son registre.",
	BackRegister: "Revenir au registre de la liste",
	Reopened:     "La proposition est de nouveau en cours.",
	Quotes:       [2]string{"«\u00a0", "\u00a0»"},
	acts: map[string]string{
		"propose":                       "a fait la proposition.",
		string(consensus.EventReply):    "a répondu sur la liste, sans prendre position.",
		string(consensus.EventObject):   "a fait une objection :",
		"objectNoReason":                "a fait une objection, sans donner de raison.",
		string(consensus.EventLift):     "a levé son objection.",
		string(consensus.EventSupport):  "l'a soutenue.",
		string(consensus.EventWithdraw): "a retiré sa proposition.",
		string(consensus.EventAmend):    "a amendé sa proposition ; l'échéance repart.",
		string(consensus.EventTick):     "l'échéance est arrivée.",
		storage.EventReminder:           "un rappel a été envoyé à la liste.",
		storage.EventAwaiting:           "attend sa confirmation par retour de mail.",
		storage.EventConfirmed:          "a confirmé par retour de mail.",
		"refused":                       "a écrit une commande qui n'a pas compté.",
	},
	settled: map[string]string{
		"adopted":   "En réunion, la proposition a été adoptée.",
		"rejected":  "En réunion, la proposition a été rejetée.",
		"postponed": "En réunion, la décision a été reportée.",
		"":          "La réunion a noté :",
	},
	became: map[consensus.Status]string{
		consensus.StatusOpen:      "La proposition est ouverte.",
		consensus.StatusBlocked:   "La proposition est bloquée : une objection tenait à l'échéance.",
		consensus.StatusWithdrawn: "La proposition est retirée.",
		consensus.StatusRejected:  "La proposition est rejetée.",
	},
	becameBy: map[string]string{
		consensus.BySilence: "La proposition est adoptée : personne ne s'y est opposé avant l'échéance.",
		consensus.ByLift:    "La proposition est adoptée : la dernière objection a été levée.",
		consensus.ByMeeting: "La proposition est adoptée en réunion.",
	},
}

var englishTell = tell{
	DaysLeft:         [3]string{"deadline passed", "%d day left", "%d days left"},
	HoursLeft:        [3]string{"deadline passed", "%d hour left", "%d hours left"},
	MinutesLeft:      [3]string{"deadline passed", "%d minute left", "%d minutes left"},
	Overdue:          "deadline passed, decided at the next check",
	SitOpen:          "This proposal is open until %s",
	SitBlocked:       [3]string{"This proposal is blocked: an objection stood at the deadline.", "This proposal is blocked: %d objection still stands.", "This proposal is blocked: %d objections still stand."},
	SitDecided:       "%s, on %s",
	SitDecidedNoDate: "%s",
	NextOpen:         "If nobody objects by then, it will be adopted.",
	NextOpenObjected: [3]string{"If nobody objects by then, it will be adopted.", "%d objection stands: unless it is lifted by then, the proposal will be blocked.", "%d objections stand: unless they are lifted by then, the proposal will be blocked."},
	NextBlocked:      "If every objection is lifted, it will be adopted; otherwise it goes to the next meeting",
	NextMeetingOn:    ", on %s",
	RespondentsN:     [3]string{"nobody took part", "%d member took part", "%d members took part"},
	RespondentsOf:    [2]string{"%d member out of %d took part", "%d members out of %d took part"},
	HowToTitle:       "How to take part",
	HowToWrite:       "Write to the list, replying to the proposal's message, or to the address",
	HowToWriteLink:   "Write to the list",
	HowToMembers:     "Start a line with one of these words. Only the replies of the list's members count; silence gives consent.",
	HowToClosed:      "This proposal is decided: positions no longer count. To propose something else, write to the list:",
	Commands: [][2]string{
		{"OBJECTION", "followed by your reason, to object"},
		{"I AGREE", "to support it"},
		{"OBJECTION LIFTED", "to lift your objection"},
	},
	Where:        "Where it stands",
	Facts:        "In short",
	Home:         "See the public registers",
	HomeTitle:    "Decision registers",
	HomeIntro:    "The lists of this server that publish their decisions. Choose one to see its proposals.",
	HomeEmpty:    "No list publishes its register yet.",
	BackRegister: "Back to the list's register",
	Reopened:     "The proposal is open again.",
	Quotes:       [2]string{"“", "”"},
	acts: map[string]string{
		"propose":                       "made the proposal.",
		string(consensus.EventReply):    "replied on the list without taking a position.",
		string(consensus.EventObject):   "objected:",
		"objectNoReason":                "objected, giving no reason.",
		string(consensus.EventLift):     "lifted their objection.",
		string(consensus.EventSupport):  "supported it.",
		string(consensus.EventWithdraw): "withdrew the proposal.",
		string(consensus.EventAmend):    "amended the proposal; the deadline starts again.",
		string(consensus.EventTick):     "the deadline came.",
		storage.EventReminder:           "a reminder was sent to the list.",
		storage.EventAwaiting:           "is to confirm by return mail.",
		storage.EventConfirmed:          "confirmed by return mail.",
		"refused":                       "wrote a command that did not count.",
	},
	settled: map[string]string{
		"adopted":   "At a meeting, the proposal was adopted.",
		"rejected":  "At a meeting, the proposal was rejected.",
		"postponed": "At a meeting, the decision was postponed.",
		"":          "The meeting noted:",
	},
	became: map[consensus.Status]string{
		consensus.StatusOpen:      "The proposal is open.",
		consensus.StatusBlocked:   "The proposal is blocked: an objection stood at the deadline.",
		consensus.StatusWithdrawn: "The proposal is withdrawn.",
		consensus.StatusRejected:  "The proposal is rejected.",
	},
	becameBy: map[string]string{
		consensus.BySilence: "The proposal is adopted: nobody objected before the deadline.",
		consensus.ByLift:    "The proposal is adopted: the last objection was lifted.",
		consensus.ByMeeting: "The proposal is adopted at a meeting.",
	},
}
