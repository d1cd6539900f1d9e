package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/shopify/shopifyfake"
	"github.com/roasd/roasd/store"
)

// TestJourneyChecksDue replays what made the bench's 15-minute cycle
// (session 5, 1× scale) show 6 Shopify calls against a minimum of 4: the
// first sync read orders at its clock's now plus 47 ms, scheduling the
// re-reads of those under a quarter of an hour old at that instant plus
// 15 minutes; the cycle 15 minutes later began at the fakes' now (which
// does not run on) and its order sync started 60 ms into it, so those
// re-reads were due to it and made (two nodes queries), but counting due
// checks by the fakes' now missed them all. Due counts the checks due when
// each shop's sync listed them (its run's start), less the orders its
// pages read anyway (the overlap's), and none of a shop whose sync did not
// run in the cycle.
func TestJourneyChecksDue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.DSN(t, schema))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const shop, other = "glow.myshopify.com", "glow-eu.myshopify.com"
	b := &configs.Brand{Name: "glow", Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: shop}, {Shop: other}}}}
	t0 := time.Date(2026, 11, 29, 17, 0, 0, 0, time.UTC)
	order := func(shop, id string, created time.Time) ads.Order {
		return ads.Order{Shop: shop, ID: "gid://shopify/Order/" + id, Name: "#" + id, CreatedAt: created, UpdatedAt: created,
			Currency: "USD", JourneyPending: true}
	}
	if _, err := db.UpsertOrders(ctx, []ads.Order{
		order(shop, "1", t0.Add(-10*time.Minute)),  // due 15 min after its first read: re-read by id
		order(shop, "2", t0.Add(-2*time.Minute)),   // due too, but in the overlap: its page reads it
		order(shop, "3", t0.Add(-40*time.Minute)),  // due 40 min after its first read: not yet
		order(other, "4", t0.Add(-10*time.Minute)), // due, but its shop's sync did not run
	}); err != nil {
		t.Fatal(err)
	}
	read := t0.Add(47 * time.Millisecond) // the first sync's order job
	for _, s := range b.Shops() {
		if _, err := db.ScheduleJourneys(ctx, s, nil, read); err != nil {
			t.Fatal(err)
		}
		if err := db.SetOrdersMark(ctx, s, t0.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	lastRun, err := db.StartRun(ctx, "shopify.orders", shop, "bench", 1, read)
	if err != nil {
		t.Fatal(err)
	}
	checks, err := ReadJourneyChecks(ctx, db, b, jobs.DefaultOrderOverlap)
	if err != nil {
		t.Fatal(err)
	}
	cycle := t0.Add(15 * time.Minute) // the fakes' now in the cycle
	if _, err := db.StartRun(ctx, "shopify.orders", shop, "bench", 1, cycle.Add(60*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StartRun(ctx, "meta.ads", "act_1", "bench", 1, cycle.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	due, err := checks.Due(ctx, db, lastRun)
	if err != nil {
		t.Fatal(err)
	}
	if due != 1 {
		t.Errorf("Due = %d, want 1 (order 1: due 40 ms after the cycle's now, when its shop's sync had started)", due)
	}
}

// TestOrderSyncStart finds, in a shop fake's calls, when the last order
// sync began on the fake's clock: its export's start when it exported
// (then its catch-up pages and re-reads by id), else its first page.
func TestOrderSyncStart(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 29, 17, 0, 0, 0, time.UTC)
	call := func(op string, sec int, after bool) shopifyfake.Call {
		c := shopifyfake.Call{Op: op, At: t0.Add(time.Duration(sec) * time.Second), Variables: map[string]any{}}
		if after {
			c.Variables["after"] = "cursor"
		}
		return c
	}
	earlier := []shopifyfake.Call{call("bulk", 0, false), call("bulk-poll", 1, false), call("bulk-download", 2, false), call("orders", 3, false)}
	for _, tc := range []struct {
		name  string
		calls []shopifyfake.Call
		want  int
		ok    bool
	}{
		{"none", nil, 0, false},
		{"export", append(earlier[:4:4], call("orders", 900, false), call("bulk", 910, false), call("bulk-poll", 911, false), call("bulk-poll", 912, false),
			call("bulk-download", 913, false), call("orders", 914, false), call("orders", 915, true), call("nodes", 916, false)), 910, true},
		{"pages", append(earlier[:4:4], call("orders", 900, false), call("orders", 901, true), call("orders", 902, true), call("nodes", 903, false)), 900, true},
		{"the first sync's export", earlier, 0, true},
		{"an export finished by its webhook", []shopifyfake.Call{call("bulk", 0, false), call("bulk-poll", 28, false), call("bulk-download", 28, false),
			call("webhook bulk_operations/finish", 28, false), call("orders", 112, false), call("orders", 113, true)}, 0, true},
	} {
		got, ok := OrderSyncStart(tc.calls)
		if ok != tc.ok || (ok && !got.Equal(t0.Add(time.Duration(tc.want)*time.Second))) {
			t.Errorf("%s: %v %v, want %+ds %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// TestAdListsMinimum: a cycle's fewest ads and campaigns list calls count
// every ad and campaign when the account has no full list yet or its last
// is jobs.FullAdListEvery old, and otherwise those changed since the
// marks less jobs.DefaultAdOverlap (to the second): the sandbox's newest
// ad and campaign, and an ad paused since.
func TestAdListsMinimum(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := WriteConfig(dir, Brand{Creators: 3, Variants: 40}); err != nil {
		t.Fatal(err)
	}
	set, err := configs.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	camp, err := sandbox.NewScaledCampaign(set, 1, sandbox.Scale{Days: 10, Orders: 100})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(camp)
	if err != nil {
		t.Fatal(err)
	}
	b := set.Brands[0]
	act, adv := b.Accounts.Meta[0].AdAccount, b.Accounts.TikTok[0].Advertiser
	newest := func(ts []time.Time) time.Time {
		var m time.Time
		for _, t := range ts {
			if t.After(m) {
				m = t
			}
		}
		return m
	}
	var metaAds, metaCamps, ttAds, ttCamps []time.Time
	for _, a := range sb.Meta.Ads(act) {
		metaAds = append(metaAds, a.UpdatedTime)
	}
	for _, c := range sb.Meta.Campaigns(act) {
		metaCamps = append(metaCamps, c.UpdatedTime)
	}
	for _, a := range sb.TikTok.Ads(adv) {
		ttAds = append(ttAds, a.ModifyTime)
	}
	for _, c := range sb.TikTok.Campaigns(adv) {
		ttCamps = append(ttCamps, c.ModifyTime)
	}
	if len(metaAds) < 3 || len(ttAds) < 3 || len(metaCamps) == 0 || len(ttCamps) == 0 {
		t.Fatalf("sandbox seeded %d/%d Meta ads/campaigns, %d/%d TikTok", len(metaAds), len(metaCamps), len(ttAds), len(ttCamps))
	}
	now := sb.Now()
	listed := AdMarks{metaAct: act, tiktokAdv: adv,
		meta:   store.AdListMarks{Ads: newest(metaAds), Campaigns: newest(metaCamps), Full: now.Add(-time.Hour)},
		tiktok: store.AdListMarks{Ads: newest(ttAds), Campaigns: newest(ttCamps), Full: now.Add(-time.Hour)}}
	dayOld := listed
	dayOld.meta.Full, dayOld.tiktok.Full = now.Add(-jobs.FullAdListEvery), now.Add(-jobs.FullAdListEvery)
	full := func(ads, camps []time.Time, page int) string {
		return fmt.Sprintf("all (a full list) %d ads/%d + %d campaigns/%d", len(ads), page, len(camps), page)
	}
	// The newest campaign (the overlap's) is listed again every steady
	// cycle, and so are its ads; the newest ad set is in it.
	newestMeta, newestTT := sb.Meta.Campaigns(act)[0], sb.TikTok.Campaigns(adv)[0]
	metaUnder, ttUnder := 0, 0
	for _, a := range sb.Meta.Ads(act) {
		if a.CampaignID == newestMeta.ID {
			metaUnder++
		}
	}
	for _, a := range sb.TikTok.Ads(adv) {
		if a.CampaignID == newestTT.ID {
			ttUnder++
		}
	}
	if !newestMeta.UpdatedTime.Equal(newest(metaCamps)) || !newestTT.ModifyTime.Equal(newest(ttCamps)) || metaUnder == 0 || ttUnder == 0 {
		t.Fatalf("the sandbox's first campaigns are not its newest with ads: %+v %+v", newestMeta, newestTT)
	}
	steady := func(ads, camps, sets, under, setsOut, underSets, page int) string {
		return fmt.Sprintf("changed %d ads/%d + %d campaigns/%d + %d ad sets/%d + the %d ads of %d changed campaigns and %d of %d ad sets outside them",
			ads, page, camps, page, sets, page, under, camps, underSets, setsOut)
	}
	// A person pauses an older campaign and an ad set of a third one:
	// their times move, their ads' do not.
	var pausedCamp, pausedSet string
	underPaused, underSet := 0, 0
	for _, a := range sb.Meta.Ads(act) {
		switch {
		case a.CampaignID == newestMeta.ID:
		case pausedCamp == "":
			pausedCamp = a.CampaignID
		case pausedSet == "" && a.CampaignID != pausedCamp:
			pausedSet = a.AdSetID
		}
	}
	for _, a := range sb.Meta.Ads(act) {
		if a.CampaignID == pausedCamp {
			underPaused++
		} else if a.AdSetID == pausedSet {
			underSet++
		}
	}
	if pausedCamp == "" || pausedSet == "" {
		t.Fatal("the sandbox has fewer than three Meta campaigns")
	}
	for _, tc := range []struct {
		name          string
		marks         AdMarks
		pause, parent bool
		meta, tiktok  string
		mp, tp        int
	}{
		{"no full list yet", AdMarks{metaAct: act, tiktokAdv: adv}, false, false, full(metaAds, metaCamps, metaPage), full(ttAds, ttCamps, tiktokPage), 2, 2},
		{"nothing changed: the overlap's newest", listed, false, false,
			steady(1, 1, 1, metaUnder, 0, 0, metaPage), steady(1, 1, 1, ttUnder, 0, 0, tiktokPage), 4, 4},
		{"a day after the full list", dayOld, false, false, full(metaAds, metaCamps, metaPage), full(ttAds, ttCamps, tiktokPage), 2, 2},
		{"an ad paused since", listed, true, false,
			steady(2, 1, 1, metaUnder, 0, 0, metaPage), steady(1, 1, 1, ttUnder, 0, 0, tiktokPage), 4, 4},
		{"a campaign and an ad set paused since", listed, false, true,
			steady(2, 2, 2, metaUnder+underPaused, 1, underSet, metaPage), steady(1, 1, 1, ttUnder, 0, 0, tiktokPage), 5, 4},
	} {
		if tc.pause {
			ad := sb.Meta.Ads(act)[len(metaAds)-1] // the oldest
			ad.Status, ad.EffectiveStatus, ad.UpdatedTime = "PAUSED", "PAUSED", time.Time{}
			sb.Meta.AddAd(act, ad)
		}
		if tc.parent && (!sb.Meta.SetCampaignStatus(pausedCamp, "PAUSED") || !sb.Meta.SetAdSetStatus(pausedSet, "PAUSED")) {
			t.Fatalf("%s: pausing %s and %s failed", tc.name, pausedCamp, pausedSet)
		}
		got := tc.marks.lists(sb)
		if got.meta.how != tc.meta || got.tiktok.how != tc.tiktok || got.meta.pages != tc.mp || got.tiktok.pages != tc.tp {
			t.Errorf("%s: meta %d %q, tiktok %d %q; want %d %q, %d %q", tc.name, got.meta.pages, got.meta.how, got.tiktok.pages, got.tiktok.how,
				tc.mp, tc.meta, tc.tp, tc.tiktok)
		}
	}
}
