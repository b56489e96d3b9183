package main

// The signatures of the copies a list delivers, checked by an
// implementation that is not ours: Debian's python3-dkim (dkimpy), with
// the test key's record given in place of DNS.

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// dkimpy returns a python3 that can import dkim (and nacl, for Ed25519
// keys), or skips the test.
func dkimpy(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import dkim, nacl").Run() == nil {
			return path
		}
	}
	t.Skip("python3-dkim is not installed (.ci/run installs it)")
	return ""
}

// verifyScript checks each message file named on its command line with
// dkimpy: DKIM (the first signature: the list's) and the ARC chain. DNS
// is a function that knows one record.
const verifyScript = `
import json, sys, dkim
name, record = sys.argv[1].encode(), sys.argv[2].encode()
def dns(q, timeout=5):
    return record if q.rstrip(b".") == name else None
out = {}
for path in sys.argv[3:]:
    msg = open(path, "rb").read()
    d = dkim.DKIM(msg, minkey=1024)
    ok = d.verify(dnsfunc=dns)
    cv, results, why = dkim.arc_verify(msg, dnsfunc=dns)
    out[path] = {"dkim": bool(ok), "h": [h.decode() for h in (d.include_headers or [])],
                 "arc": (cv or b"").decode(), "arc_why": why,
                 "arc_sets": [{"i": r["instance"], "cv": r["cv"].decode(), "as": r["as-valid"], "ams": r["ams-valid"]} for r in results]}
print(json.dumps(out))
`

// pyVerdict is what verifyScript says of one message.
type pyVerdict struct {
	DKIM    bool     `json:"dkim"`
	H       []string `json:"h"`
	ARC     string   `json:"arc"`
	ARCWhy  string   `json:"arc_why"`
	ARCSets []struct {
		I   int    `json:"i"`
		CV  string `json:"cv"`
		AS  bool   `json:"as"`
		AMS bool   `json:"ams"`
	} `json:"arc_sets"`
}

// dkimpyVerify runs verifyScript on files with the key record of
// selector at domain.
func dkimpyVerify(t *testing.T, py, selector, domain, record string, files []string) map[string]pyVerdict {
	t.Helper()
	cmd := exec.Command(py, append([]string{"-c", verifyScript, selector + "._domainkey." + domain, record}, files...)...)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("dkimpy: %v\n%s", err, stderr)
	}
	var v map[string]pyVerdict
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("dkimpy said %q: %v", out, err)
	}
	return v
}

