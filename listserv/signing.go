package listserv

import (
	"sync"

	"tacit/listserv/dkim"
	"tacit/storage"
)

// Signing. A message of the list is signed when it is stored (compose,
// distribute): that signature serves copies that are all alike. A copy
// written for one member (their List-Unsubscribe, their one-click links)
// is signed again at delivery, by signCopy, so that the signature covers
// what that member receives: the body hash, the same for every copy of a
// message, is computed once (bodyHashes) and each copy costs one
// signature of its header.

// signCopy returns the header of a member's copy: the fields written for
// them (personal, e.g. their List-Unsubscribe) above the stored header,
// signed anew when the list signs its mail. bodyChanged says the body
// was rewritten for the member: its hash is then computed for this copy
// alone.
func (s *processor) signCopy(e *storage.QueueEntry, personal, header, body []byte, bodyChanged bool) []byte {
	if s.o.DKIM == nil {
		return dkim.Prepend(personal, header)
	}
	rest, _ := s.o.DKIM.Ours(header) // the signature made for every copy
	var bh dkim.BodyHash
	if bodyChanged {
		bh = dkim.HashBody(body)
	} else {
		bh = s.bodies.get(bodyKey{message: e.MessageID, offset: e.BodyOffset}, body)
	}
	out := dkim.Prepend(personal, rest)
	sig, err := s.o.DKIM.SignHeader(out, bh)
	if err != nil {
		s.o.Logger.Error("dkim: cannot sign a copy", "entry", e.ID, "err", err)
		return out
	}
	return dkim.Prepend(sig, out)
}

// bodyKey names the body of a stored message: the queue entries of one
// post share it, one entry per domain and hundred members.
type bodyKey struct {
	message uint64
	offset  int
}

// maxBodyHashes is how many body hashes are kept: those of the messages
// being delivered now, whose entries come due together.
const maxBodyHashes = 256

// bodyHashes remembers the body hashes of the last messages delivered.
// Its zero value is ready; it is safe for concurrent use, and the copies
// asking at once for the same body wait for one computation.
type bodyHashes struct {
	mu    sync.Mutex
	m     map[bodyKey]*bodyHash
	order []bodyKey // oldest first
}

type bodyHash struct {
	once sync.Once
	sum  dkim.BodyHash
}

// get returns the hash of body, the body of k.
func (c *bodyHashes) get(k bodyKey, body []byte) dkim.BodyHash {
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[bodyKey]*bodyHash)
	}
	h := c.m[k]
	if h == nil {
		h = &bodyHash{}
		c.m[k] = h
		c.order = append(c.order, k)
		if len(c.order) > maxBodyHashes {
			delete(c.m, c.order[0])
			c.order = append(c.order[:0], c.order[1:]...)
		}
	}
	c.mu.Unlock()
	h.once.Do(func() { h.sum = dkim.HashBody(body) })
	return h.sum
}
