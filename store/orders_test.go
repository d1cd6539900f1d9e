package store_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/store"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// order is a row factory: a plain USD order with overrides applied.
func order(id string, mod ...func(*ads.Order)) ads.Order {
	o := ads.Order{Shop: "glowco.myshopify.com", ID: "gid://shopify/Order/" + id, Name: "#" + id,
		CreatedAt: t0, UpdatedAt: t0, Currency: "USD",
		Gross: ads.MustMicros("100"), Discounts: ads.MustMicros("15"), Net: ads.MustMicros("85"),
		DiscountCodes: []string{"JACQ15"},
		UTM:           ads.UTM{Source: "jacqueline", Campaign: "summer-serum-hooks", Content: "hook-a"},
		LandingPage:   "/products/serum?utm_content=hook-a", FirstUTM: ads.UTM{Source: "ig"}, FirstLandingPage: "/"}
	for _, m := range mod {
		m(&o)
	}
	return o
}

func getOrder(t *testing.T, db *store.DB, id string) ads.Order {
	t.Helper()
	os, err := db.Orders(context.Background(), "glowco.myshopify.com", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range os {
		if o.ID == "gid://shopify/Order/"+id {
			return o
		}
	}
	t.Fatalf("order %s not stored (have %d orders)", id, len(os))
	return ads.Order{}
}

func TestUpsertOrders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	later := t0.Add(time.Hour)
	steps := []struct {
		name    string
		in      []ads.Order
		changed int64
		// want is the stored order 1001 afterwards.
		want ads.Order
	}{
		{"insert", []ads.Order{order("1001"), order("1002")}, 2, order("1001")},
		{"rerun unchanged", []ads.Order{order("1001"), order("1002")}, 0, order("1001")},
		{"update with newer updated_at", []ads.Order{order("1001", func(o *ads.Order) {
			o.UpdatedAt, o.Refunded = later, ads.MustMicros("20")
		})}, 1, order("1001", func(o *ads.Order) {
			o.UpdatedAt, o.Refunded, o.Net = later, ads.MustMicros("20"), ads.MustMicros("65")
		})},
		{"older snapshot is ignored", []ads.Order{order("1001", func(o *ads.Order) { o.Name = "stale" })}, 0,
			order("1001", func(o *ads.Order) { o.UpdatedAt, o.Refunded, o.Net = later, ads.MustMicros("20"), ads.MustMicros("65") })},
		{"cancellation zeroes net", []ads.Order{order("1001", func(o *ads.Order) {
			o.UpdatedAt, o.CancelledAt, o.Refunded = later.Add(time.Hour), later.Add(time.Hour), ads.MustMicros("20")
		})}, 1, order("1001", func(o *ads.Order) {
			o.UpdatedAt, o.CancelledAt, o.Refunded, o.Net = later.Add(time.Hour), later.Add(time.Hour), ads.MustMicros("20"), 0
		})},
		{"duplicate keys in one batch keep the newest", []ads.Order{
			order("1002", func(o *ads.Order) { o.UpdatedAt, o.Name = later, "newest" }),
			order("1002", func(o *ads.Order) { o.UpdatedAt, o.Name = t0.Add(time.Minute), "older" }),
		}, 1, order("1001", func(o *ads.Order) {
			o.UpdatedAt, o.CancelledAt, o.Refunded, o.Net = later.Add(time.Hour), later.Add(time.Hour), ads.MustMicros("20"), 0
		})},
	}
	for _, s := range steps {
		got, err := db.UpsertOrders(ctx, s.in)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.changed {
			t.Errorf("%s: changed = %d, want %d", s.name, got, s.changed)
		}
		if o := getOrder(t, db, "1001"); !reflect.DeepEqual(o, s.want) {
			t.Errorf("%s: stored\n%+v\nwant\n%+v", s.name, o, s.want)
		}
	}
	if o := getOrder(t, db, "1002"); o.Name != "newest" {
		t.Errorf("order 1002 name = %q, want newest", o.Name)
	}
}

