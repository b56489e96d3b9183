package dkim

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// arcMessage is a post as a list distributes it: header and body.
const arcHeader = "List-Id: \"Jardin\" <jardin.lists.test>\r\nList-Post: <mailto:jardin@lists.test>\r\n" +
	"From: Alice <alice@example.org>\r\nTo: jardin@lists.test\r\nSubject: [jardin] Tondeuse\r\n" +
	"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <m1@example.org>\r\n" +
	"DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=mail; h=from:subject; bh=xx; b=AbCdEfGhIjKl\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"

const arcBody = "La tondeuse est arrivée.\r\n\r\n-- \r\nJardin partagé\r\n"

// listSigner is the list's RSA signer and the DNS that publishes its key.
func listSigner(t testing.TB, records map[string]string) *Signer {
	t.Helper()
	k := rsaKey(t, 2048)
	s, err := NewSigner("lists.test", "sel", k.pem)
	if err != nil {
		t.Fatal(err)
	}
	records["sel._domainkey.lists.test"] = k.record
	return s
}

// A set made by Seal validates (i=1, cv=none); a changed body, results,
// or Subject break it; a second hop extends it with cv=pass; a copy
// whose body was rewritten is resealed; an Ed25519 key does not seal.
func TestSealAndValidate(t *testing.T) {
	t.Parallel()
	records := map[string]string{}
	s := listSigner(t, records)
	c := Checker{LookupTXT: dnsOf(records)}
	sealed, err := s.Seal([]byte(arcHeader), HashBody([]byte(arcBody)), "mx.lists.test; dkim=pass header.d=example.org header.b=AbCdEfGh", c.ARCChain(nil))
	if err != nil {
		t.Fatal(err)
	}
	fs := fields(sealed)
	if !fs[0].is("ARC-Seal") || !fs[1].is("ARC-Message-Signature") || !fs[2].is("ARC-Authentication-Results") {
		t.Fatalf("the set is not on top, in order:\n%s", sealed)
	}
	if v := string(fs[2].value()); !strings.HasPrefix(v, " i=1; mx.lists.test; dkim=pass") {
		t.Errorf("ARC-Authentication-Results:%s", v)
	}
	if v := string(fs[0].value()); !strings.Contains(v, "cv=none") || !strings.Contains(v, "a=rsa-sha256") {
		t.Errorf("ARC-Seal:%s", v)
	}
	if h := string(fs[1].value()); strings.Contains(strings.ToLower(h), "dkim-signature") || strings.Contains(strings.ToLower(h), "list-unsubscribe") {
		t.Errorf("the ARC-Message-Signature covers fields that change after it:%s", h)
	}
	msg := string(sealed) + arcBody
	if ch := c.ARCChain([]byte(msg)); ch.CV != ChainPass || ch.Instance != 1 {
		t.Fatalf("the chain we sealed: %+v", ch)
	}
	// What a member's copy gets later leaves the set valid.
	copyOf := "DKIM-Signature: v=1; d=lists.test; b=x\r\nList-Unsubscribe: <https://lists.test/u/bob>\r\n" +
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" + msg
	if ch := c.ARCChain([]byte(copyOf)); ch.CV != ChainPass {
		t.Errorf("a member's copy: %+v", ch)
	}
	for what, bad := range map[string]string{
		"a changed body":    strings.Replace(msg, "arrivée", "partie", 1),
		"changed results":   strings.Replace(msg, "header.d=example.org", "header.d=evil.example", 1),
		"a changed Subject": strings.Replace(msg, "[jardin] Tondeuse", "[jardin] Tondeuse gratuite", 1),
		"a second set i=1":  strings.Replace(msg, "List-Id:", strings.SplitN(msg, "ARC-Message-Signature", 2)[0]+"List-Id:", 1),
		"an unknown key":    strings.Replace(msg, "s=sel;", "s=gone;", 2),
	} {
		if ch := c.ARCChain([]byte(bad)); ch.CV != ChainFail {
			t.Errorf("%s: %+v", what, ch)
		}
	}
	// Another hop, another key: i=2, cv=pass, the whole chain valid.
	hop := listSigner(t, map[string]string{})
	hop.domain, hop.selector = "relay.test", "r1"
	records["r1._domainkey.relay.test"] = records["sel._domainkey.lists.test"]
	hop.key = s.key
	twice, err := hop.Seal(sealed, HashBody([]byte(arcBody)), "relay.test; arc=pass", c.ARCChain([]byte(msg)))
	if err != nil {
		t.Fatal(err)
	}
	if ch := c.ARCChain(append(twice, arcBody...)); ch.CV != ChainPass || ch.Instance != 2 {
		t.Errorf("two hops: %+v\n%s", ch, twice)
	}
	if !strings.Contains(string(fields(twice)[0].value()), "cv=pass") {
		t.Errorf("the second seal: %s", fields(twice)[0].raw)
	}
	// A copy with its own body (a proposal's links): resealed, valid.
	body2 := strings.Replace(arcBody, "arrivée", "arrivée pour bob", 1)
	resealed, err := s.Reseal(sealed, HashBody([]byte(body2)))
	if err != nil {
		t.Fatal(err)
	}
	if ch := c.ARCChain(append(resealed, body2...)); ch.CV != ChainPass || ch.Instance != 1 {
		t.Errorf("resealed: %+v", ch)
	}
	if n := strings.Count(string(resealed), "ARC-Seal:"); n != 1 {
		t.Errorf("%d ARC-Seal after a reseal", n)
	}
	// A broken incoming chain is sealed with cv=fail, over our set only;
	// a chain already ended by cv=fail is not extended.
	broken := c.ARCChain([]byte(strings.Replace(msg, "arrivée", "partie", 1)))
	failed, err := s.Seal(sealed, HashBody([]byte(arcBody)), "lists.test; arc=fail", broken)
	if err != nil || !strings.Contains(string(fields(failed)[0].value()), "cv=fail") {
		t.Fatalf("sealing a broken chain: %v\n%s", err, failed)
	}
	ended := c.ARCChain(append(failed, arcBody...))
	if !ended.Terminated {
		t.Errorf("a chain ended by cv=fail: %+v", ended)
	}
	if _, err := s.Seal(failed, HashBody([]byte(arcBody)), "lists.test; arc=fail", ended); err == nil {
		t.Errorf("a terminated chain was extended")
	}
	ed, _ := NewSigner("lists.test", "ed", edKey(t).pem)
	if ed.CanSeal() {
		t.Errorf("an Ed25519 key claims to seal")
	}
	if _, err := ed.Seal([]byte(arcHeader), HashBody([]byte(arcBody)), "x; none", Chain{CV: ChainNone}); err == nil {
		t.Errorf("an Ed25519 key sealed")
	}
	if ch := c.ARCChain([]byte(arcHeader + arcBody)); ch.CV != ChainNone || ch.Instance != 0 {
		t.Errorf("no ARC sets: %+v", ch)
	}
}

