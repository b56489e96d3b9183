package rewrite

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

var jardin = List{Address: "jardin@lists.test", Name: "Jardin partagé"}

func rewriteOK(t *testing.T, raw string, o Options) (hdr string, body string) {
	t.Helper()
	h, off, err := Header(context.Background(), []byte(raw), o)
	if err != nil {
		t.Fatalf("Header: %v", err)
	}
	if !bytes.HasSuffix(h, []byte("\r\n\r\n")) {
		t.Fatalf("header block does not end with a blank line: %q", h)
	}
	return string(h), raw[off:]
}

func TestHeaderAddsListFieldsAndKeepsTheRest(t *testing.T) {
	t.Parallel()
	raw := "From: Alice <alice@example.org>\r\n" +
		"To: jardin@lists.test\r\n" +
		"Subject: Réunion jeudi\r\n" +
		"Message-ID: <m1@example.org>\r\n" +
		"In-Reply-To: <m0@example.org>\r\n" +
		"References: <a@example.org>\r\n <m0@example.org>\r\n" +
		"DKIM-Signature: v=1; a=rsa-sha256; d=example.org;\r\n\tb=abc\r\n" +
		"Content-Type: text/plain; charset=iso-8859-1\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" +
		"caf\xe9\r\n\r\n-- \r\nAlice\r\n"
	o := Options{List: List{Address: "jardin@lists.test", Name: "Jardin", ArchiveURL: "https://lists.test/lists/jardin/decisions"}}
	hdr, body := rewriteOK(t, raw, o)
	if body != "caf\xe9\r\n\r\n-- \r\nAlice\r\n" {
		t.Errorf("body changed: %q", body)
	}
	for _, want := range []string{
		"List-Id: \"Jardin\" <jardin.lists.test>\r\n",
		"List-Post: <mailto:jardin@lists.test>\r\n",
		"List-Help: <mailto:jardin-request@lists.test?subject=help>\r\n",
		"List-Subscribe: <mailto:jardin-request@lists.test?subject=subscribe>\r\n",
		"List-Unsubscribe: <mailto:jardin-request@lists.test?subject=unsubscribe>\r\n",
		"List-Archive: <https://lists.test/lists/jardin/decisions>\r\n",
		"Precedence: list\r\n",
		"X-Loop: jardin@lists.test\r\n",
		"Reply-To: jardin@lists.test\r\n",
		"Subject: [jardin] Réunion jeudi\r\n",
		// Kept byte for byte, folding included.
		"References: <a@example.org>\r\n <m0@example.org>\r\n",
		"DKIM-Signature: v=1; a=rsa-sha256; d=example.org;\r\n\tb=abc\r\n",
		"Message-ID: <m1@example.org>\r\n",
		"In-Reply-To: <m0@example.org>\r\n",
		"From: Alice <alice@example.org>\r\n",
	} {
		if !strings.Contains(hdr, want) {
			t.Errorf("missing %q in\n%s", want, hdr)
		}
	}
	if strings.Contains(hdr, "List-Unsubscribe-Post") {
		t.Errorf("one-click header without a URL:\n%s", hdr)
	}
}

func TestHeaderRemovesWhatMustNotTravel(t *testing.T) {
	t.Parallel()
	raw := "From: alice@example.org\r\n" +
		"Approved: secret\r\nApprove: secret\r\n" +
		"Return-Receipt-To: alice@example.org\r\n" +
		"Disposition-Notification-To: alice@example.org\r\n" +
		"X-Confirm-Reading-To: alice@example.org\r\n" +
		"Archived-At: <http://old>\r\n" +
		"List-Id: Other <other.example.net>\r\nlist-unsubscribe: <mailto:x>\r\n" +
		"Precedence: first-class\r\nSender: someone@example.net\r\n" +
		"X-Loop: other@example.net\r\nReply-To: private@example.org\r\n" +
		"Subject: hi\r\n\r\nbody\r\n"
	hdr, _ := rewriteOK(t, raw, Options{List: jardin})
	for _, gone := range []string{"Approved", "Approve:", "Return-Receipt-To", "Disposition-Notification-To",
		"X-Confirm-Reading-To", "Archived-At", "other.example.net", "list-unsubscribe", "first-class",
		"Sender:", "X-Loop: other", "private@example.org"} {
		if strings.Contains(hdr, gone) {
			t.Errorf("%q still there:\n%s", gone, hdr)
		}
	}
	if n := strings.Count(hdr, "Precedence:"); n != 1 {
		t.Errorf("%d Precedence fields", n)
	}
}