// TestOrdersRoundTripAwkwardValues stores orders whose text holds COPY and
// array-literal metacharacters, through the sync (COPY staging) and the
// webhook (parameters) paths, and reads them back unchanged.
func TestOrdersRoundTripAwkwardValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	awkward := func(o *ads.Order) {
		o.Name = "#1\t\"x\"\\N"
		o.DiscountCodes = []string{`A"B`, `C\D`, "E,F", "{G}", "", "NULL", "tab\there", "new\nline", "ünï"}
		o.UTM = ads.UTM{Source: `\N`, Medium: "a\tb", Campaign: "c\nd", Content: `e\\f`, Term: "NULL"}
		o.LandingPage = "/p?x=1&y=\"2\"\r"
		o.CancelledAt = t0.Add(time.Minute + 123456*time.Microsecond)
		o.Net = 0
		o.Test = true
	}
	for _, tc := range []struct {
		name  string
		store func(*store.DB, ads.Order) error
	}{
		{"sync", func(db *store.DB, o ads.Order) error { _, err := db.UpsertOrders(ctx, []ads.Order{o}); return err }},
		{"webhook", func(db *store.DB, o ads.Order) error {
			_, err := db.ApplyWebhook(ctx, "w-"+o.ID, store.TopicOrdersCreate, o)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, template)
			for _, want := range []ads.Order{order("1", awkward), order("2", func(o *ads.Order) { o.DiscountCodes = nil })} {
				if err := tc.store(db, want); err != nil {
					t.Fatal(err)
				}
				if got := getOrder(t, db, want.ID[len("gid://shopify/Order/"):]); !reflect.DeepEqual(got, want) {
					t.Errorf("stored\n%+v\nwant\n%+v", got, want)
				}
			}
		})
	}
}

