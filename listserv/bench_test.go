package listserv

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"tacit/internal/smtpsink"
	"tacit/listserv/outbound"
	"tacit/storage"
)

// benchServer starts a server relaying into a counting sink.
func benchServer(b testing.TB, members int, verp ...bool) (*Server, *smtpsink.Sink) {
	b.Helper()
	store, err := storage.Open(filepath.Join(b.TempDir(), "tacit.db"), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	sink := smtpsink.Start(b, smtpsink.Options{Discard: true})
	tr := outbound.NewRelay(outbound.RelayOptions{Addr: sink.Addr(), Hostname: "lists.test", MaxConns: 8})
	srv, err := New(Options{
		Store: store, Domain: "lists.test",
		SMTP: SMTPOptions{Listen: "127.0.0.1:0", Hostname: "lists.test", MaxMessageBytes: 1 << 25,
			MaxRecipients: 10, IdleTimeout: time.Minute, DataTimeout: time.Minute},
		Delivery: DeliveryOptions{Transport: tr, Concurrency: 8, RecipientsPerTransaction: 100,
			MaxQueueLifetime: time.Hour},
		VERP: len(verp) > 0 && verp[0],
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := store.CreateList(storage.List{Address: "jardin@lists.test"}); err != nil {
		b.Fatal(err)
	}
	addrs := make([]string, members)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("member%05d@example.org", i)
	}
	if _, err := store.AddMembers("jardin@lists.test", time.Now(), addrs...); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		<-done
		tr.Close()
		store.Close()
	})
	return srv, sink
}

// post4k is a 4 KB post by member00000.
func post4k(subject string) string {
	line := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 1) + "\r\n"
	return "From: member00000@example.org\r\nTo: jardin@lists.test\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@example.org>\r\n\r\n" + strings.Repeat(line, 4096/len(line))
}

// BenchmarkAccept measures SMTP ingest: sessions from 8 parallel clients,
// each reusing its connection, every message committed (fsync) before 250.
func BenchmarkAccept(b *testing.B) {
	srv, _ := benchServer(b, 1)
	msg := post4k("ingest")
	b.SetParallelism(4) // 4 × GOMAXPROCS clients
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := gosmtp.Dial(srv.SMTPAddr())
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		for pb.Next() {
			if err := c.SendMail("member00000@example.org", []string{"jardin@lists.test"}, strings.NewReader(msg)); err != nil {
				b.Error(err)
				return
			}
			if err := c.Reset(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkFanout10000 measures one 4 KB post fanned out to 10,000
// members into a loopback SMTP sink, timed from the 250 to the last
// recipient accepted.
func BenchmarkFanout10000(b *testing.B) { benchFanout(b, false) }

// BenchmarkFanout10000VERP is the same with one transaction per member,
// each with its own VERP envelope sender.
func BenchmarkFanout10000VERP(b *testing.B) { benchFanout(b, true) }

func benchFanout(b *testing.B, verp bool) {
	const members = 10000
	srv, sink := benchServer(b, members, verp)
	b.ResetTimer()
	for i := range b.N {
		c, err := gosmtp.Dial(srv.SMTPAddr())
		if err != nil {
			b.Fatal(err)
		}
		if err := c.SendMail("member00000@example.org", []string{"jardin@lists.test"}, strings.NewReader(post4k(fmt.Sprintf("fanout%d", i)))); err != nil {
			b.Fatal(err)
		}
		c.Close()
		sink.WaitCount(b, members*(i+1), 2*time.Minute)
	}
	b.ReportMetric(float64(members*b.N)/b.Elapsed().Seconds(), "recipients/s")
}
