package listserv

import (
	"errors"
	"strings"

	"tacit/storage"
)

// role is what a list address is for (SPEC section 4).
type role int

const (
	rolePost        role = iota // NAME@DOMAIN
	roleRequest                 // NAME-request@DOMAIN: commands
	roleOwner                   // NAME-owner@DOMAIN: forwarded to the owners
	roleBounces                 // NAME-bounces[+…]@DOMAIN: delivery failures
	roleSubscribe               // NAME-subscribe@DOMAIN: the subscribe command
	roleUnsubscribe             // NAME-unsubscribe@DOMAIN: the unsubscribe command
)

func (r role) String() string {
	return [...]string{"post", "request", "owner", "bounces", "subscribe", "unsubscribe"}[r]
}

// suffixes maps the local-part suffixes of a list's service addresses to
// their role.
var suffixes = []struct {
	suffix string
	role   role
}{
	{"-request", roleRequest},
	{"-owner", roleOwner},
	{"-bounces", roleBounces},
	{"-unsubscribe", roleUnsubscribe},
	{"-subscribe", roleSubscribe},
}

// resolve finds the list an address belongs to and what the address is
// for. ok is false when the address is not one of ours.
func (s *processor) resolve(addr string) (l storage.List, r role, ok bool, err error) {
	addr = storage.NormalizeAddress(addr)
	local, domain, found := strings.Cut(addr, "@")
	if !found || local == "" || domain == "" {
		return storage.List{}, 0, false, nil
	}
	lookup := func(name string) (storage.List, bool, error) {
		l, err := s.o.Store.List(name + "@" + domain)
		if errors.Is(err, storage.ErrNotFound) {
			return storage.List{}, false, nil
		}
		return l, err == nil, err
	}
	if l, ok, err := lookup(local); ok || err != nil {
		return l, rolePost, ok, err
	}
	// VERP: NAME-bounces+alice=example.org@DOMAIN.
	base, _, _ := strings.Cut(local, "+")
	for _, sf := range suffixes {
		name, cut := strings.CutSuffix(base, sf.suffix)
		if !cut || name == "" || (sf.role != roleBounces && base != local) {
			continue
		}
		if l, ok, err := lookup(name); ok || err != nil {
			return l, sf.role, ok, err
		}
	}
	return storage.List{}, 0, false, nil
}

// bounceAddress is the envelope sender of everything list l distributes.
func bounceAddress(l storage.List) string {
	return l.LocalPart() + "-bounces@" + l.Domain()
}
