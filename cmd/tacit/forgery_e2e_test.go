package main

// End-to-end test of docs/security.md ("Only the member speaks for the
// member"), played as attackers and members would, with real
// cryptography and a real MTA: the senders' providers sign with keys the
// test generates (RSA for example.org, Ed25519 for the attacker's
// evil.example); a private Postfix receives every mail and runs the
// operator's DKIM/DMARC checker as a milter, which writes its verdict in
// an Authentication-Results field at the top of the header; tacit trusts
// that relay (trusted_relays = 127.0.0.1/32, authserv_id the milter's)
// and nobody else. A stranger forges members' From in every way the
// section names; each forgery must change no decision, while the members'
// own mail counts: signed at once, unsigned after a plain reply to the
// confirmation question. Nothing here sleeps: every step waits on what a
// member would see, or on the deadline it is about.

import (
	"bytes"
	"fmt"
	"mime"
	"net/mail"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/authres"
)

const (
	fgAuthservID = "mx.lists.test" // the milter's authserv-id
	// fgDeadline is how long after the proposals their deadline falls:
	// every forgery and every genuine command is received before it.
	fgDeadline = 6 * time.Second
	// fgWindow is confirm_window: a command waiting for its confirmation
	// holds its proposal's decision this long after its receipt. Carol
	// objects early and confirms after the deadline, within the window.
	fgWindow = 10 * time.Second
)

var (
	fgMallory   = &mail.Address{Name: "Mallory", Address: "mallory@evil.example"}
	fgConfirmRe = regexp.MustCompile(`^confirm [A-Za-z0-9]{16,}$`)
)

// fgRig is tacit behind the operator's Postfix and its milter.
type fgRig struct {
	*replyRig
	mta     *postfixMTA
	milter  *testMilter
	orgKey  *dkimKey // example.org's provider (alice and bob)
	evilKey *dkimKey // the attacker's own domain
}

// writeConfig writes tacit's configuration on a new free port: the
// milter's Postfix (127.0.0.1) is the one trusted relay.
func (r *fgRig) writeConfig() {
	in := r.in
	in.smtpAddr = freePort(in.t)
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\ndomain = \"lists.test\"\nlanguage = \"fr\"\ntimezone = \"Europe/Paris\"\n\n", in.dir)
	fmt.Fprintf(&b, "[smtp]\nlisten = %q\nhostname = \"lists.test\"\ntrusted_relays = \"127.0.0.1/32\"\nauthserv_id = %q\n\n",
		in.smtpAddr, fgAuthservID)
	b.WriteString("[imap]\nlisten = \"\"\n\n[http]\nlisten = \"\"\n\n")
	b.WriteString("[delivery]\nmode = \"maildir\"\nmax_replies_per_hour = 100\nmax_posts_per_hour = 1000\n\n")
	// authentication is not set: the default, "dkim-or-confirm".
	fmt.Fprintf(&b, "[consensus]\ndefault_deadline = \"1h\"\nmin_deadline = \"1s\"\nremind_before = \"0s\"\n"+
		"schedule = \"@every 1s\"\nconfirm_window = %q\n", fgWindow.String())
	if err := os.WriteFile(in.cfgPath, []byte(b.String()), 0o600); err != nil {
		in.t.Fatal(err)
	}
}

// start runs `tacit serve`, on new ports when another test took one.
func (r *fgRig) start(t *testing.T) {
	t.Helper()
	r.writeConfig()
	r.p = serveRetrying(t, r.in, r.writeConfig)
}

// viaPostfix sends raw into the operator's Postfix, envelope sender from.
func (r *fgRig) viaPostfix(t *testing.T, what, from string, to []string, raw []byte) {
	t.Helper()
	if err := sendRaw(r.mta.addr, from, to, raw, 10*time.Second); err != nil {
		t.Fatalf("%s: Postfix did not take it: %v\nmilter:\n%s", what, err, r.milter.report())
	}
}

