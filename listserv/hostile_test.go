package listserv

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"tacit/internal/smtpsink"
	"tacit/storage"
)

// Hostile posts, sent by a member over SMTP to the running server: each
// gets a clear SMTP answer, the server does not crash, and nothing
// accepted is lost — it is distributed, or held with a reason.

const hostileVictim = "victim@x.test"

// hostileScript holds a raw SMTP conversation with addr, byte for byte
// (bare LF and all), and returns every reply line until the server
// closes. The script should end with QUIT.
func hostileScript(t *testing.T, addr, script string) []string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go c.Write([]byte(script))
	var lines []string
	br := bufio.NewReader(c)
	for {
		l, err := br.ReadString('\n')
		if l != "" {
			lines = append(lines, strings.TrimRight(l, "\r\n"))
		}
		if err != nil {
			return lines
		}
	}
}

// hostileSendRaw sends data as one message over a raw connection, every
// line of the conversation ended by eol, and the data ended by CRLF "."
// CRLF. It returns an error unless the message was queued.
func hostileSendRaw(t *testing.T, addr, from, rcpt, eol, data string) error {
	t.Helper()
	script := "EHLO client.test" + eol + "MAIL FROM:<" + from + ">" + eol + "RCPT TO:<" + rcpt + ">" + eol +
		"DATA" + eol + data + "\r\n.\r\nQUIT\r\n"
	lines := hostileScript(t, addr, script)
	for _, l := range lines {
		if strings.HasPrefix(l, "250 2.0.0 OK: queued") {
			return nil
		}
	}
	return fmt.Errorf("not queued: %q", lines)
}

// hostileOutcome is what became of one post.
type hostileOutcome struct {
	sendErr  error
	archived []storage.ArchiveEntry
	held     []storage.Held
	// copies are the deliveries to each member that carry the marker.
	copies map[string][]smtpsink.Received
}

// hostileSubmit sends one post with send, waits until the server has
// disposed of it and delivered what it distributes, and returns what
// became of it. Posts must be submitted one after the other.
func hostileSubmit(t *testing.T, h *harness, list string, members []string, marker string, send func() error) hostileOutcome {
	t.Helper()
	archBefore, err := h.store.Archive(list)
	if err != nil {
		t.Fatal(err)
	}
	heldBefore, err := h.store.HeldPosts(list)
	if err != nil {
		t.Fatal(err)
	}
	var o hostileOutcome
	o.sendErr = send()
	waitFor(t, func() bool { ids, _ := h.store.Inbox(); return len(ids) == 0 })
	arch, _ := h.store.Archive(list)
	o.archived = arch[len(archBefore):]
	held, _ := h.store.HeldPosts(list)
	for _, hp := range held {
		if !slices.ContainsFunc(heldBefore, func(b storage.Held) bool { return b.ID == hp.ID }) {
			o.held = append(o.held, hp)
		}
	}
	copies := func() map[string][]smtpsink.Received {
		out := map[string][]smtpsink.Received{}
		for _, m := range h.sink.Messages() {
			if !bytes.Contains(m.Data, []byte(marker)) {
				continue
			}
			for _, to := range m.To {
				if slices.Contains(members, to) {
					out[to] = append(out[to], m)
				}
			}
		}
		return out
	}
	if len(o.archived) > 0 {
		waitFor(t, func() bool {
			c := copies()
			for _, m := range members {
				if len(c[m]) == 0 {
					return false
				}
			}
			return true
		})
	}
	o.copies = copies()
	return o
}

// headerLines returns the lines of a message's header block, split at
// CR LF and at a bare LF (which MTAs read as a line end too); with
// bareCR, also at a bare CR (which some do).
func headerLines(raw []byte, bareCR bool) []string {
	hdr := raw
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		hdr = raw[:i]
	}
	return strings.FieldsFunc(string(hdr), func(r rune) bool { return r == '\n' || bareCR && r == '\r' })
}

func countField(lines []string, name string) int {
	n := 0
	for _, l := range lines {
		if k, _, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			n++
		}
	}
	return n
}

