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
		usage:   "[--creators N] [--variants N] [--days N] [--orders N[,N…]] [--scale F[,F…]] [--runs N] [--quick] | --brands N [--creators N] [--variants N] [--orders N]",
		summary: "benchmark one full cycle on a synthetic large brand and print the table",
		help: `Generates a synthetic brand (default 200 creators, 2,000 variants on Meta
and TikTok, 90 days, 1,000,000 orders), seeds the sandbox fakes with it,
runs this binary as "roasd run --once" against a fresh database (a private
PostgreSQL cluster, or a new database on DATABASE_URL's server), then prints
the first sync's wall and CPU time (daemon and PostgreSQL) and peak RSS,
the API calls against the minimum the page sizes allow, store.UpsertOrders
against a plain COPY of the same rows, and the time of a full and a
one-day incremental reconcile. After the first sync it runs three
steady-state cycles — no new data, 15 minutes later and one day later, the
sandbox's clock moved on with new orders, refunds, moving ad stats, a
restated day and a revoked Spark post — and prints each one's wall and
CPU time (daemon and Postgres), peak RSS, API calls against the minimum
for that change, rows written and Slack posts.

--runs N measures the first sync N times (fresh fakes and database each
time) and reports the median and spread. --quick skips the in-process
reconcile and ingest figures.

Curves: several values of --orders (the memory curve, e.g.
--orders 250000,1000000,4000000) or of --scale (the scale curve, e.g.
--scale 0.25,1,4: creators, variants and orders times F) run the bench once
per value, in --quick mode, and end with one line per value.

--brands N benchmarks N brands in one daemon instead (default 20 brands ×
10 creators × 100 variants, 20,000 orders each): different currencies and
zones, each with its own Meta ad account, TikTok advertiser (all under one
TikTok app quota), shop and Slack channel. It prints the cycle time, the
API calls per platform and the quota errors the fakes answered (TikTok
40100, Meta throttles, Shopify THROTTLED). See docs/BENCHMARKS.md.`,
		run: runBench,
	})
}

func runBench(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags(env, "bench")
	var o bench.Options
	var orders, scales string
	var brands int
	fs.IntVar(&o.Brand.Creators, "creators", 0, "creators (one test each; default 200, or 10 per brand with --brands)")
	fs.IntVar(&o.Brand.Variants, "variants", 0, "variants, half on Meta and half on TikTok (default 2,000, or 100 per brand with --brands)")
	fs.IntVar(&o.Days, "days", 90, "campaign days")
	fs.StringVar(&orders, "orders", "", "store orders, or a comma-separated list for the memory curve (default 1,000,000, or 20,000 per brand with --brands)")
	fs.StringVar(&scales, "scale", "", "comma-separated multiples of the large brand's creators, variants and orders (the scale curve)")
	fs.IntVar(&o.Runs, "runs", 1, "measure the first sync this many times and report the median and spread")
	fs.BoolVar(&o.Quick, "quick", false, "skip the in-process reconcile and ingest figures")
	fs.IntVar(&brands, "brands", 0, "benchmark this many brands in one daemon (the multi-brand row)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this binary: %w", err)
	}
	o.Binary, o.ServerURL, o.Log = exe, env.getenv("DATABASE_URL"), env.stderr
	if brands > 0 {
		m := bench.MultiOptions{Brands: brands, Creators: o.Brand.Creators, Variants: o.Brand.Variants, Days: o.Days,
			Binary: o.Binary, ServerURL: o.ServerURL, Log: o.Log}
		if orders != "" {
			if _, err := fmt.Sscan(orders, &m.Orders); err != nil {
				fmt.Fprintf(env.stderr, "roasd bench: --orders %q with --brands: want one number (orders per brand)\n", orders)
				return errUsage
			}
		}
		res, err := bench.RunMulti(ctx, m)
		if err != nil {
			return err
		}
		res.WriteTable(env.stdout)
		return nil
	}
	points, title, err := bench.Points(o, orders, scales)
	if err != nil {
		fmt.Fprintf(env.stderr, "roasd bench: %v\n", err)
		return errUsage
	}
	var results []*bench.Result
	for _, p := range points {
		res, err := bench.Run(ctx, p)
		if err != nil {
			return err
		}
		res.WriteTable(env.stdout)
		results = append(results, res)
	}
	if len(results) > 1 {
		bench.WriteCurve(env.stdout, title, results)
	}
	return nil
}
