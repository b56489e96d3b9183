package listserv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"tacit/consensus"
	"tacit/internal/pgtest"
	"tacit/listserv/outbound"
	"tacit/storage"
)

// BenchmarkTick measures one engine tick deciding 1,000 due proposals
// among 100,000 open ones, notices included (10 members per list). The
// cost must grow with what is due, not with what is open. It runs with
// the garbage collector's settings of tacit serve (TuneRuntime), unless
// GOGC or GOMEMLIMIT say otherwise.
func BenchmarkTick(b *testing.B) {
	benchTick(b, storage.Options{}, 100_000)
}

// BenchmarkTickPostgres is BenchmarkTick on PostgreSQL (the tests'
// private server, with every commit flushed to disk as bbolt's are),
// 1,000 due among 20,000 open (a smaller fill: the cost of a tick grows
// with what is due, and the fill is slower there).
//
//	go test ./listserv -run '^$' -bench '^BenchmarkTickPostgres$' -benchtime 5x
func BenchmarkTickPostgres(b *testing.B) {
	pgtest.Durable(b)
	benchTick(b, storage.Options{Driver: storage.DriverPostgres, DSN: pgtest.DSN(b)}, 20_000)
}

// benchTick measures ticks deciding 1,000 due proposals among open open
// ones, on the store o opens.
func benchTick(b *testing.B, o storage.Options, open int) {
	defer TuneRuntime(os.Getenv)() // as tacit serve runs
	const due = 1_000
	store, err := storage.Open(filepath.Join(b.TempDir(), "tacit.db"), o)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if err := store.CreateList(storage.List{Address: "jardin@lists.test"}); err != nil {
		b.Fatal(err)
	}
	members := make([]string, 10)
	for i := range members {
		members[i] = fmt.Sprintf("m%d@example.org", i)
	}
	if _, err := store.AddMembers("jardin@lists.test", time.Now(), members...); err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	number := 0
	// fill adds n proposals whose deadlines are d after t0.
	fill := func(n int, d time.Duration) {
		for n > 0 {
			batch := min(n, 10_000)
			ups := make([]storage.ProposalUpdate, batch)
			for i := range ups {
				number++
				ups[i].Proposal = consensus.NewProposal(consensus.Draft{List: "jardin@lists.test", Number: number,
					Author: members[0], Title: "p", Received: t0, Requested: t0.Add(d), Min: time.Hour})
			}
			if err := store.Decide(ups, nil); err != nil {
				b.Fatal(err)
			}
			n -= batch
		}
	}
	fill(open, 365*24*time.Hour)
	now := t0
	srv, err := New(Options{Store: store, Domain: "lists.test", Now: func() time.Time { return now },
		SMTP:     SMTPOptions{Listen: "127.0.0.1:0", Hostname: "lists.test"},
		Delivery: DeliveryOptions{Transport: outbound.NewMaildir(b.TempDir())}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.smtpLn.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fill(due, time.Duration(i+1)*time.Hour)
		now = t0.Add(time.Duration(i+1)*time.Hour + time.Minute)
		runtime.GC() // the fill's garbage is not the tick's
		b.StartTimer()
		n, err := srv.Tick(context.Background())
		if err != nil || n != due {
			b.Fatalf("tick decided %d, %v; want %d", n, err, due)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/tick")
}
