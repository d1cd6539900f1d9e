package shopify_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

const (
	shopDomain = "glowco.myshopify.com"
	token      = "shpat_secret_token_123"
)

var base = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// seedOrders makes n plain orders updated one minute apart.
func seedOrders(n int) []shopifyfake.Order {
	var os []shopifyfake.Order
	for i := range n {
		at := base.Add(time.Duration(i) * time.Minute)
		os = append(os, shopifyfake.Order{ID: fmt.Sprint(1000 + i), CreatedAt: at, UpdatedAt: at,
			LineItems: "100.00", Discounts: "15.00", DiscountCodes: []string{"JACQ15"}})
	}
	return os
}

type bundle struct {
	fake   *shopifyfake.Server
	srv    *httptest.Server
	client *shopify.Client
}

func setup(t *testing.T, seed shopifyfake.Seed, mod ...func(*shopify.Options)) *bundle {
	t.Helper()
	seed.Shop = shopifyfake.Shop{Name: "Glowco", Domain: shopDomain, Currency: "USD", Timezone: "America/New_York"}
	if seed.AccessToken == "" {
		seed.AccessToken = token
	}
	if seed.RestoreRate == 0 {
		seed.RestoreRate = 1e6 // effectively unthrottled unless a test says so
	}
	fake := shopifyfake.New(seed)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	o := shopify.Options{Shop: shopDomain, BaseURL: srv.URL, AccessToken: token, RetryMax: 3,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond}
	for _, m := range mod {
		m(&o)
	}
	return &bundle{fake: fake, srv: srv, client: shopify.New(o)}
}

func collect(t *testing.T, c *shopify.Client, since time.Time) ([]ads.Order, time.Time) {
	t.Helper()
	var all []ads.Order
	hw, err := c.Orders(context.Background(), since, func(b []ads.Order) error {
		all = append(all, b...)
		return nil
	})
	if err != nil {
		t.Fatalf("Orders(%v): %v", since, err)
	}
	return all, hw
}

