package imaparchive

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"tacit/internal/mimetest"
)

// HEADER.FIELDS and HEADER.FIELDS.NOT give what imapserver gives, on
// every fixture mail of the grammar corpus and on parts.
func TestPickFieldsMatchesImapserver(t *testing.T) {
	t.Parallel()
	emls, _ := filepath.Glob("../../testdata/mail/*.eml")
	raws := [][]byte{[]byte(multipartMsg), []byte(forwardedMsg), []byte("not a header\r\n\r\nbody")}
	for _, eml := range emls {
		raw, err := os.ReadFile(eml)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
	}
	sections := []*imap.FetchItemBodySection{
		{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"FROM", "subject", "Date", "Message-ID", "Received"}},
		{Specifier: imap.PartSpecifierHeader, HeaderFieldsNot: []string{"received", "DKIM-Signature", "X-Nothing"}},
		{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Subject"}, Partial: &imap.SectionPartial{Offset: 3, Size: 10}},
		{Part: []int{2}, Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Subject", "To"}},
		{Part: []int{1}, Specifier: imap.PartSpecifierHeader, HeaderFieldsNot: []string{"Content-Type"}},
	}
	for i, raw := range raws {
		for _, bs := range sections {
			want := imapserver.ExtractBodySection(bytes.NewReader(raw), bs)
			if len(bs.Part) == 0 { // imapserver is given the header alone, as before
				want = imapserver.ExtractBodySection(bytes.NewReader(raw[:headerLen(raw)]), bs)
			}
			if got := bodySection(raw, bs); !bytes.Equal(got, want) {
				t.Errorf("message %d, %v %v %v:\n got %q\nwant %q", i, bs.Part, bs.HeaderFields, bs.HeaderFieldsNot, got, want)
			}
		}
	}
}

// A header of 1.5 million fields (12 MB) is read to its first MB for
// the envelope, the structure, HEADER.FIELDS and SEARCH; the whole of it
// is still served as BODY[HEADER]. Before, picking two fields out of it
// was quadratic (50,000 fields took 0.4 s) and indexing it took seconds.
func TestHugeHeader(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	raw := "From: Alice <alice@example.test>\r\n" + strings.Repeat("X-A: b\r\n", 1_500_000) +
		"Subject: after the first MB\r\n\r\nbody\r\n"
	seq := f.archive(t, jardin, raw, t0)
	start := time.Now()
	if _, err := f.srv.Index(); err != nil {
		t.Fatal(err)
	}
	t.Logf("indexer: %v", time.Since(start))
	if d := time.Since(start); d > mimetest.Quick() {
		t.Errorf("indexing took %v", d)
	}
	c := f.login(t, jardin, bob)
	selectBox(t, c, "jardin", true)
	fields := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true, HeaderFields: []string{"From", "Subject"}}
	not := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true, HeaderFieldsNot: []string{"X-A"}}
	whole := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	start = time.Now()
	msgs := fetch(t, c, imap.UIDSetNum(imap.UID(seq)), &imap.FetchOptions{Envelope: true,
		BodyStructure: &imap.FetchItemBodyStructure{}, BodySection: []*imap.FetchItemBodySection{fields, not, whole}})
	t.Logf("FETCH: %v", time.Since(start))
	if d := time.Since(start); d > mimetest.Quick() {
		t.Errorf("FETCH took %v", d)
	}
	m := msgs[0]
	if len(m.Envelope.From) != 1 || m.Envelope.From[0].Name != "Alice" || m.Envelope.Subject != "" {
		t.Errorf("envelope %+v", m.Envelope)
	}
	from := "From: Alice <alice@example.test>\r\n\r\n"
	if got := string(m.FindBodySection(fields)); got != from {
		t.Errorf("HEADER.FIELDS: %q", got)
	}
	if got := string(m.FindBodySection(not)); got != from {
		t.Errorf("HEADER.FIELDS.NOT: %.80q", got)
	}
	if got := m.FindBodySection(whole); len(got) != strings.Index(raw, "\r\n\r\n")+4 {
		t.Errorf("BODY[HEADER]: %d bytes", len(got))
	}
	for _, crit := range []imap.SearchCriteria{
		{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "alice"}}},
		{Text: []string{"alice"}},
	} {
		start = time.Now()
		d, err := c.UIDSearch(&crit, nil).Wait()
		if err != nil || len(d.AllUIDs()) != 1 {
			t.Errorf("SEARCH %+v: %v, %v", crit, d.AllUIDs(), err)
		}
		if took := time.Since(start); took > mimetest.Quick() {
			t.Errorf("SEARCH took %v", took)
		}
	}
	d, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "first MB"}}}, nil).Wait()
	if err != nil || len(d.AllUIDs()) != 0 {
		t.Errorf("SEARCH SUBJECT beyond the first MB: %v, %v", d.AllUIDs(), err)
	}
}
