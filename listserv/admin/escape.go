package admin

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Escape returns s, text that came from mail (a Subject, an address, a
// display name, a reason, a title), safe to print on a terminal: the
// characters that could move the cursor, rewrite the screen or reverse
// the text around them are written as escapes. These are the C0 controls
// (tab and newline included: in a table they would break rows), DEL, the
// C1 controls, the bidirectional embeddings, overrides and isolates
// (U+202A–U+202E, U+2066–U+2069) and bytes that are not UTF-8: ESC is
// written \x1b, U+202E \u202e, a stray byte \xff. The rest, accents and
// all, is kept.
func Escape(s string) string { return escape(s, false, false) }

// escapeOutput is the last pass over what a command prints: Escape, but
// newlines and tabs stay (they are the output's own layout); with asJSON
// the escapes are JSON's (\u001b), which encoding/json leaves undone for
// DEL, the C1 controls and the bidi controls.
func escapeOutput(s string, asJSON bool) string { return escape(s, true, asJSON) }

// unsafe reports whether r must be escaped.
func unsafe(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

func escape(s string, keepLayout, asJSON bool) string {
	safe := func(r rune) bool { return !unsafe(r) || keepLayout && (r == '\n' || r == '\t') }
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !safe(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			if asJSON {
				b.WriteString(`\ufffd`)
			} else {
				fmt.Fprintf(&b, `\x%02x`, s[i])
			}
		case safe(r):
			b.WriteString(s[i : i+n])
		case r < 0x80 && !asJSON:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += n
	}
	return b.String()
}

// wantsJSON reports whether a command line asks for JSON output.
func wantsJSON(args []string) bool {
	for _, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "json" {
			continue
		}
		if !hasValue {
			return true
		}
		b, err := strconv.ParseBool(value)
		return err == nil && b
	}
	return false
}
