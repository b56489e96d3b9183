package main

// End-to-end test of docs/meetings.md, as an association lives it: what
// silence could not settle goes to a meeting. Two proposals are blocked
// by plain disagreement, an owner announces the meeting by mail, every
// member gets its agenda once, and what the meeting decided is recorded
// by the owner's reply to the agenda and on the command line, while a
// member who is not an owner cannot. A French list in Europe/Paris whose
// deadlines are seconds; nothing sleeps: the test waits on what members
// see (the shapes and helpers of decide_e2e_test.go and reply_e2e_test.go).

import (
	"fmt"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"
)

// meetRig is a running server with the list jardin@lists.test (French,
// Europe/Paris) whose members are decMembers and whose owner is Carol.
type meetRig struct {
	*decRig
}

// meetOwner owns the list; she is a member too, and gets the agenda.
var meetOwner = decCarol

func newMeetRig(t *testing.T) *meetRig {
	t.Helper()
	in := newInstance(t, "maildir", "")
	r := &meetRig{decRig: &decRig{replyRig: &replyRig{in: in}}}
	r.writeConfig()
	in.mustCLI("list", "create", "jardin", "--name", "Jardin partagé", "--lang", "fr", "--from-rewrite", "never",
		"--owner", meetOwner.Address)
	args := []string{"member", "add", "jardin"}
	for _, m := range decMembers {
		args = append(args, m.Address)
	}
	in.mustCLI(args...)
	r.start(t)
	return r
}

// writeConfig writes the whole configuration, on new free ports: the
// deadlines of decRig, and agendas due 2 minutes ahead of a meeting.
func (r *meetRig) writeConfig() {
	in := r.in
	in.smtpAddr = freePort(in.t)
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\ndomain = \"lists.test\"\nlanguage = \"fr\"\ntimezone = \"Europe/Paris\"\n\n", in.dir)
	fmt.Fprintf(&b, "[smtp]\nlisten = %q\nhostname = \"lists.test\"\n%s\n[imap]\nlisten = \"\"\n\n[http]\nlisten = \"\"\n\n",
		in.smtpAddr, trustedRelayConfig)
	b.WriteString("[delivery]\nmode = \"maildir\"\n\n[consensus]\ndefault_deadline = \"4s\"\nmin_deadline = \"1s\"\n" +
		"remind_before = \"0s\"\nschedule = \"@every 1s\"\nagenda_before = \"2m\"\n")
	if err := os.WriteFile(in.cfgPath, []byte(b.String()), 0o600); err != nil {
		in.t.Fatal(err)
	}
}

// start runs `tacit serve`, on new ports when another test took one.
func (r *meetRig) start(t *testing.T) {
	t.Helper()
	r.p = serveRetrying(t, r.in, r.writeConfig)
}

// meetShown is what `tacit proposal show LIST#N --json` says of a decision.
type meetShown struct {
	Number      int
	Status      string
	DecidedBy   string `json:"decided_by"`
	MeetingNote string `json:"meeting_note"`
}

func (r *meetRig) showDecision(t *testing.T, n int) meetShown {
	t.Helper()
	var s meetShown
	jsonOut(t, r.in.mustCLI("proposal", "show", fmt.Sprintf("jardin#%d", n), "--json"), &s)
	return s
}

// meetListed is one meeting of `tacit meeting ls --json`.
type meetListed struct {
	ID         uint64
	List       string
	At         time.Time
	Place      string
	By         string
	AgendaSent bool `json:"agenda_sent"`
}

func (r *meetRig) meetings(t *testing.T) []meetListed {
	t.Helper()
	var ms []meetListed
	jsonOut(t, r.in.mustCLI("meeting", "ls", "jardin", "--json"), &ms)
	return ms
}

// barrier posts to the list and waits until every member has the post:
// the list's work is done in order, so what was due before it went out.
func (r *meetRig) barrier(t *testing.T, what string) {
	t.Helper()
	id := r.send(t, decAlice, replyList, "Barrière : "+what, "Rien à voir.\n")
	r.waitAll(t, "barrier post after "+what, func(m *gotMail) bool { return m.header("Message-Id") == id })
}

