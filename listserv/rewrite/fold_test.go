package rewrite

import (
	"bufio"
	"bytes"
	"fmt"
	"mime"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

// longLines returns the lines of a header block longer than 998 octets.
func longLines(block string) []int {
	var long []int
	for i, line := range strings.Split(block, "\r\n") {
		if len(line) > MaxLineLength {
			long = append(long, i)
		}
	}
	return long
}

func TestFoldKeepsTheValue(t *testing.T) {
	t.Parallel()
	var owners []string
	for i := range 300 {
		owners = append(owners, fmt.Sprintf("owner%03d@example.org", i))
	}
	field := "To: " + strings.Join(owners, ", ")
	folded := Fold(field)
	for i, line := range strings.Split(folded, "\r\n") {
		if len(line) > foldLength {
			t.Errorf("line %d has %d octets: %q", i, len(line), line)
		}
		if i > 0 && line[0] != ' ' {
			t.Errorf("continuation line %d does not start with a space: %q", i, line)
		}
	}
	if strings.ReplaceAll(folded, "\r\n", "") != field {
		t.Errorf("unfolding does not give the field back")
	}
	if got := Fold("Subject: short"); got != "Subject: short" {
		t.Errorf("a short field was changed: %q", got)
	}
	// Never a line of whitespace alone, never a fold after the name.
	if got := Fold("X-Long: " + strings.Repeat("a", 100) + "   "); strings.Contains(got, "\r\n") {
		t.Errorf("folded before trailing whitespace or after the name: %q", got)
	}
}

func TestEncodeTextAndPhrase(t *testing.T) {
	t.Parallel()
	dec := mime.WordDecoder{}
	for _, s := range []string{
		"Réunion jeudi",
		strings.Repeat("x", 5000),
		strings.Repeat("é", 3000),
		"  spaces  kept  " + strings.Repeat("y", 1000),
	} {
		e := EncodeText(s)
		if longestWord(e) > MaxWord {
			t.Errorf("EncodeText(%.20q…) keeps a word of %d octets", s, longestWord(e))
		}
		if got, err := dec.DecodeHeader(e); err != nil || got != s {
			t.Errorf("EncodeText(%.20q…) decodes to %.20q…, %v", s, got, err)
		}
		if f := Fold("Subject: " + e); !Fits(f) {
			t.Errorf("EncodeText(%.20q…) does not fold under 998 octets", s)
		}
	}
	if got := Phrase(`Jardin "du coin"`); got != `"Jardin \"du coin\""` {
		t.Errorf("Phrase of an ASCII name: %s", got)
	}
	long := strings.Repeat("n", 2000)
	if p := Phrase(long); longestWord(p) > MaxWord {
		t.Errorf("Phrase of a name without spaces keeps a word of %d octets", longestWord(p))
	}
}

// Every line Header writes is under 998 octets: the Subject from a
// 5,000-character title, the Cc the From rewrite extends, the rewritten
// From of a long display name, List-Id of a long list name. The block
// still parses, with the same Subject.
func TestHeaderFoldsWhatItWrites(t *testing.T) {
	t.Parallel()
	title := strings.Repeat("Le jardin partagé ouvre le dimanche — ", 140)[:5000]
	var cc []string
	for i := range 300 {
		cc = append(cc, fmt.Sprintf("voisin%03d@example.org", i))
	}
	raw := "From: " + mime.QEncoding.Encode("utf-8", strings.Repeat("Alice Martin-Dupont ", 100)) + " <alice@example.org>\r\n" +
		"To: jardin@lists.test\r\n" +
		"Cc: " + strings.Join(cc, ",\r\n ") + "\r\n" +
		"Subject: " + strings.ReplaceAll(mime.QEncoding.Encode("utf-8", title), " ", "\r\n ") + "\r\n" +
		"Message-ID: <m1@example.org>\r\n\r\nbody\r\n"
	list := List{Address: "jardin@lists.test", Name: strings.Repeat("Jardin ", 300), FromRewrite: "always"}
	for _, o := range []Options{
		{List: list},
		{List: list, Subject: mime.QEncoding.Encode("utf-8", "[jardin] [PROPOSITION #1] "+title)},
		{List: list, Extra: []string{"X-Tacit-Title: " + title}},
	} {
		hdr, _ := rewriteOK(t, raw, o)
		if long := longLines(hdr); len(long) > 0 {
			t.Errorf("lines %v longer than 998 octets", long)
		}
		h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(hdr)))
		if err != nil {
			t.Fatalf("the block does not parse: %v", err)
		}
		want := "[jardin] " + title
		if o.Subject != "" {
			want = "[jardin] [PROPOSITION #1] " + title
		}
		if got := DecodeHeader(h.Get("Subject")); got != want {
			t.Errorf("Subject decodes to %.60q…, want %.60q…", got, want)
		}
		if got := h.Get("Cc"); strings.Count(got, "@") != 301 {
			t.Errorf("Cc has %d addresses, want 301", strings.Count(got, "@"))
		}
	}
	// An ASCII Subject without spaces, longer than a line, is encoded.
	raw = "From: alice@example.org\r\nSubject: " + strings.Repeat("z", 3000) + "\r\n\r\nbody\r\n"
	hdr, _ := rewriteOK(t, raw, Options{List: jardin})
	h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(hdr)))
	if err != nil || len(longLines(hdr)) > 0 || DecodeHeader(h.Get("Subject")) != "[jardin] "+strings.Repeat("z", 3000) {
		t.Errorf("a 3,000-octet word in the Subject: lines %v, Subject %.40q…, %v", longLines(hdr), h.Get("Subject"), err)
	}
	if !bytes.HasPrefix([]byte(hdr), []byte("List-Id: ")) {
		t.Errorf("the block does not start with List-Id: %.80q", hdr)
	}
}
