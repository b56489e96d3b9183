package sealed

import (
	"bytes"
	"strings"
	"testing"
)

// A sealed payload comes back whole; any change to the token, another
// key or another context, and a token too short or too long, is refused.
func TestSealOpen(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte("k"), 32)
	payload := []byte("\x01jardin@lists.test")
	tok := Seal(key, "ctx", payload)
	if got, ok := Open(key, "ctx", tok, 1); !ok || !bytes.Equal(got, payload) {
		t.Fatalf("Open(Seal(p)) = %q, %v; want %q", got, ok, payload)
	}
	flip := []byte(tok)
	flip[3] ^= 1
	for name, c := range map[string]struct {
		key      []byte
		ctx, tok string
		min      int
	}{
		"altered":       {key, "ctx", string(flip), 1},
		"other key":     {bytes.Repeat([]byte("j"), 32), "ctx", tok, 1},
		"no key":        {nil, "ctx", tok, 1},
		"other context": {key, "", tok, 1},
		"line break":    {key, "ctx", tok[:4] + "\r\n" + tok[4:], 1},
		"truncated":     {key, "ctx", tok[:len(tok)-1], 1},
		"payload short": {key, "ctx", tok, len(payload) + 1},
		"too long":      {key, "ctx", strings.Repeat("A", MaxTokenLen+1), 0},
		"empty":         {key, "ctx", "", 0},
	} {
		if got, ok := Open(c.key, c.ctx, c.tok, c.min); ok {
			t.Errorf("%s: opened, payload %q", name, got)
		}
	}
}
