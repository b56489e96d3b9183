package listserv

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"tacit/internal/testkey"
	"tacit/listserv/dkim"
	"tacit/storage"
)

// dkimKey makes a signer for domain and the DNS that publishes its key.
// txtRecords is the DNS of a test: name → TXT record.
type txtRecords map[string]string

// lookup resolves name as a DKIM checker does.
func (r txtRecords) lookup(name string) ([]string, error) {
	if v, ok := r[name]; ok {
		return []string{v}, nil
	}
	return nil, errors.New("no such record")
}

func dkimKey(t *testing.T, domain string, dns map[string]string) *dkim.Signer {
	t.Helper()
	key, record := testkey.Ed25519(t)
	s, err := dkim.NewSigner(domain, "sel", key)
	if err != nil {
		t.Fatal(err)
	}
	dns["sel._domainkey."+domain] = record
	return s
}

func signedMail(t *testing.T, s *dkim.Signer, msg string) string {
	t.Helper()
	hdr, body, _ := strings.Cut(msg, "\r\n\r\n")
	sig, err := s.Sign([]byte(hdr+"\r\n\r\n"), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return string(sig) + msg
}

// On a list that requires authentication, a forged objection does not
// block; the same objection signed by the member's domain does. The
// list's own mail is signed with its key.
func TestRequireAuthAndSigning(t *testing.T) {
	t.Parallel()
	dns := txtRecords{}
	lookup := dns.lookup
	memberKey := dkimKey(t, "example.org", dns)
	listKey := dkimKey(t, "lists.test", dns)
	checker := dkim.Checker{LookupTXT: lookup}
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{now: c.Now, auth: checker, signer: listKey,
		consensus: ConsensusOptions{MinDeadline: time.Hour, Schedule: "@every 1h"}})
	h.list("jardin@lists.test", "alice@example.org", "bob@example.org")
	if _, err := h.store.UpdateList("jardin@lists.test", func(l *storage.List) error { l.RequireAuth = true; return nil }); err != nil {
		t.Fatal(err)
	}
	// An unsigned proposal opens nothing on a "dkim" list: distributed as
	// a plain post, its author told why.
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		strings.Replace(proposalPost("[PROPOSITION] Clés", "Changer les serrures.\r\n"), "<prop1@", "<unsigned@", 1))
	waitMessages(t, h.sink, "alice@example.org", "n'a pas été ouverte", 1)
	if _, err := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1}); err == nil {
		t.Fatalf("an unsigned proposal opened on a dkim list")
	}
	h.mustSend("alice@example.org", []string{"jardin@lists.test"},
		signedMail(t, memberKey, proposalPost("[PROPOSITION] Clés", "Changer les serrures.\r\n")))
	got := waitMessages(t, h.sink, "bob@example.org", "[PROPOSITION #1]", 1)[0]
	raw, _ := io.ReadAll(got.Body)
	vs, err := msgdkim.VerifyWithOptions(bytes.NewReader(raw), &msgdkim.VerifyOptions{LookupTXT: lookup})
	if err != nil || len(vs) == 0 || vs[0].Domain != "lists.test" || vs[0].Err != nil {
		t.Errorf("the distributed proposal does not carry a valid signature of lists.test: %v %+v", err, vs)
	}

	forged := replyPost("bob@example.org", "f1@example.org", "prop1@example.org", "Re: #1", "OBJECTION\r\n")
	h.mustSend("bob@example.org", []string{"jardin@lists.test"}, forged)
	refused := waitMessages(t, h.sink, "bob@example.org", "message non compté", 1)
	if body := readAll(t, refused[0]); !strings.Contains(body, "authentifié") {
		t.Errorf("refusal does not say why:\n%s", body)
	}
	p, _ := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if len(p.Objections) != 0 {
		t.Fatalf("an unauthenticated objection counted")
	}
	h.mustSend("bob@example.org", []string{"jardin@lists.test"},
		signedMail(t, memberKey, replyPost("bob@example.org", "f2@example.org", "prop1@example.org", "Re: #1", "OBJECTION signée\r\n")))
	waitMessages(t, h.sink, "bob@example.org", "objection enregistrée", 1)
	p, _ = h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 1})
	if len(p.Objections) != 1 {
		t.Errorf("a signed objection did not count: %+v", p.Objections)
	}
}
