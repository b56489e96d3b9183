package mailtext

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// nested builds a message of levels multiparts, each the only part of
// the one above, around a text/plain part reading text; after (when not
// "") is a text part placed after the nested branch, in the message's
// own multipart.
func nested(levels int, text, after string) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.test\r\nSubject: deep\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\n%s\r\n", levels-1, text)
	for i := levels - 1; i >= 1; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	if after != "" {
		fmt.Fprintf(&b, "--b0\r\nContent-Type: text/plain\r\n\r\n%s\r\n", after)
	}
	b.WriteString("--b0--\r\n")
	return []byte(b.String())
}

// wide builds a multipart/mixed of n image parts followed by a text
// part reading text; before (when not "") is a text part in front.
func wide(n int, before, text string) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.test\r\nSubject: wide\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"w\"\r\n\r\n")
	if before != "" {
		fmt.Fprintf(&b, "--w\r\nContent-Type: text/plain\r\n\r\n%s\r\n", before)
	}
	for range n {
		b.WriteString("--w\r\nContent-Type: image/png\r\n\r\nx\r\n")
	}
	fmt.Fprintf(&b, "--w\r\nContent-Type: text/plain\r\n\r\n%s\r\n--w--\r\n", text)
	return []byte(b.String())
}

// quick is how long reading one of the hostile messages may take.
var quick = func() time.Duration {
	if raceEnabled {
		return 5 * time.Second
	}
	return time.Second
}()

// MIME is read to MaxDepth levels and MaxParts parts (SPEC section 11):
// a text deeper or further is not read, whatever the cost of reaching
// it, and reading stays fast however the message is built.
func TestTextBoundedMIME(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		raw     []byte
		want    string
		wantErr error
	}{
		// The text part is at level levels.
		"text at the deepest level read": {nested(MaxDepth, "OBJECTION", ""), "OBJECTION\n", nil},
		"text one level deeper":          {nested(MaxDepth+1, "OBJECTION", ""), "", ErrTooDeep},
		"text 20,000 levels deep":        {nested(20_000, "OBJECTION", ""), "", ErrTooDeep},
		"text after a deep branch":       {nested(20_000, "OBJECTION", "Pas d'objection"), "Pas d'objection\n", nil},
		"text in the last part read":     {wide(MaxParts-2, "", "OBJECTION"), "OBJECTION\n", nil},
		"text one part further":          {wide(MaxParts-1, "", "OBJECTION"), "", ErrTooManyParts},
		"text after 100,000 parts":       {wide(100_000, "", "OBJECTION"), "", ErrTooManyParts},
		"text before 100,000 parts":      {wide(100_000, "Pas d'objection", "OBJECTION"), "Pas d'objection\n", nil},
	} {
		start := time.Now()
		got, err := Text(c.raw)
		took := time.Since(start)
		t.Logf("%s (%d bytes): %v", name, len(c.raw), took)
		if got != c.want || !errors.Is(err, c.wantErr) {
			t.Errorf("%s: %q, %v; want %q, %v", name, got, err, c.want, c.wantErr)
		}
		if took > quick {
			t.Errorf("%s: Text took %v", name, took)
		}
	}
}

// A header is read to its first MaxHeader bytes: a 24 MB header of short
// fields took Subject over a second.
func TestSubjectBoundedHeader(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ raw, want string }{
		"subject first": {"Subject: tôt\r\n" + strings.Repeat("X-A: b\r\n", 3_000_000) + "\r\nx\r\n", "tôt"},
		"subject after": {strings.Repeat("X-A: b\r\n", 3_000_000) + "Subject: tard\r\n\r\nx\r\n", ""},
	} {
		start := time.Now()
		got, err := Subject([]byte(c.raw))
		took := time.Since(start)
		t.Logf("%s: %v", name, took)
		if got != c.want || err != nil {
			t.Errorf("%s: %q, %v; want %q", name, got, err, c.want)
		}
		if took > quick {
			t.Errorf("%s: Subject took %v", name, took)
		}
	}
}
