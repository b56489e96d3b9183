package bounce

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// fixtureDir holds real-world-shaped bounces, shared with other packages.
const fixtureDir = "../../testdata/bounces"

// want is the expected reading of one failure.
type want struct {
	recipient string
	status    string
	kind      Kind
	diag      string // a substring of Diagnostic
}

var fixtures = []struct {
	file     string
	isBounce bool
	delayed  bool
	failures []want
}{
	{"postfix-user-unknown.eml", true, false, []want{
		{"bob@example.org", "5.1.1", Hard, "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table"},
	}},
	{"postfix-mailbox-full.eml", true, false, []want{
		{"carol@example.com", "5.2.2", Soft, "Mailbox full"},
		{"dan@example.net", "4.2.2", Soft, "452 4.2.2 Mailbox is over quota"},
	}},
	{"postfix-delayed.eml", true, true, nil},
	{"postfix-spam-rejected.eml", true, false, []want{
		{"frank@example.org", "5.7.1", Content, "554 5.7.1 Message rejected as spam"},
	}},
	{"exim-dsn-user-unknown.eml", true, false, []want{
		// Exim says "Status: 5.0.0"; the diagnostic is more precise.
		{"dave@example.com", "5.1.1", Hard, "User unknown in local recipient table"},
	}},
	{"exim-plain-text-failed.eml", true, false, []want{
		{"bob@example.org", "5.1.1", Hard, "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown"},
		{"eve@example.org", "", Hard, "Unrouteable address"},
	}},
	{"exim-plain-text-delayed.eml", true, true, nil},
	{"exchange-recipient-not-found.eml", true, false, []want{
		{"frank.castle@contoso.com", "5.1.10", Hard, "550 5.1.10 RESOLVER.ADR.RecipientNotFound"},
	}},
	{"gmail-does-not-exist.eml", true, false, []want{
		{"grace@example.com", "5.1.1", Hard, "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking"},
	}},
	{"qmail-plain.eml", true, false, []want{
		{"henry@example.net", "5.1.1", Hard, "550 5.1.1 <henry@example.net>... User unknown"},
		{"ivy.stone@example.net", "5.1.1", Hard, "Sorry, no mailbox here by that name. (#5.1.1)"},
	}},
	{"dmarc-policy-reject.eml", true, false, []want{
		{"ines@example.com", "5.7.26", Content, "550 5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy."},
	}},
	{"auto-reply-vacation.eml", false, false, nil},
	{"human-reply.eml", false, false, nil},
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkReport(t *testing.T, got Report, isBounce, delayed bool, failures []want) {
	t.Helper()
	if got.IsBounce != isBounce || got.Delayed != delayed {
		t.Errorf("IsBounce, Delayed = %v, %v; want %v, %v", got.IsBounce, got.Delayed, isBounce, delayed)
	}
	if len(got.Failures) != len(failures) {
		t.Fatalf("got %d failures %+v, want %d", len(got.Failures), got.Failures, len(failures))
	}
	for i, w := range failures {
		f := got.Failures[i]
		if f.Recipient != w.recipient || f.Status != w.status || f.Kind != w.kind {
			t.Errorf("failure %d = %q %q %s, want %q %q %s", i, f.Recipient, f.Status, f.Kind, w.recipient, w.status, w.kind)
		}
		if !strings.Contains(f.Diagnostic, w.diag) {
			t.Errorf("failure %d: Diagnostic %q does not contain %q", i, f.Diagnostic, w.diag)
		}
	}
}

func TestParseFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var covered []string
	for _, tc := range fixtures {
		covered = append(covered, tc.file)
		t.Run(tc.file, func(t *testing.T) {
			got, err := Parse(readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, got, tc.isBounce, tc.delayed, tc.failures)
			checkInvariants(t, got)
		})
	}
	for _, f := range files {
		if !slices.Contains(covered, filepath.Base(f)) {
			t.Errorf("fixture %s has no expectations in the table", filepath.Base(f))
		}
	}
}

