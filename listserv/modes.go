package listserv

import (
	"strings"
	"time"

	"tacit/consensus"
	"tacit/listserv/classify"
	"tacit/listserv/listaddr"
	"tacit/listserv/notice"
	"tacit/storage"
)

// Delivery modes (docs/membership.md: less mail, never fewer decisions). A
// member writes to NAME-request "résumé" (digest: the day's posts in one
// message at digest_time), "pause" or "vacances [jusqu'au DATE]"
// (nomail: no ordinary post, until DATE when given) or "normal". These
// change something, so they count only from an authenticated message or
// once confirmed by a plain reply (a confirmation of Action "mode").
// Whatever the mode, proposals, reminders, outcome and amendment notices
// and agendas come one by one (decisionRecipients).

// modeVerbs are the -request commands that change a delivery mode.
var modeVerbs = map[string]string{"digest": storage.ModeDigest, "nomail": storage.ModeNomail, "normal": storage.ModeNormal}

// untilWords introduce the end of a pause ("jusqu'au 15/01", "until
// 2027-01-15"), normalised.
var untilWords = []string{"jusqu'au", "jusqu'a", "jusqu’au", "jusqu’a", "jusqu", "until", "till", "au", "le"}

// modeCommand carries out "résumé", "pause [jusqu'au DATE]" or "normal"
// from rq's sender; trusted is set for a confirmed message.
func (s *processor) modeCommand(rq *requestRun, c reqCommand, member, trusted bool) error {
	l := rq.l
	if !member {
		rq.say(notice.ModeMembersOnly, l.Address)
		return nil
	}
	mode := modeVerbs[c.verb]
	var until time.Time
	if mode == storage.ModeNomail {
		arg := strings.TrimSpace(c.arg)
		fields := strings.Fields(arg)
		for len(fields) > 0 && isUntilWord(fields[0]) {
			fields = fields[1:]
		}
		if len(fields) > 0 {
			at, _, err := consensus.ParseWhen(strings.Join(fields, " "), rq.now, s.o.Consensus.Location)
			if err != nil || !at.After(rq.now) {
				rq.say(notice.ModeDateUnread, arg)
				return nil
			}
			until = at.UTC()
		}
	}
	if !trusted && !s.memberSpeaks(rq) {
		return nil
	}
	rq.d.Modes = append(rq.d.Modes, storage.ModeChange{List: l.Address, Address: rq.sender, Mode: mode, Until: until})
	s.o.Logger.Info("request: delivery mode", "list", l.Address, "member", rq.sender, "mode", mode, "until", until)
	switch {
	case mode == storage.ModeDigest:
		rq.say(notice.ModeDigest, l.Address, s.digestTime())
	case mode == storage.ModeNomail && until.IsZero():
		rq.say(notice.ModeNomail, l.Address)
	case mode == storage.ModeNomail:
		rq.say(notice.ModeNomailUntil, l.Address, notice.Day(until, rq.lang, s.o.Consensus.Location))
	default:
		rq.say(notice.ModeNormal, l.Address)
	}
	return nil
}

func isUntilWord(w string) bool {
	n := consensus.Normalize(w)
	for _, u := range untilWords {
		if n == u {
			return true
		}
	}
	return false
}

// memberSpeaks reports whether rq's message may change its sender's
// delivery mode: authenticated and sent to NAME-request (or the list).
// Otherwise it asks for a confirmation by return mail (one per reply).
func (s *processor) memberSpeaks(rq *requestRun) bool {
	if s.authenticatedRequest(rq) {
		return true
	}
	rq.askConfirmation("mode", notice.ModeConfirmAsked)
	return false
}

// confirmModes carries out the delivery mode commands of the message
// the member just confirmed, as of now.
func (s *processor) confirmModes(rq *requestRun, c storage.Confirmation) error {
	cmds, err := s.confirmedCommands(c, rq.now)
	if err != nil {
		return err
	}
	member, err := s.o.Store.IsMember(rq.l.Address, rq.sender)
	if err != nil {
		return err
	}
	for _, cmd := range cmds {
		if _, ok := modeVerbs[cmd.verb]; ok {
			if err := s.modeCommand(rq, cmd, member, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// authenticatedRequest reports whether rq's message is authenticated
// (docs/security.md) and sent to NAME-request or to the list itself: what
// a command changing a member's settings or the list needs to act at
// once, without a confirmation by return mail.
func (s *processor) authenticatedRequest(rq *requestRun) bool {
	r := s.o.Authenticity.Authenticate(rq.in.raw, rq.in.env.RemoteAddr)
	return r.OK && (addressedTo(rq.h, listaddr.Of(rq.l.Address, listaddr.Request)) || addressedTo(rq.h, rq.l.Address))
}

// askConfirmation asks the sender, once per reply, to confirm by return
// mail the commands of rq's message for action, saying so with asked.
// Confirming runs the commands of the message kept, not of the reply.
func (rq *requestRun) askConfirmation(action string, asked notice.Sentence) {
	if rq.data.Token != "" {
		return
	}
	tok := newToken()
	rq.d.Confirmations = append(rq.d.Confirmations, storage.Confirmation{Token: tok, List: rq.l.Address,
		Address: rq.sender, Action: action, Created: rq.now, Expires: rq.now.Add(confirmationLifetime),
		Message: rq.in.id})
	rq.data.Token = tok
	rq.say(asked)
}

// confirmedCommands reads again the commands of the message a
// confirmation names.
func (s *processor) confirmedCommands(c storage.Confirmation, now time.Time) ([]reqCommand, error) {
	raw, env, err := s.o.Store.Message(c.Message)
	if err != nil {
		return nil, err
	}
	orig := read(c.Message, raw, env, now)
	text, _ := classify.BodyText(raw)
	cmds, _ := parseRequest(orig.subject, text)
	return cmds, nil
}

// digestTime returns the time of day of the digest ("18:00").
func (s *processor) digestTime() string {
	if s.o.Delivery.DigestTime != "" {
		return s.o.Delivery.DigestTime
	}
	return defaultDigestTime
}

// defaultDigestTime is config.Default's digest_time.
const defaultDigestTime = "18:00"
