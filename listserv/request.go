package listserv

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

	"tacit/consensus"
	"tacit/listserv/admin"
	"tacit/listserv/classify"
	"tacit/listserv/listaddr"
	"tacit/listserv/notice"
	"tacit/listserv/rewrite"
	"tacit/storage"
)

// Mail to NAME-request@DOMAIN (and NAME-subscribe@, NAME-unsubscribe@)
// carries commands, one per line, in the Subject or the body (SPEC
// section 4). One reply summarises every command found. Subscribing and
// unsubscribing are confirmed by the address itself (double opt-in): the
// reply carries "confirm TOKEN" in its Subject, so that a plain reply
// confirms. The list never answers bounces, auto-replies or its own mail,
// and answers one address at most MaxRepliesPerHour times an hour.

// confirmationLifetime is how long a confirmation token stays valid.
const confirmationLifetime = 7 * 24 * time.Hour

// maxRequestLines bounds the lines of a request read for commands.
const maxRequestLines = 30

// verbs maps the normalised command words (SPEC section 4) to commands.
var verbs = []struct{ words, verb string }{
	{"se desabonner", "unsubscribe"}, {"desabonner", "unsubscribe"}, {"desabonnement", "unsubscribe"},
	{"unsubscribe", "unsubscribe"}, {"signoff", "unsubscribe"}, {"leave", "unsubscribe"},
	{"s'abonner", "subscribe"}, {"abonner", "subscribe"}, {"abonnement", "subscribe"},
	{"subscribe", "subscribe"}, {"join", "subscribe"},
	{"confirmer", "confirm"}, {"confirm", "confirm"},
	{"mot de passe", "password"}, {"password", "password"},
	{"aide", "help"}, {"help", "help"},
	{"etat", "status"}, {"status", "status"},
	{"accepter", "approve"}, {"approuver", "approve"}, {"approve", "approve"},
	{"refuser", "reject"}, {"rejeter", "reject"}, {"reject", "reject"},
	{"fin", "end"}, {"end", "end"}, {"merci", "end"},
}

// tokenWord finds a token: 16 or more letters and digits.
var tokenWord = regexp.MustCompile(`\b[A-Za-z0-9]{16,}\b`)

// reqCommand is one command line of a request.
type reqCommand struct {
	verb string
	// arg is what follows the command word, as written.
	arg string
}

// parseRequest reads the commands of a request's Subject and own text.
// unknown lists the body lines that were not commands (at most three).
func parseRequest(subject, body string) (cmds []reqCommand, unknown []string) {
	if c, ok := parseCommandLine(subject); ok && c.verb != "end" {
		cmds = append(cmds, c)
	}
	lines := strings.Split(consensus.OwnText(body), "\n")
	for i, line := range lines {
		if i >= maxRequestLines {
			break
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		c, ok := parseCommandLine(line)
		if !ok {
			if len(unknown) < 3 {
				unknown = append(unknown, strings.TrimSpace(line))
			}
			continue
		}
		if c.verb == "end" {
			break
		}
		if len(cmds) > 0 && cmds[len(cmds)-1] == c {
			continue // the Subject repeated in the body
		}
		cmds = append(cmds, c)
	}
	return cmds, unknown
}

// parseCommandLine reads one line ("confirm TOKEN", "désabonner", "Re:
// confirm TOKEN").
func parseCommandLine(line string) (reqCommand, bool) {
	t := consensus.ParseSubject(strings.TrimSpace(line), "").Title
	n := strings.TrimRight(consensus.Normalize(t), " .!")
	for _, v := range verbs {
		rest, ok := strings.CutPrefix(n, v.words)
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != ':') {
			continue
		}
		return reqCommand{verb: v.verb, arg: argumentOf(t, v.words)}, true
	}
	return reqCommand{}, false
}

// argumentOf returns what follows the command words on line, as written
// (tokens and reasons keep their case and accents): the words are
// counted, never the bytes, since normalising changes lengths.
func argumentOf(line, words string) string {
	n := len(strings.Fields(words))
	fields := strings.Fields(line)
	if len(fields) <= n {
		// "refuser:spam" — the argument may be glued to the word.
		if len(fields) == n && n > 0 {
			if _, after, ok := strings.Cut(fields[n-1], ":"); ok {
				return strings.TrimSpace(after)
			}
		}
		return ""
	}
	rest := strings.Join(fields[n:], " ")
	if _, after, ok := strings.Cut(fields[n-1], ":"); ok && after != "" {
		rest = after + " " + rest
	}
	return strings.TrimSpace(strings.TrimLeft(rest, ": "))
}

