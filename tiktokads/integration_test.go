package tiktokads_test

import (
	"context"
	"testing"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// TestRestatementIsIdempotent pulls a month of stats into Postgres, lets
// the platform restate the last days, pulls the trailing window again, and
// checks that changed rows are overwritten and an unchanged rerun writes
// nothing.
func TestRestatementIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	from := ads.MustDate("2026-02-01")
	b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{advertiser(4, from, 35)}}, nil)
	db := storetest.Open(t)

	pull := func(r ads.DateRange) int64 {
		t.Helper()
		stats, err := b.client.DayStats(ctx, adv, r)
		if err != nil {
			t.Fatal(err)
		}
		n, err := db.UpsertDayStats(ctx, stats)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	all := ads.DateRange{From: from, To: from.AddDays(34)}
	if n := pull(all); n != 4*35 {
		t.Fatalf("first pull wrote %d rows, want %d", n, 4*35)
	}
	if n := pull(all); n != 0 {
		t.Errorf("unchanged rerun changed %d rows, want 0", n)
	}

	// TikTok restates the last 3 days: more conversions, a spend correction.
	restateFrom := from.AddDays(32)
	visited := b.fake.Restate(adv, restateFrom.String(), func(r *tiktokfake.ReportRow) {
		r.Purchases += 2
		r.PurchaseValueMicros += ads.MustMicros("20.00")
		r.SpendMicros += 10_000
	})
	if visited != 4*3 {
		t.Fatalf("restated %d rows, want 12", visited)
	}
	window := ads.DateRange{From: from.AddDays(28), To: all.To} // trailing 7-day window
	if n := pull(window); n != 12 {
		t.Errorf("re-pull of the trailing window changed %d rows, want the 12 restated", n)
	}
	if n := pull(window); n != 0 {
		t.Errorf("second re-pull changed %d rows, want 0", n)
	}

	stored, err := db.DayStats(ctx, ads.TikTok, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 4*35 {
		t.Fatalf("stored %d rows, want %d", len(stored), 4*35)
	}
	for _, s := range stored {
		wantConv, wantValue := int64(1), ads.MustMicros("44.50")
		if !s.Day.Before(restateFrom) {
			wantConv, wantValue = 3, ads.MustMicros("64.50")
		}
		if s.Conversions != wantConv || s.ConversionValue != wantValue || s.Currency != "USD" {
			t.Errorf("%s %s: conversions %d value %d %s, want %d %d USD", s.AdID, s.Day, s.Conversions, s.ConversionValue, s.Currency, wantConv, wantValue)
		}
	}
}

// TestVariantMappingOfFakeAds maps the fake's ads to declared variants
// through reconcile.MatchVariants(WithItems): by ad id, Spark item id and
// utm_content, reporting unmatched variants and untagged ads.
func TestVariantMappingOfFakeAds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	seed := sparkSeed()
	a := &seed.Advertisers[0]
	a.Ads = append(a.Ads,
		tiktokfake.Ad{ID: "1790000000000000100", AdGroupID: "1790000000000000002", CampaignID: "1790000000000000001",
			IdentityType: tiktokfake.IdentityCustomizedUser, VideoID: "v1", LandingPageURL: "https://glowco.example/?utm_content=hook-c"},
		tiktokfake.Ad{ID: "1790000000000000101", AdGroupID: "1790000000000000002", CampaignID: "1790000000000000001",
			IdentityType: tiktokfake.IdentityCustomizedUser, VideoID: "v2", LandingPageURL: "https://glowco.example/"},
		tiktokfake.Ad{ID: "1790000000000000102", AdGroupID: "1790000000000000002", CampaignID: "1790000000000000001",
			IdentityType: tiktokfake.IdentityCustomizedUser, VideoID: "v3", LandingPageURL: "https://glowco.example/", OperationStatus: "DISABLE"},
	)
	b := setup(t, seed, nil)
	p, err := b.client.AuthorizeSpark(ctx, adv, codeNew)
	if err != nil {
		t.Fatal(err)
	}
	brand := &configs.Brand{Name: "glowco", Tests: []*configs.Test{{ID: "serum", Variants: []*configs.Variant{
		{Key: "spark-a", Platform: ads.TikTok, Kind: ads.Spark, SparkCode: codeNew},
		{Key: "pinned", Platform: ads.TikTok, Kind: ads.Dark, AdID: "1790000000000000101"},
		{Key: "hook-c", Platform: ads.TikTok, Kind: ads.Dark, UTM: ads.UTM{Content: "hook-c"}},
		{Key: "missing", Platform: ads.TikTok, Kind: ads.Spark, UTM: ads.UTM{Content: "nowhere"}},
		{Key: "meta-only", Platform: ads.Meta, Kind: ads.Whitelisted, UTM: ads.UTM{Content: "hook-c"}},
	}}}}
	list, err := b.client.Ads(ctx, adv)
	if err != nil {
		t.Fatal(err)
	}
	matches, hy := reconcile.MatchVariantsWithItems(brand, ads.TikTok, list, map[string]string{codeNew: p.ItemID})
	got := map[string]string{}
	for _, m := range matches {
		got[m.VariantKey] = m.Ad.ID + " by " + m.MatchedBy
	}
	want := map[string]string{
		"spark-a": "1790000000000000010 by item_id",
		"pinned":  "1790000000000000101 by ad_id",
		"hook-c":  "1790000000000000100 by utm_content",
	}
	if len(got) != len(want) {
		t.Errorf("matches %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("variant %s matched %q, want %q", k, got[k], v)
		}
	}
	if len(hy.Unmatched) != 1 || hy.Unmatched[0].VariantKey != "missing" {
		t.Errorf("unmatched %+v, want only variant missing", hy.Unmatched)
	}
	// Running ads without utm_content: the second Spark ad and the pinned
	// brand ad; the disabled one is not running.
	var untagged []string
	for _, a := range hy.Untagged {
		untagged = append(untagged, a.ID)
	}
	if len(untagged) != 2 || untagged[0] != "1790000000000000011" || untagged[1] != "1790000000000000101" {
		t.Errorf("untagged %v, want [1790000000000000011 1790000000000000101]", untagged)
	}

	// Without the Spark code → item mapping, MatchVariants still maps by
	// ad id and utm_content.
	plain, _ := reconcile.MatchVariants(brand, ads.TikTok, list)
	if len(plain) != 2 {
		t.Errorf("MatchVariants without items matched %d ads, want 2", len(plain))
	}
}
