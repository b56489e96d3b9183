package mailtext

import (
	"html"
	"strings"
	"unicode/utf8"
)

// OutlookSeparator is the line written where Outlook's reply header
// begins in HTML mail (#appendonsend, #divRplyFwdMsg): the line of
// underscores its plain-text version has there.
const OutlookSeparator = "________________________________"

const (
	// maxStack bounds the open elements tracked by the HTML converter.
	maxStack = 1024
	// maxQuote bounds the "> " written before a line.
	maxQuote = 100
)

// blockElements break the line before and after them.
var blockElements = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "body": true,
	"caption": true, "center": true, "dd": true, "details": true, "dialog": true,
	"dir": true, "div": true, "dl": true, "dt": true, "fieldset": true,
	"figcaption": true, "figure": true, "footer": true, "form": true, "h1": true,
	"h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "header": true,
	"hgroup": true, "hr": true, "html": true, "li": true, "main": true, "menu": true,
	"nav": true, "ol": true, "p": true, "pre": true, "section": true, "summary": true,
	"table": true, "tbody": true, "tfoot": true, "thead": true, "tr": true, "ul": true,
}

// voidElements have no end tag and are never pushed on the stack.
var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "param": true,
	"source": true, "track": true, "wbr": true,
}

// skipElements have content that is not shown as text.
var skipElements = map[string]bool{
	"script": true, "style": true, "title": true, "textarea": true, "xmp": true,
	"iframe": true, "noembed": true, "noframes": true, "template": true, "object": true,
}

// quoteClasses mark the quote containers of webmails.
var quoteClasses = []string{"gmail_quote", "yahoo_quoted", "protonmail_quote"}

// element is an open element.
type element struct {
	name  string
	quote bool // a quote container: its lines get "> "
	pre   bool
	para  bool // a paragraph with margins
}

// converter writes the text of an HTML document line by line.
type converter struct {
	out       strings.Builder
	line      strings.Builder // current line, without its quote prefix
	space     bool            // whitespace pending before the next word
	blanks    int             // blank lines just written
	written   bool            // a line has been written
	quote     int             // quote depth
	pre       int             // inside <pre>
	stack     []element
	open      map[string]int // how many elements of each name are on the stack
	bullet    bool           // a list item starts: "- " before its first text
	para      bool           // a paragraph starts or ends: a blank line before the next text
	lastQuote int            // quote depth of the last line written
	separated bool           // the Outlook separator is written
	tooLarge  bool
}

// htmlToText converts an HTML document to text (see Text).
func htmlToText(doc string) (string, error) {
	c := &converter{open: map[string]int{}}
	c.run(doc)
	c.breakLine()
	if c.tooLarge {
		return "", ErrTooLarge
	}
	out := strings.TrimRight(c.out.String(), "\n")
	if out == "" {
		return "", nil
	}
	return out + "\n", nil
}

func (c *converter) run(doc string) {
	lower := asciiLower(doc)
	i := 0
	for i < len(doc) && !c.tooLarge {
		lt := strings.IndexByte(doc[i:], '<')
		if lt < 0 {
			c.text(doc[i:])
			return
		}
		c.text(doc[i : i+lt])
		i += lt
		rest := doc[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest[4:], "-->")
			if end < 0 {
				return
			}
			i += 4 + end + 3
		case strings.HasPrefix(rest, "<!") || strings.HasPrefix(rest, "<?"):
			i += skipTo(rest, '>')
		case strings.HasPrefix(rest, "</"):
			name, n := tagName(lower, i+2)
			i = n + skipTo(doc[n:], '>')
			if name != "" {
				c.end(name)
			}
		case len(rest) > 1 && isLetter(rest[1]):
			name, n := tagName(lower, i+1)
			attrs, n := attributes(doc, n)
			i = n
			if skipElements[name] {
				end := strings.Index(lower[i:], "</"+name)
				if end < 0 {
					return
				}
				i += end
				continue
			}
			c.start(name, attrs)
		default:
			c.text("<")
			i++
		}
	}
}

