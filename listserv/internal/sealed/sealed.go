// Package sealed writes and checks the tokens of tacit's links (one-click
// unsubscribe, one-click positions): a payload followed by a truncated
// HMAC-SHA256, in base64url without padding. What the payload holds is
// each link's business; this package only seals it and, on the way back,
// refuses anything forged, altered, truncated or spelt otherwise.
package sealed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

const (
	// MACSize is the length of the truncated HMAC-SHA256 a token ends
	// with.
	MACSize = 16
	// MaxTokenLen bounds the tokens Open looks at: two addresses (at most
	// 254 bytes each) and a number fit easily.
	MaxTokenLen = 1024
)

// Seal returns payload followed by its MAC under key, in base64url
// without padding. context, which may be "", is written into the MAC
// before the payload, so that MACs of one kind are never those of
// another under the same key. Seal is deterministic.
func Seal(key []byte, context string, payload []byte) string {
	raw := append(payload[:len(payload):len(payload)], mac(key, context, payload)...)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// Open checks token under key and context and returns its payload, at
// least minPayload bytes long. ok is false for an empty key, for a token
// longer than MaxTokenLen, spelt otherwise than Seal writes it, shorter
// than minPayload plus the MAC, or whose MAC does not match; the MAC is
// compared in constant time.
func Open(key []byte, context, token string, minPayload int) (payload []byte, ok bool) {
	if len(key) == 0 || token == "" || len(token) > MaxTokenLen {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	// The decoder skips CR and LF: insist on the one canonical spelling.
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != token || len(raw) < minPayload+MACSize {
		return nil, false
	}
	payload, sum := raw[:len(raw)-MACSize], raw[len(raw)-MACSize:]
	if !hmac.Equal(sum, mac(key, context, payload)) {
		return nil, false
	}
	return payload, true
}

// mac returns the truncated HMAC-SHA256 of context and payload under key.
func mac(key []byte, context string, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(context))
	h.Write(payload)
	return h.Sum(nil)[:MACSize]
}
