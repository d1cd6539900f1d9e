package sandbox

import (
	"context"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/shopify"
)

func examples(t *testing.T) *configs.Set {
	t.Helper()
	set, err := configs.Load("../configs/examples")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// readOrders pages through every order of the campaign's shop through the
// real client, counting the pages.
func readOrders(t *testing.T, sb *Sandbox, since time.Time) ([]ads.Order, int) {
	t.Helper()
	srv := httptest.NewServer(sb.ShopifyHandler())
	defer srv.Close()
	cl := shopify.New(shopify.Options{Shop: shopOf(sb.Campaign.Brand), BaseURL: srv.URL, AccessToken: ShopifyToken})
	var got []ads.Order
	pages := 0
	if _, err := cl.Orders(context.Background(), since, func(b []ads.Order) error {
		pages++
		got = append(got, b...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got, pages
}

func TestShardedShopServesTheSamePages(t *testing.T) {
	t.Parallel()
	set := examples(t)
	c, err := NewCampaign(set, 1)
	if err != nil {
		t.Fatal(err)
	}
	fast := Options{ShopifyRestoreRate: 1e9, ShopifyMaximum: 1e9}
	one, err := NewWith(c, fast)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		shard int
		since time.Time
	}{
		{"shards of 100", 100, time.Time{}},
		{"shards of 7", 7, time.Time{}},
		{"shards of 71, since a week ago", 71, c.Now.AddDate(0, 0, -7)},
		{"one big shard", 1 << 20, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := fast
			o.ShopifyShard = tc.shard
			many, err := NewWith(c, o)
			if err != nil {
				t.Fatal(err)
			}
			want, wantPages := readOrders(t, one, tc.since)
			got, gotPages := readOrders(t, many, tc.since)
			if len(want) == 0 {
				t.Fatal("no orders read from the single fake")
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("sharded fake served %d orders, single fake %d (or they differ)", len(got), len(want))
			}
			// At most one extra call: the empty page that finds the last
			// shards have nothing more.
			if gotPages < wantPages || gotPages > wantPages+1 {
				t.Errorf("sharded fake took %d pages, single fake %d", gotPages, wantPages)
			}
			if calls := many.Calls()["SHOPIFY"]; calls < gotPages {
				t.Errorf("Calls()[SHOPIFY] = %d, want at least %d", calls, gotPages)
			}
		})
	}
}

func TestScaledCampaign(t *testing.T) {
	t.Parallel()
	set := examples(t)
	for _, sc := range []Scale{{Days: 45, Orders: 5000}, {Days: 10, Orders: 800}} {
		c, err := NewScaledCampaign(set, 3, sc)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Orders) != sc.Orders {
			t.Errorf("%+v: %d orders, want %d", sc, len(c.Orders), sc.Orders)
		}
		first := c.Today.AddDays(-sc.Days + 1)
		for _, s := range c.Stats {
			if s.Day.Before(first) || s.Day.After(c.Today) {
				t.Fatalf("%+v: stat on %s outside %s..%s", sc, s.Day, first, c.Today)
			}
		}
		again, _ := NewScaledCampaign(set, 3, sc)
		if !reflect.DeepEqual(again.Orders, c.Orders) {
			t.Errorf("%+v: the same seed gave different orders", sc)
		}
	}
}