// request handles mail to a list's -request address (or -subscribe and
// -unsubscribe, whose address is the command).
func (s *processor) request(l storage.List, r listaddr.Role, in *inbound) error {
	d, h, raw, env, now := in.d, in.h, in.raw, in.env, in.now
	if in.badHeader != nil {
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "request with unreadable header", At: now})
		return nil
	}
	if why := rewrite.Loop(h, env.From, s.rewriteList(l)); why != "" {
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "request not answered: " + why, At: now})
		return nil
	}
	sender := in.author
	if sender == storage.NormalizeAddress(l.Address) || strings.HasPrefix(sender, l.LocalPart()+"-") && strings.HasSuffix(sender, "@"+l.Domain()) {
		d.Discards = append(d.Discards, storage.Discard{List: l.Address, Reason: "request from the list itself", At: now})
		return nil
	}
	subject := in.subject
	text, _ := classify.BodyText(raw)
	cmds, unknown := parseRequest(subject, text)
	switch r {
	case listaddr.Subscribe:
		cmds = []reqCommand{{verb: "subscribe"}}
	case listaddr.Unsubscribe:
		cmds = []reqCommand{{verb: "unsubscribe"}}
	}
	if len(cmds) == 0 {
		// A plain reply to an owners' notice of a held post or to a
		// confirmation request names its token in the Subject.
		if tok := tokenWord.FindString(subject); tok != "" {
			cmds = []reqCommand{{verb: "confirm", arg: tok}}
		}
	}
	answer, err := s.runRequest(&requestRun{d: d, l: l, h: h, sender: sender, now: now}, cmds, unknown)
	if err != nil || answer == nil {
		return err
	}
	return s.answer(d, l, sender, h, *answer, now)
}

// requestRun is one mail to NAME-request as its commands see it: what
// it records, who sent it, and the answer being written.
type requestRun struct {
	d      *storage.Disposition
	l      storage.List
	h      textproto.Header
	sender string
	now    time.Time
	lang   string
	// data is the answer: each command adds its sentence to Results.
	data notice.Data
}

// say adds one sentence to the answer, in the list's language.
func (rq *requestRun) say(fr, en string, args ...any) {
	msg := fmt.Sprintf(fr, args...)
	if rq.lang == "en" {
		msg = fmt.Sprintf(en, args...)
	}
	rq.data.Results = append(rq.data.Results, msg)
}

