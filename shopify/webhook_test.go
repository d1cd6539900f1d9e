package shopify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
	"github.com/roasd/roasd/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var tmpl = storetest.Schema

const secret = "whsec_test_secret"

type hookBundle struct {
	fake *shopifyfake.Server
	db   *store.DB
	url  string
}

func setupHooks(t *testing.T) *hookBundle {
	t.Helper()
	db := storetest.Open(t)
	fake := shopifyfake.New(shopifyfake.Seed{
		Shop: shopifyfake.Shop{Name: "Glowco", Domain: shopDomain, Currency: "USD"},
		Orders: []shopifyfake.Order{{ID: "1001", CreatedAt: base, UpdatedAt: base, LineItems: "100.00", Discounts: "15.00",
			DiscountCodes: []string{"JACQ15"}, FirstVisit: &shopifyfake.Visit{LandingPage: "/?utm_source=jacqueline&utm_content=hook-a"}}},
	})
	// Mounted under an arbitrary path: the handler must not care.
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/shopify/anything", shopify.WebhookHandler(secret, db, slog.New(slog.DiscardHandler)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &hookBundle{fake: fake, db: db, url: srv.URL + "/hooks/shopify/anything"}
}

func (b *hookBundle) stored(t *testing.T) (ads.Order, bool) {
	t.Helper()
	os, err := b.db.Orders(context.Background(), shopDomain, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(os) == 0 {
		return ads.Order{}, false
	}
	return os[0], true
}

// post delivers body with the given headers and returns status and the
// "applied" field of the answer.
func post(t *testing.T, url string, body []byte, h map[string]string) (int, bool) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ack struct {
		Applied bool `json:"applied"`
	}
	json.NewDecoder(resp.Body).Decode(&ack)
	return resp.StatusCode, ack.Applied
}

