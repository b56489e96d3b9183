package main

// Helpers of TestForgeryThroughPostfix (forgery_e2e_test.go): the keys of
// the senders' mail providers, a milter that plays the operator's
// DKIM/DMARC checker, and a private Postfix instance (as in
// postfix_helpers_test.go) that runs it in front of tacit.

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-milter"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
)

// dkimKey is the signing key of one mail provider: its domain (d=), its
// selector (s=), and the TXT record it publishes at
// SELECTOR._domainkey.DOMAIN.
type dkimKey struct {
	domain, selector string
	signer           crypto.Signer
	record           string
}

// newRSAKey generates a 2048-bit RSA key, as most providers have.
func newRSAKey(t testing.TB, domain, selector string) *dkimKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &dkimKey{domain: domain, selector: selector, signer: k,
		record: "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)}
}

// newEd25519Key generates an Ed25519 key (RFC 8463).
func newEd25519Key(t testing.TB, domain, selector string) *dkimKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &dkimKey{domain: domain, selector: selector, signer: priv,
		record: "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}
}

// signedFields are the fields a provider signs. Message-ID is not among
// them (RFC 6376 only recommends it): a replay under a new Message-ID
// keeps a valid signature.
var signedFields = []string{"From", "To", "Cc", "Subject", "Date", "In-Reply-To", "References",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding"}

// sign returns raw with this provider's DKIM-Signature on top
// (relaxed/relaxed).
func (k *dkimKey) sign(t testing.TB, raw []byte) []byte {
	t.Helper()
	var sig bytes.Buffer
	err := dkim.Sign(&sig, bytes.NewReader(raw), &dkim.SignOptions{
		Domain: k.domain, Selector: k.selector, Signer: k.signer,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             signedFields,
	})
	if err != nil {
		t.Fatalf("DKIM signing as %s: %v", k.domain, err)
	}
	return sig.Bytes()
}

// milterVerdict is what the test milter found in one message and wrote
// in its Authentication-Results.
type milterVerdict struct {
	MailFrom, From, MessageID string
	// DKIM is one "pass d=DOMAIN" / "fail d=DOMAIN: why" per signature.
	DKIM  []string
	DMARC authres.ResultValue
	// Header is the value of the Authentication-Results field added.
	Header string
}

// testMilter is the operator's DKIM/DMARC checker: for each message
// Postfix receives, it verifies the DKIM signatures against the keys the
// test published (no DNS), and inserts at the top of the header
// "Authentication-Results: ID; dkim=… header.d=…; dmarc=pass|fail
// header.from=…", dmarc=pass when a valid signature's d= is aligned
// (relaxed) with the From domain.
type testMilter struct {
	id   string // authserv-id
	addr string // 127.0.0.1:PORT
	txt  map[string]string

	mu       sync.Mutex
	verdicts []milterVerdict
	errs     []string
}

// startTestMilter starts the milter with the public keys of keys; it is
// closed when the test ends.
func startTestMilter(t testing.TB, id string, keys ...*dkimKey) *testMilter {
	t.Helper()
	m := &testMilter{id: id, txt: map[string]string{}}
	for _, k := range keys {
		m.txt[strings.ToLower(k.selector+"._domainkey."+k.domain)] = k.record
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	srv := &milter.Server{
		NewMilter: func() milter.Milter { return &checkerSession{m: m} },
		Actions:   milter.OptAddHeader | milter.OptChangeHeader,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return m
}

// lookupTXT answers the DKIM key queries from the published records.
func (m *testMilter) lookupTXT(domain string) ([]string, error) {
	if r, ok := m.txt[strings.ToLower(strings.TrimSuffix(domain, "."))]; ok {
		return []string{r}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: domain, IsNotFound: true}
}

// verdict returns what the milter found in the message whose Message-ID
// is id.
func (m *testMilter) verdict(id string) (milterVerdict, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.verdicts {
		if v.MessageID == id {
			return v, true
		}
	}
	return milterVerdict{}, false
}

// report lists every verdict and error, for the test's log.
func (m *testMilter) report() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for _, v := range m.verdicts {
		fmt.Fprintf(&b, "  MAIL FROM <%s>, From %s, %s: %s\n", v.MailFrom, v.From, v.MessageID, v.Header)
	}
	for _, e := range m.errs {
		fmt.Fprintf(&b, "  error: %s\n", e)
	}
	return b.String()
}

// checkerSession is the milter's state for one message.
type checkerSession struct {
	milter.NoOpMilter
	m        *testMilter
	mailFrom string
	header   bytes.Buffer
	body     bytes.Buffer
}

func (s *checkerSession) MailFrom(from string, _ *milter.Modifier) (milter.Response, error) {
	s.mailFrom = from
	return milter.RespContinue, nil
}

// Header collects the fields in order, as they were written: Postfix
// gives the value without the space after the colon, its folds as LF.
func (s *checkerSession) Header(name, value string, _ *milter.Modifier) (milter.Response, error) {
	s.header.WriteString(name + ": " + toCRLF(value) + "\r\n")
	return milter.RespContinue, nil
}

func (s *checkerSession) BodyChunk(chunk []byte, _ *milter.Modifier) (milter.Response, error) {
	s.body.Write(chunk)
	return milter.RespContinue, nil
}

func (s *checkerSession) Abort(*milter.Modifier) error {
	s.mailFrom = ""
	s.header.Reset()
	s.body.Reset()
	return nil
}

// Body checks the whole message and inserts the Authentication-Results
// field at the top of the header (above anything the sender wrote).
func (s *checkerSession) Body(mod *milter.Modifier) (milter.Response, error) {
	raw := append(append(bytes.Clone(s.header.Bytes()), "\r\n"...), toCRLF(s.body.String())...)
	v := s.m.check(raw)
	v.MailFrom = s.mailFrom
	if err := mod.InsertHeader(0, "Authentication-Results", v.Header); err != nil {
		s.m.mu.Lock()
		s.m.errs = append(s.m.errs, fmt.Sprintf("inserting the header of %s: %v", v.MessageID, err))
		s.m.mu.Unlock()
		return milter.RespTempFail, nil
	}
	s.m.mu.Lock()
	s.m.verdicts = append(s.m.verdicts, v)
	s.m.mu.Unlock()
	return milter.RespAccept, nil
}

// check verifies the DKIM signatures of raw and writes the verdict.
func (m *testMilter) check(raw []byte) milterVerdict {
	var v milterVerdict
	var fromDomain string
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		v.MessageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
		v.From = msg.Header.Get("From")
		if a, err := mail.ParseAddress(v.From); err == nil {
			_, fromDomain, _ = strings.Cut(strings.ToLower(a.Address), "@")
		}
	}
	var results []authres.Result
	v.DMARC = authres.ResultFail
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: m.lookupTXT, MaxVerifications: 5})
	if err != nil && len(vs) == 0 {
		results = append(results, &authres.DKIMResult{Value: authres.ResultPermError, Reason: err.Error()})
		v.DKIM = append(v.DKIM, "permerror: "+err.Error())
	}
	if err == nil && len(vs) == 0 {
		results = append(results, &authres.DKIMResult{Value: authres.ResultNone})
		v.DKIM = append(v.DKIM, "none")
	}
	for _, sig := range vs {
		d := strings.ToLower(sig.Domain)
		switch {
		case sig.Err == nil:
			results = append(results, &authres.DKIMResult{Value: authres.ResultPass, Domain: d})
			v.DKIM = append(v.DKIM, "pass d="+d)
			if relaxedAligned(d, fromDomain) {
				v.DMARC = authres.ResultPass
			}
		case dkim.IsTempFail(sig.Err):
			results = append(results, &authres.DKIMResult{Value: authres.ResultTempError, Domain: d, Reason: sig.Err.Error()})
			v.DKIM = append(v.DKIM, "temperror d="+d+": "+sig.Err.Error())
		default:
			results = append(results, &authres.DKIMResult{Value: authres.ResultFail, Domain: d, Reason: sig.Err.Error()})
			v.DKIM = append(v.DKIM, "fail d="+d+": "+sig.Err.Error())
		}
	}
	results = append(results, &authres.DMARCResult{Value: v.DMARC, From: fromDomain})
	// Format writes "dkim=none ;" for a result without properties.
	v.Header = strings.ReplaceAll(authres.Format(m.id, results), " ;", ";")
	v.Header = strings.TrimSpace(v.Header)
	return v
}

