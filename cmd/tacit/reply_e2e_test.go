package main

// End-to-end test of docs/membership.md and docs/delivery.md: every mail of tacit that asks
// one person to answer it (confirmations, held-post notices, help, status
// and password answers) comes From NAME-request@DOMAIN with no Reply-To to
// the list, so that a plain Reply, written the way real mail clients write
// it, reaches NAME-request@DOMAIN and acts, and nothing of it reaches the
// members. The reply path never names the -request address: it answers
// whatever replyAddress reads in the mail, as a client does.

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	replyList    = "jardin@lists.test"
	replyRequest = "jardin-request@lists.test" // only to check what tacit writes, never to address a reply
	replyOwner   = "owner@example.net"
	replyWait    = 10 * time.Second
)

// replyAddress is where a mail client sends a plain Reply to msg: the
// Reply-To addresses when the mail has a Reply-To, else its From.
func replyAddress(msg *mail.Message) ([]*mail.Address, error) {
	field := "From"
	if strings.TrimSpace(msg.Header.Get("Reply-To")) != "" {
		field = "Reply-To"
	}
	addrs, err := msg.Header.AddressList(field)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s: no address", field)
	}
	return addrs, nil
}

// gotMail is one message delivered into the maildir outbox.
type gotMail struct {
	box, file string // recipient directory and file name
	raw       []byte
	msg       *mail.Message // header only: the body is in text
	subject   string        // decoded
	text      string        // the first text/plain part, decoded, LF line ends
}

func (m *gotMail) header(name string) string { return strings.TrimSpace(m.msg.Header.Get(name)) }

// parseGot reads a delivered message.
func parseGot(box, file string, raw []byte) (*gotMail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		return nil, err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	text, err := firstPlainText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), body)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", box, file, err)
	}
	return &gotMail{box: box, file: file, raw: raw, msg: msg, subject: subject,
		text: strings.ReplaceAll(text, "\r\n", "\n")}, nil
}

// firstPlainText returns the first text/plain part of a body, decoded.
func firstPlainText(ctype, cte string, body []byte) (string, error) {
	mt, params, err := mime.ParseMediaType(ctype)
	if ctype == "" || err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return "", nil
			}
			if err != nil {
				return "", err
			}
			b, err := io.ReadAll(p)
			if err != nil {
				return "", err
			}
			t, err := firstPlainText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), b)
			if err != nil || t != "" {
				return t, err
			}
		}
	}
	if mt != "text/plain" {
		return "", nil
	}
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		return string(b), err
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), ""))
		return string(b), err
	}
	return string(body), nil
}

// replyRig is the running server and what the test sent through it.
type replyRig struct {
	in   *instance
	p    *proc
	mu   sync.Mutex
	sent []sentReply
}

// sentReply is one reply a client sent to one of tacit's mails.
type sentReply struct {
	what, from, id string
	to             []string
}

// outbox returns every message delivered to addr so far.
func (r *replyRig) outbox(t *testing.T, addr string) []*gotMail {
	t.Helper()
	dir := filepath.Join(r.in.dir, "outbox", strings.ToLower(addr), "new")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []*gotMail
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m, err := parseGot(addr, e.Name(), raw)
		if err != nil {
			t.Fatalf("unreadable delivered message: %v", err)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].file < out[j].file })
	return out
}

