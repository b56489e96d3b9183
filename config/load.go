package config

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Load reads the TOML file at path on top of Default: a key absent from
// the file keeps its default. With path "" it returns the validated
// defaults.
//
// Every problem is reported at once: unknown keys and tables, values of
// the wrong type, and the checks of Validate, each as an Error with the
// file and line, in file order, in one Errors. A TOML syntax error stops
// the reading and is reported alone, with its line. A file that cannot
// be read gives a wrapped *fs.PathError instead.
//
// Load lowercases domain and smtp.hostname and removes a trailing "/"
// from http.base_url.
func Load(path string) (*Config, error) {
	if path == "" {
		c := Default()
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return c, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for a document already in memory; name is used as the
// file name in errors and as Config.Path. A leading UTF-8 byte order mark
// (some Windows editors write one) is ignored.
func Parse(name string, data []byte) (*Config, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	c := Default()
	c.Path = name
	d := &decoder{
		file:   name,
		data:   data,
		cfg:    reflect.ValueOf(c).Elem(),
		leaves: map[string][]int{},
		tables: map[string]bool{},
		pos:    map[string]position{},
		failed: map[string]bool{},
	}
	schema(reflect.TypeOf(*c), "", nil, d.leaves, d.tables)
	if err := d.decode(); err != nil {
		return nil, err
	}

	c.Domain = strings.ToLower(c.Domain)
	c.SMTP.Hostname = strings.ToLower(c.SMTP.Hostname)
	if t := strings.TrimRight(c.HTTP.BaseURL, "/"); t != c.HTTP.BaseURL && checkBaseURL(t).empty() {
		c.HTTP.BaseURL = t
	}

	for _, p := range c.check() {
		if d.anyFailed(p.keys) {
			continue // the value is still the default; its type error is enough
		}
		key, at := p.keys[0], position{}
		for _, k := range p.keys {
			if q, ok := d.pos[k]; ok {
				key, at = k, q
				break
			}
		}
		d.add(at, key, p.at(key))
	}
	if len(d.errs) > 0 {
		return nil, d.sorted()
	}
	return c, nil
}

// position is where a key starts in the file: its line (0 means
// nowhere) and its byte offset.
type position struct {
	line, off int
}

// located is an Error with its byte offset, for sorting.
type located struct {
	Error
	off int
}

// decoder walks one TOML document and sets the fields of a Config.
type decoder struct {
	file string
	data []byte
	cfg  reflect.Value // the Config being filled
	root map[string]any

	leaves map[string][]int // dotted key -> field index from Config
	tables map[string]bool  // dotted key of every known table ("" is the root)

	pos    map[string]position // keys set by the file
	failed map[string]bool     // keys whose value could not be used
	errs   []located
	nl     []int // offsets of '\n' in data
}

// schema fills leaves and tables from the toml tags of t.
func schema(t reflect.Type, prefix string, index []int, leaves map[string][]int, tables map[string]bool) {
	tables[prefix] = true
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if !f.IsExported() || tag == "" || tag == "-" {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		idx := append(append([]int(nil), index...), i)
		if f.Type.Kind() == reflect.Struct && !reflect.PointerTo(f.Type).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
			schema(f.Type, key, idx, leaves, tables)
			continue
		}
		leaves[key] = idx
	}
}

// decode checks the syntax with go-toml's decoder, then walks the
// document with its parser to place each key on its line.
func (d *decoder) decode() error {
	if err := toml.Unmarshal(d.data, &d.root); err != nil {
		var de *toml.DecodeError
		line := 0
		if errors.As(err, &de) {
			line, _ = de.Position()
		}
		detail := strings.TrimPrefix(err.Error(), "toml: ")
		return Errors{{File: d.file, Line: line, Msg: "invalid TOML: " + detail, MsgFr: "TOML invalide : " + detail}}
	}
	for i, b := range d.data {
		if b == '\n' {
			d.nl = append(d.nl, i)
		}
	}

	var p unstable.Parser
	p.Reset(d.data)
	var current []string
	skip := false // inside a table already reported
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			path, at := d.keyOf(&p, e)
			current, skip = path, false
			name := displayKey(path)
			if e.Kind == unstable.Table && d.tables[name] {
				continue
			}
			skip = true
			_, leaf := d.leaves[name]
			switch {
			case d.tables[name]:
				d.add(at, name, say("expected a table, got an array of tables", "il faut une table, pas un tableau de tables"))
			case leaf:
				d.add(at, name, say("expected %s, got a table", "il faut %s, pas une table", d.want(name)))
				d.failed[name] = true
			default:
				d.add(at, name, say("unknown table (misspelt, or not one of tacit's tables)",
					"table inconnue (faute de frappe, ou pas une table de tacit)").plus(d.suggestTable(path)))
			}
		case unstable.KeyValue:
			if !skip {
				d.keyValue(&p, current, e)
			}
		}
	}
	if err := p.Error(); err != nil {
		// go-toml's decoder accepted the document, so this is unexpected.
		line := 0
		var pe *unstable.ParserError
		if errors.As(err, &pe) {
			line = d.line(d.offset(pe.Highlight))
		}
		return Errors{{File: d.file, Line: line, Msg: "invalid TOML: " + err.Error(), MsgFr: "TOML invalide : " + err.Error()}}
	}
	return nil
}