// TestUpsertOrdersLargeConcurrent writes more orders than one staging
// batch holds from two goroutines at once (overlapping keys), then again
// unchanged.
func TestUpsertOrdersLargeConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	const n = 25_000
	os := make([]ads.Order, n)
	for i := range os {
		os[i] = order(fmt.Sprint(100000+i), func(o *ads.Order) { o.CreatedAt = t0.Add(time.Duration(i) * time.Second) })
	}
	var wg sync.WaitGroup
	changed := make([]int64, 2)
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if changed[g], err = db.UpsertOrders(ctx, os[g*n/4:]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := changed[0] + changed[1]; got != n-n/4 && got != n {
		t.Errorf("concurrent upserts changed %d rows, want %d (the later one sees the other's rows) or %d", got, n-n/4, n)
	}
	got, err := db.UpsertOrders(ctx, os)
	if err != nil || got != 0 {
		t.Errorf("re-upsert changed %d rows (%v), want 0", got, err)
	}
	stored, err := db.Orders(ctx, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != n || !reflect.DeepEqual(stored[n-1], os[n-1]) {
		t.Errorf("stored %d orders, want %d equal to the input", len(stored), n)
	}
}

func TestUpsertOrdersRejectsIncomplete(t *testing.T) {
	t.Parallel()
	db := openDB(t, template)
	for _, o := range []ads.Order{
		order("1", func(o *ads.Order) { o.Shop = "" }),
		order("2", func(o *ads.Order) { o.UpdatedAt = time.Time{} }),
		order("3", func(o *ads.Order) { o.Currency = "" }),
	} {
		if _, err := db.UpsertOrders(context.Background(), []ads.Order{o}); err == nil {
			t.Errorf("UpsertOrders(%+v) = nil error, want one", o)
		}
	}
}

func TestOrdersByCreatedRange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	if _, err := db.UpsertOrders(ctx, []ads.Order{
		order("1", func(o *ads.Order) { o.CreatedAt = t0.Add(-48 * time.Hour) }),
		order("2"),
		order("3", func(o *ads.Order) { o.CreatedAt = t0.Add(48 * time.Hour); o.UpdatedAt = o.CreatedAt }),
		order("4", func(o *ads.Order) { o.Shop = "other.myshopify.com" }),
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		shop     string
		from, to time.Time
		want     int
	}{
		{"one shop, window", "glowco.myshopify.com", t0.Add(-time.Hour), t0.Add(time.Hour), 1},
		{"all shops, window", "", t0.Add(-time.Hour), t0.Add(time.Hour), 2},
		{"open end", "glowco.myshopify.com", t0, time.Time{}, 2},
		{"to is exclusive", "", t0.Add(-48 * time.Hour), t0, 1},
	}
	for _, tc := range tests {
		got, err := db.Orders(ctx, tc.shop, tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.want {
			t.Errorf("%s: got %d orders, want %d", tc.name, len(got), tc.want)
		}
	}
	changed, err := db.OrdersChangedSince(ctx, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 4 {
		t.Errorf("OrdersChangedSince = %d orders, want 4", len(changed))
	}
}

func TestApplyWebhook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	later := t0.Add(time.Hour)
	refund := func(order, id, amount string, at time.Time) ads.Order {
		return ads.Order{Shop: "glowco.myshopify.com", ID: "gid://shopify/Order/" + order, Refunded: ads.MustMicros(amount),
			RefundIDs: []string{"gid://shopify/Refund/" + id}, UpdatedAt: at}
	}
	state := func(at time.Time, refunded string, ids ...string) ads.Order {
		return order("1001", func(o *ads.Order) {
			o.UpdatedAt, o.Refunded = at, ads.MustMicros(refunded)
			for _, id := range ids {
				o.RefundIDs = append(o.RefundIDs, "gid://shopify/Refund/"+id)
			}
		})
	}
	steps := []struct {
		name     string
		key      string
		topic    string
		o        ads.Order
		applied  bool
		refunded string
		net      string
	}{
		{"create", "w1", store.TopicOrdersCreate, order("1001"), true, "0", "85"},
		{"duplicate delivery", "w1", store.TopicOrdersCreate, order("1001", func(o *ads.Order) { o.Gross = 1 }), false, "0", "85"},
		{"update", "w2", store.TopicOrdersUpdated, order("1001", func(o *ads.Order) { o.UpdatedAt = later }), true, "0", "85"},
		{"out of order update", "w3", store.TopicOrdersUpdated, order("1001", func(o *ads.Order) { o.Gross = ads.MustMicros("1000") }), false, "0", "85"},
		{"refund", "w4", store.TopicRefundsCreate, refund("1001", "1", "10", later), true, "10", "75"},
		{"duplicate refund delivery", "w4", store.TopicRefundsCreate, refund("1001", "1", "10", later), false, "10", "75"},
		{"the same refund under another delivery", "w5", store.TopicRefundsCreate, refund("1001", "1", "10", later), false, "10", "75"},
		{"second refund", "w6", store.TopicRefundsCreate, refund("1001", "2", "5", later), true, "15", "70"},
		{"a newer order state wins over the refunds it counts", "w7", store.TopicOrdersUpdated, state(later.Add(time.Minute), "12", "1", "2"), true, "12", "73"},
		{"a counted refund delivered again", "w8", store.TopicRefundsCreate, refund("1001", "2", "5", later), false, "12", "73"},
		{"a refund the state does not count yet", "w9", store.TopicRefundsCreate, refund("1001", "3", "2", later.Add(2*time.Minute)), true, "14", "71"},
		{"an older state keeps it", "w10", store.TopicOrdersUpdated, state(later, "12", "1", "2"), false, "14", "71"},
		{"the state that counts it", "w11", store.TopicOrdersUpdated, state(later.Add(2*time.Minute), "14", "1", "2", "3"), true, "14", "71"},
		{"refund of an unknown order is recorded", "w12", store.TopicRefundsCreate, refund("9", "9", "4", later), true, "14", "71"},
	}
	for _, s := range steps {
		applied, err := db.ApplyWebhook(ctx, s.key, s.topic, s.o)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if applied != s.applied {
			t.Errorf("%s: applied = %v, want %v", s.name, applied, s.applied)
		}
		o := getOrder(t, db, "1001")
		if o.Refunded != ads.MustMicros(s.refunded) || o.Net != ads.MustMicros(s.net) {
			t.Errorf("%s: refunded %s net %s, want %s and %s", s.name, ads.FormatMicros(o.Refunded, 2),
				ads.FormatMicros(o.Net, 2), s.refunded, s.net)
		}
	}
	// The order whose refund came first: its creation (a state from before
	// the refund) counts the recorded refund; the sync's state that counts
	// it does not add it again.
	if _, err := db.ApplyWebhook(ctx, "w13", store.TopicOrdersCreate, order("9")); err != nil {
		t.Fatal(err)
	}
	if o := getOrder(t, db, "9"); o.Refunded != ads.MustMicros("4") || o.Net != ads.MustMicros("81") {
		t.Errorf("order created after its refund: refunded %d net %d, want 4.00 and 81.00", o.Refunded, o.Net)
	}
	if _, err := db.UpsertOrders(ctx, []ads.Order{order("9", func(o *ads.Order) {
		o.UpdatedAt, o.Refunded, o.RefundIDs = later, ads.MustMicros("4"), []string{"gid://shopify/Refund/9"}
	})}); err != nil {
		t.Fatal(err)
	}
	if o := getOrder(t, db, "9"); o.Refunded != ads.MustMicros("4") || o.Net != ads.MustMicros("81") {
		t.Errorf("synced state counting the refund: refunded %d net %d, want 4.00 and 81.00", o.Refunded, o.Net)
	}
	// A webhook's poorer attribution never replaces the synced journey.
	if _, err := db.ApplyWebhook(ctx, "w20", store.TopicOrdersUpdated, order("1001", func(o *ads.Order) {
		o.UpdatedAt, o.UTM, o.LandingPage = later.Add(3*time.Minute), ads.UTM{Source: "other"}, "/other"
	})); err != nil {
		t.Fatal(err)
	}
	if o := getOrder(t, db, "1001"); o.UTM.Content != "hook-a" || o.UTM.Source != "jacqueline" || o.LandingPage != order("1").LandingPage {
		t.Errorf("webhook replaced attribution: got %+v %q", o.UTM, o.LandingPage)
	}
	if _, err := db.ApplyWebhook(ctx, "w21", "products/update", order("1001")); err == nil {
		t.Error("unsupported topic: got nil error")
	}
	if _, err := db.ApplyWebhook(ctx, "w21", store.TopicOrdersCreate, order("1001")); err != nil {
		t.Errorf("webhook id of a rolled-back delivery must be usable again: %v", err)
	}
}

func TestApplyWebhookConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	var wg sync.WaitGroup
	results := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := db.ApplyWebhook(ctx, "same", store.TopicOrdersCreate, order("7"))
			if err != nil {
				t.Error(err)
			}
			results <- ok
		}()
	}
	wg.Wait()
	close(results)
	n := 0
	for ok := range results {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d concurrent deliveries applied, want exactly 1", n)
	}
}

