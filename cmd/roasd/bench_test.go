package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/roasd/roasd/bench"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/pgtest"
)

// inProcess runs roasd in this process with env as its whole
// environment, as bench.ExecFunc.
func inProcess(ctx context.Context, args, env []string, stderr io.Writer) int {
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return Main(ctx, &cmdEnv{stdout: io.Discard, stderr: stderr, getenv: func(k string) string { return vars[k] }}, args)
}

// TestMultiBrandBench runs the multi-brand bench at a tiny scale (3
// brands in USD, EUR and JPY × 2 creators × 4 variants): one daemon syncs
// every brand's ad accounts, advertisers (under one TikTok app quota the
// fake enforces), shops behind one Shopify URL and Slack channels, with
// no quota error, and each brand's ledger, KPIs and channel hold only its
// own data.
func TestMultiBrandBench(t *testing.T) {
	t.Parallel()
	res, err := bench.RunMulti(context.Background(), bench.MultiOptions{Brands: 3, Creators: 2, Variants: 4, Days: 10, Orders: 300,
		DSN: pgtest.DSN(t, schema), Exec: inProcess})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res.WriteTable(&out)
	t.Log("\n" + out.String())
	for _, c := range []bench.MultiCycle{res.First, res.Quarter} {
		if c.Exit != 0 {
			t.Errorf("%s: exit %d: %s", c.Name, c.Exit, c.Errors)
		}
		if c.Quota.Total() != 0 {
			t.Errorf("%s: quota errors %+v, want none", c.Name, c.Quota)
		}
		for _, p := range []string{"META", "TIKTOK", "SHOPIFY"} {
			if c.Calls[p] == 0 {
				t.Errorf("%s: no %s call", c.Name, p)
			}
		}
	}
	for p, m := range res.First.Minimum {
		if m <= 0 || res.First.Calls[p] < m {
			t.Errorf("first sync %s: %d calls against a minimum of %d", p, res.First.Calls[p], m)
		}
	}
	// The bench runs the daemon with the default first-sync limit and
	// says so; 3 brands are under it.
	if res.FirstSyncConcurrency != configs.DefaultFirstSyncConcurrency || !strings.Contains(out.String(), fmt.Sprintf("daemon.first_sync_concurrency %d", configs.DefaultFirstSyncConcurrency)) {
		t.Errorf("bench ran with first_sync_concurrency %d, want the default %d, reported in the table", res.FirstSyncConcurrency, configs.DefaultFirstSyncConcurrency)
	}
	if res.FirstSyncBrands < 1 || res.FirstSyncBrands > min(3, res.FirstSyncConcurrency) {
		t.Errorf("%d brands' first syncs at once, want 1..%d", res.FirstSyncBrands, min(3, res.FirstSyncConcurrency))
	}
	if len(res.Brands) != 3 {
		t.Fatalf("%d brands measured, want 3", len(res.Brands))
	}
	currencies := map[string]bool{}
	for _, b := range res.Brands {
		currencies[b.Currency] = true
		if b.LedgerRows == 0 || b.KPIRows == 0 || b.SlackPosts == 0 {
			t.Errorf("%s: %d ledger rows, %d KPI rows, %d Slack posts; want some of each", b.Brand, b.LedgerRows, b.KPIRows, b.SlackPosts)
		}
		if b.Foreign() != 0 {
			t.Errorf("%s: %d KPI rows, %d ledger rows and %d posts of other brands", b.Brand, b.ForeignKPIs, b.ForeignLedger, b.ForeignPosts)
		}
	}
	if len(currencies) != 3 {
		t.Errorf("currencies %v, want three", currencies)
	}
}
