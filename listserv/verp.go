package listserv

import (
	"tacit/listserv/bounce"
	"tacit/storage"
)

// The envelope senders of list mail carry a keyed tag (docs/security.md):
// NAME-bounces+alice=example.org+TAG@DOMAIN, where TAG is an HMAC of the
// list and member addresses (listserv/bounce/verp.go). Its key is derived
// from the store's secret, with a label of its own, so that it changes
// with the store and is never the unsubscribe key: a delivery report to
// an address whose tag the list did not write counts for nobody.

// verpKey derives the key of bounce address tags from the store's
// secret.
func verpKey(st *storage.Store) ([]byte, error) {
	secret, err := st.Secret()
	if err != nil {
		return nil, err
	}
	return bounce.Key(secret), nil
}

// verpAddress is the tagged envelope sender of list's mail to member.
func (s *processor) verpAddress(list, member string) string {
	return bounce.VERPAddress(list, member, s.verpKey)
}