// fgMsgID is a Message-ID as the sender's provider writes it.
func fgMsgID(from *mail.Address) string {
	_, d, _ := strings.Cut(from.Address, "@")
	return "<" + randomHex(10) + "@mail." + d + ">"
}

// fgProp is one of alice's proposals.
type fgProp struct {
	title, id string
	n         int
	copies    map[string]*gotMail // by member
}

// fgReply writes replier's reply to orig (a member's copy of it), own text
// first, To where a client sends it; it returns the Message-ID and the
// message, unsigned.
func fgReply(t *testing.T, orig *gotMail, replier *mail.Address, own string) (string, []byte) {
	t.Helper()
	to, err := replyAddress(orig.msg)
	if err != nil {
		t.Fatal(err)
	}
	id := fgMsgID(replier)
	return id, decComposeReply(orig, replier, gmailFR, own, id, to, nil)
}

// fgShown is what `tacit proposal show --json` says, in part.
type fgShown struct {
	Number     int
	Title      string
	Status     string
	Deadline   time.Time
	Objections []struct {
		Member string
		At     time.Time
	}
	Versions []struct{ Text string }
	Awaiting []struct {
		Member string
		Until  time.Time
	}
}

func (r *fgRig) show(t *testing.T, n int) fgShown {
	t.Helper()
	var s fgShown
	jsonOut(t, r.in.mustCLI("proposal", "show", fmt.Sprintf("jardin#%d", n), "--json"), &s)
	return s
}

func (s fgShown) objectors() []string {
	var out []string
	for _, o := range s.Objections {
		out = append(out, o.Member)
	}
	return out
}

// waitLong is waitMail with its own timeout, for decisions that wait.
func (r *fgRig) waitLong(t *testing.T, addr, what string, timeout time.Duration, match func(*gotMail) bool) *gotMail {
	t.Helper()
	var found *gotMail
	if !waitFor(timeout, func() bool {
		for _, m := range r.outbox(t, addr) {
			if match(m) {
				found = m
				return true
			}
		}
		return false
	}) {
		var subjects []string
		for _, m := range r.outbox(t, addr) {
			subjects = append(subjects, fmt.Sprintf("%q", m.subject))
		}
		t.Fatalf("no %s in %s's outbox after %s; it holds %v\nmilter:\n%s\nserver logs:\n%s",
			what, addr, timeout, subjects, r.milter.report(), r.p.logs.String())
	}
	return found
}

// countIn is how many messages to addr match accepts.
func (r *fgRig) countIn(t *testing.T, addr string, match func(*gotMail) bool) int {
	t.Helper()
	n := 0
	for _, m := range r.outbox(t, addr) {
		if match(m) {
			n++
		}
	}
	return n
}

// fgAnswers matches tacit's mails in reply to the message id.
func fgAnswers(id string) func(*gotMail) bool {
	return func(m *gotMail) bool { return strings.Trim(m.header("In-Reply-To"), "<>") == strings.Trim(id, "<>") }
}

// fgQuestion matches the confirmation question about the message id.
func fgQuestion(id string) func(*gotMail) bool {
	answers := fgAnswers(id)
	return func(m *gotMail) bool { return strings.HasPrefix(m.subject, "confirm ") && answers(m) }
}

// checkQuestion checks a confirmation question (docs/membership.md and docs/security.md):
// to the address the From names and no one else, from NAME-request,
// Subject "confirm TOKEN", so that a plain reply answers it.
func checkQuestion(t *testing.T, q *gotMail, to, what string) {
	t.Helper()
	checkOnePerson(t, q, what)
	if !fgConfirmRe.MatchString(q.subject) {
		t.Errorf("%s: Subject %q, want \"confirm TOKEN\"", what, q.subject)
	}
	if rcpt := q.header("To"); !strings.Contains(rcpt, to) || strings.Contains(rcpt, ",") {
		t.Errorf("%s: To %q, want %s alone", what, rcpt, to)
	}
}