// runRequest carries out the commands and returns the reply to send (nil
// for none).
func (s *processor) runRequest(rq *requestRun, cmds []reqCommand, unknown []string) (*notice.Data, error) {
	d, l, sender, now := rq.d, rq.l, rq.sender, rq.now
	rq.lang = s.listLang(l)
	rq.data = s.noticeData(l, consensus.Proposal{}, now)
	rq.data.Member = sender
	say := rq.say
	data := &rq.data
	member, err := s.o.Store.IsMember(l.Address, sender)
	if err != nil {
		return nil, err
	}
	joined := false // subscribed by this very message
	for _, c := range cmds {
		switch c.verb {
		case "subscribe", "unsubscribe":
			if (c.verb == "subscribe") == member {
				if member {
					say("Vous êtes déjà abonné·e à %s.", "You are already subscribed to %s.", l.Address)
				} else {
					say("Vous n'êtes pas abonné·e à %s.", "You are not subscribed to %s.", l.Address)
				}
				continue
			}
			if data.Token != "" {
				continue // one confirmation per reply
			}
			tok := newToken()
			d.Confirmations = append(d.Confirmations, storage.Confirmation{Token: tok, List: l.Address,
				Address: sender, Action: c.verb, Created: now, Expires: now.Add(confirmationLifetime)})
			data.Token = tok
			if c.verb == "subscribe" {
				say("Vous avez demandé à vous abonner à %s avec l'adresse %s.",
					"You asked to subscribe to %s with the address %s.", l.Address, sender)
			} else {
				say("Vous avez demandé à vous désabonner de %s (adresse %s).",
					"You asked to unsubscribe %s from %s.", l.Address, sender)
			}
		case "confirm":
			if err := s.confirm(rq, c.arg); err != nil {
				return nil, err
			}
			// The commands after a confirmation see its outcome.
			for _, mc := range d.Members {
				if mc.List == l.Address && mc.Address == sender {
					joined = mc.Add && !member
					member = mc.Add
				}
			}
		case "approve", "reject":
			if err := s.moderateByMail(rq, c); err != nil {
				return nil, err
			}
		case "help":
			data.Help = true
		case "status":
			if !member {
				say("Seuls les membres de %s peuvent voir ses propositions.", "Only members of %s can see its proposals.", l.Address)
				continue
			}
			if err := s.statusLines(rq); err != nil {
				return nil, err
			}
		case "password":
			if !member {
				say("Seuls les membres de %s ont un mot de passe.", "Only members of %s have a password.", l.Address)
				continue
			}
			if joined {
				say("Demandez votre mot de passe dans un prochain message : votre abonnement vient d'être confirmé.",
					"Ask for your password in another message: your subscription was just confirmed.")
				continue
			}
			if data.Token != "" {
				continue // one confirmation per reply
			}
			// The old password works until the new one is confirmed by
			// the member's own reply: a forged request changes nothing.
			tok := newToken()
			d.Confirmations = append(d.Confirmations, storage.Confirmation{Token: tok, List: l.Address,
				Address: sender, Action: "password", Created: now, Expires: now.Add(confirmationLifetime)})
			data.Token = tok
			say("Vous avez demandé un nouveau mot de passe pour les archives de %s (adresse %s). "+
				"Votre mot de passe actuel reste valable tant que vous n'avez pas confirmé.",
				"You asked for a new password for the archive of %s (address %s). "+
					"Your current password stays valid until you confirm.", l.Address, sender)
		}
	}
	if len(cmds) == 0 {
		data.Help = true
		if len(unknown) > 0 {
			say("Aucune commande reconnue dans votre message (par exemple « %s »).",
				"No command found in your message (for instance \"%s\").", unknown[0])
		}
	}
	return data, nil
}

// confirm completes a subscription or an unsubscription.
func (s *processor) confirm(rq *requestRun, token string) error {
	d, l, h, sender, now, say := rq.d, rq.l, rq.h, rq.sender, rq.now, rq.say
	if token == "" {
		token = tokenWord.FindString(decodedSubject(h))
	}
	if held, err := s.o.Store.HeldByToken(token); err == nil {
		if held.Reason == ReasonUnconfirmed && held.From == sender && held.List == l.Address {
			// The author confirms an unauthenticated proposal: it
			// goes to the list and opens now.
			d.HeldDecisions = append(d.HeldDecisions, storage.HeldDecision{ID: held.ID,
				Moderation: storage.Moderation{Approved: true, By: sender, Confirmed: true, At: now}})
			say("Merci : votre proposition « %s » est confirmée ; elle part vers la liste.",
				"Thank you: your proposal \"%s\" is confirmed; it goes to the list.", held.Subject)
			return nil
		}
		// "confirm" to an owners' notice: nothing to confirm; tell them
		// how to decide.
		say("Pour le message de %s, répondez « accepter » ou « refuser ».",
			"For the message from %s, answer \"approve\" or \"reject\".", held.From)
		return nil
	}
	c, err := s.o.Store.Confirmation(token, now)
	switch {
	case errors.Is(err, storage.ErrExpired):
		d.UsedTokens = append(d.UsedTokens, token)
		say("Cette demande de confirmation a expiré ; recommencez votre demande.",
			"This confirmation request has expired; please ask again.")
		return nil
	case errors.Is(err, storage.ErrNotFound):
		say("Ce code de confirmation est inconnu ou a déjà servi.", "This confirmation code is unknown or was already used.")
		return nil
	case err != nil:
		return err
	}
	if c.List != l.Address {
		say("Ce code de confirmation concerne une autre liste.", "This confirmation code is for another list.")
		return nil
	}
	if c.Address != sender {
		// The token went to c.Address: only that address may use it.
		say("Ce code de confirmation a été envoyé à une autre adresse que la vôtre.",
			"This confirmation code was sent to another address than yours.")
		return nil
	}
	switch c.Action {
	case "command":
		return s.confirmCommands(rq, c)
	case "password":
		d.UsedTokens = append(d.UsedTokens, token)
		return s.sendPassword(rq)
	}
	d.UsedTokens = append(d.UsedTokens, token)
	d.Members = append(d.Members, storage.MemberChange{List: l.Address, Address: c.Address,
		Add: c.Action == "subscribe", At: now})
	if c.Action == "subscribe" {
		say("Bienvenue : vous êtes maintenant abonné·e à %s. Pour écrire à tous : %s.",
			"Welcome: you are now subscribed to %s. To write to everyone: %s.", l.Address, l.Address)
	} else {
		say("C'est fait : vous êtes désabonné·e de %s.", "Done: you are unsubscribed from %s.", l.Address)
	}
	s.o.Logger.Info("request: confirmed", "list", l.Address, "address", c.Address, "action", c.Action)
	return nil
}

