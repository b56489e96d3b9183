package listserv

import (
	"strings"
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

// signPost returns the header of a post about to be distributed, sealed
// with an ARC set (RFC 8617) that records how the post was authenticated
// when it arrived, then signed, when the list signs its mail. The seal is
// made once for every copy: it covers neither the fields written for each
// member nor the list's DKIM signature, which signCopy may replace.
func (s *processor) signPost(in *inbound, header, body []byte) []byte {
	if s.o.DKIM == nil {
		return header
	}
	bh := dkim.HashBody(body)
	if s.o.DKIM.CanSeal() {
		header = s.seal(in, header, bh)
	}
	sig, err := s.o.DKIM.SignHeader(header, bh)
	if err != nil {
		s.o.Logger.Error("dkim: cannot sign", "message", in.id, "err", err)
		return header
	}
	return dkim.Prepend(sig, header)
}

// seal puts an ARC set on top of header: its ARC-Authentication-Results
// are what tacit found or trusted of in (checkAuth) and the validation
// of the ARC chain in arrived with (arc=none, pass or fail; the same as
// the seal's cv=). A chain that already ended (cv=fail) is not extended.
func (s *processor) seal(in *inbound, header []byte, bh dkim.BodyHash) []byte {
	chain := s.o.Authenticity.ARCChain(in.raw)
	if chain.Terminated {
		s.o.Logger.Info("arc: the chain the post arrived with ended; not sealed", "message", in.id, "why", chain.Reason)
		return header
	}
	results := strings.TrimSuffix(s.checkAuth(in).Results, "; none") // no result: arc= follows
	if !hasMethod(results, "arc") {
		cv := chain.CV
		if chain.Instance == 0 {
			cv = dkim.ChainNone
		}
		results += "; arc=" + cv
	}
	out, err := s.o.DKIM.Seal(header, bh, results, chain)
	if err != nil {
		s.o.Logger.Error("arc: cannot seal", "message", in.id, "err", err)
		return header
	}
	if chain.CV == dkim.ChainFail {
		s.o.Logger.Info("arc: the post's chain did not validate; sealed with cv=fail", "message", in.id, "why", chain.Reason)
	}
	return out
}

// hasMethod reports whether Authentication-Results results hold a
// result of method ("arc=…").
func hasMethod(results, method string) bool {
	for _, part := range strings.Split(results, ";")[1:] {
		if m, _, ok := strings.Cut(strings.TrimSpace(part), "="); ok && strings.EqualFold(strings.TrimSpace(m), method) {
			return true
		}
	}
	return false
}

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
		// The ARC set signed the body every copy had: this one's differs.
		resealed, err := s.o.DKIM.Reseal(rest, bh)
		if err != nil {
			s.o.Logger.Error("arc: cannot seal a copy", "entry", e.ID, "err", err)
		} else {
			rest = resealed
		}
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
