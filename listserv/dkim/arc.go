package dkim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ARC (RFC 8617). A list changes what it distributes (the Subject
// prefix, a footer, From rewritten for DMARC), which breaks the author's
// DKIM signature. An ARC set records, under the list's own signature,
// how the post was authenticated when it arrived
// (ARC-Authentication-Results), what the list sent on
// (ARC-Message-Signature, a DKIM-like signature of the message) and the
// chain of such sets the message collected on its way (ARC-Seal, which
// signs every ARC field so far). A receiver that trusts the list may then
// believe the author's authentication after the list's changes.
//
// ARC as deployed knows only rsa-sha256 (dkimpy refuses any other
// algorithm in an ARC set): with an Ed25519 key tacit does not seal
// (CanSeal).

// maxInstance is the highest instance RFC 8617 allows (i=1 to 50).
const maxInstance = 50

// The ARC fields, and the values of cv=.
const (
	fieldAAR = "ARC-Authentication-Results"
	fieldAMS = "ARC-Message-Signature"
	fieldAS  = "ARC-Seal"

	// ChainNone is the cv= of a message that arrived without ARC sets.
	ChainNone = "none"
	// ChainPass is the cv= of a message whose ARC chain validated.
	ChainPass = "pass"
	// ChainFail is the cv= of a message whose ARC chain did not.
	ChainFail = "fail"
)

// Chain is what the ARC sets of a received message say.
type Chain struct {
	// Instance is the highest i= of the sets found, 0 when none.
	Instance int
	// CV is the chain's validation: ChainNone, ChainPass or ChainFail.
	CV string
	// Terminated is true when the newest set already says cv=fail: the
	// chain is over and nobody should extend it.
	Terminated bool
	// Reason says why the chain failed ("" when it did not).
	Reason string
}

// arcSet is one instance's three fields.
type arcSet struct {
	aar, ams, as *field
}

// arcSets gathers the ARC fields of fs by instance. A field without a
// readable i=, or a second field of one kind for an instance, makes the
// chain invalid (err).
func arcSets(fs []field) (map[int]*arcSet, int, error) {
	sets := map[int]*arcSet{}
	highest := 0
	var bad error
	for i := range fs {
		f := &fs[i]
		var slot func(*arcSet) **field
		switch {
		case f.is(fieldAAR):
			slot = func(s *arcSet) **field { return &s.aar }
		case f.is(fieldAMS):
			slot = func(s *arcSet) **field { return &s.ams }
		case f.is(fieldAS):
			slot = func(s *arcSet) **field { return &s.as }
		default:
			continue
		}
		n := instanceOf(f.value())
		if n < 1 || n > maxInstance {
			bad = fmt.Errorf("%s with no valid i=", f.name)
			continue
		}
		if sets[n] == nil {
			sets[n] = &arcSet{}
		}
		if p := slot(sets[n]); *p != nil {
			bad = fmt.Errorf("two %s with i=%d", f.name, n)
		} else {
			*p = f
		}
		highest = max(highest, n)
	}
	return sets, highest, bad
}

// instanceOf reads the i= tag of an ARC field's value (the first tag of
// an ARC-Authentication-Results, whose rest is not a tag list).
func instanceOf(v []byte) int {
	for _, part := range strings.Split(string(v), ";") {
		k, val, ok := strings.Cut(part, "=")
		if ok && strings.Trim(k, " \t\r\n") == "i" {
			n, err := strconv.Atoi(strings.Trim(val, " \t\r\n"))
			if err != nil {
				return 0
			}
			return n
		}
	}
	return 0
}

// ARCChain validates the ARC chain of a received message raw (RFC 8617
// section 5.2): every set 1 to N complete, cv=none on the first and pass
// on the others, the newest ARC-Message-Signature valid over the message
// and every ARC-Seal valid over the sets up to its own.
func (c Checker) ARCChain(raw []byte) Chain {
	header, body := raw, []byte(nil)
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		header, body = raw[:i+2], raw[i+4:]
	} else if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		header, body = raw[:i+1], raw[i+2:]
	}
	fs := fields(header)
	sets, n, err := arcSets(fs)
	if n == 0 && err == nil {
		return Chain{CV: ChainNone}
	}
	fail := func(why string) Chain { return Chain{Instance: n, CV: ChainFail, Reason: why} }
	if err != nil {
		return fail(err.Error())
	}
	for i := 1; i <= n; i++ {
		s := sets[i]
		if s == nil || s.aar == nil || s.ams == nil || s.as == nil {
			return fail(fmt.Sprintf("the ARC set i=%d is incomplete", i))
		}
	}
	seals := make([]map[string]string, n+1)
	for i := n; i >= 1; i-- {
		t, err := parseTags(sets[i].as.value())
		if err != nil {
			return fail(fmt.Sprintf("ARC-Seal i=%d: %v", i, err))
		}
		seals[i] = t
		switch cv := strings.ToLower(t["cv"]); {
		case cv == ChainFail:
			ch := fail(fmt.Sprintf("ARC-Seal i=%d says cv=fail", i))
			ch.Terminated = i == n
			return ch
		case i == 1 && cv != ChainNone, i > 1 && cv != ChainPass:
			return fail(fmt.Sprintf("ARC-Seal i=%d has cv=%s", i, cv))
		}
		if _, hasH := t["h"]; hasH {
			return fail(fmt.Sprintf("ARC-Seal i=%d has h=", i))
		}
	}
	lookup := c.LookupTXT
	if lookup == nil {
		lookup = net.LookupTXT
	}
	if err := verifyAMS(lookup, fs, *sets[n].ams, body); err != nil {
		return fail(fmt.Sprintf("ARC-Message-Signature i=%d: %v", n, err))
	}
	for i := n; i >= 1; i-- {
		var hashed []byte
		for j := 1; j < i; j++ {
			hashed = appendSet(hashed, sets[j], true)
		}
		hashed = appendSet(hashed, sets[i], false)
		if err := verifyField(lookup, *sets[i].as, seals[i], hashed, true); err != nil {
			return fail(fmt.Sprintf("ARC-Seal i=%d: %v", i, err))
		}
	}
	return Chain{Instance: n, CV: ChainPass}
}

