package bench

import (
	"context"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var schema = storetest.Schema

// mid is a mid-sized brand for the hot-path benchmarks: 40 creators, 400
// variants, 30 days, 100,000 orders.
var (
	midOnce sync.Once
	midSet  *configs.Set
	midCamp *sandbox.Campaign
	midErr  error
)

func mid(tb testing.TB) (*configs.Set, *sandbox.Campaign) {
	tb.Helper()
	midOnce.Do(func() {
		dir, err := os.MkdirTemp("", "roasd-bench-mid-")
		if err != nil {
			midErr = err
			return
		}
		defer os.RemoveAll(dir)
		if midErr = WriteConfig(dir, Brand{Creators: 40, Variants: 400}); midErr != nil {
			return
		}
		if midSet, midErr = configs.Load(dir); midErr != nil {
			return
		}
		midCamp, midErr = sandbox.NewScaledCampaign(midSet, 1, sandbox.Scale{Days: 30, Orders: 100_000})
	})
	if midErr != nil {
		tb.Fatal(midErr)
	}
	return midSet, midCamp
}

// TestWriteConfigLoads checks the generated brand validates and has the
// requested shape.
func TestWriteConfigLoads(t *testing.T) {
	t.Parallel()
	for _, b := range []Brand{{Creators: 3, Variants: 7}, {Creators: 200, Variants: 2000}} {
		dir := t.TempDir()
		if err := WriteConfig(dir, b); err != nil {
			t.Fatal(err)
		}
		set, err := configs.Load(dir)
		if err != nil {
			t.Fatalf("%+v: %v", b, err)
		}
		br := set.Brands[0]
		n, meta := 0, 0
		for _, tt := range br.Tests {
			for _, v := range tt.Variants {
				n++
				if v.Platform == ads.Meta {
					meta++
				}
			}
		}
		if len(br.Creators) != b.Creators || n != b.Variants {
			t.Errorf("%+v: %d creators, %d variants", b, len(br.Creators), n)
		}
		if meta == 0 || meta == n {
			t.Errorf("%+v: %d of %d variants on Meta, want both platforms", b, meta, n)
		}
	}
	if err := WriteConfig(t.TempDir(), Brand{Creators: 2, Variants: 1}); err == nil {
		t.Error("fewer variants than creators was accepted")
	}
}

// matches links every simulated ad to its variant, as the ads sync does.
func matches(c *sandbox.Campaign) []reconcile.VariantMatch {
	var out []reconcile.VariantMatch
	for _, a := range c.Ads {
		if a.VariantKey != "" {
			out = append(out, reconcile.VariantMatch{TestID: a.TestID, VariantKey: a.VariantKey, MatchedBy: "utm_content", Ad: a.Ad})
		}
	}
	return out
}

// midLinks makes link conversions of the mid brand's first creator for
// every 97th order, naming it by id, by name, with '#', not at all, or
// naming no stored order, plus one of nobody's.
func midLinks(handle string, orders []ads.Order) []ads.LinkConversion {
	var out []ads.LinkConversion
	for i := 0; i < len(orders); i += 97 {
		o := orders[i]
		ref := []string{o.ID, o.Name, "", "999999", "#" + strings.TrimPrefix(o.Name, "#")}[i%5]
		out = append(out, ads.LinkConversion{ID: strconv.Itoa(i), Source: []string{"impact", "refersion"}[i%2], Creator: handle,
			OrderID: ref, Amount: o.Net, Currency: o.Currency, At: o.CreatedAt})
	}
	return append(out, ads.LinkConversion{ID: "x", Source: "impact", Creator: "nobody", Amount: 5, Currency: "USD", At: orders[0].CreatedAt})
}

// TestReconcileBuildByDayEqualsOnePass builds the mid brand (100,000
// orders, with link conversions) once over everything and once per day,
// as the full rebuild does, and checks the two agree row for row.
func TestReconcileBuildByDayEqualsOnePass(t *testing.T) {
	t.Parallel()
	set, c := mid(t)
	br := set.Brands[0]
	in := reconcile.Input{Brand: br, Orders: c.Orders, Stats: c.Stats, Ads: matches(c), Links: midLinks(br.Creators[0].Handle, c.Orders)}
	one, err := reconcile.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Ledger) < len(c.Orders) || len(one.Daily) == 0 {
		t.Fatalf("one pass gave %d ledger rows and %d cells for %d orders", len(one.Ledger), len(one.Daily), len(c.Orders))
	}
	var refs []reconcile.OrderRef
	for _, o := range c.Orders {
		refs = append(refs, reconcile.OrderRef{ID: o.ID, Name: o.Name})
	}
	byDay := map[ads.Date]*reconcile.Input{}
	for _, d := range one.Days {
		byDay[d] = &reconcile.Input{Brand: br, Ads: in.Ads, OrderRefs: refs, Days: []ads.Date{d}}
	}
	for _, o := range c.Orders {
		if p := byDay[ads.DateOf(o.CreatedAt, br.Location)]; p != nil {
			p.Orders = append(p.Orders, o)
		}
	}
	for _, l := range in.Links {
		if p := byDay[ads.DateOf(l.At, br.Location)]; p != nil {
			p.Links = append(p.Links, l)
		}
	}
	for _, s := range c.Stats {
		if p := byDay[s.Day]; p != nil {
			p.Stats = append(p.Stats, s)
		}
	}
	var split reconcile.Result
	for _, d := range one.Days {
		res, err := reconcile.Build(*byDay[d])
		if err != nil {
			t.Fatal(err)
		}
		split.Days = append(split.Days, res.Days...)
		split.Ledger = append(split.Ledger, res.Ledger...)
		split.Daily = append(split.Daily, res.Daily...)
	}
	if !reflect.DeepEqual(split.Days, one.Days) {
		t.Errorf("days differ: %d by day, %d in one pass", len(split.Days), len(one.Days))
	}
	if !reflect.DeepEqual(split.Ledger, one.Ledger) {
		t.Errorf("ledgers differ: %d rows by day, %d in one pass", len(split.Ledger), len(one.Ledger))
	}
	if !reflect.DeepEqual(split.Daily, one.Daily) {
		t.Errorf("KPI cells differ: %d by day, %d in one pass", len(split.Daily), len(one.Daily))
	}
	dups := 0
	for _, r := range one.Ledger {
		if r.Rule == reconcile.AttrLinkDup {
			dups++
		}
	}
	if dups == 0 || dups == len(in.Links) {
		t.Errorf("%d of %d link conversions are duplicates; want some of each", dups, len(in.Links))
	}
}