func TestUpsertLinkConversions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	c := func(id, amount string) ads.LinkConversion {
		return ads.LinkConversion{ID: id, Source: "impact", Creator: "jacqueline", Link: "https://glowco.com/?utm_source=jacqueline",
			OrderID: "#1001", Amount: ads.MustMicros(amount), Currency: "USD", At: t0}
	}
	steps := []struct {
		name string
		in   []ads.LinkConversion
		want int64
	}{
		{"insert", []ads.LinkConversion{c("c1", "50"), c("c2", "20")}, 2},
		{"reimport", []ads.LinkConversion{c("c1", "50"), c("c2", "20")}, 0},
		{"restated amount", []ads.LinkConversion{c("c1", "45"), c("c2", "20")}, 1},
		{"duplicate in one call: last wins", []ads.LinkConversion{c("c3", "1"), c("c3", "2")}, 1},
	}
	for _, s := range steps {
		got, err := db.UpsertLinkConversions(ctx, s.in)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.want {
			t.Errorf("%s: changed = %d, want %d", s.name, got, s.want)
		}
	}
	all, err := db.LinkConversions(ctx, "", t0, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := []ads.LinkConversion{c("c1", "45"), c("c2", "20"), c("c3", "2")}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("LinkConversions =\n%+v\nwant\n%+v", all, want)
	}
	if none, _ := db.LinkConversions(ctx, "", t0.Add(time.Second), time.Time{}); len(none) != 0 {
		t.Errorf("LinkConversions after t0 = %d rows, want 0", len(none))
	}
	if _, err := db.UpsertLinkConversions(ctx, []ads.LinkConversion{{ID: "x", Source: "impact"}}); err == nil {
		t.Error("incomplete conversion: got nil error")
	}
}

