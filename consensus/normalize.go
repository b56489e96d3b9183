package consensus

import (
	"strings"
	"unicode"
)

// fold maps the characters that mail clients put in place of plain ones:
// no-break and thin spaces, curly apostrophes and quotes.
var fold = strings.NewReplacer(
	"\u00a0", " ", "\u202f", " ", "\u2007", " ", "\u2009", " ", "\u2002", " ", "\u2003", " ", "\t", " ",
	"\u2019", "'", "\u2018", "'", "\u02bc", "'", "\u00b4", "'", "`", "'",
	"\u201c", "\"", "\u201d", "\"", "\u00ab", "\"", "\u00bb", "\"",
	"\u2013", "-", "\u2212", "-", "\u200b", "", "\ufeff", "",
)

// unaccent maps the accented letters of the languages tacit's users write
// to their base letter (lower case).
var unaccent = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae",
	'ç': "c", 'è': "e", 'é': "e", 'ê': "e", 'ë': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ñ': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'œ': "oe",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'ÿ': "y", 'ß': "ss",
}

// Normalize returns s as the grammar compares it: no-break spaces folded
// to spaces, curly apostrophes to "'", lower case, without accents, runs
// of spaces collapsed, trimmed.
func Normalize(s string) string {
	s = fold.Replace(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		r = unicode.ToLower(r)
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if base, ok := unaccent[r]; ok {
			b.WriteString(base)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
