package smtpin

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestObserveCountsOutcomesAndTheLogNamesTheMessage(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	var logs syncBuffer
	addr, _ := serve(t, Options{MaxMessageBytes: 200,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Observe: func(result, reason string) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, result+"/"+reason)
		}}, nil)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := "Subject: hi\r\nMessage-ID:\r\n <folded@example.org>\r\n\r\nbody\r\n"
	if err := c.SendMail("a@example.org", []string{"list@lists.test"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("a@example.org", []string{"nobody@lists.test"}, strings.NewReader(msg)); err == nil {
		t.Fatal("unknown recipient accepted")
	}
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("a@example.org", []string{"list@lists.test"}, strings.NewReader(strings.Repeat("x", 500))); err == nil {
		t.Fatal("oversized message accepted")
	}
	// Each outcome is counted and logged before its reply is written.
	mu.Lock()
	got := strings.Join(seen, " ")
	mu.Unlock()
	if got != "accepted/ rejected/no such list rejected/too large" {
		t.Errorf("observed %q", got)
	}
	line := ""
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, "result=accepted") {
			line = l
		}
	}
	if !strings.Contains(line, `msg="smtp transaction"`) || !strings.Contains(line, " message=1 ") ||
		!strings.Contains(line, "message_id=<folded@example.org>") {
		t.Errorf("transaction line %q lacks message=1 and message_id", line)
	}
}

func TestMessageIDReadsTheHeaderOnly(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"Message-Id: <a@b>\r\n\r\n":                          "<a@b>",
		"Subject: x\r\nMESSAGE-ID:   <c@d> \r\n\r\nbody\r\n": "<c@d>",
		"Subject: x\r\n\r\nMessage-ID: <in@body>\r\n":        "",
		"Message-ID-Extra: <no@x>\r\n\r\n":                   "",
		"":                                                   "",
		"Message-ID: <a\xffb@x>\n\n":                         "<a\uFFFDb@x>",
	} {
		if got := messageID([]byte(raw)); got != want {
			t.Errorf("messageID(%q) = %q, want %q", raw, got, want)
		}
	}
}
