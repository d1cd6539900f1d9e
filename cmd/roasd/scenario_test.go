package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
	"github.com/roasd/roasd/store"
)

// TestMoneyScenario is issue 24's scenario, end to end (Shopify fake and
// client for the order with tax, shipping and a refund, store, reconcile
// job, `roasd report`), with every figure derived by hand below.
//
// Brand shopco (USD, UTC), reconciled on 06-08 at 12:00 ("today" 06-08),
// reported over 06-01 … 06-15, past today.
//
// Creators and tests (a test lasts N days, start … start+N−1):
//
//	ava  code AVA10, flat 300.00, commission 10 % of all revenue
//	     spring  06-01 … 06-10 (checkpoint 10d), variant sp-a (Meta)
//	     summer  06-06 … 06-15 (checkpoint 10d)
//	ben  code BEN5, flat 100.00, no commission
//	     ben-test 06-01 … 06-07 (checkpoint 7d), variant bn-a (Meta)
//
// Flat fees: ava's windows' union is 06-01 … 06-15, 15 days, so 20.00 a
// day; on 06-06 … 06-10 both her tests run and get 10.00 each. Fees accrue
// to date: through 06-08, spring 5 × 20 + 3 × 10 = 130.00, summer 3 × 10 =
// 30.00 (ava 160.00); nothing on 06-09 … 06-15. ben: 100.00 over 7 days,
// 14.285714 a day (the first two days 14.285715), all past by 06-08.
//
// Orders and link conversions:
//
//	#1001 06-02 utm_content sp-a, code BEN5, 100.00 → paid, spring/sp-a;
//	      the redemption is ben's (his code), booked to ben-test
//	#1003 06-03 nothing claims it, 50.00; link conversion L1 (ava, 06-04)
//	      names it → organic ava by link_order (spring runs alone); L1 is
//	      a link_dup
//	      L2 (ben, 06-02) names #1001, already paid → a link_dup
//	#1004 06-05 codes AVA10 then BEN5, 60.00 → organic ava (spring);
//	      one redemption each for ava (spring) and ben (ben-test)
//	#1002 06-07 code AVA10, 80.00 → organic ava; both her tests run:
//	      40.00 each, the order and its redemption to spring (started
//	      first)
//	#1005 06-04 utm_content bn-a, read from the Shopify fake: line items
//	      70.00 + tax 5.60 + shipping 4.95 (80.55 paid); on 06-06 a refund
//	      of one item 20.00 + its tax 1.60 + the shipping 4.95 (26.55
//	      returned). Only the product part is revenue: 70 − 20 = 50.00 →
//	      paid, ben-test/bn-a (ben has no commission)
//
// Commission (ava, 10 %): 100 → 10.00 on sp-a; 50 → 5.00, 60 → 6.00,
// 80 → 8.00 split 4.00 / 4.00.
//
// By test: spring spend 40, flat 130, commission 10 + 5 + 6 + 4 = 25,
// paid 100, organic 50 + 60 + 40 = 150, orders 1 paid + 3 organic,
// redemptions 2; summer flat 30, commission 4, organic 40, no order;
// ben-test spend 25, flat 100, paid 50 (one order), 2 redemptions. TOTAL
// spend 65, flat 260, commission 29, fees 289, paid 150, organic 190,
// revenue 340, 5 orders — the same in every dimension.
func TestMoneyScenario(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DSN(t, reportTmpl)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const shop = "shopco.myshopify.com"
	day := ads.MustDate
	b := &configs.Brand{Name: "shopco", Currency: "USD", Timezone: "UTC", Location: time.UTC,
		RestatementDays: configs.DefaultRestatementDays, RefundHorizonDays: configs.DefaultRefundHorizonDays,
		Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: shop}}},
		Creators: []*configs.Creator{
			{Handle: "ava", Codes: []string{"AVA10"}, Links: []string{"https://shopco.example/?utm_source=ava"},
				Fee: configs.Fee{Flat: ads.MustMicros("300"), Commission: ads.MustRate("0.10")}},
			{Handle: "ben", Codes: []string{"BEN5"}, Fee: configs.Fee{Flat: ads.MustMicros("100")}},
		},
		Tests: []*configs.Test{
			{ID: "spring", Creator: "ava", Start: day("2026-06-01"), Checkpoints: []int{10},
				Variants: []*configs.Variant{{Key: "sp-a", Platform: ads.Meta, UTM: ads.UTM{Content: "sp-a"}}}},
			{ID: "summer", Creator: "ava", Start: day("2026-06-06"), Checkpoints: []int{10}},
			{ID: "ben-test", Creator: "ben", Start: day("2026-06-01"), Checkpoints: []int{7},
				Variants: []*configs.Variant{{Key: "bn-a", Platform: ads.Meta, UTM: ads.UTM{Content: "bn-a"}}}},
		}}
	at := func(d string) time.Time { return day(d).In(time.UTC).Add(15 * time.Hour) }
	order := func(n, d, net, content string, codes ...string) ads.Order {
		return ads.Order{Shop: shop, ID: "gid://shopify/Order/" + n, Name: "#" + n, CreatedAt: at(d), UpdatedAt: at(d),
			Currency: "USD", Gross: ads.MustMicros(net), DiscountCodes: codes, UTM: ads.UTM{Content: content}}
	}
	// #1005 goes through the Shopify fake and client, as a sync reads it.
	fake := shopifyfake.New(shopifyfake.Seed{Shop: shopifyfake.Shop{Name: "Shopco", Domain: shop, Currency: "USD", Timezone: "UTC"},
		AccessToken: "shpat_scenario", RestoreRate: 1e6, Now: func() time.Time { return at("2026-06-08") },
		Orders: []shopifyfake.Order{{ID: "1005", CreatedAt: at("2026-06-04"), UpdatedAt: at("2026-06-06"), LineItems: "70.00",
			Tax: "5.60", Shipping: "4.95",
			LastVisit: &shopifyfake.Visit{LandingPage: "https://shopco.example/?utm_source=ben&utm_content=bn-a", OccurredAt: at("2026-06-04"),
				Source: "ben", Content: "bn-a"},
			Refunds: []shopifyfake.Refund{{ID: "51", CreatedAt: at("2026-06-06"), LineItems: "20.00", LineItemsTax: "1.60", Shipping: "4.95"}}}}})
	t.Cleanup(func() { fake.Close() })
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	var synced []ads.Order
	if _, err := shopify.New(shopify.Options{Shop: shop, BaseURL: srv.URL, AccessToken: "shpat_scenario"}).Orders(ctx, time.Time{},
		func(p []ads.Order) error { synced = append(synced, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(synced) != 1 || synced[0].Net != ads.MustMicros("50") {
		t.Fatalf("synced %+v, want #1005 with net product revenue 50.00", synced)
	}
	if _, err := db.UpsertOrders(ctx, synced); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertOrders(ctx, []ads.Order{
		order("1001", "2026-06-02", "100", "sp-a", "BEN5"),
		order("1002", "2026-06-07", "80", "", "AVA10"),
		order("1003", "2026-06-03", "50", ""),
		order("1004", "2026-06-05", "60", "", "AVA10", "BEN5"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertLinkConversions(ctx, []ads.LinkConversion{
		{Source: "impact", ID: "L1", Creator: "ava", OrderID: "#1003", Amount: ads.MustMicros("50"), Currency: "USD", At: at("2026-06-04"), Brand: "shopco"},
		{Source: "impact", ID: "L2", Creator: "ben", OrderID: "1001", Amount: ads.MustMicros("100"), Currency: "USD", At: at("2026-06-02"), Brand: "shopco"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertDayStats(ctx, []ads.DayStat{
		{Platform: ads.Meta, Account: "act_1", AdID: "m1", Day: day("2026-06-02"), Currency: "USD", Spend: ads.MustMicros("40"), Impressions: 4000},
		{Platform: ads.Meta, Account: "act_1", AdID: "m2", Day: day("2026-06-03"), Currency: "USD", Spend: ads.MustMicros("25"), Impressions: 2500},
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceVariantAds(ctx, "shopco", ads.Meta, "", []store.VariantAd{
		{TestID: "spring", VariantKey: "sp-a", Account: "act_1", AdID: "m1"}, {TestID: "ben-test", VariantKey: "bn-a", Account: "act_1", AdID: "m2"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.ReconcileBrand(ctx, db, b, time.Date(2026, 6, 8, 12, 0, 0, 0, time.UTC), false); err != nil {
		t.Fatal(err)
	}

	// The ledger, row by row.
	ledger, err := db.Ledger(ctx, "shopco", day("2026-06-01"), day("2026-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range ledger {
		got = append(got, fmt.Sprintf("%s %s %s %s/%s %s/%s %s %s %s", l.Day, l.SourceID, l.Channel, l.Rule, l.Creator, l.TestID, l.VariantKey,
			ads.FormatMicros(l.Revenue, 2), l.Code, l.CodeCreator))
	}
	g := "gid://shopify/Order/"
	want := []string{
		"2026-06-02 impact:L2 duplicate link_dup/ben / 0.00  ",
		"2026-06-02 " + g + "1001 paid utm_content/ava spring/sp-a 100.00 BEN5 ben",
		"2026-06-03 " + g + "1003 organic link_order/ava / 50.00  ",
		"2026-06-04 impact:L1 duplicate link_dup/ava / 0.00  ",
		"2026-06-04 " + g + "1005 paid utm_content/ben ben-test/bn-a 50.00  ",
		"2026-06-05 " + g + "1004 organic discount_code/ava / 60.00 AVA10,BEN5 ava,ben",
		"2026-06-07 " + g + "1002 organic discount_code/ava / 80.00 AVA10 ava",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ledger:\n got %q\nwant %q", got, want)
	}

	// The reports, past today.
	extra := map[string]string{}
	report := func(by string) map[string][]string {
		t.Helper()
		out, stderr, code := runCLI(t, dsn, "report", "--from", "2026-06-01", "--to", "2026-06-15", "--by", by, "--format", "csv")
		if code != 0 {
			t.Fatalf("report by %s: exit %d: %s", by, code, stderr)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		rows := map[string][]string{}
		col := func(name string) int {
			i := slices.Index(recs[0], name)
			if i < 0 {
				t.Fatalf("report by %s has no %s column: %q", by, name, recs[0])
			}
			return i
		}
		cols := []int{}
		for _, name := range []string{"spend", "fees", "flat_fees", "commission", "bonuses", "paid_revenue", "organic_revenue", "revenue", "orders", "redemptions"} {
			cols = append(cols, col(name))
		}
		for _, r := range recs[1:] {
			// spend, fees, flat_fees, commission, bonuses, paid, organic,
			// revenue; orders; redemptions.
			if cur := r[col("currency")]; cur != "USD" {
				t.Errorf("row %q: currency %q", r, cur)
			}
			for _, i := range cols {
				rows[r[0]] = append(rows[r[0]], r[i])
			}
			if by == "creator" {
				// README's CSV example: roi_percent and cpa.
				extra[r[0]] = r[col("roi_percent")] + " " + r[col("cpa")]
			}
		}
		return rows
	}
	total := []string{"65.00", "289.00", "260.00", "29.00", "0.00", "150.00", "190.00", "340.00", "5", "4"}
	byTest := report("test")
	wantTest := map[string][]string{
		"spring":   []string{"40.00", "155.00", "130.00", "25.00", "0.00", "100.00", "150.00", "250.00", "4", "2"},
		"summer":   []string{"0.00", "34.00", "30.00", "4.00", "0.00", "0.00", "40.00", "40.00", "0", "0"},
		"ben-test": []string{"25.00", "100.00", "100.00", "0.00", "0.00", "50.00", "0.00", "50.00", "1", "2"},
		"TOTAL":    total,
	}
	if !reflect.DeepEqual(byTest, wantTest) {
		t.Errorf("by test:\n got %q\nwant %q", byTest, wantTest)
	}
	byCreator := report("creator")
	wantCreator := map[string][]string{
		"ava":   []string{"40.00", "189.00", "160.00", "29.00", "0.00", "100.00", "190.00", "290.00", "4", "2"},
		"ben":   []string{"25.00", "100.00", "100.00", "0.00", "0.00", "50.00", "0.00", "50.00", "1", "2"},
		"TOTAL": total,
	}
	if !reflect.DeepEqual(byCreator, wantCreator) {
		t.Errorf("by creator:\n got %q\nwant %q", byCreator, wantCreator)
	}
	// ava: (290 − 229) / 229 = 26.64 %, 229 / 4 orders; ben: (50 − 125) /
	// 125 = −60.00 %, 125 / 1; TOTAL: (340 − 354) / 354 = −3.95 %, 354 / 5.
	if want := map[string]string{"ava": "26.64 57.25", "ben": "-60.00 125.00", "TOTAL": "-3.95 70.80"}; !reflect.DeepEqual(extra, want) {
		t.Errorf("roi_percent and cpa by creator %q, want %q", extra, want)
	}
	byDay := report("day")
	if !reflect.DeepEqual(byDay["TOTAL"], total) {
		t.Errorf("TOTAL by day %q, want %q", byDay["TOTAL"], total)
	}
	// 06-01: ava 20.00 + ben 14.285715 = 34.285715 → 34.29. Rounded day by
	// day ben's seven days would print 7 × 14.29 = 100.03; apportioned,
	// the days add up to the total's 260.00.
	if d := byDay["2026-06-01"]; d[2] != "34.29" {
		t.Errorf("06-01 flat fees %s, want 34.29", d[2])
	}
	var flat int64
	for k, r := range byDay {
		if k == "TOTAL" {
			continue
		}
		if k > "2026-06-08" {
			t.Errorf("day %s after today has a row %q (fees accrue to date)", k, r)
		}
		flat += ads.MustMicros(r[2])
	}
	if flat != ads.MustMicros("260") {
		t.Errorf("flat fees by day sum to %s, want 260.00", ads.FormatMicros(flat, 2))
	}
}
