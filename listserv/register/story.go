package register

import (
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/storage"
)

// A proposal's page tells where the proposal stands in plain words, what
// comes next, how to take part, and the story of what people did; the
// helpers here write those sentences.

// timeLeft says how long an open proposal has before its deadline:
// "encore 3 jours", "encore 5 heures", "encore 20 minutes", or, once
// the deadline has passed, that the engine decides at its next pass.
func (w *words) timeLeft(d time.Duration) string {
	switch {
	case d <= 0:
		return w.Overdue
	case d >= 24*time.Hour:
		return count(w.DaysLeft, int(d/(24*time.Hour)))
	case d >= time.Hour:
		return count(w.HoursLeft, int(d/time.Hour))
	}
	return count(w.MinutesLeft, max(1, int((d+time.Minute-1)/time.Minute)))
}

// firstMeeting returns the first meeting of ms at or after now.
func firstMeeting(ms []storage.Meeting, now time.Time) (storage.Meeting, bool) {
	for _, m := range ms {
		if !m.At.Before(now) {
			return m, true
		}
	}
	return storage.Meeting{}, false
}

// situation says where p stands, how long is left and what happens next.
type situation struct {
	// Now is where p stands ("Cette proposition est en cours.");
	// Left the time left of an open one; Next what happens next.
	Now, Left, Next string
}

// situation describes p at now; ms are the list's meetings.
func (h *handler) situation(req request, p consensus.Proposal, now time.Time, ms []storage.Meeting) situation {
	w, loc := req.w, h.o.Location
	var s situation
	switch p.Status {
	case consensus.StatusOpen:
		d := deadline(p)
		// "… jusqu'au jeudi 3 décembre à 10 h : encore 3 jours."
		s.Now = fmt.Sprintf(w.SitOpen, req.date(d, loc, true).Words)
		s.Left = w.timeLeft(d.Sub(now))
		s.Next = w.NextOpen
		if n := len(p.Objections); n > 0 {
			s.Next = count(w.NextOpenObjected, n)
		}
	case consensus.StatusBlocked:
		s.Now = count(w.SitBlocked, len(p.Objections))
		s.Next = w.NextBlocked + "."
		if m, ok := firstMeeting(ms, now); ok {
			at := req.date(m.At, loc, true).Words
			if m.Place != "" {
				at += " (" + m.Place + ")"
			}
			s.Next = w.NextBlocked + fmt.Sprintf(w.NextMeetingOn, at) + "."
		}
	default:
		how := w.howDecided(p)
		if how == "" {
			how = w.label(p)
		}
		s.Now = sentence(fmt.Sprintf(w.SitDecided, how, req.date(p.Decided, loc, true).Words))
		if p.Decided.IsZero() {
			s.Now = sentence(fmt.Sprintf(w.SitDecidedNoDate, how))
		}
	}
	return s
}

// members returns how many members list l has; 0 when unknown.
func (h *handler) members(l storage.List) int {
	ms, err := h.o.Store.Members(l.Address)
	if err != nil {
		h.o.Logger.Warn("register: counting members", "list", l.Address, "err", err)
		return 0
	}
	return len(ms)
}

// participationOf says how many of the list's members (of members, 0
// when unknown) took part in p: "3 membres sur 12 se sont exprimés :
// 2 soutiens, 1 objection". Without a record of who replied (proposals
// older than Respondents), it counts replies as before.
func (w *words) participationOf(p consensus.Proposal, members int) string {
	n := len(p.Respondents)
	if n == 0 {
		return w.participation(p)
	}
	who := count(w.RespondentsN, n)
	if members >= n {
		who = fmt.Sprintf(plural(n, w.RespondentsOf), n, members)
	}
	parts := []string{count(w.SupportsN, len(p.Supports)), count(w.ObjectionsN, len(p.Objections))}
	if p.Unpositioned > 0 {
		parts = append(parts, count(w.UnpositionedN, p.Unpositioned)+w.Colon+w.ReadThem)
	}
	return who + w.Colon + strings.Join(parts, ", ")
}

// plural picks the singular or the plural of forms by n.
func plural(n int, forms [2]string) string {
	if n > 1 {
		return forms[1]
	}
	return forms[0]
}

// howTo is the box that tells anyone how to take part in p.
type howTo struct {
	// Open is true while positions still count.
	Open bool
	// Address is the list's address, Mailto a link that writes to it
	// in reply to the proposal.
	Address string
	Mailto  template.URL
	// Lines are the words to write at the start of a line, each with
	// what it does.
	Lines [][2]string
}

// howToTakePart fills the box of p on list l.
func howToTakePart(w *words, l storage.List, p consensus.Proposal) howTo {
	subject := "Re: " + p.Title
	mailto := "mailto:" + l.Address + "?subject=" + strings.ReplaceAll(url.QueryEscape(subject), "+", "%20")
	b := howTo{Address: l.Address, Mailto: template.URL(mailto), Open: !p.Status.Terminal()}
	if b.Open {
		b.Lines = w.Commands
	}
	return b
}

// event is one line of a timeline, as shown: Who (empty for what the
// list did) then the sentence, and the words they wrote.
type event struct {
	At    date
	Who   string
	Text  string
	Quote string
	// Why says why a command did not count.
	Why          string
	Refused, Key bool
	// Web: the position was taken on the web page, not by mail.
	Web bool
}

