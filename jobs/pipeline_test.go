package jobs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

// TestShopifyBackfillWindowsAndResumes checks that a long first sync is
// split into bounded windows, that the high-water mark advances with every
// stored page, and that a sync interrupted by an outage resumes where it
// stopped instead of starting over.
func TestShopifyBackfillWindowsAndResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	const shop = "glowco.myshopify.com"
	const total = 400
	var orders []shopifyfake.Order
	for i := 0; i < total; i++ {
		at := now.Add(-time.Duration(total-i) * 5 * time.Hour) // ~83 days back
		orders = append(orders, shopifyfake.Order{ID: fmt.Sprint(1000 + i), Name: fmt.Sprintf("#%d", 1000+i),
			CreatedAt: at, UpdatedAt: at, LineItems: "50.00", Discounts: "0.00"})
	}
	fake := shopifyfake.New(shopifyfake.Seed{
		Shop:        shopifyfake.Shop{Name: "glowco", Domain: shop, Currency: "USD", Timezone: "UTC"},
		AccessToken: "tok", Orders: orders, MaximumAvailable: 1e6, RestoreRate: 1e6,
		Now: func() time.Time { return now },
	})
	// An outage that starts after the first few pages.
	var served, outageAfter atomic.Int64
	outageAfter.Store(4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) > outageAfter.Load() {
			http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	client := shopify.New(shopify.Options{Shop: shop, BaseURL: srv.URL, AccessToken: "tok", RetryMax: -1})
	brand := &configs.Brand{Name: "glowco", Currency: "USD", Location: time.UTC,
		Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: shop}}},
		Tests:    []*configs.Test{{ID: "t1", Start: ads.DateOf(now.AddDate(0, 0, -55), time.UTC)}}}
	// Paging, not a bulk export: this test is about paged windows.
	d := &Deps{DB: db, Shopify: func(string) *shopify.Client { return client }, BulkAfter: -1}

	count := func() int {
		var n int
		if err := db.SQL().Get(&n, `SELECT count(*) FROM orders`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	err := d.shopifyOrders(ctx, brand, brand.Shops()[0], &scheduler.Run{Now: now})
	if err == nil {
		t.Fatal("sync succeeded through an outage")
	}
	stored := count()
	if stored == 0 || stored >= total {
		t.Fatalf("after the outage %d of %d orders are stored, want some but not all", stored, total)
	}
	mark, err := db.OrdersMark(ctx, shop)
	if err != nil || mark.IsZero() {
		t.Fatalf("high-water mark not advanced during the interrupted sync (%q, %v)", mark, err)
	}
	calls := fake.Calls()
	if q, _ := calls[0].Variables["query"].(string); !strings.Contains(q, "updated_at:<") {
		t.Errorf("first backfill query %q is not bounded to a window", q)
	}

	outageAfter.Store(1 << 30)
	before := len(fake.Calls())
	if err := d.shopifyOrders(ctx, brand, brand.Shops()[0], &scheduler.Run{Now: now}); err != nil {
		t.Fatalf("resumed sync: %v", err)
	}
	if got := count(); got != total {
		t.Fatalf("after resuming %d orders are stored, want %d", got, total)
	}
	resumed := fake.Calls()[before]
	if q, _ := resumed.Variables["query"].(string); !strings.Contains(q, mark.Add(-DefaultOrderOverlap).UTC().Format("2006-01-02T15:04")) {
		t.Errorf("resumed sync started with query %q, want it to start at the stored mark %s minus the overlap", q, mark)
	}
	// A third run only re-reads the overlap.
	before = len(fake.Calls())
	if err := d.shopifyOrders(ctx, brand, brand.Shops()[0], &scheduler.Run{Now: now}); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls()) - before; n != 1 {
		t.Errorf("an up-to-date sync made %d calls, want 1", n)
	}
	if got := count(); got != total {
		t.Fatalf("rerun changed the order count to %d", got)
	}
}
