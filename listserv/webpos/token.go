package webpos

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"unicode/utf8"

	"tacit/listserv/internal/sealed"
)

const (
	// tokenVersion is the first byte of every token; a new format gets a
	// new number.
	tokenVersion = 1
	// keyLabel derives the key of position tokens from the store's
	// secret: never the unsubscribe key, never the VERP key.
	keyLabel = "tacit web position key v1"
)

// The actions a link may carry.
const (
	Support = "support"
	Object  = "object"
	Lift    = "lift"
)

// Actions are the actions of a position link, in the order pages and
// mails show them.
var Actions = []string{Support, Object, Lift}

// Key derives the key of position tokens from a longer-lived secret (the
// store's), with a label of its own, so that the secret itself never
// signs anything here and a token of another kind (unsubscribe, VERP)
// is never a position token.
func Key(secret []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(keyLabel))
	return mac.Sum(nil)
}

// Token returns a URL-safe token (base64url without padding) naming one
// member of one list and one of its proposals, authenticated with
// HMAC-SHA256 under key. It holds a version byte, the proposal's number,
// the length of list, list, member and the first 16 bytes of the MAC.
// It is deterministic: the same link is written in every mail.
func Token(key []byte, list string, number int, member string) string {
	payload := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(list)+len(member)+sealed.MACSize)
	payload = append(payload, tokenVersion)
	payload = binary.AppendUvarint(payload, uint64(max(number, 0)))
	payload = binary.AppendUvarint(payload, uint64(len(list)))
	payload = append(payload, list...)
	payload = append(payload, member...)
	return sealed.Seal(key, "", payload)
}

// Parse checks token under key and returns what it names. ok is false
// for anything forged, made under another key, truncated, altered or
// malformed, and for an empty key. The MAC is compared in constant time.
func Parse(key []byte, token string) (list string, number int, member string, ok bool) {
	payload, ok := sealed.Open(key, "", token, 1+1+1)
	if !ok || payload[0] != tokenVersion {
		return "", 0, "", false
	}
	rest := payload[1:]
	n, size := binary.Uvarint(rest)
	if size <= 0 || n == 0 || n > 1<<31 {
		return "", 0, "", false
	}
	rest = rest[size:]
	ln, size := binary.Uvarint(rest)
	if size <= 0 || ln > uint64(len(rest)-size) {
		return "", 0, "", false
	}
	rest = rest[size:]
	list, member = string(rest[:ln]), string(rest[ln:])
	if list == "" || member == "" || !utf8.ValidString(list) || !utf8.ValidString(member) {
		return "", 0, "", false
	}
	return list, int(n), member, true
}

// URL returns member's link to take position action (Support, Object or
// Lift) on proposal number of list: base, "/p/", the token, "/" and the
// action. base may end with a slash or not; "" gives "".
func URL(base string, key []byte, list string, number int, member, action string) string {
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/p/" + Token(key, list, number, member) + "/" + action
}

// Placeholder stands for the recipient's token in the one copy of a
// distributed proposal that tacit stores; delivery writes each member's
// own token in its place (letters only: no transfer encoding changes it).
const Placeholder = "TACITPERSONALPOSITIONTOKEN"

// PlaceholderURL is URL with Placeholder for the token.
func PlaceholderURL(base, action string) string {
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/p/" + Placeholder + "/" + action
}

// validAction reports whether a is one of Actions.
func validAction(a string) bool { return a == Support || a == Object || a == Lift }
