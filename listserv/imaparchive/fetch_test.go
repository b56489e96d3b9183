package imaparchive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

const multipartMsg = "From: Alice Martin <alice@example.test>\r\n" +
	"To: jardin@lists.test\r\n" +
	"Cc: Bob <bob@example.test>\r\n" +
	"Subject: =?utf-8?q?Caf=C3=A9?= au jardin\r\n" +
	"Date: Fri, 13 Mar 2026 18:04:05 +0100\r\n" +
	"Message-ID: <cafe@example.test>\r\n" +
	"In-Reply-To: <earlier@example.test>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n" +
	"\r\n" +
	"preamble\r\n" +
	"--XYZ\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"On pourrait planter des tomates =C3=A0 l'ombre.\r\n" +
	"Deuxi=C3=A8me ligne.\r\n" +
	"--XYZ\r\n" +
	"Content-Type: application/pdf; name=plan.pdf\r\n" +
	"Content-Disposition: attachment; filename=plan.pdf\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"JVBERi0xLjQK\r\n" +
	"--XYZ--\r\n"

func TestFetch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	at := time.Date(2026, 3, 13, 17, 5, 0, 0, time.FixedZone("", 3600))
	f.archive(t, jardin, message("a@example.test", "plain one", "just text\r\n"), at)
	seq := f.archive(t, jardin, multipartMsg, at)
	f.archive(t, potager, message("p@example.test", "potager only", "secret\r\n"), at)

	c := f.login(t, jardin, bob)
	selectBox(t, c, "jardin", false)
	_, raw, err := f.store.ArchivedMessage(jardin, seq)
	if err != nil {
		t.Fatal(err)
	}

	msgs := fetch(t, c, imap.UIDSetNum(2), &imap.FetchOptions{
		Flags: true, InternalDate: true, RFC822Size: true, Envelope: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
	})
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if m.UID != 2 || m.SeqNum != 2 || len(m.Flags) != 0 || m.RFC822Size != int64(len(raw)) || !m.InternalDate.Equal(at) {
		t.Errorf("UID %d seq %d flags %v size %d (want %d) date %v", m.UID, m.SeqNum, m.Flags, m.RFC822Size, len(raw), m.InternalDate)
	}
	env := m.Envelope
	if env.Subject != "Café au jardin" || env.MessageID != "cafe@example.test" || len(env.From) != 1 ||
		env.From[0].Name != "Alice Martin" || env.From[0].Addr() != "alice@example.test" ||
		len(env.Cc) != 1 || !slices.Equal(env.InReplyTo, []string{"earlier@example.test"}) ||
		!env.Date.Equal(time.Date(2026, 3, 13, 17, 4, 5, 0, time.UTC)) {
		t.Errorf("envelope %+v", env)
	}
	mp, ok := m.BodyStructure.(*imap.BodyStructureMultiPart)
	if !ok || mp.Subtype != "mixed" || len(mp.Children) != 2 {
		t.Fatalf("body structure %#v", m.BodyStructure)
	}
	text := mp.Children[0].(*imap.BodyStructureSinglePart)
	pdf := mp.Children[1].(*imap.BodyStructureSinglePart)
	if text.MediaType() != "text/plain" || text.Params["charset"] != "utf-8" || text.Encoding != "quoted-printable" ||
		text.Text == nil || text.Text.NumLines != 1 {
		t.Errorf("text part %+v", text)
	}
	if pdf.MediaType() != "application/pdf" || pdf.Disposition() == nil || pdf.Disposition().Value != "attachment" || pdf.Size != 12 {
		t.Errorf("pdf part %+v", pdf)
	}
	// BODY (not extended) too.
	msgs = fetch(t, c, imap.UIDSetNum(1), &imap.FetchOptions{BodyStructure: &imap.FetchItemBodyStructure{}})
	if sp, ok := msgs[0].BodyStructure.(*imap.BodyStructureSinglePart); !ok || sp.MediaType() != "text/plain" {
		t.Errorf("BODY of a plain message: %#v", msgs[0].BodyStructure)
	}

	// The envelope and structure are kept in the store, once.
	deadline := time.Now().Add(5 * time.Second)
	for {
		blob, ok, err := f.store.ArchiveMeta(jardin, seq)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			var md meta
			if err := json.Unmarshal(blob, &md); err != nil || md.Size != int64(len(raw)) || md.Envelope.Subject != "Café au jardin" {
				t.Errorf("stored meta %s: %v", blob, err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("meta never stored")
		}
		time.Sleep(10 * time.Millisecond)
	}

	hdrEnd := bytes.Index(raw, []byte("\r\n\r\n")) + 4
	sections := []struct {
		name string
		bs   *imap.FetchItemBodySection
		want string
	}{
		{"BODY[]", &imap.FetchItemBodySection{}, string(raw)},
		{"HEADER", &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader}, string(raw[:hdrEnd])},
		{"TEXT", &imap.FetchItemBodySection{Specifier: imap.PartSpecifierText}, string(raw[hdrEnd:])},
		{"HEADER.FIELDS", &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"subject", "FROM"}},
			"From: Alice Martin <alice@example.test>\r\nSubject: =?utf-8?q?Caf=C3=A9?= au jardin\r\n\r\n"},
		{"HEADER.FIELDS.NOT", &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader,
			HeaderFieldsNot: []string{"from", "to", "cc", "subject", "date", "message-id", "in-reply-to", "mime-version"}},
			"Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n"},
		{"1", &imap.FetchItemBodySection{Part: []int{1}},
			"On pourrait planter des tomates =C3=A0 l'ombre.\r\nDeuxi=C3=A8me ligne."},
		{"1.MIME", &imap.FetchItemBodySection{Part: []int{1}, Specifier: imap.PartSpecifierMIME},
			"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"},
		{"2", &imap.FetchItemBodySection{Part: []int{2}}, "JVBERi0xLjQK"},
		{"partial <6.11>", &imap.FetchItemBodySection{Partial: &imap.SectionPartial{Offset: 6, Size: 11}}, string(raw[6:17])},
		{"TEXT partial <0.8>", &imap.FetchItemBodySection{Specifier: imap.PartSpecifierText,
			Partial: &imap.SectionPartial{Offset: 0, Size: 8}}, "preamble"},
		{"partial past the end", &imap.FetchItemBodySection{Partial: &imap.SectionPartial{Offset: 100000, Size: 10}}, ""},
	}
	for _, s := range sections {
		s.bs.Peek = true
		msgs := fetch(t, c, imap.UIDSetNum(2), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{s.bs}})
		if got := string(msgs[0].FindBodySection(s.bs)); got != s.want {
			t.Errorf("%s:\n got %q\nwant %q", s.name, got, s.want)
		}
	}

	// BODY.PEEK leaves \Seen alone; BODY[] sets it and says so.
	if seen, _ := f.store.Seen(bob, jardin); len(seen) != 0 {
		t.Errorf("seen after PEEK: %v", seen)
	}
	body := &imap.FetchItemBodySection{}
	msgs = fetch(t, c, imap.SeqSetNum(2), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{body}})
	if !bytes.Equal(msgs[0].FindBodySection(body), raw) || !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
		t.Errorf("BODY[]: flags %v, bytes equal %v", msgs[0].Flags, bytes.Equal(msgs[0].FindBodySection(body), raw))
	}
	if seen, _ := f.store.Seen(bob, jardin); !seen[2] || len(seen) != 1 {
		t.Errorf("seen after BODY[]: %v", seen)
	}

	// In EXAMINE, BODY[] does not set \Seen.
	selectBox(t, c, "jardin", true)
	fetch(t, c, imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{body}})
	if seen, _ := f.store.Seen(bob, jardin); seen[1] {
		t.Error("BODY[] in EXAMINE set \\Seen")
	}

	// "*" and ranges; the potager message is out of reach.
	msgs = fetch(t, c, imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true})
	if uids(msgs) != "1,2" {
		t.Errorf("UID FETCH 1:* gave %s", uids(msgs))
	}
	msgs = fetch(t, c, imap.SeqSet{{Start: 2, Stop: 0}}, &imap.FetchOptions{UID: true})
	if uids(msgs) != "2" {
		t.Errorf("FETCH 2:* gave %s", uids(msgs))
	}
	if msgs = fetch(t, c, imap.UIDSetNum(3, 4, 99), &imap.FetchOptions{UID: true}); len(msgs) != 0 {
		t.Errorf("UIDs beyond the mailbox gave %s", uids(msgs))
	}
}

