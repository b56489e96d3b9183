package dkim

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/mail"
	"net/netip"
	"strings"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
)

// Checker tells whether a received message comes from the author its
// From names (docs/security.md): a valid DKIM signature aligned with the
// From domain, or the Authentication-Results of a trusted relay.
type Checker struct {
	// LookupTXT resolves DKIM key records; nil uses the system resolver.
	LookupTXT func(domain string) ([]string, error)
	// Trusted are the relays whose Authentication-Results are read (the
	// operator's MTA, which checks DKIM, SPF and DMARC itself).
	Trusted []netip.Prefix
	// AuthservID is the authserv-id those relays write; the
	// Authentication-Results of any other id, or from any other client,
	// are ignored.
	AuthservID string
}

// Result is what Authenticate found.
type Result struct {
	// OK is true when the message is authenticated as its From.
	OK bool
	// How says by what ("DKIM signature of example.org", "dmarc=pass
	// from relay 192.0.2.1"), or why not.
	How string
	// Signature identifies the DKIM signature that authenticated the
	// message (a hash of its b= value), so that a signature counts once;
	// "" when another method did.
	Signature string
	// Results are the authentication results behind the verdict, as an
	// Authentication-Results value ("authserv-id; method=result …"):
	// the trusted relay's own, or those of the DKIM signatures tacit
	// checked. The ARC set of a distributed post records them.
	Results string
}

// Authenticate checks raw, received from remoteAddr (host:port).
func (c Checker) Authenticate(raw []byte, remoteAddr string) Result {
	h, err := textproto.ReadHeader(bufioReader(raw))
	if err != nil {
		return Result{How: "unreadable header", Results: c.id() + "; none"}
	}
	from, err := mail.ParseAddress(h.Get("From"))
	if err != nil {
		return Result{How: "unreadable From", Results: c.id() + "; none"}
	}
	_, fromDomain, _ := strings.Cut(strings.ToLower(from.Address), "@")
	if r, ok := c.relayResult(h, remoteAddr, fromDomain); ok {
		return r
	}
	return c.dkimResult(raw, h, fromDomain)
}

// relayResult reads the Authentication-Results of a trusted relay: the
// topmost field with our authserv-id (the relay adds its own above what
// the sender wrote). ok is false when the client is not a trusted relay
// or wrote no such field: DKIM is then checked by tacit itself.
func (c Checker) relayResult(h textproto.Header, remoteAddr, fromDomain string) (Result, bool) {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil || c.AuthservID == "" {
		return Result{}, false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !c.trusted(ip.Unmap()) {
		return Result{}, false
	}
	for _, v := range h.Values("Authentication-Results") {
		id, results, err := authres.Parse(v)
		if err != nil || !strings.EqualFold(strings.TrimSpace(id), c.AuthservID) {
			continue
		}
		r := relayVerdict(results, h, host, fromDomain)
		r.Results = strings.Join(strings.Fields(v), " ")
		return r, true
	}
	return Result{}, false
}

// relayVerdict reads the results of a trusted relay at host: a dmarc,
// dkim or spf pass aligned with the From domain authenticates.
func relayVerdict(results []authres.Result, h textproto.Header, host, fromDomain string) Result {
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DMARCResult:
			if r.Value == authres.ResultPass && aligned(domainOf(r.From), fromDomain) {
				// A signature the relay checked counts once, as one
				// tacit checked: a replayed message is not new.
				return Result{OK: true, How: "dmarc=pass from relay " + host,
					Signature: alignedSignatureID(h, fromDomain)}
			}
		case *authres.DKIMResult:
			if r.Value == authres.ResultPass && aligned(strings.ToLower(r.Domain), fromDomain) {
				return Result{OK: true, How: "dkim=pass (" + r.Domain + ") from relay " + host,
					Signature: signatureID(h, strings.ToLower(r.Domain))}
			}
		case *authres.SPFResult:
			if r.Value == authres.ResultPass && aligned(domainOf(r.From), fromDomain) {
				return Result{OK: true, How: "spf=pass (" + domainOf(r.From) + ") from relay " + host}
			}
		}
	}
	return Result{How: "relay " + host + " found no aligned pass"}
}

