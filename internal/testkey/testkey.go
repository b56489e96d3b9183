// Package testkey makes DKIM keys for tests: a private key as a signer
// reads it and the TXT record that publishes its public half.
package testkey

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"testing"
)

// Ed25519 returns a new Ed25519 private key as PKCS#8 PEM and the DKIM
// key record ("v=DKIM1; k=ed25519; p=…") of its public half.
func Ed25519(tb testing.TB) (privatePEM []byte, record string) {
	tb.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
}