// skipTo returns the index just after the first b in s, or len(s).
func skipTo(s string, b byte) int {
	if k := strings.IndexByte(s, b); k >= 0 {
		return k + 1
	}
	return len(s)
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// asciiLower lowers ASCII letters only, so that indexes stay the same.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// tagName reads a tag name in the lowered document from i.
func tagName(lower string, i int) (string, int) {
	j := i
	for j < len(lower) {
		c := lower[j]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '/' || c == '>' {
			break
		}
		j++
	}
	return lower[i:j], j
}

// attributes reads the attributes of a start tag from i up to and
// including its ">"; names are lowered, values unescaped.
func attributes(doc string, i int) (map[string]string, int) {
	var attrs map[string]string
	for i < len(doc) {
		c := doc[i]
		switch {
		case c == '>':
			return attrs, i + 1
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '/':
			i++
			continue
		}
		j := i
		for j < len(doc) && !strings.ContainsRune(" \t\n\r\f/>=", rune(doc[j])) {
			j++
		}
		if j == i { // a lone "="
			j++
		}
		name := asciiLower(doc[i:j])
		i = j
		for i < len(doc) && strings.ContainsRune(" \t\n\r\f", rune(doc[i])) {
			i++
		}
		value := ""
		if i < len(doc) && doc[i] == '=' {
			i++
			for i < len(doc) && strings.ContainsRune(" \t\n\r\f", rune(doc[i])) {
				i++
			}
			if i < len(doc) && (doc[i] == '"' || doc[i] == '\'') {
				q := doc[i]
				k := strings.IndexByte(doc[i+1:], q)
				if k < 0 {
					return attrs, len(doc)
				}
				value = doc[i+1 : i+1+k]
				i += k + 2
			} else {
				j := i
				for j < len(doc) && !strings.ContainsRune(" \t\n\r\f>", rune(doc[j])) {
					j++
				}
				value = doc[i:j]
				i = j
			}
		}
		if attrs == nil {
			attrs = map[string]string{}
		}
		if _, dup := attrs[name]; !dup && len(attrs) < 64 {
			attrs[name] = html.UnescapeString(value)
		}
	}
	return attrs, i
}

// quoteContainer reports whether an element holds quoted text.
func quoteContainer(name string, attrs map[string]string) bool {
	if name == "blockquote" {
		return true
	}
	if attrs["data-marker"] == "__QUOTED_TEXT__" {
		return true
	}
	for _, q := range quoteClasses {
		if hasClass(attrs, q) {
			return true
		}
	}
	return false
}

// hasClass reports whether an element's class attribute lists class.
func hasClass(attrs map[string]string, class string) bool {
	for _, cl := range strings.Fields(attrs["class"]) {
		if strings.EqualFold(cl, class) {
			return true
		}
	}
	return false
}

func (c *converter) start(name string, attrs map[string]string) {
	if id := attrs["id"]; (id == "appendonsend" || id == "divRplyFwdMsg") && !c.separated {
		c.breakLine()
		c.line.WriteString(OutlookSeparator)
		c.breakLine()
		c.separated = true
	}
	if name == "br" {
		c.newline()
		return
	}
	if blockElements[name] {
		c.breakLine()
	}
	para := name == "p" && !hasClass(attrs, "MsoNormal") // Word's paragraphs have no margins
	if para {
		c.para = true
	}
	switch name {
	case "td", "th":
		if c.line.Len() > 0 {
			c.space = true
		}
	case "li":
		c.bullet = true
		c.para = false
	}
	if voidElements[name] || len(c.stack) >= maxStack {
		return
	}
	e := element{name: name, quote: quoteContainer(name, attrs), pre: name == "pre" || name == "listing", para: para}
	c.stack = append(c.stack, e)
	c.open[name]++
	if e.quote {
		c.breakLine()
		c.quote++
	}
	if e.pre {
		c.pre++
	}
}

func (c *converter) end(name string) {
	if name == "br" { // "</br>" is a line break too
		c.newline()
		return
	}
	if c.open[name] == 0 { // a stray end tag
		if blockElements[name] {
			c.breakLine()
		}
		return
	}
	k := len(c.stack) - 1
	for c.stack[k].name != name {
		k--
	}
	for len(c.stack) > k {
		e := c.stack[len(c.stack)-1]
		c.stack = c.stack[:len(c.stack)-1]
		c.open[e.name]--
		if blockElements[e.name] || e.quote {
			c.breakLine()
		}
		if e.quote {
			c.quote--
		}
		if e.pre {
			c.pre--
		}
		if e.name == "li" {
			c.bullet = false
		}
		if e.para {
			c.para = true
		}
	}
}

// text writes character data (entities still escaped).
func (c *converter) text(raw string) {
	if raw == "" {
		return
	}
	s := html.UnescapeString(raw)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	for _, r := range s {
		switch {
		case r == '\r':
		case r == '\n' && c.pre > 0:
			c.newline()
		case r == ' ' || r == '\t' || r == '\n' || r == '\f':
			if c.pre > 0 {
				c.line.WriteRune(r)
			} else if c.line.Len() > 0 {
				c.space = true
			}
		default:
			if c.para && c.line.Len() == 0 {
				if c.written && c.blanks == 0 && !c.bullet && c.lastQuote == min(c.quote, maxQuote) {
					c.newline()
				}
				c.para = false
			}
			if c.bullet && c.line.Len() == 0 {
				c.line.WriteString("- ")
				c.bullet = false
				c.space = false
			}
			if c.space {
				c.line.WriteByte(' ')
				c.space = false
			}
			c.line.WriteRune(r)
		}
	}
	if c.line.Len() > MaxText {
		c.tooLarge = true
	}
}

// breakLine ends the current line if anything was written on it.
func (c *converter) breakLine() {
	if c.line.Len() > 0 {
		c.newline()
	}
	c.space = false
}

// newline ends the current line, even an empty one; blank lines are kept
// one at a time, never at the start.
func (c *converter) newline() {
	raw := c.line.String()
	text := strings.TrimRight(raw, " \t\u00a0")
	if text == "--" && (raw != text || c.space) { // keep the signature separator "-- "
		text = "-- "
	}
	c.line.Reset()
	c.space = false
	if strings.TrimSpace(text) == "" {
		text = ""
		if !c.written || c.blanks > 0 {
			return
		}
		c.blanks++
	} else {
		c.blanks = 0
	}
	c.written = true
	q := min(c.quote, maxQuote)
	c.lastQuote = q
	if q > 0 {
		c.out.WriteString(strings.Repeat(">", q))
		if text != "" {
			c.out.WriteByte(' ')
		}
	}
	c.out.WriteString(text)
	c.out.WriteByte('\n')
	if c.out.Len() > MaxText {
		c.tooLarge = true
	}
}
