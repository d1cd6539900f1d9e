// Package storetest gives tests a private PostgreSQL database migrated to
// roasd's schema: every test database is cloned from one template built
// once per package run (see internal/pgtest).
package storetest

import (
	"context"
	"testing"

	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/store"
)

// Schema is the migrated template test databases are cloned from; its
// name changes with the migrations, so a stale template is never reused.
var Schema = &pgtest.Template{Name: "roasd_" + store.SchemaHash(), Init: store.MigrateDSN}

// DSN returns the connection string of a new database cloned from Schema,
// dropped at the end of the test.
func DSN(t testing.TB) string {
	t.Helper()
	return pgtest.DSN(t, Schema)
}

// Open opens a new database cloned from Schema, closed at the end of the
// test.
func Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), DSN(t))
	if err != nil {
		t.Fatalf("storetest: opening the test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
