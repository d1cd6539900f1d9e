package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/store"
)

func ledgerLine(id, day string, revenue int64) ads.LedgerLine {
	return ads.LedgerLine{Source: "order", SourceID: id, Day: ads.MustDate(day), Creator: "jacqueline", Channel: "organic",
		Rule: "discount_code", Policy: "utm-first", Currency: "USD", Revenue: revenue, OrigCurrency: "USD", OrigRevenue: revenue,
		Code: "JACQ15", CodeCreator: "jacqueline", Counted: revenue > 0}
}

func kpiCell(day string, spend int64) ads.KPICell {
	return ads.KPICell{Day: ads.MustDate(day), TestID: "summer", VariantKey: "hook-a", Creator: "jacqueline", Platform: ads.Meta,
		Currency: "USD", KPI: ads.KPI{Spend: spend, PaidRevenue: 2 * spend, PaidOrders: 1, Impressions: 100, Views: 7}}
}

func TestReplaceReconciled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	all := ads.DateRange{From: ads.MustDate("2026-01-01"), To: ads.MustDate("2026-12-31")}
	if _, err := db.ReconcileState(ctx, "glowco"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("state before any reconcile: %v, want ErrNotFound", err)
	}
	now := time.Date(2026, 6, 11, 12, 0, 0, 0, time.UTC)
	st := store.ReconcileState{Currency: "USD", Fingerprint: "fp1", Watermark: now.Add(-time.Minute), ReconciledAt: now}
	steps := []struct {
		name       string
		w          store.ReconcileWrite
		written    int64
		wantLedger []ads.LedgerLine
		wantDaily  []ads.KPICell
	}{
		{"full build", store.ReconcileWrite{Brand: "glowco", Full: true,
			Ledger: []ads.LedgerLine{ledgerLine("a", "2026-06-01", 10), ledgerLine("b", "2026-06-02", 20)},
			Daily:  []ads.KPICell{kpiCell("2026-06-01", 5), kpiCell("2026-06-02", 6)}, State: st}, 4,
			[]ads.LedgerLine{ledgerLine("a", "2026-06-01", 10), ledgerLine("b", "2026-06-02", 20)},
			[]ads.KPICell{kpiCell("2026-06-01", 5), kpiCell("2026-06-02", 6)}},
		{"replace one day keeps the others", store.ReconcileWrite{Brand: "glowco", Days: []ads.Date{ads.MustDate("2026-06-02")},
			Ledger: []ads.LedgerLine{ledgerLine("b", "2026-06-02", 0), ledgerLine("c", "2026-06-02", 7)},
			Daily:  []ads.KPICell{kpiCell("2026-06-02", 9)}, State: st}, 3,
			[]ads.LedgerLine{ledgerLine("a", "2026-06-01", 10), ledgerLine("b", "2026-06-02", 0), ledgerLine("c", "2026-06-02", 7)},
			[]ads.KPICell{kpiCell("2026-06-01", 5), kpiCell("2026-06-02", 9)}},
		{"a day without rows is emptied", store.ReconcileWrite{Brand: "glowco", Days: []ads.Date{ads.MustDate("2026-06-01")}, State: st}, 0,
			[]ads.LedgerLine{ledgerLine("b", "2026-06-02", 0), ledgerLine("c", "2026-06-02", 7)},
			[]ads.KPICell{kpiCell("2026-06-02", 9)}},
		{"another brand is untouched by a full build", store.ReconcileWrite{Brand: "acme", Full: true,
			Daily: []ads.KPICell{kpiCell("2026-06-03", 1)}, State: st}, 1,
			[]ads.LedgerLine{ledgerLine("b", "2026-06-02", 0), ledgerLine("c", "2026-06-02", 7)},
			[]ads.KPICell{kpiCell("2026-06-02", 9)}},
	}
	for _, s := range steps {
		n, err := db.ReplaceReconciled(ctx, s.w)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if n != s.written {
			t.Errorf("%s: wrote %d rows, want %d", s.name, n, s.written)
		}
		ledger, err := db.Ledger(ctx, "glowco", all.From, all.To)
		if err != nil {
			t.Fatal(err)
		}
		daily, err := db.KPICells(ctx, "glowco", all.From, all.To)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ledger, s.wantLedger) {
			t.Errorf("%s: ledger\n got %+v\nwant %+v", s.name, ledger, s.wantLedger)
		}
		if !reflect.DeepEqual(daily, s.wantDaily) {
			t.Errorf("%s: daily\n got %+v\nwant %+v", s.name, daily, s.wantDaily)
		}
	}
	got, err := db.ReconcileState(ctx, "glowco")
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.ReconcileState{Brand: "glowco", Currency: "USD", Fingerprint: "fp1", Watermark: st.Watermark, ReconciledAt: now}); got != want {
		t.Errorf("state %+v, want %+v", got, want)
	}
	brands, err := db.ReconciledBrands(ctx)
	if err != nil || len(brands) != 2 || brands[0].Brand != "acme" {
		t.Errorf("reconciled brands %+v, %v", brands, err)
	}
}

func TestAffectedDaysAndOrderKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	// 03:00 UTC on June 3rd is June 2nd in New York.
	late := order("2001", func(o *ads.Order) {
		o.CreatedAt, o.UpdatedAt = time.Date(2026, 6, 3, 3, 0, 0, 0, time.UTC), time.Date(2026, 6, 3, 3, 0, 0, 0, time.UTC)
	})
	if _, err := db.UpsertOrders(ctx, []ads.Order{late}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertLinkConversions(ctx, []ads.LinkConversion{{Source: "impact", ID: "c1", OrderID: "#2001", Amount: 1,
		Currency: "USD", At: time.Date(2026, 5, 20, 15, 0, 0, 0, time.UTC), Brand: "glowco"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceVariantAds(ctx, "glowco", ads.Meta, "", []store.VariantAd{{TestID: "t", VariantKey: "v", Account: "a", AdID: "m1", MatchedBy: "ad_id"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertDayStats(ctx, []ads.DayStat{
		{Platform: ads.Meta, Account: "a", AdID: "m1", Day: ads.MustDate("2026-06-07"), Currency: "USD", Spend: 1},
		{Platform: ads.Meta, Account: "a", AdID: "other", Day: ads.MustDate("2026-06-08"), Currency: "USD", Spend: 1},
	}); err != nil {
		t.Fatal(err)
	}
	since, err := db.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	since = since.Add(-time.Hour)
	days, err := db.AffectedDays(ctx, store.AffectedQuery{Brand: "glowco", Shops: []string{"glowco.myshopify.com"}, Timezone: "America/New_York", Since: since})
	if err != nil {
		t.Fatal(err)
	}
	// June 2nd (the order, in New York), May 20th (its link conversion),
	// June 7th (the variant ad's stat); not June 8th (no variant's ad).
	want := []ads.Date{ads.MustDate("2026-05-20"), ads.MustDate("2026-06-02"), ads.MustDate("2026-06-07")}
	if !reflect.DeepEqual(days, want) {
		t.Errorf("affected days %v, want %v", days, want)
	}
	days, err = db.AffectedDays(ctx, store.AffectedQuery{Brand: "glowco", Shops: []string{"glowco.myshopify.com"}, Timezone: "UTC", Since: since.Add(2 * time.Hour)})
	if err != nil || len(days) != 0 {
		t.Errorf("nothing changed since: days %v, err %v", days, err)
	}

	for _, ref := range []string{"gid://shopify/Order/2001", "2001", "#2001"} {
		keys, err := db.OrderKeys(ctx, []string{"glowco.myshopify.com"}, []string{ref, "#9999"})
		if err != nil {
			t.Fatal(err)
		}
		if want := []store.OrderKey{{ID: "gid://shopify/Order/2001", Name: "#2001"}}; !reflect.DeepEqual(keys, want) {
			t.Errorf("OrderKeys(%q) = %+v, want %+v", ref, keys, want)
		}
	}
}

// TestAffectedDaysLinkByOrderRef checks a changed order brings back the
// day of every link conversion naming it, however the link names it, and
// the day its ledger row had.
func TestAffectedDaysLinkByOrderRef(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 5, d, 15, 0, 0, 0, time.UTC) }
	tests := []struct {
		name, ref string
		found     bool
	}{
		{"order id", "gid://shopify/Order/3001", true},
		{"numeric id, or name without #", "3001", true},
		{"name", "#3001", true},
		{"name with ##", "##3001", true},
		{"another order", "#3002", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, template)
			if _, err := db.UpsertLinkConversions(ctx, []ads.LinkConversion{{Source: "impact", ID: "c1", OrderID: tc.ref, Amount: 1,
				Currency: "USD", At: day(10), Brand: "glowco"}}); err != nil {
				t.Fatal(err)
			}
			w := store.ReconcileWrite{Brand: "glowco", Full: true, Ledger: []ads.LedgerLine{ledgerLine("gid://shopify/Order/3001", "2026-05-12", 1)},
				State: store.ReconcileState{Currency: "USD", Fingerprint: "fp"}}
			if _, err := db.ReplaceReconciled(ctx, w); err != nil {
				t.Fatal(err)
			}
			since, err := db.Clock(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The order changes (and moves to May 20th) after the link.
			if _, err := db.UpsertOrders(ctx, []ads.Order{order("3001", func(o *ads.Order) { o.CreatedAt, o.UpdatedAt = day(20), day(20) })}); err != nil {
				t.Fatal(err)
			}
			days, err := db.AffectedDays(ctx, store.AffectedQuery{Brand: "glowco", Shops: []string{"glowco.myshopify.com"}, Since: since})
			if err != nil {
				t.Fatal(err)
			}
			want := []ads.Date{ads.MustDate("2026-05-12"), ads.MustDate("2026-05-20")}
			if tc.found {
				want = []ads.Date{ads.MustDate("2026-05-10"), ads.MustDate("2026-05-12"), ads.MustDate("2026-05-20")}
			}
			if !reflect.DeepEqual(days, want) {
				t.Errorf("link naming %q: affected days %v, want %v", tc.ref, days, want)
			}
		})
	}
}

func TestRebuildReconciled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	all := ads.DateRange{From: ads.MustDate("2026-01-01"), To: ads.MustDate("2026-12-31")}
	now := time.Date(2026, 6, 11, 12, 0, 0, 0, time.UTC)
	st := store.ReconcileState{Brand: "glowco", Currency: "USD", Fingerprint: "fp2", Watermark: now.Add(-time.Minute), ReconciledAt: now}
	if _, err := db.ReplaceReconciled(ctx, store.ReconcileWrite{Brand: "glowco", Full: true,
		Ledger: []ads.LedgerLine{ledgerLine("old", "2026-05-01", 1)}, Daily: []ads.KPICell{kpiCell("2026-05-01", 1)},
		State: store.ReconcileState{Currency: "USD", Fingerprint: "fp1"}}); err != nil {
		t.Fatal(err)
	}
	day := func(d string) []ads.Date { return []ads.Date{ads.MustDate(d)} }
	parts := []store.ReconcilePart{
		{Days: day("2026-06-01"), Ledger: []ads.LedgerLine{ledgerLine("a", "2026-06-01", 10)}, Daily: []ads.KPICell{kpiCell("2026-06-01", 5)}},
		{Days: day("2026-06-02")},
		{Days: day("2026-06-03"), Ledger: []ads.LedgerLine{ledgerLine("b", "2026-06-03", 20), ledgerLine("c", "2026-06-03", 0)}},
	}
	parts2 := parts
	fail := errors.New("boom")
	// A failing part leaves the stored rebuild as it was.
	calls := 0
	if _, err := db.RebuildReconciled(ctx, st, func() (store.ReconcilePart, bool, error) {
		calls++
		if calls == 2 {
			return store.ReconcilePart{}, false, fail
		}
		return parts[0], false, nil
	}); !errors.Is(err, fail) {
		t.Fatalf("failing part: err %v, want %v", err, fail)
	}
	if got, err := db.Ledger(ctx, "glowco", all.From, all.To); err != nil || len(got) != 1 || got[0].SourceID != "old" {
		t.Fatalf("after a failed rebuild the ledger is %+v (%v), want the old row", got, err)
	}
	n, err := db.RebuildReconciled(ctx, st, func() (store.ReconcilePart, bool, error) {
		p := parts2[0]
		parts2 = parts2[1:]
		return p, len(parts2) == 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("wrote %d rows, want 4", n)
	}
	ledger, err := db.Ledger(ctx, "glowco", all.From, all.To)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ads.LedgerLine{ledgerLine("a", "2026-06-01", 10), ledgerLine("b", "2026-06-03", 20), ledgerLine("c", "2026-06-03", 0)}; !reflect.DeepEqual(ledger, want) {
		t.Errorf("ledger\n got %+v\nwant %+v", ledger, want)
	}
	daily, err := db.KPICells(ctx, "glowco", all.From, all.To)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ads.KPICell{kpiCell("2026-06-01", 5)}; !reflect.DeepEqual(daily, want) {
		t.Errorf("daily\n got %+v\nwant %+v", daily, want)
	}
	if got, err := db.ReconcileState(ctx, "glowco"); err != nil || got != st {
		t.Errorf("state %+v (%v), want %+v", got, err, st)
	}
}

// TestReplaceReconciledParts stores an incremental pass in parts: only
// the parts' days are replaced (ledger, KPI cells and store sales), a
// ledger row whose record moved from an uncovered day is moved, other days
// and brands stay, and a part failing after others were written changes
// nothing.
func TestReplaceReconciledParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	all := ads.DateRange{From: ads.MustDate("2026-01-01"), To: ads.MustDate("2026-12-31")}
	now := time.Date(2026, 6, 11, 12, 0, 0, 0, time.UTC)
	sale := func(day string, net int64) ads.SalesDay {
		return ads.SalesDay{Day: ads.MustDate(day), Currency: "USD", Orders: 1, Sale: ads.Sale{Gross: net, Net: net}, Organic: net}
	}
	for _, brand := range []string{"glowco", "acme"} {
		if _, err := db.ReplaceReconciled(ctx, store.ReconcileWrite{Brand: brand, Full: true,
			Ledger: []ads.LedgerLine{ledgerLine("old", "2026-05-01", 1), ledgerLine("a", "2026-06-01", 1), ledgerLine("moved", "2026-06-03", 3)},
			Daily:  []ads.KPICell{kpiCell("2026-05-01", 1), kpiCell("2026-06-01", 1)},
			Sales:  []ads.SalesDay{sale("2026-05-01", 1), sale("2026-06-01", 1), sale("2026-06-03", 3)},
			State:  store.ReconcileState{Currency: "USD", Fingerprint: "fp1"}}); err != nil {
			t.Fatal(err)
		}
	}
	type tables struct {
		ledger []ads.LedgerLine
		daily  []ads.KPICell
		sales  []ads.SalesDay
		state  store.ReconcileState
	}
	read := func(brand string) tables {
		t.Helper()
		var out tables
		var err error
		if out.ledger, err = db.Ledger(ctx, brand, all.From, all.To); err != nil {
			t.Fatal(err)
		}
		if out.daily, err = db.KPICells(ctx, brand, all.From, all.To); err != nil {
			t.Fatal(err)
		}
		if out.sales, err = db.SalesDays(ctx, brand, all.From, all.To); err != nil {
			t.Fatal(err)
		}
		if out.state, err = db.ReconcileState(ctx, brand); err != nil {
			t.Fatal(err)
		}
		return out
	}
	before, other := read("glowco"), read("acme")
	st := store.ReconcileState{Brand: "glowco", Currency: "USD", Fingerprint: "fp1", Watermark: now.Add(-time.Minute), ReconciledAt: now}
	day := func(d string) []ads.Date { return []ads.Date{ads.MustDate(d)} }
	parts := []store.ReconcilePart{
		{Days: day("2026-06-01"), Ledger: []ads.LedgerLine{ledgerLine("a", "2026-06-01", 10)},
			Daily: []ads.KPICell{kpiCell("2026-06-01", 5)}, Sales: []ads.SalesDay{sale("2026-06-01", 10)}},
		{Days: day("2026-06-02"), Ledger: []ads.LedgerLine{ledgerLine("moved", "2026-06-02", 3)}, Sales: []ads.SalesDay{sale("2026-06-02", 3)}},
	}
	next := func(fail error) func() (store.ReconcilePart, bool, error) {
		i := 0
		return func() (store.ReconcilePart, bool, error) {
			if i == len(parts) {
				return store.ReconcilePart{}, true, fail
			}
			i++
			return parts[i-1], fail == nil && i == len(parts), nil
		}
	}
	fail := errors.New("boom")
	if _, err := db.ReplaceReconciledParts(ctx, st, next(fail)); !errors.Is(err, fail) {
		t.Fatalf("failing part: err %v, want %v", err, fail)
	}
	if got := read("glowco"); !reflect.DeepEqual(got, before) {
		t.Fatalf("a failed pass changed the tables:\n got %+v\nwant %+v", got, before)
	}
	n, err := db.ReplaceReconciledParts(ctx, st, next(nil))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("wrote %d rows, want 3", n)
	}
	want := tables{
		ledger: []ads.LedgerLine{ledgerLine("old", "2026-05-01", 1), ledgerLine("a", "2026-06-01", 10), ledgerLine("moved", "2026-06-02", 3)},
		daily:  []ads.KPICell{kpiCell("2026-05-01", 1), kpiCell("2026-06-01", 5)},
		// 06-03 is no part's day: its sales stay, as an incremental pass
		// leaves every day it does not cover.
		sales: []ads.SalesDay{sale("2026-05-01", 1), sale("2026-06-01", 10), sale("2026-06-02", 3), sale("2026-06-03", 3)},
		state: st,
	}
	if got := read("glowco"); !reflect.DeepEqual(got, want) {
		t.Errorf("after the pass\n got %+v\nwant %+v", got, want)
	}
	if got := read("acme"); !reflect.DeepEqual(got, other) {
		t.Errorf("another brand changed:\n got %+v\nwant %+v", got, other)
	}
}

// TestPartPassesFindConnections stores many brands' passes in parts at
// once, each reading on PartReaders connections from within its
// transaction, as the reconcile job does. At most PartPasses hold a
// transaction at once (each waits for as many as may run together), so
// that their reads always find a connection and every pass completes.
func TestPartPassesFindConnections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	const passes = 3 * store.PartPasses
	var (
		mu                     sync.Mutex
		turn                   = sync.NewCond(&mu)
		inside, most, finished int
	)
	var wg sync.WaitGroup
	errs := make([]error, passes)
	for i := range passes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			brand := fmt.Sprintf("brand%d", i)
			_, errs[i] = db.ReplaceReconciledParts(ctx, store.ReconcileState{Brand: brand, Currency: "USD"}, func() (store.ReconcilePart, bool, error) {
				mu.Lock()
				inside++
				most = max(most, inside)
				turn.Broadcast()
				for inside < min(store.PartPasses, passes-finished) {
					turn.Wait()
				}
				mu.Unlock()
				var reads sync.WaitGroup
				readErrs := make([]error, store.PartReaders)
				for j := range store.PartReaders {
					reads.Add(1)
					go func() {
						defer reads.Done()
						_, readErrs[j] = db.Clock(ctx)
					}()
				}
				reads.Wait()
				mu.Lock()
				inside--
				finished++
				turn.Broadcast()
				mu.Unlock()
				return store.ReconcilePart{}, true, errors.Join(readErrs...)
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("pass %d: %v", i, err)
		}
	}
	if most != store.PartPasses {
		t.Errorf("%d passes held a transaction at once, want %d", most, store.PartPasses)
	}
}