// appendSet appends the relaxed canonical ARC-Authentication-Results and
// ARC-Message-Signature of s, and its ARC-Seal when withSeal, as an
// ARC-Seal hashes them.
func appendSet(dst []byte, s *arcSet, withSeal bool) []byte {
	dst = relaxedHeader(dst, s.aar.raw)
	dst = relaxedHeader(dst, s.ams.raw)
	if withSeal {
		dst = relaxedHeader(dst, s.as.raw)
	}
	return dst
}

// verifyAMS checks an ARC-Message-Signature over the fields fs and body.
func verifyAMS(lookup func(string) ([]string, error), fs []field, ams field, body []byte) error {
	t, err := parseTags(ams.value())
	if err != nil {
		return err
	}
	for _, k := range []string{"a", "b", "bh", "d", "h", "s"} {
		if t[k] == "" {
			return fmt.Errorf("no %s=", k)
		}
	}
	c := t["c"]
	if c == "" {
		c = "relaxed/relaxed" // as dkimpy reads it
	}
	hc, bc, _ := strings.Cut(c, "/")
	if bc == "" {
		bc = "simple"
	}
	keys := headerList(t["h"])
	for _, k := range keys {
		if strings.EqualFold(k, fieldAS) {
			return errors.New("h= names ARC-Seal")
		}
	}
	limit := int64(-1)
	if l, ok := t["l"]; ok {
		if limit, err = strconv.ParseInt(l, 10, 64); err != nil || limit < 0 {
			return errors.New("bad l=")
		}
	}
	h := sha256.New()
	canonBody(h, body, bc == "relaxed", limit)
	if base64.StdEncoding.EncodeToString(h.Sum(nil)) != t["bh"] {
		return errors.New("the body hash does not match (the body was changed)")
	}
	return verifyField(lookup, ams, t, hashFields(nil, fs, keys, hc == "relaxed"), hc == "relaxed")
}

// CanSeal reports whether the key can make ARC sets: an RSA key
// (rsa-sha256, the one algorithm ARC verifiers accept).
func (s *Signer) CanSeal() bool { return s.algorithm == "rsa-sha256" }

