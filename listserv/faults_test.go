package listserv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	bolt "go.etcd.io/bbolt"

	"tacit/consensus"
	"tacit/internal/smtpsink"
	"tacit/storage"
)

// A relay that answers 421 and 451, refuses DATA for a while, and drops
// the connection in the middle of DATA: every accepted post still reaches
// every member, through the queue's retries.
func TestRelayFaultsLoseNothing(t *testing.T) {
	t.Parallel()
	var rcpts, datas atomic.Int64
	h := start(t, harnessOptions{perTx: 3, sink: smtpsink.Options{
		RcptReply: func(string) *gosmtp.SMTPError {
			switch n := rcpts.Add(1); {
			case n%7 == 0:
				return &gosmtp.SMTPError{Code: 421, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "closing, try later"}
			case n%5 == 0:
				return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "greylisted"}
			}
			return nil
		},
		DataReply: func(string, []string) *gosmtp.SMTPError {
			if datas.Add(1) <= 3 {
				return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "queue full"}
			}
			return nil
		},
	}})
	h.sink.Drop(2) // the next two DATA die half-way
	var members []string
	for i := range 10 {
		members = append(members, fmt.Sprintf("m%d@d%d.example", i, i%3))
	}
	h.list("jardin@lists.test", members...)
	const posts = 5
	for i := range posts {
		h.mustSend("m0@d0.example", []string{"jardin@lists.test"}, post("m0@d0.example", fmt.Sprintf("faute %d", i), "x\r\n"))
	}
	waitFor(t, func() bool {
		got := h.sink.Recipients()
		for _, m := range members {
			if got[m] < posts {
				return false
			}
		}
		return true
	})
	waitFor(t, func() bool { st, _ := h.store.QueueStats(); return st.Entries == 0 })
	got := h.sink.Recipients()
	for _, m := range members {
		if got[m] < posts {
			t.Errorf("%s got %d of %d posts", m, got[m], posts)
		}
	}
	if f, _ := h.store.Failures(); len(f) != 0 {
		t.Errorf("temporary errors recorded as failures: %+v", f)
	}
}

// One damaged proposal record (a disk fault, a bad restore) does not stop
// the engine: the other due proposals are decided, the damaged one is
// logged and left as it is for the operator.
func TestDamagedProposalDoesNotStopTheTick(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tacit.db")
	store, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := store.CreateList(storage.List{Address: "jardin@lists.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddMembers("jardin@lists.test", t0, "alice@example.org"); err != nil {
		t.Fatal(err)
	}
	var ups []storage.ProposalUpdate
	for n := 1; n <= 3; n++ {
		ups = append(ups, storage.ProposalUpdate{Proposal: consensus.NewProposal(consensus.Draft{List: "jardin@lists.test",
			Number: n, Author: "alice@example.org", Title: fmt.Sprintf("p%d", n), Received: t0,
			Requested: t0.Add(time.Hour), Min: time.Hour})})
	}
	if err := store.Decide(ups, nil); err != nil {
		t.Fatal(err)
	}
	store.Close()
	// Damage proposal 2's record behind the store's back.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := binary.BigEndian.AppendUint64([]byte("jardin@lists.test\x00"), 2)
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("proposals")).Put(key, []byte(`{"number":`)) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	rec := newLogRecorder()
	c := &clock{t: t0.Add(2 * time.Hour)}
	h := start(t, harnessOptions{path: path, now: c.Now, logger: slog.New(rec), consensus: ConsensusOptions{Schedule: "@every 1h"}})
	waitMessages(t, h.sink, "alice@example.org", "[ADOPTÉE #1]", 1)
	waitMessages(t, h.sink, "alice@example.org", "[ADOPTÉE #3]", 1)
	for _, n := range []int{1, 3} {
		if p, err := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: n}); err != nil || p.Status != consensus.StatusAdopted {
			t.Errorf("proposal %d: %s, %v; want adopted", n, p.Status, err)
		}
	}
	if _, err := h.store.Proposal(storage.ProposalRef{List: "jardin@lists.test", Number: 2}); !errors.Is(err, storage.ErrDamaged) {
		t.Errorf("proposal 2: %v, want it still damaged", err)
	}
	if got := rec.find("engine: proposal unreadable, not decided (restore it from a backup)", "proposal", "jardin@lists.test#2"); len(got) == 0 {
		t.Errorf("the damaged proposal was not logged")
	}
	if n := len(messagesTo(h.sink, "alice@example.org", "#2]")); n != 0 {
		t.Errorf("%d notices about the damaged proposal", n)
	}
}