func headers(topic, id string, body []byte, key string) map[string]string {
	return map[string]string{"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": id, "X-Shopify-Shop-Domain": shopDomain,
		"X-Shopify-Hmac-Sha256": shopifyfake.Sign(key, body), "Content-Type": "application/json"}
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":1001,"admin_graphql_api_id":"gid://shopify/Order/1001","name":"#1001","created_at":"2026-06-01T08:00:00-04:00",` +
		`"updated_at":"2026-06-01T08:00:00-04:00","cancelled_at":null,"currency":"USD","subtotal_price":"85.00","total_discounts":"15.00",` +
		`"discount_codes":[{"code":"JACQ15","amount":"15.00","type":"fixed_amount"}],"landing_site":"/?utm_content=hook-a","refunds":[]}`)
	tests := []struct {
		name    string
		h       map[string]string
		body    []byte
		want    int
		applied bool
	}{
		{"unsigned", map[string]string{"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "a", "X-Shopify-Shop-Domain": shopDomain}, body, 401, false},
		{"wrong secret", headers("orders/create", "b", body, "not-the-secret"), body, 401, false},
		{"tampered body", headers("orders/create", "c", body, secret), bytes.Replace(body, []byte("85.00"), []byte("8500.00"), 1), 401, false},
		{"not base64", func() map[string]string {
			h := headers("orders/create", "d", body, secret)
			h["X-Shopify-Hmac-Sha256"] = "%%%"
			return h
		}(), body, 401, false},
		{"hex instead of base64", func() map[string]string {
			h := headers("orders/create", "e", body, secret)
			h["X-Shopify-Hmac-Sha256"] = "6c6f6e67" + h["X-Shopify-Hmac-Sha256"]
			return h
		}(), body, 401, false},
		{"valid", headers("orders/create", "f", body, secret), body, 200, true},
		{"valid, other topic ignored", headers("products/update", "g", body, secret), body, 200, false},
		{"valid signature, malformed payload", headers("orders/create", "h", []byte(`{"id":`), secret), []byte(`{"id":`), 400, false},
	}
	b := setupHooks(t)
	for _, tc := range tests {
		got, applied := post(t, b.url, tc.body, tc.h)
		if got != tc.want || applied != tc.applied {
			t.Errorf("%s: status %d applied %v, want %d %v", tc.name, got, applied, tc.want, tc.applied)
		}
		if tc.want == 401 {
			if _, ok := b.stored(t); ok {
				t.Fatalf("%s: a rejected delivery stored an order", tc.name)
			}
		}
	}
	o, ok := b.stored(t)
	if !ok || o.Net != ads.MustMicros("85") || o.Gross != ads.MustMicros("100") || o.UTM.Content != "hook-a" ||
		len(o.DiscountCodes) != 1 || o.DiscountCodes[0] != "JACQ15" {
		t.Errorf("stored order = %+v", o)
	}
	// Wrong method.
	resp, err := http.Get(b.url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET status = %d, want 405", resp.StatusCode)
	}
}

func TestWebhookEmptySecretRejectsEverything(t *testing.T) {
	t.Parallel()
	h := shopify.WebhookHandler("", nil, nil)
	body := []byte(`{}`)
	req := httptest.NewRequest(http.MethodPost, "/x", bytes.NewReader(body))
	for k, v := range headers("orders/create", "x", body, "") {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401 when no secret is configured", rec.Code)
	}
}

func TestWebhookFlowFromFake(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupHooks(t)
	step := func(name string, send func() error, wantNet, wantRefunded string, wantCancelled bool) {
		t.Helper()
		if err := send(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		o, ok := b.stored(t)
		if !ok || o.Net != ads.MustMicros(wantNet) || o.Refunded != ads.MustMicros(wantRefunded) || o.Cancelled() != wantCancelled {
			t.Errorf("%s: stored %+v, want net %s refunded %s cancelled %v", name, o, wantNet, wantRefunded, wantCancelled)
		}
	}
	send := func(topic string) func() error {
		return func() error { return b.fake.SendWebhook(ctx, b.url, secret, topic, "1001") }
	}
	step("create", send(shopifyfake.TopicOrdersCreate), "85", "0", false)
	step("redelivery", send(shopifyfake.TopicOrdersCreate), "85", "0", false)
	step("refund", func() error {
		if _, err := b.fake.Refund("1001", "20.00", base.Add(time.Hour)); err != nil {
			return err
		}
		return send(shopifyfake.TopicRefundsCreate)()
	}, "65", "20", false)
	step("refund redelivered", send(shopifyfake.TopicRefundsCreate), "65", "20", false)
	step("orders/updated after the refund", send(shopifyfake.TopicOrdersUpdated), "65", "20", false)
	step("cancel", func() error {
		if err := b.fake.Cancel("1001", base.Add(2*time.Hour)); err != nil {
			return err
		}
		return send(shopifyfake.TopicOrdersUpdated)()
	}, "0", "20", true)
	if err := b.fake.SendWebhook(ctx, b.url, "wrong", shopifyfake.TopicOrdersUpdated, "1001"); err == nil {
		t.Error("SendWebhook with a wrong secret: got nil error, want the receiver's 401")
	}
	var hooks int
	if err := b.db.SQL().GetContext(ctx, &hooks, `SELECT count(*) FROM shopify_webhooks`); err != nil {
		t.Fatal(err)
	}
	if hooks != 4 {
		t.Errorf("%d distinct deliveries recorded, want 4 (create, refund, two updates)", hooks)
	}
}

func TestWebhookOutOfOrder(t *testing.T) {
	t.Parallel()
	b := setupHooks(t)
	mk := func(updated, subtotal string) []byte {
		return []byte(`{"id":7,"name":"#7","created_at":"2026-06-01T00:00:00Z","updated_at":"` + updated +
			`","currency":"USD","subtotal_price":"` + subtotal + `","total_discounts":"0.00","refunds":[]}`)
	}
	newer, older := mk("2026-06-01T02:00:00Z", "50.00"), mk("2026-06-01T01:00:00Z", "40.00")
	steps := []struct {
		name    string
		id      string
		body    []byte
		applied bool
	}{
		{"newer first", "n1", newer, true},
		{"older arrives late", "n2", older, false},
		{"duplicate of newer", "n1", newer, false},
	}
	for _, s := range steps {
		code, applied := post(t, b.url, s.body, headers("orders/updated", s.id, s.body, secret))
		if code != 200 || applied != s.applied {
			t.Errorf("%s: status %d applied %v, want 200 %v", s.name, code, applied, s.applied)
		}
	}
	if o, _ := b.stored(t); o.Net != ads.MustMicros("50") {
		t.Errorf("net = %d, want the newer 50.00", o.Net)
	}
}

func TestFromWebhookPayloads(t *testing.T) {
	t.Parallel()
	// Shaped like Shopify's documented refund resource: nested amounts may
	// be JSON numbers; 199.00 of line items (3.98 tax) refunded as 41.94,
	// so Shopify records a refund discrepancy of 161.04 in the merchant's
	// favour; a legacy shipping_refund adjustment is shipping, not product;
	// the transactions (in the customer's EUR) are not read.
	refund := []byte(`{"id":929361464,"order_id":450789469,"created_at":"2020-01-14T10:34:55-05:00",
		"processed_at":"2020-01-14T10:34:55-05:00","admin_graphql_api_id":"gid://shopify/Refund/929361464",
		"refund_line_items":[{"id":1,"quantity":1,"subtotal":199.0,"total_tax":3.98,
			"subtotal_set":{"shop_money":{"amount":"199.00","currency_code":"USD"},"presentment_money":{"amount":"183.08","currency_code":"EUR"}}}],
		"order_adjustments":[{"kind":"refund_discrepancy","amount":"161.04","amount_set":{"shop_money":{"amount":"161.04","currency_code":"USD"}}},
			{"kind":"shipping_refund","amount":"-8.00","amount_set":{"shop_money":{"amount":"-8.00","currency_code":"USD"}}}],
		"transactions":[{"id":1,"kind":"refund","status":"success","amount":"38.58","currency":"EUR"}]}`)
	o, err := shopify.RefundFromWebhook(shopDomain, refund)
	if err != nil {
		t.Fatal(err)
	}
	want := ads.Order{Shop: shopDomain, ID: "gid://shopify/Order/450789469", Refunded: ads.MustMicros("37.96"),
		RefundIDs: []string{"gid://shopify/Refund/929361464"}, UpdatedAt: time.Date(2020, 1, 14, 15, 34, 55, 0, time.UTC)}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("RefundFromWebhook = %+v, want %+v", o, want)
	}
	for _, bad := range []string{`{"id":1,"order_id":1,"refund_line_items":[{"subtotal":"1e3"}]}`, `{"id":1}`, `{"order_id":1}`, `[`} {
		if _, err := shopify.RefundFromWebhook(shopDomain, []byte(bad)); err == nil {
			t.Errorf("RefundFromWebhook(%s) = nil error", bad)
		}
	}
	for _, bad := range []string{`{"id":1,"created_at":"x","updated_at":"x","currency":"USD"}`,
		`{"id":1,"created_at":"2020-01-01T00:00:00Z","updated_at":"2020-01-01T00:00:00Z","currency":"USD","subtotal_price":"1.2345678"}`,
		`{"created_at":"2020-01-01T00:00:00Z"}`} {
		if _, err := shopify.OrderFromWebhook(shopDomain, []byte(bad)); err == nil {
			t.Errorf("OrderFromWebhook(%s) = nil error", bad)
		}
	}
}

func TestOrderWebhookWithoutAmountsIsRefused(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":450789469,"admin_graphql_api_id":"gid://shopify/Order/450789469","name":"#1001",
		"created_at":"2026-11-01T10:00:00-05:00","updated_at":"2026-11-01T10:00:00-05:00","currency":"USD"}`)
	if _, err := shopify.OrderFromWebhook(shopDomain, body); err == nil || !strings.Contains(err.Error(), "subtotal_price") {
		t.Fatalf("order without amounts: err = %v, want a refusal naming subtotal_price", err)
	}
	ok := []byte(`{"id":450789469,"admin_graphql_api_id":"gid://shopify/Order/450789469","name":"#1001",
		"created_at":"2026-11-01T10:00:00-05:00","updated_at":"2026-11-01T10:00:00-05:00","currency":"USD",
		"subtotal_price":"0.00","total_discounts":"0.00"}`)
	if _, err := shopify.OrderFromWebhook(shopDomain, ok); err != nil {
		t.Fatalf("a genuine $0 order was refused: %v", err)
	}
}

func TestWebhookUnknownShopRefused(t *testing.T) {
	t.Parallel()
	b := setupHooks(t)
	var refused []string
	h := shopify.WebhookHandler(secret, b.db, nil, shopify.OnlyShops(
		func(shop string) bool { return shop == shopDomain },
		func(shop string) { refused = append(refused, shop) }))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	body := []byte(`{"id":1001,"admin_graphql_api_id":"gid://shopify/Order/1001","name":"#1001","created_at":"2026-06-01T08:00:00Z",` +
		`"updated_at":"2026-06-01T08:00:00Z","currency":"USD","subtotal_price":"85.00","total_discounts":"15.00","refunds":[]}`)
	tests := []struct {
		name, shop string
		want       int
	}{
		{"a shop no brand configures", "stranger.myshopify.com", http.StatusForbidden},
		{"no shop header", "", http.StatusForbidden},
		{"the configured shop, any case", "GlowCo.myshopify.com", http.StatusOK},
	}
	for i, tc := range tests {
		h := headers("orders/create", fmt.Sprintf("s%d", i), body, secret)
		h["X-Shopify-Shop-Domain"] = tc.shop
		if got, _ := post(t, srv.URL, body, h); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	if want := []string{"stranger.myshopify.com", ""}; !slices.Equal(refused, want) {
		t.Errorf("refused shops = %q, want %q", refused, want)
	}
	var n int
	if err := b.db.SQL().GetContext(context.Background(), &n, `SELECT count(*) FROM orders WHERE shop <> $1`, shopDomain); err != nil {
		t.Fatal(err)
	}
	var hooks int
	if err := b.db.SQL().GetContext(context.Background(), &hooks, `SELECT count(*) FROM shopify_webhooks`); err != nil {
		t.Fatal(err)
	}
	if n != 0 || hooks != 1 {
		t.Errorf("stored %d orders of other shops and %d deliveries, want 0 and 1", n, hooks)
	}
}

// TestWebhookShopSecrets: a brand's shops may each run their own custom
// app, which signs with its own secret; a delivery verifies with its
// shop's secret, else the handler's, and a delivery signed by one shop's
// app but naming another shop is refused.
func TestWebhookShopSecrets(t *testing.T) {
	t.Parallel()
	b := setupHooks(t)
	const euShop, euSecret = "glowco-eu.myshopify.com", "eu-app-secret"
	h := shopify.WebhookHandler(secret, b.db, nil,
		shopify.OnlyShops(func(shop string) bool { return shop == shopDomain || shop == euShop }, nil),
		shopify.ShopSecrets(func(shop string) string {
			if shop == euShop {
				return euSecret
			}
			return ""
		}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	body := []byte(`{"id":1001,"admin_graphql_api_id":"gid://shopify/Order/1001","name":"#1001","created_at":"2026-06-01T08:00:00Z",` +
		`"updated_at":"2026-06-01T08:00:00Z","currency":"USD","subtotal_price":"85.00","total_discounts":"15.00","refunds":[]}`)
	tests := []struct {
		name, shop, signedWith string
		want                   int
	}{
		{"the EU shop with its own secret", euShop, euSecret, http.StatusOK},
		{"the EU shop with the shared secret", euShop, secret, http.StatusUnauthorized},
		{"the other shop with the shared secret", shopDomain, secret, http.StatusOK},
		{"the other shop with the EU app's secret", shopDomain, euSecret, http.StatusUnauthorized},
	}
	for i, tc := range tests {
		h := headers("orders/create", fmt.Sprintf("k%d", i), body, tc.signedWith)
		h["X-Shopify-Shop-Domain"] = tc.shop
		if got, _ := post(t, srv.URL, body, h); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
}
