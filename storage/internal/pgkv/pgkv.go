// Package pgkv is the kv engine on PostgreSQL, through pgx.
//
// Two tables hold everything (migrations/0001_kv.sql): kv_items, the keys
// of every bucket in byte order, and kv_buckets, each bucket's sequence.
// Read transactions are REPEATABLE READ READ ONLY: one snapshot, as
// bbolt's. Write transactions take one advisory lock
// (pg_advisory_xact_lock) before anything else, so that they run one at a
// time across every process on the database — bbolt's single writer,
// now across machines: a read-modify-write done in one Update is atomic
// for the whole cluster. They run READ COMMITTED so that each statement
// sees what the previous lock holder committed (a REPEATABLE READ
// snapshot would be taken by the lock's own statement, before the lock
// was granted).
//
// A write transaction keeps its Puts, Deletes and sequences and sends
// them together, pipelined in one round trip (tx.flush), before a
// statement that may read them and at its commit; a Get of a key with no
// write pending, or read ahead with Prefetch (kv.Prefetcher, one
// statement for many keys), goes without them. So a transaction that
// reads and writes many keys (a tick deciding a thousand proposals)
// costs a few round trips per batch of writes rather than one per key.
//
// The schema is made and upgraded by the versioned SQL files embedded
// from migrations/, applied in order, each once, under an advisory lock,
// and recorded in schema_migrations.
//
// An error of the connection (refused, lost, the server shutting down)
// is wrapped with kv.ErrUnavailable.
package pgkv

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"tacit/storage/internal/kv"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Advisory lock keys (pg_advisory_xact_lock takes a bigint): one for
// write transactions, one for schema migrations. Advisory locks are per
// database, so stores in other databases of the server do not contend.
const (
	writeLock     int64 = 0x7461636974_01 // "tacit", 1
	migrationLock int64 = 0x7461636974_02
)

// defaultMaxConns is the connections a process opens at most, unless the
// DSN says pool_max_conns.
const defaultMaxConns = 16

// DB is a store in a PostgreSQL database. It implements kv.DB.
type DB struct {
	pool *pgxpool.Pool
	// writer lets one goroutine of this process at a time wait for the
	// write lock, so that waiting writers do not hold every connection
	// of the pool.
	writer sync.Mutex
	// namedLocks are Exclusive's in-process locks (lock.go).
	namedLocks
}

// Open connects to the database named by dsn (a URL postgres://… or
// key=value words, as libpq reads them) and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included: not kept.
		return nil, errors.New("pgkv: the dsn cannot be read as a PostgreSQL connection string")
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// pgx's default (4 on a small machine) would queue the readers
		// of IMAP and HTTP behind each other; the writers use one.
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgkv: connect: %w", wrap(err))
	}
	d := &DB{pool: pool}
	if err := d.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
}

// Close implements kv.DB.
func (d *DB) Close() error {
	d.pool.Close()
	return nil
}

// Migrations returns the versions of the SQL migrations applied to the
// database, in order.
func (d *DB) Migrations(ctx context.Context) ([]int, error) {
	rows, err := d.pool.Query(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("pgkv: read migrations: %w", wrap(err))
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("pgkv: read migrations: %w", wrap(err))
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgkv: read migrations: %w", wrap(err))
	}
	return vs, nil
}

// migration is one embedded SQL file, NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "migrations/"), ".sql")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: no version number", n)
		}
		raw, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(raw)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies the migrations the database lacks, in one transaction
// under the migration lock, so that processes starting together apply
// each once.
func (d *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("pgkv: %w", err)
	}
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgkv: migrate: %w", wrap(err))
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit, a no-op
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("pgkv: migrate: %w", wrap(err))
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("pgkv: migrate: %w", wrap(err))
	}
	var done int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&done); err != nil {
		return fmt.Errorf("pgkv: migrate: %w", wrap(err))
	}
	if last := ms[len(ms)-1].version; done > last {
		return fmt.Errorf("pgkv: the database's schema is at version %d, newer than this tacit knows (%d): upgrade tacit", done, last)
	}
	for _, m := range ms {
		if m.version <= done {
			continue
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("pgkv: migration %s: %w", m.name, wrap(err))
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
			return fmt.Errorf("pgkv: migration %s: %w", m.name, wrap(err))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgkv: migrate: %w", wrap(err))
	}
	return nil
}

// View implements kv.DB: fn runs on one snapshot.
func (d *DB) View(fn func(kv.Tx) error) error {
	return d.run(false, fn)
}

// Update implements kv.DB: fn runs alone among the writers of every
// process on the database.
func (d *DB) Update(fn func(kv.Tx) error) error {
	d.writer.Lock()
	defer d.writer.Unlock()
	return d.run(true, fn)
}

// Batch implements kv.DB as Update: each call is its own commit.
func (d *DB) Batch(fn func(kv.Tx) error) error { return d.Update(fn) }

// Begin statements: one round trip each, the lock taken in the same one.
const (
	beginRead  = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	beginWrite = "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" // + writeLock + ")"
)

func (d *DB) run(writable bool, fn func(kv.Tx) error) (err error) {
	ctx := context.Background()
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgkv: %w", wrap(err))
	}
	// A connection left in a transaction or broken is closed by the
	// pool on release rather than reused.
	defer conn.Release()
	begin := beginRead
	if writable {
		begin = beginWrite + strconv.FormatInt(writeLock, 10) + ")"
	}
	if _, err := conn.Exec(ctx, begin); err != nil {
		return fmt.Errorf("pgkv: begin: %w", wrap(err))
	}
	t := &tx{ctx: ctx, conn: conn.Conn(), writable: writable}
	t.root = &bucket{tx: t, id: 0}
	committed := false
	defer func() {
		if !committed {
			if _, rerr := conn.Exec(ctx, "ROLLBACK"); rerr != nil && err == nil {
				err = fmt.Errorf("pgkv: rollback: %w", wrap(rerr))
			}
		}
	}()
	ferr := fn(t)
	if ferr == nil && writable {
		_ = t.flush() // its failure is t.err
	}
	if t.err != nil {
		return t.err
	}
	if ferr != nil {
		return ferr
	}
	committed = true
	if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("pgkv: commit: %w", wrap(err))
	}
	return nil
}

// wrap marks errors of the connection with kv.ErrUnavailable: every
// error that is not the server's answer to a statement, and the server's
// answers that say it cannot serve (connection exceptions, shutting
// down, starting up, too many connections).
func wrap(err error) error {
	if err == nil || errors.Is(err, kv.ErrUnavailable) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "57P"), // admin or crash shutdown, cannot connect now
			pe.Code == "53300":                // too many connections
		default:
			return err
		}
	}
	return fmt.Errorf("%w: %w", kv.ErrUnavailable, err)
}

// Describe names the database dsn connects to, without its password:
// for messages.
func Describe(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "PostgreSQL (an unreadable dsn)"
	}
	return fmt.Sprintf("PostgreSQL database %s on %s:%d", cfg.Database, cfg.Host, cfg.Port)
}
