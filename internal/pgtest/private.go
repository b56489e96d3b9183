package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Private is a PostgreSQL server of one test's own, for tests that stop
// or restart it under load (the server of DSN is shared by every test of
// the binary). It runs under pg_ctl, as an operator's would, with
// durability on, and is stopped when the test ends.
type Private struct {
	bin, dir, data string
	port           int
	cred           *syscall.Credential
}

// StartPrivate initialises and starts a private server.
func StartPrivate(t testing.TB) *Private {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		t.Fatalf("PostgreSQL is needed by this test: %v (apt-get install postgresql)", err)
	}
	dir, err := os.MkdirTemp("", "tacit-pgp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cred, err := runAs(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := &Private{bin: bin, dir: dir, data: filepath.Join(dir, "data"), cred: cred}
	if out, err := p.run("initdb", "-D", p.data, "-A", "trust", "-U", "postgres", "--no-locale", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v: %s", err, out)
	}
	if p.port, err = freePort(); err != nil {
		t.Fatal(err)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_buffers=32MB", p.port, dir)
	if out, err := p.run("pg_ctl", "-D", p.data, "-l", filepath.Join(dir, "postgres.log"), "-o", opts, "-w", "start"); err != nil {
		t.Fatalf("pg_ctl start: %v: %s", err, out)
	}
	t.Cleanup(func() { p.run("pg_ctl", "-D", p.data, "-m", "immediate", "-w", "stop") }) //nolint:errcheck
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.dsnFor("postgres"))
	if err != nil {
		t.Fatalf("connect to the private PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE tacit"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return p
}

// DSN returns the connection string of the server's database "tacit".
func (p *Private) DSN() string { return p.dsnFor("tacit") }

func (p *Private) dsnFor(db string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable", p.dir, p.port, db)
}

// Restart restarts the server as an operator would (pg_ctl restart -m
// fast: the sessions are ended, the server stops and starts again) and
// returns once it accepts connections.
func (p *Private) Restart(t testing.TB) {
	t.Helper()
	// -l: without it the server would write to pg_ctl's output, which
	// CombinedOutput would then wait on for as long as the server runs.
	if out, err := p.run("pg_ctl", "-D", p.data, "-l", filepath.Join(p.dir, "postgres.log"), "-m", "fast", "-w", "restart"); err != nil {
		t.Fatalf("pg_ctl restart: %v: %s", err, out)
	}
}

// run runs a PostgreSQL program as the server's user.
func (p *Private) run(prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(p.bin, prog), args...)
	cmd.Dir = p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	return cmd.CombinedOutput()
}
