package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/bench"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/store"
)

// TestSteadyCycleCallsAtVolume runs the bench brand at the 4M point's
// order rate (44,500 orders a day, here over one day) and a cycle a
// quarter of an hour later: 463 new orders and 3 refunds, with about 270
// orders in the sync's overlap, take 12 pages, where a bulk export takes
// start, poll, download and the 3 pages of the 157 orders in the overlap
// before it. The order sync sees that from the shop's rate in the store
// (it exports), and of the orders whose journey was not ready and whose
// re-read is due it reads by id only those the export did not read;
// Shopify's calls (the export's polls counted as one: the
// fake renders its file in wall time) are at most 1.1× the minimum
// bench.CycleMinimum derives, which counts the export's overlap pages.
func TestSteadyCycleCallsAtVolume(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := &e2e{dsn: pgtest.DSN(t, schema), config: t.TempDir()}
	if err := bench.WriteConfig(e.config, bench.Brand{Creators: 10, Variants: 100}); err != nil {
		t.Fatal(err)
	}
	set, err := loadConfig(e.config)
	if err != nil {
		t.Fatal(err)
	}
	camp, err := sandbox.NewScaledCampaign(set, 1, sandbox.Scale{Days: 1, Orders: 44500})
	if err != nil {
		t.Fatal(err)
	}
	if e.sb, err = sandbox.StartWith(camp, sandbox.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.sb.Close() })
	e.vars = map[string]string{"DATABASE_URL": e.dsn, "ROASD_NOW": camp.Now.Format(time.RFC3339)}
	for _, line := range e.sb.Env() {
		k, v, _ := strings.Cut(line, "=")
		e.vars[k] = v
	}
	if e.db, err = store.Open(ctx, e.dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	e.runCycle(t, "first sync")

	change, err := e.sb.Advance(15*time.Minute, 1)
	if err != nil {
		t.Fatal(err)
	}
	b := set.Brands[0]
	checks, err := bench.ReadJourneyChecks(ctx, e.db, b, jobs.DefaultOrderOverlap)
	if err != nil {
		t.Fatal(err)
	}
	overlapped, err := bench.Overlapped(ctx, e.db, b, jobs.DefaultOrderOverlap)
	if err != nil {
		t.Fatal(err)
	}
	marks, err := bench.ReadAdMarks(ctx, e.db, b)
	if err != nil {
		t.Fatal(err)
	}
	// The daemon's clock starts 5 s after the fakes' now, so the re-reads
	// the first sync scheduled a quarter of an hour after its read are due
	// (see TestJourneyChecksDue) and the export's part of them is there to
	// be left out.
	e.vars["ROASD_NOW"] = e.sb.Now().Add(5 * time.Second).Format(time.RFC3339Nano)
	skip := e.sb.Calls()
	var lastRun int64
	if err := e.db.SQL().Get(&lastRun, `SELECT coalesce(max(id), 0) FROM job_runs`); err != nil {
		t.Fatal(err)
	}
	e.runCycle(t, "15 minutes later")
	due, err := checks.Due(ctx, e.db, lastRun)
	if err != nil {
		t.Fatal(err)
	}
	if due == 0 {
		t.Error("no journey re-read fell due: the test did not exercise them")
	}
	ops := endpoints(e.sb, skip)
	if ops["shopify bulk"] != 1 {
		t.Errorf("the order sync did not export: calls made:\n%s", listing(ops))
	}
	calls := e.sb.Calls()
	for k := range calls {
		calls[k] -= skip[k]
	}
	calls["SHOPIFY"] -= max(ops["shopify bulk-poll"]-1, 0)
	got, err := bench.CycleMinimum(ctx, e.db, b, e.sb, change, overlapped, due, marks, calls)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		if p.Name != "shopify" {
			continue
		}
		t.Logf("shopify: %d calls, minimum %d (%s)", p.Calls, p.Minimum, p.How)
		if !strings.Contains(p.How, "bulk export") {
			t.Errorf("the minimum is not an export: %s", p.How)
		}
		if float64(p.Calls) > 1.1*float64(p.Minimum) {
			t.Errorf("shopify: %d calls, more than 1.1× the minimum %d (%s); calls made:\n%s", p.Calls, p.Minimum, p.How, listing(ops))
		}
	}
}
