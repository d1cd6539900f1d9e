package jobs

import (
	"context"
	"fmt"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

// TestShopifyRereadsUnreadyJourneys (issue 22 item 4, issue 17 item 1):
// an order read while Shopify's customerJourneySummary is not ready is
// stored without attribution and marked pending; it is read again by id
// (nodes(ids:)), not by paging from it, each time after a wait as long as
// its age (at least 15 minutes), and once its journey is ready the UTM
// attribution replaces the empty one. An order deleted meanwhile stops
// being pending. A cycle with nothing new and nothing due makes one page
// query and writes nothing. /metrics counts the order as attributed
// before ready. A second brand's shop (EUR, journeys ready from the
// start) never re-reads. Run twice, same DB.
func TestShopifyRereadsUnreadyJourneys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	now := t0
	clock := func() time.Time { return now }
	visit := &shopifyfake.Visit{LandingPage: "/?utm_source=jacqueline&utm_content=serum-hook-a", OccurredAt: t0.Add(-time.Hour),
		Source: "jacqueline", Content: "serum-hook-a"}
	type shopCase struct {
		shop, currency string
		readyAt        time.Time
	}
	cases := []shopCase{
		{"glowco.myshopify.com", "USD", t0.Add(50 * time.Minute)},
		{"maison.myshopify.com", "EUR", time.Time{}},
	}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	clients := map[string]*shopify.Client{}
	fakes := map[string]*shopifyfake.Server{}
	var brands []*configs.Brand
	for _, c := range cases {
		created := t0.Add(-10 * time.Minute)
		fake := shopifyfake.New(shopifyfake.Seed{
			Shop:        shopifyfake.Shop{Name: c.shop, Domain: c.shop, Currency: c.currency, Timezone: "UTC"},
			AccessToken: "tok", MaximumAvailable: 1e6, RestoreRate: 1e6, Now: clock,
			Orders: []shopifyfake.Order{
				{ID: "77", Name: "#77", CreatedAt: created, UpdatedAt: created,
					LineItems: "50.00", Discounts: "0.00", FirstVisit: visit, LastVisit: visit, JourneyReadyAt: c.readyAt},
				{ID: "79", Name: "#79", CreatedAt: created, UpdatedAt: created,
					LineItems: "30.00", Discounts: "0.00", FirstVisit: visit, LastVisit: visit, JourneyReadyAt: c.readyAt.Add(2 * time.Hour)},
			},
		})
		fakes[c.shop] = fake
		srv := httptest.NewServer(fake)
		t.Cleanup(srv.Close)
		clients[c.shop] = shopify.New(shopify.Options{Shop: c.shop, BaseURL: srv.URL, AccessToken: "tok", RetryMax: -1})
		brands = append(brands, &configs.Brand{Name: c.shop, Currency: c.currency, Location: time.UTC,
			Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: c.shop}}}})
	}
	glow := cases[0].shop
	d := &Deps{DB: db, Shopify: func(s string) *shopify.Client { return clients[s] }, BulkAfter: -1, Metrics: m}
	type row struct {
		Content string `db:"utm_content"`
		Pending bool   `db:"journey_pending"`
		Unready bool   `db:"attributed_unready"`
	}
	read := func(shop, id string) row {
		t.Helper()
		var r row
		if err := db.SQL().Get(&r, `SELECT utm_content, journey_pending, attributed_unready FROM orders WHERE shop = $1 AND order_id = $2`,
			shop, "gid://shopify/Order/"+id); err != nil {
			t.Fatal(err)
		}
		return r
	}
	// syncAll runs every shop's order sync at now and returns the calls
	// each shop's fake received ("orders" pages, "nodes" reads by id with
	// their ids) and the rows the runs wrote.
	syncAll := func() (map[string][]string, int64) {
		t.Helper()
		calls := map[string][]string{}
		var rows int64
		for _, b := range brands {
			shop := b.Shops()[0]
			before := len(fakes[shop].Calls())
			r := &scheduler.Run{Now: now}
			if err := d.shopifyOrders(ctx, b, shop, r); err != nil {
				t.Fatal(err)
			}
			rows += r.Rows()
			for _, c := range fakes[shop].Calls()[before:] {
				op := c.Op
				if ids, ok := c.Variables["ids"].([]any); ok {
					op += " " + fmt.Sprint(ids)
				}
				calls[shop] = append(calls[shop], op)
			}
		}
		return calls, rows
	}
	wantCalls := func(step string, got map[string][]string, glowco ...string) {
		t.Helper()
		want := map[string][]string{glow: glowco, cases[1].shop: {"orders"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: calls %v, want %v", step, got, want)
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
	const byID = "nodes [gid://shopify/Order/77 gid://shopify/Order/79]"

	calls, _ := syncAll()
	wantCalls("first sync", calls, "orders")
	if r := read(glow, "77"); r != (row{"", true, true}) {
		t.Fatalf("unready journey stored as %+v, want no attribution, pending, attributed unready", r)
	}
	if r := read(cases[1].shop, "77"); r != (row{"serum-hook-a", false, false}) {
		t.Fatalf("ready journey stored as %+v", r)
	}
	// Five minutes on, nothing new and nothing due: one page, no row.
	now = t0.Add(5 * time.Minute)
	calls, rows := syncAll()
	wantCalls("no new data", calls, "orders")
	if rows != 0 {
		t.Errorf("a cycle with nothing new wrote %d rows", rows)
	}
	// A newer order moves the high-water mark past the overlap before 77
	// and 79 are due (15 minutes after their read at t0).
	now = t0.Add(11 * time.Minute)
	if err := fakes[glow].UpsertOrder(shopifyfake.Order{ID: "78", Name: "#78", CreatedAt: t0.Add(10 * time.Minute),
		UpdatedAt: t0.Add(10 * time.Minute), LineItems: "20.00", Discounts: "0.00"}); err != nil {
		t.Fatal(err)
	}
	calls, _ = syncAll()
	wantCalls("new order", calls, "orders")
	if err := fakes[glow].Delete("79"); err != nil {
		t.Fatal(err)
	}
	// Due: 77 and 79 are read by id (the page reads only 78's range);
	// 77 still not ready, 79 gone.
	now = t0.Add(16 * time.Minute)
	calls, _ = syncAll()
	wantCalls("first re-read", calls, "orders", byID)
	if r := read(glow, "77"); r != (row{"", true, true}) {
		t.Fatalf("still unready: %+v", r)
	}
	if r := read(glow, "79"); r.Pending {
		t.Errorf("deleted order still pending: %+v", r)
	}
	if gauge("attributed") != 2 || gauge("pending") != 1 {
		t.Errorf("gauges attributed %v pending %v, want 2 and 1", gauge("attributed"), gauge("pending"))
	}
	// Read at 26 minutes of age, 77 waits 26 minutes: not due at +30m,
	// due at +42m (still not ready), then at 52 minutes of age waits 52.
	for _, step := range []struct {
		at   time.Duration
		want []string
	}{
		{30 * time.Minute, []string{"orders"}},
		{41 * time.Minute, []string{"orders"}},
		{42 * time.Minute, []string{"orders", "nodes [gid://shopify/Order/77]"}},
		{93 * time.Minute, []string{"orders"}},
	} {
		now = t0.Add(step.at)
		calls, _ = syncAll()
		wantCalls(fmt.Sprintf("at +%v", step.at), calls, step.want...)
	}
	if r := read(glow, "77"); r != (row{"", true, true}) {
		t.Fatalf("at +93m: %+v, want still pending", r)
	}
	// The journey is ready now: the re-read upgrades the attribution.
	now = t0.Add(94 * time.Minute)
	calls, _ = syncAll()
	wantCalls("ready", calls, "orders", "nodes [gid://shopify/Order/77]")
	if r := read(glow, "77"); r != (row{"serum-hook-a", false, true}) {
		t.Fatalf("after the journey is ready: %+v, want serum-hook-a, not pending, counted", r)
	}
	if gauge("attributed") != 2 || gauge("pending") != 0 {
		t.Errorf("gauges attributed %v pending %v, want 2 and 0", gauge("attributed"), gauge("pending"))
	}
	// Run twice, same DB: one page, nothing read by id, no row.
	calls, rows = syncAll()
	wantCalls("again", calls, "orders")
	if rows != 0 || read(glow, "77") != (row{"serum-hook-a", false, true}) {
		t.Fatalf("second run wrote %d rows; order %+v", rows, read(glow, "77"))
	}
}

// TestPendingJourneyBound: an order still pending 48 hours after its
// creation is read one last time, then no more.
func TestPendingJourneyBound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	const shop = "s.myshopify.com"
	created := time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)
	if _, err := db.SQL().Exec(`INSERT INTO orders (shop, order_id, name, created_at, updated_at, currency, gross_micros,
		discounts_micros, refunded_micros, net_micros, journey_pending, attributed_unready, journey_check_at)
		VALUES ($2, 'gid://shopify/Order/1', '#1', $1::timestamptz, $1, 'USD', 0, 0, 0, 0, true, true, $1::timestamptz + interval '47 hours')`, created, shop); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		after time.Duration
		due   bool
	}{{47 * time.Hour, true}, {48 * time.Hour, true}, {1000 * time.Hour, false}} {
		now := created.Add(tc.after)
		ids, err := db.DueJourneys(ctx, shop, now)
		if err != nil || (len(ids) == 1) != tc.due {
			t.Errorf("%v after creation: due %v, %v; want due %v", tc.after, ids, err, tc.due)
		}
		if _, err := db.ScheduleJourneys(ctx, shop, ids, now); err != nil {
			t.Fatal(err)
		}
	}
}
