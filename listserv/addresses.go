package listserv

import (
	"errors"

	"tacit/listserv/listaddr"
	"tacit/storage"
)

// resolve finds the list an address belongs to and what the address is
// for (listaddr). ok is false when the address is not one of ours.
func (s *processor) resolve(addr string) (l storage.List, r listaddr.Role, ok bool, err error) {
	for _, c := range listaddr.Candidates(storage.NormalizeAddress(addr)) {
		l, err := s.o.Store.List(c.List)
		switch {
		case err == nil:
			return l, c.Role, true, nil
		case !errors.Is(err, storage.ErrNotFound):
			return storage.List{}, 0, false, err
		}
	}
	return storage.List{}, 0, false, nil
}

// bounceAddress is the envelope sender of everything list l distributes.
func bounceAddress(l storage.List) string { return listaddr.Of(l.Address, listaddr.Bounces) }

// requestAddress is NAME-request@DOMAIN.
func requestAddress(l storage.List) string { return listaddr.Of(l.Address, listaddr.Request) }
