// Package store keeps roasd's records in PostgreSQL (sqlx + lib/pq). It is
// the only package that speaks SQL; it takes and returns ads records and
// knows nothing of the platforms' HTTP APIs. Migrations are embedded and
// applied in order by Migrate.
package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // PostgreSQL driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrNotFound is returned when a requested row does not exist.
var ErrNotFound = errors.New("not found")

// DB is a connection pool to roasd's database.
type DB struct {
	x *sqlx.DB
	// passes holds a token for each reconcile pass stored in parts that
	// holds a transaction (see PartPasses).
	passes chan struct{}
}

// poolSize is how many connections a DB opens at most.
const poolSize = 16

// PartReaders is how many connections the next function of a reconcile
// pass stored in parts (RebuildReconciled, ReplaceReconciledParts) may read
// on at once through the DB while the pass's transaction is open.
const PartReaders = 3

// PartPasses is how many reconcile passes stored in parts hold their
// transaction at once on one DB. Further passes wait for their turn
// holding no connection, so the open passes' reads always find
// connections in the pool. Without the bound, as many passes as the pool
// has connections (a daemon's brands reconciling on the same tick) could
// each hold one in a transaction while their reads wait for another,
// forever.
const PartPasses = poolSize / (1 + PartReaders)

// Open connects to the database at dsn and checks it answers.
func Open(ctx context.Context, dsn string) (*DB, error) {
	x, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening database: %w", err)
	}
	x.SetMaxOpenConns(poolSize)
	x.SetMaxIdleConns(8)
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("connecting to database: %w", err)
	}
	return &DB{x: x, passes: make(chan struct{}, PartPasses)}, nil
}

// Close closes the pool.
func (db *DB) Close() error { return db.x.Close() }

// Ping reports whether the database answers (for readiness checks).
func (db *DB) Ping(ctx context.Context) error { return db.x.PingContext(ctx) }

// SQL exposes the underlying pool for benchmarks and tests in other
// packages that must compare against raw SQL (e.g. COPY).
func (db *DB) SQL() *sqlx.DB { return db.x }

// InTx runs fn in one transaction, committing when fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.x.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// Migration is one embedded schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", e.Name())
		}
		b, err := fs.ReadFile(migrationFS, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// SchemaHash identifies the embedded migrations' content (for test
// templates).
func SchemaHash() string {
	ms, _ := Migrations()
	h := sha256.New()
	for _, m := range ms {
		h.Write([]byte(m.Name))
		h.Write([]byte(m.SQL))
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Migrate applies the embedded migrations not yet recorded in
// schema_migrations, each in its own transaction, under an advisory lock so
// concurrent replicas cannot race. It returns the versions it applied; a
// second run applies nothing.
func (db *DB) Migrate(ctx context.Context) ([]Migration, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	conn, err := db.x.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	defer conn.Close()
	const lockID = 7274_0001
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return nil, fmt.Errorf("taking migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("creating schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	var versions []int
	if err := conn.SelectContext(ctx, &versions, `SELECT version FROM schema_migrations`); err != nil {
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	for _, v := range versions {
		applied[v] = true
	}
	var done []Migration
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return done, err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return done, fmt.Errorf("applying migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			tx.Rollback()
			return done, fmt.Errorf("recording migration %s: %w", m.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return done, fmt.Errorf("committing migration %s: %w", m.Name, err)
		}
		done = append(done, m)
	}
	return done, nil
}

// MigrateDSN opens dsn, migrates it and closes it (pgtest templates use it).
func MigrateDSN(ctx context.Context, dsn string) error {
	db, err := Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Migrate(ctx)
	return err
}

// analyzable are the tables Analyze accepts.
var analyzable = map[string]bool{"orders": true, "ad_day_stats": true, "link_conversions": true, "ledger": true, "kpi_daily": true}

// Analyze refreshes the planner statistics of tables after a bulk load
// (e.g. a shop's first sync), so that the queries right after it (the
// first reconcile) are planned for the rows now there, not for the empty
// tables autovacuum last saw.
func (db *DB) Analyze(ctx context.Context, tables ...string) error {
	for _, t := range tables {
		if !analyzable[t] {
			return fmt.Errorf("analyzing %q: not a table roasd analyzes", t)
		}
		if _, err := db.x.ExecContext(ctx, `ANALYZE `+t); err != nil {
			return fmt.Errorf("analyzing %s: %w", t, err)
		}
	}
	return nil
}