// TestAttributionNeverLess: a visit's attribution (UTM parameters and
// landing page) is replaced only by one that carries at least as much
// (the sync's journey) or more (a webhook's landing_site), and the stored
// visit records where it came from and the order version that brought it.
func TestAttributionNeverLess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	visit := func(m int, u ads.UTM, page string) ads.Order {
		return order("1", func(o *ads.Order) { o.UpdatedAt, o.UTM, o.LandingPage = at(m), u, page })
	}
	hookA := ads.UTM{Source: "jacqueline", Content: "serum-hook-a"}
	hookB := ads.UTM{Source: "jacqueline", Campaign: "serum", Content: "serum-hook-b"}
	sync := func(o ads.Order) error { _, err := db.UpsertOrders(ctx, []ads.Order{o}); return err }
	webhook := func(key string) func(ads.Order) error {
		return func(o ads.Order) error { _, err := db.ApplyWebhook(ctx, key, store.TopicOrdersUpdated, o); return err }
	}
	steps := []struct {
		name     string
		apply    func(ads.Order) error
		o        ads.Order
		want     ads.UTM
		wantFrom string
		wantAt   time.Time
	}{
		{"webhook stores the paid click", webhook("a"), visit(0, hookA, "/?utm_source=jacqueline&utm_content=serum-hook-a"), hookA, "webhook", at(0)},
		{"a sync without a journey keeps it", sync, visit(1, ads.UTM{}, ""), hookA, "webhook", at(0)},
		{"a sync with a bare landing page keeps it", sync, visit(2, ads.UTM{}, "/products/serum"), hookA, "webhook", at(0)},
		{"a sync with as much replaces it", sync, visit(3, hookB, "/?utm_content=serum-hook-b"), hookB, "sync", at(3)},
		{"a webhook with less keeps it", webhook("b"), visit(4, hookA, "/?utm_content=serum-hook-a"), hookB, "sync", at(3)},
		{"a sync with less keeps it", sync, visit(5, ads.UTM{Source: "ig"}, "/"), hookB, "sync", at(3)},
		{"the same sync again", sync, visit(5, ads.UTM{Source: "ig"}, "/"), hookB, "sync", at(3)},
	}
	for _, s := range steps {
		if err := s.apply(s.o); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var from string
		var when time.Time
		if err := db.SQL().QueryRowContext(ctx, `SELECT attribution_source, attribution_at FROM orders WHERE order_id = $1`,
			"gid://shopify/Order/1").Scan(&from, &when); err != nil {
			t.Fatal(err)
		}
		got := getOrder(t, db, "1")
		if got.UTM != s.want || from != s.wantFrom || !when.Equal(s.wantAt) {
			t.Errorf("%s: last visit %+v from %s at %v, want %+v from %s at %v", s.name, got.UTM, from, when.UTC(),
				s.want, s.wantFrom, s.wantAt)
		}
	}
	if n, err := db.UpsertOrders(ctx, []ads.Order{visit(5, ads.UTM{Source: "ig"}, "/")}); err != nil || n != 0 {
		t.Errorf("rerun changed %d rows (%v), want 0", n, err)
	}
}

