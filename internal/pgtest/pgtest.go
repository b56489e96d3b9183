// Package pgtest starts a private PostgreSQL for tests: one server per
// test binary, started on first use (initdb in a temporary directory, its
// unix socket there, loopback on a free port; durability off, as its data
// is thrown away), and a fresh database for each caller. The system's
// cluster is never used.
//
// A package whose tests use it calls Main from its TestMain, which stops
// the server and removes its directory when the tests end (the server
// also dies with the test binary, should it be killed).
//
// When PostgreSQL is not installed the test fails, saying to run
// apt-get install postgresql: a CI that lacks it cannot pass silently.
// TACIT_SKIP_POSTGRES=1 skips instead, for a developer's machine.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// server is the test binary's PostgreSQL.
type server struct {
	dir  string // its temporary directory: data/, the socket, the log
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed when the server has ended
	err  error
}

var (
	once    sync.Once
	srv     server
	counter atomic.Int64
)

// Main runs the tests of m (a *testing.M), then stops the server if one
// was started, and exits with the tests' code.
func Main(m interface{ Run() int }) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// DSN returns the connection string of a new, empty database on the test
// binary's server.
func DSN(t testing.TB) string {
	t.Helper()
	once.Do(start)
	if srv.err != nil {
		if os.Getenv("TACIT_SKIP_POSTGRES") == "1" {
			t.Skipf("PostgreSQL: %v (TACIT_SKIP_POSTGRES=1)", srv.err)
		}
		t.Fatalf("PostgreSQL is needed by this test: %v\n(install it with: apt-get install postgresql; or set TACIT_SKIP_POSTGRES=1 to skip)", srv.err)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), counter.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsnFor("postgres"))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return dsnFor(name)
}

// Dir returns the server's directory (its socket's directory), for tests
// that restart or inspect it.
func Dir() string { return srv.dir }

func dsnFor(db string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable", srv.dir, srv.port, db)
}

// BinDir returns the directory of the newest PostgreSQL installed by
// Debian's packages.
func BinDir() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", fmt.Errorf("no /usr/lib/postgresql/*/bin/initdb")
	}
	sort.Slice(found, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return vi < vj
	})
	return filepath.Dir(found[len(found)-1]), nil
}

// start runs initdb and the server, once per test binary.
func start() {
	srv.err = startServer()
	if srv.err != nil && srv.dir != "" {
		Stop()
	}
}

func startServer() error {
	bin, err := BinDir()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tacit-pg-")
	if err != nil {
		return err
	}
	srv.dir = dir
	cred, err := runAs(dir)
	if err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
		"--no-locale", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	srv.port, err = freePort()
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	if cred != nil {
		os.Chown(logf.Name(), int(cred.Uid), int(cred.Gid))
	}
	srv.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(srv.port),
		"-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=300", "-c", "shared_buffers=64MB")
	srv.cmd.Stdout, srv.cmd.Stderr = logf, logf
	// The server dies with the test binary: Pdeathsig fires when the
	// thread that started it ends, so that thread is kept for good.
	srv.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	started := make(chan error, 1)
	srv.done = make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if err := srv.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		srv.cmd.Wait() //nolint:errcheck // its end is seen by the readiness wait or stop
		close(srv.done)
		select {} // keep the locked thread
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, dsnFor("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		ended := false
		select {
		case <-srv.done:
			ended = true
		default:
		}
		if ended || time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			return fmt.Errorf("postgres did not accept connections (ended: %v): %v\n%s", ended, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runAs returns the credentials the server runs with: PostgreSQL refuses
// root, so root runs it as the postgres user, who is given dir.
func runAs(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and no postgres user to run the server as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop ends the server, if one was started (immediate shutdown: its
// data is not kept), and removes its directory: for a TestMain that
// cannot use Main.
func Stop() {
	if srv.cmd != nil && srv.cmd.Process != nil {
		srv.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-srv.done:
		case <-time.After(10 * time.Second):
		}
	}
	if srv.dir != "" && strings.HasPrefix(srv.dir, os.TempDir()) {
		os.RemoveAll(srv.dir)
	}
}

// Durable makes the test binary's server flush every commit to disk, as
// a production server does (it starts with durability off, for speed):
// for benchmarks that compare engines. It lasts until the server stops.
func Durable(t testing.TB) {
	t.Helper()
	DSN(t) // started
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsnFor("postgres"))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{"ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET synchronous_commit = on",
		"ALTER SYSTEM SET full_page_writes = on", "SELECT pg_reload_conf()"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("pgtest: %s: %v", q, err)
		}
	}
}
