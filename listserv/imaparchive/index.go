package imaparchive

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// indexEvery is how often the indexer looks for newly archived messages.
const indexEvery = 2 * time.Second

// Index computes and stores, once, the envelope and body structure of
// every archived message that has none yet, so that a FETCH never parses
// a message. It goes through each archive in order and, after a start,
// from the last message indexed (one it skipped, none in practice, is
// computed by the FETCH that needs it). Serve runs it in the background every two seconds, so a
// message is indexed moments after the list distributes it; it returns
// how many messages it indexed.
//
// Each message costs at most a few passes over its bytes (see
// structureOf), and Index gives up with errStopped as soon as the server
// closes, even in the middle of a message, so that Close never waits on it.
func (s *Server) Index() (int, error) {
	lists, err := s.o.Store.Lists()
	if err != nil {
		return 0, fmt.Errorf("imaparchive: index: %w", err)
	}
	n := 0
	for _, l := range lists {
		s.indexMu.Lock()
		after, started := s.indexed[l.Address]
		s.indexMu.Unlock()
		if !started {
			// After a start, resume where the index ends rather than walk
			// the whole archive again (1,000 entries a pass, every 2 s:
			// new messages waited behind the old ones).
			if after, err = s.o.Store.LastArchiveMeta(l.Address); err != nil {
				return n, fmt.Errorf("imaparchive: index %s: %w", l.Address, err)
			}
			s.indexMu.Lock()
			s.indexed[l.Address] = after
			s.indexMu.Unlock()
		}
		entries, err := s.o.Store.ArchiveEntries(l.Address, after, 1000)
		if err != nil {
			return n, fmt.Errorf("imaparchive: index %s: %w", l.Address, err)
		}
		for _, e := range entries {
			if s.closing() {
				return n, errStopped
			}
			if _, ok, err := s.o.Store.ArchiveMeta(l.Address, e.Seq); err != nil {
				return n, fmt.Errorf("imaparchive: index %s: %w", l.Address, err)
			} else if !ok {
				if s.indexing != nil {
					s.indexing(l.Address, e.Seq)
					if s.closing() {
						return n, errStopped
					}
				}
				_, raw, err := s.o.Store.ArchivedMessage(l.Address, e.Seq)
				if err != nil {
					return n, fmt.Errorf("imaparchive: index %s/%d: %w", l.Address, e.Seq, err)
				}
				m, err := computeMeta(raw, s.done)
				if err != nil {
					return n, err
				}
				blob, err := json.Marshal(m)
				if err != nil {
					return n, fmt.Errorf("imaparchive: index %s/%d: %w", l.Address, e.Seq, err)
				}
				if err := s.o.Store.PutArchiveMeta(l.Address, e.Seq, blob); err != nil {
					return n, fmt.Errorf("imaparchive: index %s/%d: %w", l.Address, e.Seq, err)
				}
				n++
			}
			s.indexMu.Lock()
			s.indexed[l.Address] = e.Seq
			s.indexMu.Unlock()
		}
	}
	return n, nil
}

// indexLoop runs Index until the server closes.
func (s *Server) indexLoop() {
	defer close(s.indexDone)
	t := time.NewTicker(indexEvery)
	defer t.Stop()
	for {
		if _, err := s.Index(); err != nil && !errors.Is(err, errStopped) {
			s.o.Logger.Warn("imap: index", "err", err)
		}
		select {
		case <-s.done:
			return
		case <-t.C:
		}
	}
}

// closing reports whether Close has been called.
func (s *Server) closing() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}
