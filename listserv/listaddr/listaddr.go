// Package listaddr is the one home of a list's addresses (docs/membership.md):
// NAME@DOMAIN posts, NAME-request commands, NAME-owner reaches the
// owners, NAME-bounces (and NAME-bounces+…) takes delivery reports, and
// NAME-subscribe / NAME-unsubscribe are commands of their own. It builds
// them from a list's address and says which list and role an address
// may be. It knows no list: callers look the candidates up.
package listaddr

import "strings"

// Role is what a list address is for.
type Role int

// The roles of a list's addresses.
const (
	Post        Role = iota // NAME@DOMAIN
	Request                 // NAME-request@DOMAIN: commands
	Owner                   // NAME-owner@DOMAIN: forwarded to the owners
	Bounces                 // NAME-bounces[+…]@DOMAIN: delivery reports
	Subscribe               // NAME-subscribe@DOMAIN: the subscribe command
	Unsubscribe             // NAME-unsubscribe@DOMAIN: the unsubscribe command
)

// String names a role: "post", "request", …
func (r Role) String() string {
	return [...]string{"post", "request", "owner", "bounces", "subscribe", "unsubscribe"}[r]
}

// suffixes are the local-part suffixes of the service addresses,
// "-unsubscribe" before "-subscribe", which it ends with.
var suffixes = []struct {
	suffix string
	role   Role
}{
	{"-request", Request},
	{"-owner", Owner},
	{"-bounces", Bounces},
	{"-unsubscribe", Unsubscribe},
	{"-subscribe", Subscribe},
}

// Suffix returns the local-part suffix of role r ("" for Post).
func Suffix(r Role) string {
	for _, s := range suffixes {
		if s.role == r {
			return s.suffix
		}
	}
	return ""
}

// Of returns the address of role r of the list NAME@DOMAIN:
// Of("jardin@lists.example", Request) is "jardin-request@lists.example".
func Of(list string, r Role) string {
	name, domain, _ := strings.Cut(list, "@")
	return name + Suffix(r) + "@" + domain
}

// BouncesPrefix is the local part that starts a list's VERP bounce
// addresses: "NAME-bounces+".
func BouncesPrefix(listName string) string { return listName + Suffix(Bounces) + "+" }

// Reserved reports whether a list name ends with a service suffix, which
// would make its addresses ambiguous; it returns that suffix.
func Reserved(name string) (string, bool) {
	for _, s := range suffixes {
		if strings.HasSuffix(name, s.suffix) {
			return s.suffix, true
		}
	}
	return "", false
}

// Candidate is a list an address may belong to, and the role it would
// have there.
type Candidate struct {
	List string
	Role Role
}

// Candidates returns the lists that address (lower case) may belong to,
// in the order to try them: the address itself as a list's posting
// address, then each service suffix; only -bounces takes a "+"
// extension (VERP). It returns nothing for what is not an address.
func Candidates(address string) []Candidate {
	local, domain, found := strings.Cut(address, "@")
	if !found || local == "" || domain == "" {
		return nil
	}
	out := []Candidate{{List: address, Role: Post}}
	base, _, _ := strings.Cut(local, "+")
	for _, s := range suffixes {
		name, cut := strings.CutSuffix(base, s.suffix)
		if !cut || name == "" || (s.role != Bounces && base != local) {
			continue
		}
		out = append(out, Candidate{List: name + "@" + domain, Role: s.role})
	}
	return out
}