// writeDKIMKey writes a private key of kind ("rsa": 2048 bits, or
// "ed25519") as PEM PKCS #8 into dir, and returns its path and the DNS
// record that publishes it.
func writeDKIMKey(t *testing.T, dir, kind string) (path, record string) {
	t.Helper()
	var der []byte
	switch kind {
	case "rsa":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		der, _ = x509.MarshalPKCS8PrivateKey(k)
		pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		record = "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub)
	default:
		pub, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, _ = x509.MarshalPKCS8PrivateKey(k)
		record = "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	}
	path = filepath.Join(dir, "dkim-"+kind+".pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, record
}

// A post to a list with one-click unsubscribe (HTTP on) and a DKIM key:
// every member's copy, taken from the maildir outbox, carries a
// signature of the list that dkimpy verifies and whose h= covers that
// member's List-Unsubscribe and List-Unsubscribe-Post; a copy whose
// List-Unsubscribe was changed fails. For an RSA-2048 and an Ed25519 key.
// With the RSA key, the copy is also sealed (ARC, i=1) with the relay's
// results, and dkimpy validates the chain.
func TestCopiesSignedForEachMemberVerifiedByDkimpy(t *testing.T) {
	t.Parallel()
	py := dkimpy(t)
	for _, kind := range []string{"rsa", "ed25519"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, "maildir", "")
			keyPath, record := writeDKIMKey(t, in.dir, kind)
			in.http = true
			in.extra = fmt.Sprintf("\n[dkim]\ndomain = \"lists.test\"\nselector = \"tacit\"\nprivate_key = %q\n", keyPath)
			in.writeConfig(freePort(t))
			members := []string{"alice@example.org", "bob@example.org", "carol@example.net"}
			in.mustCLI("list", "create", "jardin", "--from-rewrite", "always")
			in.mustCLI(append([]string{"member", "add", "jardin"}, members...)...)
			p := in.start()
			msg := message("Alice <alice@example.org>", "jardin@lists.test", "Tondeuse arrivée",
				"<dkim.e2e.1@example.org>", "La tondeuse est arrivée.\n\n-- \nAlice\n")
			if err := sendMail(in.smtpAddr, "alice@example.org", []string{"jardin@lists.test"}, msg, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			files := outboxCopies(t, in, p, members)
			verdicts := dkimpyVerify(t, py, "tacit", "lists.test", record, files)
			unsubs := map[string]bool{}
			for _, f := range files {
				v := verdicts[f]
				if !v.DKIM {
					t.Errorf("%s: dkimpy does not verify the list's signature", f)
				}
				h := strings.Join(v.H, ":")
				for _, want := range []string{"list-unsubscribe", "list-unsubscribe-post", "from", "to", "subject",
					"date", "message-id", "list-id", "list-post", "mime-version", "content-type"} {
					if !contains(v.H, want) {
						t.Errorf("%s: h=%s lacks %s", f, h, want)
					}
				}
				if count(v.H, "from") < 2 || count(v.H, "list-unsubscribe") < 2 || count(v.H, "list-id") < 2 {
					t.Errorf("%s: From, List-Id and List-Unsubscribe are not over-signed: h=%s", f, h)
				}
				raw, _ := os.ReadFile(f)
				unsubs[headerOf(raw, "List-Unsubscribe")] = true
				checkSeal(t, f, kind, raw, v)
			}
			if len(unsubs) != len(members) {
				t.Errorf("%d distinct List-Unsubscribe for %d members: %v", len(unsubs), len(members), unsubs)
			}
			// The coverage is real: another unsubscribe link, or none, fails.
			raw, _ := os.ReadFile(files[0])
			tampered := filepath.Join(t.TempDir(), "tampered")
			link := headerOf(raw, "List-Unsubscribe")
			i := strings.Index(link, "/unsubscribe/")
			if i < 0 {
				t.Fatalf("no one-click link in %q", link)
			}
			// Another member's link: the same URL but for its token.
			token := link[i : i+len("/unsubscribe/")+10]
			forged := strings.Replace(string(raw), token, "/unsubscribe/AAAAAAAAAA", 1)
			if forged == string(raw) {
				t.Fatalf("the link was not changed")
			}
			if err := os.WriteFile(tampered, []byte(forged), 0o600); err != nil {
				t.Fatal(err)
			}
			dropped := filepath.Join(t.TempDir(), "dropped")
			if err := os.WriteFile(dropped, []byte(strings.Replace(string(raw),
				"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", "", 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			for f, v := range dkimpyVerify(t, py, "tacit", "lists.test", record, []string{tampered, dropped}) {
				if v.DKIM {
					t.Errorf("%s: dkimpy verifies a copy whose List-Unsubscribe was changed", filepath.Base(f))
				}
			}
			p.stop()
		})
	}
}

// checkSeal checks the ARC set of a copy: with an RSA key, one set
// (i=1, cv=none) that dkimpy validates, whose
// ARC-Authentication-Results say what the trusted relay found; with an
// Ed25519 key none (ARC verifiers accept rsa-sha256 only).
func checkSeal(t *testing.T, f, kind string, raw []byte, v pyVerdict) {
	t.Helper()
	if kind != "rsa" {
		if strings.Contains(string(raw), "ARC-Seal:") || len(v.ARCSets) != 0 {
			t.Errorf("%s: an ARC set made with an Ed25519 key", f)
		}
		return
	}
	if v.ARC != "pass" || len(v.ARCSets) != 1 {
		t.Fatalf("%s: dkimpy: ARC chain %q (%s), %d sets", f, v.ARC, v.ARCWhy, len(v.ARCSets))
	}
	if s := v.ARCSets[0]; s.I != 1 || s.CV != "none" || !s.AS || !s.AMS {
		t.Errorf("%s: ARC set %+v", f, s)
	}
	aar := headerOf(raw, "ARC-Authentication-Results")
	if !strings.HasPrefix(aar, "i=1; "+testRelayID+"; dmarc=pass header.from=example.org") || !strings.Contains(aar, "arc=none") {
		t.Errorf("%s: ARC-Authentication-Results: %s", f, aar)
	}
}

// outboxCopies waits for one copy per member in the maildir outbox and
// returns their paths, sorted.
func outboxCopies(t *testing.T, in *instance, p *proc, members []string) []string {
	t.Helper()
	var files []string
	list := func() []string {
		files = files[:0]
		for _, m := range members {
			fs, _ := filepath.Glob(filepath.Join(in.dir, "outbox", m, "new", "*"))
			files = append(files, fs...)
		}
		return files
	}
	if !waitFor(10*time.Second, func() bool { return len(list()) >= len(members) }) {
		t.Fatalf("%d copies in the outbox after 10s, want %d; logs:\n%s", len(files), len(members), p.logs.String())
	}
	sort.Strings(files)
	return append([]string{}, files...)
}

func contains(xs []string, x string) bool { return count(xs, x) > 0 }

func count(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if strings.EqualFold(v, x) {
			n++
		}
	}
	return n
}
