package main

import (
	"context"
	"fmt"

	"github.com/roasd/roasd/internal/pgcluster"
	"github.com/roasd/roasd/store"
)

func init() {
	register(&command{
		name:    "demo",
		summary: "run the full cycle on the embedded examples with a private Postgres and the sandbox",
		help: `Needs no configuration. When DATABASE_URL is unset it starts a private
PostgreSQL cluster from the local binaries (removed on exit), migrates it,
and runs roasd against it.`,
		run: runDemo,
	})
}

func runDemo(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags(env, "demo")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	dsn := env.getenv("DATABASE_URL")
	if dsn == "" {
		fmt.Fprintln(env.stdout, "starting a private PostgreSQL cluster…")
		c, err := pgcluster.Start(ctx)
		if err != nil {
			return fmt.Errorf("starting private PostgreSQL: %w", err)
		}
		defer c.Stop()
		dsn = c.URL("postgres")
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "database migrated (%d migrations applied)\n", len(applied))
	return nil
}