func TestMeetingSettlesWhatSilenceCouldNot(t *testing.T) {
	t.Parallel()
	r := newMeetRig(t)
	paris := decParis(t)
	bob, owner, dave := decBob.Address, meetOwner.Address, decDave.Address

	// 1. Two proposals, and Bob's plain disagreement with each.
	type blockedProp struct {
		n             int
		title, author string
		reason        string
		copies        map[string]*gotMail
	}
	props := []*blockedProp{
		{title: "Acheter un composteur", author: decAlice.Name, reason: "nous n'avons pas la place près de la mare"},
		{title: "Repeindre la cabane", author: decDave.Name, reason: "la peinture coûte trop cher cette année"},
	}
	authors := []*mail.Address{decAlice, decDave}
	for i, p := range props {
		p.copies, p.n = r.propose(t, authors[i], p.title, "Je propose : "+strings.ToLower(p.title)+".\n")
		r.reply(t, fmt.Sprintf("disagreement with #%d", p.n), p.copies[bob], decBob, gmailFR,
			"Je ne suis pas d'accord : "+p.reason+".")
	}
	for _, p := range props {
		subj := fmt.Sprintf("[BLOQUÉE #%d] %s", p.n, p.title)
		for _, m := range r.waitAll(t, subj, decSubject(subj)) {
			decCheckNotice(t, m, p.copies[bob].header("Message-Id"))
			if txt := decFlat(m.text); !strings.Contains(txt, "Bob Durand") || !strings.Contains(txt, p.reason) {
				t.Errorf("%s to %s does not name Bob Durand and his reason %q:\n%s", subj, m.box, p.reason, m.text)
			}
		}
	}

	// 2. The owner announces the meeting, in one or two minutes, by mail.
	now := time.Now().In(paris)
	at := now.Truncate(time.Minute).Add(2 * time.Minute)
	line := fmt.Sprintf("réunion %s Maison du libre", at.Format("02/01/2006 15h04"))
	announce := r.send(t, meetOwner, replyRequest, "Prochaine réunion", line+"\n")
	answer := r.answerTo(t, owner, announce, "answer to the meeting's announcement")
	if txt := decFlat(answer.text); !strings.Contains(txt, "Réunion notée") || !strings.Contains(txt, decFrenchDate(at)) {
		t.Errorf("the owner's %q (at %s) got %q, which does not say the meeting of %s is recorded:\n%s",
			line, now.Format(time.RFC3339), answer.subject, decFrenchDate(at), answer.text)
	}
	ms := r.meetings(t)
	if len(ms) != 1 || !ms[0].At.Equal(at) || ms[0].Place != "Maison du libre" || ms[0].By != owner ||
		ms[0].List != replyList {
		t.Fatalf("tacit meeting ls --json: %+v; want one meeting of %s at %s, Maison du libre, by %s",
			ms, replyList, at.Format(time.RFC3339), owner)
	}

	// 3. The agenda is due at once (2 minutes ahead): every member gets it.
	agendaSubj := "[jardin] [ORDRE DU JOUR] Réunion du " + meetDay(at)
	// The agenda itself, not a member's "Re:" to it (distributed too).
	isAgenda := func(m *gotMail) bool {
		return strings.HasPrefix(m.subject, "[jardin] [ORDRE DU JOUR]") && m.header("Auto-Submitted") == "auto-generated"
	}
	agendas := r.waitAll(t, "agenda", isAgenda)
	for _, m := range agendas {
		if m.subject != agendaSubj {
			t.Errorf("agenda to %s: Subject %q, want %q", m.box, m.subject, agendaSubj)
		}
		txt := decFlat(m.text)
		for _, p := range props {
			for _, want := range []string{
				fmt.Sprintf("Proposition n° %d, proposée par %s", p.n, p.author), p.title,
				"une objection de Bob Durand", p.reason,
			} {
				if !strings.Contains(txt, want) {
					t.Errorf("agenda to %s: no %q for blocked proposal #%d:\n%s", m.box, want, p.n, m.text)
				}
			}
		}
		for _, want := range []string{"du " + decFrenchDate(at), "Maison du libre", "décision #3 adoptée",
			"jardin-request@lists.test"} {
			if !strings.Contains(txt, want) {
				t.Errorf("agenda to %s: no %q (the meeting's date, place, how to record a decision):\n%s", m.box, want, m.text)
			}
		}
		// Bob's two objections, one under each proposal.
		if k := strings.Count(txt, "une objection de Bob Durand"); k != 2 {
			t.Errorf("agenda to %s names Bob's objection %d times, want 2:\n%s", m.box, k, m.text)
		}
	}
	if !waitFor(replyWait, func() bool { ms := r.meetings(t); return len(ms) == 1 && ms[0].AgendaSent }) {
		t.Errorf("tacit meeting ls --json: %+v; want agenda_sent", r.meetings(t))
	}
	r.barrier(t, "the agenda")
	for _, m := range decMembers {
		if k := r.count(t, m.Address, isAgenda); k != 1 {
			t.Errorf("%s got %d agendas, want 1", m.Address, k)
		}
	}

	// 4. After the meeting, the owner answers the agenda.
	ag := agendas[owner]
	replyTo, _ := replyAddress(ag.msg)
	t.Logf("the agenda: From %q, Reply-To %q; the owner's reply goes to %v", ag.header("From"), ag.header("Reply-To"), replyTo)
	p1, p2 := props[0], props[1]
	decision := r.reply(t, "decision on #1", ag, meetOwner, gmailFR, fmt.Sprintf("décision #%d adoptée, vote à main levée", p1.n))
	adoptedSubj := fmt.Sprintf("[jardin] [ADOPTÉE EN RÉUNION #%d] %s", p1.n, p1.title)
	for _, m := range r.waitAll(t, adoptedSubj, decSubject(fmt.Sprintf("[ADOPTÉE EN RÉUNION #%d]", p1.n))) {
		if m.subject != adoptedSubj || !strings.Contains(decFlat(m.text), "vote à main levée") {
			t.Errorf("%q to %s: want Subject %q, with the note \"vote à main levée\":\n%s", m.subject, m.box, adoptedSubj, m.text)
		}
	}
	t.Logf("the owner's reply to the agenda reached %d members; the owner got %d answers to it",
		len(decMembers)-len(missing(r, t, decision)), r.count(t, owner, func(m *gotMail) bool { return m.header("In-Reply-To") == decision }))
	if s := r.showDecision(t, p1.n); s.Status != "adopted" || s.DecidedBy != "meeting" {
		t.Errorf("tacit proposal show jardin#%d --json: status %q, decided_by %q; want adopted, meeting", p1.n, s.Status, s.DecidedBy)
	}

	// A member who is not an owner cannot record a decision.
	attempt := r.send(t, decDave, replyRequest, "Décision", fmt.Sprintf("décision #%d adoptée\n", p2.n))
	refused := r.answerTo(t, dave, attempt, "answer to a non-owner's decision")
	if !strings.Contains(decFlat(refused.text), "Seuls les responsables") {
		t.Errorf("%s's \"décision #%d adoptée\" got %q, which does not say only the owners can:\n%s",
			dave, p2.n, refused.subject, refused.text)
	}
	if to := refused.header("To"); !strings.Contains(to, dave) || strings.Contains(to, replyList) {
		t.Errorf("the answer to %s: To %q, want %s alone", dave, to, dave)
	}
	r.barrier(t, "the non-owner's decision")
	if s := r.showDecision(t, p2.n); s.Status != "blocked" || s.DecidedBy != "" {
		t.Errorf("after %s's decision: proposal #%d is %q (decided_by %q), want still blocked", dave, p2.n, s.Status, s.DecidedBy)
	}
	r.onlyTo(t, dave, "answers to the non-owner's decision", func(m *gotMail) bool { return m.header("In-Reply-To") == attempt })

	// The second decision on the command line, through the running server.
	out := r.in.mustCLI("proposal", "settle", fmt.Sprintf("jardin#%d", p2.n), "rejected", "--note", "trop cher")
	if !strings.Contains(out, "rejected") {
		t.Errorf("tacit proposal settle: %q", out)
	}
	if !waitFor(5*time.Second, func() bool { return strings.Contains(r.p.logs.String(), `args="proposal settle`) }) {
		t.Errorf("the running server did not log the settle command: it did not go through the admin socket")
	}
	rejectedSubj := fmt.Sprintf("[jardin] [REJETÉE #%d] %s", p2.n, p2.title)
	for _, m := range r.waitAll(t, rejectedSubj, decSubject(fmt.Sprintf("[REJETÉE #%d]", p2.n))) {
		if m.subject != rejectedSubj || !strings.Contains(decFlat(m.text), "trop cher") {
			t.Errorf("%q to %s: want Subject %q, with the note \"trop cher\":\n%s", m.subject, m.box, rejectedSubj, m.text)
		}
	}
	if s := r.showDecision(t, p2.n); s.Status != "rejected" || s.DecidedBy != "meeting" {
		t.Errorf("tacit proposal show jardin#%d --json: status %q, decided_by %q; want rejected, meeting", p2.n, s.Status, s.DecidedBy)
	}
	r.barrier(t, "the decisions")
	for _, m := range decMembers {
		for _, c := range []struct {
			subj string
			want int
		}{
			{fmt.Sprintf("[ADOPTÉE EN RÉUNION #%d]", p1.n), 1}, {fmt.Sprintf("[REJETÉE #%d]", p2.n), 1},
			{fmt.Sprintf("[ADOPTÉE EN RÉUNION #%d]", p2.n), 0}, {fmt.Sprintf("[ADOPTÉE #%d]", p2.n), 0},
		} {
			if k := r.count(t, m.Address, decSubject(c.subj)); k != c.want {
				t.Errorf("%s got %d %s, want %d", m.Address, k, c.subj, c.want)
			}
		}
		if k := r.count(t, m.Address, isAgenda); k != 1 {
			t.Errorf("%s got %d agendas in all, want 1", m.Address, k)
		}
	}
	r.p.stop()
}

// meetDay writes t's day as the agenda's Subject does: "mardi 12 janvier 2027".
func meetDay(t time.Time) string {
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("%s %s %s %d", frDays[t.Weekday()], day, frMonths[t.Month()-1], t.Year())
}

// missing lists the members who have no message whose Message-ID is id.
func missing(r *meetRig, t *testing.T, id string) []string {
	t.Helper()
	var out []string
	for _, m := range decMembers {
		if r.count(t, m.Address, func(g *gotMail) bool { return g.header("Message-Id") == id }) == 0 {
			out = append(out, m.Address)
		}
	}
	return out
}