func TestOrderMapping(t *testing.T) {
	t.Parallel()
	created := base.Add(2 * time.Hour)
	b := setup(t, shopifyfake.Seed{Orders: []shopifyfake.Order{{
		ID: "1001", Name: "#1001", CreatedAt: created, UpdatedAt: created.Add(time.Minute),
		LineItems: "120.50", Discounts: "18.08", DiscountCodes: []string{"JACQ15"}, Test: true,
		Refunds:    []shopifyfake.Refund{{ID: "1", CreatedAt: created.Add(time.Minute), Amount: "10.005"}},
		FirstVisit: &shopifyfake.Visit{LandingPage: "/?utm_source=ig", Source: "ig"},
		LastVisit: &shopifyfake.Visit{LandingPage: "/products/serum?utm_content=hook-a", Source: "jacqueline",
			Medium: "paid_social", Campaign: "summer-serum-hooks", Content: "hook-a"},
	}, {
		// No UTM parameters reported: fall back to the landing page's query.
		ID: "1002", CreatedAt: created, UpdatedAt: created.Add(2 * time.Minute), LineItems: "10",
		LastVisit: &shopifyfake.Visit{LandingPage: "/p?utm_source=jacqueline&utm_content=hook-b"},
	}}})
	got, hw := collect(t, b.client, time.Time{})
	want := []ads.Order{{
		Shop: shopDomain, ID: "gid://shopify/Order/1001", Name: "#1001", CreatedAt: created, UpdatedAt: created.Add(time.Minute),
		Currency: "USD", Gross: ads.MustMicros("120.50"), Discounts: ads.MustMicros("18.08"),
		Refunded: ads.MustMicros("10.01"), Net: ads.MustMicros("92.41"), RefundIDs: []string{"gid://shopify/Refund/1"},
		DiscountCodes: []string{"JACQ15"},
		UTM:           ads.UTM{Source: "jacqueline", Medium: "paid_social", Campaign: "summer-serum-hooks", Content: "hook-a"},
		LandingPage:   "/products/serum?utm_content=hook-a", FirstUTM: ads.UTM{Source: "ig"}, FirstLandingPage: "/?utm_source=ig",
		Test: true,
	}, {
		Shop: shopDomain, ID: "gid://shopify/Order/1002", Name: "#1002", CreatedAt: created, UpdatedAt: created.Add(2 * time.Minute),
		Currency: "USD", Gross: ads.MustMicros("10"), Net: ads.MustMicros("10"),
		UTM: ads.UTM{Source: "jacqueline", Content: "hook-b"}, LandingPage: "/p?utm_source=jacqueline&utm_content=hook-b",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("orders:\n got %+v\nwant %+v", got, want)
	}
	if !hw.Equal(created.Add(2 * time.Minute)) {
		t.Errorf("high water = %v, want %v", hw, created.Add(2*time.Minute))
	}
}

func TestOrdersIncrementalSync(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Seed{Orders: seedOrders(160)})
	ctx := context.Background()

	all, hw := collect(t, b.client, time.Time{})
	if len(all) != 160 {
		t.Fatalf("backfill got %d orders, want 160", len(all))
	}
	calls := b.fake.Calls()
	if len(calls) != 3 { // 66 + 66 + 28
		t.Errorf("backfill took %d calls, want 3 pages of %d", len(calls), shopify.MaxPageSize)
	}
	for _, c := range calls {
		if c.Variables["first"] != float64(shopify.MaxPageSize) {
			t.Errorf("page size variable = %v, want %d", c.Variables["first"], shopify.MaxPageSize)
		}
	}
	if want := base.Add(159 * time.Minute); !hw.Equal(want) {
		t.Errorf("high water = %v, want %v", hw, want)
	}

	// Changes after the first sync: an update, a cancellation, a refund.
	later := base.Add(5 * time.Hour)
	o, _ := b.fake.Order("1003")
	o.UpdatedAt, o.Name = later, "#1003-edited"
	if err := b.fake.UpsertOrder(o); err != nil {
		t.Fatal(err)
	}
	if err := b.fake.Cancel("1004", later.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.fake.Refund("gid://shopify/Order/1005", "35.00", later.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}

	overlap := 15 * time.Minute
	got, hw2 := collect(t, b.client, hw.Add(-overlap))
	byID := map[string]ads.Order{}
	for _, o := range got {
		byID[strings.TrimPrefix(o.ID, "gid://shopify/Order/")] = o
	}
	// 16 orders inside the overlap (minutes 144..159) plus the 3 changed.
	if len(got) != 19 {
		t.Errorf("incremental sync got %d orders, want 19", len(got))
	}
	tests := []struct {
		id                   string
		name                 string
		refunded, net        string
		cancelled, wantFound bool
	}{
		{"1003", "#1003-edited", "0", "85", false, true},
		{"1004", "#1004", "0", "0", true, true},
		{"1005", "#1005", "35", "50", false, true},
		{"1006", "", "", "", false, false},
	}
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if ok != tc.wantFound {
			t.Errorf("order %s found = %v, want %v", tc.id, ok, tc.wantFound)
			continue
		}
		if !ok {
			continue
		}
		if o.Name != tc.name || o.Refunded != ads.MustMicros(tc.refunded) || o.Net != ads.MustMicros(tc.net) || o.Cancelled() != tc.cancelled {
			t.Errorf("order %s = name %q refunded %d net %d cancelled %v; want %q %s %s %v", tc.id, o.Name, o.Refunded, o.Net,
				o.Cancelled(), tc.name, tc.refunded, tc.net, tc.cancelled)
		}
	}
	if want := later.Add(2 * time.Minute); !hw2.Equal(want) {
		t.Errorf("second high water = %v, want %v", hw2, want)
	}
	last := b.fake.Calls()[len(b.fake.Calls())-1]
	if q, _ := last.Variables["query"].(string); q != shopify.UpdatedFilter(hw.Add(-overlap)) || q == "" {
		t.Errorf("incremental query filter = %q", q)
	}

	// Nothing changed since: an empty sync keeps a zero high water.
	if got, hw3 := collect(t, b.client, hw2.Add(time.Second)); len(got) != 0 || !hw3.IsZero() {
		t.Errorf("empty sync got %d orders, high water %v", len(got), hw3)
	}

	// An error from the callback stops the sync and is returned as is.
	stop := errors.New("disk full")
	if _, err := b.client.Orders(ctx, time.Time{}, func([]ads.Order) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error: got %v, want %v", err, stop)
	}
}

