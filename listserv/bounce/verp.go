package bounce

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"strings"
	"tacit/listserv/listaddr"
)

// A VERP address says which member a delivery report is about, and
// carries a tag that proves the list wrote it (docs/security.md):
//
//	NAME-bounces+alice=example.org+TAG@DOMAIN        list mail to alice
//	NAME-bounces+alice=example.org+probe-TAG@DOMAIN  a probe to alice
//
// TAG is TagLen lower-case base32 characters of an HMAC-SHA256, keyed
// with a key the caller keeps secret (Key), over the list address and the
// member address, and for a probe over the probe's id too. Anyone can
// write to NAME-bounces+bob=example.org@DOMAIN; only the list, and the
// mail servers its mail went through, know bob's tag.

// TagLen is the length of a tag: 50 bits.
const TagLen = 10

// probePrefix marks the tag of a probe.
const probePrefix = "probe-"

// tagEncoding writes tags in lower case, which survives the lower-casing
// of addresses.
var tagEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Key derives the key of VERP tags from a longer-lived secret (the
// store's), so that the secret itself never signs anything here.
func Key(secret []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("tacit verp tag key v1"))
	return mac.Sum(nil)
}

// tag computes the tag of the given fields.
func tag(key []byte, fields ...string) string {
	mac := hmac.New(sha256.New, key)
	for _, f := range fields {
		mac.Write([]byte(f))
		mac.Write([]byte{0})
	}
	return tagEncoding.EncodeToString(mac.Sum(nil)[:7])[:TagLen]
}

// Tag is the tag of member's list mail from listAddress.
func Tag(key []byte, listAddress, member string) string {
	return tag(key, "member", normalize(listAddress), normalize(member))
}

// ProbeTag is the tag of probe probeID sent to member by listAddress.
func ProbeTag(key []byte, listAddress, member, probeID string) string {
	return tag(key, "probe", normalize(listAddress), normalize(member), probeID)
}

// VERP is a decoded VERP local part.
type VERP struct {
	// Member is the member address, lower case.
	Member string
	// Tag is the tag the address carries, "" when it has none.
	Tag string
	// Probe is true when Tag is a probe's.
	Probe bool
}

// Valid reports, in constant time, whether the address carries the tag
// of list mail of listAddress to its member (not a probe's).
func (v VERP) Valid(key []byte, listAddress string) bool {
	return !v.Probe && v.Tag != "" && equal(v.Tag, Tag(key, listAddress, v.Member))
}

// ValidProbe reports, in constant time, whether the address carries the
// tag of probe probeID of listAddress to its member.
func (v VERP) ValidProbe(key []byte, listAddress, probeID string) bool {
	return v.Probe && v.Tag != "" && probeID != "" && equal(v.Tag, ProbeTag(key, listAddress, v.Member, probeID))
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// ParseVERP decodes a VERP local part: given
// "jardin-bounces+alice=example.org+TAG" and the list local part
// "jardin", it returns the member "alice@example.org" and TAG. The tag is
// the part after the last '+' when it has the form of one (it holds no
// '='); the last '=' before it separates the member's local part (which
// may itself hold '=' or '+') from its domain. An address without a tag
// is decoded too, with Tag "": whether a tag is right is for Valid to
// say. ok is false when localPart is not a VERP bounce address of that
// list.
func ParseVERP(localPart, listLocal string) (VERP, bool) {
	prefix := listaddr.BouncesPrefix(listLocal)
	if listLocal == "" || len(localPart) <= len(prefix) || !strings.EqualFold(localPart[:len(prefix)], prefix) {
		return VERP{}, false
	}
	rest := strings.ToLower(localPart[len(prefix):])
	var v VERP
	if i := strings.LastIndexByte(rest, '+'); i > strings.LastIndexByte(rest, '=') {
		t := rest[i+1:]
		v.Probe = strings.HasPrefix(t, probePrefix)
		t = strings.TrimPrefix(t, probePrefix)
		if !validTag(t) {
			return VERP{}, false
		}
		v.Tag, rest = t, rest[:i]
	}
	i := strings.LastIndexByte(rest, '=')
	if i <= 0 || i == len(rest)-1 {
		return VERP{}, false
	}
	local, domain := rest[:i], rest[i+1:]
	if !validLocal(local) || !validDomain(domain) {
		return VERP{}, false
	}
	v.Member = local + "@" + domain
	return v, true
}

// validTag reports whether t has the form of a tag.
func validTag(t string) bool {
	if len(t) != TagLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// VERPAddress builds the envelope sender NAME-bounces+local=domain+TAG@DOMAIN
// under which list listAddress (NAME@DOMAIN) sends to member, in lower
// case, TAG keyed with key. When member cannot be encoded (no domain, a
// quoted local part) it returns the plain NAME-bounces@DOMAIN, whose
// reports count for nobody; when listAddress is not an address it
// returns "".
func VERPAddress(listAddress, member string, key []byte) string {
	return verpAddress(listAddress, member, func(list, m string) string { return Tag(key, list, m) })
}

// ProbeAddress builds the envelope sender
// NAME-bounces+local=domain+probe-TAG@DOMAIN of probe probeID to member,
// as VERPAddress does.
func ProbeAddress(listAddress, member string, key []byte, probeID string) string {
	return verpAddress(listAddress, member, func(list, m string) string {
		return probePrefix + ProbeTag(key, list, m, probeID)
	})
}

// verpAddress builds a VERP address whose tag is tagOf(list, member).
func verpAddress(listAddress, member string, tagOf func(list, member string) string) string {
	list := normalize(listAddress)
	at := strings.LastIndexByte(list, '@')
	if at <= 0 || at == len(list)-1 {
		return ""
	}
	base, domain := strings.TrimSuffix(listaddr.BouncesPrefix(list[:at]), "+"), list[at+1:]
	m := normalize(member)
	mat := strings.LastIndexByte(m, '@')
	if mat <= 0 || !validLocal(m[:mat]) || !validDomain(m[mat+1:]) {
		return base + "@" + domain
	}
	return base + "+" + m[:mat] + "=" + m[mat+1:] + "+" + tagOf(list, m) + "@" + domain
}

// normalize trims an address, drops its angle brackets and lowers its
// case, as the store does.
func normalize(a string) string {
	a = strings.TrimSpace(a)
	a = strings.TrimPrefix(a, "<")
	a = strings.TrimSuffix(a, ">")
	return strings.ToLower(a)
}

// validLocal reports whether s can be carried as the member part of a VERP
// local part: printable ASCII without '@', quotes, spaces or brackets.
func validLocal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`@"<>()[]\,;:`, c) >= 0 {
			return false
		}
	}
	return true
}

// validDomain reports whether s is an ASCII domain name: dot-separated
// labels of letters, digits, '-' and '_'.
func validDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