// BenchmarkReconcileBuild is the full ledger and KPI build of 100,000
// orders and 12,000 ad-days (pure computation).
func BenchmarkReconcileBuild(b *testing.B) {
	set, c := mid(b)
	in := reconcile.Input{Brand: set.Brands[0], Orders: c.Orders, Stats: c.Stats, Ads: matches(c)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reconcile.Build(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(c.Orders))*float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkReconcileOneDay is the incremental build of one day.
func BenchmarkReconcileOneDay(b *testing.B) {
	set, c := mid(b)
	day := c.Today.AddDays(-3)
	loc := set.Brands[0].Location
	in := reconcile.Input{Brand: set.Brands[0], Days: []ads.Date{day}, Ads: matches(c)}
	for _, o := range c.Orders {
		if ads.DateOf(o.CreatedAt, loc) == day {
			in.Orders = append(in.Orders, o)
		}
	}
	for _, s := range c.Stats {
		if s.Day == day {
			in.Stats = append(in.Stats, s)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reconcile.Build(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpsertOrders writes 10,000 orders into an empty table with
// store.UpsertOrders (the ingest path), and BenchmarkCopyOrders the same
// rows with COPY (the physical limit).
func BenchmarkUpsertOrders(b *testing.B) {
	_, c := mid(b)
	rows := c.Orders[:10_000]
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.DSN(b, schema))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for b.Loop() {
		b.StopTimer()
		if _, err := db.SQL().Exec(`TRUNCATE orders`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := db.UpsertOrders(ctx, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkUpsertOrdersUnchanged re-writes 10,000 stored, unchanged
// orders (every sync's trailing overlap).
func BenchmarkUpsertOrdersUnchanged(b *testing.B) {
	_, c := mid(b)
	rows := c.Orders[:10_000]
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.DSN(b, schema))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.UpsertOrders(ctx, rows); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if n, err := db.UpsertOrders(ctx, rows); err != nil || n != 0 {
			b.Fatalf("re-upsert changed %d rows: %v", n, err)
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCopyOrders(b *testing.B) {
	_, c := mid(b)
	rows := c.Orders[:10_000]
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.DSN(b, schema))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for b.Loop() {
		b.StopTimer()
		db.SQL().Exec(`DROP TABLE IF EXISTS orders_copy`)
		b.StartTimer()
		if _, err := copyOrders(ctx, db, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkScaledCampaign is the simulation behind the benchmark brand.
func BenchmarkScaledCampaign(b *testing.B) {
	set, _ := mid(b)
	for b.Loop() {
		if _, err := sandbox.NewScaledCampaign(set, 1, sandbox.Scale{Days: 30, Orders: 100_000}); err != nil {
			b.Fatal(err)
		}
	}
}

// reconcileDB stores the mid brand's orders, daily stats and variant→ad
// links in a fresh database and ages them by an hour (as in a daemon that
// has been running), for the reconcile job's benchmarks.
func reconcileDB(b *testing.B) (*store.DB, *configs.Brand, *sandbox.Campaign) {
	b.Helper()
	set, c := mid(b)
	br := set.Brands[0]
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.DSN(b, schema))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.UpsertOrders(ctx, c.Orders); err != nil {
		b.Fatal(err)
	}
	if _, err := db.UpsertDayStats(ctx, c.Stats); err != nil {
		b.Fatal(err)
	}
	links := map[ads.Platform][]store.VariantAd{}
	for _, m := range matches(c) {
		links[m.Ad.Platform] = append(links[m.Ad.Platform], store.VariantAd{TestID: m.TestID, VariantKey: m.VariantKey,
			Account: m.Ad.Account, AdID: m.Ad.ID, MatchedBy: m.MatchedBy})
	}
	for p, ls := range links {
		if err := db.ReplaceVariantAds(ctx, br.Name, p, "", ls); err != nil {
			b.Fatal(err)
		}
	}
	for _, t := range []string{"orders", "ad_day_stats"} {
		if _, err := db.SQL().ExecContext(ctx, `UPDATE `+t+` SET changed_at = changed_at - interval '1 hour'`); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.SQL().ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return db, br, c
}

// peakHeap samples the heap in use every few milliseconds until stop is
// called, which returns the highest sample above the heap in use at the
// start (after a collection), in MB.
func peakHeap() (stop func() float64) {
	done, res := make(chan struct{}), make(chan float64)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	go func() {
		peak := base
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				res <- float64(peak-base) / (1 << 20)
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 { close(done); return <-res }
}

// BenchmarkReconcileBrandFull is jobs.ReconcileBrand rebuilding the
// mid brand (100,000 orders, 12,000 ad-days) from the database over its
// stored, identical ledger (as after a configuration change that moves few
// rows); peak-heap-MB is the most heap in use during the rebuilds beyond
// what the benchmark itself holds (the simulated campaign).
func BenchmarkReconcileBrandFull(b *testing.B) {
	db, br, c := reconcileDB(b)
	ctx := context.Background()
	if _, err := jobs.ReconcileBrand(ctx, db, br, c.Now, true); err != nil {
		b.Fatal(err)
	}
	stop := peakHeap()
	for b.Loop() {
		if _, err := jobs.ReconcileBrand(ctx, db, br, c.Now, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(stop(), "peak-heap-MB")
}

// BenchmarkReconcileBrandFirst is the mid brand's first reconcile: no
// ledger, KPI cell or state stored yet (the daemon's first cycle).
func BenchmarkReconcileBrandFirst(b *testing.B) {
	db, br, c := reconcileDB(b)
	ctx := context.Background()
	stop := peakHeap()
	for b.Loop() {
		b.StopTimer()
		for _, q := range []string{`DELETE FROM ledger`, `DELETE FROM kpi_daily`, `DELETE FROM reconcile_state`,
			`VACUUM ANALYZE ledger`, `VACUUM ANALYZE kpi_daily`} {
			if _, err := db.SQL().ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		n, err := jobs.ReconcileBrand(ctx, db, br, c.Now, false)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatal("the first reconcile wrote nothing")
		}
	}
	b.ReportMetric(stop(), "peak-heap-MB")
}

// BenchmarkReconcileBrandOneDay is jobs.ReconcileBrand after one day
// changed (its stats restated and 25 of its orders refunded), as the
// daemon's reconcile runs after each sync.
func BenchmarkReconcileBrandOneDay(b *testing.B) {
	db, br, c := reconcileDB(b)
	ctx := context.Background()
	if _, err := jobs.ReconcileBrand(ctx, db, br, c.Now, true); err != nil {
		b.Fatal(err)
	}
	day := c.Today.AddDays(-3)
	var stats []ads.DayStat
	for _, s := range c.Stats {
		if s.Day == day {
			stats = append(stats, s)
		}
	}
	var orders []ads.Order
	for _, o := range c.Orders {
		if ads.DateOf(o.CreatedAt, br.Location) == day && o.Net > 10_000_000 && len(orders) < 25 {
			orders = append(orders, o)
		}
	}
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		// The watermark lags the clock; make this pass's changes the only
		// ones after it.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE reconcile_state SET watermark = now() - interval '1 second'`); err != nil {
			b.Fatal(err)
		}
		for j := range stats {
			stats[j].Conversions++
		}
		for j := range orders {
			orders[j].UpdatedAt = orders[j].UpdatedAt.Add(time.Minute)
			orders[j].Refunded += 100_000
			orders[j].Net -= 100_000
		}
		if _, err := db.UpsertDayStats(ctx, stats); err != nil {
			b.Fatal(err)
		}
		if _, err := db.UpsertOrders(ctx, orders); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		n, err := jobs.ReconcileBrand(ctx, db, br, c.Now, false)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatal("the one-day reconcile wrote nothing")
		}
	}
}
