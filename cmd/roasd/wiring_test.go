package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

// TestShopifyClientsFromConcurrentLanes: lanes of several shops ask for
// their clients at once (run --once runs one lane per shop); each shop
// gets one client, and under -race the cache shows no race (it was an
// unlocked map: "concurrent map writes").
func TestShopifyClientsFromConcurrentLanes(t *testing.T) {
	t.Parallel()
	env := &cmdEnv{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string {
		return map[string]string{"SHOPIFY_ACCESS_TOKEN": "shpat_test", "SHOPIFY_API_URL": "http://127.0.0.1:1"}[k]
	}}
	m := jobs.NewMetrics(prometheus.NewRegistry())
	d, err := newDeps(env, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), m, "http://127.0.0.1:8081/", "test/1", time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	shops := []string{"a.myshopify.com", "b.myshopify.com", "c.myshopify.com", "d.myshopify.com"}
	got := make([][]*shopify.Client, len(shops))
	var wg sync.WaitGroup
	for i, shop := range shops {
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := d.Shopify(shop)
				_ = c
			}()
		}
		got[i] = append(got[i], d.Shopify(shop))
	}
	wg.Wait()
	for i, shop := range shops {
		if again := d.Shopify(shop); again != got[i][0] {
			t.Errorf("shop %s got two clients", shop)
		}
	}
}

// TestShopifyTokenPerShop: a brand with several shops gives each its own
// static token (SHOPIFY_ACCESS_TOKEN_<SHOP>, a legacy custom app belongs
// to one shop); a shop without one takes SHOPIFY_ACCESS_TOKEN, and
// checkSecrets names the variable a shop lacks — never a token.
func TestShopifyTokenPerShop(t *testing.T) {
	t.Parallel()
	for shop, want := range map[string]string{
		"glowco-eu.myshopify.com": "SHOPIFY_ACCESS_TOKEN_GLOWCO_EU",
		"Glow2.MyShopify.com":     "SHOPIFY_ACCESS_TOKEN_GLOW2",
	} {
		if got := shopifyTokenKey(shop); got != want {
			t.Errorf("shopifyTokenKey(%s) = %s, want %s", shop, got, want)
		}
	}
	// One fake per shop, each accepting only its own token, behind one
	// SHOPIFY_API_URL: the token picks the shop.
	fakes := map[string]*shopifyfake.Server{
		"shpat_eu": shopifyfake.New(shopifyfake.Seed{Shop: shopifyfake.Shop{Name: "glowco EU", Domain: "glowco-eu.myshopify.com", Currency: "EUR", Timezone: "Europe/Berlin"}, AccessToken: "shpat_eu"}),
		"shpat_us": shopifyfake.New(shopifyfake.Seed{Shop: shopifyfake.Shop{Name: "glowco US", Domain: "glowco-us.myshopify.com", Currency: "USD", Timezone: "America/New_York"}, AccessToken: "shpat_us"}),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := fakes[r.Header.Get("X-Shopify-Access-Token")]
		if !ok {
			http.Error(w, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`, http.StatusUnauthorized)
			return
		}
		f.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	vars := map[string]string{"SHOPIFY_ACCESS_TOKEN": "shpat_us", "SHOPIFY_ACCESS_TOKEN_GLOWCO_EU": "shpat_eu", "SHOPIFY_API_URL": srv.URL}
	env := &cmdEnv{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return vars[k] }}
	d, err := newDeps(env, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.NewMetrics(prometheus.NewRegistry()), "http://127.0.0.1:8081/", "test/1", time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	for shop, want := range map[string]string{"glowco-eu.myshopify.com": "glowco EU", "glowco-us.myshopify.com": "glowco US"} {
		info, err := d.Shopify(shop).Shop(context.Background())
		if err != nil || info.Name != want {
			t.Errorf("%s answered %+v, %v; want %s", shop, info, err, want)
		}
	}

	set := &configs.Set{Brands: []*configs.Brand{{Name: "glowco",
		Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: "glowco-us.myshopify.com"}, {Shop: "glowco-eu.myshopify.com"}}}}}}
	if err := checkSecrets(env, set); err != nil {
		t.Errorf("checkSecrets with a token for each shop: %v", err)
	}
	delete(vars, "SHOPIFY_ACCESS_TOKEN")
	err = checkSecrets(env, set)
	if err == nil || !strings.Contains(err.Error(), "glowco-us.myshopify.com") || !strings.Contains(err.Error(), "SHOPIFY_ACCESS_TOKEN_GLOWCO_US") ||
		strings.Contains(err.Error(), "glowco-eu") || strings.Contains(err.Error(), "shpat_") {
		t.Errorf("checkSecrets without the US shop's token: %v; want it to name that shop and its variable only", err)
	}
}

// TestServesEveryShopOfABrand: the Shopify webhook receiver takes the
// orders of each of a brand's shops and of no unknown shop.
func TestServesEveryShopOfABrand(t *testing.T) {
	t.Parallel()
	d := &daemon{set: &configs.Set{Brands: []*configs.Brand{
		{Name: "glowco", Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: "glowco-us.myshopify.com"}, {Shop: "glowco-eu.myshopify.com"}}}},
		{Name: "lunaskin", Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: "lunaskin.myshopify.com"}}}},
	}}}
	for shop, want := range map[string]bool{"glowco-us.myshopify.com": true, "glowco-eu.myshopify.com": true, "lunaskin.myshopify.com": true,
		"glowco.myshopify.com": false, "stranger.myshopify.com": false} {
		if got := d.servesShop(shop); got != want {
			t.Errorf("servesShop(%s) = %v, want %v", shop, got, want)
		}
	}
}
