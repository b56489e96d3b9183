package rewrite

import (
	"context"
	"errors"
	"net"
	"strings"
)

// TXTResolver is the part of *net.Resolver the DMARC lookup uses.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// DNSPolicy returns a DMARCPolicy that reads `_dmarc.<domain>` TXT
// records through r, falling back to the parent domains (down to two
// labels) as an approximation of the organizational domain. A domain that
// does not exist or publishes nothing has no policy; other DNS failures
// are errors, so that the post waits rather than goes out spoofable.
func DNSPolicy(r TXTResolver) DMARCPolicy {
	return func(ctx context.Context, domain string) (string, error) {
		labels := strings.Split(strings.TrimSuffix(domain, "."), ".")
		for i := 0; i+2 <= len(labels); i++ {
			p, err := lookupPolicy(ctx, r, strings.Join(labels[i:], "."), i > 0)
			if err != nil || p != "" {
				return p, err
			}
		}
		return "", nil
	}
}

// lookupPolicy reads one _dmarc record; for an organizational domain
// found by fallback the sp= tag (subdomain policy) wins over p=.
func lookupPolicy(ctx context.Context, r TXTResolver, domain string, sub bool) (string, error) {
	txts, err := r.LookupTXT(ctx, "_dmarc."+domain)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return "", nil
		}
		return "", err
	}
	for _, txt := range txts {
		if p := ParseDMARC(txt, sub); p != "" {
			return p, nil
		}
	}
	return "", nil
}

// ParseDMARC returns the policy of a DMARC TXT record ("none",
// "quarantine", "reject"), or "" when txt is not a DMARC record. With sub,
// the subdomain policy sp= is preferred when present.
func ParseDMARC(txt string, sub bool) string {
	tags := map[string]string{}
	for i, part := range strings.Split(txt, ";") {
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.ToLower(strings.TrimSpace(v))
		if i == 0 && (!ok || k != "v" || v != "dmarc1") {
			return ""
		}
		if ok {
			tags[k] = v
		}
	}
	p := tags["p"]
	if sp, ok := tags["sp"]; sub && ok {
		p = sp
	}
	switch p {
	case "none", "quarantine", "reject":
		return p
	}
	return ""
}