func TestSubjectPrefix(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"Réunion", "[jardin] Réunion"},
		{"Re: [jardin] Réunion", "Re: [jardin] Réunion"},
		{"RE: [Jardin] Réunion", "RE: [Jardin] Réunion"},
		{"[jardin] [PROPOSITION #3] Budget", "[jardin] [PROPOSITION #3] Budget"},
		{"=?utf-8?q?=5Bjardin=5D_R=C3=A9union?=", "=?utf-8?q?=5Bjardin=5D_R=C3=A9union?="},
		{"=?iso-8859-1?q?R=E9union?=", "[jardin] =?iso-8859-1?q?R=E9union?="},
		{"[jardinage] outils", "[jardin] [jardinage] outils"},
		{"", "[jardin]"},
	}
	for _, c := range cases {
		raw := "From: a@example.org\r\nSubject: " + c.in + "\r\n\r\nx"
		hdr, _ := rewriteOK(t, raw, Options{List: jardin})
		if !strings.Contains(hdr, "\r\nSubject: "+c.want+"\r\n") {
			t.Errorf("Subject %q: got\n%s\nwant %q", c.in, hdr, c.want)
		}
	}
	// Rewriting twice never doubles the prefix.
	raw := "From: a@example.org\r\nSubject: Réunion\r\n\r\nx"
	once, off, _ := Header(context.Background(), []byte(raw), Options{List: jardin})
	twice, _ := rewriteOK(t, string(once)+raw[off:], Options{List: jardin})
	if strings.Count(twice, "[jardin]") != 1 {
		t.Errorf("prefix doubled:\n%s", twice)
	}
	noPrefix := jardin
	noPrefix.NoPrefix = true
	hdr, _ := rewriteOK(t, raw, Options{List: noPrefix})
	if !strings.Contains(hdr, "Subject: Réunion\r\n") {
		t.Errorf("no_prefix list got a prefix:\n%s", hdr)
	}
	hdr, _ = rewriteOK(t, "From: a@example.org\r\n\r\nx", Options{List: jardin})
	if !strings.Contains(hdr, "Subject: [jardin]\r\n") {
		t.Errorf("missing Subject not added:\n%s", hdr)
	}
	hdr, _ = rewriteOK(t, raw, Options{List: jardin, Subject: "[jardin] [PROPOSITION #4] Budget"})
	if !strings.Contains(hdr, "Subject: [jardin] [PROPOSITION #4] Budget\r\n") || strings.Count(hdr, "Subject:") != 1 {
		t.Errorf("replacement Subject:\n%s", hdr)
	}
}

func TestOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	hdr, _ := rewriteOK(t, "From: a@example.org\r\n\r\nx", Options{List: jardin, UnsubscribeURL: "https://lists.test/u/tok123"})
	if !strings.Contains(hdr, "List-Unsubscribe: <https://lists.test/u/tok123>,\r\n <mailto:jardin-request@lists.test?subject=unsubscribe>\r\n") ||
		!strings.Contains(hdr, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n") {
		t.Errorf("one-click fields:\n%s", hdr)
	}
	if !strings.Contains(hdr, "List-Id: =?utf-8?q?Jardin_partag=C3=A9?= <jardin.lists.test>") {
		t.Errorf("non-ASCII list name not encoded:\n%s", hdr)
	}
}

func TestFromRewrite(t *testing.T) {
	t.Parallel()
	policy := func(_ context.Context, dom string) (string, error) {
		switch dom {
		case "strict.example":
			return "reject", nil
		case "broken.example":
			return "", errors.New("SERVFAIL")
		}
		return "", nil
	}
	strict := "From: Alice Martin <alice@strict.example>\r\nCc: bob@example.org\r\nSubject: x\r\n\r\nbody"
	hdr, _ := rewriteOK(t, strict, Options{List: jardin, DMARC: policy})
	for _, want := range []string{
		"From: =?utf-8?q?Alice_Martin_via_Jardin_partag=C3=A9?= <jardin@lists.test>\r\n",
		"Cc: bob@example.org, Alice Martin <alice@strict.example>\r\n",
		"X-Original-From: Alice Martin <alice@strict.example>\r\n",
	} {
		if !strings.Contains(hdr, want) {
			t.Errorf("missing %q:\n%s", want, hdr)
		}
	}
	if !strings.Contains(hdr, "via") || strings.Count(hdr, "Cc:") != 1 {
		t.Errorf("rewritten From or Cc wrong:\n%s", hdr)
	}
	lax := "From: bob@lax.example\r\nSubject: x\r\n\r\nbody"
	hdr, _ = rewriteOK(t, lax, Options{List: jardin, DMARC: policy})
	if !strings.Contains(hdr, "From: bob@lax.example\r\n") || strings.Contains(hdr, "X-Original-From") {
		t.Errorf("From rewritten without a policy:\n%s", hdr)
	}
	always := jardin
	always.FromRewrite = "always"
	hdr, _ = rewriteOK(t, lax, Options{List: always})
	if !strings.Contains(hdr, "via") || !strings.Contains(hdr, "Cc: bob@lax.example\r\n") {
		t.Errorf("always mode:\n%s", hdr)
	}
	never := jardin
	never.FromRewrite = "never"
	hdr, _ = rewriteOK(t, strict, Options{List: never, DMARC: policy})
	if strings.Contains(hdr, "via") {
		t.Errorf("never mode rewrote:\n%s", hdr)
	}
	_, _, err := Header(context.Background(), []byte("From: c@broken.example\r\n\r\nx"), Options{List: jardin, DMARC: policy})
	if !errors.Is(err, ErrDMARC) {
		t.Errorf("a failing DMARC lookup must be reported so the post is retried, not sent spoofable: %v", err)
	}
}

