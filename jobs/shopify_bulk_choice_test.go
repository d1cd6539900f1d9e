package jobs

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
	"github.com/roasd/roasd/store"
)

// TestOrderSyncChoosesExportByRecentRate: two brands (USD New York, EUR
// Berlin, a shared creator), each with its shop, sync their first two
// hours of orders (an export), then a quarter of an hour later again.
// glowco's shop takes an order every 30 s, lunaskin's every 5 minutes;
// pages are 5 orders. From the store alone (no API call), glowco's sync
// expects 10 orders in its overlap plus 30 since its mark — 8 pages —
// against an export's 5 calls (start, poll, download, the 2 pages of its
// overlap at that rate), and exports; lunaskin's expects 1 + 3 orders, one
// page against 4 calls, and pages. Each shop's second sync makes no call
// but the chosen path's, and stores every order.
func TestOrderSyncChoosesExportByRecentRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	glowco, lunaskin := actBrands(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	type rig struct {
		brand *configs.Brand
		every time.Duration
		fake  *shopifyfake.Server
		n     int // orders in the shop
	}
	rigs := []*rig{{brand: glowco, every: 30 * time.Second}, {brand: lunaskin, every: 5 * time.Minute}}
	clients := map[string]*shopify.Client{}
	for _, r := range rigs {
		shop := r.brand.Name + ".myshopify.com"
		r.brand.Accounts.Shopify = []*configs.ShopifyAccount{{Shop: shop}}
		var orders []shopifyfake.Order
		for at := now.Add(-2 * time.Hour); at.Before(now); at = at.Add(r.every) {
			orders = append(orders, shopifyfake.Order{ID: fmt.Sprint(5000 + len(orders)), CreatedAt: at, UpdatedAt: at, LineItems: "40.00"})
		}
		r.n = len(orders)
		r.fake = shopifyfake.New(shopifyfake.Seed{
			Shop:        shopifyfake.Shop{Name: r.brand.Name, Domain: shop, Currency: r.brand.Currency, Timezone: r.brand.Timezone},
			AccessToken: "tok", Orders: orders, MaximumAvailable: 1e6, RestoreRate: 1e6,
			Now: func() time.Time { return now },
		})
		t.Cleanup(func() { r.fake.Close() })
		srv := httptest.NewServer(r.fake)
		t.Cleanup(srv.Close)
		clients[shop] = shopify.New(shopify.Options{Shop: shop, BaseURL: srv.URL, AccessToken: "tok", RetryMax: -1, PageSize: 5,
			BulkPollMin: time.Millisecond, BulkPollMax: 5 * time.Millisecond})
	}
	d := &Deps{DB: db, Shopify: func(shop string) *shopify.Client { return clients[shop] }}
	sync := func(r *rig) map[string]int {
		t.Helper()
		before := len(r.fake.Calls())
		if err := d.shopifyOrders(ctx, r.brand, r.brand.Shops()[0], &scheduler.Run{Now: now}); err != nil {
			t.Fatal(err)
		}
		ops := map[string]int{}
		for _, c := range r.fake.Calls()[before:] {
			ops[c.Op]++
		}
		return ops
	}
	for _, r := range rigs {
		if ops := sync(r); ops["bulk"] != 1 {
			t.Fatalf("%s: first sync calls %v, want an export", r.brand.Name, ops)
		}
	}

	now = now.Add(15 * time.Minute)
	for _, r := range rigs {
		for at := now.Add(-15 * time.Minute).Add(r.every); !at.After(now); at = at.Add(r.every) {
			if err := r.fake.UpsertOrder(shopifyfake.Order{ID: fmt.Sprint(5000 + r.n), CreatedAt: at, UpdatedAt: at, LineItems: "10.00"}); err != nil {
				t.Fatal(err)
			}
			r.n++
		}
	}
	for _, tc := range []struct {
		r    *rig
		want map[string]int
	}{
		// The export, then its overlap's 10 orders in 2 pages (and the
		// fake's empty last page).
		{rigs[0], map[string]int{"bulk": 1, "bulk-poll": 1, "bulk-download": 1, "orders": 3}},
		// The overlap's order and the 3 new ones.
		{rigs[1], map[string]int{"orders": 1}},
	} {
		ops := sync(tc.r)
		if polls := ops["bulk-poll"]; polls > 1 {
			ops["bulk-poll"] = 1 // the fake renders the file in wall time
		}
		if fmt.Sprint(ops) != fmt.Sprint(tc.want) {
			t.Errorf("%s: second sync calls %v, want %v", tc.r.brand.Name, ops, tc.want)
		}
		var stored int
		if err := db.SQL().Get(&stored, `SELECT count(*) FROM orders WHERE shop = $1`, tc.r.brand.Shops()[0]); err != nil {
			t.Fatal(err)
		}
		if want := tc.r.n; stored != want {
			t.Errorf("%s: %d orders stored, want %d", tc.r.brand.Name, stored, want)
		}
	}
}

// TestExportPays holds the estimate of an order sync's calls: pages of the
// overlap's stored orders plus the recent hour's rate over the lag (or the
// orders a webhook already stored, if more), against an export's 3 calls
// plus its overlap's pages at that rate; a tie pages.
func TestExportPays(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name               string
		c                  store.OrderChanges
		lag                time.Duration
		bulk               bool
		pages, exportCalls int
	}{
		{"quiet shop", store.OrderChanges{}, 15 * time.Minute, false, 1, 4},
		{"1× bench, 15 minutes", store.OrderChanges{Recent: 463, Overlap: 81}, 15 * time.Minute, false, 3, 4},
		{"4M bench, 15 minutes", store.OrderChanges{Recent: 1852, Overlap: 155}, 15 * time.Minute, true, 10, 6},
		{"tie pages", store.OrderChanges{Recent: 12 * 66, Overlap: 66}, 15 * time.Minute, false, 4, 4},
		{"webhooks stored more than the rate says", store.OrderChanges{Recent: 12, Overlap: 1, After: 900}, 15 * time.Minute, true, 14, 4},
		{"a day behind a quiet hour", store.OrderChanges{Recent: 60, Overlap: 5}, 20 * time.Hour, true, 19, 4},
	} {
		bulk, pages, calls := exportPays(tc.c, DefaultOrderOverlap, tc.lag, shopify.MaxPageSize)
		if bulk != tc.bulk || pages != tc.pages || calls != tc.exportCalls {
			t.Errorf("%s: bulk %v, %d pages, export %d calls; want %v, %d, %d", tc.name, bulk, pages, calls, tc.bulk, tc.pages, tc.exportCalls)
		}
	}
}
