package config

import (
	"sort"
	"strings"
)

// What an unknown key or table was probably meant to be: a key of the
// same table at an edit distance of at most 2 ("lisen": listen), else a
// key of that name in another table ("[smtp] listen" for a listen at the
// top of the file).

// maxSuggestDistance is the largest edit distance of a suggestion.
const maxSuggestDistance = 2

// suggestKey returns what to add to "unknown key" for the key at path:
// "; did you mean …?", or nothing when nothing is close.
func (d *decoder) suggestKey(path []string) text {
	table, name := strings.Join(path[:len(path)-1], "."), path[len(path)-1]
	var near []string
	best := maxSuggestDistance + 1
	var elsewhere []text
	for _, key := range d.leafNames() {
		t, k := splitKey(key)
		switch {
		case t == table:
			switch dist := editDistance(strings.ToLower(name), k); {
			case dist > maxSuggestDistance:
			case dist < best:
				near, best = []string{k}, dist
			case dist == best:
				near = append(near, k)
			}
		case strings.EqualFold(k, name):
			if t == "" {
				elsewhere = append(elsewhere, say("%s (at the top of the file, before any [table])",
					"%s (en haut du fichier, avant toute [table])", k))
			} else {
				elsewhere = append(elsewhere, say("[%s] %s", "[%s] %s", t, k))
			}
		}
	}
	if len(near) > 0 {
		return didYouMean(same(near))
	}
	return didYouMean(elsewhere)
}

// suggestTable returns what to add to "unknown table" for the table at
// path: the tables at an edit distance of at most 2, or nothing.
func (d *decoder) suggestTable(path []string) text {
	name := strings.ToLower(strings.Join(path, "."))
	var near []string
	best := maxSuggestDistance + 1
	var tables []string
	for t := range d.tables {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		if t == "" {
			continue
		}
		switch dist := editDistance(name, t); {
		case dist > maxSuggestDistance:
		case dist < best:
			near, best = []string{"[" + t + "]"}, dist
		case dist == best:
			near = append(near, "["+t+"]")
		}
	}
	return didYouMean(same(near))
}

// leafNames returns the dotted names of every key, in the order of the
// Config's fields.
func (d *decoder) leafNames() []string {
	names := make([]string, 0, len(d.leaves))
	for k := range d.leaves {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := d.leaves[names[i]], d.leaves[names[j]]
		for n := 0; n < len(a) && n < len(b); n++ {
			if a[n] != b[n] {
				return a[n] < b[n]
			}
		}
		return len(a) < len(b)
	})
	return names
}

// splitKey splits a dotted key into its table ("" at the top) and name.
func splitKey(key string) (table, name string) {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}

// didYouMean returns "; did you mean A, B or C?", nothing for no
// items.
func didYouMean(items []text) text {
	if len(items) == 0 {
		return text{}
	}
	var en, fr []string
	for _, t := range items {
		en, fr = append(en, t.en), append(fr, t.fr)
	}
	return say("; did you mean %s?", " ; vouliez-vous dire %s ?", text{en: orList(en, "or"), fr: orList(fr, "ou")})
}

// same returns names as texts, the same in both languages.
func same(names []string) []text {
	out := make([]text, len(names))
	for i, n := range names {
		out[i] = text{en: n, fr: n}
	}
	return out
}

// orList joins items as "a", "a or b", "a, b or c" (with the word or).
func orList(items []string, or string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + or + " " + items[len(items)-1]
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(y)]
}
