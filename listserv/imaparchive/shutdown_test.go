package imaparchive

import (
	"errors"
	"testing"
	"time"

	"tacit/internal/mimetest"
)

// closeWithin closes f's server and fails unless it returns within d.
func closeWithin(t *testing.T, f *fixture, d time.Duration) {
	t.Helper()
	start := time.Now()
	closed := make(chan error, 1)
	go func() { closed <- f.srv.Close() }()
	select {
	case err := <-closed:
		t.Logf("Close returned in %v", time.Since(start))
		if err != nil {
			t.Errorf("close: %v", err)
		}
	case <-time.After(d):
		t.Fatalf("Close still waiting after %v", d)
	}
}

// Closing the server while the indexer reads a message of 20,000 nested
// multiparts returns at once (it waited 85 s for the indexer before).
func TestCloseWhileIndexingHugeMessage(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	f := newFixtureWith(t, nil, func(s *Server) {
		s.indexing = func(string, uint64) {
			select {
			case started <- struct{}{}:
			default:
			}
		}
	})
	f.archive(t, jardin, string(mimetest.Nested(20_000, "x", "")), t0)
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the indexer did not start on the message")
	}
	closeWithin(t, f, 3*time.Second)
}

// Even an indexer stuck on a message does not hold Close beyond its
// deadline; once unstuck, it gives up without touching the store.
func TestCloseDoesNotWaitForAStuckIndexer(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	f := newFixtureWith(t, nil, func(s *Server) {
		s.drainTimeout = time.Second
		s.indexing = func(string, uint64) {
			select {
			case started <- struct{}{}:
			default:
			}
			<-release
		}
	})
	defer close(release)
	f.archive(t, jardin, message(alice, "post", "x\r\n"), t0)
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the indexer did not start on the message")
	}
	closeWithin(t, f, 3*time.Second)
}

// The work on one message gives up once the server closes.
func TestComputeMetaStops(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	close(stop)
	if _, err := computeMeta(mimetest.Nested(20_000, "x", ""), stop); !errors.Is(err, errStopped) {
		t.Errorf("computeMeta after stop: %v, want errStopped", err)
	}
}
