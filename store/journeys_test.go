package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
)

// TestJourneyBackoff follows orders whose journey is not ready through
// their re-reads: an order first read 5 minutes after its creation is due
// again 15 minutes later, then after waits as long as its age (about 30,
// 60, 120 minutes … of age), for the last time 48 hours after its
// creation, then never; one read late (three hours old) waits three
// hours; another shop's order is not due in this shop; an order that
// became ready, or that Shopify no longer returns, is not due again.
// Scheduling twice at the same now changes nothing.
func TestJourneyBackoff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	pending := func(id string, created time.Time, shop string) ads.Order {
		return order(id, func(o *ads.Order) {
			o.CreatedAt, o.UpdatedAt, o.JourneyPending, o.Shop = created, created, true, shop
			o.UTM, o.LandingPage, o.FirstUTM, o.FirstLandingPage = ads.UTM{}, "", ads.UTM{}, ""
		})
	}
	const glow, haut = "glowco.myshopify.com", "hautwerk.myshopify.com"
	id := func(n string) string { return "gid://shopify/Order/" + n }
	read := t0.Add(5 * time.Minute)
	if _, err := db.UpsertOrders(ctx, []ads.Order{
		pending("1", t0, glow),                    // read 5 min after its creation
		pending("2", t0.Add(-3*time.Hour), glow),  // read three hours after its creation
		pending("3", t0, glow),                    // becomes ready at its first re-read
		pending("4", t0, glow),                    // deleted before its first re-read
		pending("5", t0, haut),                    // the other brand's shop
		pending("6", t0.Add(-49*time.Hour), glow), // past the 48 hours at its first read
	}); err != nil {
		t.Fatal(err)
	}
	schedule := func(shop string, ids []string, now time.Time) int64 {
		t.Helper()
		n, err := db.ScheduleJourneys(ctx, shop, ids, now)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	due := func(shop string, now time.Time) []string {
		t.Helper()
		ids, err := db.DueJourneys(ctx, shop, now)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if n := schedule(glow, nil, read); n != 5 {
		t.Errorf("scheduled %d orders after the first read, want 5", n)
	}
	if n := schedule(glow, nil, read); n != 0 {
		t.Errorf("scheduling again at the same now changed %d orders", n)
	}
	schedule(haut, nil, read)
	if got := due(glow, t0.Add(19*time.Minute)); len(got) != 0 {
		t.Errorf("due 19 min after creation: %v, want none", got)
	}
	at20 := t0.Add(20 * time.Minute)
	if got, want := due(glow, at20), []string{id("1"), id("3"), id("4")}; !reflect.DeepEqual(got, want) {
		t.Errorf("due 20 min after creation: %v, want %v", got, want)
	}
	// The re-read: 3 is ready now, 4 is gone, 1 still pending.
	if _, err := db.UpsertOrders(ctx, []ads.Order{order("3", func(o *ads.Order) { o.CreatedAt, o.UpdatedAt = t0, t0 })}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.DropJourneys(ctx, glow, []string{id("4")}); err != nil || n != 1 {
		t.Fatalf("DropJourneys = %d, %v; want 1 order", n, err)
	}
	if n := schedule(glow, []string{id("1"), id("3"), id("4")}, at20); n != 1 {
		t.Errorf("rescheduled %d orders after the re-read, want 1 (order 1)", n)
	}
	// Order 1, read at 20 min of age, waits 20 min; order 2, read at 3 h
	// 5 min, waits as long.
	for _, tc := range []struct {
		at   time.Duration
		want []string
	}{
		{39 * time.Minute, nil},
		{40 * time.Minute, []string{id("1")}},
		{3*time.Hour + 5*time.Minute + 3*time.Hour, []string{id("1"), id("2")}},
	} {
		if got := due(glow, t0.Add(tc.at)); !reflect.DeepEqual(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("due at %v of age: %v, want %v", tc.at, got, tc.want)
		}
	}
	// Order 1 re-read at 40 min (age 40) is due at 80 min; read then, at
	// 160; … the last read is at 48 h, then it is given up.
	var ages []time.Duration
	for now := t0.Add(40 * time.Minute); ; {
		ages = append(ages, now.Sub(t0))
		schedule(glow, []string{id("1")}, now)
		var next time.Time
		if err := db.SQL().GetContext(ctx, &next, `SELECT LEAST(journey_check_at, '3000-01-01') FROM orders WHERE order_id = $1`, id("1")); err != nil {
			t.Fatal(err)
		}
		if next.After(t0.Add(100 * time.Hour)) {
			break
		}
		now = next
	}
	want := []time.Duration{40 * time.Minute, 80 * time.Minute, 160 * time.Minute, 320 * time.Minute, 640 * time.Minute,
		1280 * time.Minute, 2560 * time.Minute, 48 * time.Hour}
	if !reflect.DeepEqual(ages, want) {
		t.Errorf("order 1 read at ages %v, want %v", ages, want)
	}
	if got := due(glow, t0.Add(1000*time.Hour)); !reflect.DeepEqual(got, []string{id("2")}) {
		t.Errorf("due long after: %v, want only order 2 (never re-read since)", got)
	}
	if got := due(haut, at20); !reflect.DeepEqual(got, []string{id("5")}) {
		t.Errorf("hautwerk due: %v, want its own order 5", got)
	}
	var stillPending []string
	if err := db.SQL().SelectContext(ctx, &stillPending, `SELECT order_id FROM orders WHERE journey_pending ORDER BY order_id`); err != nil {
		t.Fatal(err)
	}
	if want := []string{id("1"), id("2"), id("5"), id("6")}; !reflect.DeepEqual(stillPending, want) {
		t.Errorf("pending orders %v, want %v (ready 3 and gone 4 are not)", stillPending, want)
	}
}