// checkVerdict checks what the milter wrote for the message id: the
// premise of a case (a replay whose signature still verifies, a signature
// of another domain…), without which the case would prove nothing.
func (r *fgRig) checkVerdict(t *testing.T, what, id string, dkim string, dmarc authres.ResultValue) {
	t.Helper()
	v, ok := r.milter.verdict(id)
	if !ok {
		t.Errorf("%s: the milter saw no message %s\nmilter:\n%s", what, id, r.milter.report())
		return
	}
	if !strings.Contains(strings.Join(v.DKIM, "; "), dkim) || v.DMARC != dmarc {
		t.Errorf("%s: the milter found dkim %v, dmarc=%s; want %q and dmarc=%s", what, v.DKIM, v.DMARC, dkim, dmarc)
	}
}

// TestForgeryThroughPostfix forges members' mail in every way docs/security.md
// guards against, through a real Postfix and its DKIM/DMARC milter
// (and once straight to tacit), and checks that no forgery changes a
// decision while the members' own signed and unsigned mail counts.
func TestForgeryThroughPostfix(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(postfixCmd); err != nil {
		t.Skipf("Postfix is not installed (%v); .ci/run installs the Debian package postfix", err)
	}
	if os.Geteuid() != 0 {
		t.Skipf("a private Postfix instance needs root (Postfix wants a root-owned configuration and runs its daemons as mail_owner); run as root, as .ci/run does")
	}
	begin := time.Now()
	alice, bob, carol, dave := decAlice.Address, decBob.Address, decCarol.Address, decDave.Address

	r := &fgRig{replyRig: &replyRig{in: newInstance(t, "maildir", "")}}
	r.orgKey = newRSAKey(t, "example.org", "mail2026")
	r.evilKey = newEd25519Key(t, "evil.example", "s1")
	r.milter = startTestMilter(t, fgAuthservID, r.orgKey, r.evilKey)
	r.writeConfig()
	r.in.mustCLI("list", "create", "jardin", "--name", "Jardin partagé", "--lang", "fr", "--from-rewrite", "never")
	r.in.mustCLI("member", "add", "jardin", alice, bob, carol, dave)
	r.start(t)
	r.mta = startMilterPostfix(t, []postfixRoute{{domain: "lists.test", addr: r.in.smtpAddr}}, r.milter.addr)
	t.Logf("tacit on %s behind Postfix on %s and its milter on %s; ready in %s", r.in.smtpAddr, r.mta.addr,
		r.milter.addr, time.Since(begin).Round(time.Millisecond))

	// Alice's provider signs her proposals: they open at once. One per
	// case, all with the same deadline.
	deadline := time.Now().Add(fgDeadline).Truncate(time.Second)
	titles := map[string]string{
		"a": "Tondeuse partagée", "b": "Récupérateur d'eau", "c": "Haie de noisetiers", "e": "Nichoirs",
		"f": "Paillage des allées", "g": "Serre en bois", "h": "Composteur collectif",
		"bob": "Grillage neuf", "carol": "Ruches sur le toit",
	}
	props := map[string]*fgProp{}
	for c, title := range titles {
		p := &fgProp{title: title, id: fgMsgID(decAlice)}
		raw := message(decAlice.String(), replyList, mime.QEncoding.Encode("utf-8", "[PROPOSITION] "+title), p.id,
			"Je propose : "+strings.ToLower(title)+".\nÉchéance : "+deadline.Format(time.RFC3339)+"\n")
		r.viaPostfix(t, "proposal "+title, alice, []string{replyList}, r.orgKey.sign(t, raw))
		props[c] = p
	}
	for _, p := range props {
		p.copies = map[string]*gotMail{}
		for _, m := range decMembers {
			p.copies[m.Address] = r.waitMail(t, m.Address, "proposal "+p.title, func(g *gotMail) bool { return g.header("Message-Id") == p.id })
		}
		n, err := strconv.Atoi(strings.TrimPrefix(p.copies[bob].header("X-Tacit-Proposal"), "jardin#"))
		if err != nil {
			t.Fatalf("proposal %q: X-Tacit-Proposal %q", p.title, p.copies[bob].header("X-Tacit-Proposal"))
		}
		p.n = n
		if dl, err := time.Parse(time.RFC3339, p.copies[bob].header("X-Tacit-Deadline")); err != nil || !dl.Equal(deadline) {
			t.Fatalf("proposal %q: X-Tacit-Deadline %q, want %s", p.title, p.copies[bob].header("X-Tacit-Deadline"),
				deadline.Format(time.RFC3339))
		}
		r.checkVerdict(t, "alice's proposal "+p.title, p.id, "pass d=example.org", authres.ResultPass)
	}
	t.Logf("9 signed proposals open, deadline %s (in %s)", deadline.Format(time.TimeOnly), time.Until(deadline).Round(time.Millisecond))

	// Everything up to the deadline: forgeries, and the members' own mail.
	forged := func(what string, raw []byte) {
		t.Helper()
		r.viaPostfix(t, what, fgMallory.Address, []string{replyList}, raw)
	}
	// a. A forged objection in bob's name, unsigned.
	idA, rawA := fgReply(t, props["a"].copies[bob], decBob, "OBJECTION : je refuse cette tondeuse.")
	forged("a. forged objection", rawA)
	// b. Bob objects, signed by his provider; then a stranger lifts bob's
	// objection in his name.
	idB1, rawB1 := fgReply(t, props["b"].copies[bob], decBob, "OBJECTION : pas de récupérateur contre la façade.")
	r.viaPostfix(t, "b. bob's objection", bob, []string{replyList}, r.orgKey.sign(t, rawB1))
	// The same for the control: bob's signed objection, nothing else.
	idBob, rawBob := fgReply(t, props["bob"].copies[bob], decBob, "OBJECTION : le grillage actuel suffit.")
	r.viaPostfix(t, "bob's objection", bob, []string{replyList}, r.orgKey.sign(t, rawBob))
	// c. A forged withdrawal and a forged amendment in the author's name.
	idC1, rawC1 := fgReply(t, props["c"].copies[alice], decAlice, "RETRAIT PROPOSITION")
	forged("c. forged withdrawal", rawC1)
	idC2, rawC2 := fgReply(t, props["c"].copies[alice], decAlice, "AMENDEMENT\nPlanter des thuyas à la place des noisetiers.")
	forged("c. forged amendment", rawC2)
	// d. A forged proposal in dave's name.
	forgedTitle := "Vendre la cabane à outils"
	idD := fgMsgID(decDave)
	forged("d. forged proposal", message(decDave.String(), replyList,
		mime.QEncoding.Encode("utf-8", "[PROPOSITION] "+forgedTitle), idD, "Vendons la cabane, elle ne sert à rien.\n"))
	// e. Bob objects, signed (the replay comes later).
	idE1, rawE1 := fgReply(t, props["e"].copies[bob], decBob, "OBJECTION : les nichoirs attireraient les chats.")
	r.viaPostfix(t, "e. bob's objection", bob, []string{replyList}, r.orgKey.sign(t, rawE1))
	// f. The stranger signs, with a valid signature of their own domain.
	idF, rawF := fgReply(t, props["f"].copies[bob], decBob, "OBJECTION : le paillage coûte trop cher.")
	forged("f. objection signed by evil.example", r.evilKey.sign(t, rawF))
	// g. Through Postfix, with a forged dmarc=pass of our relay's id.
	idG, rawG := fgReply(t, props["g"].copies[bob], decBob, "OBJECTION : une serre, jamais.")
	forgedAR := "Authentication-Results: " + fgAuthservID + "; dkim=pass header.d=example.org; dmarc=pass header.from=example.org\r\n"
	forged("g. forged Authentication-Results through Postfix", append([]byte(forgedAR), rawG...))
	// h. Straight to tacit, from 127.0.0.2, not a trusted relay, with a
	// forged dmarc=pass of our relay's id.
	idH, rawH := fgReply(t, props["h"].copies[bob], decBob, "OBJECTION : le composteur sentira mauvais.")
	if err := sendRawFrom("127.0.0.2", r.in.smtpAddr, fgMallory.Address, []string{replyList},
		append([]byte("Authentication-Results: "+fgAuthservID+"; dmarc=pass header.from=example.org\r\n"), rawH...), 10*time.Second); err != nil {
		t.Fatalf("h. sending from 127.0.0.2 straight to tacit: %v", err)
	}
	// Carol, whose provider does not sign, objects.
	idK, rawK := fgReply(t, props["carol"].copies[carol], decCarol, "OBJECTION : les abeilles font peur aux enfants.")
	r.viaPostfix(t, "carol's objection", carol, []string{replyList}, rawK)

	// Bob's signed objections count at once: acknowledged, no question.
	ackObject := func(n int) func(*gotMail) bool { return decSubject(fmt.Sprintf("#%d : objection enregistrée", n)) }
	ackLift := func(n int) func(*gotMail) bool { return decSubject(fmt.Sprintf("#%d : objection levée", n)) }
	for _, c := range []struct {
		key, id string
	}{{"bob", idBob}, {"b", idB1}, {"e", idE1}} {
		p := props[c.key]
		ack := r.waitMail(t, bob, fmt.Sprintf("acknowledgment of bob's signed objection to #%d", p.n), ackObject(p.n))
		decCheckPrivate(t, ack, "acknowledgment")
		if s := r.show(t, p.n); len(s.Objections) != 1 || s.Objections[0].Member != bob || len(s.Awaiting) != 0 {
			t.Errorf("bob's signed objection to #%d: objections %v, awaiting %+v; want bob's, counted at once", p.n, s.objectors(), s.Awaiting)
		}
		r.checkVerdict(t, "bob's signed objection", c.id, "pass d=example.org", authres.ResultPass)
	}

	// b. The forged lift of bob's objection.
	idB2, rawB2 := fgReply(t, props["b"].copies[bob], decBob, "OBJECTION LEVÉE")
	forged("b. forged lift", rawB2)

	// e. Bob lifts his objection (signed), then objects again (signed);
	// the stranger replays his signed lift under a new Message-ID.
	idE2, rawE2 := fgReply(t, props["e"].copies[bob], decBob, "OBJECTION LEVÉE")
	signedE2 := r.orgKey.sign(t, rawE2)
	r.viaPostfix(t, "e. bob's lift", bob, []string{replyList}, signedE2)
	r.waitMail(t, bob, "acknowledgment of bob's lift", ackLift(props["e"].n))
	idE3, rawE3 := fgReply(t, props["e"].copies[bob], decBob, "OBJECTION : finalement non, à cause des chats.")
	r.viaPostfix(t, "e. bob's new objection", bob, []string{replyList}, r.orgKey.sign(t, rawE3))
	if !waitFor(replyWait, func() bool { return r.countIn(t, bob, ackObject(props["e"].n)) == 2 }) {
		t.Fatalf("e. no acknowledgment of bob's second objection to #%d\nserver logs:\n%s", props["e"].n, r.p.logs.String())
	}
	idE4 := fgMsgID(decBob)
	replay := bytes.Replace(signedE2, []byte("Message-ID: "+idE2+"\r\n"), []byte("Message-ID: "+idE4+"\r\n"), 1)
	if bytes.Equal(replay, signedE2) {
		t.Fatalf("e. the replay still has Message-ID %s", idE2)
	}
	forged("e. replay of bob's signed lift", replay)
	// The replay is a post of the list: once its copy reached dave, tacit
	// has read it.
	r.waitMail(t, dave, "the replayed lift's copy", func(m *gotMail) bool { return m.header("Message-Id") == idE4 })

	// Every forgery is received before the deadline, and each named
	// member, and only they, is asked privately.
	questions := []struct {
		what, id, to string
	}{
		{"a. forged objection", idA, bob}, {"b. forged lift", idB2, bob},
		{"c. forged withdrawal", idC1, alice}, {"c. forged amendment", idC2, alice},
		{"f. objection signed by evil.example", idF, bob},
		{"g. forged Authentication-Results through Postfix", idG, bob},
		{"h. forged Authentication-Results from 127.0.0.2", idH, bob},
		{"carol's unsigned objection", idK, carol},
	}
	asked := map[string]*gotMail{}
	for _, q := range questions {
		m := r.waitMail(t, q.to, "confirmation question about the "+q.what, fgQuestion(q.id))
		checkQuestion(t, m, q.to, "confirmation question about the "+q.what)
		asked[q.id] = m
	}
	qD := r.waitMail(t, dave, "confirmation question about the forged proposal", func(m *gotMail) bool {
		return strings.HasPrefix(m.subject, "confirm ") && strings.Contains(m.text, forgedTitle)
	})
	checkQuestion(t, qD, dave, "confirmation question about the forged proposal")
	if now := time.Now(); !now.Before(deadline) {
		t.Fatalf("the forgeries and objections were read by %s, after the deadline %s: too slow a machine for this "+
			"test's timing (fgDeadline %s)", now.Format(time.StampMilli), deadline.Format(time.StampMilli), fgDeadline)
	}
	t.Logf("every forgery read and every question asked %s before the deadline", time.Until(deadline).Round(time.Millisecond))

	// The premises, as the milter saw them.
	r.checkVerdict(t, "a. forged objection", idA, "none", authres.ResultFail)
	r.checkVerdict(t, "b. forged lift", idB2, "none", authres.ResultFail)
	r.checkVerdict(t, "e. bob's lift", idE2, "pass d=example.org", authres.ResultPass)
	r.checkVerdict(t, "e. bob's new objection", idE3, "pass d=example.org", authres.ResultPass)
	r.checkVerdict(t, "e. replay", idE4, "pass d=example.org", authres.ResultPass)
	r.checkVerdict(t, "f. objection signed by evil.example", idF, "pass d=evil.example", authres.ResultFail)
	r.checkVerdict(t, "g. forged Authentication-Results", idG, "none", authres.ResultFail)
	r.checkVerdict(t, "carol's objection", idK, "none", authres.ResultFail)
	if _, ok := r.milter.verdict(idH); ok {
		t.Errorf("h. went through Postfix; it was meant to reach tacit straight from 127.0.0.2")
	}
	// g. What tacit read: the milter's field above the forged one.
	if g := r.waitMail(t, dave, "the copy of g", func(m *gotMail) bool { return m.header("Message-Id") == idG }); g != nil {
		ars := g.msg.Header["Authentication-Results"]
		switch {
		case len(ars) == 0:
			t.Logf("g. tacit redistributes no Authentication-Results field; the order tacit read is not visible")
		case !strings.HasPrefix(ars[0], fgAuthservID+"; ") || !strings.Contains(ars[0], "dmarc=fail"):
			t.Errorf("g. the first Authentication-Results of the copy is %q, not the milter's dmarc=fail; all: %q", ars[0], ars)
		}
	}

	// Carol confirms after the deadline, within the window. The control
	// proposal (bob's signed objection, nothing waiting) blocked at the
	// deadline shows that a tick after the deadline ran; carol's waited.
	nBob, nK := props["bob"].n, props["carol"].n
	r.waitLong(t, alice, fmt.Sprintf("[BLOQUÉE #%d]", nBob), time.Until(deadline)+replyWait, decSubject(fmt.Sprintf("[BLOQUÉE #%d]", nBob)))
	sK := r.show(t, nK)
	if sK.Status != "open" || len(sK.Awaiting) != 1 || sK.Awaiting[0].Member != carol || !time.Now().After(sK.Deadline) {
		t.Fatalf("carol's #%d after its deadline %s: status %s, awaiting %+v; want open, waiting for carol",
			nK, sK.Deadline.Format(time.StampMilli), sK.Status, sK.Awaiting)
	}
	qK := asked[idK]
	to, err := replyAddress(qK.msg)
	if err != nil || len(to) != 1 || to[0].Address != replyRequest {
		t.Fatalf("a plain Reply to carol's question goes to %v (%v), want %s", to, err, replyRequest)
	}
	idK2 := fgMsgID(decCarol)
	r.viaPostfix(t, "carol's confirmation", carol, []string{to[0].Address},
		decComposeReply(qK, decCarol, gmailFR, "Oui, c'est bien moi.", idK2, to, nil))
	confirmedAt := time.Now()
	blockedK := r.waitMail(t, alice, fmt.Sprintf("[BLOQUÉE #%d]", nK), decSubject(fmt.Sprintf("[BLOQUÉE #%d]", nK)))
	switch txt := decFlat(blockedK.text); {
	case strings.Contains(txt, "de Carol Petit"):
	case strings.Contains(txt, "de "+carol):
		t.Logf("note: [BLOQUÉE #%d] names the objector by her address (%s), not her name (Carol Petit), as it does "+
			"for a command that counted at once", nK, carol)
	default:
		t.Errorf("[BLOQUÉE #%d] does not name the objector Carol Petit:\n%s", nK, blockedK.text)
	}
	if s := r.show(t, nK); len(s.Objections) != 1 || s.Objections[0].Member != carol || !s.Objections[0].At.Before(s.Deadline) {
		t.Errorf("carol's #%d: objections %+v (deadline %s); want carol's, as of its receipt before the deadline", nK, s.Objections, s.Deadline)
	}
	t.Logf("carol confirmed %s after the deadline; #%d blocked by her objection", confirmedAt.Sub(deadline).Round(time.Millisecond), nK)

	// The outcomes: every forgery changed nothing.
	want := map[string]string{"a": "adopted", "b": "blocked", "c": "adopted", "e": "blocked", "f": "adopted",
		"g": "adopted", "h": "adopted", "bob": "blocked", "carol": "blocked"}
	outcome := map[string]string{"adopted": "ADOPTÉE", "blocked": "BLOQUÉE"}
	for c, status := range want {
		p := props[c]
		tag := fmt.Sprintf("[%s #%d]", outcome[status], p.n)
		r.waitLong(t, alice, tag, time.Until(deadline)+fgWindow+replyWait, func(m *gotMail) bool {
			return strings.Contains(m.subject, fmt.Sprintf(" #%d] ", p.n)) && (strings.Contains(m.subject, "[ADOPTÉE") ||
				strings.Contains(m.subject, "[BLOQUÉE") || strings.Contains(m.subject, "[RETIRÉE"))
		})
		s := r.show(t, p.n)
		if s.Status != status {
			t.Errorf("case %s (#%d %s): %s, want %s; objections %v\nserver logs:\n%s", c, p.n, p.title, s.Status, status,
				s.objectors(), r.p.logs.String())
		}
		for _, m := range decMembers {
			for _, other := range []string{"ADOPTÉE", "BLOQUÉE", "RETIRÉE", "AMENDÉE"} {
				if other == outcome[status] {
					continue
				}
				if k := r.countIn(t, m.Address, decSubject(fmt.Sprintf("[%s #%d]", other, p.n))); k > 0 {
					t.Errorf("case %s: %s got %d [%s #%d]", c, m.Address, k, other, p.n)
				}
			}
		}
	}

	// a, f, g, h: no objection counted, bob never acknowledged one.
	for _, c := range []string{"a", "f", "g", "h"} {
		n := props[c].n
		if s := r.show(t, n); len(s.Objections) != 0 {
			t.Errorf("case %s (#%d): objections %v, want none", c, n, s.objectors())
		}
		if k := r.countIn(t, bob, ackObject(n)); k != 0 {
			t.Errorf("case %s: bob got %d acknowledgments of an objection to #%d he never sent", c, k, n)
		}
	}
	// b. Bob's objection stands; no lift was acknowledged.
	if s := r.show(t, props["b"].n); len(s.Objections) != 1 || s.Objections[0].Member != bob {
		t.Errorf("b. #%d: objections %v, want bob's", props["b"].n, s.objectors())
	}
	if k := r.countIn(t, bob, ackLift(props["b"].n)); k != 0 {
		t.Errorf("b. bob got %d acknowledgments of a lift he never sent", k)
	}
	// c. One version, nothing withdrawn or amended, alice told nothing
	// but the two questions.
	if s := r.show(t, props["c"].n); len(s.Versions) != 1 {
		t.Errorf("c. #%d has %d versions, want 1", props["c"].n, len(s.Versions))
	}
	for _, subj := range []string{"proposition retirée", "amendement enregistré"} {
		if k := r.countIn(t, alice, decSubject(fmt.Sprintf("#%d : %s", props["c"].n, subj))); k != 0 {
			t.Errorf("c. alice got %d %q", k, subj)
		}
	}
	// e. The lift counted once: bob's second objection stands.
	if s := r.show(t, props["e"].n); len(s.Objections) != 1 || s.Objections[0].Member != bob {
		t.Errorf("e. #%d: objections %v after the replay (%s, a new Message-ID on bob's signed lift %s); want bob's "+
			"second objection to stand; proposal show:\n%s", props["e"].n, s.objectors(), idE4, idE2,
			r.in.mustCLI("proposal", "show", fmt.Sprintf("jardin#%d", props["e"].n)))
	}
	if k := r.countIn(t, bob, ackLift(props["e"].n)); k != 1 {
		t.Errorf("e. bob got %d acknowledgments of a lift of #%d, want 1 (his own)", k, props["e"].n)
	}
	// d. The forged proposal: held for dave's confirmation, never opened,
	// seen by nobody but dave (his question).
	var ps []fgShown
	jsonOut(t, r.in.mustCLI("proposal", "ls", "--json"), &ps)
	if len(ps) != len(props) {
		t.Errorf("d. %d proposals, want %d (the forged one never opens)", len(ps), len(props))
	}
	for _, p := range ps {
		if strings.Contains(p.Title, forgedTitle) {
			t.Errorf("d. the forged proposal opened as #%d (%s)", p.Number, p.Status)
		}
	}
	held := false
	for _, h := range r.held(t) {
		if strings.Contains(h.Subject, forgedTitle) {
			held = true
			if h.From != dave || !strings.Contains(h.Reason, "confirm") {
				t.Errorf("d. held from %q for %q, want from %s, awaiting the author's confirmation", h.From, h.Reason, dave)
			}
		}
	}
	if !held {
		t.Errorf("d. the forged proposal is not held: %+v", r.held(t))
	}
	for _, box := range r.boxes(t) {
		for _, m := range r.outbox(t, box) {
			if (m.header("Message-Id") == idD || strings.Contains(m.subject+m.text, forgedTitle)) &&
				!(box == dave && m.file == qD.file) {
				t.Errorf("d. %s received %q, which carries the forged proposal", box, m.subject)
			}
		}
	}
	// Nothing ever went to the stranger; every question went to the
	// member named, and to no one else.
	for _, box := range r.boxes(t) {
		if strings.Contains(box, "evil.example") {
			t.Errorf("tacit wrote to %s", box)
		}
	}
	// Bob's and alice's own signed mail was never questioned.
	questioned := map[string][]string{bob: {idA, idB2, idF, idG, idH, idE4}, alice: {idC1, idC2}, carol: {idK}}
	for addr, ids := range questioned {
		for _, m := range r.outbox(t, addr) {
			if !strings.HasPrefix(m.subject, "confirm ") {
				continue
			}
			known := false
			for _, id := range ids {
				known = known || fgAnswers(id)(m)
			}
			if !known {
				t.Errorf("%s got a confirmation question about %s, which is not one of the forgeries %v", addr,
					m.header("In-Reply-To"), ids)
			}
		}
	}
	if k := r.countIn(t, dave, func(g *gotMail) bool { return strings.HasPrefix(g.subject, "confirm ") }); k != 1 {
		t.Errorf("dave got %d confirmation questions, want 1 (the forged proposal)", k)
	}
	r.p.stop()
	t.Logf("milter verdicts:\n%s", r.milter.report())
	t.Logf("%s in all", time.Since(begin).Round(time.Millisecond))
}