func (c Checker) trusted(ip netip.Addr) bool {
	for _, p := range c.Trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// dkimResult verifies the DKIM signatures of raw: one that is valid,
// covers From and is aligned with the From domain authenticates.
func (c Checker) dkimResult(raw []byte, h textproto.Header, fromDomain string) Result {
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: c.LookupTXT, MaxVerifications: 5})
	results := c.id() + "; " + dkimResults(vs, h)
	if err != nil && len(vs) == 0 {
		return Result{How: "no DKIM signature could be checked: " + err.Error(), Results: results}
	}
	if len(vs) == 0 {
		return Result{How: "no DKIM signature", Results: results}
	}
	for _, v := range vs {
		d := strings.ToLower(v.Domain)
		if v.Err == nil && aligned(d, fromDomain) && signsFrom(v) {
			return Result{OK: true, How: "DKIM signature of " + d, Signature: signatureID(h, d), Results: results}
		}
	}
	return Result{How: "no valid DKIM signature of " + fromDomain, Results: results}
}

// id is the authserv-id of the results tacit writes itself.
func (c Checker) id() string {
	if c.AuthservID != "" {
		return c.AuthservID
	}
	return "localhost"
}

// dkimResults writes the verifications vs of a message's DKIM signatures
// (header h) as Authentication-Results (RFC 8601): "dkim=pass
// header.d=example.org header.b=AbCdEfGh" for each, "dkim=none" when
// there is none.
func dkimResults(vs []*dkim.Verification, h textproto.Header) string {
	if len(vs) == 0 {
		return "dkim=none"
	}
	var parts []string
	for _, v := range vs {
		r := "pass"
		switch {
		case v.Err == nil:
		case dkim.IsTempFail(v.Err):
			r = "temperror"
		case dkim.IsPermFail(v.Err):
			r = "permerror"
		default:
			r = "fail"
		}
		p := "dkim=" + r
		if v.Domain != "" {
			p += " header.d=" + strings.ToLower(v.Domain)
			if b := signatureB(h, v.Domain); b != "" {
				p += " header.b=" + b
			}
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// signatureB returns the first 8 characters of the b= of the first
// DKIM-Signature of domain d (RFC 6008: which signature a result is
// about), "" when there is none.
func signatureB(h textproto.Header, d string) string {
	for _, v := range h.Values("DKIM-Signature") {
		if b := dkimTag(v, "b"); strings.EqualFold(dkimTag(v, "d"), d) && len(b) >= 8 {
			return b[:8]
		}
	}
	return ""
}

// aligned reports relaxed alignment of an authenticated domain with the
// From domain: the same domain, or one a subdomain of the other.
func aligned(authenticated, from string) bool {
	if authenticated == "" || from == "" {
		return false
	}
	return authenticated == from || strings.HasSuffix(from, "."+authenticated) ||
		strings.HasSuffix(authenticated, "."+from)
}

// domainOf returns the domain of an address or a bare domain, lower case.
func domainOf(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if _, d, ok := strings.Cut(v, "@"); ok {
		return d
	}
	return v
}

func signsFrom(v *dkim.Verification) bool {
	for _, k := range v.HeaderKeys {
		if strings.EqualFold(k, "From") {
			return true
		}
	}
	return false
}

// alignedSignatureID returns the id of the first DKIM signature whose
// d= is aligned with the From domain, "" when there is none.
func alignedSignatureID(h textproto.Header, fromDomain string) string {
	for _, v := range h.Values("DKIM-Signature") {
		d := strings.ToLower(dkimTag(v, "d"))
		if aligned(d, fromDomain) {
			return signatureID(h, d)
		}
	}
	return ""
}

// dkimTag returns one tag of a DKIM-Signature value, without spaces.
func dkimTag(v, name string) string {
	for _, t := range strings.Split(v, ";") {
		if k, val, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == name {
			return strings.Join(strings.Fields(val), "")
		}
	}
	return ""
}

// signatureID returns a hash of the b= value of the first DKIM-Signature
// of domain d: the same signature replayed has the same id.
func signatureID(h textproto.Header, d string) string {
	for _, v := range h.Values("DKIM-Signature") {
		if b := dkimTag(v, "b"); strings.EqualFold(dkimTag(v, "d"), d) && b != "" {
			sum := sha256.Sum256([]byte(b))
			return hex.EncodeToString(sum[:16])
		}
	}
	return ""
}

func bufioReader(raw []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(raw)) }
