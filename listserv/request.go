package listserv

import (
	"crypto/rand"
	"errors"
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
// carries commands, one per line, in the Subject or the body
// (docs/membership.md). One reply summarises every command found. Subscribing
// and
// unsubscribing are confirmed by the address itself (double opt-in): the
// reply carries "confirm TOKEN" in its Subject, so that a plain reply
// confirms. The list never answers bounces, auto-replies or its own mail,
// and answers one address at most MaxRepliesPerHour times an hour.

// confirmationLifetime is how long a confirmation token stays valid.
const confirmationLifetime = 7 * 24 * time.Hour

// maxRequestLines bounds the lines of a request read for commands.
const maxRequestLines = 30

// verbs maps the normalised command words (docs/membership.md) to commands.
var verbs = []struct{ words, verb string }{
	{"se desabonner", "unsubscribe"}, {"desabonner", "unsubscribe"}, {"desabonnement", "unsubscribe"},
	{"unsubscribe", "unsubscribe"}, {"signoff", "unsubscribe"}, {"leave", "unsubscribe"},
	{"s'abonner", "subscribe"}, {"abonner", "subscribe"}, {"abonnement", "subscribe"},
	{"subscribe", "subscribe"}, {"join", "subscribe"},
	{"confirmer", "confirm"}, {"confirm", "confirm"},
	{"mot de passe", "password"}, {"password", "password"},
	{"aide", "help"}, {"help", "help"},
	{"reunion", "meeting"}, {"meeting", "meeting"},
	{"decision", "settle"},
	{"etat", "status"}, {"status", "status"},
	{"accepter", "approve"}, {"approuver", "approve"}, {"approve", "approve"},
	{"refuser", "reject"}, {"rejeter", "reject"}, {"reject", "reject"},
	{"fin", "end"}, {"end", "end"}, {"merci", "end"},
	{"debannir", "unban"}, {"unban", "unban"}, {"bannir", "ban"}, {"ban", "ban"},
	{"moderer", "moderate"}, {"moderate", "moderate"},
	{"resume", "digest"}, {"digest", "digest"}, {"pause", "nomail"}, {"nomail", "nomail"},
	{"vacances", "nomail"}, {"normal", "normal"},
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
	answer, err := s.runRequest(&requestRun{in: in, d: d, l: l, h: h, sender: sender, now: now}, cmds, unknown)
	if err != nil || answer == nil {
		return err
	}
	return s.answer(d, l, sender, h, *answer, now)
}

// requestRun is one mail to NAME-request as its commands see it: what
// it records, who sent it, and the answer being written.
type requestRun struct {
	in     *inbound
	d      *storage.Disposition
	l      storage.List
	h      textproto.Header
	sender string
	now    time.Time
	lang   string
	// data is the answer: each command adds its sentence to Results.
	data notice.Data
	// owner is set once the sender is known to speak for an owner:
	// authenticated, or confirmed by return mail.
	owner bool
}

// say adds one sentence to the answer, in the list's language.
func (rq *requestRun) say(key notice.Sentence, args ...any) {
	rq.data.Results = append(rq.data.Results, notice.Say(rq.lang, key, args...))
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
					say(notice.AlreadySubscribed, l.Address)
				} else {
					say(notice.NotSubscribed, l.Address)
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
				say(notice.SubscribeAsked, l.Address, sender)
			} else {
				say(notice.UnsubscribeAsked, l.Address, sender)
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
		case "meeting", "settle":
			if err := s.ownerCommand(rq, c); err != nil {
				return nil, err
			}
		case "ban", "unban", "moderate":
			if err := s.trollCommand(rq, c); err != nil {
				return nil, err
			}
		case "digest", "nomail", "normal":
			if err := s.modeCommand(rq, c, member, false); err != nil {
				return nil, err
			}
		case "help":
			data.Help = true
		case "status":
			if !member {
				say(notice.StatusMembersOnly, l.Address)
				continue
			}
			if err := s.statusLines(rq); err != nil {
				return nil, err
			}
		case "password":
			if !member {
				say(notice.PasswordMembersOnly, l.Address)
				continue
			}
			if joined {
				say(notice.PasswordAfterJoin)
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
			say(notice.PasswordAsked, l.Address, sender)
		}
	}
	if len(cmds) == 0 {
		data.Help = true
		if len(unknown) > 0 {
			say(notice.NoCommand, unknown[0])
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
			say(notice.ProposalConfirmed, held.Subject)
			return nil
		}
		// "confirm" to an owners' notice: nothing to confirm; tell them
		// how to decide.
		say(notice.AnswerApproveReject, held.From)
		return nil
	}
	c, err := s.o.Store.Confirmation(token, now)
	switch {
	case errors.Is(err, storage.ErrExpired):
		d.UsedTokens = append(d.UsedTokens, token)
		say(notice.ConfirmationExpired)
		return nil
	case errors.Is(err, storage.ErrNotFound):
		say(notice.ConfirmationUnknown)
		return nil
	case err != nil:
		return err
	}
	if c.List != l.Address {
		say(notice.ConfirmationOtherList)
		return nil
	}
	if c.Address != sender {
		// The token went to c.Address: only that address may use it.
		say(notice.ConfirmationOtherAddress)
		return nil
	}
	switch c.Action {
	case "command":
		return s.confirmCommands(rq, c)
	case "password":
		d.UsedTokens = append(d.UsedTokens, token)
		return s.sendPassword(rq)
	case "owner":
		d.UsedTokens = append(d.UsedTokens, token)
		return s.confirmOwnerCommands(rq, c)
	case "mode":
		d.UsedTokens = append(d.UsedTokens, token)
		return s.confirmModes(rq, c)
	}
	d.UsedTokens = append(d.UsedTokens, token)
	d.Members = append(d.Members, storage.MemberChange{List: l.Address, Address: c.Address,
		Add: c.Action == "subscribe", At: now})
	if c.Action == "subscribe" {
		say(notice.Welcome, l.Address, l.Address)
	} else {
		say(notice.Unsubscribed, l.Address)
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
		say(notice.StatusLine, p.Number, p.Author, p.Title, notice.StatusWord(p.Status, s.listLang(l)), dl, len(p.Objections))
	}
	if n == 0 {
		say(notice.NoOpenProposal, l.Address)
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
		say(notice.PasswordMembersOnly, l.Address)
		return nil
	}
	pw, hash, err := admin.NewPassword()
	if err != nil {
		return err
	}
	rq.d.Passwords = append(rq.d.Passwords, storage.PasswordChange{List: l.Address, Member: member, Hash: hash})
	say(notice.NewPassword, l.Address, pw)
	if host, port, ok := s.imapAccess(s.imapsAddr); ok {
		say(notice.IMAPImplicitTLS, host, port, member)
	} else if host, port, ok := s.imapAccess(s.imapAddr); !ok {
		say(notice.NoIMAP)
	} else if s.o.IMAPTLS != nil {
		say(notice.IMAPStartTLS, host, port, member)
	} else {
		say(notice.IMAPPlain, host, port, member)
	}
	return nil
}

// imapAccess returns how a member reaches the IMAP archive at addr (a
// listening address): the server's name (the listening host when it is a
// public one, else the SMTP host name) and the port; ok is false when
// addr is "" (that listener is off).
func (s *processor) imapAccess(addr string) (host, port string, ok bool) {
	host, port, err := net.SplitHostPort(addr)
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