func TestBareLFAndOddLines(t *testing.T) {
	t.Parallel()
	raw := "From: a@example.org\nSubject: hi\nX-Long: one\n two\n\nbody\n"
	hdr, body := rewriteOK(t, raw, Options{List: jardin})
	if body != "body\n" {
		t.Errorf("body %q", body)
	}
	if !strings.Contains(hdr, "X-Long: one\r\n two\r\n") || !strings.Contains(hdr, "Subject: [jardin] hi\r\n") {
		t.Errorf("bare-LF header:\n%q", hdr)
	}
	if _, _, err := Header(context.Background(), []byte("\r\nbody only"), Options{List: jardin}); err == nil {
		t.Errorf("a message without a header must be refused")
	}
}

func TestLoop(t *testing.T) {
	t.Parallel()
	cases := []struct {
		hdr, envFrom string
		loop         bool
	}{
		{"From: a@example.org\r\n", "a@example.org", false},
		{"From: a@example.org\r\n", "", true},
		{"From: MAILER-DAEMON@mx.example\r\n", "MAILER-DAEMON@mx.example", true},
		{"List-Id: Jardin <jardin.lists.test>\r\n", "a@example.org", true},
		{"List-Id: Autre <autre.lists.test>\r\n", "a@example.org", false},
		{"X-Loop: JARDIN@lists.test\r\n", "a@example.org", true},
		{"Auto-Submitted: auto-replied\r\n", "a@example.org", true},
		{"Auto-Submitted: no\r\n", "a@example.org", false},
		{"Precedence: bulk\r\n", "a@example.org", true},
		{"Precedence: junk\r\n", "a@example.org", true},
		{"X-Autoreply: yes\r\n", "a@example.org", true},
	}
	for _, c := range cases {
		h, _, err := Split([]byte(c.hdr + "\r\nbody"))
		if err != nil {
			t.Fatal(err)
		}
		if got := Loop(h, c.envFrom, jardin) != ""; got != c.loop {
			t.Errorf("%q from %q: loop=%v, want %v", c.hdr, c.envFrom, got, c.loop)
		}
	}
}

func FuzzHeader(f *testing.F) {
	f.Add([]byte("From: a@example.org\r\nSubject: hi\r\n\r\nbody"))
	f.Add([]byte("From: \"A\" <a@x>\r\nSubject: =?utf-8?q?=5Bjardin=5D?=\r\nCc: b\r\n\r\n"))
	f.Add([]byte("Subject: x\n\tfolded\nFrom: a@b\n\nbody\n"))
	f.Add([]byte("no colon line\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		o := Options{List: List{Address: "jardin@lists.test", FromRewrite: "always"}}
		hdr, off, err := Header(context.Background(), raw, o)
		if err != nil {
			return
		}
		if off > len(raw) || !bytes.HasSuffix(hdr, []byte("\r\n\r\n")) {
			t.Fatalf("bad block: off=%d len=%d hdr=%q", off, len(raw), hdr)
		}
		// What we send must parse again and carry exactly one prefix.
		h, err := textproto.ReadHeader(bufioReader(hdr))
		if err != nil {
			t.Fatalf("our header does not parse: %v\n%q", err, hdr)
		}
		if n := len(h.Values("Subject")); n != 1 {
			t.Fatalf("%d Subject fields", n)
		}
		if h.Get("X-Loop") != "jardin@lists.test" {
			t.Fatalf("X-Loop %q", h.Get("X-Loop"))
		}
	})
}

func BenchmarkHeader(b *testing.B) {
	raw := []byte("From: Alice <alice@example.org>\r\nTo: jardin@lists.test\r\nSubject: Réunion\r\n" +
		"Message-ID: <m1@example.org>\r\nDKIM-Signature: v=1; a=rsa-sha256; d=example.org;\r\n\tb=abc\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat("Bonjour à tous.\r\n", 200))
	o := Options{List: jardin}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Header(context.Background(), raw, o); err != nil {
			b.Fatal(err)
		}
	}
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

type fakeDNS map[string][]string

func (f fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	if name == "_dmarc.fail.example" {
		return nil, &net.DNSError{Err: "server misbehaving", Name: name, IsTemporary: true}
	}
	if v, ok := f[name]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func TestDNSPolicy(t *testing.T) {
	t.Parallel()
	p := DNSPolicy(fakeDNS{
		"_dmarc.yahoo.example": {"v=DMARC1; p=reject; pct=100"},
		"_dmarc.org.example":   {"v=DMARC1; p=none; sp=quarantine"},
		"_dmarc.spf.example":   {"v=spf1 -all"},
	})
	cases := map[string]string{
		"yahoo.example":      "reject",
		"mail.yahoo.example": "reject",
		"org.example":        "none",
		"lists.org.example":  "quarantine",
		"spf.example":        "",
		"nothing.example":    "",
	}
	for dom, want := range cases {
		got, err := p(context.Background(), dom)
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", dom, got, err, want)
		}
	}
	if _, err := p(context.Background(), "fail.example"); err == nil {
		t.Errorf("a DNS failure must be an error")
	}
}
