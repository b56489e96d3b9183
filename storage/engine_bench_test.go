package storage

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"tacit/internal/pgtest"
)

// BenchmarkIngest measures what accepting a post writes, on each engine:
// Receive (the message, its envelope, the inbox mark; committed before
// SMTP's 250), then Dispose (the archive entry and one queue entry; the
// inbox mark removed), from 8 concurrent senders. PostgreSQL runs here
// with every commit flushed to disk, as bbolt's are.
//
//	go test ./storage -run '^$' -bench BenchmarkIngest -benchtime 2000x
func BenchmarkIngest(b *testing.B) {
	const list = "jardin@lists.test"
	raw := []byte("From: poster@example.org\r\nTo: jardin@lists.test\r\nSubject: compost\r\n\r\n" + string(make([]byte, 3000)) + "\r\n")
	for _, driver := range []string{DriverBolt, DriverPostgres} {
		b.Run(driver, func(b *testing.B) {
			o := Options{Driver: driver}
			if driver == DriverPostgres {
				pgtest.Durable(b)
				o.DSN = pgtest.DSN(b)
			}
			s, err := Open(filepath.Join(b.TempDir(), "tacit.db"), o)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.CreateList(List{Address: list}); err != nil {
				b.Fatal(err)
			}
			b.SetParallelism(4) // 8 senders on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					env := Envelope{From: "poster@example.org", To: []string{list}, ReceivedAt: time.Now().UTC()}
					id, err := s.Receive(env, raw)
					if err == nil {
						err = s.Dispose(id, Disposition{
							Archive: []ArchiveEntry{{List: list, MessageID: id, At: env.ReceivedAt, Subject: "compost"}},
							Queue: []QueueEntry{{List: list, MessageID: id, Domain: "example.org",
								Recipients: []string{"a@example.org"}, From: "jardin-bounces@lists.test", NextAttempt: env.ReceivedAt}},
						})
					}
					if err != nil {
						b.Error(fmt.Errorf("ingest: %w", err))
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
		})
	}
}