// keyValue handles "key = value" under the table prefix, descending into
// inline tables.
func (d *decoder) keyValue(p *unstable.Parser, prefix []string, n *unstable.Node) {
	keys, at := d.keyOf(p, n)
	path := append(append([]string(nil), prefix...), keys...)
	name := displayKey(path)
	v := n.Value()
	if d.tables[name] {
		if v.Kind != unstable.InlineTable {
			d.add(at, name, say("expected a table, got %s", "il faut une table, pas %s", describe(lookup(d.root, path))))
			return
		}
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				d.keyValue(p, path, c)
			}
		}
		return
	}
	idx, ok := d.leaves[name]
	if !ok {
		d.add(at, name, say("unknown key (misspelt, or in the wrong table)",
			"clé inconnue (faute de frappe, ou dans la mauvaise table)").plus(d.suggestKey(path)))
		return
	}
	d.pos[name] = at
	if msg := d.set(name, idx, lookup(d.root, path)); !msg.empty() {
		d.failed[name] = true
		d.add(at, name, msg)
	}
}

// set stores val, as go-toml decoded it, in the field at idx; it returns
// what is wrong, or nothing.
func (d *decoder) set(name string, idx []int, val any) text {
	wrong := func() text { return say("expected %s, got %s", "il faut %s, pas %s", d.want(name), describe(val)) }
	f := d.cfg.FieldByIndex(idx)
	if u, ok := f.Addr().Interface().(encoding.TextUnmarshaler); ok {
		s, ok := val.(string)
		if !ok {
			return wrong()
		}
		if err := u.UnmarshalText([]byte(s)); err != nil {
			return textOf(err)
		}
		return text{}
	}
	switch f.Kind() {
	case reflect.String:
		if s, ok := val.(string); ok {
			f.SetString(s)
			return text{}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n, ok := val.(int64); ok {
			if f.OverflowInt(n) {
				return say("%d is too large", "%d est trop grand", n)
			}
			f.SetInt(n)
			return text{}
		}
	case reflect.Bool:
		if b, ok := val.(bool); ok {
			f.SetBool(b)
			return text{}
		}
	}
	return wrong()
}

// want describes the TOML value expected for the leaf key name.
func (d *decoder) want(name string) text {
	f := d.cfg.FieldByIndex(d.leaves[name])
	if _, ok := f.Addr().Interface().(*Duration); ok {
		return say(`a duration in quotes (like "3d" or "72h")`, `une durée entre guillemets (comme "3d" ou "72h")`)
	}
	switch f.Kind() {
	case reflect.String:
		return say("a string in quotes", "une chaîne entre guillemets")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return say("a whole number", "un nombre entier")
	case reflect.Bool:
		return say("true or false", "true ou false")
	}
	return say("a %s", "un %s", f.Type().String())
}

// describe names a value go-toml decoded, for error messages.
func describe(v any) text {
	switch v := v.(type) {
	case string:
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return say("the string %q", "la chaîne %q", v)
	case int64:
		return say("the number %d", "le nombre %d", v)
	case float64:
		n := strconv.FormatFloat(v, 'g', -1, 64)
		return say("the number %s", "le nombre %s", n)
	case bool:
		return say("%t", "%t", v)
	case []any:
		return say("an array", "un tableau")
	case map[string]any:
		return say("a table", "une table")
	case time.Time, toml.LocalDate, toml.LocalTime, toml.LocalDateTime:
		return say("a date or time", "une date ou une heure")
	}
	return say("a value", "une valeur")
}

// lookup finds the value at path in the generic decoding of the document.
func lookup(root map[string]any, path []string) any {
	var v any = root
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// keyOf returns the parts of the key of a KeyValue, Table or ArrayTable
// node and the position of its first part.
func (d *decoder) keyOf(p *unstable.Parser, n *unstable.Node) ([]string, position) {
	var parts []string
	at := position{}
	it := n.Key()
	for it.Next() {
		k := it.Node()
		if parts == nil {
			off := int(k.Raw.Offset)
			at.line = d.line(off)
			at.off = off
		}
		parts = append(parts, string(k.Data))
	}
	return parts, at
}

// displayKey joins key parts with dots, quoting the parts that are not
// bare TOML keys (so `"smtp.listen" = 1` never matches smtp.listen).
func displayKey(parts []string) string {
	out := make([]string, len(parts))
	for i, s := range parts {
		out[i] = s
		if s == "" || strings.IndexFunc(s, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		}) >= 0 {
			out[i] = strconv.Quote(s)
		}
	}
	return strings.Join(out, ".")
}

// line returns the 1-based line of a byte offset.
func (d *decoder) line(offset int) int {
	return sort.SearchInts(d.nl, offset) + 1
}

// offset returns where b starts in d.data, or 0 if b is not part of it.
func (d *decoder) offset(b []byte) int {
	off := cap(d.data) - cap(b)
	if off < 0 || off > len(d.data) {
		return 0
	}
	return off
}

// add records a problem of key at a position of the file; msg is
// written after the key.
func (d *decoder) add(at position, key string, msg text) {
	msg = keyed(key, msg)
	d.errs = append(d.errs, located{
		Error: Error{File: d.file, Line: at.line, Key: key, Msg: msg.en, MsgFr: msg.fr},
		off:   at.off,
	})
}

// anyFailed reports whether one of keys had a value of the wrong type.
func (d *decoder) anyFailed(keys []string) bool {
	for _, k := range keys {
		if d.failed[k] {
			return true
		}
	}
	return false
}

// sorted returns the errors in file order; those without a line last.
func (d *decoder) sorted() Errors {
	sort.SliceStable(d.errs, func(i, j int) bool {
		a, b := d.errs[i], d.errs[j]
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.off < b.off
	})
	out := make(Errors, len(d.errs))
	for i, e := range d.errs {
		out[i] = e.Error
	}
	return out
}
