package listserv

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/netip"
	"strings"
	"testing"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"tacit/listserv/dkim"
)

// rsaSigner makes an RSA-2048 signer for domain (selector "sel") and
// publishes its key in dns.
func rsaSigner(t *testing.T, domain string, dns map[string]string) *dkim.Signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	s, err := dkim.NewSigner(domain, "sel", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	dns["sel._domainkey."+domain] = "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub)
	return s
}

// With an RSA key and one-click unsubscribe, each member's copy of a
// post, of a proposal (whose body carries the member's own links) and of
// a post that arrived sealed by a forwarder is signed for that member
// and sealed: its DKIM signature covers its List-Unsubscribe, and its
// ARC chain validates — i=1 for mail from the author, i=2 over the
// forwarder's set (cv=pass), with the relay's results recorded.
func TestCopiesSealedAndSignedForEachMember(t *testing.T) {
	t.Parallel()
	dns := txtRecords{}
	lookup := dns.lookup
	listKey := rsaSigner(t, "lists.test", dns)
	forwarder := rsaSigner(t, "forwarder.test", dns)
	checker := dkim.Checker{LookupTXT: lookup, Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		AuthservID: testRelayID}
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	h := start(t, harnessOptions{now: c.Now, http: true, auth: checker, signer: listKey, consensus: ConsensusOptions{
		MinDeadline: 24 * time.Hour, Schedule: "@every 1h", Location: time.UTC}})
	h.relayAuth = true // the relay vouches for each post (dmarc=pass)
	members := []string{"alice@example.org", "bob@example.org", "carol@example.org"}
	h.list("jardin@lists.test", members...)

	forwarded := post("Alice <alice@example.org>", "Transféré", "Un message passé par un transitaire.\r\n")
	hdr, body, _ := strings.Cut(forwarded, "\r\n\r\n")
	sealed, err := forwarder.Seal([]byte(hdr+"\r\n\r\n"), dkim.HashBody([]byte(body)),
		"mx.forwarder.test; dkim=pass header.d=example.org", dkim.Chain{CV: dkim.ChainNone})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		subject, msg string
		instance     int
	}{
		{"[jardin] Réunion", post("Alice <alice@example.org>", "Réunion", "La réunion est jeudi.\r\n"), 1},
		{"[PROPOSITION #1]", proposalPost("[PROPOSITION] Acheter une tondeuse", "Je propose d'acheter une tondeuse.\r\n"), 1},
		// The relay's results above the forwarder's ARC set (send adds
		// them only to mail without any).
		{"[jardin] Transféré", "Authentication-Results: " + testRelayID + "; dmarc=pass header.from=example.org\r\n" +
			string(sealed) + body, 2},
	} {
		h.mustSend("alice@example.org", []string{"jardin@lists.test"}, tc.msg)
		unsubs := map[string]bool{}
		for _, m := range members {
			waitMessages(t, h.sink, m, tc.subject, 1)
			raw := rawOf(t, h, m, tc.subject)
			vs, err := msgdkim.VerifyWithOptions(bytes.NewReader(raw), &msgdkim.VerifyOptions{LookupTXT: lookup})
			if err != nil || len(vs) == 0 || vs[0].Err != nil || vs[0].Domain != "lists.test" {
				t.Fatalf("%s, %s's copy: not validly signed by the list: %v %+v", tc.subject, m, err, vs)
			}
			if keys := strings.ToLower(strings.Join(vs[0].HeaderKeys, ":")); !strings.Contains(keys, "list-unsubscribe:list-unsubscribe") {
				t.Errorf("%s, %s's copy: h=%s", tc.subject, m, keys)
			}
			ch := checker.ARCChain(raw)
			if ch.CV != dkim.ChainPass || ch.Instance != tc.instance {
				t.Errorf("%s, %s's copy: ARC chain %+v, want pass with %d sets", tc.subject, m, ch, tc.instance)
			}
			hdr, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
			aar := unfolded(hdr, "ARC-Authentication-Results")
			want := "i=" + map[int]string{1: "1", 2: "2"}[tc.instance] + "; " + testRelayID + "; dmarc=pass header.from=example.org; arc=" +
				map[int]string{1: "none", 2: "pass"}[tc.instance]
			if aar != want {
				t.Errorf("%s, %s's copy: ARC-Authentication-Results: %s, want %s", tc.subject, m, aar, want)
			}
			unsubs[unfolded(hdr, "List-Unsubscribe")] = true
		}
		if len(unsubs) != len(members) {
			t.Errorf("%s: %d distinct List-Unsubscribe for %d members", tc.subject, len(unsubs), len(members))
		}
	}
}

// unfolded returns the value of the first field name of header, unfolded.
func unfolded(header []byte, name string) string {
	for _, line := range strings.Split(strings.ReplaceAll(string(header), "\r\n\t", " "), "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.Join(strings.Fields(strings.ReplaceAll(v, "\r\n ", " ")), " ")
		}
	}
	return ""
}