// Seal returns header with a new ARC set on top: the
// ARC-Authentication-Results results (an Authentication-Results value:
// "authserv-id; method=result …", what the list found of the message it
// received, whose ARC chain was chain), the ARC-Message-Signature of
// header over a body of hash bh, and the ARC-Seal. It refuses (error)
// to extend a terminated chain or one of 50 sets already.
func (s *Signer) Seal(header []byte, bh BodyHash, results string, chain Chain) ([]byte, error) {
	switch {
	case !s.CanSeal():
		return nil, errors.New("arc: sealing needs an RSA key (rsa-sha256)")
	case chain.Terminated:
		return nil, errors.New("arc: the chain already ended with cv=fail")
	case chain.Instance >= maxInstance:
		return nil, errors.New("arc: the chain has 50 sets already")
	}
	n := chain.Instance + 1
	cv := chain.CV
	if n == 1 {
		cv = ChainNone
	} else if cv != ChainPass {
		cv = ChainFail
	}
	w := newFieldWriter(fieldAAR)
	w.token("i="+strconv.Itoa(n)+";", true)
	for _, word := range strings.Fields(results) {
		w.token(word, true)
	}
	aar := append(w.b, '\r', '\n')
	return s.sealSet(Prepend(aar, header), bh, n, cv)
}

// sealSet puts the ARC-Message-Signature and the ARC-Seal of instance n
// above header, whose first field is that instance's
// ARC-Authentication-Results.
func (s *Signer) sealSet(header []byte, bh BodyHash, n int, cv string) ([]byte, error) {
	fs := fields(header)
	keys := headerKeys(fs, perCopy)
	if !has(fs, "From") {
		return nil, errors.New("arc: the message has no From")
	}
	now := strconv.FormatInt(s.now().Unix(), 10)
	in := strconv.Itoa(n)
	ams, err := s.signField(fieldAMS, []tag{{"i", in}, {"a", s.algorithm}, {"c", "relaxed/relaxed"},
		{"d", s.domain}, {"s", s.selector}, {"t", now}, {"h", strings.Join(keys, ":")},
		{"bh", base64.StdEncoding.EncodeToString(bh[:])}}, hashFields(nil, fs, keys, true))
	if err != nil {
		return nil, fmt.Errorf("arc: %w", err)
	}
	withAMS := Prepend(ams, header)
	sets, _, _ := arcSets(fields(withAMS))
	var hashed []byte
	if cv != ChainFail { // a failed chain: the seal covers its own set only
		for j := 1; j < n; j++ {
			if sets[j] == nil || sets[j].aar == nil || sets[j].ams == nil || sets[j].as == nil {
				return nil, fmt.Errorf("arc: the set i=%d is incomplete", j)
			}
			hashed = appendSet(hashed, sets[j], true)
		}
	}
	own := sets[n]
	if own == nil || own.aar == nil || own.ams == nil {
		return nil, errors.New("arc: the new set is incomplete")
	}
	hashed = relaxedHeader(relaxedHeader(hashed, own.aar.raw), own.ams.raw)
	as, err := s.signField(fieldAS, []tag{{"i", in}, {"a", s.algorithm}, {"cv", cv}, {"d", s.domain},
		{"s", s.selector}, {"t", now}}, hashed)
	if err != nil {
		return nil, fmt.Errorf("arc: %w", err)
	}
	return Prepend(as, withAMS), nil
}

// Reseal makes the ARC set on top of header again for a body of hash bh:
// a copy whose body was written for one member (a proposal's links).
// The set must be this signer's (its ARC-Seal first, its
// ARC-Message-Signature second); a header without one is returned as it
// is.
func (s *Signer) Reseal(header []byte, bh BodyHash) ([]byte, error) {
	fs := fields(header)
	if len(fs) < 3 || !fs[0].is(fieldAS) || !fs[1].is(fieldAMS) {
		return header, nil
	}
	t, err := parseTags(fs[0].value())
	if err != nil || !strings.EqualFold(t["d"], s.domain) || t["s"] != s.selector {
		return header, nil
	}
	n := instanceOf(fs[0].value())
	if n < 1 || instanceOf(fs[1].value()) != n {
		return header, nil
	}
	rest := header[len(fs[0].raw)+len(fs[1].raw):]
	return s.sealSet(rest, bh, n, strings.ToLower(t["cv"]))
}
