package shopify_test

import (
	"context"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

// TestSyncKeepsWebhookAttribution: the webhook stores the order with the
// paid click's UTM tags (landing_site); the sync's customer journey then
// reports a last visit without any (a return visit to a product page).
// The sync must not replace the known utm_content with nothing.
func TestSyncKeepsWebhookAttribution(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupHooks(t)
	const landing = "/?utm_source=jacqueline&utm_campaign=serum&utm_content=serum-hook-a"
	if err := b.fake.UpsertOrder(shopifyfake.Order{ID: "3001", CreatedAt: base, UpdatedAt: base, LineItems: "40.00",
		FirstVisit: &shopifyfake.Visit{LandingPage: landing},
		LastVisit:  &shopifyfake.Visit{LandingPage: "/products/serum"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.fake.SendWebhook(ctx, b.url, secret, shopifyfake.TopicOrdersCreate, "3001"); err != nil {
		t.Fatal(err)
	}
	c := shopify.New(shopify.Options{Shop: shopDomain, BaseURL: newFakeServer(t, b.fake), AccessToken: token,
		RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	sync := func() {
		t.Helper()
		if _, err := c.Orders(ctx, time.Time{}, func(os []ads.Order) error { _, err := b.db.UpsertOrders(ctx, os); return err }); err != nil {
			t.Fatal(err)
		}
	}
	sync()
	o, ok := b.storedID(t, "gid://shopify/Order/3001")
	if !ok || o.UTM.Content != "serum-hook-a" || o.UTM.Source != "jacqueline" || o.LandingPage != landing {
		t.Fatalf("after the sync: last visit %+v %q, want the webhook's serum-hook-a from %q", o.UTM, o.LandingPage, landing)
	}
	if o.FirstUTM.Content != "serum-hook-a" {
		t.Errorf("after the sync: first visit %+v, want serum-hook-a", o.FirstUTM)
	}
	sync() // a rerun changes nothing
	var from string
	var at time.Time
	if err := b.db.SQL().QueryRowContext(ctx, `SELECT attribution_source, attribution_at FROM orders WHERE order_id = $1`,
		"gid://shopify/Order/3001").Scan(&from, &at); err != nil {
		t.Fatal(err)
	}
	if from != "webhook" || !at.Equal(base) {
		t.Errorf("last visit recorded as from %q at %v, want webhook at %v", from, at, base)
	}
}
