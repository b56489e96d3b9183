package dkim

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	msgdkim "github.com/emersion/go-msgauth/dkim"
)

// testKey is a signing key of either kind and the DNS that publishes it.
type testKey struct {
	pem    []byte
	record string
}

func rsaKey(t testing.TB, bits int) testKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return testKey{pem: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		record: "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub)}
}

func edKey(t testing.TB) testKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	return testKey{pem: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		record: "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}
}

// dnsOf publishes records by name.
func dnsOf(records map[string]string) func(string) ([]string, error) {
	return func(name string) ([]string, error) {
		if v, ok := records[strings.TrimSuffix(name, ".")]; ok {
			return []string{v}, nil
		}
		return nil, errors.New("no such record")
	}
}

// The relaxed body hash is go-msgauth's, on the bodies that trip
// canonicalizers: trailing white space and empty lines, bare LF, tabs,
// an empty body, a last line without its end.
func TestBodyHashAgreesWithGoMsgauth(t *testing.T) {
	t.Parallel()
	k := edKey(t)
	block, _ := pem.Decode(k.pem)
	key, _ := x509.ParsePKCS8PrivateKey(block.Bytes)
	for _, body := range []string{
		"", "\r\n", "\r\n\r\n", "a", "a\r\n", "a\r\n\r\n\r\n", " a \t b \r\n", "a  \r\n \r\n\t\r\n",
		"line\nbare\n", "x\r\n\r\ny\r\n", "\tindented\r\n  two\r\n", "end without newline  ",
		"mixed\r\nends\nhere\r\n\n\n", strings.Repeat("Lorem ipsum dolor sit amet. \r\n", 500),
		"é\xff binary \x00 bytes\r\n",
	} {
		var out bytes.Buffer
		err := msgdkim.Sign(&out, strings.NewReader("From: a@example.org\r\n\r\n"+body), &msgdkim.SignOptions{
			Domain: "example.org", Selector: "s", Signer: key.(ed25519.PrivateKey),
			HeaderCanonicalization: msgdkim.CanonicalizationRelaxed, BodyCanonicalization: msgdkim.CanonicalizationRelaxed})
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join(strings.Fields(tagOf(t, out.String(), "bh")), "")
		bh := HashBody([]byte(body))
		if got := base64.StdEncoding.EncodeToString(bh[:]); got != want {
			t.Errorf("body %q: bh=%s, go-msgauth says %s", body, got, want)
		}
	}
}

// tagOf returns one tag of the first DKIM-Signature in msg.
func tagOf(t *testing.T, msg, name string) string {
	t.Helper()
	fs := fields([]byte(msg))
	for _, f := range fs {
		if f.is("DKIM-Signature") {
			tags, err := parseTags(f.value())
			if err != nil {
				t.Fatal(err)
			}
			return tags[name]
		}
	}
	t.Fatalf("no DKIM-Signature in %q", msg)
	return ""
}

// A copy signed with a body hash computed once verifies with go-msgauth,
// for RSA and Ed25519 keys; h= names the personal unsubscribe fields and
// over-signs From and the List-* fields; changing or adding any of them
// breaks the signature.
func TestSignHeaderCoversPersonalFields(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"rsa", "ed25519"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			k := edKey(t)
			if kind == "rsa" {
				k = rsaKey(t, 2048)
			}
			s, err := NewSigner("lists.test", "sel", k.pem)
			if err != nil {
				t.Fatal(err)
			}
			lookup := dnsOf(map[string]string{"sel._domainkey.lists.test": k.record})
			body := []byte("Bonjour,\r\n\r\nla tondeuse  est arrivée.\r\n\r\n\r\n")
			bh := HashBody(body)
			common := "List-Id: \"Jardin\" <jardin.lists.test>\r\nList-Post: <mailto:jardin@lists.test>\r\n" +
				"From: \"Alice via Jardin\" <jardin@lists.test>\r\nTo: jardin@lists.test\r\n" +
				"Subject: [jardin] =?utf-8?q?Tondeuse_arriv=C3=A9e?=\r\n" +
				"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <m1@example.org>\r\n" +
				"MIME-Version: 1.0\r\nContent-Type: text/plain;\r\n charset=utf-8\r\n\r\n"
			for _, member := range []string{"bob", "carol"} {
				personal := "List-Unsubscribe: <https://lists.test/u/" + member + ">,\r\n <mailto:jardin-request@lists.test?subject=unsubscribe>\r\n" +
					"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
				header := []byte(personal + common)
				sig, err := s.SignHeader(header, bh)
				if err != nil {
					t.Fatal(err)
				}
				for _, line := range strings.Split(string(sig), "\r\n") {
					if len(line) > 78 {
						t.Errorf("a line of %d octets: %q", len(line), line)
					}
				}
				msg := string(sig) + string(header) + string(body)
				if err := verifyGo(msg, lookup); err != nil {
					t.Fatalf("%s's copy: %v\n%s", member, err, msg)
				}
				h := strings.ToLower(strings.Join(strings.Fields(tagOf(t, msg, "h")), ""))
				for _, want := range []string{"from:from", "list-unsubscribe:list-unsubscribe:list-unsubscribe-post:list-unsubscribe-post",
					"list-id:list-id", "subject:subject", "to:to", "date:date", "message-id:message-id", "content-type"} {
					if !strings.Contains(h, want) {
						t.Errorf("h=%s lacks %s", h, want)
					}
				}
				for what, tampered := range map[string]string{
					"another member's link": strings.Replace(msg, "/u/"+member, "/u/mallory", 1),
					"a second List-Unsubscribe": strings.Replace(msg, "List-Id:",
						"List-Unsubscribe: <https://evil.example/>\r\nList-Id:", 1),
					"a second From":         strings.Replace(msg, "To:", "From: mallory@evil.example\r\nTo:", 1),
					"a changed body":        strings.Replace(msg, "arrivée", "partie", 1),
					"no one-click":          strings.Replace(msg, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", "", 1),
					"an added Reply-To":     strings.Replace(msg, "To:", "Reply-To: mallory@evil.example\r\nTo:", 1),
					"an added List-Archive": strings.Replace(msg, "To:", "List-Archive: <https://evil.example/>\r\nTo:", 1),
				} {
					if err := verifyGo(tampered, lookup); err == nil {
						t.Errorf("%s passes", what)
					}
				}
				// Folding white space changed on the way is no matter
				// (relaxed header canonicalization).
				refolded := strings.Replace(msg, "Content-Type: text/plain;\r\n charset=utf-8", "Content-Type:   text/plain;  charset=utf-8", 1)
				if err := verifyGo(refolded, lookup); err != nil {
					t.Errorf("refolded: %v", err)
				}
			}
		})
	}
}

