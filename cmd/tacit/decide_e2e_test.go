package main

// End-to-end tests of how a list decides, as its members see it
// (docs/decisions.md, docs/delivery.md and docs/security.md): a French list
// whose deadlines are seconds,
// replies written the way real mail clients write them (the shapes of
// reply_e2e_test.go), each built from the mail tacit actually delivered
// into the maildir outbox and addressed as a client would (Reply-To, else
// From). Nothing here sleeps: every test waits on what a member would see.

import (
	"bufio"
	"fmt"
	"mime"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

var (
	decAlice   = &mail.Address{Name: "Alice Martin", Address: "alice@example.org"}
	decBob     = &mail.Address{Name: "Bob Durand", Address: "bob@example.org"}
	decCarol   = &mail.Address{Name: "Carol Petit", Address: "carol@example.net"}
	decDave    = &mail.Address{Name: "David Lefèvre", Address: "dave@example.net"}
	decMembers = []*mail.Address{decAlice, decBob, decCarol, decDave}
)

// decSetup is the [consensus] table of a test's server, and whether it
// serves IMAP and HTTP.
type decSetup struct {
	deadline, min, remind string
	imap, http            bool
}

// decRig is a running server with the list jardin@lists.test (French,
// Europe/Paris) whose members are decMembers.
type decRig struct {
	*replyRig
	o                  decSetup
	imapAddr, httpAddr string
}

func newDecRig(t *testing.T, o decSetup) *decRig {
	t.Helper()
	in := newInstance(t, "maildir", "")
	d := &decRig{replyRig: &replyRig{in: in}, o: o}
	d.writeConfig()
	in.mustCLI("list", "create", "jardin", "--name", "Jardin partagé", "--lang", "fr", "--from-rewrite", "never")
	args := []string{"member", "add", "jardin"}
	for _, m := range decMembers {
		args = append(args, m.Address)
	}
	in.mustCLI(args...)
	d.start(t)
	return d
}

// writeConfig writes the whole configuration, with new free ports.
func (d *decRig) writeConfig() {
	in := d.in
	in.smtpAddr, d.imapAddr, d.httpAddr = freePort(in.t), "", ""
	if d.o.imap {
		d.imapAddr = freePort(in.t)
	}
	if d.o.http {
		d.httpAddr = freePort(in.t)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\ndomain = \"lists.test\"\nlanguage = \"fr\"\ntimezone = \"Europe/Paris\"\n\n", in.dir)
	fmt.Fprintf(&b, "[smtp]\nlisten = %q\nhostname = \"lists.test\"\n%s\n[imap]\nlisten = %q\n\n", in.smtpAddr, trustedRelayConfig, d.imapAddr)
	fmt.Fprintf(&b, "[http]\nlisten = %q\n", d.httpAddr)
	if d.httpAddr != "" {
		fmt.Fprintf(&b, "base_url = %q\n", "http://"+d.httpAddr)
	}
	fmt.Fprintf(&b, "\n[delivery]\nmode = \"maildir\"\n\n[consensus]\ndefault_deadline = %q\nmin_deadline = %q\n"+
		"remind_before = %q\nschedule = \"@every 1s\"\n", d.o.deadline, d.o.min, d.o.remind)
	if err := os.WriteFile(in.cfgPath, []byte(b.String()), 0o600); err != nil {
		in.t.Fatal(err)
	}
}

// start runs `tacit serve`, on new ports when another test took one.
func (d *decRig) start(t *testing.T) {
	t.Helper()
	d.p = serveRetrying(t, d.in, d.writeConfig)
}

// propose sends a proposal from author and waits until every member has
// its distributed copy; it returns the copies by member and the number.
func (d *decRig) propose(t *testing.T, author *mail.Address, title, body string) (map[string]*gotMail, int) {
	t.Helper()
	id := d.send(t, author, replyList, "[PROPOSITION] "+title, body)
	copies := d.waitAll(t, "proposal "+title, func(m *gotMail) bool { return m.header("Message-Id") == id })
	c := copies[decBob.Address]
	n, err := strconv.Atoi(strings.TrimPrefix(c.header("X-Tacit-Proposal"), "jardin#"))
	if err != nil {
		t.Fatalf("proposal %q: X-Tacit-Proposal %q", title, c.header("X-Tacit-Proposal"))
	}
	if want := fmt.Sprintf("[jardin] [PROPOSITION #%d] %s", n, title); c.subject != want {
		t.Errorf("distributed proposal: Subject %q, want %q", c.subject, want)
	}
	return copies, n
}

// waitAll waits until every member has a message that match accepts.
func (d *decRig) waitAll(t *testing.T, what string, match func(*gotMail) bool) map[string]*gotMail {
	t.Helper()
	out := map[string]*gotMail{}
	for _, m := range decMembers {
		out[m.Address] = d.waitMail(t, m.Address, what, match)
	}
	return out
}

// count is how many messages to addr match accepts.
func (d *decRig) count(t *testing.T, addr string, match func(*gotMail) bool) int {
	t.Helper()
	n := 0
	for _, m := range d.outbox(t, addr) {
		if match(m) {
			n++
		}
	}
	return n
}

// onlyTo checks that no member but addr got a message that match accepts.
func (d *decRig) onlyTo(t *testing.T, addr, what string, match func(*gotMail) bool) {
	t.Helper()
	for _, m := range decMembers {
		if n := d.count(t, m.Address, match); m.Address != addr && n > 0 {
			t.Errorf("%s got %d %s, meant for %s only", m.Address, n, what, addr)
		}
	}
}

// decShown is what `tacit proposal show LIST#N --json` says.
type decShown struct {
	Number         int
	Status         string
	Opened         time.Time
	Deadline       time.Time
	DeadlineUnread string `json:"deadline_unread"`
	Objections     []struct{ Member, Name, Reason string }
	Supports       []struct{ Member, Name string }
	Versions       []struct {
		Text         string
		At, Deadline time.Time
	}
	Replies, Unpositioned int
	Events                []struct{ Kind, From, Reason, Refusal, Status string }
}

func (d *decRig) show(t *testing.T, n int) decShown {
	t.Helper()
	var s decShown
	jsonOut(t, d.in.mustCLI("proposal", "show", fmt.Sprintf("jardin#%d", n), "--json"), &s)
	return s
}

// decSubject matches messages whose Subject contains s.
func decSubject(s string) func(*gotMail) bool {
	return func(m *gotMail) bool { return strings.Contains(m.subject, s) }
}

// decFlat is text on one line with single spaces: our texts are wrapped.
func decFlat(s string) string { return strings.Join(strings.Fields(s), " ") }

// decCheckNotice checks docs/decisions.md on a notice to the whole list about
// the proposal whose Message-ID is propID.
func decCheckNotice(t *testing.T, m *gotMail, propID string) {
	t.Helper()
	from, err := m.msg.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != replyList {
		t.Errorf("notice %q to %s: From %q, want the list", m.subject, m.box, m.header("From"))
	}
	if m.header("Auto-Submitted") != "auto-generated" || m.header("In-Reply-To") != propID ||
		!strings.Contains(m.header("Reply-To"), replyList) {
		t.Errorf("notice %q to %s: Auto-Submitted %q, In-Reply-To %q (want %s), Reply-To %q", m.subject, m.box,
			m.header("Auto-Submitted"), m.header("In-Reply-To"), propID, m.header("Reply-To"))
	}
}

// decCheckPrivate checks an acknowledgment or a hint: to its one reader,
// from the list, whose answers (OBJECTION LEVÉE) belong on the list.
func decCheckPrivate(t *testing.T, m *gotMail, what string) {
	t.Helper()
	if to := m.header("To"); !strings.Contains(to, m.box) || strings.Contains(to, replyList) {
		t.Errorf("%s %q: To %q, want %s alone", what, m.subject, to, m.box)
	}
	if !strings.Contains(m.header("Reply-To"), replyList) {
		t.Errorf("%s %q: Reply-To %q, want the list", what, m.subject, m.header("Reply-To"))
	}
}

// decFrenchDate writes t as the notices do: "vendredi 11 décembre 2026 à 13 h 05".
func decFrenchDate(t time.Time) string {
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	hour := fmt.Sprintf("%d h", t.Hour())
	if t.Minute() != 0 {
		hour += fmt.Sprintf(" %02d", t.Minute())
	}
	return fmt.Sprintf("%s %s %s %d à %s", frDays[t.Weekday()], day, frMonths[t.Month()-1], t.Year(), hour)
}

func decParis(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatalf("the test needs the time zone database: %v", err)
	}
	return loc
}

