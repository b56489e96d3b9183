package imaparchive

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"tacit/internal/mimetest"
	"tacit/listserv/mailtext"
)

// fromStructure is imapserver's structure in the form kept in the store.
func fromStructure(bs imap.BodyStructure) *bodyPart {
	switch bs := bs.(type) {
	case *imap.BodyStructureMultiPart:
		p := &bodyPart{Multi: true, Subtype: bs.Subtype}
		for _, c := range bs.Children {
			p.Children = append(p.Children, fromStructure(c))
		}
		if ext := bs.Extended; ext != nil {
			p.Params, p.Disposition, p.Language, p.Location = ext.Params, ext.Disposition, ext.Language, ext.Location
		}
		return p
	case *imap.BodyStructureSinglePart:
		p := &bodyPart{Type: bs.Type, Subtype: bs.Subtype, Params: bs.Params, ID: bs.ID,
			Description: bs.Description, Encoding: bs.Encoding, Size: bs.Size}
		if bs.Text != nil {
			n := bs.Text.NumLines
			p.Lines = &n
		}
		if m := bs.MessageRFC822; m != nil {
			p.Message = &bodyMessage{Envelope: m.Envelope, Body: fromStructure(m.BodyStructure), Lines: m.NumLines}
		}
		if ext := bs.Extended; ext != nil {
			p.Disposition, p.Language, p.Location = ext.Disposition, ext.Language, ext.Location
		}
		return p
	}
	return &bodyPart{Type: "text", Subtype: "plain"}
}

const forwardedMsg = "From: a@example.test\r\nSubject: Fwd\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n" +
	"--o\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Language: fr, en\r\n\r\nVoir ci-dessous.\r\n" +
	"--o\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline; filename=fwd.eml\r\n\r\n" +
	"From: b@example.test\r\nTo: c@example.test\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n" +
	"Content-Type: multipart/alternative; boundary=\"i\"\r\n\r\n" +
	"--i\r\nContent-Type: text/plain\r\n\r\nun\r\ndeux\r\n--i\r\nContent-Type: text/html\r\nContent-ID: <h@x>\r\n\r\n<p>un</p>\r\n--i--\r\n" +
	"--o\r\nContent-Type: multipart/digest; boundary=\"d\"\r\n\r\n--d\r\n\r\nSubject: dans le digest\r\n\r\ncorps\r\n--d--\r\n" +
	"--o--\r\n"