// boxes lists the recipients that have a maildir in the outbox.
func (r *replyRig) boxes(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(r.in.dir, "outbox"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// waitMail waits for a message to addr that match accepts and returns it.
func (r *replyRig) waitMail(t *testing.T, addr, what string, match func(*gotMail) bool) *gotMail {
	t.Helper()
	var found *gotMail
	if !waitFor(replyWait, func() bool {
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
			subjects = append(subjects, fmt.Sprintf("%q (In-Reply-To %s)", m.subject, m.header("In-Reply-To")))
		}
		t.Fatalf("%s: no %s in %s's outbox after %s; it holds %v\nserver logs:\n%s",
			t.Name(), what, addr, replyWait, subjects, r.p.logs.String())
	}
	return found
}

// answerTo waits for tacit's answer to the message whose Message-ID is id.
func (r *replyRig) answerTo(t *testing.T, addr, id, what string) *gotMail {
	t.Helper()
	m := r.waitMail(t, addr, what+" (In-Reply-To "+id+")", func(m *gotMail) bool { return m.header("In-Reply-To") == id })
	checkOnePerson(t, m, what)
	return m
}

// checkOnePerson checks docs/delivery.md on mail that asks one person to
// answer tacit: From NAME-request@DOMAIN, no Reply-To to the list.
func checkOnePerson(t *testing.T, m *gotMail, what string) {
	t.Helper()
	from, err := m.msg.Header.AddressList("From")
	if err != nil || len(from) != 1 || !strings.EqualFold(from[0].Address, replyRequest) {
		t.Errorf("%s (%q to %s): From %q, want %s", what, m.subject, m.box, m.header("From"), replyRequest)
	}
	if rt := m.header("Reply-To"); rt != "" {
		addrs, err := m.msg.Header.AddressList("Reply-To")
		if err != nil {
			t.Errorf("%s (%q to %s): unreadable Reply-To %q: %v", what, m.subject, m.box, rt, err)
		}
		for _, a := range addrs {
			if strings.EqualFold(a.Address, replyList) {
				t.Errorf("%s (%q to %s): Reply-To %q names the list: a plain Reply would go to every member, not to %s",
					what, m.subject, m.box, rt, replyRequest)
			}
		}
	}
	if id := m.header("List-Id"); !strings.Contains(id, "<jardin.lists.test>") {
		t.Errorf("%s (%q to %s): List-Id %q", what, m.subject, m.box, id)
	}
}

// members returns the list's members, as `tacit member ls --json` says.
func (r *replyRig) members(t *testing.T) []string {
	t.Helper()
	out, errOut, code := runTacit(t, r.in.dir, "--config", r.in.cfgPath, "member", "ls", replyList, "--json")
	if code != 0 {
		t.Fatalf("tacit member ls: exit %d: %s", code, errOut)
	}
	var ms []memberJSON
	jsonOut(t, out, &ms)
	return addresses(ms)
}

// held returns the posts held for moderation.
func (r *replyRig) held(t *testing.T) []heldJSON {
	t.Helper()
	out, errOut, code := runTacit(t, r.in.dir, "--config", r.in.cfgPath, "held", "ls", "--json")
	if code != 0 {
		t.Fatalf("tacit held ls: exit %d: %s", code, errOut)
	}
	var h []heldJSON
	jsonOut(t, out, &h)
	return h
}

// send sends a message written by a person (not a reply) and returns its
// Message-ID.
func (r *replyRig) send(t *testing.T, from *mail.Address, to, subject, body string) string {
	t.Helper()
	id := "<" + randomHex(8) + "." + strings.ReplaceAll(from.Address, "@", ".") + "@mail.example>"
	msg := message(from.String(), to, mime.QEncoding.Encode("utf-8", subject), id, body)
	if err := sendMail(r.in.smtpAddr, from.Address, []string{to}, msg, 5*time.Second); err != nil {
		t.Fatalf("sending %q to %s: %v", subject, to, err)
	}
	return id
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// A mailClient writes a plain Reply the way one mail program does.
type mailClient struct {
	name string
	// prefix is put before the original Subject.
	prefix string
	// body returns the plain text of a reply whose own text is own.
	body func(orig *gotMail, replier *mail.Address, own string) string
	// mime is the shape of the message: "alternative" (text/plain and
	// text/html, quoted-printable), "qp" (text/plain, quoted-printable) or
	// "flowed" (text/plain, format=flowed, 8bit).
	mime string
	// msgID returns a Message-ID in the client's style.
	msgID func() string
}

var (
	frDays   = []string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frMonths = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre"}
)

// origDate is the original's Date, as its reader's client sees it.
func origDate(orig *gotMail) time.Time {
	d, err := orig.msg.Header.Date()
	if err != nil {
		return time.Now().UTC()
	}
	return d.UTC()
}

// origSender is the original's From, as a client writes it in an attribution.
func origSender(orig *gotMail) *mail.Address {
	a, err := mail.ParseAddress(orig.msg.Header.Get("From"))
	if err != nil {
		return &mail.Address{Address: orig.header("From")}
	}
	return a
}

// plainAddr writes an address without RFC 2047 words, as clients show it.
func plainAddr(a *mail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return a.Name + " <" + a.Address + ">"
}

// quoteLines quotes text with "> " (">" alone for empty lines).
func quoteLines(text string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if l == "" {
			b.WriteString(">\n")
		} else {
			b.WriteString("> " + l + "\n")
		}
	}
	return b.String()
}

// wrapAttribution breaks a line at spaces before width, as Gmail does with the
// attribution line of a plain-text reply.
func wrapAttribution(line string, width int) string {
	var out []string
	for len([]rune(line)) > width {
		r := []rune(line)
		cut := strings.LastIndex(string(r[:width]), " ")
		if cut <= 0 {
			break
		}
		out = append(out, line[:cut])
		line = line[cut+1:]
	}
	return strings.Join(append(out, line), "\n")
}

// Gmail in French: own text, the attribution (wrapped, a no-break space
// before the colon), a blank line, the original quoted with "> ".
var gmailFR = mailClient{
	name: "Gmail (fr)", prefix: "Re: ", mime: "alternative",
	msgID: func() string { return "<CA" + randomHex(16) + "@mail.gmail.com>" },
	body: func(orig *gotMail, _ *mail.Address, own string) string {
		d := origDate(orig)
		attr := fmt.Sprintf("Le %s. %d %s %d à %s, %s a écrit\u00a0:", frDays[d.Weekday()][:3], d.Day(),
			frMonths[d.Month()-1], d.Year(), d.Format("15:04"), plainAddr(origSender(orig)))
		return own + "\n\n" + wrapAttribution(attr, 76) + "\n\n" + quoteLines(orig.text)
	},
}

// Gmail in English.
var gmailEN = mailClient{
	name: "Gmail (en)", prefix: "Re: ", mime: "alternative",
	msgID: func() string { return "<CA" + randomHex(16) + "@mail.gmail.com>" },
	body: func(orig *gotMail, _ *mail.Address, own string) string {
		d := origDate(orig)
		attr := fmt.Sprintf("On %s, %s %s wrote:", d.Format("Mon, Jan 2, 2006"), d.Format("3:04 PM"), plainAddr(origSender(orig)))
		return own + "\n\n" + wrapAttribution(attr, 76) + "\n\n" + quoteLines(orig.text)
	},
}

// Outlook desktop in French: "RE : ", own text, then the header block
// "De : / Envoyé : / À : / Objet :" and the original, unquoted.
var outlookFR = mailClient{
	name: "Outlook (fr)", prefix: "RE : ", mime: "alternative",
	msgID: func() string {
		return "<PR3P192MB" + strings.ToUpper(randomHex(10)) + "@PR3P192MB0714.EURP192.PROD.OUTLOOK.COM>"
	},
	body: func(orig *gotMail, replier *mail.Address, own string) string {
		d := origDate(orig)
		return own + "\n\n" + fmt.Sprintf("De : %s\nEnvoyé : %s %d %s %d %s\nÀ : %s\nObjet : %s\n\n",
			plainAddr(origSender(orig)), frDays[d.Weekday()], d.Day(), frMonths[d.Month()-1], d.Year(), d.Format("15:04"),
			plainAddr(replier), orig.subject) + orig.text
	},
}

// Outlook desktop in English: "RE: ", From: / Sent: / To: / Subject:.
var outlookEN = mailClient{
	name: "Outlook (en)", prefix: "RE: ", mime: "alternative",
	msgID: func() string {
		return "<DM6PR11MB" + strings.ToUpper(randomHex(10)) + "@DM6PR11MB4257.namprd11.prod.outlook.com>"
	},
	body: func(orig *gotMail, replier *mail.Address, own string) string {
		return own + "\n\n" + fmt.Sprintf("From: %s\nSent: %s\nTo: %s\nSubject: %s\n\n",
			plainAddr(origSender(orig)), origDate(orig).Format("Monday, January 2, 2006 3:04 PM"),
			plainAddr(replier), orig.subject) + orig.text
	},
}

// Apple Mail on an iPhone in French: own text, "Envoyé de mon iPhone",
// then the attribution and the original quoted together, a byte order
// mark at the start of the original.
var iphoneFR = mailClient{
	name: "iPhone (fr)", prefix: "Re: ", mime: "qp",
	msgID: func() string { return "<" + strings.ToUpper(randomHex(16)) + "@icloud.com>" },
	body: func(orig *gotMail, _ *mail.Address, own string) string {
		d := origDate(orig)
		attr := fmt.Sprintf("Le %d %s %d à %s, %s a écrit :", d.Day(), frMonths[d.Month()-1],
			d.Year(), d.Format("15:04"), plainAddr(origSender(orig)))
		return own + "\n\nEnvoyé de mon iPhone\n\n" + quoteLines(attr+"\n\n\ufeff"+orig.text)
	},
}

// Apple Mail on an iPhone in English.
var iphoneEN = mailClient{
	name: "iPhone (en)", prefix: "Re: ", mime: "qp",
	msgID: func() string { return "<" + strings.ToUpper(randomHex(16)) + "@icloud.com>" },
	body: func(orig *gotMail, _ *mail.Address, own string) string {
		d := origDate(orig)
		attr := fmt.Sprintf("On %s, at %s, %s wrote:", d.Format("Jan 2, 2006"), d.Format("15:04"), plainAddr(origSender(orig)))
		return own + "\n\nSent from my iPhone\n\n" + quoteLines(attr+"\n\n\ufeff"+orig.text)
	},
}

// Thunderbird in French, bottom-posted: the attribution, the original
// quoted, then own text and a signature.
var thunderbirdFR = mailClient{
	name: "Thunderbird (fr, bottom-posted)", prefix: "Re: ", mime: "flowed",
	msgID: func() string {
		return "<" + randomHex(4) + "-" + randomHex(2) + "-" + randomHex(2) + "-" + randomHex(2) + "-" + randomHex(6) + "@example.net>"
	},
	body: func(orig *gotMail, replier *mail.Address, own string) string {
		d := origDate(orig)
		name := origSender(orig).Name
		if name == "" {
			name = origSender(orig).Address
		}
		return fmt.Sprintf("Le %s à %s, %s a écrit :\n", d.Format("02/01/2006"), d.Format("15:04"), name) +
			quoteLines(orig.text) + "\n" + own + "\n\n-- \n" + replier.Name + "\n"
	},
}

// reply answers orig from replier with own text, the way c does: to
// replyAddress(orig), Subject prefix, In-Reply-To and References. It
// returns the reply's Message-ID.
func (r *replyRig) reply(t *testing.T, what string, orig *gotMail, replier *mail.Address, c mailClient, own string) string {
	t.Helper()
	to, err := replyAddress(orig.msg)
	if err != nil {
		t.Fatalf("%s: %s cannot reply to %q: %v", what, c.name, orig.subject, err)
	}
	id := c.msgID()
	origID := orig.header("Message-Id")
	refs := strings.Fields(orig.header("References"))
	if origID != "" {
		refs = append(refs, origID)
	}
	var rcpts, toField []string
	for _, a := range to {
		rcpts = append(rcpts, a.Address)
		toField = append(toField, a.String())
	}
	text := strings.ReplaceAll(c.body(orig, replier, own), "\n", "\r\n")
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n",
		replier, strings.Join(toField, ", "), mime.QEncoding.Encode("utf-8", c.prefix+orig.subject),
		time.Now().Format(time.RFC1123Z), id)
	if origID != "" {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\n", origID)
	}
	if len(refs) > 0 {
		fmt.Fprintf(&b, "References: %s\r\n", strings.Join(refs, "\r\n "))
	}
	b.WriteString("MIME-Version: 1.0\r\n")
	switch c.mime {
	case "alternative":
		boundary := "000000000000" + randomHex(8)
		fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary)
		b.Write(qpEncode(text))
		fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary)
		b.Write(qpEncode("<div dir=\"ltr\">" + strings.ReplaceAll(html.EscapeString(text), "\r\n", "<br>\r\n") + "</div>\r\n"))
		fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	case "qp":
		b.WriteString("Content-Type: text/plain;\r\n\tcharset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\nX-Mailer: iPhone Mail (22B91)\r\n\r\n")
		b.Write(qpEncode(text))
	case "flowed":
		b.WriteString("User-Agent: Mozilla Thunderbird\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		b.WriteString(text)
	default:
		t.Fatalf("client %s: unknown shape %q", c.name, c.mime)
	}
	if err := sendMail(r.in.smtpAddr, replier.Address, rcpts, []byte(b.String()), 5*time.Second); err != nil {
		t.Fatalf("%s: %s's reply to %v: %v", what, c.name, rcpts, err)
	}
	r.mu.Lock()
	r.sent = append(r.sent, sentReply{what: what + " (" + c.name + ")", from: replier.Address, id: id, to: rcpts})
	r.mu.Unlock()
	t.Logf("%s: %s replied to %q (From %s, Reply-To %q) → %v", what, c.name, orig.subject,
		plainAddr(origSender(orig)), orig.header("Reply-To"), rcpts)
	return id
}

