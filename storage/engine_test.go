package storage

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"

	"tacit/internal/pgtest"
)

// engine is the engine the tests open their stores in. TestMain runs
// every test of the package twice: on bbolt, then on PostgreSQL (a
// private server for this test binary, a database per store). To run
// one engine only: TACIT_STORE=bbolt or TACIT_STORE=postgres.
var engine = DriverBolt

func TestMain(m *testing.M) {
	only := os.Getenv("TACIT_STORE")
	code := 0
	if only == "" || only == DriverBolt {
		code = m.Run()
	}
	// Benchmarks say which engine they measure themselves.
	benchmarking := flag.Lookup("test.bench").Value.String() != ""
	if code == 0 && (only == DriverPostgres || only == "" && !benchmarking) {
		engine = DriverPostgres
		fmt.Println("storage: the same tests, on PostgreSQL")
		code = m.Run()
	}
	pgtest.Main(exitCode(code))
}

// exitCode is a testing.M-like runner that has already run.
type exitCode int

func (c exitCode) Run() int { return int(c) }

// dsns maps the paths the tests open to their PostgreSQL databases, so
// that opening a path again reopens the same store.
var dsns sync.Map

// testOptions returns o for the engine under test: on PostgreSQL, the
// database standing for path, made on first use.
func testOptions(t testing.TB, path string, o Options) Options {
	t.Helper()
	if engine != DriverPostgres {
		return o
	}
	dsn, ok := dsns.Load(path)
	if !ok {
		dsn, _ = dsns.LoadOrStore(path, pgtest.DSN(t))
	}
	o.Driver, o.DSN = DriverPostgres, dsn.(string)
	return o
}

// boltOnly skips a test about bbolt's file on the PostgreSQL pass.
func boltOnly(t *testing.T, why string) {
	t.Helper()
	if engine != DriverBolt {
		t.Skip("bbolt only: " + why)
	}
}
