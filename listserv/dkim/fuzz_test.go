package dkim

import (
	"bytes"
	"testing"
)

// FuzzARCChain feeds received messages with any ARC fields to the chain
// validator: whatever a sender writes, it answers none, pass or fail
// without panicking, and passes only a chain whose newest set our own
// signer made over that very message.
func FuzzARCChain(f *testing.F) {
	records := map[string]string{}
	s := listSigner(f, records)
	c := Checker{LookupTXT: dnsOf(records)}
	sealed, err := s.Seal([]byte(arcHeader), HashBody([]byte(arcBody)), "mx.lists.test; dkim=pass header.d=example.org", c.ARCChain(nil))
	if err != nil {
		f.Fatal(err)
	}
	valid := append(append([]byte{}, sealed...), arcBody...)
	f.Add(valid)
	f.Add([]byte(arcHeader + arcBody))
	f.Add([]byte("ARC-Seal: i=1; cv=none; a=rsa-sha256; d=lists.test; s=sel; b=\r\n\r\n"))
	f.Add([]byte("ARC-Seal: i=99999999999999999999; cv=pass\r\nARC-Message-Signature: i=0\r\n\r\nx"))
	f.Add([]byte("ARC-Authentication-Results: i=1\nARC-Message-Signature: i=1; h=from:from:from; bh=; b=\nARC-Seal: i=1; cv=none; h=x\n\nbody"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 64<<10 {
			return
		}
		ch := c.ARCChain(raw)
		switch ch.CV {
		case ChainNone, ChainPass, ChainFail:
		default:
			t.Fatalf("chain value %q", ch.CV)
		}
		if ch.CV == ChainPass && !bytes.Contains(raw, []byte("d=lists.test")) {
			t.Fatalf("a chain passed without a set of our signer: %q", raw)
		}
		if ch.CV == ChainNone && bytes.Contains(bytes.ToLower(raw), []byte("arc-seal:")) && ch.Instance != 0 {
			t.Fatalf("cv=none with instance %d", ch.Instance)
		}
	})
}

// FuzzParseTags reads tag lists as a DKIM or ARC field carries them: no
// panic, and every tag it returns has a name.
func FuzzParseTags(f *testing.F) {
	for _, s := range []string{"v=1; a=rsa-sha256; d=example.org; s=mail; h=from:subject; bh=xx; b=AbC",
		" i=1; cv=none ;  b= Ab Cd\r\n\tEf", "=;;=;", "a=b=c; ;", "\x00=\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		tags, err := parseTags(v)
		if err != nil {
			return
		}
		for name := range tags {
			if name == "" {
				t.Fatalf("a tag without a name in %q", v)
			}
		}
	})
}
