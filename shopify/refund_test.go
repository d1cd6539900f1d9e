package shopify_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

// taxedOrder is a USD order paid in EUR with tax and shipping:
// 100.00 of merchandise, 15.00 off, 6.80 tax, 5.00 shipping.
func taxedOrder(id string) shopifyfake.Order {
	return shopifyfake.Order{ID: id, CreatedAt: base, UpdatedAt: base, LineItems: "100.00", Discounts: "15.00",
		Tax: "6.80", Shipping: "5.00", PresentmentCurrency: "EUR", PresentmentRate: "0.92",
		LastVisit: &shopifyfake.Visit{LandingPage: "/?utm_content=hook-a", Content: "hook-a"}}
}

// refundBoth records on order id of fake a refund of 16.50 of product
// with 1.32 of its tax and 3.95 of shipping (21.77 returned, 16.50 of it
// product), then a custom 10.00 refunded without line items (all of it
// product: money given back on the goods).
func refundBoth(t *testing.T, fake *shopifyfake.Server, id string) {
	t.Helper()
	if _, err := fake.RefundItems(id, shopifyfake.Refund{CreatedAt: base.Add(time.Hour), LineItems: "16.50",
		LineItemsTax: "1.32", Shipping: "3.95"}); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Refund(id, "10.00", base.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// TestRefundProductPartSync: only the product part of refunds (refunded
// line items and discrepancies) comes off revenue, never refunded tax or
// shipping, in shop money.
func TestRefundProductPartSync(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Seed{Orders: []shopifyfake.Order{taxedOrder("1001")}})
	refundBoth(t, b.fake, "1001")
	got, _ := collect(t, b.client, time.Time{})
	if len(got) != 1 {
		t.Fatalf("got %d orders, want 1", len(got))
	}
	o := got[0]
	if o.Currency != "USD" || o.Gross != ads.MustMicros("100") || o.Discounts != ads.MustMicros("15") ||
		o.Refunded != ads.MustMicros("26.50") || o.Net != ads.MustMicros("58.50") {
		t.Errorf("synced %s gross %s discounts %s refunded %s net %s, want USD 100.00 15.00 26.50 58.50", o.Currency,
			ads.FormatMicros(o.Gross, 2), ads.FormatMicros(o.Discounts, 2), ads.FormatMicros(o.Refunded, 2), ads.FormatMicros(o.Net, 2))
	}
}

// TestRefundProductPartWebhook is TestRefundProductPartSync on the
// webhook path: the refund transactions are in the customer's currency
// (EUR) and include tax and shipping; neither may reach revenue.
func TestRefundProductPartWebhook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupHooks(t)
	if err := b.fake.UpsertOrder(taxedOrder("1001")); err != nil {
		t.Fatal(err)
	}
	send := func(topic string) {
		t.Helper()
		if err := b.fake.SendWebhook(ctx, b.url, secret, topic, "1001"); err != nil {
			t.Fatal(err)
		}
	}
	send(shopifyfake.TopicOrdersCreate)
	if _, err := b.fake.RefundItems("1001", shopifyfake.Refund{CreatedAt: base.Add(time.Hour), LineItems: "16.50",
		LineItemsTax: "1.32", Shipping: "3.95"}); err != nil {
		t.Fatal(err)
	}
	send(shopifyfake.TopicRefundsCreate)
	check := func(step, refunded, net string) {
		t.Helper()
		o, ok := b.stored(t)
		if !ok || o.Refunded != ads.MustMicros(refunded) || o.Net != ads.MustMicros(net) {
			t.Errorf("%s: refunded %s net %s, want %s and %s", step, ads.FormatMicros(o.Refunded, 2), ads.FormatMicros(o.Net, 2), refunded, net)
		}
	}
	check("refunds/create of items and shipping", "16.50", "68.50")
	if _, err := b.fake.Refund("1001", "10.00", base.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	send(shopifyfake.TopicRefundsCreate)
	check("refunds/create of a custom amount", "26.50", "58.50")
	send(shopifyfake.TopicOrdersUpdated)
	check("orders/updated", "26.50", "58.50")
}

// TestDuplicateRefundDeliveries: one 10.00 refund, delivered to four
// subscriptions (four webhook ids, one event id), replayed under a new
// event id, out of order with the order's own deliveries, and read again
// by the sync, counts once; the net stays 53.05 − 10.00.
func TestDuplicateRefundDeliveries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupHooks(t)
	if err := b.fake.UpsertOrder(shopifyfake.Order{ID: "2001", CreatedAt: base, UpdatedAt: base, LineItems: "62.41",
		Discounts: "9.36", Tax: "4.24", Shipping: "4.95"}); err != nil {
		t.Fatal(err)
	}
	b.fake.SetSubscriptions(4)
	render := func(topic string) []shopifyfake.Delivery {
		t.Helper()
		ds, err := b.fake.Deliveries(secret, topic, "2001")
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 4 || ds[0].Header.Get("X-Shopify-Webhook-Id") == ds[1].Header.Get("X-Shopify-Webhook-Id") ||
			ds[0].Header.Get("X-Shopify-Event-Id") != ds[1].Header.Get("X-Shopify-Event-Id") {
			t.Fatalf("%s: want 4 deliveries of one event under distinct webhook ids, got %d", topic, len(ds))
		}
		return ds
	}
	created := render(shopifyfake.TopicOrdersCreate)
	if _, err := b.fake.Refund("2001", "10.00", base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	refund, updated := render(shopifyfake.TopicRefundsCreate), render(shopifyfake.TopicOrdersUpdated)
	replay := shopifyfake.Delivery{Topic: refund[0].Topic, Header: refund[0].Header.Clone(), Body: refund[0].Body}
	replay.Header.Set("X-Shopify-Event-Id", "replayed-event")
	replay.Header.Set("X-Shopify-Webhook-Id", "replayed-delivery")
	order := []shopifyfake.Delivery{refund[2], updated[1], refund[0], created[3], replay, refund[1], created[0],
		updated[3], refund[3], created[1], updated[0], created[2], updated[2]}
	for i, d := range order {
		if err := b.fake.Post(ctx, b.url, d); err != nil {
			t.Fatalf("delivery %d (%s): %v", i, d.Topic, err)
		}
	}
	check := func(step string) {
		t.Helper()
		o, ok := b.storedID(t, "gid://shopify/Order/2001")
		if !ok || o.Refunded != ads.MustMicros("10") || o.Net != ads.MustMicros("43.05") {
			t.Errorf("%s: refunded %s net %s, want 10.00 and 43.05", step, ads.FormatMicros(o.Refunded, 2), ads.FormatMicros(o.Net, 2))
		}
	}
	check("after the webhooks")

	// The sync reads the same refund again.
	srv := newFakeServer(t, b.fake)
	c := shopify.New(shopify.Options{Shop: shopDomain, BaseURL: srv, AccessToken: token, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	if _, err := c.Orders(ctx, time.Time{}, func(os []ads.Order) error { _, err := b.db.UpsertOrders(ctx, os); return err }); err != nil {
		t.Fatal(err)
	}
	check("after the sync")
	for i, d := range order {
		if err := b.fake.Post(ctx, b.url, d); err != nil {
			t.Fatalf("redelivery %d (%s): %v", i, d.Topic, err)
		}
	}
	check("after the webhooks again")
	var refunds int
	if err := b.db.SQL().GetContext(ctx, &refunds, `SELECT count(*) FROM order_refunds`); err != nil {
		t.Fatal(err)
	}
	if refunds != 1 {
		t.Errorf("%d refunds recorded, want 1", refunds)
	}
	// Deliveries are deduplicated on the event: 13 deliveries (26 with the
	// redeliveries) of 4 events (the replay is an event of its own).
	var events int
	if err := b.db.SQL().GetContext(ctx, &events, `SELECT count(*) FROM shopify_webhooks WHERE order_id = $1`,
		"gid://shopify/Order/2001"); err != nil {
		t.Fatal(err)
	}
	if events != 4 {
		t.Errorf("%d deliveries recorded, want 4 (one per event)", events)
	}
}

// newFakeServer serves fake's GraphQL API on loopback.
func newFakeServer(t *testing.T, fake *shopifyfake.Server) string {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return srv.URL
}

// storedID is the stored order with GID id.
func (b *hookBundle) storedID(t *testing.T, id string) (ads.Order, bool) {
	t.Helper()
	os, err := b.db.Orders(context.Background(), shopDomain, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range os {
		if o.ID == id {
			return o, true
		}
	}
	return ads.Order{}, false
}