func nestedMultipart(depth int, marker string) string {
	var b strings.Builder
	b.WriteString("From: alice@example.org\r\nTo: jardin@lists.test\r\nSubject: nested\r\n" +
		"Message-ID: <" + marker + "@example.org>\r\nMIME-Version: 1.0\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\nau fond " + marker + "\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

func TestHostilePosts(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	members := []string{"alice@example.org", "bob@example.org"}
	h.list("jardin@lists.test", members...)
	// A list that always rewrites From, so that the author's display name
	// is decoded and written again.
	if err := h.store.CreateList(storage.List{Address: "libre@lists.test", Name: "Libre",
		Owners: []string{"owner@example.net"}, FromRewrite: "always"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.AddMembers("libre@lists.test", time.Now(), members...); err != nil {
		t.Fatal(err)
	}
	hdr := func(list, marker, extra string) string {
		return extra + "To: " + list + "\r\nMessage-ID: <" + marker + "@example.org>\r\n"
	}
	manyFields := func(marker string) string {
		var b strings.Builder
		b.WriteString(hdr("jardin@lists.test", marker, "From: alice@example.org\r\nSubject: many fields\r\n"))
		for i := range 10000 {
			fmt.Fprintf(&b, "X-Field-%d: value %d\r\n", i, i)
		}
		b.WriteString("\r\nbody " + marker + "\r\n")
		return b.String()
	}
	type hostileCase struct {
		name string
		list string
		// msg returns the post, carrying marker (in its body or header)
		// so that its copies can be found.
		msg func(marker string) string
		// eol, when set, sends msg over a raw connection whose command
		// lines end with eol (msg's bytes untouched); else net/smtp sends it.
		eol  string
		from string // envelope sender; alice by default
		// want is "distributed" or "held".
		want string
		// injection: no Bcc line may appear, no copy may reach the victim.
		injection bool
	}
	cases := []hostileCase{
		{name: "10000 header fields", want: "distributed", msg: manyFields},
		{name: "1000 nested multiparts", want: "distributed", msg: func(m string) string { return nestedMultipart(1000, m) }},
		{name: "NUL bytes", want: "distributed", msg: func(m string) string {
			return hdr("jardin@lists.test", m, "From: alice@example.org\r\nSubject: nul\x00in the subject\r\nX-Nul: a\x00b\r\n") +
				"\r\nbody\x00with\x00NULs " + m + "\r\n"
		}},
		{name: "bare LF everywhere", want: "distributed", eol: "\n", injection: true, msg: func(m string) string {
			// With an SMTP smuggling attempt: "\n.\n" does not end DATA.
			return "From: alice@example.org\nTo: jardin@lists.test\nSubject: bare LF\nMessage-ID: <" + m + "@example.org>\n\n" +
				"line one " + m + "\n.\nMAIL FROM:<alice@example.org>\nRCPT TO:<" + hostileVictim + ">\nDATA\n" +
				"Subject: smuggled\n\nsmuggled\n.\nlast line\n"
		}},
		{name: "Latin-1 Subject and From", want: "distributed", msg: func(m string) string {
			return hdr("jardin@lists.test", m, "From: Andr\xe9 M\xfcller <alice@example.org>\r\nSubject: \xc9t\xe9 \xe0 la plage\r\n") +
				"\r\nbody " + m + "\r\n"
		}},
		{name: "invalid UTF-8 Subject", want: "distributed", msg: func(m string) string {
			return hdr("jardin@lists.test", m, "From: alice@example.org\r\nSubject: \xff\xfe\xc3\x28 bad \xed\xa0\x80\r\n") +
				"\r\nbody " + m + "\r\n"
		}},
		{name: "From display name with CR LF Bcc", want: "distributed", injection: true, msg: func(m string) string {
			return hdr("jardin@lists.test", m, "From: Alice\r\nBcc: "+hostileVictim+" <alice@example.org>\r\nSubject: crlf from\r\n") +
				"\r\nbody " + m + "\r\n"
		}},
		{name: "From display name with encoded CR LF Bcc", want: "distributed", injection: true, msg: func(m string) string {
			return hdr("jardin@lists.test", m, "From: =?utf-8?q?Alice=0D=0ABcc:_"+hostileVictim+"?= <alice@example.org>\r\nSubject: encoded from\r\n") +
				"\r\nbody " + m + "\r\n"
		}},
		{name: "rewritten From with encoded CR LF Bcc", list: "libre@lists.test", want: "distributed", injection: true, msg: func(m string) string {
			return hdr("libre@lists.test", m, "From: =?utf-8?q?Alice=0D=0ABcc:_"+hostileVictim+"?= <alice@example.org>\r\nSubject: rewritten\r\n") +
				"\r\nbody " + m + "\r\n"
		}},
		{name: "Subject with encoded CR LF Bcc", want: "distributed", injection: true, msg: func(m string) string {
			return hdr("jardin@lists.test", m, "From: alice@example.org\r\nSubject: =?utf-8?q?Bonjour=0D=0ABcc:_"+hostileVictim+"?=\r\n") +
				"\r\nbody " + m + "\r\n"
		}},
		{name: "non-member, Subject with encoded CR LF Bcc", from: "eve@example.com", want: "held", injection: true, msg: func(m string) string {
			return hdr("jardin@lists.test", m, "From: eve@example.com\r\nSubject: =?utf-8?q?Bonjour=0D=0ABcc:_"+hostileVictim+"?=\r\n") +
				"\r\nbody " + m + "\r\n"
		}},
		{name: "no header at all", want: "held", msg: func(m string) string {
			return "no header here, just text " + m + "\r\nand a second line\r\n"
		}},
		{name: "empty header", want: "held", msg: func(m string) string {
			return "\r\nbody only " + m + "\r\n"
		}},
		{name: "only a header", want: "distributed", msg: func(m string) string {
			return hdr("jardin@lists.test", m, "From: alice@example.org\r\nSubject: only a header\r\n")
		}},
	}
	for i, c := range cases {
		marker := fmt.Sprintf("hostile-%02d-marker", i)
		list := c.list
		if list == "" {
			list = "jardin@lists.test"
		}
		from := c.from
		if from == "" {
			from = "alice@example.org"
		}
		msg := c.msg(marker)
		o := hostileSubmit(t, h, list, members, marker, func() error {
			if c.eol != "" {
				return hostileSendRaw(t, h.srv.SMTPAddr(), from, list, c.eol, msg)
			}
			return h.send(from, []string{list}, msg)
		})
		if o.sendErr != nil {
			t.Errorf("%s: not accepted: %v", c.name, o.sendErr)
			continue
		}
		got := ""
		switch {
		case len(o.archived) == 1 && len(o.held) == 0:
			got = "distributed"
			for _, m := range members {
				if len(o.copies[m]) != 1 {
					t.Errorf("%s: %s got %d copies, want 1", c.name, m, len(o.copies[m]))
				}
			}
		case len(o.held) == 1 && len(o.archived) == 0:
			got = "held"
			if o.held[0].Reason == "" {
				t.Errorf("%s: held without a reason", c.name)
			}
			if n := len(o.copies["bob@example.org"]); n != 0 {
				t.Errorf("%s: held, yet distributed %d times", c.name, n)
			}
		default:
			t.Errorf("%s: %d archived, %d held: lost or duplicated", c.name, len(o.archived), len(o.held))
			continue
		}
		if got == "held" {
			t.Logf("%s: held: %s", c.name, o.held[0].Reason)
		}
		if got != c.want {
			t.Errorf("%s: %s (%+v), want %s", c.name, got, o.held, c.want)
		}
		if !c.injection {
			continue
		}
		orig := countField(headerLines([]byte(msg), false), "Bcc")
		for _, cs := range o.copies {
			for _, cp := range cs {
				lines := headerLines(cp.Data, false)
				if n := countField(lines, "Bcc"); n > orig {
					t.Errorf("%s: the distributed copy has %d Bcc lines, the post %d:\n%s", c.name, n, orig, strings.Join(lines, "\n"))
				}
				if n := countField(lines, "Subject"); n != 1 {
					t.Errorf("%s: %d Subject lines", c.name, n)
				}
			}
		}
	}
	// Nothing reached anybody but the members, the owner and eve, and no
	// message the list wrote has a Bcc line of its own.
	waitFor(t, func() bool { st, _ := h.store.QueueStats(); return st.Entries == 0 })
	known := append([]string{"owner@example.net", "eve@example.com"}, members...)
	for _, m := range h.sink.Messages() {
		for _, to := range m.To {
			if !slices.Contains(known, to) {
				t.Errorf("a message reached %s:\n%.500s", to, m.Data)
			}
		}
		if bytes.Contains(m.Data, []byte("Auto-Submitted: auto-generated")) && countField(headerLines(m.Data, false), "Bcc") > 0 {
			t.Errorf("a notice to %v has a Bcc line:\n%s", m.To, strings.Join(headerLines(m.Data, false), "\n"))
		}
	}
}

// A bare CR in the author's From must not be copied into the header
// fields the From rewrite writes: a reader that ends lines at a bare CR
// would see one more Bcc field in the distributed copy than in the post.
func TestHostileBareCRInRewrittenFrom(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	members := []string{"alice@example.org", "bob@example.org"}
	if err := h.store.CreateList(storage.List{Address: "libre@lists.test", Name: "Libre",
		Owners: []string{"owner@example.net"}, FromRewrite: "always"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.AddMembers("libre@lists.test", time.Now(), members...); err != nil {
		t.Fatal(err)
	}
	msg := "From: \"Alice\rBcc: " + hostileVictim + "\" <alice@example.org>\r\nTo: libre@lists.test\r\n" +
		"Subject: bare cr\r\nMessage-ID: <bare-cr@example.org>\r\n\r\nbody bare-cr-marker\r\n"
	o := hostileSubmit(t, h, "libre@lists.test", members, "bare-cr-marker", func() error {
		return h.send("alice@example.org", []string{"libre@lists.test"}, msg)
	})
	if o.sendErr != nil || len(o.copies["bob@example.org"]) != 1 {
		t.Fatalf("not distributed: %v %+v", o.sendErr, o.held)
	}
	orig := countField(headerLines([]byte(msg), true), "Bcc")
	lines := headerLines(o.copies["bob@example.org"][0].Data, true)
	if n := countField(lines, "Bcc"); n > orig {
		t.Errorf("the distributed copy has %d Bcc lines where the post has %d, read by a reader that ends lines at CR:\n%s",
			n, orig, strings.Join(lines, "\n"))
	}
}

// A 2 MB body on a single line, with a 1 MB limit: a clear 552 at DATA,
// and nothing stored.
func TestHostileTwoMegabyteLine(t *testing.T) {
	t.Parallel()
	// A line over the 1 MB line limit: go-smtp answers 552 or 554 and
	// closes the session without reading the rest, so a client still
	// writing may see its connection reset instead of the reply. Either
	// way nothing is stored and the server goes on serving.
	h := start(t, harnessOptions{maxBytes: 512 << 10})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	err := h.send("alice@example.org", []string{"jardin@lists.test"},
		post("alice@example.org", "one line", strings.Repeat("x", 2<<20)+"\r\n"))
	code, msg := smtpReply(err)
	if code != 552 && code != 554 && !strings.Contains(msg, "connection reset") && !strings.Contains(msg, "broken pipe") {
		t.Errorf("a 2 MB line: %d %s, want 552, 554 or a closed connection", code, msg)
	}
	if ids, _ := h.store.Inbox(); len(ids) != 0 {
		t.Errorf("stored: %v", ids)
	}
	h.mustSend("alice@example.org", []string{"jardin@lists.test"}, post("alice@example.org", "after", "ok\r\n"))
	h.sink.WaitCount(t, 2, 10*time.Second)
}

// The same list named twice in one envelope (RCPT TO repeated, or in
// another case) is one post, distributed once.
func TestHostileRepeatedRecipient(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOptions{})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	h.mustSend("alice@example.org", []string{"jardin@lists.test", "jardin@lists.test", "JARDIN@Lists.Test"},
		post("alice@example.org", "twice", "once please\r\n"))
	h.sink.WaitCount(t, 2, 10*time.Second)
	waitFor(t, func() bool { ids, _ := h.store.Inbox(); return len(ids) == 0 })
	h.quiet()
	if got := h.sink.Recipients(); got["bob@example.org"] != 1 {
		t.Errorf("bob got %d copies", got["bob@example.org"])
	}
	if arch, _ := h.store.Archive("jardin@lists.test"); len(arch) != 1 {
		t.Errorf("archived %d times", len(arch))
	}
}

// Proposals with a hostile title and absurd deadlines open with the
// default or the minimum deadline, and their distributed Subject is one
// line.
func TestHostileProposals(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	received := c.Now()
	def, least := received.Add(72*time.Hour), received.Add(24*time.Hour)
	cases := []struct {
		subject, deadline string
		// want are the acceptable deadlines.
		want []time.Time
	}{
		{"=?utf-8?q?[PROPOSITION]_Tondeuse=0D=0ABcc:_" + hostileVictim + "?=", "Échéance : 99999 jours", []time.Time{def}},
		{"[PROPOSITION] =?utf-8?b?" + "RsOpdnJpZXIgDQpCY2M6IHZpY3RpbUB4LnRlc3Q=" + "?=", "Délai : 31/02/2026", []time.Time{def}},
		{"[PROPOSITION] An un", "Échéance : 01/01/0001", []time.Time{least, def}},
		// 0001-01-01T00:00:00Z is time.Time's zero, which means "no
		// deadline asked" to consensus.NewProposal: the default.
		{"[PROPOSITION] An un, RFC 3339", "Deadline: 0001-01-01T00:00:00Z", []time.Time{least, def}},
		{"[PROPOSITION] Zéro", "Échéance : 0 jours", []time.Time{least}},
		{"[PROPOSITION] Tout à 9", "Délai : 99/99/9999 à 99h99", []time.Time{def}},
		{"[PROPOSITION] Négatif", "Deadline: -5 days", []time.Time{def}},
		// A date already passed is a line not understood: the default,
		// and the author is told.
		{"[PROPOSITION] Hier", "Échéance : 29/11/2026", []time.Time{def}},
	}
	for i, tc := range cases {
		n := i + 1
		h.mustSend("alice@example.org", []string{"jardin@lists.test"},
			"From: Alice <alice@example.org>\r\nTo: jardin@lists.test\r\nSubject: "+tc.subject+
				fmt.Sprintf("\r\nMessage-ID: <hostile-prop-%d@example.org>\r\n", n)+
				"Content-Type: text/plain; charset=utf-8\r\n\r\nUne proposition.\r\n"+tc.deadline+"\r\n")
		got := waitMessages(t, h.sink, "bob@example.org", fmt.Sprintf("[PROPOSITION #%d]", n), 1)[0]
		p, err := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: n})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(tc.want, p.Deadline.Equal) {
			t.Errorf("%q: deadline %v, want one of %v", tc.deadline, p.Deadline, tc.want)
		}
		if dl, err := time.Parse(time.RFC3339, got.Header.Get("X-Tacit-Deadline")); err != nil || !dl.Equal(p.Deadline) {
			t.Errorf("%q: X-Tacit-Deadline %q, deadline %v", tc.deadline, got.Header.Get("X-Tacit-Deadline"), p.Deadline)
		}
	}
	h.quiet()
	for _, m := range h.sink.Messages() {
		if slices.Contains(m.To, hostileVictim) {
			t.Errorf("the victim got a message")
		}
		lines := headerLines(m.Data, false)
		if n := countField(lines, "Bcc"); n != 0 {
			t.Errorf("a message to %v has %d Bcc lines", m.To, n)
		}
		// The Subject is one line: no folded continuation.
		raw := string(m.Data[:bytes.Index(m.Data, []byte("\r\n\r\n"))+2])
		i := strings.Index(raw, "\r\nSubject: ")
		if i < 0 {
			t.Errorf("no Subject:\n%s", raw)
			continue
		}
		rest := raw[i+2:]
		j := strings.Index(rest, "\r\n")
		if next := rest[j+2:]; strings.HasPrefix(next, " ") || strings.HasPrefix(next, "\t") || strings.ContainsAny(rest[:j], "\r\n") {
			t.Errorf("a Subject on more than one line:\n%s", rest[:min(len(rest), 300)])
		}
	}
	if n := len(messagesTo(h.sink, "bob@example.org", "[PROPOSITION #")); n != len(cases) {
		t.Errorf("bob got %d proposals, want %d", n, len(cases))
	}
}

// A deadline more than ten years away is not read (the list's default
// applies), so nothing past the store's time range reaches the engine.
func TestHostileProposalFarDeadline(t *testing.T) {
	t.Parallel()
	h, c := startDecisions(t)
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		proposalPost("[PROPOSITION] Dans longtemps", "Un jour.\r\nÉchéance : 31/12/2554\r\n"))
	waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)
	p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if want := p.Opened.Add(72 * time.Hour); !p.Deadline.Equal(want) {
		t.Fatalf("deadline %v, want the default %v", p.Deadline, want)
	}
	for range 3 {
		if n, err := h.srv.Tick(context.Background()); err != nil || n != 0 {
			t.Errorf("Tick decided %d proposals (%v), want 0: nothing is due yet", n, err)
		}
	}
	c.Add(73 * time.Hour)
	if n, _ := h.srv.Tick(context.Background()); n != 1 {
		t.Errorf("Tick decided %d proposals at the default deadline, want 1", n)
	}
}
