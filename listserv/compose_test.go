package listserv

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"tacit/listserv/notice"
	"tacit/storage"
)

// Message-IDs of ours are unique and sort by the time they were written
// (the store's thread index then grows at its end).
func TestMessageIDsSortByTime(t *testing.T) {
	t.Parallel()
	form := regexp.MustCompile(`^<tacit\.[0-9a-f]{16}\.[0-9a-f]{16}@lists\.test>$`)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	prev := ""
	seen := map[string]bool{}
	for i := range 1000 {
		id := newMessageID("lists.test", t0.Add(time.Duration(i/2)*time.Millisecond))
		if !form.MatchString(id) {
			t.Fatalf("Message-ID %q has not the form <tacit.TIME.RANDOM@host>", id)
		}
		if seen[id] {
			t.Fatalf("Message-ID %q given twice", id)
		}
		seen[id] = true
		if i%2 == 0 && id <= prev {
			t.Errorf("Message-ID %q written after %q sorts before it", id, prev)
		}
		prev = id
	}
	if id := newMessageID("", t0); !regexp.MustCompile(`@tacit\.invalid>$`).MatchString(id) {
		t.Errorf("Message-ID without host: %q", id)
	}
}

// Every header line of a composed message is at most 998 octets
// (docs/security.md), whatever the title, the number of owners or the length
// of the thread, and the message still parses with the same Subject.
func TestComposedHeaderLinesAreFolded(t *testing.T) {
	t.Parallel()
	title := strings.Repeat("Le jardin partagé ouvre le dimanche matin — ", 120)
	title = string([]rune(title)[:5000])
	var owners, refs []string
	for i := range 300 {
		owners = append(owners, fmt.Sprintf("responsable%03d@example.org", i))
		refs = append(refs, fmt.Sprintf("<message.%03d.%s@example.org>", i, strings.Repeat("r", 40)))
	}
	refs = append(refs, "<"+strings.Repeat("x", 2000)+"@example.org>") // no line can hold it
	s := &processor{o: Options{Domain: "lists.test", SMTP: SMTPOptions{Hostname: "lists.test"}}}
	l := storage.List{Address: "jardin@lists.test", Name: strings.Repeat("Jardin partagé ", 100), Owners: owners}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, lt := range []letter{
		{list: l, from: requestAddress(l), to: strings.Join(owners, ", "), now: now,
			text: notice.Text{Subject: "[jardin] À modérer : " + title, Body: "Bonjour,\n"}, attach: []byte("Subject: x\r\n\r\ny\r\n")},
		{list: l, now: now, inReplyTo: refs[len(refs)-1], refs: refs,
			text: notice.Text{Subject: "[jardin] Adoptée : " + title, Body: "Adoptée.\n"}},
		{list: l, now: now, text: notice.Text{Subject: strings.Repeat("z", 3000), Body: "ascii\n"}},
	} {
		c := s.compose(lt)
		hdr, _, ok := bytes.Cut(c.raw, []byte("\r\n\r\n"))
		if !ok {
			t.Fatal("no end of header")
		}
		for i, line := range bytes.Split(hdr, []byte("\r\n")) {
			if len(line) > 998 {
				t.Errorf("header line %d has %d octets: %.60q…", i, len(line), line)
			}
		}
		m, err := mail.CreateReader(bytes.NewReader(c.raw))
		if err != nil {
			t.Fatalf("go-message cannot read the message: %v", err)
		}
		if got, err := m.Header.Subject(); err != nil || got != lt.text.Subject {
			t.Errorf("Subject decodes to %.50q…, %v; want %.50q…", got, err, lt.text.Subject)
		}
		if lt.to != "" {
			if to, err := m.Header.AddressList("To"); err != nil || len(to) != 300 {
				t.Errorf("To has %d addresses, %v; want 300", len(to), err)
			}
		}
		if lt.refs != nil {
			if ids, err := m.Header.MsgIDList("References"); err != nil || len(ids) != 300 {
				t.Errorf("References has %d ids, %v; want the 300 that fit on a line", len(ids), err)
			}
			if m.Header.Has("In-Reply-To") {
				t.Errorf("In-Reply-To kept an id longer than a line")
			}
		}
		if from, err := m.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != listDisplayName(l) {
			t.Errorf("From: %v, %v", from, err)
		}
	}
}
