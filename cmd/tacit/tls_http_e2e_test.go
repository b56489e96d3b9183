package main

import (
	"crypto/tls"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// With [http] tls_cert and tls_key, the web pages are served over HTTPS
// on the listen address, verified by Go's client against the test
// authority: the register page, and the one-click unsubscribe POST of the
// https link every copy carries. Plain HTTP and TLS 1.1 are refused.
func TestHTTPSOwnCertificate(t *testing.T) {
	t.Parallel()
	r := newTLSRig(t, tlsSetup{http: true, httpTLS: true})
	base := "https://localhost:" + portOf(r.httpAddr)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: r.ca.Pool()}}}

	res, err := client.Get(base + "/lists/jardin/decisions")
	if err != nil {
		t.Fatalf("GET the register over HTTPS: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "jardin") {
		t.Errorf("register: %s\n%.500s", res.Status, body)
	}
	if res.TLS == nil || res.TLS.Version < tls.VersionTLS12 {
		t.Errorf("register not served over TLS 1.2 or later: %+v", res.TLS)
	}
	if hsts := res.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
		t.Errorf("Strict-Transport-Security %q", hsts)
	}

	if err := sendMail(r.in.smtpAddr, "alice@example.org", []string{"jardin@lists.test"},
		post("Réunion de printemps", "<https.1@e2e.test>"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	r.waitDelivered("Réunion de printemps")
	rr := &replyRig{in: r.in, p: r.p}
	copyOf := rr.waitMail(t, "bob@example.org", "the post", func(m *gotMail) bool {
		return strings.Contains(m.subject, "Réunion de printemps")
	})
	link := regexp.MustCompile(`<(https://[^>]+)>`).FindStringSubmatch(copyOf.header("List-Unsubscribe"))
	if link == nil || !strings.HasPrefix(link[1], base+"/") {
		t.Fatalf("List-Unsubscribe %q: want a link under base_url %s", copyOf.header("List-Unsubscribe"), base)
	}
	res, err = client.Post(link[1], "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatalf("one-click POST over HTTPS: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("one-click POST: %s", res.Status)
	}
	if members := r.in.mustCLI("member", "ls", "jardin"); strings.Contains(members, "bob@example.org") {
		t.Errorf("bob is still a member after the one-click POST:\n%s", members)
	}

	// Plain HTTP on the same port gets no page.
	plain := &http.Client{Timeout: 10 * time.Second}
	if res, err := plain.Get("http://" + r.httpAddr + "/lists/jardin/decisions"); err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP on the HTTPS port: %s", res.Status)
		}
	}
	// Nor does a client stuck at TLS 1.1.
	if c, err := tls.Dial("tcp", r.httpAddr, &tls.Config{RootCAs: r.ca.Pool(), ServerName: "localhost",
		MaxVersion: tls.VersionTLS11}); err == nil {
		c.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}
}

// Behind a reverse proxy tacit speaks plain HTTP, and every absolute link
// it writes starts with base_url (https://…): never with what the
// request's Host or X-Forwarded-* headers say.
func TestWebBehindProxyUsesBaseURL(t *testing.T) {
	t.Parallel()
	r := newTLSRig(t, tlsSetup{http: true})
	base := "https://localhost:" + portOf(r.httpAddr) // as the proxy is reached
	if err := sendMail(r.in.smtpAddr, "alice@example.org", []string{"jardin@lists.test"},
		post("[PROPOSITION] Tondeuse", "<proxy.1@e2e.test>"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	r.waitDelivered("Tondeuse")
	for _, page := range []string{"/lists/jardin/decisions", "/lists/jardin/decisions.atom", "/lists/jardin/decisions.ics"} {
		req, err := http.NewRequest(http.MethodGet, "http://"+r.httpAddr+page, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "evil.example"
		req.Header.Set("X-Forwarded-Host", "evil.example")
		req.Header.Set("X-Forwarded-Proto", "http")
		req.Header.Set("Forwarded", "host=evil.example;proto=http")
		res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || strings.Contains(string(body), "evil.example") {
			t.Errorf("%s: %s, links from the request's headers:\n%.800s", page, res.Status, body)
		}
		if page != "/lists/jardin/decisions" && !strings.Contains(string(body), base+"/lists/jardin/decisions") {
			t.Errorf("%s: no link under base_url %s:\n%.800s", page, base, body)
		}
	}
	rr := &replyRig{in: r.in, p: r.p}
	copyOf := rr.waitMail(t, "bob@example.org", "the proposal", func(m *gotMail) bool {
		return strings.Contains(m.subject, "Tondeuse")
	})
	if u := copyOf.header("List-Unsubscribe"); !strings.Contains(u, "<"+base+"/unsubscribe/") {
		t.Errorf("List-Unsubscribe %q: want a link under base_url %s", u, base)
	}
}