// TestMigration0012RestatesDeliveryKeyedRefunds: refunds recorded per
// webhook delivery before 0012 (one 10.00 refund under 4 ids made 40.00)
// are dropped and the shop's sync cursor rewound to the order, so the next
// sync's state sets the true amount.
func TestMigration0012RestatesDeliveryKeyedRefunds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, nil)
	all, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	x := db.SQL()
	if _, err := x.ExecContext(ctx, `CREATE TABLE schema_migrations (version INT PRIMARY KEY, name TEXT NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.Version >= 12 {
			break
		}
		if _, err := x.ExecContext(ctx, m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := x.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	const shop = "glowco.myshopify.com"
	for _, q := range []string{
		`INSERT INTO orders (shop, order_id, created_at, updated_at, currency, gross_micros, discounts_micros, refunded_micros, net_micros)
			VALUES ('` + shop + `', 'gid://shopify/Order/1', '2026-06-01T12:00:00Z', '2026-06-02T09:30:00Z', 'USD', 100000000, 15000000, 40000000, 45000000)`,
		`INSERT INTO order_refunds (shop, order_id, refund_key, amount_micros) SELECT '` + shop + `', 'gid://shopify/Order/1', 'delivery-' || i, 10000000
			FROM generate_series(1, 4) i`,
		`INSERT INTO sync_cursors (name, value) VALUES ('shopify.orders:` + shop + `', '2026-06-20T10:00:00.123456789Z'),
			('shopify.orders:other.myshopify.com', '2026-06-20T10:00:00Z')`,
	} {
		if _, err := x.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var refunds int
	if err := x.GetContext(ctx, &refunds, `SELECT count(*) FROM order_refunds`); err != nil || refunds != 0 {
		t.Errorf("order_refunds after 0012: %d rows (%v), want 0", refunds, err)
	}
	for name, want := range map[string]string{shop: "2026-06-02T09:30:00.000000Z", "other.myshopify.com": "2026-06-20T10:00:00Z"} {
		var got string
		if err := x.GetContext(ctx, &got, `SELECT value FROM sync_cursors WHERE name = $1`, "shopify.orders:"+name); err != nil || got != want {
			t.Errorf("cursor of %s = %q (%v), want %q", name, got, err, want)
		}
		if mark, err := db.OrdersMark(ctx, name); err != nil || mark.Format(time.RFC3339Nano) != mustTime(t, want).Format(time.RFC3339Nano) {
			t.Errorf("OrdersMark(%s) = %v (%v), want %s", name, mark, err, want)
		}
	}
	// The next sync reads the order again: its state sets the true amount.
	if _, err := db.UpsertOrders(ctx, []ads.Order{order("1", func(o *ads.Order) {
		o.UpdatedAt, o.Refunded, o.RefundIDs = time.Date(2026, 6, 2, 9, 30, 0, 0, time.UTC), ads.MustMicros("10"), []string{"gid://shopify/Refund/5"}
	})}); err != nil {
		t.Fatal(err)
	}
	if o := getOrder(t, db, "1"); o.Refunded != ads.MustMicros("10") || o.Net != ads.MustMicros("75") {
		t.Errorf("after the restating sync: refunded %d net %d, want 10.00 and 75.00", o.Refunded, o.Net)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// TestCountOrderChanges counts a shop's orders by their Shopify
// updated_at around a high-water mark: the hour before it (the recent
// rate), the overlap before it, and after it (stored by a webhook);
// another shop's orders are not counted.
func TestCountOrderChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	const glow, haut = "glowco.myshopify.com", "hautwerk.myshopify.com"
	mark := t0.Add(10 * time.Hour)
	var batch []ads.Order
	for i, at := range []time.Duration{-2 * time.Hour, -61 * time.Minute, -time.Hour, -30 * time.Minute, -5 * time.Minute, -time.Minute, 0, 3 * time.Minute} {
		batch = append(batch, order(fmt.Sprint(100+i), func(o *ads.Order) { o.Shop, o.UpdatedAt = glow, mark.Add(at) }),
			order(fmt.Sprint(200+i), func(o *ads.Order) { o.Shop, o.UpdatedAt = haut, mark.Add(at) }))
	}
	batch = append(batch, order("300", func(o *ads.Order) { o.Shop, o.UpdatedAt = haut, mark.Add(-2*time.Minute) }))
	if _, err := db.UpsertOrders(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		shop string
		want store.OrderChanges
	}{
		{glow, store.OrderChanges{Recent: 4, Overlap: 2, After: 2}},
		{haut, store.OrderChanges{Recent: 5, Overlap: 3, After: 2}},
	} {
		got, err := db.CountOrderChanges(ctx, tc.shop, mark.Add(-5*time.Minute), mark, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.shop, got, tc.want)
		}
	}
}
