package mailtext

import (
	"errors"
	"strings"
	"testing"
	"time"

	"tacit/internal/mimetest"
)

// MIME is read to MaxDepth levels and MaxParts parts (docs/security.md):
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
		"text at the deepest level read": {mimetest.Nested(MaxDepth, "OBJECTION", ""), "OBJECTION\n", nil},
		"text one level deeper":          {mimetest.Nested(MaxDepth+1, "OBJECTION", ""), "", ErrTooDeep},
		"text 20,000 levels deep":        {mimetest.Nested(20_000, "OBJECTION", ""), "", ErrTooDeep},
		"text after a deep branch":       {mimetest.Nested(20_000, "OBJECTION", "Pas d'objection"), "Pas d'objection\n", nil},
		"text in the last part read":     {mimetest.Wide(MaxParts-2, "", "OBJECTION"), "OBJECTION\n", nil},
		"text one part further":          {mimetest.Wide(MaxParts-1, "", "OBJECTION"), "", ErrTooManyParts},
		"text after 100,000 parts":       {mimetest.Wide(100_000, "", "OBJECTION"), "", ErrTooManyParts},
		"text before 100,000 parts":      {mimetest.Wide(100_000, "Pas d'objection", "OBJECTION"), "Pas d'objection\n", nil},
	} {
		start := time.Now()
		got, err := Text(c.raw)
		took := time.Since(start)
		t.Logf("%s (%d bytes): %v", name, len(c.raw), took)
		if got != c.want || !errors.Is(err, c.wantErr) {
			t.Errorf("%s: %q, %v; want %q, %v", name, got, err, c.want, c.wantErr)
		}
		if took > mimetest.Quick() {
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
		if took > mimetest.Quick() {
			t.Errorf("%s: Subject took %v", name, took)
		}
	}
}