// dkimpyARC is the script that seals (arc_sign, as an upstream hop) or
// verifies (arc_verify) a message file with dkimpy, DNS being a table.
const dkimpyARC = `
import json, sys, dkim
op, path, records = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
def dns(q, timeout=5):
    v = records.get(q.decode().rstrip("."))
    return v.encode() if v else None
msg = open(path, "rb").read()
if op == "sign":
    key = open(sys.argv[4], "rb").read()
    sets = dkim.arc_sign(msg, b"up", b"upstream.test", key, b"mx.upstream.test",
                         include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    sys.stdout.buffer.write(b"".join(sets) + msg)
else:
    cv, results, why = dkim.arc_verify(msg, dnsfunc=dns)
    print(json.dumps({"cv": (cv or b"").decode(), "why": why, "n": len(results)}))
`

// pythonDkim returns a python3 with dkimpy (and authres, which arc_sign
// needs), or skips.
func pythonDkim(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import dkim, nacl, authres").Run() == nil {
			return path
		}
	}
	t.Skip("python3-dkim and python3-authres are not installed (.ci/run installs them)")
	return ""
}

// Our chain validation agrees with dkimpy's, and dkimpy validates what
// we seal: a set made upstream by dkimpy validates here (cv=pass), our
// set i=2 over it validates there; when the body was changed after the
// upstream seal, both say fail.
func TestARCAgreesWithDkimpy(t *testing.T) {
	t.Parallel()
	py := pythonDkim(t)
	records := map[string]string{}
	s := listSigner(t, records)
	up := rsaKey(t, 2048)
	records["up._domainkey.upstream.test"] = up.record
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "up.pem")
	if err := os.WriteFile(keyPath, up.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	dns, _ := json.Marshal(records)
	run := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command(py, append([]string{"-c", dkimpyARC}, args...)...).Output()
		if err != nil {
			t.Fatalf("dkimpy %s: %v", args[0], err)
		}
		return out
	}
	verify := func(msg []byte) (cv string, n int) {
		t.Helper()
		p := filepath.Join(t.TempDir(), "msg")
		os.WriteFile(p, msg, 0o600)
		var v struct {
			CV  string
			Why string
			N   int
		}
		if err := json.Unmarshal(run("verify", p, string(dns)), &v); err != nil {
			t.Fatal(err)
		}
		return v.CV, v.N
	}
	received := "Authentication-Results: mx.upstream.test; dkim=pass header.d=example.org\r\n" +
		"From: Alice <alice@example.org>\r\nTo: jardin@lists.test\r\nSubject: Tondeuse\r\n" +
		"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <m1@example.org>\r\n\r\n" + arcBody
	in := filepath.Join(dir, "in")
	os.WriteFile(in, []byte(received), 0o600)
	upstream := run("sign", in, string(dns), keyPath)
	if !bytes.Contains(upstream, []byte("ARC-Seal: i=1")) {
		t.Fatalf("dkimpy did not seal: %s", upstream)
	}
	c := Checker{LookupTXT: dnsOf(records)}
	for _, tc := range []struct {
		what, body, want string
	}{
		{"intact", arcBody, ChainPass},
		{"body changed on the way", strings.Replace(arcBody, "arrivée", "partie", 1), ChainFail},
	} {
		msg := []byte(strings.Replace(string(upstream), arcBody, tc.body, 1))
		ch := c.ARCChain(msg)
		if ch.CV != tc.want || ch.Instance != 1 {
			t.Errorf("%s: we say %+v, want cv=%s", tc.what, ch, tc.want)
		}
		if cv, _ := verify(msg); cv != tc.want {
			t.Errorf("%s: dkimpy says %q, want %s", tc.what, cv, tc.want)
		}
		// The list's set over it: the list changes the Subject.
		header, body, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
		header = bytes.Replace(append(header, "\r\n\r\n"...), []byte("Subject: Tondeuse"), []byte("Subject: [jardin] Tondeuse"), 1)
		header = Prepend([]byte("List-Id: <jardin.lists.test>\r\n"), header)
		sealed, err := s.Seal(header, HashBody(body), "lists.test; dkim=pass header.d=example.org; arc="+ch.CV, ch)
		if err != nil {
			t.Fatal(err)
		}
		out := append(sealed, body...)
		cv, n := verify(out)
		switch tc.want {
		case ChainPass:
			if cv != "pass" || n != 2 {
				t.Errorf("%s: dkimpy says cv=%q over %d sets of our i=2, want pass over 2\n%s", tc.what, cv, n, out)
			}
		default:
			if cv == "pass" {
				t.Errorf("%s: dkimpy passes a chain we sealed with cv=fail", tc.what)
			}
		}
		if ours := c.ARCChain(out); (ours.CV == ChainPass) != (cv == "pass") {
			t.Errorf("%s: we say %+v of our own i=2, dkimpy %q", tc.what, ours, cv)
		}
	}
}
