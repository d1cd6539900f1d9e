package shopify_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

// TestTwoShopsBehindOneURL serves two shops behind one base URL, as the
// sandbox does, and addresses each through a {shop} template: orders,
// shop details, static tokens, bulk operations and the query-cost bucket
// are each shop's own, and a shop the fake does not serve is refused with
// 404 Not Found instead of being answered by another shop.
func TestTwoShopsBehindOneURL(t *testing.T) {
	t.Parallel()
	const euShop = "hautwerk.myshopify.com"
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	us := shopifyfake.New(shopifyfake.Seed{Shop: shopifyfake.Shop{Name: "Glowco", Domain: shopDomain, Currency: "USD", Timezone: "America/New_York"},
		AccessToken: token, RestoreRate: 1e-3, MaximumAvailable: 2000,
		Orders: []shopifyfake.Order{{ID: "1001", UpdatedAt: at(1), LineItems: "100.00"}, {ID: "1002", UpdatedAt: at(2), LineItems: "50.00"}}})
	eu := shopifyfake.New(shopifyfake.Seed{Shop: shopifyfake.Shop{Name: "Hautwerk", Domain: euShop, Currency: "EUR", Timezone: "Europe/Berlin"},
		AccessToken: "shpat_eu", RestoreRate: 1e6,
		Orders: []shopifyfake.Order{{ID: "1001", UpdatedAt: at(3), LineItems: "70.00"}}})
	shops := shopifyfake.NewShops(us, eu)
	srv := httptest.NewServer(shops)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { shops.Close() })
	tmpl := shopifyfake.ShopURL(srv.URL)
	client := func(shop, tok string) *shopify.Client {
		return shopify.New(shopify.Options{Shop: shop, BaseURL: tmpl, AccessToken: tok, RetryMax: 1,
			RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, BulkPollMin: time.Millisecond, BulkPollMax: 5 * time.Millisecond})
	}
	ctx := context.Background()
	usc, euc := client(shopDomain, token), client(euShop, "shpat_eu")

	for _, tc := range []struct {
		c        *shopify.Client
		shop     string
		currency string
		want     []string // order id:net
	}{
		{usc, shopDomain, "USD", []string{"gid://shopify/Order/1001:100", "gid://shopify/Order/1002:50"}},
		{euc, euShop, "EUR", []string{"gid://shopify/Order/1001:70"}},
	} {
		info, err := tc.c.Shop(ctx)
		if err != nil || info.Currency != tc.currency {
			t.Errorf("%s: Shop = %+v, %v; want currency %s", tc.shop, info, err, tc.currency)
		}
		orders, _ := collect(t, tc.c, time.Time{})
		var got []string
		for _, o := range orders {
			if o.Shop != tc.shop || o.Currency != tc.currency {
				t.Errorf("%s: order %s is of shop %s in %s", tc.shop, o.ID, o.Shop, o.Currency)
			}
			got = append(got, o.ID+":"+ads.FormatMicros(o.Net, 0))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: orders %v, want %v", tc.shop, got, tc.want)
		}
	}

	// Each shop's bulk operation runs beside the other's (one running
	// operation per shop), and its file is the shop's own.
	usOp, err := usc.StartBulkOrders(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	euOp, err := euc.StartBulkOrders(ctx, time.Time{})
	if err != nil {
		t.Fatalf("a bulk operation of %s blocks %s's: %v", shopDomain, euShop, err)
	}
	for _, tc := range []struct {
		c    *shopify.Client
		id   string
		want int64
	}{{usc, usOp.ID, 2}, {euc, euOp.ID, 1}} {
		op, err := tc.c.WaitBulk(ctx, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		n, err := tc.c.BulkOrdersFile(ctx, op, 10, func([]ads.Order) error { return nil })
		if err != nil || n != tc.want {
			t.Errorf("bulk file of operation %s: %d orders, %v; want %d", tc.id, n, err, tc.want)
		}
	}

	// One shop's empty bucket does not throttle the other.
	us.SetAvailable(0)
	if _, err := euc.Shop(ctx); err != nil {
		t.Errorf("%s throttled by %s's bucket: %v", euShop, shopDomain, err)
	}
	for _, c := range eu.Calls() {
		if c.Throttled {
			t.Errorf("%s answered THROTTLED: %+v", euShop, c)
		}
	}

	// A token is one shop's: the other refuses it.
	var ae *ads.APIError
	if _, err := client(euShop, token).Shop(ctx); !errors.As(err, &ae) || ae.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("%s's token at %s: %v, want 401", shopDomain, euShop, err)
	}

	// A shop the fake does not serve: 404, as Shopify answers for a
	// domain with no shop, never another shop's data.
	ae = nil
	_, err = client("nobody.myshopify.com", token).Shop(ctx)
	if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusNotFound || ae.Account != "nobody.myshopify.com" {
		t.Errorf("unknown shop: %v, want 404 naming the shop", err)
	}
	resp, err := http.Post(srv.URL+"/admin/api/2026-10/graphql.json", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a request naming no shop: status %d, want 404", resp.StatusCode)
	}
}
