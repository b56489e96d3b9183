package main

// End-to-end test against a real smarthost: tacit relays through a private
// Postfix instance (postfix_helpers_test.go), which relays to a sink.

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRelayThroughPostfix posts to a list whose server relays through
// Postfix, and checks what Postfix hands on: one copy per member, the body
// unchanged, the VERP envelope sender, Postfix's Received header; and that
// a recipient Postfix refuses is a permanent failure for tacit only.
func TestRelayThroughPostfix(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(postfixCmd); err != nil {
		t.Skipf("Postfix is not installed (%v); .ci/run installs the Debian package postfix", err)
	}
	if os.Geteuid() != 0 {
		t.Skipf("a private Postfix instance needs root (Postfix wants a root-owned configuration and runs its daemons as mail_owner); run as root, as .ci/run does")
	}
	start := time.Now()

	sk := startSink(t, nil)
	const rejected = "reject@members.test"
	mta := startPostfix(t, []postfixRoute{
		{domain: "members.test", addr: sk.Addr()},
		{domain: "other.test", addr: sk.Addr()},
	}, []string{rejected})
	t.Logf("Postfix on %s relaying to the sink on %s, started in %s", mta.addr, sk.Addr(), time.Since(start).Round(time.Millisecond))

	in := newInstance(t, "relay", mta.addr)
	var members []string
	for i := range 20 {
		members = append(members, fmt.Sprintf("m%02d@members.test", i))
	}
	members = append(members, "x@other.test", "y@other.test")
	in.mustCLI("list", "create", "jardin", "--name", "Jardin", "--from-rewrite", "never")
	in.mustCLI(append([]string{"member", "add", "jardin", rejected}, members...)...)
	// verp = true is the default, but this test is about it: say so.
	in.extra = "verp = true\n" + in.extra // right after [delivery]
	in.writeConfig(in.smtpAddr)
	p := in.start()

	const mid = "<e2e.postfix.1@members.test>"
	body := ".leading dot\r\n..two dots\r\nFrom the start of a line\r\n" +
		"trailing spaces   \r\ntab\tinside\r\ncafé, naïveté, 日本語\r\n" +
		strings.Repeat("long-line ", 90) + "\r\n\r\n-- \r\nm00\r\n"
	post := "From: m00 <m00@members.test>\r\nTo: jardin@lists.test\r\nSubject: through Postfix\r\n" +
		"Message-ID: " + mid + "\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
	if err := sendMail(in.smtpAddr, "m00@members.test", []string{"jardin@lists.test"}, []byte(post), 10*time.Second); err != nil {
		t.Fatalf("posting to tacit: %v", err)
	}

	// Wait for every copy in the sink and for tacit's record of the
	// refused one.
	var attempts []deliveryAttempt
	done := func() bool {
		attempts = deliveryAttempts(p.logs.String())
		failed := 0
		for _, a := range attempts {
			failed += a.failed
		}
		return len(copies(sk)[mid]) >= len(members) && failed >= 1
	}
	if !waitFor(30*time.Second, done) {
		t.Fatalf("after 30s the sink has copies for %d of %d members (%v) and tacit logged %+v; tacit's logs:\n%s",
			len(copies(sk)[mid]), len(members), copies(sk)[mid], attempts, p.logs.String())
	}
	time.Sleep(300 * time.Millisecond) // stray copies
	attempts = deliveryAttempts(p.logs.String())

	got := copies(sk)[mid]
	for _, m := range members {
		if n := got[m]; n != 1 {
			t.Errorf("%s got %d copies through Postfix, want 1", m, n)
		}
	}
	if len(got) != len(members) {
		t.Errorf("the sink got copies for %d addresses, want %d: %v", len(got), len(members), got)
	}
	if n := got[rejected]; n != 0 {
		t.Errorf("%s, refused by Postfix, got %d copies", rejected, n)
	}
	for _, m := range sk.Messages() {
		if headerOf(m.Data, "Message-Id") != mid {
			continue
		}
		if len(m.To) != 1 {
			t.Errorf("a transaction for %v: want one recipient per transaction (VERP)", m.To)
			continue
		}
		rcpt := m.To[0]
		// NAME-bounces+member=domain+TAG@DOMAIN: the keyed tag proves a
		// report is about mail the list sent to that member.
		prefix := "jardin-bounces+" + strings.Replace(rcpt, "@", "=", 1) + "+"
		if tag, ok := strings.CutSuffix(strings.TrimPrefix(m.From, prefix), "@lists.test"); !strings.HasPrefix(m.From, prefix) ||
			!ok || len(tag) < 8 || strings.ContainsAny(tag, "+=@") {
			t.Errorf("envelope sender %q for %s, want %sTAG@lists.test", m.From, rcpt, prefix)
		}
		if got := bodyOf(m.Data); !bytes.Equal(got, []byte(body)) {
			t.Errorf("body to %s changed:\n got %q\nwant %q", rcpt, got, body)
		}
		if id := headerOf(m.Data, "List-Id"); !strings.Contains(id, "<jardin.lists.test>") {
			t.Errorf("List-Id to %s = %q, want <jardin.lists.test>", rcpt, id)
		}
		// The first Received is Postfix's, of the copy tacit sent it.
		rcvd := headerOf(m.Data, "Received")
		if !strings.Contains(rcvd, "by mta.postfix.test (Postfix)") || !strings.Contains(rcvd, "[127.0.0.1]") ||
			!strings.Contains(rcvd, "<"+rcpt+">") {
			t.Errorf("first Received to %s = %q, want Postfix's (by mta.postfix.test (Postfix), from [127.0.0.1], for <%s>)",
				rcpt, rcvd, rcpt)
		}
	}

	// tacit: the refused recipient failed for good, in the entry of its
	// domain; everything else was delivered and nothing is left deferred.
	var delivered, failed, deferred int
	for _, a := range attempts {
		delivered += a.delivered
		failed += a.failed
		deferred += a.deferred
		if a.failed > 0 && a.domain != "members.test" {
			t.Errorf("a permanent failure in the entry of %s: %s", a.domain, a.line)
		}
	}
	if delivered != len(members) || failed != 1 || deferred != 0 {
		t.Errorf("tacit's delivery attempts: %d delivered, %d failed, %d deferred; want %d, 1, 0:\n%s",
			delivered, failed, deferred, len(members), joinLines(attempts))
	}
	// postlogd writes the log a moment after the fact.
	if !waitFor(5*time.Second, func() bool {
		return strings.Contains(mta.log(), "<"+rejected+">: Recipient address rejected")
	}) {
		t.Errorf("Postfix did not log the refusal of %s", rejected)
	}
	p.stop()
	t.Logf("%d copies through Postfix, 1 refused; %s in all", len(got), time.Since(start).Round(time.Millisecond))
}

// deliveryAttempt is one "delivery attempt" line of tacit's log.
type deliveryAttempt struct {
	domain                      string
	delivered, failed, deferred int
	line                        string
}

var attemptField = regexp.MustCompile(`\b(domain|delivered|failed|deferred)=(\S+)`)

func deliveryAttempts(logs string) []deliveryAttempt {
	var out []deliveryAttempt
	for line := range strings.Lines(logs) {
		if !strings.Contains(line, `msg="delivery attempt"`) {
			continue
		}
		a := deliveryAttempt{line: strings.TrimSpace(line)}
		for _, f := range attemptField.FindAllStringSubmatch(line, -1) {
			n, _ := strconv.Atoi(f[2])
			switch f[1] {
			case "domain":
				a.domain = f[2]
			case "delivered":
				a.delivered = n
			case "failed":
				a.failed = n
			case "deferred":
				a.deferred = n
			}
		}
		out = append(out, a)
	}
	return out
}

func joinLines(as []deliveryAttempt) string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString(a.line + "\n")
	}
	return b.String()
}
