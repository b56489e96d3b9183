package dkim

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Verification of the signatures tacit reads itself: the ARC sets of a
// received message (go-msgauth verifies DKIM-Signature fields only).

// withoutB returns a signature field with the value of its b= tag
// removed, as it was hashed when it was made.
func withoutB(raw []byte) []byte {
	name, value, _ := bytes.Cut(raw, []byte(":"))
	out := append(append([]byte{}, name...), ':')
	for i, part := range bytes.Split(value, []byte(";")) {
		if i > 0 {
			out = append(out, ';')
		}
		if k, _, ok := bytes.Cut(part, []byte("=")); ok && string(bytes.Trim(k, " \t\r\n")) == "b" {
			part = part[:bytes.IndexByte(part, '=')+1]
		}
		out = append(out, part...)
	}
	return out
}

// headerList reads an h= value: the names, in order.
func headerList(v string) []string {
	var out []string
	for _, n := range strings.Split(v, ":") {
		if n = strings.Trim(n, " \t\r\n"); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// publicKey reads a DKIM key record (RFC 6376 section 3.6.1): the key
// and its type, "rsa" or "ed25519".
func publicKey(record string) (crypto.PublicKey, error) {
	t, err := parseTags([]byte(record))
	if err != nil {
		return nil, fmt.Errorf("key record: %w", err)
	}
	if v, ok := t["v"]; ok && v != "DKIM1" {
		return nil, fmt.Errorf("key record: version %q", v)
	}
	if t["p"] == "" {
		return nil, errors.New("key record: the key is revoked")
	}
	der, err := base64.StdEncoding.DecodeString(t["p"])
	if err != nil {
		return nil, fmt.Errorf("key record: p=: %w", err)
	}
	switch k := t["k"]; k {
	case "", "rsa":
		if pub, err := x509.ParsePKIXPublicKey(der); err == nil {
			if rk, ok := pub.(*rsa.PublicKey); ok {
				return rk, nil
			}
			return nil, errors.New("key record: k=rsa but not an RSA key")
		}
		rk, err := x509.ParsePKCS1PublicKey(der)
		if err != nil {
			return nil, fmt.Errorf("key record: RSA key: %w", err)
		}
		return rk, nil
	case "ed25519":
		if len(der) != ed25519.PublicKeySize {
			return nil, errors.New("key record: Ed25519 key of the wrong size")
		}
		return ed25519.PublicKey(der), nil
	default:
		return nil, fmt.Errorf("key record: unknown key type %q", k)
	}
}

// lookupKey fetches the key of selector at domain through lookup.
func lookupKey(lookup func(string) ([]string, error), selector, domain string) (crypto.PublicKey, error) {
	txts, err := lookup(selector + "._domainkey." + domain)
	if err != nil {
		return nil, fmt.Errorf("key %s._domainkey.%s: %w", selector, domain, err)
	}
	if len(txts) == 0 {
		return nil, fmt.Errorf("key %s._domainkey.%s: no record", selector, domain)
	}
	return publicKey(strings.Join(txts, ""))
}

// verifyDigest checks sig over a SHA-256 digest with algorithm a.
func verifyDigest(pub crypto.PublicKey, a string, digest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if a != "rsa-sha256" {
			return fmt.Errorf("algorithm %q for an RSA key", a)
		}
		if k.N.BitLen() < 1024 {
			return errors.New("RSA key shorter than 1024 bits")
		}
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig)
	case ed25519.PublicKey:
		if a != "ed25519-sha256" {
			return fmt.Errorf("algorithm %q for an Ed25519 key", a)
		}
		if !ed25519.Verify(k, digest, sig) {
			return errors.New("bad Ed25519 signature")
		}
		return nil
	}
	return fmt.Errorf("unsupported key %T", pub)
}

// verifyField checks one signature field f (tags t) made with
// canonicalization relaxed (or simple) over the canonical data hashed,
// with the key its d= and s= publish.
func verifyField(lookup func(string) ([]string, error), f field, t map[string]string, hashed []byte, relaxed bool) error {
	h := sha256.New()
	h.Write(hashed)
	c := canonHeader(nil, withoutB(f.raw), relaxed)
	h.Write(bytes.TrimRight(c, "\r\n"))
	sig, err := base64.StdEncoding.DecodeString(t["b"])
	if err != nil || len(sig) == 0 {
		return errors.New("b= is not base64")
	}
	pub, err := lookupKey(lookup, t["s"], t["d"])
	if err != nil {
		return err
	}
	return verifyDigest(pub, t["a"], h.Sum(nil), sig)
}