func TestThrottling(t *testing.T) {
	t.Parallel()
	t.Run("waits after THROTTLED and succeeds", func(t *testing.T) {
		t.Parallel()
		// A 996-point page needs ~50ms of restore at 20000 points/s.
		b := setup(t, shopifyfake.Seed{Orders: seedOrders(150), MaximumAvailable: 1000, RestoreRate: 20000},
			func(o *shopify.Options) { o.RetryWaitMax = time.Second })
		b.fake.SetAvailable(0)
		start := time.Now()
		all, _ := collect(t, b.client, time.Time{})
		if len(all) != 150 {
			t.Fatalf("got %d orders, want 150", len(all))
		}
		throttled := 0
		for _, c := range b.fake.Calls() {
			if c.Throttled {
				throttled++
			}
		}
		if throttled > 1 {
			t.Errorf("%d throttled calls, want at most 1 (the client must wait for the bucket, not hammer)", throttled)
		}
		if el := time.Since(start); el < 100*time.Millisecond {
			t.Errorf("three pages from an empty 1000-point bucket took %v; the client did not wait for restore", el)
		}
	})
	t.Run("gives up as rate limited", func(t *testing.T) {
		t.Parallel()
		b := setup(t, shopifyfake.Seed{Orders: seedOrders(3), RestoreRate: 0.001},
			func(o *shopify.Options) { o.RetryWaitMax = 2 * time.Millisecond })
		b.fake.SetAvailable(0)
		_, err := b.client.Orders(context.Background(), time.Time{}, func([]ads.Order) error { return nil })
		var ae *ads.APIError
		if !errors.As(err, &ae) || ae.Kind != ads.KindRateLimited || ae.Platform != ads.Shopify || !ae.Retryable() {
			t.Fatalf("got %v, want a rate-limited shopify APIError", err)
		}
		if ae.RetryAfter <= 0 {
			t.Errorf("RetryAfter = %v, want the restore time", ae.RetryAfter)
		}
	})
	t.Run("context cancel stops the wait", func(t *testing.T) {
		t.Parallel()
		b := setup(t, shopifyfake.Seed{Orders: seedOrders(3), RestoreRate: 0.001},
			func(o *shopify.Options) { o.RetryWaitMax = time.Hour })
		b.fake.SetAvailable(0)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := b.client.Orders(ctx, time.Time{}, func([]ads.Order) error { return nil })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		token    string
		fail     int
		status   int
		wantKind ads.ErrorKind
		wantOK   bool
	}{
		{"wrong token", "shpat_wrong_token_456", 0, 0, ads.KindAuth, false},
		{"transient 503 retried", token, 2, http.StatusServiceUnavailable, 0, true},
		{"persistent 500", token, 10, http.StatusInternalServerError, ads.KindTransient, false},
		{"402 frozen shop", token, 1, http.StatusPaymentRequired, ads.KindPermission, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, shopifyfake.Seed{Orders: seedOrders(2)}, func(o *shopify.Options) { o.AccessToken = tc.token })
			if tc.fail > 0 {
				b.fake.FailNext(tc.fail, tc.status)
			}
			_, err := b.client.Orders(context.Background(), time.Time{}, func([]ads.Order) error { return nil })
			if tc.wantOK {
				if err != nil {
					t.Fatalf("got %v, want success after retries", err)
				}
				return
			}
			var ae *ads.APIError
			if !errors.As(err, &ae) || ae.Kind != tc.wantKind || ae.Account != shopDomain || ae.Op != "orders" {
				t.Fatalf("got %#v (%v), want APIError kind %v", ae, err, tc.wantKind)
			}
			for _, secret := range []string{tc.token, token} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error text %q contains the access token", err)
				}
			}
		})
	}
}

func TestShop(t *testing.T) {
	t.Parallel()
	b := setup(t, shopifyfake.Seed{})
	got, err := b.client.Shop(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := shopify.ShopInfo{Name: "Glowco", Currency: "USD", Timezone: "America/New_York"}
	if got != want {
		t.Errorf("Shop = %+v, want %+v", got, want)
	}
}

func TestDefaultBaseURLIsShopHost(t *testing.T) {
	t.Parallel()
	// With no BaseURL the client must call https://{shop}/admin/api/...;
	// a transport that records the URL shows it without any network.
	var gotURL string
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		gotURL = r.URL.String()
		return nil, errors.New("offline")
	})}
	c := shopify.New(shopify.Options{Shop: shopDomain, AccessToken: token, HTTPClient: hc, RetryMax: 1,
		RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	_, err := c.Shop(context.Background())
	if want := "https://" + shopDomain + "/admin/api/" + shopify.DefaultAPIVersion + "/graphql.json"; gotURL != want {
		t.Errorf("URL = %q, want %q", gotURL, want)
	}
	var ae *ads.APIError
	if !errors.As(err, &ae) || ae.Kind != ads.KindTransient || strings.Contains(err.Error(), token) {
		t.Errorf("offline error = %v, want a transient APIError without the token", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestAPIVersionServedAsAsked: on 2026-11-28 Shopify serves the pinned
// version itself (2025-07, the old pin, had fallen forward to 2026-01);
// a version that falls forward is noticed: one warning, and every such
// answer reported to VersionServed (the daemon counts them).
func TestAPIVersionServedAsAsked(t *testing.T) {
	t.Parallel()
	nov28 := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	type served struct{ requested, served string }
	for _, tc := range []struct {
		name    string
		version string
		want    []served
		warns   int
	}{
		{"the pinned version", "", nil, 0},
		{"an expired version falls forward", "2025-07", []served{{"2025-07", "2026-01"}, {"2025-07", "2026-01"}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs strings.Builder
			var mu sync.Mutex
			var got []served
			b := setup(t, shopifyfake.Seed{Now: nov28}, func(o *shopify.Options) {
				o.APIVersion = tc.version
				o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
				o.VersionServed = func(r, s string) {
					mu.Lock()
					defer mu.Unlock()
					got = append(got, served{r, s})
				}
			})
			for range 2 {
				if _, err := b.client.Shop(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("VersionServed calls %v, want %v", got, tc.want)
			}
			if n := strings.Count(logs.String(), "another Admin API version"); n != tc.warns {
				t.Errorf("%d warnings, want %d:\n%s", n, tc.warns, logs.String())
			}
		})
	}
	if shopify.DefaultAPIVersion != "2026-10" {
		t.Errorf("DefaultAPIVersion %s, want the stable version of 2026-11-28, 2026-10", shopify.DefaultAPIVersion)
	}
}
