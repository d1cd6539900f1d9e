package jobs

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

// TestShopifyRereadsUnreadyJourneys (issue 22 item 4): an order read while
// Shopify's customerJourneySummary is not ready is stored without
// attribution and marked pending; later syncs read it again (though its
// updated_at is long behind the high-water mark) and, once the journey is
// ready, its UTM attribution replaces the empty one. /metrics counts it as
// attributed before ready. A second brand's shop (EUR, journey ready from
// the start) is never pending. After 48 hours an order is no longer re-read.
func TestShopifyRereadsUnreadyJourneys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	visit := &shopifyfake.Visit{LandingPage: "/?utm_source=jacqueline&utm_content=serum-hook-a", OccurredAt: now.Add(-time.Hour),
		Source: "jacqueline", Content: "serum-hook-a"}
	type shopCase struct {
		shop, currency string
		readyAt        time.Time
	}
	cases := []shopCase{
		{"glowco.myshopify.com", "USD", now.Add(3 * time.Hour)},
		{"maison.myshopify.com", "EUR", time.Time{}},
	}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	clients := map[string]*shopify.Client{}
	fakes := map[string]*shopifyfake.Server{}
	var brands []*configs.Brand
	for _, c := range cases {
		fake := shopifyfake.New(shopifyfake.Seed{
			Shop:        shopifyfake.Shop{Name: c.shop, Domain: c.shop, Currency: c.currency, Timezone: "UTC"},
			AccessToken: "tok", MaximumAvailable: 1e6, RestoreRate: 1e6, Now: clock,
			Orders: []shopifyfake.Order{{ID: "77", Name: "#77", CreatedAt: now.Add(-30 * time.Minute), UpdatedAt: now.Add(-30 * time.Minute),
				LineItems: "50.00", Discounts: "0.00", FirstVisit: visit, LastVisit: visit, JourneyReadyAt: c.readyAt}},
		})
		fakes[c.shop] = fake
		srv := httptest.NewServer(fake)
		t.Cleanup(srv.Close)
		clients[c.shop] = shopify.New(shopify.Options{Shop: c.shop, BaseURL: srv.URL, AccessToken: "tok", RetryMax: -1})
		brands = append(brands, &configs.Brand{Name: c.shop, Currency: c.currency, Location: time.UTC,
			Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: c.shop}}}})
	}
	d := &Deps{DB: db, Shopify: func(s string) *shopify.Client { return clients[s] }, BulkAfter: -1, Metrics: m}
	type row struct {
		Content string `db:"utm_content"`
		Pending bool   `db:"journey_pending"`
		Unready bool   `db:"attributed_unready"`
	}
	read := func(shop string) row {
		t.Helper()
		var r row
		if err := db.SQL().Get(&r, `SELECT utm_content, journey_pending, attributed_unready FROM orders WHERE shop = $1`, shop); err != nil {
			t.Fatal(err)
		}
		return r
	}
	syncAll := func() {
		t.Helper()
		for _, b := range brands {
			if err := d.shopifyOrders(ctx, b, b.Shops()[0], &scheduler.Run{Now: now}); err != nil {
				t.Fatal(err)
			}
		}
	}
	gauge := func(state string) float64 {
		t.Helper()
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() != "roasd_shopify_orders_journey_unready" {
				continue
			}
			for _, mt := range f.GetMetric() {
				for _, l := range mt.GetLabel() {
					if l.GetName() == "state" && l.GetValue() == state {
						return mt.GetGauge().GetValue()
					}
				}
			}
		}
		return -1
	}

	syncAll()
	if r := read(cases[0].shop); r != (row{"", true, true}) {
		t.Fatalf("unready journey stored as %+v, want no attribution, pending, attributed unready", r)
	}
	if r := read(cases[1].shop); r != (row{"serum-hook-a", false, false}) {
		t.Fatalf("ready journey stored as %+v", r)
	}
	// Two hours later a newer order moves the high-water mark far past
	// order 77's update (beyond the overlap): it is still not ready and
	// still pending.
	now = now.Add(2 * time.Hour)
	if err := fakes[cases[0].shop].UpsertOrder(shopifyfake.Order{ID: "78", Name: "#78", CreatedAt: now.Add(-time.Minute),
		UpdatedAt: now.Add(-time.Minute), LineItems: "20.00", Discounts: "0.00"}); err != nil {
		t.Fatal(err)
	}
	syncAll()
	if r := read(cases[0].shop); r != (row{"", true, true}) {
		t.Fatalf("still unready: %+v", r)
	}
	if gauge("attributed") != 1 || gauge("pending") != 1 {
		t.Errorf("gauges attributed %v pending %v, want 1 and 1", gauge("attributed"), gauge("pending"))
	}
	// The journey is ready now: the re-read upgrades the attribution.
	now = now.Add(2 * time.Hour)
	syncAll()
	if r := read(cases[0].shop); r != (row{"serum-hook-a", false, true}) {
		t.Fatalf("after the journey is ready: %+v, want serum-hook-a, not pending, counted", r)
	}
	if gauge("attributed") != 1 || gauge("pending") != 0 {
		t.Errorf("gauges attributed %v pending %v, want 1 and 0", gauge("attributed"), gauge("pending"))
	}
	// Run twice, same DB.
	syncAll()
	if r := read(cases[0].shop); r != (row{"serum-hook-a", false, true}) {
		t.Fatalf("second run changed the order: %+v", r)
	}
}

// TestPendingJourneyBound: an order still pending 48 hours after its
// creation is no longer re-read.
func TestPendingJourneyBound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	created := time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)
	if _, err := db.SQL().Exec(`INSERT INTO orders (shop, order_id, name, created_at, updated_at, currency, gross_micros,
		discounts_micros, refunded_micros, net_micros, journey_pending, attributed_unready)
		VALUES ('s.myshopify.com', 'gid://shopify/Order/1', '#1', $1, $1, 'USD', 0, 0, 0, 0, true, true)`, created); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{{created.Add(47 * time.Hour), true}, {created.Add(48 * time.Hour), false}} {
		at, ok, err := db.OldestPendingJourney(ctx, "s.myshopify.com", tc.now)
		if err != nil || ok != tc.want || (ok && !at.Equal(created)) {
			t.Errorf("at %s: %v %v %v, want pending=%v", tc.now, at, ok, err, tc.want)
		}
	}
}
