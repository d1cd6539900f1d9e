package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/store"
)

func ledgerEntry(id, day string, revenue int64) store.LedgerEntry {
	return store.LedgerEntry{Source: "order", SourceID: id, Day: ads.MustDate(day), Creator: "jacqueline", Channel: "organic",
		Rule: "discount_code", Policy: "utm-first", Currency: "USD", Revenue: revenue, OrigCurrency: "USD", OrigRevenue: revenue,
		Code: "JACQ15", CodeCreator: "jacqueline", Counted: revenue > 0}
}

func kpiCell(day string, spend int64) store.DailyKPI {
	return store.DailyKPI{Day: ads.MustDate(day), TestID: "summer", VariantKey: "hook-a", Creator: "jacqueline", Platform: ads.Meta,
		Currency: "USD", Spend: spend, PaidRevenue: 2 * spend, PaidOrders: 1, Impressions: 100, Views: 7}
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
		wantLedger []store.LedgerEntry
		wantDaily  []store.DailyKPI
	}{
		{"full build", store.ReconcileWrite{Brand: "glowco", Full: true,
			Ledger: []store.LedgerEntry{ledgerEntry("a", "2026-06-01", 10), ledgerEntry("b", "2026-06-02", 20)},
			Daily:  []store.DailyKPI{kpiCell("2026-06-01", 5), kpiCell("2026-06-02", 6)}, State: st}, 4,
			[]store.LedgerEntry{ledgerEntry("a", "2026-06-01", 10), ledgerEntry("b", "2026-06-02", 20)},
			[]store.DailyKPI{kpiCell("2026-06-01", 5), kpiCell("2026-06-02", 6)}},
		{"replace one day keeps the others", store.ReconcileWrite{Brand: "glowco", Days: []ads.Date{ads.MustDate("2026-06-02")},
			Ledger: []store.LedgerEntry{ledgerEntry("b", "2026-06-02", 0), ledgerEntry("c", "2026-06-02", 7)},
			Daily:  []store.DailyKPI{kpiCell("2026-06-02", 9)}, State: st}, 3,
			[]store.LedgerEntry{ledgerEntry("a", "2026-06-01", 10), ledgerEntry("b", "2026-06-02", 0), ledgerEntry("c", "2026-06-02", 7)},
			[]store.DailyKPI{kpiCell("2026-06-01", 5), kpiCell("2026-06-02", 9)}},
		{"a day without rows is emptied", store.ReconcileWrite{Brand: "glowco", Days: []ads.Date{ads.MustDate("2026-06-01")}, State: st}, 0,
			[]store.LedgerEntry{ledgerEntry("b", "2026-06-02", 0), ledgerEntry("c", "2026-06-02", 7)},
			[]store.DailyKPI{kpiCell("2026-06-02", 9)}},
		{"another brand is untouched by a full build", store.ReconcileWrite{Brand: "acme", Full: true,
			Daily: []store.DailyKPI{kpiCell("2026-06-03", 1)}, State: st}, 1,
			[]store.LedgerEntry{ledgerEntry("b", "2026-06-02", 0), ledgerEntry("c", "2026-06-02", 7)},
			[]store.DailyKPI{kpiCell("2026-06-02", 9)}},
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
		daily, err := db.DailyKPIs(ctx, "glowco", all.From, all.To)
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
		Currency: "USD", At: time.Date(2026, 5, 20, 15, 0, 0, 0, time.UTC)}}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceVariantAds(ctx, "glowco", ads.Meta, []store.VariantAd{{TestID: "t", VariantKey: "v", Account: "a", AdID: "m1", MatchedBy: "ad_id"}}); err != nil {
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
	days, err := db.AffectedDays(ctx, store.AffectedQuery{Brand: "glowco", Shop: "glowco.myshopify.com", Timezone: "America/New_York", Since: since})
	if err != nil {
		t.Fatal(err)
	}
	// June 2nd (the order, in New York), May 20th (its link conversion),
	// June 7th (the variant ad's stat); not June 8th (no variant's ad).
	want := []ads.Date{ads.MustDate("2026-05-20"), ads.MustDate("2026-06-02"), ads.MustDate("2026-06-07")}
	if !reflect.DeepEqual(days, want) {
		t.Errorf("affected days %v, want %v", days, want)
	}
	days, err = db.AffectedDays(ctx, store.AffectedQuery{Brand: "glowco", Shop: "glowco.myshopify.com", Timezone: "UTC", Since: since.Add(2 * time.Hour)})
	if err != nil || len(days) != 0 {
		t.Errorf("nothing changed since: days %v, err %v", days, err)
	}

	for _, ref := range []string{"gid://shopify/Order/2001", "2001", "#2001"} {
		keys, err := db.OrderKeys(ctx, "glowco.myshopify.com", []string{ref, "#9999"})
		if err != nil {
			t.Fatal(err)
		}
		if want := []store.OrderKey{{ID: "gid://shopify/Order/2001", Name: "#2001"}}; !reflect.DeepEqual(keys, want) {
			t.Errorf("OrderKeys(%q) = %+v, want %+v", ref, keys, want)
		}
	}
}
