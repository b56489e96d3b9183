package classify

import (
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// Explanation is what `tacit explain` prints: the Reading of one message,
// as the server would make it (docs/admin.md).
type Explanation struct {
	// List is the list's address the message was read for.
	List string `json:"list"`
	// Subject is the decoded Subject.
	Subject string `json:"subject"`
	// Kind is "proposal", "reply" or "post"; Proposal and Reply say the
	// same as booleans.
	Kind     Kind `json:"kind"`
	Proposal bool `json:"proposal"`
	Reply    bool `json:"reply"`
	// Title is the proposal's title, when Proposal.
	Title string `json:"title,omitempty"`
	// Deadline is the deadline the proposal asks for (RFC 3339, in the
	// list's timezone) and DeadlineLine the line it was read from;
	// DeadlineError says why a deadline line could not be read (the
	// list's default deadline then applies, and the author is told).
	Deadline      string `json:"deadline,omitempty"`
	DeadlineLine  string `json:"deadline_line,omitempty"`
	DeadlineError string `json:"deadline_error,omitempty"`
	// Answers is the number of the proposal a reply answers, ThreadedBy
	// how it was found; InReplyTo lists the Message-IDs threading looks
	// at, In-Reply-To first.
	Answers    int      `json:"answers,omitempty"`
	ThreadedBy string   `json:"threaded_by,omitempty"`
	InReplyTo  []string `json:"in_reply_to,omitempty"`
	// NoStore is true when no store was at hand: nothing could be
	// threaded to a proposal, and a reply reads as a post.
	NoStore bool `json:"no_store,omitempty"`
	// OwnText is the sender's own text after cutting quotes and
	// signatures.
	OwnText string `json:"own_text"`
	// Commands are the kinds of the commands found, in order (they count
	// only in a reply); Details has each with its reason and line.
	Commands []string            `json:"commands"`
	Details  []consensus.Command `json:"details,omitempty"`
	// Hints are near misses and Unclear the lines with words of
	// disagreement or a question; NoPosition is true when a reply would
	// get a private hint and count as a reply without position.
	Hints      []string `json:"hints,omitempty"`
	Unclear    []string `json:"unclear,omitempty"`
	NoPosition bool     `json:"no_position"`
	// DecodeError says why the body could not be decoded (the raw body
	// was read instead).
	DecodeError string `json:"decode_error,omitempty"`
	// Authentication is what tacit concludes about the sender from the
	// message as given, and what that means on the list; nil when it was
	// not checked.
	Authentication *Authentication `json:"authentication,omitempty"`
}

// Authentication is the authentication reading of `tacit explain`.
type Authentication struct {
	// Method is "relay" (a trusted relay's Authentication-Results),
	// "dkim" (a DKIM signature aligned with From) or "none".
	Method string `json:"method"`
	// Domain is the From domain.
	Domain string `json:"domain"`
	// Result is "pass", "fail", "none" or "temperror" (the DNS did not
	// answer; DNSError says how).
	Result   string `json:"result"`
	DNSError string `json:"dns_error,omitempty"`
	// Mode is the list's authentication mode ("dkim-or-confirm", "dkim",
	// "none") and Effect what it makes of Result: "counts" (at once),
	// "confirm" (a confirmation question is sent to the From address) or
	// "refused".
	Mode   string `json:"mode"`
	Effect string `json:"effect"`
}

// ExplainOptions say how to read a message for `tacit explain`.
type ExplainOptions struct {
	// List is the list's address; a bare NAME is completed with Domain,
	// and "" is taken from the To header.
	List, Domain string
	// Received is when durations count from (zero: the Date header,
	// else Now).
	Received time.Time
	// Location is the list's timezone (nil: UTC).
	Location *time.Location
	// Index is the store; nil when there is none (nothing threads).
	Index Index
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Explain reads raw the way the post path does (Read), without changing
// anything.
func Explain(raw []byte, o ExplainOptions) (Explanation, error) {
	h, _, err := rewrite.Split(raw)
	var e Explanation
	if err != nil {
		e.DecodeError = err.Error()
	}
	list := o.List
	if list == "" {
		if a, err := mail.ParseAddress(h.Get("To")); err == nil {
			list = a.Address
		}
	}
	if list != "" && !strings.Contains(list, "@") && o.Domain != "" {
		list += "@" + o.Domain
	}
	received := o.Received
	if received.IsZero() {
		if d, err := mail.ParseDate(h.Get("Date")); err == nil {
			received = d
		} else if o.Now != nil {
			received = o.Now()
		} else {
			received = time.Now()
		}
	}
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	idx := o.Index
	if idx == nil {
		idx, e.NoStore = noIndex{}, true
	}
	r, err := Read(Input{Raw: raw, Header: h, List: list, Received: received, Location: loc}, idx)
	if err != nil {
		return e, err
	}
	if r.Kind == Post {
		r.readText(raw) // shown, though a post's commands never count
	}
	e.List, e.Subject, e.Kind = list, r.Subject, r.Kind
	e.Proposal, e.Reply = r.Kind == Proposal, r.Kind == Reply
	if e.Proposal {
		e.Title = r.Parsed.Title
	}
	if !r.Deadline.IsZero() {
		e.Deadline = r.Deadline.In(loc).Format(time.RFC3339)
	}
	e.DeadlineLine, e.DeadlineError = r.DeadlineLine, r.DeadlineError
	e.Answers, e.ThreadedBy, e.InReplyTo = r.Answers.Number, r.ThreadedBy, r.References
	if r.DecodeError != "" {
		e.DecodeError = r.DecodeError
	}
	e.OwnText = r.OwnText
	e.Commands = []string{}
	for _, c := range r.Parse.Commands {
		e.Commands = append(e.Commands, string(c.Kind))
	}
	e.Details, e.Hints, e.Unclear = r.Parse.Commands, r.Parse.Hints, r.Parse.Unclear
	e.NoPosition = r.NoPosition()
	return e, nil
}

// noIndex is the store of a machine that has none: no message belongs to
// any list.
type noIndex struct{}

func (noIndex) ThreadOf(string) (storage.ProposalRef, bool, error) {
	return storage.ProposalRef{}, false, nil
}
func (noIndex) Distributed(string, string) (bool, error) { return false, nil }
func (noIndex) Proposal(storage.ProposalRef) (consensus.Proposal, error) {
	return consensus.Proposal{}, storage.ErrNotFound
}

// WriteText writes the explanation for a person, in lang: English for
// "en", else French. The values it quotes (kinds, lines) are the same in
// both.
func (e Explanation) WriteText(w io.Writer, lang string) {
	say := func(fr, en string, args ...any) {
		if lang == "en" {
			fmt.Fprintf(w, en, args...)
		} else {
			fmt.Fprintf(w, fr, args...)
		}
	}
	say("liste :         %s\n", "list:      %s\n", e.List)
	say("sujet :         %s\n", "subject:   %s\n", e.Subject)
	switch e.Kind {
	case Proposal:
		say("proposition :   oui, %q\n", "proposal:  yes, %q\n", e.Title)
		switch {
		case e.Deadline != "":
			say("échéance :      %s (d'après la ligne %q)\n", "deadline:  %s (from the line %q)\n", e.Deadline, e.DeadlineLine)
		case e.DeadlineError != "":
			say("échéance :      ligne illisible %q (%s) : le délai de la liste s'applique et l'auteur est prévenu\n",
				"deadline:  unreadable line %q (%s): the list's default applies and the author is told\n",
				e.DeadlineLine, e.DeadlineError)
		default:
			say("échéance :      aucune donnée : le délai de la liste s'applique\n",
				"deadline:  none given: the list's default applies\n")
		}
	case Reply:
		say("réponse :       à la proposition n° %d (trouvée par %s)\n", "reply:     to proposal #%d (found by %s)\n",
			e.Answers, e.ThreadedBy)
	default:
		say("nature :        message ordinaire : ni une proposition ni une réponse à une proposition ; les commandes ne comptent pas\n",
			"kind:      plain post: neither a proposal nor a reply to one; commands do not count\n")
	}
	if e.NoStore {
		say("remarque :      pas de stockage ici : le lien avec les propositions n'a pas été vérifié\n",
			"note:      no store here: threading to proposals was not checked\n")
	}
	if e.DecodeError != "" {
		say("décodage :      %s (le corps brut a été lu)\n", "decoding:  %s (the raw body was read)\n", e.DecodeError)
	}
	say("texte propre :\n", "own text:\n")
	for _, l := range strings.Split(strings.TrimRight(e.OwnText, "\n"), "\n") {
		fmt.Fprintln(w, "  | "+l)
	}
	if len(e.Details) == 0 {
		say("commandes :     aucune\n", "commands:  none\n")
	}
	for _, c := range e.Details {
		say("commande :      %s (ligne %d)", "command:   %s (line %d)", c.Kind, c.Line)
		if c.Reason != "" {
			say(", raison %q", ", reason %q", c.Reason)
		}
		fmt.Fprintln(w)
	}
	for _, h := range e.Hints {
		say("presque :       %s\n", "near miss: %s\n", h)
	}
	for _, u := range e.Unclear {
		say("peu clair :     %s\n", "unclear:   %s\n", u)
	}
	if e.NoPosition {
		say("position :      aucune : l'expéditeur reçoit une aide en privé ; comptée comme une réponse sans position\n",
			"position:  none: the sender gets a private hint; counted as a reply without position\n")
	}
	if e.Authentication != nil {
		e.Authentication.writeText(say)
		if e.Kind == Post {
			say("                (pour une proposition ou une réponse : ce message ordinaire ne décide rien)\n",
				"           (for a proposal or a reply: this plain post decides nothing)\n")
		}
	}
}

// writeText writes the authentication reading with say (French, English).
// Its labels are as wide as the other lines' ("expéditeur :", "sender:").
func (a *Authentication) writeText(say func(fr, en string, args ...any)) {
	switch {
	case a.Method == "relay" && a.Result == "pass":
		say("expéditeur :    vérifié (domaine %s) d'après l'en-tête Authentication-Results de votre relais de confiance"+
			" (smtp.trusted_relays) ; vrai seulement si le message est bien passé par ce relais\n",
			"sender:    verified (domain %s) by your trusted relay's Authentication-Results (smtp.trusted_relays);"+
				" true only if the message came through that relay\n", a.Domain)
	case a.Method == "relay":
		say("expéditeur :    non vérifié (domaine %s) d'après l'en-tête Authentication-Results de votre relais de confiance"+
			" (smtp.trusted_relays), si le message est bien passé par ce relais\n",
			"sender:    not verified (domain %s) by your trusted relay's Authentication-Results (smtp.trusted_relays),"+
				" if the message came through that relay\n", a.Domain)
	case a.Result == "pass":
		say("expéditeur :    vérifié (domaine %s) : le message porte une signature DKIM valide de ce domaine\n",
			"sender:    verified (domain %s): the message has a valid DKIM signature of that domain\n", a.Domain)
	case a.Result == "temperror":
		say("expéditeur :    pas encore vérifié (domaine %s) : la signature DKIM n'a pas pu être contrôlée, le DNS n'a pas répondu (%s) ;"+
			" le serveur réessaiera plus tard\n",
			"sender:    not verified yet (domain %s): the DKIM signature could not be checked, the DNS did not answer (%s);"+
				" the server will try again later\n", a.Domain, a.DNSError)
	case a.Result == "fail":
		say("expéditeur :    non vérifié (domaine %s) : la signature DKIM de ce domaine n'est pas valable\n",
			"sender:    not verified (domain %s): the DKIM signature of that domain is not valid\n", a.Domain)
	default:
		say("expéditeur :    non vérifié (domaine %s) : ni signature DKIM de ce domaine, ni résultat d'un relais de confiance\n",
			"sender:    not verified (domain %s): no DKIM signature of that domain, no trusted relay's result\n", a.Domain)
	}
	switch a.Effect {
	case "counts":
		say("effet :         (liste en mode %s) la proposition ou les commandes comptent aussitôt\n",
			"effect:    (list in mode %s) the proposal or the commands count at once\n", a.Mode)
	case "confirm":
		say("effet :         (liste en mode %s) l'expéditeur reçoit d'abord un message lui demandant de confirmer"+
			" qu'il en est l'auteur ; rien ne compte avant sa réponse\n",
			"effect:    (list in mode %s) a confirmation question is sent to the sender first; nothing counts before the answer\n", a.Mode)
	default:
		say("effet :         (liste en mode %s) refusé : la proposition ou les commandes ne comptent pas ;"+
			" l'expéditeur en est averti par un message privé\n",
			"effect:    (list in mode %s) refused: the proposal or the commands do not count; the sender is told privately\n", a.Mode)
	}
}
