package main

import (
	"context"
	"fmt"
	"os"

	"github.com/roasd/roasd/bench"
)

func init() {
	register(&command{
		name:    "bench",
		usage:   "[--creators N] [--variants N] [--days N] [--orders N]",
		summary: "benchmark one full cycle on a synthetic large brand and print the table",
		help: `Generates a synthetic brand (default 200 creators, 2,000 variants on Meta
and TikTok, 90 days, 1,000,000 orders), seeds the sandbox fakes with it,
runs this binary as "roasd run --once" against a fresh database (a private
PostgreSQL cluster, or a new database on DATABASE_URL's server), then prints
the full-cycle wall time and peak RSS, the API calls against the minimum the
page sizes allow, store.UpsertOrders against a plain COPY of the same rows,
and the time of a full and a one-day incremental reconcile. After the first
sync it runs three steady-state cycles — no new data, 15 minutes later and
one day later, the sandbox's clock moved on with new orders, refunds, moving
ad stats, a restated day and a revoked Spark post — and prints each one's
wall and CPU time (daemon and Postgres), API calls against the minimum for
that change, rows written and Slack posts. See docs/BENCHMARKS.md.`,
		run: runBench,
	})
}

func runBench(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags(env, "bench")
	var o bench.Options
	fs.IntVar(&o.Brand.Creators, "creators", 200, "creators (one test each)")
	fs.IntVar(&o.Brand.Variants, "variants", 2000, "variants, half on Meta and half on TikTok")
	fs.IntVar(&o.Days, "days", 90, "campaign days")
	fs.IntVar(&o.Orders, "orders", 1_000_000, "store orders")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this binary: %w", err)
	}
	o.Binary, o.ServerURL, o.Log = exe, env.getenv("DATABASE_URL"), env.stderr
	res, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	res.WriteTable(env.stdout)
	return nil
}