// TestParseTextFallback hides the delivery-status part of each fixture:
// the human-readable part must say the same thing.
func TestParseTextFallback(t *testing.T) {
	for _, tc := range fixtures {
		raw := string(readFixture(t, tc.file))
		if !strings.Contains(raw, "message/delivery-status") {
			continue
		}
		t.Run(tc.file, func(t *testing.T) {
			raw = strings.ReplaceAll(raw, "message/delivery-status", "application/octet-stream")
			got, err := Parse([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			var failures []want
			for _, w := range tc.failures {
				w.diag = "" // the text part words it differently
				failures = append(failures, w)
			}
			checkReport(t, got, tc.isBounce, tc.delayed, failures)
		})
	}
}

func TestParseInline(t *testing.T) {
	const dsnHeader = "From: MAILER-DAEMON@mx.lists.test\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
	dsn := func(status string) string {
		return dsnHeader +
			"--B\r\nContent-Type: text/plain\r\n\r\nThe mail system\r\n" +
			"--B\r\nContent-Type: message/delivery-status\r\n\r\n" + status + "\r\n--B--\r\n"
	}
	tests := []struct {
		name     string
		raw      string
		isBounce bool
		delayed  bool
		failures []want
	}{
		{
			name: "gmail text only",
			raw: "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n" +
				"Subject: Delivery Status Notification (Failure)\n\n" +
				"** Address not found **\n\n" +
				"Your message wasn't delivered to Grace@Example.com because the address couldn't be found, or is unable to receive mail.\n\n" +
				"The response was:\n\n" +
				"550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.\n\n" +
				"Learn more here: https://support.google.com/mail/?p=NoSuchUser\n",
			isBounce: true,
			failures: []want{{"grace@example.com", "5.1.1", Hard, "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces."}},
		},
		{
			name:     "no action field, permanent status",
			raw:      dsn("Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nStatus: 5.1.1\r\n"),
			isBounce: true,
			failures: []want{{"bob@example.org", "5.1.1", Hard, ""}},
		},
		{
			name:     "no action field, temporary status",
			raw:      dsn("Final-Recipient: rfc822; bob@example.org\r\nStatus: 4.4.1\r\n"),
			isBounce: true,
			delayed:  true,
		},
		{
			name: "malformed line inside a recipient block",
			raw: dsn("Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nAction: failed\r\n" +
				"this line is not a field\r\nStatus: 5.2.1\r\nDiagnostic-Code: smtp; 550 5.2.1 mailbox disabled\r\n"),
			isBounce: true,
			failures: []want{{"bob@example.org", "5.2.1", Hard, "550 5.2.1 mailbox disabled"}},
		},
		{
			name:     "whitespace-only separator lines, shouting field names, bracketed address",
			raw:      dsn("REPORTING-MTA: dns; mx\r\n   \r\nFINAL-RECIPIENT: RFC822; <Bob@Example.ORG>\r\nACTION: Failed\r\nSTATUS: 5.1.1 (bad destination mailbox address)\r\n"),
			isBounce: true,
			failures: []want{{"bob@example.org", "5.1.1", Hard, ""}},
		},
		{
			name:     "delivered only",
			raw:      dsn("Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n"),
			isBounce: true,
		},
		{
			name: "failed and delayed recipients, one listed twice",
			raw: dsn("Reporting-MTA: dns; mx\r\n\r\n" +
				"Final-Recipient: rfc822; bob@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n" +
				"Final-Recipient: rfc822; bob@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n" +
				"Final-Recipient: rfc822; carol@example.org\r\nAction: delayed\r\nStatus: 4.4.7\r\n"),
			isBounce: true,
			delayed:  true,
			failures: []want{{"bob@example.org", "5.1.1", Hard, ""}},
		},
		{
			name: "original recipient only, x.0.0 status, gave up on a temporary error",
			raw: dsn("Reporting-MTA: dns; mx\r\n\r\nOriginal-Recipient: rfc822;bob@example.org\r\nAction: failed\r\n" +
				"Status: 5.0.0\r\nDiagnostic-Code: smtp; 452 4.2.2 mailbox full\r\n"),
			isBounce: true,
			failures: []want{{"bob@example.org", "4.2.2", Soft, "452 4.2.2 mailbox full"}},
		},
		{
			name: "base64 delivery-status part",
			raw: dsnHeader + "--B\r\nContent-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
				// "Final-Recipient: rfc822; bob@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
				"RmluYWwtUmVjaXBpZW50OiByZmM4MjI7IGJvYkBleGFtcGxlLm9yZw0KQWN0aW9uOiBmYWlsZWQN\r\nClN0YXR1czogNS4xLjENCg==\r\n--B--\r\n",
			isBounce: true,
			failures: []want{{"bob@example.org", "5.1.1", Hard, ""}},
		},
		{
			name: "delivery status sent as text/plain",
			raw: dsnHeader + "--B\r\nContent-Type: text/plain\r\n\r\nYour mail could not be delivered.\r\n" +
				"--B\r\nContent-Type: text/plain\r\n\r\nReporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nAction: failed\r\nStatus: 5.7.1\r\n--B--\r\n",
			isBounce: true,
			failures: []want{{"bob@example.org", "5.7.1", Content, ""}},
		},
		{
			name:     "delivery-status part without recipient blocks falls back on the text",
			raw:      dsnHeader + "--B\r\nContent-Type: text/plain\r\n\r\n<bob@example.org>: host mx said: 550 5.1.1 no such user\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n--B--\r\n",
			isBounce: true,
			failures: []want{{"bob@example.org", "5.1.1", Hard, "550 5.1.1 no such user"}},
		},
		{
			name: "daemon subject without a known body",
			raw: "From: postmaster@example.org\nSubject: Undeliverable: [jardin] hello\n\n" +
				"Something went wrong.\n",
			isBounce: true,
			failures: []want{{"", "", Hard, ""}},
		},
		{
			name: "auto-reply header wins over bounce-like text",
			raw: "From: bob@example.org\nSubject: I'm away\nX-Autoreply: yes\n\n" +
				"This message was created automatically by mail delivery software. Not really.\n",
		},
		{
			name: "reply quoting a bounce",
			raw: "From: bob@example.org\nSubject: what is this?\n\nI got this:\n\n" +
				"> This message was created automatically by mail delivery software.\n> address(es) failed:\n",
		},
		{
			name: "empty message",
			raw:  "",
		},
		{
			name: "unknown charset",
			raw: "From: MAILER-DAEMON@mail.example.net\nSubject: failure notice\nContent-Type: text/plain; charset=x-unknown-charset\n\n" +
				"Hi. This is the qmail-send program at mail.example.net.\n\n<bob@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
			isBounce: true,
			failures: []want{{"bob@example.org", "5.1.1", Hard, "no mailbox here"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, got, tc.isBounce, tc.delayed, tc.failures)
			checkInvariants(t, got)
		})
	}
}

func TestParseError(t *testing.T) {
	_, err := Parse([]byte(" starts with a space\n\nbody"))
	if err == nil || !strings.HasPrefix(err.Error(), "bounce: ") {
		t.Fatalf("Parse(malformed header) error = %v, want a bounce: error", err)
	}
}

// TestParseLimits checks that a delivery report hidden behind too many
// parts or too much text is not looked for.
func TestParseLimits(t *testing.T) {
	status := "--B\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	head := "From: MAILER-DAEMON@mx\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"

	var b strings.Builder
	b.WriteString(head)
	for range maxParts + 10 {
		b.WriteString("--B\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n")
	}
	b.WriteString(status + "--B--\r\n")
	got, err := Parse([]byte(b.String()))
	if err != nil || got.IsBounce {
		t.Errorf("report after %d parts: %+v, %v; want not a bounce", maxParts+10, got, err)
	}

	b.Reset()
	b.WriteString(head + "--B\r\nContent-Type: text/plain\r\n\r\n")
	line := strings.Repeat("x", 99) + "\n"
	for range maxText/len(line) + 10 {
		b.WriteString(line)
	}
	b.WriteString(status + "--B--\r\n")
	got, err = Parse([]byte(b.String()))
	if err != nil || got.IsBounce {
		t.Errorf("report after %d bytes of text: %+v, %v; want not a bounce", maxText, got, err)
	}

	// Many distinct recipients.
	b.Reset()
	b.WriteString("From: MAILER-DAEMON@mail.example.net\nSubject: failure notice\n\nHi. This is the qmail-send program.\n\n")
	for i := 0; b.Len() < maxText; i++ {
		fmt.Fprintf(&b, "<user%d@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n", i)
	}
	got, err = Parse([]byte(b.String()))
	if err != nil || len(got.Failures) != maxFailures {
		t.Errorf("many recipients: %d failures, %v; want %d", len(got.Failures), err, maxFailures)
	}

	// Deeply nested multiparts.
	b.Reset()
	b.WriteString("Content-Type: multipart/mixed; boundary=B0\r\n\r\n")
	for i := 1; i < 500; i++ {
		fmt.Fprintf(&b, "--B%d\r\nContent-Type: multipart/mixed; boundary=B%d\r\n\r\n", i-1, i)
	}
	b.WriteString("--B499\r\nContent-Type: text/plain\r\n\r\naddress(es) failed:\r\n\r\n  bob@example.org\r\n")
	got, err = Parse([]byte(b.String()))
	if err != nil || got.IsBounce {
		t.Errorf("report after 500 nested parts: %+v, %v; want not a bounce", got, err)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		status, diag string
		want         Kind
	}{
		{"5.1.1", "550 5.1.1 User unknown", Hard},
		{"5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound", Hard},
		{"5.2.1", "550 5.2.1 The email account that you tried to reach is disabled.", Hard},
		{"5.5.0", "550 5.5.0 Requested action not taken: mailbox unavailable", Hard},
		{"5.4.4", "Host or domain name not found", Hard},
		{"5.0.0", "", Hard},
		{"", "", Hard},
		{"", "550 Unrouteable address", Hard},
		{"5.2.2", "552 5.2.2 Mailbox full", Soft},
		{"4.2.2", "452 4.2.2 over quota", Soft},
		{"4.4.7", "Message expired", Soft},
		{"5.4.7", "delivery time expired", Soft},
		{"5.3.0", "other mail system problem", Soft},
		{"5.0.0", "552 Requested mail action aborted: exceeded storage allocation", Soft},
		{"", "421 Service not available", Soft},
		{"5.7.1", "554 5.7.1 Message rejected as spam", Content},
		{"5.7.26", "Unauthenticated email is not accepted due to domain's DMARC policy", Content},
		{"5.7.1", "Relay access denied", Content},
		{"4.7.0", "421 4.7.0 Try again later, closing connection.", Content},
		{"5.2.3", "Message length exceeds administrative limit", Content},
		{"5.3.4", "Message too big for system", Content},
		{"5.1.8", "Sender address rejected: Domain not found", Content},
		{"5.6.0", "conversion failed", Content},
		{"5.0.0", "554 rejected due to content restrictions", Content},
		{"5.0.0", "550 Message blocked by Spamhaus", Content},
		{"5.1.1", "550 5.1.1 mail from this sender is blocked by policy", Content},
		{"", "554 Your message was considered junk", Content},
		{"5.1.1", "550 5.1.1 <spam.trap@example.org>: User unknown", Hard},
		{"5.1.1", "550 5.1.1 <bob@marblehead.example>: User unknown", Hard},
	}
	for _, tc := range tests {
		if got := classify(tc.status, tc.diag); got != tc.want {
			t.Errorf("classify(%q, %q) = %s, want %s", tc.status, tc.diag, got, tc.want)
		}
	}
}

func TestFindStatus(t *testing.T) {
	tests := map[string]string{
		"5.1.1":                            "5.1.1",
		"5.0.0 (permanent failure)":        "5.0.0",
		"Sorry, no mailbox here. (#5.1.1)": "5.1.1",
		"550 5.1.10 RESOLVER":              "5.1.10",
		"4.7.26.":                          "4.7.26",
		"host 5.6.7.8 said no":             "",
		"[192.0.2.25]":                     "",
		"version 15.20.7544":               "",
		"5.1.1000":                         "",
		"":                                 "",
		"5.":                               "",
	}
	for in, want := range tests {
		if got := findStatus(in); got != want {
			t.Errorf("findStatus(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanDiagnostic(t *testing.T) {
	tests := []struct{ in, want string }{
		{
			"550-5.1.1 The email account that you tried to reach does not exist. Please try\n 550-5.1.1 double-checking the recipient's email address for typos or\n 550-5.1.1 unnecessary spaces.\n 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser x - gsmtp",
			"550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser x - gsmtp",
		},
		{"554-mx.example.org\r\n554 Service unavailable", "554 mx.example.org Service unavailable"},
		{"  user\tunknown\x00 ", "user unknown"},
		{"bad \xff byte", "bad \uFFFD byte"},
	}
	for _, tc := range tests {
		if got := cleanDiagnostic(tc.in); got != tc.want {
			t.Errorf("cleanDiagnostic(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := strings.Repeat("é", 200) // 400 bytes, 2 per rune
	got := cleanDiagnostic("x" + long)
	if len(got) > maxDiagnostic || !utf8.ValidString(got) || len(got) < maxDiagnostic-1 {
		t.Errorf("cleanDiagnostic(long) = %d bytes, valid %v; want at most %d valid bytes", len(got), utf8.ValidString(got), maxDiagnostic)
	}
}

// checkInvariants checks what every Report must satisfy.
func checkInvariants(t testing.TB, r Report) {
	t.Helper()
	if !r.IsBounce && (len(r.Failures) > 0 || r.Delayed) {
		t.Errorf("not a bounce but %+v", r)
	}
	seen := map[string]bool{}
	for _, f := range r.Failures {
		if f.Kind != Hard && f.Kind != Soft && f.Kind != Content {
			t.Errorf("bad kind %q", f.Kind)
		}
		if f.Recipient != strings.ToLower(f.Recipient) || seen[f.Recipient] {
			t.Errorf("bad or repeated recipient %q", f.Recipient)
		}
		seen[f.Recipient] = true
		if len(f.Diagnostic) > maxDiagnostic || strings.ContainsAny(f.Diagnostic, "\r\n") || !utf8.ValidString(f.Diagnostic) {
			t.Errorf("bad diagnostic %q", f.Diagnostic)
		}
		if f.Status != "" && findStatus(f.Status) != f.Status {
			t.Errorf("bad status %q", f.Status)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range fixtures {
		f.Add(readFixture(f, tc.file))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := Parse(raw)
		if errors.Is(err, errInternal) {
			t.Fatal(err)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "bounce: ") {
				t.Errorf("error %q does not start with bounce:", err)
			}
			return
		}
		checkInvariants(t, r)
	})
}
