package metaads_test

import (
	"testing"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/metaads/metafake"
	"github.com/roasd/roasd/reconcile"
)

// TestRestatement pulls a trailing window twice around a restatement:
// restated days overwrite the stored rows, an unchanged re-pull changes
// nothing.
func TestRestatement(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := storetest.Open(t)

	const nAds, days = 6, 14
	b := setup(t, bigSeed(nAds, days), nil)
	windows := []string{"7d_click", "1d_view"}
	all := ads.DateRange{From: day0, To: day0.AddDays(days - 1)}
	pull := func(r ads.DateRange) int64 {
		t.Helper()
		stats, err := b.client.DayStats(ctx, testAct, r, windows)
		if err != nil {
			t.Fatal(err)
		}
		n, err := db.UpsertDayStats(ctx, stats)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	if n := pull(all); n != nAds*days {
		t.Fatalf("first pull changed %d rows, want %d", n, nAds*days)
	}
	// Meta restates the last three days: late purchases and spend.
	restateFrom := day0.AddDays(days - 3)
	if n := b.fake.Restate(testAct, restateFrom.String(), func(in *metafake.Insight) {
		in.SpendMicros += 1_230_000
		for i := range in.Actions {
			if in.Actions[i].Type == "omni_purchase" {
				in.Actions[i].Windows["7d_click"]++
			}
		}
	}); n != 3*nAds {
		t.Fatalf("restated %d fake rows, want %d", n, 3*nAds)
	}
	trailing := ads.DateRange{From: day0.AddDays(days - 7), To: all.To}
	if n := pull(trailing); n != 3*nAds {
		t.Errorf("pull after restatement changed %d rows, want %d", n, 3*nAds)
	}
	if n := pull(trailing); n != 0 {
		t.Errorf("unchanged re-pull changed %d rows, want 0", n)
	}
	if n := pull(all); n != 0 {
		t.Errorf("unchanged full re-pull (async) changed %d rows, want 0", n)
	}

	stored, err := db.DayStats(ctx, ads.Meta, ads.DateRange{From: restateFrom, To: restateFrom})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != nAds {
		t.Fatalf("stored %d rows for %s, want %d", len(stored), restateFrom, nAds)
	}
	first := stored[0]
	wantSpend := 10_000_000 + int64(days-3)*10_000 + 1_230_000
	if first.Spend != wantSpend || first.Conversions != 4 || first.Currency != "USD" {
		t.Errorf("restated row = %+v, want spend %d, 4 conversions, USD", first, wantSpend)
	}
	untouched, err := db.DayStats(ctx, ads.Meta, ads.DateRange{From: day0, To: day0})
	if err != nil {
		t.Fatal(err)
	}
	if len(untouched) != nAds || untouched[0].Spend != 10_000_000 || untouched[0].Conversions != 3 {
		t.Errorf("day outside the restatement = %+v, want the original numbers", untouched)
	}
}

// TestVariantMapping maps the fake's ads through reconcile.MatchVariants
// and checks the hygiene report.
func TestVariantMapping(t *testing.T) {
	t.Parallel()
	seed := bigSeed(6, 0)
	// An ad with no UTM anywhere, running: untrackable spend.
	seed.Accounts[0].Ads = append(seed.Accounts[0].Ads,
		metafake.Ad{ID: "23859000000000001", Name: "untagged", AdSetID: "2385000000001", CampaignID: "2384000000001",
			Creative: metafake.Creative{ObjectStoryID: brandPage + "_777", EffectiveObjectStoryID: brandPage + "_777"}},
		metafake.Ad{ID: "23859000000000002", Name: "untagged but paused", Status: "PAUSED", AdSetID: "2385000000001", CampaignID: "2384000000001",
			Creative: metafake.Creative{ObjectStoryID: brandPage + "_778", EffectiveObjectStoryID: brandPage + "_778"}},
	)
	b := setup(t, seed, nil)
	list, err := b.client.Ads(t.Context(), testAct)
	if err != nil {
		t.Fatal(err)
	}
	brand := &configs.Brand{Name: "glowco", Tests: []*configs.Test{{ID: "summer-serum-hooks", Variants: []*configs.Variant{
		{Key: "hook-a", Platform: ads.Meta, Kind: ads.Whitelisted, UTM: ads.UTM{Content: "v0"}},       // url_tags
		{Key: "dark-1", Platform: ads.Meta, Kind: ads.Dark, UTM: ads.UTM{Content: "v1"}},              // link URL
		{Key: "pinned", Platform: ads.Meta, Kind: ads.Standard, AdID: seed.Accounts[0].Ads[2].ID},     // ad id
		{Key: "missing", Platform: ads.Meta, Kind: ads.Whitelisted, UTM: ads.UTM{Content: "nowhere"}}, // no ad
		{Key: "tiktok-only", Platform: ads.TikTok, Kind: ads.Spark, UTM: ads.UTM{Content: "v3"}},      // other platform
		{Key: "by-post", Platform: ads.Meta, Kind: ads.Whitelisted, ItemID: "18000000000000003"},      // instagram media
	}}}}
	matches, hyg := reconcile.MatchVariants(brand, ads.Meta, list)
	got := map[string]string{}
	for _, m := range matches {
		got[m.VariantKey] = m.Ad.ID + " by " + m.MatchedBy
	}
	want := map[string]string{
		"hook-a":  seed.Accounts[0].Ads[0].ID + " by utm_content",
		"dark-1":  seed.Accounts[0].Ads[1].ID + " by utm_content",
		"pinned":  seed.Accounts[0].Ads[2].ID + " by ad_id",
		"by-post": seed.Accounts[0].Ads[3].ID + " by item_id",
	}
	if len(got) != len(want) {
		t.Errorf("matches = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("variant %s matched %q, want %q", k, got[k], v)
		}
	}
	if len(hyg.Unmatched) != 1 || hyg.Unmatched[0].VariantKey != "missing" {
		t.Errorf("unmatched = %+v, want only variant missing", hyg.Unmatched)
	}
	var untagged []string
	for _, a := range hyg.Untagged {
		untagged = append(untagged, a.ID)
	}
	// Boosted posts 2 and 5 carry no UTM either; the paused one is not spending.
	wantUntagged := []string{seed.Accounts[0].Ads[2].ID, seed.Accounts[0].Ads[5].ID, "23859000000000001"}
	if len(untagged) != len(wantUntagged) {
		t.Fatalf("untagged = %v, want %v", untagged, wantUntagged)
	}
	for i := range wantUntagged {
		if untagged[i] != wantUntagged[i] {
			t.Errorf("untagged = %v, want %v", untagged, wantUntagged)
		}
	}
}
