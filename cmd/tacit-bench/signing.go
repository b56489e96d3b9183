package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
)

// signing is the dkim workload: the fanout unsigned, then signed with an
// RSA-2048 key, then with an Ed25519 key, each on a tacit of its own, in
// one invocation so that the ratios compare runs minutes apart on the
// same machine.
func (b *bench) signing(ctx context.Context) (*result, error) {
	res := &result{Workload: "dkim", Members: b.o.members, VERP: b.o.verp, Sink: b.sinkName(),
		RateUnit: "recipients/s", Size: b.o.size, Ratios: map[string]float64{}}
	for _, kind := range []string{"", "rsa2048", "ed25519"} {
		b.dkimKind, b.dkimKey = kind, ""
		if kind != "" {
			path, err := writeKey(b.tmp, kind)
			if err != nil {
				return nil, err
			}
			b.dkimKey = path
		}
		r, err := b.fanout(ctx)
		if err != nil {
			return nil, fmt.Errorf("dkim=%s: %w", kind, err)
		}
		res.Variants = append(res.Variants, r)
	}
	b.dkimKind, b.dkimKey = "", ""
	unsigned := res.Variants[0].Rate
	for _, r := range res.Variants[1:] {
		res.Ratios[r.DKIM] = r.Rate / unsigned
		fmt.Fprintf(b.out, "dkim members=%d verp=%t size=%d sink=%s key=%s recipients/s=%.0f unsigned=%.0f ratio=%.3f "+
			"cpu_us/recipient=%.0f unsigned=%.0f\n", r.Members, r.VERP, r.Size, r.Sink, r.DKIM, r.Rate, unsigned,
			r.Rate/unsigned, r.CPUPerRecipientUS, res.Variants[0].CPUPerRecipientUS)
	}
	return res, nil
}

// writeKey writes a new private key of kind ("rsa2048" or "ed25519") as a
// PKCS #8 PEM file in dir and returns its path.
func writeKey(dir, kind string) (string, error) {
	var key any
	switch kind {
	case "rsa2048":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return "", fmt.Errorf("rsa key: %w", err)
		}
		key = k
	default:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", fmt.Errorf("ed25519 key: %w", err)
		}
		key = k
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("%s key: %w", kind, err)
	}
	path := filepath.Join(dir, "dkim-"+kind+".pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", fmt.Errorf("write key: %w", err)
	}
	return path, nil
}
