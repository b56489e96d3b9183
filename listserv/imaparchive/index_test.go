package imaparchive

import (
	"testing"
	"time"
)

// The envelope and structure of an archived message are computed once,
// soon after it is archived, before anybody fetches it.
func TestIndexComputesMetaOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seq := f.archive(t, jardin, message(alice, "Indexé", "corps"), t0)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok, err := f.store.ArchiveMeta(jardin, seq); err != nil {
			t.Fatal(err)
		} else if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the archived message was not indexed within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n, err := f.srv.Index(); err != nil || n != 0 {
		t.Errorf("a second pass indexed %d messages (%v), want 0", n, err)
	}
}