// decComposeReply writes the reply of replier to orig, own text first, the
// way client c quotes, To to and Cc cc, under Message-ID id (text/plain,
// quoted-printable).
func decComposeReply(orig *gotMail, replier *mail.Address, c mailClient, own, id string, to, cc []*mail.Address) []byte {
	join := func(as []*mail.Address) string {
		var s []string
		for _, a := range as {
			s = append(s, a.String())
		}
		return strings.Join(s, ", ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\n", replier, join(to))
	if len(cc) > 0 {
		fmt.Fprintf(&b, "Cc: %s\r\n", join(cc))
	}
	origID := orig.header("Message-Id")
	refs := append(strings.Fields(orig.header("References")), origID)
	fmt.Fprintf(&b, "Subject: %s\r\nDate: %s\r\nMessage-ID: %s\r\nIn-Reply-To: %s\r\nReferences: %s\r\n",
		mime.QEncoding.Encode("utf-8", c.prefix+orig.subject), time.Now().Format(time.RFC1123Z), id, origID,
		strings.Join(refs, "\r\n "))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	b.Write(qpEncode(strings.ReplaceAll(c.body(orig, replier, own), "\n", "\r\n")))
	return []byte(b.String())
}

// 1. Disagreement in plain words blocks, and says how to lift it; a
// negated objection is support, and the proposal is adopted.
func TestDecidePlainDisagreementBlocks(t *testing.T) {
	t.Parallel()
	d := newDecRig(t, decSetup{deadline: "6s", min: "1s", remind: "0s"})
	bob, carol := decBob.Address, decCarol.Address
	c1, n1 := d.propose(t, decAlice, "Acheter un composteur", "Je propose d'acheter un composteur de 400 litres.\n")
	c2, n2 := d.propose(t, decAlice, "Fête du jardin", "Une fête du jardin le samedi 20 juin.\n")

	d.reply(t, "plain disagreement", c1[bob], decBob, gmailFR, "Je ne suis pas d'accord, nous n'avons pas la place.")
	ack := d.waitMail(t, bob, "acknowledgment of the objection", decSubject(fmt.Sprintf("#%d : objection enregistrée", n1)))
	decCheckPrivate(t, ack, "acknowledgment")
	if !strings.Contains(ack.text, "OBJECTION LEVÉE") {
		t.Errorf("the acknowledgment of the objection does not say how to lift it (OBJECTION LEVÉE):\n%s", ack.text)
	}
	d.reply(t, "negated objection", c2[carol], decCarol, outlookFR, "Je m'oppose pas à ça, bonne idée.")
	sup := d.waitMail(t, carol, "acknowledgment of the support", decSubject(fmt.Sprintf("#%d : soutien enregistré", n2)))
	decCheckPrivate(t, sup, "acknowledgment")

	blocked := d.waitAll(t, fmt.Sprintf("[BLOQUÉE #%d]", n1), decSubject(fmt.Sprintf("[BLOQUÉE #%d] Acheter un composteur", n1)))
	for _, m := range blocked {
		decCheckNotice(t, m, c1[bob].header("Message-Id"))
		if txt := decFlat(m.text); !strings.Contains(txt, "de Bob Durand") || !strings.Contains(txt, "nous n'avons pas la place") {
			t.Errorf("[BLOQUÉE #%d] to %s does not name the objector Bob Durand and his reason:\n%s", n1, m.box, m.text)
		}
	}
	adopted := d.waitAll(t, fmt.Sprintf("[ADOPTÉE #%d]", n2), decSubject(fmt.Sprintf("[ADOPTÉE #%d] Fête du jardin", n2)))
	for _, m := range adopted {
		decCheckNotice(t, m, c2[bob].header("Message-Id"))
		if !strings.Contains(decFlat(m.text), "Carol Petit") {
			t.Errorf("[ADOPTÉE #%d] to %s does not name the supporter Carol Petit:\n%s", n2, m.box, m.text)
		}
	}
	for _, m := range decMembers {
		for _, wrong := range []string{fmt.Sprintf("[ADOPTÉE #%d]", n1), fmt.Sprintf("[BLOQUÉE #%d]", n2)} {
			if n := d.count(t, m.Address, decSubject(wrong)); n > 0 {
				t.Errorf("%s got %d %s", m.Address, n, wrong)
			}
		}
	}
	if n := d.count(t, carol, decSubject("objection enregistrée")); n > 0 {
		t.Errorf("\"Je m'oppose pas à ça\" was acknowledged as an objection (%d)", n)
	}
	d.onlyTo(t, bob, "acknowledgments of an objection", decSubject("objection enregistrée"))
	d.onlyTo(t, carol, "acknowledgments of a support", decSubject("soutien enregistré"))
	if s := d.show(t, n2); len(s.Objections) != 0 || len(s.Supports) != 1 || s.Supports[0].Member != carol {
		t.Errorf("proposal #%d: objections %+v, supports %+v; want none and %s", n2, s.Objections, s.Supports, carol)
	}
	d.p.stop()
}

// 2. A question is a reply without position: a private hint, nothing
// counted, and the notices ask the list to read it.
func TestDecideReplyWithoutPosition(t *testing.T) {
	t.Parallel()
	d := newDecRig(t, decSetup{deadline: "6s", min: "1s", remind: "3s"})
	dave := decDave.Address
	c, n := d.propose(t, decAlice, "Acheter une tondeuse", "Une tondeuse électrique pour les allées.\n")
	d.reply(t, "question", c[dave], decDave, iphoneFR, "Combien ça coûte ?")
	hint := d.waitMail(t, dave, "private hint", decSubject("n'a pas été comptée"))
	decCheckPrivate(t, hint, "hint")
	if !strings.Contains(hint.text, "Combien ça coûte") || !strings.Contains(hint.subject, fmt.Sprintf("#%d", n)) {
		t.Errorf("hint %q does not name the proposal or the line read:\n%s", hint.subject, hint.text)
	}
	s := d.show(t, n)
	if len(s.Objections) != 0 || len(s.Supports) != 0 || s.Unpositioned != 1 {
		t.Errorf("after the question: objections %+v, supports %+v, unpositioned %d; want none, none, 1",
			s.Objections, s.Supports, s.Unpositioned)
	}
	for _, tag := range []string{"RAPPEL", "ADOPTÉE"} {
		subj := fmt.Sprintf("[%s #%d]", tag, n)
		for _, m := range d.waitAll(t, subj, decSubject(subj)) {
			decCheckNotice(t, m, c[dave].header("Message-Id"))
			if !strings.Contains(decFlat(m.text), "1 réponse sans position") {
				t.Errorf("%s to %s does not say \"1 réponse sans position\":\n%s", subj, m.box, m.text)
			}
		}
	}
	d.onlyTo(t, dave, "hints", decSubject("n'a pas été comptée"))
	d.p.stop()
}

// 3. A deadline line that cannot be read is told to everybody and, in
// private, to the author; "vendredi 18h" is read in Europe/Paris.
func TestDecideDeadlineNotUnderstood(t *testing.T) {
	t.Parallel()
	d := newDecRig(t, decSetup{deadline: "1h", min: "1s", remind: "0s"})
	paris := decParis(t)
	alice := decAlice.Address
	line := "Échéance : à la saint-glinglin"
	c1, n1 := d.propose(t, decAlice, "Nettoyage des allées", "Grand nettoyage des allées.\n"+line+"\n")
	for _, m := range c1 {
		if !strings.Contains(strings.ToLower(decFlat(m.text)), "échéance non comprise") {
			t.Errorf("%s's copy of #%d does not say \"échéance non comprise\":\n%s", m.box, n1, m.text)
		}
	}
	unread := decSubject(fmt.Sprintf("#%d : échéance non comprise", n1))
	told := d.waitMail(t, alice, "private word on the unread deadline", unread)
	if !strings.Contains(told.text, "> "+line) || !strings.Contains(told.header("To"), alice) {
		t.Errorf("the author's private mail (To %q) does not quote %q:\n%s", told.header("To"), line, told.text)
	}
	s := d.show(t, n1)
	header, err := time.Parse(time.RFC3339, c1[alice].header("X-Tacit-Deadline"))
	if got := s.Deadline.Sub(s.Opened); got < time.Hour-time.Second || got > time.Hour+time.Second ||
		err != nil || !header.Equal(s.Deadline.Truncate(time.Second)) || !strings.Contains(s.DeadlineUnread, "saint-glinglin") {
		t.Errorf("proposal show #%d: opened %s, deadline %s (%s later, want the default 1h), deadline_unread %q; "+
			"X-Tacit-Deadline %q", n1, s.Opened, s.Deadline, got, s.DeadlineUnread, c1[alice].header("X-Tacit-Deadline"))
	}

	sent := time.Now()
	c2, n2 := d.propose(t, decAlice, "Réunion de rentrée", "Préparer la rentrée ensemble.\nÉchéance : vendredi 18h\n")
	raw := c2[decCarol.Address].header("X-Tacit-Deadline")
	dl, err := time.Parse(time.RFC3339, raw)
	_, wantOff := dl.In(paris).Zone()
	_, off := dl.Zone()
	if lp := dl.In(paris); err != nil || lp.Weekday() != time.Friday || lp.Hour() != 18 || lp.Minute() != 0 ||
		lp.Second() != 0 || off != wantOff || !dl.After(sent) || dl.After(sent.Add(8*24*time.Hour)) {
		t.Errorf("\"Échéance : vendredi 18h\" sent %s: X-Tacit-Deadline %q, want the next Friday 18:00 in Europe/Paris",
			sent.In(paris).Format(time.RFC3339), raw)
	}
	t.Logf("\"vendredi 18h\" sent on %s: X-Tacit-Deadline %s", sent.In(paris).Format("Monday 2006-01-02 15:04 -07:00"), raw)
	if s := d.show(t, n2); !s.Deadline.Equal(dl) || s.DeadlineUnread != "" {
		t.Errorf("proposal show #%d: deadline %s, deadline_unread %q; want %s", n2, s.Deadline, s.DeadlineUnread, raw)
	}
	for _, m := range c2 {
		if strings.Contains(strings.ToLower(m.text), "non comprise") {
			t.Errorf("%s's copy of #%d says the deadline was not understood:\n%s", m.box, n2, m.text)
		}
	}
	if n := d.count(t, alice, decSubject("échéance non comprise")); n != 1 {
		t.Errorf("the author got %d private mails about unread deadlines, want 1 (for #%d)", n, n1)
	}
	d.onlyTo(t, alice, "private mails about the author's deadline", decSubject("échéance non comprise"))
	d.p.stop()
}

// 4. An amendment is announced to every member with its new text and
// deadline, and stands alone for the proposal in Proposals/Open.
func TestDecideAmendmentAnnounced(t *testing.T) {
	t.Parallel()
	d := newDecRig(t, decSetup{deadline: "1h", min: "1s", remind: "0s", imap: true})
	paris := decParis(t)
	c, n := d.propose(t, decAlice, "Composteur", "Acheter un composteur en plastique.\n")
	before := d.show(t, n)
	newText := "Acheter deux composteurs en bois, fabriqués sur place."
	sent := time.Now()
	id := d.reply(t, "amendment", c[decAlice.Address], decAlice, gmailFR, "AMENDEMENT\n"+newText+"\nÉchéance : 5 jours")

	amended := d.waitAll(t, fmt.Sprintf("[AMENDÉE #%d]", n), decSubject(fmt.Sprintf("[AMENDÉE #%d] Composteur", n)))
	s := d.show(t, n)
	if len(s.Versions) != 2 || !strings.Contains(s.Versions[1].Text, newText) || strings.Contains(s.Versions[1].Text, "AMENDEMENT") {
		t.Fatalf("proposal show #%d: versions %+v; want 2, the second with the new text", n, s.Versions)
	}
	if want := s.Versions[1].At.Add(5 * 24 * time.Hour); s.Deadline.Sub(want).Abs() > time.Minute ||
		!s.Deadline.Equal(s.Versions[1].Deadline) || s.Deadline.Before(sent.Add(119*time.Hour)) || s.Deadline.Equal(before.Deadline) {
		t.Errorf("proposal show #%d: deadline %s (was %s), version 2 at %s with deadline %s; want 5 days after the amendment",
			n, s.Deadline, before.Deadline, s.Versions[1].At, s.Versions[1].Deadline)
	}
	words := decFrenchDate(s.Deadline.In(paris))
	for _, m := range amended {
		decCheckNotice(t, m, c[decAlice.Address].header("Message-Id"))
		if txt := decFlat(m.text); !strings.Contains(txt, newText) || !strings.Contains(txt, words) {
			t.Errorf("[AMENDÉE #%d] to %s lacks the new text %q or the new deadline %q:\n%s", n, m.box, newText, words, m.text)
		}
	}

	// Over IMAP, a member's Proposals/Open holds the amended version only.
	pass := strings.TrimSpace(d.in.mustCLI("member", "passwd", "jardin", decBob.Address))
	cl, err := imapclient.DialInsecure(d.imapAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Login(decBob.Address, pass).Wait(); err != nil {
		t.Fatalf("IMAP login of %s: %v", decBob.Address, err)
	}
	var open []*gotMail
	var why string
	ok := waitFor(replyWait, func() bool {
		open, why = nil, ""
		sd, err := cl.Select("jardin/Proposals/Open", &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			why = err.Error()
			return false
		}
		if sd.NumMessages == 0 {
			return false
		}
		var set imap.SeqSet
		set.AddRange(1, sd.NumMessages)
		section := &imap.FetchItemBodySection{Peek: true}
		bufs, err := cl.Fetch(set, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			why = err.Error()
			return false
		}
		for _, b := range bufs {
			m, err := parseGot("imap", fmt.Sprint(b.SeqNum), b.FindBodySection(section))
			if err != nil {
				why = err.Error()
				return false
			}
			open = append(open, m)
		}
		return len(open) == 1 && strings.Contains(decFlat(open[0].text), newText)
	})
	if !ok {
		var got []string
		for _, m := range open {
			got = append(got, fmt.Sprintf("%q (Message-ID %s)", m.subject, m.header("Message-Id")))
		}
		t.Errorf("jardin/Proposals/Open holds %v (%s); want exactly the [AMENDÉE #%d] notice, with the new text", got, why, n)
	} else if open[0].header("Message-Id") == c[decAlice.Address].header("Message-Id") || open[0].header("Message-Id") == id {
		t.Errorf("jardin/Proposals/Open holds %q, not the amended version", open[0].subject)
	}
	_ = cl.Logout().Wait()
	d.p.stop()
}

// metric returns the value of a Prometheus sample, "" when absent.
func (d *decRig) metric(t *testing.T, name string) string {
	t.Helper()
	return metricAt(t, d.httpAddr, name)
}

// metricAt returns the value of a Prometheus sample of the tacit whose
// HTTP listens on addr, "" when absent.
func metricAt(t *testing.T, addr, name string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return v
		}
	}
	return ""
}