// BODY[] is byte-exact even for a message whose header does not parse.
func TestFetchMalformedByteExact(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	raw := "Subject: broken\r\nthis line has no colon\r\nX-8bit: caf\xe9\r\n\r\nbody \xff\xfe\r\n"
	f.archive(t, jardin, raw, t0)
	f.archive(t, jardin, "no header at all, no blank line", t0)
	c := f.login(t, jardin, bob)
	selectBox(t, c, "jardin", true)
	body := &imap.FetchItemBodySection{Peek: true}
	msgs := fetch(t, c, imap.SeqSetNum(1, 2), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{body},
		Envelope: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true}, RFC822Size: true})
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	for i, m := range msgs {
		_, want, _ := f.store.ArchivedMessage(jardin, uint64(i+1))
		if got := m.FindBodySection(body); !bytes.Equal(got, want) || m.RFC822Size != int64(len(want)) {
			t.Errorf("message %d: %q (size %d), want %q", i+1, got, m.RFC822Size, want)
		}
	}
}

func TestSearch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	day := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	f.archive(t, jardin, message("alice@example.test", "Tomates", "On plante des tomates.\r\n"), day(1))
	f.archive(t, jardin, multipartMsg, day(5))
	f.archive(t, jardin, message("bob@example.test", "Arrosage", "Qui arrose dimanche ?\r\n"+strings.Repeat("x", 2000)+"\r\n"), day(10))
	f.archive(t, potager, message("carol@example.test", "Tomates du potager", "tomates\r\n"), day(1))

	c := f.login(t, jardin, bob)
	selectBox(t, c, "jardin", false)
	f.store.SetSeen(bob, jardin, []uint32{1}, true)

	search := func(cr *imap.SearchCriteria) string {
		t.Helper()
		d, err := c.UIDSearch(cr, nil).Wait()
		if err != nil {
			t.Fatalf("search %+v: %v", cr, err)
		}
		var s []string
		for _, u := range d.AllUIDs() {
			s = append(s, fmt.Sprint(u))
		}
		return strings.Join(s, ",")
	}
	cases := []struct {
		name string
		cr   imap.SearchCriteria
		want string
	}{
		{"ALL", imap.SearchCriteria{}, "1,2,3"},
		{"UID 2:*", imap.SearchCriteria{UID: []imap.UIDSet{{{Start: 2, Stop: 0}}}}, "2,3"},
		{"SEEN", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}, "1"},
		{"UNSEEN", imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, "2,3"},
		{"DELETED", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagDeleted}}, ""},
		{"SINCE 5", imap.SearchCriteria{Since: day(5)}, "2,3"},
		{"BEFORE 5", imap.SearchCriteria{Before: day(5)}, "1"},
		{"ON 5", imap.SearchCriteria{Since: day(5), Before: day(6)}, "2"},
		{"SENTSINCE 14", imap.SearchCriteria{SentSince: day(14)}, "1,3"},
		{"SENTBEFORE 14", imap.SearchCriteria{SentBefore: day(14)}, "2"},
		{"FROM alice", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "ALICE"}}}, "1,2"},
		{"SUBJECT café (encoded)", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "café"}}}, "2"},
		{"TO", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "To", Value: "lists.test"}}}, "1,2,3"},
		{"HEADER In-Reply-To", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "In-Reply-To", Value: ""}}}, "2"},
		{"BODY tomates", imap.SearchCriteria{Body: []string{"TOMATES"}}, "1,2"},
		{"BODY decoded q-p", imap.SearchCriteria{Body: []string{"tomates à l'ombre"}}, "2"},
		{"BODY not in header", imap.SearchCriteria{Body: []string{"Arrosage"}}, ""},
		{"TEXT arrosage", imap.SearchCriteria{Text: []string{"arrosage"}}, "3"},
		{"LARGER 1500", imap.SearchCriteria{Larger: 1500}, "3"},
		{"SMALLER 1500", imap.SearchCriteria{Smaller: 1500}, "1,2"},
		{"NOT SEEN", imap.SearchCriteria{Not: []imap.SearchCriteria{{Flag: []imap.Flag{imap.FlagSeen}}}}, "2,3"},
		{"OR", imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{{Body: []string{"dimanche"}}, {UID: []imap.UIDSet{imap.UIDSetNum(1)}}}}}, "1,3"},
		{"potager's words", imap.SearchCriteria{Body: []string{"potager"}}, ""},
	}
	for _, cs := range cases {
		if got := search(&cs.cr); got != cs.want {
			t.Errorf("%s: got %q, want %q", cs.name, got, cs.want)
		}
	}
	d, err := c.Search(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil || !slices.Equal(d.AllSeqNums(), []uint32{2, 3}) {
		t.Errorf("SEARCH UNSEEN (sequence numbers): %v %v", d, err)
	}
}
