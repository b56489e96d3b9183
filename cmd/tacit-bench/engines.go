package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// The tick workload and the comparison of the two store engines.
//
//	tick     --proposals proposals posted with a deadline of 2 s, then
//	         timed as the engine decides them: the sum of the took= of
//	         tacit's "engine: tick" lines until every one is decided
//	engines  fanout, ingest and tick on bbolt, then on a new database of
//	         the PostgreSQL server --pg, and the ratios of their rates

// tickConfig gives the proposals of the tick workload a deadline of two
// seconds and the engine a tick a second.
const tickConfig = "\n[consensus]\ndefault_deadline = \"2s\"\nmin_deadline = \"1s\"\nremind_before = \"0s\"\nschedule = \"@every 1s\"\nauthentication = \"none\"\n"

var tickField = regexp.MustCompile(`\bdecided=(\d+)\b.*\btook=(\S+)`)

// tickLine adds one "engine: tick" line's decided= and took= to w.
func (w *logWatcher) tickLine(line []byte) {
	m := tickField.FindSubmatch(line)
	if m == nil {
		return
	}
	n, _ := strconv.Atoi(string(m[1]))
	d, err := time.ParseDuration(string(m[2]))
	if err != nil {
		return
	}
	w.decided.Add(int64(n))
	w.tickNanos.Add(int64(d))
}

// tick posts o.proposals proposals and times how long the engine takes
// to decide them (its own measure: the took= of its ticks), o.runs times.
func (b *bench) tick(ctx context.Context) (*result, error) {
	n := b.o.proposals
	saved := b.extra
	b.extra += tickConfig
	defer func() { b.extra = saved }()
	e, err := b.setup(ctx, 1, false)
	if err != nil {
		return nil, err
	}
	defer e.close()
	res := &result{Workload: "tick", Posts: n, Sink: b.sinkName(), RateUnit: "proposals/s"}
	for i := range b.o.runs {
		before, took := e.srv.logs.decided.Load(), e.srv.logs.tickNanos.Load()
		if _, err := sendProposals(e.in.smtpAddr, n, b.o.clients, fmt.Sprintf("tick-%d-%d", i, time.Now().UnixNano())); err != nil {
			return nil, fmt.Errorf("run %d: %w", i+1, err)
		}
		deadline := time.Now().Add(b.o.timeout)
		for e.srv.logs.decided.Load() < before+int64(n) {
			if time.Now().After(deadline) || ctx.Err() != nil {
				return nil, fmt.Errorf("run %d: %d of %d proposals decided\n%s", i+1,
					e.srv.logs.decided.Load()-before, n, e.srv.logs.tail())
			}
			time.Sleep(20 * time.Millisecond)
		}
		d := time.Duration(e.srv.logs.tickNanos.Load() - took).Seconds()
		res.Seconds = append(res.Seconds, d)
		fmt.Fprintln(b.out, res.line(fmt.Sprintf("run=%d/%d", i+1, b.o.runs), d, n))
	}
	res.MedianSeconds = median(res.Seconds)
	res.Rate = float64(n) / res.MedianSeconds
	fmt.Fprintln(b.out, res.line("median", res.MedianSeconds, n))
	return res, e.close()
}

// sendProposals posts m proposals from c clients (sendMany's way).
func sendProposals(addr string, m, c int, tag string) (time.Duration, error) {
	msgs := make([]string, m)
	for i := range msgs {
		id := fmt.Sprintf("%s-%d", tag, i)
		msgs[i] = "From: " + poster + "\r\nTo: " + listAddr + "\r\nSubject: [PROPOSITION] " + id +
			"\r\nMessage-ID: <" + id + "@bench.example.org>\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) +
			"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLet us do " + id + ".\r\n"
	}
	return sendAll(addr, msgs, c)
}

// engineResults are the engines workload's measures, per engine.
type engineResults struct {
	Bolt     []*result          `json:"bbolt"`
	Postgres []*result          `json:"postgres"`
	Ratios   map[string]float64 `json:"postgres_to_bbolt_rate"`
}

// engines runs fanout, ingest and tick on each engine and prints the
// ratio of PostgreSQL's rate to bbolt's for each.
func (b *bench) engines(ctx context.Context) (*engineResults, error) {
	out := &engineResults{Ratios: map[string]float64{}}
	for _, pg := range []bool{false, true} {
		name := "bbolt"
		if pg {
			name = "postgres"
		}
		for _, w := range []func(context.Context) (*result, error){b.fanout, b.ingest, b.tick} {
			b.extra = ""
			if pg { // a new database for each workload, as a new file for bbolt
				extra, drop, err := newDatabase(ctx, b.o.pg)
				if err != nil {
					return nil, err
				}
				defer drop()
				b.extra = extra
			}
			fmt.Fprintf(b.out, "== engine %s\n", name)
			r, err := w(ctx)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if pg {
				out.Postgres = append(out.Postgres, r)
			} else {
				out.Bolt = append(out.Bolt, r)
			}
		}
	}
	for i, r := range out.Postgres {
		ratio := r.Rate / out.Bolt[i].Rate
		out.Ratios[r.Workload] = ratio
		fmt.Fprintf(b.out, "engines %s postgres/bbolt rate ratio=%.2f (%.0f against %.0f %s)\n",
			r.Workload, ratio, r.Rate, out.Bolt[i].Rate, r.RateUnit)
	}
	return out, nil
}

// newDatabase creates a database on the PostgreSQL server of dsn and
// returns the [storage] table that points tacit at it, and a function
// that drops it.
func newDatabase(ctx context.Context, dsn string) (extra string, drop func(), err error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", nil, fmt.Errorf("--pg: connect: %w", err)
	}
	name := fmt.Sprintf("tacit_bench_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		return "", nil, fmt.Errorf("--pg: create database: %w", err)
	}
	cfg := conn.Config().Copy()
	cfg.Database = name
	target := fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", cfg.Host, cfg.Port, cfg.User, name)
	drop = func() {
		c := context.Background()
		if _, err := conn.Exec(c, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "tacit-bench: drop database", name+":", err)
		}
		conn.Close(c)
	}
	return fmt.Sprintf("\n[storage]\ndriver = \"postgres\"\ndsn = %q\n", target), drop, nil
}
