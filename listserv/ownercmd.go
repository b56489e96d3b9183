package listserv

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"tacit/consensus"
	"tacit/listserv/classify"
	"tacit/listserv/notice"
	"tacit/storage"
)

// The owners' commands by mail to NAME-request (docs/meetings.md):
// "réunion 12/01/2027 18h30 Maison du libre" announces a meeting,
// "décision #3 adoptée [note]" records what a meeting decided. They count
// only from an owner whose message is authenticated, or who confirms it
// by a plain reply (docs/security.md).

// settleLine reads "#3 adoptée la note": the number, the outcome word,
// the note.
var settleLine = regexp.MustCompile(`^#?\s*(\d{1,9})\s*:?\s+(\S+)\s*(.*)$`)

// settleWords maps the outcome words, normalised, to the outcomes.
var settleWords = map[string]string{
	"adoptee": consensus.SettleAdopted, "adopte": consensus.SettleAdopted, "adopted": consensus.SettleAdopted,
	"acceptee": consensus.SettleAdopted, "rejetee": consensus.SettleRejected, "rejete": consensus.SettleRejected,
	"rejected": consensus.SettleRejected, "refusee": consensus.SettleRejected, "reportee": consensus.SettlePostponed,
	"reporte": consensus.SettlePostponed, "postponed": consensus.SettlePostponed, "ajournee": consensus.SettlePostponed,
}

// ownerCommand carries out "réunion …" or "décision #N …".
func (s *processor) ownerCommand(rq *requestRun, c reqCommand) error {
	l := rq.l
	if !slices.Contains(l.Owners, rq.sender) {
		rq.say(notice.OwnersOnlyMeeting, l.Address)
		return nil
	}
	if ok, err := s.ownerSpeaks(rq); err != nil || !ok {
		return err
	}
	if c.verb == "meeting" {
		at, rest, err := consensus.ParseWhen(c.arg, rq.now, s.o.Consensus.Location)
		if err != nil {
			rq.say(notice.MeetingUnread, c.arg)
			return nil
		}
		rq.d.Meetings = append(rq.d.Meetings, storage.Meeting{List: l.Address, At: at, Place: rest,
			Created: rq.now, By: rq.sender})
		rq.say(notice.MeetingRecorded, notice.Date(at, rq.lang, s.o.Consensus.Location))
		return nil
	}
	m := settleLine.FindStringSubmatch(strings.TrimSpace(c.arg))
	outcome := ""
	if m != nil {
		outcome = settleWords[strings.Trim(consensus.Normalize(m[2]), ".,;:!")]
	}
	if outcome == "" {
		rq.say(notice.SettleUnread, strings.TrimSpace(c.arg))
		return nil
	}
	n, _ := strconv.Atoi(m[1])
	u, outs, why, err := s.settle(l, settlement{ref: storage.ProposalRef{List: l.Address, Number: n},
		outcome: outcome, note: strings.TrimSpace(m[3]), by: rq.sender}, rq.now)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		rq.say(notice.SettleNoProposal, n)
		return nil
	case err != nil:
		return err
	case why != "":
		rq.say(notice.SettleDecided, n)
		return nil
	}
	rq.d.Proposals = append(rq.d.Proposals, u)
	rq.d.Outgoing = append(rq.d.Outgoing, outs...)
	rq.say(notice.Settled, n, notice.Outcome(u.Proposal, rq.lang)+postponedWord(outcome, rq.lang))
	return nil
}

// postponedWord says "reportée" for a postponed proposal, whose status
// (still blocked) does not.
func postponedWord(outcome, lang string) string {
	if outcome != consensus.SettlePostponed {
		return ""
	}
	if lang == "en" {
		return ", postponed to the next meeting"
	}
	return ", reportée à la prochaine réunion"
}

// ownerSpeaks reports whether the owner's message may act: authenticated
// (and sent to NAME-request), or already confirmed. Otherwise, on a
// "dkim-or-confirm" list, it asks for a confirmation by return mail (the
// answer becomes that question); on a "dkim" list it says why nothing
// changed.
func (s *processor) ownerSpeaks(rq *requestRun) (bool, error) {
	if rq.owner {
		return true, nil
	}
	mode := s.authMode(rq.l)
	if mode == storage.AuthNone {
		rq.owner = true
		return true, nil
	}
	if s.authenticatedRequest(rq) {
		rq.owner = true
		return true, nil
	}
	if mode != storage.AuthDKIMOrConfirm {
		rq.say(notice.OwnerUnauthenticated)
		return false, nil
	}
	rq.askConfirmation("owner", notice.OwnerCommandAsked)
	return false, nil
}

// confirmOwnerCommands carries out the owner's commands of the message
// they just confirmed.
func (s *processor) confirmOwnerCommands(rq *requestRun, c storage.Confirmation) error {
	cmds, err := s.confirmedCommands(c, rq.now)
	if err != nil {
		return err
	}
	rq.owner = true
	for _, cmd := range cmds {
		if cmd.verb == "meeting" || cmd.verb == "settle" {
			if err := s.ownerCommand(rq, cmd); err != nil {
				return err
			}
		}
		if isTrollVerb(cmd.verb) {
			if err := s.trollCommand(rq, cmd); err != nil {
				return err
			}
		}
	}
	return nil
}

// agendaReply carries out the "décision #N …" lines of an owner's reply
// to a meeting's agenda, sent to the list (docs/meetings.md: settling
// works as a reply to the agenda too); the owner hears privately what
// was recorded, and anyone else who wrote such a line hears that only
// the owners can. The reply itself is distributed like any post.
func (s *processor) agendaReply(l storage.List, in *inbound) error {
	if !repliesToAgenda(in) {
		return nil
	}
	text, _ := classify.BodyText(in.raw)
	cmds, _ := parseRequest("", text)
	rq := &requestRun{in: in, d: in.d, l: l, h: in.h, sender: in.author, now: in.now}
	rq.lang = s.listLang(l)
	rq.data = s.noticeData(l, consensus.Proposal{}, in.now)
	acted := false
	for _, c := range cmds {
		if c.verb != "settle" {
			continue
		}
		acted = true
		if err := s.ownerCommand(rq, c); err != nil {
			return err
		}
	}
	if !acted {
		return nil
	}
	return s.answer(in.d, l, in.author, in.h, rq.data, in.now)
}

// repliesToAgenda reports whether a message answers one of our agendas.
func repliesToAgenda(in *inbound) bool {
	for _, id := range classify.MessageIDs(in.h.Get("In-Reply-To") + " " + in.h.Get("References")) {
		if strings.HasPrefix(id, "<"+agendaIDPrefix) {
			return true
		}
	}
	return false
}
