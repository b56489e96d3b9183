package unsub

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"

	"tacit/listserv/internal/sealed"
)

const (
	// tokenVersion is the first byte of every token; a new format gets a
	// new number.
	tokenVersion = 1
	// macContext separates our MACs from anything else computed under the
	// same secret.
	macContext = "tacit/unsub/v1\x00"
)

// MinSecretSize is the smallest secret Handler accepts, in bytes. Secrets
// should be random, kept by the server and never sent to anyone.
const MinSecretSize = 32

// Token returns a URL-safe token (base64url without padding) that names
// list and member, authenticated with HMAC-SHA256 under secret.
//
// The token holds a version byte, the length of list, list, member, and
// the first 16 bytes of the MAC: nothing else. It is deterministic, so it
// can be computed again at every delivery. list and member are kept
// byte for byte (no case folding); Parse refuses tokens naming an empty
// list or member. secret should be at least MinSecretSize random bytes.
func Token(secret []byte, list, member string) string {
	payload := make([]byte, 0, 1+binary.MaxVarintLen64+len(list)+len(member)+sealed.MACSize)
	payload = append(payload, tokenVersion)
	payload = binary.AppendUvarint(payload, uint64(len(list)))
	payload = append(payload, list...)
	payload = append(payload, member...)
	return sealed.Seal(secret, macContext, payload)
}

// Parse checks token under secret and returns the list and member it
// names. ok is false for anything forged, made under another secret,
// truncated, altered or malformed, and for an empty secret. The MAC is
// compared in constant time.
func Parse(secret []byte, token string) (list, member string, ok bool) {
	payload, ok := sealed.Open(secret, macContext, token, 1+1)
	if !ok || payload[0] != tokenVersion {
		return "", "", false
	}
	n, size := binary.Uvarint(payload[1:])
	rest := payload[1:]
	if size <= 0 || n > uint64(len(rest)-size) {
		return "", "", false
	}
	rest = rest[size:]
	list, member = string(rest[:n]), string(rest[n:])
	if list == "" || member == "" || !utf8.ValidString(list) || !utf8.ValidString(member) {
		return "", "", false
	}
	return list, member, true
}

// URL returns the one-click unsubscribe address for member of list:
// baseURL, "/unsubscribe/" and the token (docs/register.md). baseURL may end
// with a slash or not.
func URL(baseURL string, secret []byte, list, member string) string {
	return strings.TrimRight(baseURL, "/") + "/unsubscribe/" + Token(secret, list, member)
}