// statusLines lists the open and blocked proposals in the reply.
func (s *processor) statusLines(rq *requestRun) error {
	l, say := rq.l, rq.say
	all, err := s.o.Store.Proposals(l.Address)
	if err != nil {
		return err
	}
	n := 0
	for _, p := range all {
		if p.Status != consensus.StatusOpen && p.Status != consensus.StatusBlocked {
			continue
		}
		n++
		dl := notice.Date(p.Deadline, s.listLang(l), s.o.Consensus.Location)
		say("Proposition n° %d de %s, « %s » : %s, échéance le %s, %d objection(s) debout.",
			"Proposal #%d by %s, \"%s\": %s, deadline %s, %d objection(s) standing.",
			p.Number, p.Author, p.Title, notice.StatusWord(p.Status, s.listLang(l)), dl, len(p.Objections))
	}
	if n == 0 {
		say("La liste %s n'a aucune proposition en cours.", "The list %s has no open proposal.", l.Address)
	}
	return nil
}

// answer sends the answer to a request, within the cap on replies.
func (s *processor) answer(d *storage.Disposition, l storage.List, to string, h textproto.Header, data notice.Data, now time.Time) error {
	return s.tell(d, l, to, notice.Request, data, strings.TrimSpace(h.Get("Message-Id")), now)
}

// sendPassword gives a member who confirmed their request a new IMAP
// password, recorded with the confirming message, and says it with how
// to reach the archive.
func (s *processor) sendPassword(rq *requestRun) error {
	l, member, say := rq.l, rq.sender, rq.say
	if ok, err := s.o.Store.IsMember(l.Address, member); err != nil {
		return err
	} else if !ok {
		say("Seuls les membres de %s ont un mot de passe.", "Only members of %s have a password.", l.Address)
		return nil
	}
	pw, hash, err := admin.NewPassword()
	if err != nil {
		return err
	}
	rq.d.Passwords = append(rq.d.Passwords, storage.PasswordChange{List: l.Address, Member: member, Hash: hash})
	say("Votre nouveau mot de passe pour lire les archives de %s dans votre logiciel de messagerie : %s",
		"Your new password to read the archive of %s in your mail program: %s", l.Address, pw)
	if host, port, ok := s.imapAccess(); !ok {
		say("Ce serveur ne sert pas encore les archives par IMAP : gardez ce mot de passe pour plus tard.",
			"This server does not serve the archive over IMAP yet: keep this password for later.")
	} else if s.o.IMAPTLS != nil {
		say("Pour ajouter le compte, indiquez : serveur IMAP %s, port %s, sécurité STARTTLS, identifiant %s, ce mot de passe.",
			"To add the account, enter: IMAP server %s, port %s, STARTTLS security, login %s, this password.", host, port, member)
	} else {
		say("Pour ajouter le compte, indiquez : serveur IMAP %s, port %s, sans chiffrement, identifiant %s, ce mot de passe.",
			"To add the account, enter: IMAP server %s, port %s, no encryption, login %s, this password.", host, port, member)
	}
	return nil
}

// imapAccess returns how a member reaches the IMAP archive: the server's
// name (the listening host when it is a public one, else the SMTP host
// name) and the port; ok is false when the archive is off.
func (s *processor) imapAccess() (host, port string, ok bool) {
	host, port, err := net.SplitHostPort(s.imapAddr)
	if err != nil {
		return "", "", false
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) || host == "localhost" {
		host = s.o.SMTP.Hostname
	}
	return host, port, true
}

// newToken returns 20 random letters and digits.
func newToken() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789" // no look-alikes
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