func TestSourceDaysAndLinkOrderRefs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	if _, ok, err := db.SourceDays(ctx, []string{"glowco.myshopify.com"}, "America/New_York"); err != nil || ok {
		t.Fatalf("empty database: ok %v, err %v; want no span", ok, err)
	}
	// 03:00 UTC on June 3rd is June 2nd in New York.
	late := time.Date(2026, 6, 3, 3, 0, 0, 0, time.UTC)
	if _, err := db.UpsertOrders(ctx, []ads.Order{order("1", func(o *ads.Order) { o.CreatedAt, o.UpdatedAt = late, late })}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertLinkConversions(ctx, []ads.LinkConversion{
		{Source: "impact", ID: "c1", OrderID: "#1", Amount: 1, Currency: "USD", At: time.Date(2026, 5, 20, 15, 0, 0, 0, time.UTC), Brand: "glowco"},
		{Source: "impact", ID: "c2", OrderID: "#1", Amount: 1, Currency: "USD", At: time.Date(2026, 5, 21, 15, 0, 0, 0, time.UTC), Brand: "glowco"},
		{Source: "impact", ID: "c3", Amount: 1, Currency: "USD", At: time.Date(2026, 5, 22, 15, 0, 0, 0, time.UTC), Brand: "glowco"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertDayStats(ctx, []ads.DayStat{{Platform: ads.Meta, Account: "a", AdID: "m1", Day: ads.MustDate("2026-06-07"), Currency: "USD"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		shop, tz string
		want     ads.DateRange
	}{
		{"glowco.myshopify.com", "America/New_York", ads.DateRange{From: ads.MustDate("2026-05-20"), To: ads.MustDate("2026-06-07")}},
		{"", "UTC", ads.DateRange{From: ads.MustDate("2026-05-20"), To: ads.MustDate("2026-06-07")}},
		{"glowco.myshopify.com", "Asia/Tokyo", ads.DateRange{From: ads.MustDate("2026-05-21"), To: ads.MustDate("2026-06-07")}},
	}
	for _, tc := range tests {
		got, ok, err := db.SourceDays(ctx, shopsOf(tc.shop), tc.tz)
		if err != nil || !ok || got != tc.want {
			t.Errorf("SourceDays(%q, %s) = %v, %v, %v; want %v", tc.shop, tc.tz, got, ok, err, tc.want)
		}
	}
	// Without stats the orders bound the span.
	if _, err := db.SQL().ExecContext(ctx, `DELETE FROM ad_day_stats`); err != nil {
		t.Fatal(err)
	}
	if got, _, err := db.SourceDays(ctx, []string{"glowco.myshopify.com"}, "America/New_York"); err != nil || got.To != ads.MustDate("2026-06-02") {
		t.Errorf("span without stats %v (%v), want to 2026-06-02", got, err)
	}
	refs, err := db.LinkOrderRefs(ctx, "glowco")
	if err != nil || !reflect.DeepEqual(refs, []string{"#1"}) {
		t.Errorf("link order refs %v (%v), want [#1]", refs, err)
	}
}

// xmins returns the transaction id that wrote each of the brand's ledger
// rows and KPI cells, by key.
func xmins(t *testing.T, db *store.DB, brand string) map[string]string {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT 'ledger:' || source_id, xmin::text FROM ledger WHERE brand = $1
		UNION ALL SELECT 'kpi:' || day || ':' || test_id, xmin::text FROM kpi_daily WHERE brand = $1`, brand)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, x string
		if err := rows.Scan(&k, &x); err != nil {
			t.Fatal(err)
		}
		out[k] = x
	}
	return out
}

// TestReplaceReconciledWritesOnlyChanges checks a pass leaves stored rows
// that did not change untouched (same writing transaction), rewrites those
// that did, moves a row whose record moved to one of the pass's days, and
// refuses a pass that names a key twice, changing nothing.
func TestReplaceReconciledWritesOnlyChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	all := ads.DateRange{From: ads.MustDate("2026-01-01"), To: ads.MustDate("2026-12-31")}
	st := store.ReconcileState{Currency: "USD", Fingerprint: "fp1"}
	days := func(ds ...string) []ads.Date {
		var out []ads.Date
		for _, d := range ds {
			out = append(out, ads.MustDate(d))
		}
		return out
	}
	other := kpiCell("2026-06-02", 3)
	other.TestID = "winter"
	// Columns that look like the encoding the diff compares (lengths,
	// ':'), multi-byte text, empty text and a negative amount: unchanged,
	// it must still compare equal.
	odd := ledgerLine("odd", "2026-06-01", -1_500_000)
	odd.TestID, odd.VariantKey, odd.Creator, odd.Code, odd.CodeCreator = "3:a", "", "zoë 🌿", "12:", "\t\\N"
	if _, err := db.ReplaceReconciled(ctx, store.ReconcileWrite{Brand: "glowco", Days: days("2026-06-01", "2026-06-02"),
		Ledger: []ads.LedgerLine{ledgerLine("a", "2026-06-01", 10), odd, ledgerLine("b", "2026-06-02", 20), ledgerLine("c", "2026-06-02", 30)},
		Daily:  []ads.KPICell{kpiCell("2026-06-01", 5), kpiCell("2026-06-02", 6), other}, State: st}); err != nil {
		t.Fatal(err)
	}
	first := xmins(t, db, "glowco")

	steps := []struct {
		name       string
		w          store.ReconcileWrite
		wantLedger []ads.LedgerLine
		wantDaily  []ads.KPICell
		// same and rewritten name the rows that must keep / must not keep
		// the writing transaction of the first pass.
		same, rewritten []string
	}{
		{"one row and one cell change", store.ReconcileWrite{Brand: "glowco", Days: days("2026-06-01", "2026-06-02"),
			Ledger: []ads.LedgerLine{ledgerLine("a", "2026-06-01", 10), odd, ledgerLine("b", "2026-06-02", 20), ledgerLine("c", "2026-06-02", 31)},
			Daily:  []ads.KPICell{kpiCell("2026-06-01", 5), kpiCell("2026-06-02", 7), other}, State: st},
			[]ads.LedgerLine{ledgerLine("a", "2026-06-01", 10), odd, ledgerLine("b", "2026-06-02", 20), ledgerLine("c", "2026-06-02", 31)},
			[]ads.KPICell{kpiCell("2026-06-01", 5), kpiCell("2026-06-02", 7), other},
			[]string{"ledger:a", "ledger:odd", "ledger:b", "kpi:2026-06-01:summer", "kpi:2026-06-02:winter"}, []string{"ledger:c", "kpi:2026-06-02:summer"}},
		{"a row moves to a reconciled day", store.ReconcileWrite{Brand: "glowco", Days: days("2026-06-02"),
			Ledger: []ads.LedgerLine{ledgerLine("a", "2026-06-02", 10), ledgerLine("b", "2026-06-02", 20), ledgerLine("c", "2026-06-02", 31)},
			Daily:  []ads.KPICell{kpiCell("2026-06-02", 7), other}, State: st},
			[]ads.LedgerLine{odd, ledgerLine("a", "2026-06-02", 10), ledgerLine("b", "2026-06-02", 20), ledgerLine("c", "2026-06-02", 31)},
			[]ads.KPICell{kpiCell("2026-06-01", 5), kpiCell("2026-06-02", 7), other},
			[]string{"ledger:b", "ledger:odd"}, []string{"ledger:a"}},
	}
	for _, s := range steps {
		n, err := db.ReplaceReconciled(ctx, s.w)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if want := int64(len(s.w.Ledger) + len(s.w.Daily)); n != want {
			t.Errorf("%s: reported %d rows, want %d", s.name, n, want)
		}
		ledger, err := db.Ledger(ctx, "glowco", all.From, all.To)
		if err != nil {
			t.Fatal(err)
		}
		daily, err := db.KPICells(ctx, "glowco", all.From, all.To)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ledger, s.wantLedger) {
			t.Errorf("%s: ledger\n got %+v\nwant %+v", s.name, ledger, s.wantLedger)
		}
		if !reflect.DeepEqual(daily, s.wantDaily) {
			t.Errorf("%s: daily\n got %+v\nwant %+v", s.name, daily, s.wantDaily)
		}
		now := xmins(t, db, "glowco")
		for _, k := range s.same {
			if now[k] != first[k] {
				t.Errorf("%s: unchanged %s was rewritten", s.name, k)
			}
		}
		for _, k := range s.rewritten {
			if now[k] == first[k] {
				t.Errorf("%s: changed %s was not rewritten", s.name, k)
			}
		}
	}
	before := xmins(t, db, "glowco")
	if _, err := db.ReplaceReconciled(ctx, store.ReconcileWrite{Brand: "glowco", Days: days("2026-06-02"),
		Ledger: []ads.LedgerLine{ledgerLine("a", "2026-06-02", 10), ledgerLine("b", "2026-06-02", 20), ledgerLine("b", "2026-06-02", 21)},
		State:  st}); err == nil {
		t.Error("a pass naming a ledger key twice was accepted")
	}
	if after := xmins(t, db, "glowco"); !reflect.DeepEqual(after, before) {
		t.Errorf("a refused pass changed rows:\n got %v\nwant %v", after, before)
	}
}

// TestRebuildReconciledFirstAndAgain rebuilds a brand with no ledger yet,
// then again with the same rows (nothing is rewritten), with a day in the
// middle and then one at the start left out (their rows go).
func TestRebuildReconciledFirstAndAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	all := ads.DateRange{From: ads.MustDate("2026-01-01"), To: ads.MustDate("2026-12-31")}
	st := store.ReconcileState{Brand: "glowco", Currency: "USD", Fingerprint: "fp"}
	parts := []store.ReconcilePart{
		{Days: []ads.Date{ads.MustDate("2026-06-01")}, Ledger: []ads.LedgerLine{ledgerLine("a", "2026-06-01", 10)},
			Daily: []ads.KPICell{kpiCell("2026-06-01", 5)}},
		{Days: []ads.Date{ads.MustDate("2026-06-02"), ads.MustDate("2026-06-03")},
			Ledger: []ads.LedgerLine{ledgerLine("b", "2026-06-02", 20), ledgerLine("c", "2026-06-03", 0)},
			Daily:  []ads.KPICell{kpiCell("2026-06-03", 6)}},
	}
	rebuild := func(ps []store.ReconcilePart) {
		t.Helper()
		i := 0
		n, err := db.RebuildReconciled(ctx, st, func() (store.ReconcilePart, bool, error) {
			i++
			return ps[i-1], i == len(ps), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, p := range ps {
			want += len(p.Ledger) + len(p.Daily)
		}
		if n != int64(want) {
			t.Errorf("reported %d rows, want %d", n, want)
		}
	}
	rebuild(parts)
	first := xmins(t, db, "glowco")
	if len(first) != 5 {
		t.Fatalf("first rebuild stored %d rows, want 5: %v", len(first), first)
	}
	rebuild(parts)
	if again := xmins(t, db, "glowco"); !reflect.DeepEqual(again, first) {
		t.Errorf("rebuilding the same rows rewrote some:\n got %v\nwant %v", again, first)
	}
	// Days with a gap: 2026-06-02 is not covered, its row goes.
	rebuild([]store.ReconcilePart{parts[0], {Days: []ads.Date{ads.MustDate("2026-06-03")},
		Ledger: []ads.LedgerLine{ledgerLine("c", "2026-06-03", 0)}, Daily: []ads.KPICell{kpiCell("2026-06-03", 6)}}})
	if got, err := db.Ledger(ctx, "glowco", all.From, all.To); err != nil ||
		!reflect.DeepEqual(got, []ads.LedgerLine{ledgerLine("a", "2026-06-01", 10), ledgerLine("c", "2026-06-03", 0)}) {
		t.Errorf("after a rebuild with a gap: ledger %+v (%v), want a and c", got, err)
	}
	rebuild(parts[1:])
	ledger, err := db.Ledger(ctx, "glowco", all.From, all.To)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ads.LedgerLine{ledgerLine("b", "2026-06-02", 20), ledgerLine("c", "2026-06-03", 0)}; !reflect.DeepEqual(ledger, want) {
		t.Errorf("after dropping a day: ledger\n got %+v\nwant %+v", ledger, want)
	}
	daily, err := db.KPICells(ctx, "glowco", all.From, all.To)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ads.KPICell{kpiCell("2026-06-03", 6)}; !reflect.DeepEqual(daily, want) {
		t.Errorf("after dropping a day: daily\n got %+v\nwant %+v", daily, want)
	}
}

// shopsOf is the shop list of one shop ("" for none).
func shopsOf(shop string) []string {
	if shop == "" {
		return nil
	}
	return []string{shop}
}
