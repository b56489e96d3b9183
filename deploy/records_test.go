package deploy

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	tacitdkim "tacit/listserv/dkim"
)

// zoneTXT reads the quoted strings of a zone-file TXT line and joins
// them, as a resolver hands them to a DKIM verifier.
func zoneTXT(t *testing.T, line string) (name string, joined string, parts []string) {
	t.Helper()
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[2] != "IN" || fields[3] != "TXT" {
		t.Fatalf("not a zone-file TXT line: %q", line)
	}
	rest := line[strings.Index(line, " TXT ")+5:]
	for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
		if rest[0] != '"' {
			t.Fatalf("TXT data %q: expected a quoted string", rest)
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			t.Fatalf("TXT data %q: unterminated string", rest)
		}
		parts = append(parts, rest[1:end+1])
		rest = rest[end+2:]
	}
	return fields[0], strings.Join(parts, ""), parts
}

// The key tacit init writes is read by tacit's signer, and the DKIM
// record published for it, parsed back from its zone-file line, lets
// go-msgauth verify a message tacit signed; its p= is the key's public
// half.
func TestDKIMRecordVerifiesTacitsSignature(t *testing.T) {
	t.Parallel()
	pemKey, key, err := NewDKIMKey()
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != 2048 {
		t.Errorf("key of %d bits, want 2048", key.N.BitLen())
	}
	if b, _ := pem.Decode(pemKey); b == nil || b.Type != "PRIVATE KEY" {
		t.Fatalf("the key file is not a PEM private key:\n%s", pemKey)
	}
	sel := Selector(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	if sel != "tacit202601" {
		t.Errorf("Selector = %q, want tacit202601", sel)
	}
	recs, err := DNSRecords(DNSOptions{Domain: "lists.example.org", Selector: sel, PublicKey: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	var dkimLine string
	for _, r := range recs {
		if strings.HasPrefix(r.Name, sel+"._domainkey.") {
			dkimLine = r.String()
		}
	}
	name, txt, parts := zoneTXT(t, dkimLine)
	if name != "tacit202601._domainkey.lists.example.org." {
		t.Errorf("DKIM record at %q", name)
	}
	if len(parts) < 2 {
		t.Errorf("a 2048-bit key's record in %d string(s), want it split", len(parts))
	}
	for _, p := range parts {
		if len(p) > 255 {
			t.Errorf("a TXT string of %d bytes (255 at most)", len(p))
		}
	}
	_, p, ok := strings.Cut(txt, "p=")
	if !ok || !strings.HasPrefix(txt, "v=DKIM1; k=rsa; ") {
		t.Fatalf("DKIM record %q", txt)
	}
	der, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		t.Fatalf("p= is not base64: %v", err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatalf("p= is not a public key: %v", err)
	}
	if rp, ok := pub.(*rsa.PublicKey); !ok || !rp.Equal(key.Public()) {
		t.Errorf("p= is not the public half of the key written")
	}

	signer, err := tacitdkim.NewSigner("lists.example.org", sel, pemKey)
	if err != nil {
		t.Fatalf("tacit's signer does not read the key file: %v", err)
	}
	header := []byte("From: jardin@lists.example.org\r\nTo: m@example.net\r\nSubject: test\r\n" +
		"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <1@lists.example.org>\r\n\r\n")
	body := []byte("Bonjour.\r\n")
	sig, err := signer.Sign(header, body)
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.Join([][]byte{sig, header, body}, nil)
	vs, err := msgdkim.VerifyWithOptions(bytes.NewReader(msg), &msgdkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) {
			if domain+"." == name {
				return []string{txt}, nil
			}
			return nil, errors.New("no record at " + domain)
		},
	})
	if err != nil || len(vs) != 1 || vs[0].Err != nil {
		t.Fatalf("go-msgauth does not verify tacit's signature with the published record: %v %+v", err, vs)
	}
}

func TestOtherRecords(t *testing.T) {
	t.Parallel()
	_, key, err := NewDKIMKey()
	if err != nil {
		t.Fatal(err)
	}
	recs, err := DNSRecords(DNSOptions{Domain: "lists.example.org", Selector: "s", PublicKey: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, r := range recs {
		all = append(all, r.String())
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{
		"lists.example.org. 3600 IN MX 10 lists.example.org.",
		`lists.example.org. 3600 IN TXT "v=spf1 mx -all"`,
		`_dmarc.lists.example.org. 3600 IN TXT "v=DMARC1; p=none; rua=mailto:postmaster@example.org"`,
		"lists.example.org. 3600 IN A 192.0.2.1",
		"lists.example.org. 3600 IN AAAA 2001:db8::1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("records lack %q:\n%s", want, text)
		}
	}
	if got := ReportMailbox("example.org"); got != "postmaster@example.org" {
		t.Errorf("ReportMailbox(example.org) = %q", got)
	}
}

func TestPostfixLines(t *testing.T) {
	t.Parallel()
	o := PostfixOptions{Domain: "lists.example.org", TacitSMTP: "127.0.0.1:2525"}
	if got := PostfixTransport(o); len(got) != 1 || got[0] != "lists.example.org smtp:[127.0.0.1]:2525" {
		t.Errorf("transport %q", got)
	}
	for addr, want := range map[string]string{"0.0.0.0:2600": "smtp:[127.0.0.1]:2600", "[::1]:2525": "smtp:[ipv6:::1]:2525"} {
		if got := PostfixTransport(PostfixOptions{Domain: "d.test", TacitSMTP: addr}); got[0] != "d.test "+want {
			t.Errorf("transport for %s: %q, want %q", addr, got, want)
		}
	}
	cf := strings.Join(PostfixMainCF(o), "\n")
	for _, want := range []string{"relay_domains = lists.example.org\n", "transport_maps = hash:/etc/postfix/transport\n",
		"virtual_alias_maps = hash:/etc/postfix/virtual\n",
		"mynetworks = 127.0.0.0/8 ", "reject_unauth_destination", "message_size_limit = 27262976"} {
		if !strings.Contains(cf, want) {
			t.Errorf("main.cf lines lack %q:\n%s", want, cf)
		}
	}
	if got := strings.Join(PostfixVirtual(o), "\n"); got != "postmaster@lists.example.org admin@example.net\nabuse@lists.example.org admin@example.net" {
		t.Errorf("virtual without a postmaster: %q, want the placeholder", got)
	}
	o.Postmaster = "root@example.com"
	if got := PostfixVirtual(o); len(got) != 2 || got[0] != "postmaster@lists.example.org root@example.com" || got[1] != "abuse@lists.example.org root@example.com" {
		t.Errorf("virtual: %q", got)
	}
}