// story turns the events of p's timeline into one line per act of a
// person and a sentence per change of status, in time order: the reply
// that carried a command is the command, a person's act comes before
// the status it caused, and the engine is never shown as a person.
func (h *handler) story(req request, p consensus.Proposal, events []storage.ProposalEvent) []event {
	w, loc, names := req.w, h.o.Location, people(p)
	es := slices.Clone(events)
	slices.SortStableFunc(es, func(a, b storage.ProposalEvent) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		// At the same instant, what people did comes before what the
		// list did about it.
		ra, rb := a.Kind == storage.EventStatus, b.Kind == storage.EventStatus
		switch {
		case ra && !rb:
			return 1
		case rb && !ra:
			return -1
		}
		return 0
	})
	// A reply that carried a command shows as the command alone.
	commanded := map[string]bool{}
	for _, e := range es {
		if e.From != "" && e.Kind != string(consensus.EventReply) && e.Kind != storage.EventStatus {
			commanded[msgKey(e)] = true
		}
	}
	var out []event
	prev := ""
	for _, e := range es {
		ev := event{At: req.date(e.At, loc, true), Web: e.Channel == storage.ChannelWeb, Refused: e.Refusal != ""}
		if e.From != "" {
			ev.Who = who(names, e.From)
		}
		switch e.Kind {
		case string(consensus.EventReply):
			if commanded[msgKey(e)] {
				continue
			}
			ev.Text = w.acts[e.Kind]
		case storage.EventStatus:
			if e.Status == consensus.StatusOpen && e.From != "" && prev == "" {
				ev.Text = w.acts["propose"]
			} else {
				ev.Who, ev.Text, ev.Key = "", w.statusSentence(e.Status, prev, p), true
			}
		case string(consensus.EventSettle):
			ev.Who, ev.Key = "", true
			ev.Text = w.settled[e.Outcome]
			if ev.Text == "" {
				ev.Text = w.settled[""]
			}
			ev.Quote = strings.TrimSpace(e.Reason)
		case string(consensus.EventObject):
			ev.Text, ev.Quote, ev.Key = w.acts[e.Kind], strings.TrimSpace(e.Reason), !ev.Refused
			if ev.Quote == "" {
				ev.Text = w.acts["objectNoReason"]
			}
		default:
			ev.Text = w.acts[e.Kind]
			if ev.Text == "" {
				ev.Text = w.kind(e.Kind)
			}
			ev.Quote = strings.TrimSpace(e.Reason)
			ev.Key = e.Kind == string(consensus.EventAmend)
		}
		if ev.Who == "" && e.Kind != storage.EventStatus && e.Kind != string(consensus.EventSettle) && e.From == "" {
			// What the list did (a reminder, a tick) is a sentence of its own.
			ev.Text = sentence(strings.TrimSuffix(ev.Text, "."))
		}
		if ev.Refused {
			ev.Text = strings.TrimRight(strings.TrimSuffix(strings.TrimSuffix(ev.Text, ":"), "."), " \u00a0")
			ev.Why = w.why[e.Refusal]
			if ev.Why == "" {
				ev.Why = w.NotCounted + w.Colon + e.Refusal
			}
		}
		if e.Kind != string(consensus.EventReply) && !ev.Refused {
			prev = e.Kind
			if e.Kind == storage.EventStatus {
				prev = string(e.Status)
			}
		}
		out = append(out, ev)
	}
	return out
}

// msgKey identifies the mail an event came from: its message, or its
// sender and time for records without one.
func msgKey(e storage.ProposalEvent) string {
	if e.MessageID != 0 {
		return fmt.Sprint(e.MessageID)
	}
	return strings.ToLower(e.From) + " " + e.At.UTC().Format(time.RFC3339Nano)
}

// statusSentence writes a change of p's status to st as a sentence,
// knowing what came before it (the kind of the previous act or status).
func (w *words) statusSentence(st consensus.Status, prev string, p consensus.Proposal) string {
	switch st {
	case consensus.StatusAdopted:
		switch prev {
		case string(consensus.EventLift):
			return w.becameBy[consensus.ByLift]
		case string(consensus.EventSettle):
			return w.becameBy[consensus.ByMeeting]
		}
		return w.becameBy[consensus.BySilence]
	case consensus.StatusOpen:
		if prev != "" {
			return w.Reopened
		}
	}
	if s := w.became[st]; s != "" {
		return s
	}
	return sentence(w.Status + w.Colon + w.status(st))
}

// para is one paragraph of a text as shown: its lines (one unless the
// mail set some apart, as lists), quoted when they began with ">".
type para struct {
	Quote bool
	Lines []string
}

// reflow cuts an email's text into paragraphs at its blank lines and
// joins the lines of each, which the mail broke to fit its width; quoted
// lines (">") stay as they were, and so do lines that start a list item.
func reflow(text string) []para {
	var out []para
	var cur *para
	flush := func() {
		if cur != nil && len(cur.Lines) > 0 {
			out = append(out, *cur)
		}
		cur = nil
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimRight(line, " \t")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		quoted := strings.HasPrefix(line, ">")
		if quoted {
			line = strings.TrimSpace(strings.TrimLeft(line, "> "))
		}
		if cur != nil && cur.Quote != quoted {
			flush()
		}
		if cur == nil {
			cur = &para{Quote: quoted}
		}
		switch n := len(cur.Lines); {
		case n == 0 || quoted || listItem(line) || line == "--":
			cur.Lines = append(cur.Lines, line)
		default:
			cur.Lines[n-1] += " " + strings.TrimSpace(line)
		}
	}
	flush()
	return out
}

// listItem reports whether line starts an item of a list ("- ", "* ",
// "• ", "1. ", "2) ").
func listItem(line string) bool {
	line = strings.TrimSpace(line)
	for _, m := range []string{"- ", "* ", "• ", "– "} {
		if strings.HasPrefix(line, m) {
			return true
		}
	}
	i := 0
	for i < len(line) && i < 3 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' '
}