// relaxedAligned is DMARC's relaxed alignment, with the organizational
// domain taken as the last two labels (enough for the test's domains).
func relaxedAligned(a, b string) bool {
	org := func(d string) string {
		labels := strings.Split(strings.TrimSuffix(d, "."), ".")
		if len(labels) > 2 {
			labels = labels[len(labels)-2:]
		}
		return strings.Join(labels, ".")
	}
	return a != "" && b != "" && org(a) == org(b)
}

// toCRLF ends every line with CRLF.
func toCRLF(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// startMilterPostfix runs a private Postfix instance, as startPostfix does
// (postfix_helpers_test.go: same directory layout, master.cf and
// clean-up), that accepts mail from 127.0.0.0/8 for the domains of
// routes, passes every message to the milter at milterAddr (a milter that
// does not answer fails the message: milter_default_action = tempfail),
// and relays it to the route's server.
func startMilterPostfix(t testing.TB, routes []postfixRoute, milterAddr string) *postfixMTA {
	t.Helper()
	return startPostfixWith(t, routes, nil, milterAddr)
}

// sendRawFrom is sendRaw from a client bound to the local address ip
// (127.0.0.2 is on the loopback, outside 127.0.0.1/32).
func sendRawFrom(ip, addr, from string, to []string, msg []byte, timeout time.Duration) error {
	d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return sendFrom(d, "attacker.test", addr, from, to, msg)
}
