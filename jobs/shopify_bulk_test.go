package jobs

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
	"github.com/roasd/roasd/store"
)

const bulkShop = "bulkco.myshopify.com"

// bulkRig is a shop of `total` orders updated 2 hours apart up to now, a
// brand whose test started 100 days ago (so a first sync reaches back 130
// days: every order), and the deps to sync it.
type bulkRig struct {
	db     *store.DB
	fake   *shopifyfake.Server
	client *shopify.Client
	brand  *configs.Brand
	d      *Deps
	now    time.Time
	orders []shopifyfake.Order
}

func newBulkRig(t *testing.T, total int, delay time.Duration) *bulkRig {
	t.Helper()
	r := &bulkRig{db: openDB(t), now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
	for i := range total {
		at := r.now.Add(-time.Duration(total-i) * 2 * time.Hour)
		r.orders = append(r.orders, shopifyfake.Order{ID: fmt.Sprint(5000 + i), CreatedAt: at, UpdatedAt: at, LineItems: "40.00", Discounts: "4.00",
			DiscountCodes: []string{"JACQ15"}})
	}
	r.fake = shopifyfake.New(shopifyfake.Seed{
		Shop:        shopifyfake.Shop{Name: "bulkco", Domain: bulkShop, Currency: "USD", Timezone: "UTC"},
		AccessToken: "tok", Orders: r.orders, MaximumAvailable: 1e6, RestoreRate: 1e6, BulkDelay: delay,
		Now: func() time.Time { return r.now },
	})
	t.Cleanup(func() { r.fake.Close() })
	srv := httptest.NewServer(r.fake)
	t.Cleanup(srv.Close)
	r.client = shopify.New(shopify.Options{Shop: bulkShop, BaseURL: srv.URL, AccessToken: "tok", RetryMax: -1,
		BulkPollMin: time.Millisecond, BulkPollMax: 5 * time.Millisecond})
	r.brand = &configs.Brand{Name: "bulkco", Currency: "USD", Location: time.UTC,
		Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: bulkShop}}},
		Tests:    []*configs.Test{{ID: "t1", Start: ads.DateOf(r.now.AddDate(0, 0, -100), time.UTC)}}}
	r.d = &Deps{DB: r.db, Shopify: func(string) *shopify.Client { return r.client }}
	return r
}

// ops counts the fake's calls by op.
func (r *bulkRig) ops() map[string]int {
	n := map[string]int{}
	for _, c := range r.fake.Calls() {
		n[c.Op]++
	}
	return n
}

// storedIDs lists the stored orders' numeric ids, sorted.
func (r *bulkRig) storedIDs(t *testing.T) []string {
	t.Helper()
	var ids []string
	if err := r.db.SQL().Select(&ids, `SELECT order_id FROM orders WHERE shop = $1 ORDER BY order_id`, bulkShop); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		ids[i] = strings.TrimPrefix(id, "gid://shopify/Order/")
	}
	return ids
}

// mark is the shop's order high-water mark, as stored ("" for none).
func (r *bulkRig) mark(t *testing.T) string {
	t.Helper()
	v, err := r.db.OrdersMark(context.Background(), bulkShop)
	if err != nil {
		t.Fatal(err)
	}
	if v.IsZero() {
		return ""
	}
	return v.Format(time.RFC3339Nano)
}

