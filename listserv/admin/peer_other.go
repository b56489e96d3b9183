//go:build !linux && !darwin

package admin

import "errors"

// peerUID cannot read peer credentials here: every connection is
// refused, and the admin commands must run with the server stopped.
func peerUID(int) (uint32, error) {
	return 0, errors.New("not supported on this system")
}