// Within the bounds, the structure kept is the one imapserver computes:
// every fixture mail of the grammar corpus and a few built here.
func TestStructureMatchesImapserver(t *testing.T) {
	t.Parallel()
	emls, _ := filepath.Glob("../../testdata/mail/*.eml")
	if len(emls) < 100 {
		t.Fatalf("only %d fixture mails", len(emls))
	}
	cases := map[string][]byte{
		"multipart":  []byte(multipartMsg),
		"forwarded":  []byte(forwardedMsg),
		"plain":      []byte(message("a@example.test", "s", "x\r\ny\r\n")),
		"no body":    []byte("Subject: only a header\r\n"),
		"no header":  []byte("\r\nbody\r\n"),
		"bad header": []byte("not a header\r\n\r\nbody"),
		"no parts":   []byte("Content-Type: multipart/mixed; boundary=b\r\n\r\nnothing\r\n"),
		"nested 49":  mimetest.Nested(mailtext.MaxDepth-1, "", ""),
		"wide 998":   mimetest.Wide(mailtext.MaxParts-2, "", ""),
	}
	for _, eml := range emls {
		raw, err := os.ReadFile(eml)
		if err != nil {
			t.Fatal(err)
		}
		cases[filepath.Base(eml)] = raw
	}
	for name, raw := range cases {
		md, err := computeMeta(raw, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, _ := json.Marshal(md.Body)
		want, _ := json.Marshal(fromStructure(imapserver.ExtractBodyStructure(bytes.NewReader(raw))))
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

// depthOf returns how many levels a structure has below its top and how
// many parts it holds, and its deepest first part.
func depthOf(bs imap.BodyStructure) (depth, parts int, leaf imap.BodyStructure) {
	parts = 1
	leaf = bs
	if mp, ok := bs.(*imap.BodyStructureMultiPart); ok {
		for i, c := range mp.Children {
			d, n, l := depthOf(c)
			parts += n
			if i == 0 {
				depth, leaf = d+1, l
			}
		}
	}
	return depth, parts, leaf
}

// A message of 20,000 nested multiparts or of 100,000 parts is archived
// whole, indexed in well under a second and served to the bounds: the
// multipart at level 50 as an opaque part, the first 1,000 parts. Before
// the bounds, indexing the nested one took 85 s.
func TestBoundedMIME(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	deep := mimetest.Nested(20_000, "OBJECTION", "")
	wide := mimetest.Wide(100_000, "", "OBJECTION")
	deepSeq := f.archive(t, jardin, string(deep), t0)
	wideSeq := f.archive(t, jardin, string(wide), t0)
	for _, c := range []struct {
		name string
		raw  []byte
	}{{"20,000 nested", deep}, {"100,000 parts", wide}} {
		start := time.Now()
		md, err := computeMeta(c.raw, nil)
		took := time.Since(start)
		t.Logf("%s (%d bytes): structure in %v", c.name, len(c.raw), took)
		if err != nil || took > mimetest.Quick() {
			t.Errorf("%s: structure in %v (%v)", c.name, took, err)
		}
		if !md.Body.within() {
			t.Errorf("%s: structure beyond the bounds", c.name)
		}
	}
	start := time.Now()
	for {
		n, err := f.srv.Index()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	t.Logf("indexer: %v", time.Since(start))
	for _, seq := range []uint64{deepSeq, wideSeq} {
		if _, ok, err := f.store.ArchiveMeta(jardin, seq); !ok || err != nil {
			t.Errorf("message %d not indexed: %v", seq, err)
		}
	}

	c := f.login(t, jardin, bob)
	selectBox(t, c, "jardin", true)
	start = time.Now()
	msgs := fetch(t, c, imap.UIDSetNum(imap.UID(deepSeq), imap.UID(wideSeq)), &imap.FetchOptions{
		RFC822Size: true, Envelope: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true}})
	t.Logf("FETCH BODYSTRUCTURE: %v", time.Since(start))
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	if msgs[0].RFC822Size != int64(len(deep)) || msgs[1].RFC822Size != int64(len(wide)) {
		t.Errorf("sizes %d, %d; want the whole messages, %d, %d", msgs[0].RFC822Size, msgs[1].RFC822Size, len(deep), len(wide))
	}
	depth, _, leaf := depthOf(msgs[0].BodyStructure)
	opaque, ok := leaf.(*imap.BodyStructureSinglePart)
	if depth != mailtext.MaxDepth || !ok || opaque.MediaType() != "application/octet-stream" {
		t.Fatalf("nested: %d levels down to %#v; want %d down to application/octet-stream", depth, leaf, mailtext.MaxDepth)
	}
	_, parts, _ := depthOf(msgs[1].BodyStructure)
	if parts != mailtext.MaxParts {
		t.Errorf("wide: %d parts, want %d", parts, mailtext.MaxParts)
	}

	// The opaque part is the bytes of the multipart it stands for; a
	// part under it, or past the 1,000th, is empty.
	path := func(n, last int) []int {
		p := make([]int, n)
		for i := range p {
			p[i] = 1
		}
		p[n-1] = last
		return p
	}
	at := &imap.FetchItemBodySection{Part: path(mailtext.MaxDepth, 1), Peek: true}
	under := &imap.FetchItemBodySection{Part: path(mailtext.MaxDepth+1, 1), Peek: true}
	far := &imap.FetchItemBodySection{Part: []int{mailtext.MaxParts + 5}, Peek: true}
	msgs = fetch(t, c, imap.UIDSetNum(imap.UID(deepSeq)), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{at, under}})
	body := msgs[0].FindBodySection(at)
	if len(body) != int(opaque.Size) || !bytes.HasPrefix(body, []byte("--b50\r\n")) {
		t.Errorf("BODY[1.…(50)]: %d bytes %.30q; want the %d bytes of level 50's body", len(body), body, opaque.Size)
	}
	if got := msgs[0].FindBodySection(under); len(got) != 0 {
		t.Errorf("BODY[1.…(51)]: %.30q; want nothing", got)
	}
	msgs = fetch(t, c, imap.UIDSetNum(imap.UID(wideSeq)), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{far}})
	if got := msgs[0].FindBodySection(far); len(got) != 0 {
		t.Errorf("BODY[1005]: %.30q; want nothing", got)
	}

	// SEARCH reads the text to the same bounds.
	for _, crit := range []*imap.SearchCriteria{{Body: []string{"objection"}}, {Text: []string{"objection"}}} {
		start = time.Now()
		d, err := c.UIDSearch(crit, nil).Wait()
		t.Logf("SEARCH BODY %v TEXT %v: %v", crit.Body, crit.Text, time.Since(start))
		if err != nil || len(d.AllUIDs()) != 0 {
			t.Errorf("SEARCH BODY %v TEXT %v found %v (%v); the text is beyond the bounds", crit.Body, crit.Text, d.AllUIDs(), err)
		}
	}
}
