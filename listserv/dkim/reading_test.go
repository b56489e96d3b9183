package dkim

import (
	"net"
	"net/netip"
	"testing"
)

// Read judges a message as Authenticate would, without its client: a
// valid aligned signature passes, a key that does not exist fails, a
// DNS that does not answer is a temperror, and a relay's field counts
// only with trusted relays configured.
func TestRead(t *testing.T) {
	t.Parallel()
	pemKey, dns := keyFor(t, "example.org")
	s, err := NewSigner("example.org", "sel", pemKey)
	if err != nil {
		t.Fatal(err)
	}
	header := []byte("From: Alice <alice@example.org>\r\nTo: jardin@lists.test\r\nSubject: OBJECTION\r\n\r\n")
	body := []byte("OBJECTION : trop cher\r\n")
	sig, err := s.Sign(header, body)
	if err != nil {
		t.Fatal(err)
	}
	signed := append(append(append([]byte{}, sig...), header...), body...)
	down := func(name string) ([]string, error) {
		return nil, &net.DNSError{Err: "server misbehaving", Name: name, IsTemporary: true}
	}
	missing := func(name string) ([]string, error) {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	ar := []byte("Authentication-Results: mx.lists.test; dkim=pass header.d=example.org\r\n")
	relays := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	for _, c := range []struct {
		name string
		c    Checker
		raw  []byte
		want Reading
	}{
		{"signed", Checker{LookupTXT: dns}, signed, Reading{Method: MethodDKIM, Domain: "example.org", Result: ResultPass}},
		{"no key", Checker{LookupTXT: missing}, signed, Reading{Method: MethodDKIM, Domain: "example.org", Result: ResultFail}},
		{"unsigned", Checker{LookupTXT: dns}, append(append([]byte{}, header...), body...),
			Reading{Method: MethodNone, Domain: "example.org", Result: ResultNone}},
		{"relay", Checker{LookupTXT: missing, Trusted: relays, AuthservID: "mx.lists.test"}, append(ar, signed...),
			Reading{Method: MethodRelay, Domain: "example.org", Result: ResultPass}},
		{"relay not configured", Checker{LookupTXT: missing, AuthservID: "mx.lists.test"}, append(ar, signed...),
			Reading{Method: MethodDKIM, Domain: "example.org", Result: ResultFail}},
	} {
		if got := c.c.Read(c.raw); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	if got := (Checker{LookupTXT: down}).Read(signed); got.Result != ResultTempError || got.DNSError == "" {
		t.Errorf("DNS down: %+v", got)
	}
}
