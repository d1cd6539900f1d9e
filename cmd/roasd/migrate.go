package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/roasd/roasd/store"
)

func init() {
	register(&command{
		name:    "migrate",
		usage:   "",
		summary: "apply the embedded database migrations to DATABASE_URL (idempotent)",
		help: `Connects to DATABASE_URL and applies every embedded migration not yet
recorded in schema_migrations, each in its own transaction, under an advisory
lock (safe with several replicas). Running it again applies nothing.`,
		run: runMigrate,
	})
}

func runMigrate(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags(env, "migrate")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	db, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(env.stdout, "database is up to date")
	}
	for _, m := range applied {
		fmt.Fprintf(env.stdout, "applied %s\n", m.Name)
	}
	return nil
}

// openStore connects to DATABASE_URL.
func openStore(ctx context.Context, env *cmdEnv) (*store.DB, error) {
	dsn := env.getenv("DATABASE_URL")
	if dsn == "" {
		return nil, errors.New("DATABASE_URL is not set (e.g. postgres://user@host/db?sslmode=disable)")
	}
	return store.Open(ctx, dsn)
}
