package shopify_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

// TestOrdersByID reads 140 known orders and 2 gone ones by id: three
// nodes(ids:) queries (66 + 66 + 10 ids), each within Shopify's cost
// limit and input limit, the orders decoded exactly as the order sync
// decodes them (a journey not ready yet included), the gone ids returned
// as missing.
func TestOrdersByID(t *testing.T) {
	t.Parallel()
	seed := seedOrders(150)
	for i := range seed {
		v := &shopifyfake.Visit{LandingPage: "/p?utm_content=hook-a", Source: "ig", Content: "hook-a"}
		seed[i].FirstVisit, seed[i].LastVisit = v, v
		if i%3 == 0 {
			seed[i].JourneyReadyAt = base.Add(48 * time.Hour)
		}
	}
	b := setup(t, shopifyfake.Seed{Orders: seed, MaximumAvailable: 1e6, Now: func() time.Time { return base.Add(3 * time.Hour) }})
	synced, _ := collect(t, b.client, time.Time{})
	want := map[string]ads.Order{}
	for _, o := range synced {
		want[o.ID] = o
	}
	var ids []string
	for i := range 140 {
		ids = append(ids, fmt.Sprintf("gid://shopify/Order/%d", 1000+i))
	}
	gone := []string{"gid://shopify/Order/9999998", "gid://shopify/Order/9999999"}
	ids = append(ids[:70], append(append([]string(nil), gone...), ids[70:]...)...)
	before := len(b.fake.Calls())
	var got []ads.Order
	missing, err := b.client.OrdersByID(context.Background(), ids, func(os []ads.Order) error {
		got = append(got, os...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(missing, gone) {
		t.Errorf("missing = %v, want %v", missing, gone)
	}
	if len(got) != 140 {
		t.Fatalf("read %d orders, want 140", len(got))
	}
	pending := 0
	for _, o := range got {
		if !reflect.DeepEqual(o, want[o.ID]) {
			t.Errorf("order %s by id:\n%+v\nwant as synced:\n%+v", o.ID, o, want[o.ID])
		}
		if o.JourneyPending {
			pending++
		}
	}
	if pending != 47 {
		t.Errorf("%d orders with a pending journey, want 47", pending)
	}
	calls := b.fake.Calls()[before:]
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3 (142 ids, %d a query)", len(calls), shopify.MaxIDsPerQuery)
	}
	for _, c := range calls {
		if c.Op != "nodes" || c.RequestedCost > shopifyfake.MaxQueryCost || len(c.Variables["ids"].([]any)) > shopifyfake.MaxInputSize {
			t.Errorf("call %s: cost %d, %d ids; want nodes within the cost and input limits", c.Op, c.RequestedCost, len(c.Variables["ids"].([]any)))
		}
	}
}
