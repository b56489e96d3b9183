package dkim

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"tacit/internal/testkey"
)

// keyFor makes a key, its PEM, and a DNS that publishes it for domain.
func keyFor(t *testing.T, domain string) ([]byte, func(string) ([]string, error)) {
	t.Helper()
	pemKey, record := testkey.Ed25519(t)
	return pemKey, func(name string) ([]string, error) {
		if name == "sel._domainkey."+domain {
			return []string{record}, nil
		}
		return nil, errors.New("no such record")
	}
}

func TestSignAndCheck(t *testing.T) {
	t.Parallel()
	pemKey, dns := keyFor(t, "example.org")
	s, err := NewSigner("example.org", "sel", pemKey)
	if err != nil {
		t.Fatal(err)
	}
	header := []byte("From: Alice <alice@example.org>\r\nTo: jardin@lists.test\r\nSubject: OBJECTION\r\n" +
		"List-Unsubscribe: <https://x/u/personal>\r\n\r\n")
	body := []byte("OBJECTION : trop cher\r\n")
	sig, err := s.Sign(header, body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(sig), "DKIM-Signature: ") || !strings.Contains(string(sig), "List-Unsubscribe") {
		t.Errorf("signature %q", sig)
	}
	signed := append(append(append([]byte{}, sig...), header...), body...)
	c := Checker{LookupTXT: dns}
	if ok, why := c.auth(signed, "192.0.2.1:25"); !ok {
		t.Errorf("a signed reply is not authentic: %s", why)
	}
	// The List-Unsubscribe is signed: another one breaks the signature.
	personal := strings.Replace(string(signed), "u/personal", "u/other", 1)
	if ok, _ := c.auth([]byte(personal), "192.0.2.1:25"); ok {
		t.Errorf("a changed List-Unsubscribe passes")
	}
	tampered := strings.Replace(string(signed), "trop cher", "pas cher", 1)
	if ok, _ := c.auth([]byte(tampered), "192.0.2.1:25"); ok {
		t.Errorf("a tampered body passes")
	}
	forged := strings.Replace(string(signed), "alice@example.org", "alice@other.example", 1)
	if ok, _ := c.auth([]byte(forged), "192.0.2.1:25"); ok {
		t.Errorf("a signature of another domain passes")
	}
	unsigned := append(append([]byte{}, header...), body...)
	if ok, _ := c.auth(unsigned, "192.0.2.1:25"); ok {
		t.Errorf("an unsigned reply passes")
	}
	// A trusted relay's word is its Authentication-Results, not its IP:
	// it relays forgeries too.
	c.Trusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	c.AuthservID = "mx.lists.test"
	if ok, _ := c.auth(unsigned, "127.0.0.1:4242"); ok {
		t.Errorf("an unsigned message from a trusted relay, without its results, passes")
	}
	for ar, want := range map[string]bool{
		"mx.lists.test; dmarc=pass header.from=example.org":                                    true,
		"mx.lists.test; dkim=pass header.d=example.org; spf=fail smtp.mailfrom=x@x.test":       true,
		"mx.lists.test; spf=pass smtp.mailfrom=bounce@mail.example.org":                        true,
		"mx.lists.test; dkim=pass header.d=other.example":                                      false,
		"mx.lists.test; dmarc=fail header.from=example.org":                                    false,
		"other.relay; dmarc=pass header.from=example.org":                                      false,
		"mx.lists.test; dmarc=none header.from=example.org; dkim=neutral header.d=example.org": false,
	} {
		msg := append([]byte("Authentication-Results: "+ar+"\r\n"), unsigned...)
		if ok, why := c.auth(msg, "127.0.0.1:4242"); ok != want {
			t.Errorf("%q from the relay: %v (%s), want %v", ar, ok, why, want)
		}
		if ok, _ := c.auth(msg, "192.0.2.7:4242"); ok {
			t.Errorf("%q from a stranger is believed", ar)
		}
	}
	// The relay's own field is the topmost: a forged one below it is not read.
	forgedBelow := append([]byte("Authentication-Results: mx.lists.test; dmarc=fail header.from=example.org\r\n"+
		"Authentication-Results: mx.lists.test; dmarc=pass header.from=example.org\r\n"), unsigned...)
	if ok, _ := c.auth(forgedBelow, "127.0.0.1:4242"); ok {
		t.Errorf("a sender's own Authentication-Results below the relay's is believed")
	}
	// A signature the relay vouched for has its id too: replayed through
	// the relay, it is the same message.
	viaRelay := append([]byte("Authentication-Results: mx.lists.test; dmarc=pass header.from=example.org\r\n"), signed...)
	if r := c.Authenticate(viaRelay, "127.0.0.1:25"); !r.OK || r.Signature == "" {
		t.Errorf("relay-vouched signed message: %+v", r)
	}
	// A DKIM signature has an id, the same when replayed.
	replayed := append([]byte("Received: from elsewhere\r\n"), signed...)
	r1, r2 := c.Authenticate(signed, "192.0.2.1:25"), c.Authenticate(replayed, "192.0.2.1:25")
	if r1.Signature == "" || r1.Signature != r2.Signature {
		t.Errorf("signature ids %q %q", r1.Signature, r2.Signature)
	}
	if _, err := NewSigner("example.org", "sel", []byte("not a key")); err == nil {
		t.Errorf("a bad key file is accepted")
	}
}

func (c Checker) auth(raw []byte, remote string) (bool, string) {
	r := c.Authenticate(raw, remote)
	return r.OK, r.How
}
