package dkim

import (
	"bytes"
	"errors"
	"net"
	"net/mail"
	"strings"
	"sync"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
)

// Methods and results of a Reading.
const (
	MethodRelay = "relay" // a trusted relay's Authentication-Results
	MethodDKIM  = "dkim"  // a DKIM signature aligned with From
	MethodNone  = "none"  // nothing that could authenticate

	ResultPass      = "pass"
	ResultFail      = "fail"
	ResultNone      = "none"
	ResultTempError = "temperror" // the DNS could not be asked
)

// Reading is what the Checker concludes about a message's sender from
// the message alone, without the client it came from (tacit explain).
type Reading struct {
	// Method is MethodRelay, MethodDKIM or MethodNone.
	Method string
	// Domain is the From domain the reading is about.
	Domain string
	// Result is ResultPass, ResultFail, ResultNone or ResultTempError.
	Result string
	// DNSError says why the DNS lookup of a key failed (ResultTempError).
	DNSError string
}

// Read tells how Authenticate would judge raw: from a trusted relay's
// Authentication-Results when the message carries a field with the
// checker's authserv-id and trusted relays are configured (a relay
// result counts only for mail that came through such a relay, which raw
// alone cannot show), else from a DKIM signature aligned with From. A
// DNS failure gives ResultTempError, never a guess.
func (c Checker) Read(raw []byte) Reading {
	h, err := textproto.ReadHeader(bufioReader(raw))
	if err != nil {
		return Reading{Method: MethodNone, Result: ResultNone}
	}
	from, err := mail.ParseAddress(h.Get("From"))
	if err != nil {
		return Reading{Method: MethodNone, Result: ResultNone}
	}
	_, fromDomain, _ := strings.Cut(strings.ToLower(from.Address), "@")
	if c.AuthservID != "" && len(c.Trusted) > 0 {
		for _, v := range h.Values("Authentication-Results") {
			id, results, err := authres.Parse(v)
			if err != nil || !strings.EqualFold(strings.TrimSpace(id), c.AuthservID) {
				continue
			}
			r := Reading{Method: MethodRelay, Domain: fromDomain, Result: ResultFail}
			if relayVerdict(results, h, "", fromDomain).OK {
				r.Result = ResultPass
			}
			return r
		}
	}
	return c.readDKIM(raw, fromDomain)
}

// readDKIM verifies the DKIM signatures of raw aligned with fromDomain.
func (c Checker) readDKIM(raw []byte, fromDomain string) Reading {
	lookup := c.LookupTXT
	if lookup == nil {
		lookup = net.LookupTXT
	}
	var mu sync.Mutex
	var dnsErr error
	watched := func(name string) ([]string, error) {
		txt, err := lookup(name)
		if dnsFailed(err) {
			mu.Lock()
			if dnsErr == nil {
				dnsErr = err
			}
			mu.Unlock()
			// Whatever the resolver says, a failed lookup is temporary.
			return nil, &net.DNSError{Err: err.Error(), Name: name, IsTemporary: true}
		}
		return txt, err
	}
	vs, _ := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: watched, MaxVerifications: 5})
	r := Reading{Method: MethodNone, Domain: fromDomain, Result: ResultNone}
	for _, v := range vs {
		if !aligned(strings.ToLower(v.Domain), fromDomain) {
			continue
		}
		switch {
		case v.Err == nil && signsFrom(v):
			return Reading{Method: MethodDKIM, Domain: fromDomain, Result: ResultPass}
		case dkim.IsTempFail(v.Err):
			r.Method, r.Result = MethodDKIM, ResultTempError
			if dnsErr != nil {
				r.DNSError = dnsErr.Error()
			} else if v.Err != nil {
				r.DNSError = v.Err.Error()
			}
		case r.Result != ResultTempError:
			r.Method, r.Result = MethodDKIM, ResultFail
		}
	}
	return r
}

// dnsFailed reports whether err says the DNS could not answer (rather
// than that the record does not exist): a resolver's error other than
// "not found", or a timeout.
func dnsFailed(err error) bool {
	var de *net.DNSError
	if errors.As(err, &de) {
		return !de.IsNotFound
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