// bulkOp is the id of the shop's running bulk export ("" for none).
func (r *bulkRig) bulkOp(t *testing.T) string {
	t.Helper()
	v, err := r.db.BulkOrdersOp(context.Background(), bulkShop)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// idsSince lists the seeded ids updated at or after since, sorted.
func (r *bulkRig) idsSince(since time.Time) []string {
	var ids []string
	for _, o := range r.orders {
		if !o.UpdatedAt.Before(since) {
			ids = append(ids, o.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestShopifyFirstSyncUsesBulk(t *testing.T) {
	t.Parallel()
	r := newBulkRig(t, 1500, 0) // 125 days of orders
	ctx := context.Background()
	run := &scheduler.Run{Now: r.now}
	if err := r.d.shopifyOrders(ctx, r.brand, r.brand.Shops()[0], run); err != nil {
		t.Fatal(err)
	}
	// Back to 30 days before the test's start.
	want := r.idsSince(r.now.AddDate(0, 0, -130).Truncate(24 * time.Hour))
	if got := r.storedIDs(t); !slices.Equal(got, want) {
		t.Fatalf("stored %d orders, want exactly the %d updated since the backfill start", len(got), len(want))
	}
	if run.Rows() != int64(len(want)) {
		t.Errorf("run counted %d rows, want %d", run.Rows(), len(want))
	}
	// One page catches up on what changed since the export began.
	if ops := r.ops(); ops["bulk"] != 1 || ops["orders"] != 1 || ops["bulk-download"] != 1 {
		t.Errorf("calls %v, want one bulk operation, one download and one catch-up page", ops)
	}
	// The mark is the operation's creation on Shopify's clock; the op id
	// is cleared.
	if got := r.mark(t); got != r.now.Format(time.RFC3339Nano) {
		t.Errorf("high-water mark = %q, want the op's createdAt %s", got, r.now.Format(time.RFC3339Nano))
	}
	if got := r.bulkOp(t); got != "" {
		t.Errorf("bulk cursor = %q after the export, want cleared", got)
	}

	// Ten minutes later: a short catch-up pages from the mark minus the
	// overlap, no bulk.
	r.now = r.now.Add(10 * time.Minute)
	if err := r.fake.UpsertOrder(shopifyfake.Order{ID: "9999", LineItems: "1.00"}); err != nil {
		t.Fatal(err)
	}
	before := r.ops()
	if err := r.d.shopifyOrders(ctx, r.brand, r.brand.Shops()[0], &scheduler.Run{Now: r.now}); err != nil {
		t.Fatal(err)
	}
	after := r.ops()
	if after["bulk"] != before["bulk"] || after["orders"] != before["orders"]+1 {
		t.Errorf("catch-up calls %v → %v, want one orders page and no bulk", before, after)
	}
	if got := r.storedIDs(t); !slices.Contains(got, "9999") {
		t.Error("the catch-up missed the new order")
	}
}

func TestShopifyLongCatchUpUsesBulk(t *testing.T) {
	t.Parallel()
	r := newBulkRig(t, 200, 0)
	ctx := context.Background()
	for _, tc := range []struct {
		behind time.Duration
		bulk   bool
	}{{2 * time.Hour, false}, {23 * time.Hour, false}, {49 * time.Hour, true}} {
		mark := r.now.Add(-tc.behind)
		if err := r.db.SetOrdersMark(ctx, bulkShop, mark); err != nil {
			t.Fatal(err)
		}
		before := r.ops()
		if err := r.d.shopifyOrders(ctx, r.brand, r.brand.Shops()[0], &scheduler.Run{Now: r.now}); err != nil {
			t.Fatal(err)
		}
		after := r.ops()
		if bulk := after["bulk"] > before["bulk"]; bulk != tc.bulk || (!bulk && after["orders"] == before["orders"]) {
			t.Errorf("%v behind: calls %v → %v, want bulk=%v", tc.behind, before, after, tc.bulk)
		}
		if tc.bulk {
			// The export starts at the mark minus the overlap.
			calls := r.fake.Calls()
			var q string
			for _, c := range calls {
				if c.Op == "bulk" {
					q, _ = c.Variables["query"].(string)
				}
			}
			if from := mark.Add(-DefaultOrderOverlap).UTC().Format(time.RFC3339); !strings.Contains(q, from) {
				t.Errorf("bulk query %q does not start at %s", q, from)
			}
			if got := r.mark(t); got != r.now.Format(time.RFC3339Nano) {
				t.Errorf("mark after the bulk catch-up = %q, want %s", got, r.now.Format(time.RFC3339Nano))
			}
		}
	}
	// A negative BulkAfter always pages.
	r.d.BulkAfter = -1
	if err := r.db.SetOrdersMark(ctx, bulkShop, time.Time{}); err != nil {
		t.Fatal(err)
	}
	before := r.ops()
	if err := r.d.shopifyOrders(ctx, r.brand, r.brand.Shops()[0], &scheduler.Run{Now: r.now}); err != nil {
		t.Fatal(err)
	}
	if after := r.ops(); after["bulk"] != before["bulk"] {
		t.Errorf("BulkAfter -1 still used bulk: %v → %v", before, after)
	}
}

// TestShopifyBulkResumesAfterRestart: a run killed while waiting leaves
// the op id stored; the next run waits for that op instead of starting
// another.
func TestShopifyBulkResumesAfterRestart(t *testing.T) {
	t.Parallel()
	r := newBulkRig(t, 300, 90*time.Millisecond)
	// "Kill" the run once it polls the running export.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil && r.ops()["bulk-poll"] == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if err := r.d.shopifyOrders(ctx, r.brand, r.brand.Shops()[0], &scheduler.Run{Now: r.now}); err == nil {
		t.Fatal("the run finished before being stopped")
	}
	id := r.bulkOp(t)
	if !strings.HasPrefix(id, "gid://shopify/BulkOperation/") {
		t.Fatalf("bulk cursor = %q, want the running op's id", id)
	}
	if n := len(r.storedIDs(t)); n != 0 {
		t.Fatalf("%d orders stored before the export completed", n)
	}
	// The daemon comes back two hours later; an order placed meanwhile is
	// not in the resumed export's snapshot.
	r.now = r.now.Add(2 * time.Hour)
	if err := r.fake.UpsertOrder(shopifyfake.Order{ID: "9001", LineItems: "12.00"}); err != nil {
		t.Fatal(err)
	}
	if err := r.d.shopifyOrders(context.Background(), r.brand, r.brand.Shops()[0], &scheduler.Run{Now: r.now}); err != nil {
		t.Fatal(err)
	}
	if ops := r.ops(); ops["bulk"] != 1 {
		t.Errorf("%d bulk operations started, want 1 (the restart resumes it)", ops["bulk"])
	}
	// The snapshot, then the catch-up from its creation: nothing missed.
	want := append(r.idsSince(time.Time{}), "9001")
	slices.Sort(want)
	if got := r.storedIDs(t); !slices.Equal(got, want) {
		t.Errorf("stored %d orders, want %d (the export's and the one placed since)", len(got), len(want))
	}
	if got := r.bulkOp(t); got != "" {
		t.Errorf("bulk cursor = %q, want cleared", got)
	}
}

// TestShopifyBulkReplacesDeadOperation: a stored op that failed, expired
// or is unknown is replaced by a new one.
func TestShopifyBulkReplacesDeadOperation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// prepare leaves a stored op id behind; it returns how many bulk
		// operations it started.
		prepare func(t *testing.T, r *bulkRig) int
	}{
		{"failed", func(t *testing.T, r *bulkRig) int {
			r.fake.FailBulk("INTERNAL_SERVER_ERROR")
			err := r.d.shopifyOrders(context.Background(), r.brand, r.brand.Shops()[0], &scheduler.Run{Now: r.now})
			if err == nil || !strings.Contains(err.Error(), "INTERNAL_SERVER_ERROR") || !strings.Contains(err.Error(), bulkShop) ||
				!strings.Contains(err.Error(), "gid://shopify/BulkOperation/1") {
				t.Fatalf("failed export: error %v, want one naming the shop, the op and its errorCode", err)
			}
			return 1
		}},
		{"expired", func(t *testing.T, r *bulkRig) int {
			op, err := r.client.StartBulkOrders(context.Background(), time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.client.WaitBulk(context.Background(), op.ID); err != nil {
				t.Fatal(err)
			}
			r.fake.ExpireBulk()
			if err := r.db.SetBulkOrdersOp(context.Background(), bulkShop, op.ID); err != nil {
				t.Fatal(err)
			}
			return 1
		}},
		{"not found", func(t *testing.T, r *bulkRig) int {
			if err := r.db.SetBulkOrdersOp(context.Background(), bulkShop, "gid://shopify/BulkOperation/404"); err != nil {
				t.Fatal(err)
			}
			return 0
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newBulkRig(t, 100, 0)
			started := tc.prepare(t, r)
			if err := r.d.shopifyOrders(context.Background(), r.brand, r.brand.Shops()[0], &scheduler.Run{Now: r.now}); err != nil {
				t.Fatal(err)
			}
			if ops := r.ops(); ops["bulk"] != started+1 {
				t.Errorf("%d bulk operations, want %d (one new)", ops["bulk"], started+1)
			}
			if got, want := r.storedIDs(t), r.idsSince(time.Time{}); !slices.Equal(got, want) {
				t.Errorf("stored %d orders, want %d", len(got), len(want))
			}
		})
	}
}

// TestShopifyBulkAdoptsItsOwnRunningOperation: a run killed after starting
// the export but before storing its id finds it running and waits for it.
func TestShopifyBulkAdoptsItsOwnRunningOperation(t *testing.T) {
	t.Parallel()
	r := newBulkRig(t, 100, 60*time.Millisecond)
	since := r.now.AddDate(0, 0, -130).Truncate(24 * time.Hour)
	if _, err := r.client.StartBulkOrders(context.Background(), since); err != nil {
		t.Fatal(err)
	}
	if err := r.d.shopifyOrders(context.Background(), r.brand, r.brand.Shops()[0], &scheduler.Run{Now: r.now}); err != nil {
		t.Fatal(err)
	}
	if ops := r.ops(); ops["bulk"] != 2 || ops["bulk-download"] != 1 {
		t.Errorf("calls %v, want the refused second start and one download", ops)
	}
	if got, want := r.storedIDs(t), r.idsSince(since); !slices.Equal(got, want) {
		t.Errorf("stored %d orders, want %d", len(got), len(want))
	}
}
