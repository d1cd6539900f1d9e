package store_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/store"
)

// TestWindowSums: each window sums its test's variant cells over its days
// only, in its own brand; cells of no variant, other tests and the other
// brand do not count, and a window with no cells is empty.
func TestWindowSums(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	cell := func(day, test, variant string, spend, orders int64) ads.KPICell {
		return ads.KPICell{Day: ads.MustDate(day), TestID: test, VariantKey: variant, Creator: "jacq", Platform: ads.Meta, Currency: "USD",
			KPI: ads.KPI{Spend: spend, PaidRevenue: 3 * spend, PaidOrders: orders, PlatformConversions: orders, Impressions: 10 * spend,
				Engagements: spend}}
	}
	glow := []ads.KPICell{
		cell("2026-06-01", "summer", "a", 1, 1), cell("2026-06-02", "summer", "a", 2, 0), cell("2026-06-03", "summer", "a", 4, 2),
		cell("2026-06-02", "summer", "b", 8, 1), cell("2026-06-02", "winter", "a", 16, 1),
		cell("2026-06-02", "summer", "", 32, 1), // the test's organic cell: no variant
	}
	other := []ads.KPICell{cell("2026-06-02", "summer", "a", 64, 1)}
	for _, w := range []store.ReconcileWrite{
		{Brand: "glowco", Full: true, Daily: glow, State: store.ReconcileState{Currency: "USD"}},
		{Brand: "lunaskin", Full: true, Daily: other, State: store.ReconcileState{Currency: "USD"}},
	} {
		if _, err := db.ReplaceReconciled(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	d := ads.MustDate
	got, err := db.WindowSums(ctx, "glowco", []store.KPIWindow{
		{TestID: "summer", From: d("2026-06-01"), To: d("2026-06-02")},
		{TestID: "summer", From: d("2026-06-01"), To: d("2026-06-30")},
		{TestID: "winter", From: d("2026-06-01"), To: d("2026-06-30")},
		{TestID: "autumn", From: d("2026-06-01"), To: d("2026-06-30")},
	})
	if err != nil {
		t.Fatal(err)
	}
	sums := func(spend, orders int64) ads.KPI {
		return ads.KPI{Spend: spend, PaidRevenue: 3 * spend, PaidOrders: orders, PlatformConversions: orders, Impressions: 10 * spend, Engagements: spend}
	}
	want := []map[string]ads.KPI{
		{"a": sums(3, 1), "b": sums(8, 1)},
		{"a": sums(7, 3), "b": sums(8, 1)},
		{"a": sums(16, 1)},
		{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WindowSums = %+v\nwant %+v", got, want)
	}
	if got, err := db.WindowSums(ctx, "glowco", nil); err != nil || len(got) != 0 {
		t.Errorf("no windows: %v, %v", got, err)
	}
}