// verifyGo checks the first DKIM-Signature of msg with go-msgauth.
func verifyGo(msg string, lookup func(string) ([]string, error)) error {
	vs, err := msgdkim.VerifyWithOptions(strings.NewReader(msg), &msgdkim.VerifyOptions{LookupTXT: lookup})
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return errors.New("no signature")
	}
	return vs[0].Err
}

func TestSignerKeys(t *testing.T) {
	t.Parallel()
	k, _ := rsa.GenerateKey(rand.Reader, 1024)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	if s, err := NewSigner("lists.test", "sel", pkcs1); err != nil || s.Algorithm() != "rsa-sha256" {
		t.Errorf("PKCS #1 RSA key: %v", err)
	}
	if s, err := NewSigner("lists.test", "sel", edKey(t).pem); err != nil || s.Algorithm() != "ed25519-sha256" {
		t.Errorf("PKCS #8 Ed25519 key: %v", err)
	}
	if _, err := NewSigner("", "sel", edKey(t).pem); err == nil {
		t.Errorf("no domain accepted")
	}
	s, _ := NewSigner("lists.test", "sel", edKey(t).pem)
	if _, err := s.Sign([]byte("To: a@example.org\r\n\r\n"), nil); err == nil {
		t.Errorf("a message without From is signed")
	}
	sig, _ := s.Sign([]byte("From: a@lists.test\r\n\r\n"), nil)
	rest, ours := s.Ours(append(sig, "From: a@lists.test\r\n\r\n"...))
	if !ours || string(rest) != "From: a@lists.test\r\n\r\n" {
		t.Errorf("Ours: %v %q", ours, rest)
	}
	other, _ := NewSigner("other.test", "sel", edKey(t).pem)
	if _, ours := other.Ours(append(sig, "From: a@lists.test\r\n\r\n"...)); ours {
		t.Errorf("another domain's signature is taken for ours")
	}
}

// BenchmarkSignCopy is the cost of signing one copy whose body hash is
// already known (SignHeader), against signing the whole copy as
// go-msgauth does (its body hashed each time), for a 4 KB post and a
// 1 MB one, with each kind of key; SignHeader on every core at once
// (-parallel: ns/op is then per copy over all cores); and of hashing a
// body.
func BenchmarkSignCopy(b *testing.B) {
	header := []byte("List-Unsubscribe: <https://lists.test/u/xyz>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
		"List-Id: <jardin.lists.test>\r\nFrom: a@example.org\r\nTo: jardin@lists.test\r\nSubject: [jardin] x\r\n" +
		"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <m1@example.org>\r\n\r\n")
	line := []byte("Lorem ipsum dolor sit amet, consectetur adipiscing elit. \r\n")
	for _, kind := range []string{"rsa2048", "ed25519"} {
		k := edKey(b)
		if kind == "rsa2048" {
			k = rsaKey(b, 2048)
		}
		s, err := NewSigner("lists.test", "sel", k.pem)
		if err != nil {
			b.Fatal(err)
		}
		for _, size := range []int{4 << 10, 1 << 20} {
			body := bytes.Repeat(line, size/len(line))
			name := fmt.Sprintf("%s-%dk", kind, size>>10)
			bh := HashBody(body)
			b.Run(name+"-header", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.SignHeader(header, bh); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(name+"-header-parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := s.SignHeader(header, bh); err != nil {
							b.Error(err)
						}
					}
				})
			})
			b.Run(name+"-gomsgauth", func(b *testing.B) {
				msg := append(append([]byte{}, header...), body...)
				o := &msgdkim.SignOptions{Domain: "lists.test", Selector: "sel", Signer: s.key,
					HeaderCanonicalization: msgdkim.CanonicalizationRelaxed, BodyCanonicalization: msgdkim.CanonicalizationRelaxed,
					HeaderKeys: headerKeys(fields(header), nil)}
				for b.Loop() {
					if err := msgdkim.Sign(io.Discard, bytes.NewReader(msg), o); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	body := bytes.Repeat(line, 70)
	b.Run("bodyhash-4k", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			HashBody(body)
		}
	})
}