func qpEncode(text string) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write([]byte(text))
	_ = w.Close()
	return b.Bytes()
}

var heldToken = regexp.MustCompile(`\(([a-z0-9]{16,})\)$`)

// TestPlainRepliesToOnePersonMail answers each mail of tacit that asks one
// person to answer it with a plain Reply from a real client's shape, and
// checks that the Reply acts and reaches nobody else.
func TestPlainRepliesToOnePersonMail(t *testing.T) {
	t.Parallel()
	in := newInstance(t, "maildir", "")
	in.imapAddr = freePort(t) // the password mail names the archive's server and port
	in.writeConfig(in.smtpAddr)
	in.mustCLI("list", "create", "jardin", "--name", "Jardin partagé", "--lang", "fr", "--owner", replyOwner,
		"--from-rewrite", "never")
	addr := func(name, a string) *mail.Address { return &mail.Address{Name: name, Address: a} }
	var (
		alice = addr("Alice Martin", "alice@example.org")
		bob   = addr("Bob Durand", "bob@example.org")
		dave  = addr("David Lefèvre", "dave@example.org")
		erin  = addr("Erin Smith", "erin@example.org")
		frank = addr("Frank Moreau", "frank@example.org")
		zoe   = addr("Zoé Petit", "zoe@example.net")
		eve   = addr("Ève Robert", "eve@example.net")
		owner = addr("Olivier Responsable", replyOwner)
	)
	in.mustCLI("member", "add", "jardin", alice.Address, bob.Address, dave.Address, erin.Address, frank.Address)
	// Members whose membership no case changes: they must get approved
	// posts, and never anything of a reply.
	steady := []string{alice.Address, dave.Address, erin.Address, frank.Address}
	r := &replyRig{in: in, p: in.start()}

	t.Run("cases", func(t *testing.T) {
		// 1. Subscribe by mail; a plain Gmail Reply, no own text, confirms.
		t.Run("subscribe", func(t *testing.T) {
			t.Parallel()
			req := r.send(t, zoe, replyRequest, "", "abonner\n")
			conf := r.answerTo(t, zoe.Address, req, "subscription confirmation")
			if !regexp.MustCompile(`^confirm [a-z0-9]{16,}$`).MatchString(conf.subject) {
				t.Errorf("confirmation Subject %q, want confirm TOKEN", conf.subject)
			}
			if slices.Contains(r.members(t), zoe.Address) {
				t.Fatal("subscribed before confirming")
			}
			id := r.reply(t, "subscribe", conf, zoe, gmailFR, "")
			welcome := r.answerTo(t, zoe.Address, id, "answer to the confirming reply")
			if !strings.Contains(welcome.text, "Bienvenue") {
				t.Errorf("answer to the confirming reply does not welcome:\n%s", welcome.text)
			}
			if !waitFor(replyWait, func() bool { return slices.Contains(r.members(t), zoe.Address) }) {
				t.Errorf("%s is not a member after confirming; members %v", zoe.Address, r.members(t))
			}
		})

		// 2. Unsubscribe; a plain French Outlook Reply ("RE : ") confirms.
		t.Run("unsubscribe", func(t *testing.T) {
			t.Parallel()
			req := r.send(t, bob, replyRequest, "", "désabonner\n")
			conf := r.answerTo(t, bob.Address, req, "unsubscription confirmation")
			if !strings.HasPrefix(conf.subject, "confirm ") {
				t.Errorf("confirmation Subject %q, want confirm TOKEN", conf.subject)
			}
			id := r.reply(t, "unsubscribe", conf, bob, outlookFR, "")
			done := r.answerTo(t, bob.Address, id, "answer to the confirming reply")
			if !strings.Contains(done.text, "désabonné") {
				t.Errorf("answer to the confirming reply:\n%s", done.text)
			}
			if !waitFor(replyWait, func() bool { return !slices.Contains(r.members(t), bob.Address) }) {
				t.Errorf("%s is still a member after confirming; members %v", bob.Address, r.members(t))
			}
		})

		// 3. Held posts: the owner's plain Reply "accepter" (iPhone)
		// distributes; "refuser hors sujet" (Thunderbird, bottom-posted)
		// tells the author why, and distributes nothing.
		t.Run("moderation", func(t *testing.T) {
			t.Parallel()
			notice := func(subject string) *gotMail {
				t.Helper()
				m := r.waitMail(t, owner.Address, "held-post notice for "+subject, func(m *gotMail) bool {
					return strings.Contains(m.subject, "À modérer : "+subject)
				})
				checkOnePerson(t, m, "held-post notice")
				if !heldToken.MatchString(m.subject) {
					t.Errorf("held-post notice Subject %q has no token", m.subject)
				}
				if !strings.Contains(string(m.raw), "message/rfc822") {
					t.Errorf("held-post notice %q has no post attached", m.subject)
				}
				return m
			}
			authorTold := func(what, subject string) *gotMail {
				t.Helper()
				m := r.waitMail(t, eve.Address, what, func(m *gotMail) bool { return strings.Contains(m.subject, subject) })
				checkOnePerson(t, m, what)
				return m
			}

			post := r.send(t, eve, replyList, "Vends vélo", "Vélo de course, 150 €.\n")
			n := notice("Vends vélo")
			authorTold("notice that the post waits", "attend une modération")
			id := r.reply(t, "approve", n, owner, iphoneFR, "accepter")
			ans := r.answerTo(t, owner.Address, id, "answer to the owner's accepter")
			if !strings.Contains(ans.text, "est accepté") {
				t.Errorf("answer to the owner's accepter:\n%s", ans.text)
			}
			for _, m := range steady {
				r.waitMail(t, m, "approved post "+post, func(g *gotMail) bool { return g.header("Message-Id") == post })
			}
			authorTold("approval notice", "a été accepté")
			for _, h := range r.held(t) {
				if h.From == owner.Address {
					t.Errorf("the owner's reply is held for moderation: %+v", h)
				}
			}

			post = r.send(t, eve, replyList, "Pub casino", "Gagnez gros !\n")
			n = notice("Pub casino")
			id = r.reply(t, "reject", n, owner, thunderbirdFR, "refuser hors sujet")
			ans = r.answerTo(t, owner.Address, id, "answer to the owner's refuser")
			if !strings.Contains(ans.text, "est refusé") {
				t.Errorf("answer to the owner's refuser:\n%s", ans.text)
			}
			rej := authorTold("rejection notice", "a été refusé")
			if !strings.Contains(rej.text, "hors sujet") {
				t.Errorf("the rejection notice lacks the reason \"hors sujet\":\n%s", rej.text)
			}
			r.mu.Lock()
			r.sent = append(r.sent, sentReply{what: "rejected post", from: eve.Address, id: post, to: []string{replyList}})
			r.mu.Unlock()
		})

		// 4. help → a plain Outlook Reply (the help text unquoted below
		// the header block) with "désabonner" → a confirmation request.
		t.Run("help", func(t *testing.T) {
			t.Parallel()
			req := r.send(t, dave, replyRequest, "aide", "")
			help := r.answerTo(t, dave.Address, req, "help answer")
			if !strings.Contains(help.text, "comprend ces commandes") {
				t.Errorf("help answer:\n%s", help.text)
			}
			id := r.reply(t, "help", help, dave, outlookEN, "désabonner")
			conf := r.answerTo(t, dave.Address, id, "answer to désabonner")
			if !strings.HasPrefix(conf.subject, "confirm ") || !strings.Contains(conf.text, "désabonner") {
				t.Errorf("désabonner in a reply to the help answer: Subject %q, want confirm TOKEN:\n%s", conf.subject, conf.text)
			}
			// The help text below the header block is not read as commands.
			for _, not := range []string{"mot de passe pour lire les archives", "déjà abonné", "aucune proposition"} {
				if strings.Contains(conf.text, not) {
					t.Errorf("the answer to désabonner says %q: the quoted help text was read as commands:\n%s", not, conf.text)
				}
			}
		})

		// 5. status → a plain Gmail Reply with "aide" → the help answer.
		t.Run("status", func(t *testing.T) {
			t.Parallel()
			req := r.send(t, erin, replyRequest, "", "état\n")
			status := r.answerTo(t, erin.Address, req, "status answer")
			if !strings.Contains(status.text, "aucune proposition") {
				t.Errorf("status answer:\n%s", status.text)
			}
			id := r.reply(t, "status", status, erin, gmailEN, "aide")
			help := r.answerTo(t, erin.Address, id, "answer to aide")
			if !strings.Contains(help.text, "comprend ces commandes") || strings.Contains(help.text, "Aucune commande reconnue") {
				t.Errorf("aide in a reply to the status answer did not get the help text:\n%s", help.text)
			}
		})

		// 6. password → its confirmation question → a plain iPhone Reply
		// confirms → the password mail, which names the IMAP server →
		// a plain Reply to it reaches NAME-request, which answers it.
		t.Run("password", func(t *testing.T) {
			t.Parallel()
			req := r.send(t, frank, replyRequest, "", "mot de passe\n")
			ask := r.answerTo(t, frank.Address, req, "password confirmation question")
			if !strings.HasPrefix(ask.subject, "confirm ") ||
				regexp.MustCompile(`[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}`).MatchString(ask.text) {
				t.Errorf("a password was sent before any confirmation: Subject %q\n%s", ask.subject, ask.text)
			}
			yes := r.reply(t, "password confirmation", ask, frank, iphoneEN, "")
			pw := r.answerTo(t, frank.Address, yes, "password mail")
			if !regexp.MustCompile(`[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}`).MatchString(pw.text) ||
				!strings.Contains(pw.text, "serveur IMAP") {
				t.Errorf("password mail has no password or no server:\n%s", pw.text)
			}
			id := r.reply(t, "password", pw, frank, iphoneEN, "Merci !")
			r.answerTo(t, frank.Address, id, "answer to the thanks")
		})
	})

	// Barrier: a member's post goes out after every reply was read; once
	// every member has it, whatever the replies would have sent to the
	// members has been sent too.
	members := r.members(t)
	if !slices.Contains(members, zoe.Address) || slices.Contains(members, bob.Address) {
		t.Errorf("members at the end %v: want %s in and %s out", members, zoe.Address, bob.Address)
	}
	barrier := r.send(t, alice, replyList, "Barrière", "Fin du test.\n")
	for _, m := range members {
		r.waitMail(t, m, "barrier post", func(g *gotMail) bool { return g.header("Message-Id") == barrier })
	}
	if h := r.held(t); len(h) != 0 {
		t.Errorf("posts still held at the end (a reply that went to the list?): %+v", h)
	}
	// Nothing of a reply (nor the rejected post) reaches anybody but its
	// writer; its writer gets no copy of it.
	r.mu.Lock()
	sent := slices.Clone(r.sent)
	r.mu.Unlock()
	for _, box := range r.boxes(t) {
		for _, m := range r.outbox(t, box) {
			for _, s := range sent {
				switch {
				case m.header("Message-Id") == s.id:
					t.Errorf("%s: %s (sent to %v) was delivered to %s: %q", s.what, s.id, s.to, box, m.subject)
				case box != s.from && !(box == replyOwner && s.from == eve.Address) && bytes.Contains(m.raw, []byte(s.id)):
					t.Errorf("%s: mail to %s (%q) carries %s", s.what, box, m.subject, s.id)
				}
			}
			if box != eve.Address && box != replyOwner && strings.Contains(m.subject, "Pub casino") {
				t.Errorf("%s got %q: the rejected post or word of it reached a member", box, m.subject)
			}
		}
	}
	if t.Failed() {
		t.Logf("server logs:\n%s", r.p.logs.String())
	}
	r.p.stop()
}
