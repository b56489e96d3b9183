package admin

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tacit/internal/testkey"
	"tacit/listserv/dkim"
	"tacit/storage"
)

// testKey makes a DKIM signer of domain and the DNS that publishes its
// key: name → TXT record.
func testKey(t *testing.T, domain string, dns map[string]string) *dkim.Signer {
	t.Helper()
	key, record := testkey.Ed25519(t)
	s, err := dkim.NewSigner(domain, "sel", key)
	if err != nil {
		t.Fatal(err)
	}
	dns["sel._domainkey."+domain] = record
	return s
}

// `tacit explain` says how the sender would be authenticated and what
// the list's mode makes of it: a signed reply counts at once, an
// unsigned one waits for a confirmation (or is refused on a "dkim"
// list), a trusted relay's pass counts, and a DNS that does not answer
// is said, not guessed.
func TestExplainAuthentication(t *testing.T) {
	t.Parallel()
	dns := map[string]string{}
	signer := testKey(t, "example.org", dns)
	dnsDown := false
	lookup := func(name string) ([]string, error) {
		if dnsDown {
			return nil, &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true}
		}
		if v, ok := dns[name]; ok {
			return []string{v}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	store, err := storage.Open(filepath.Join(t.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	relays := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	mk := func(trusted []netip.Prefix) *Admin {
		return New(Options{Store: store, Domain: "lists.test",
			Authenticity: dkim.Checker{LookupTXT: func(n string) ([]string, error) { return lookup(n) },
				Trusted: trusted, AuthservID: "mx.lists.test"}})
	}
	a := mk(relays)
	mustRun(t, a, "list create jardin --owner o@example.org")
	mustRun(t, a, "list create strict --owner o@example.org --authentication dkim")

	dir := t.TempDir()
	reply := "From: Bob <bob@example.org>\r\nTo: jardin@lists.test\r\nSubject: RE: [PROPOSITION #3] Budget\r\n" +
		"In-Reply-To: <p3@example.org>\r\n\r\nObjection : trop cher\r\n"
	hdr, body, _ := strings.Cut(reply, "\r\n\r\n")
	sig, err := signer.Sign([]byte(hdr+"\r\n\r\n"), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	signed := string(sig) + reply
	write := func(name, msg string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(msg), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type auth struct{ Method, Domain, Result, Effect, Mode string }
	explainJSON := func(a *Admin, args ...string) auth {
		t.Helper()
		var out strings.Builder
		if err := a.Execute(context.Background(), append(append([]string{"explain"}, args...), "--json"), &out); err != nil {
			t.Fatalf("explain %v: %v", args, err)
		}
		var d struct {
			Commands       []string `json:"commands"`
			Authentication *auth    `json:"authentication"`
		}
		if err := json.Unmarshal([]byte(out.String()), &d); err != nil || d.Authentication == nil || len(d.Commands) != 1 {
			t.Fatalf("explain %v --json: %v\n%s", args, err, out.String())
		}
		return *d.Authentication
	}
	explainText := func(a *Admin, lang string, args ...string) string {
		t.Helper()
		var out strings.Builder
		if err := a.ExecuteIn(context.Background(), lang, append([]string{"explain"}, args...), &out); err != nil {
			t.Fatalf("explain %v: %v", args, err)
		}
		return out.String()
	}

	for _, c := range []struct {
		name, msg string
		args      []string
		want      auth
	}{
		{"signed", signed, nil, auth{"dkim", "example.org", "pass", "counts", "dkim-or-confirm"}},
		{"unsigned", reply, nil, auth{"none", "example.org", "none", "confirm", "dkim-or-confirm"}},
		{"tampered, on a dkim list", strings.Replace(signed, "trop cher", "pas cher", 1), []string{"--list", "strict"},
			auth{"dkim", "example.org", "fail", "refused", "dkim"}},
		{"unsigned, on a dkim list", reply, []string{"--list", "strict"}, auth{"none", "example.org", "none", "refused", "dkim"}},
		{"relay pass", "Authentication-Results: mx.lists.test; dmarc=pass header.from=example.org\r\n" + reply, nil,
			auth{"relay", "example.org", "pass", "counts", "dkim-or-confirm"}},
		{"relay fail", "Authentication-Results: mx.lists.test; dmarc=fail header.from=example.org\r\n" + signed, nil,
			auth{"relay", "example.org", "fail", "confirm", "dkim-or-confirm"}},
		{"another relay's pass", "Authentication-Results: mx.evil.test; dmarc=pass header.from=example.org\r\n" + reply, nil,
			auth{"none", "example.org", "none", "confirm", "dkim-or-confirm"}},
	} {
		if got := explainJSON(a, append([]string{write(c.name+".eml", c.msg)}, c.args...)...); got != c.want {
			t.Errorf("%s: authentication %+v, want %+v", c.name, got, c.want)
		}
	}

	// Without trusted relays in the configuration, a relay's field is
	// not believed, whatever its authserv-id.
	relayed := write("relayed.eml", "Authentication-Results: mx.lists.test; dmarc=pass header.from=example.org\r\n"+reply)
	if got := explainJSON(mk(nil), relayed); got.Method != "none" || got.Effect != "confirm" {
		t.Errorf("no trusted relay configured: authentication %+v", got)
	}
	if out := explainText(a, "", relayed); !strings.Contains(out, "expéditeur :    vérifié (domaine example.org)") ||
		!strings.Contains(out, "passé par ce relais") || !strings.Contains(out, "comptent aussitôt") {
		t.Errorf("French text of a relay's pass:\n%s", out)
	}
	if out := explainText(a, "en", write("unsigned.eml", reply)); !strings.Contains(out, "sender:    not verified (domain example.org): no DKIM") ||
		!strings.Contains(out, "a confirmation question is sent") {
		t.Errorf("English text of an unsigned reply:\n%s", out)
	}

	// The DNS does not answer: the signature is not checked, and explain
	// says so.
	dnsDown = true
	file := write("signed.eml", signed)
	if got := explainJSON(a, file); got.Result != "temperror" || got.Method != "dkim" || got.Effect != "confirm" {
		t.Errorf("DNS down: authentication %+v", got)
	}
	if out := explainText(a, "en", file); !strings.Contains(out, "the DNS did not answer") || !strings.Contains(out, "i/o timeout") {
		t.Errorf("DNS down, English text:\n%s", out)
	}
}