// 5. The same message reaching the list twice (a reply-all with the list
// in Cc, then sent to it directly) is distributed and counted once.
func TestDecideReplayCountedOnce(t *testing.T) {
	t.Parallel()
	d := newDecRig(t, decSetup{deadline: "1h", min: "1s", remind: "0s", http: true})
	bob := decBob.Address
	c, n := d.propose(t, decAlice, "Nouveau portail", "Remplacer le portail de l'entrée.\n")
	orig := c[bob]
	list, err := replyAddress(orig.msg)
	if err != nil {
		t.Fatal(err)
	}
	id := thunderbirdFR.msgID()
	own := "OBJECTION : trop cher pour cette année"
	// Thunderbird's reply-all: To the author, Cc the list (its Reply-To).
	first := decComposeReply(orig, decBob, thunderbirdFR, own, id, []*mail.Address{origSender(orig)}, list)
	again := decComposeReply(orig, decBob, thunderbirdFR, own, id, list, nil)
	if err := sendMail(d.in.smtpAddr, bob, []string{list[0].Address}, first, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	isReply := func(m *gotMail) bool { return m.header("Message-Id") == id }
	d.waitAll(t, "the reply-all", isReply)
	d.waitMail(t, bob, "acknowledgment of the objection", decSubject(fmt.Sprintf("#%d : objection enregistrée", n)))
	if err := sendMail(d.in.smtpAddr, bob, []string{list[0].Address}, again, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// Barrier: the list reads its mail in order; once a later post
	// reached everyone, whatever the second copy caused was sent too.
	barrier := d.send(t, decCarol, replyList, "Barrière", "Rien à voir.\n")
	d.waitAll(t, "barrier post", func(m *gotMail) bool { return m.header("Message-Id") == barrier })
	if !waitFor(2*time.Second, func() bool { return d.metric(t, "tacit_replayed_posts_total") == "1" }) {
		t.Errorf("GET /metrics: tacit_replayed_posts_total %q, want 1", d.metric(t, "tacit_replayed_posts_total"))
	}
	for _, m := range decMembers {
		if k := d.count(t, m.Address, isReply); k != 1 {
			t.Errorf("%s has %d copies of %s, want 1", m.Address, k, id)
		}
	}
	if k := d.count(t, bob, decSubject("objection enregistrée")); k != 1 {
		t.Errorf("%s got %d acknowledgments of the objection, want 1", bob, k)
	}
	s := d.show(t, n)
	objects := 0
	for _, e := range s.Events {
		if e.Kind == "object" {
			objects++
		}
	}
	if len(s.Objections) != 1 || objects != 1 || s.Replies != 1 {
		t.Errorf("proposal show #%d: objections %+v, %d object events, %d replies; want 1, 1, 1",
			n, s.Objections, objects, s.Replies)
	}
	d.p.stop()
}

// decExplained is what `tacit explain --json` says, in part.
type decExplained struct {
	Kind     string
	Answers  int
	NoStore  bool `json:"no_store"`
	Commands []string
}

// 6. `tacit explain` threads a reply to its proposal through the running
// server, then through the store; without a store it says so.
func TestDecideExplainReply(t *testing.T) {
	t.Parallel()
	d := newDecRig(t, decSetup{deadline: "1h", min: "1s", remind: "0s"})
	bob := decBob.Address
	c, n := d.propose(t, decAlice, "Deux bancs", "Installer deux bancs près de la mare.\n")

	// Bob saves the proposal from his mailbox and edits it into his reply.
	dir := t.TempDir()
	saved, err := os.ReadFile(filepath.Join(d.in.dir, "outbox", bob, "new", c[bob].file))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := parseGot(bob, "saved.eml", saved)
	if err != nil {
		t.Fatal(err)
	}
	to, err := replyAddress(orig.msg)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "reponse.eml")
	reply := decComposeReply(orig, decBob, gmailFR, "Objection : nous n'avons pas la place pour deux bancs.",
		gmailFR.msgID(), to, nil)
	if err := os.WriteFile(file, reply, 0o600); err != nil {
		t.Fatal(err)
	}
	explain := func(when string, args ...string) (decExplained, map[string]any) {
		t.Helper()
		out, errOut, code := runTacit(t, dir, append(args, "explain", file, "--json")...)
		if code != 0 {
			t.Fatalf("%s: tacit explain: exit %d: %s", when, code, errOut)
		}
		var e decExplained
		var all map[string]any
		jsonOut(t, out, &e)
		jsonOut(t, out, &all)
		return e, all
	}
	check := func(when string, e decExplained) {
		t.Helper()
		if e.Kind != "reply" || e.Answers != n || e.NoStore || !reflect.DeepEqual(e.Commands, []string{"object"}) {
			t.Errorf("%s: explain says %+v; want kind reply, answers %d, commands [object]", when, e, n)
		}
	}
	cfg := []string{"--config", d.in.cfgPath}
	online, onlineAll := explain("server running", cfg...)
	check("server running", online)
	if !waitFor(5*time.Second, func() bool { return strings.Contains(d.p.logs.String(), `args="explain `+file) }) {
		t.Errorf("the running server did not log the explain command: it did not go through the admin socket")
	}
	if s := d.show(t, n); len(s.Objections) != 0 || s.Replies != 0 {
		t.Errorf("explain changed the proposal: objections %+v, replies %d", s.Objections, s.Replies)
	}

	d.p.stop()
	offline, offlineAll := explain("server stopped", cfg...)
	check("server stopped", offline)
	if !reflect.DeepEqual(onlineAll, offlineAll) {
		t.Errorf("explain says\n%v\nwith the server running, and\n%v\nwithout it", onlineAll, offlineAll)
	}

	empty := filepath.Join(t.TempDir(), "data")
	noStoreCfg := filepath.Join(dir, "nostore.toml")
	conf := fmt.Sprintf("data_dir = %q\ndomain = \"lists.test\"\nlanguage = \"fr\"\ntimezone = \"Europe/Paris\"\n", empty)
	if err := os.WriteFile(noStoreCfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if e, _ := explain("no store", "--config", noStoreCfg); !e.NoStore || e.Answers != 0 {
		t.Errorf("no store: explain says %+v; want no_store true and no answers", e)
	}
	if _, err := os.Stat(filepath.Join(empty, "tacit.db")); err == nil {
		t.Errorf("explain created a store in %s", empty)
	}
}
