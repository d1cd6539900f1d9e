package jobs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/tiktokads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// parentTree is what TestParentPauseReachesAds seeds on one account: two
// campaigns of two ad sets (ad groups) of one ad each. Ad "<acct>.<n>" is
// in ad set "s<acct>.<n>"; ads 1 and 2 in campaign "a<acct>", 3 and 4 in
// "b<acct>". Campaign a was last changed at the seed's instant (so it is
// in every list's overlap), b an hour and the ad sets two hours before,
// the ads n-1 hours after it.
func parentTree(acct string) (camps [2]string, sets, adIDs [4]string) {
	camps = [2]string{"a" + acct, "b" + acct}
	for i := range 4 {
		adIDs[i] = fmt.Sprintf("%s.%d", acct, i+1)
		sets[i] = "s" + adIDs[i]
	}
	return camps, sets, adIDs
}

// parentFake is a platform's fake as the test drives it: a person pauses
// (ACTIVE/ENABLE → PAUSED/DISABLE) or resumes a campaign or ad set.
type parentFake interface {
	http.Handler
	campaign(acct, id string, paused bool) bool
	adSet(acct, id string, paused bool) bool
	// adTime is an ad's own updated_time / modify_time.
	adTime(acct, id string) time.Time
}

type metaParents struct{ *metafake.Server }

func (f metaParents) campaign(_, id string, paused bool) bool {
	return f.SetCampaignStatus(id, map[bool]string{true: "PAUSED", false: "ACTIVE"}[paused])
}
func (f metaParents) adSet(_, id string, paused bool) bool {
	return f.SetAdSetStatus(id, map[bool]string{true: "PAUSED", false: "ACTIVE"}[paused])
}
func (f metaParents) adTime(_, id string) time.Time { ad, _ := f.Ad(id); return ad.UpdatedTime }

type tiktokParents struct{ *tiktokfake.Server }

func (f tiktokParents) campaign(adv, id string, paused bool) bool {
	return f.SetCampaignStatus(adv, id, map[bool]string{true: "DISABLE", false: "ENABLE"}[paused])
}
func (f tiktokParents) adSet(adv, id string, paused bool) bool {
	return f.SetAdGroupStatus(adv, id, map[bool]string{true: "DISABLE", false: "ENABLE"}[paused])
}
func (f tiktokParents) adTime(adv, id string) time.Time { ad, _ := f.Ad(adv, id); return ad.ModifyTime }

func newMetaParents(now func() time.Time, accts map[string]string, at time.Time) parentFake {
	seed := metafake.Seed{Token: actToken, Now: now}
	for _, act := range sortedKeys(accts) {
		camps, sets, adIDs := parentTree(act)
		a := metafake.Account{ID: act, Currency: accts[act], Timezone: "UTC"}
		for i, c := range camps {
			a.Campaigns = append(a.Campaigns, metafake.Campaign{ID: c, Name: c, Status: "ACTIVE", UpdatedTime: at.Add(-time.Duration(i) * time.Hour)})
		}
		for i, id := range adIDs {
			a.AdSets = append(a.AdSets, metafake.AdSet{ID: sets[i], CampaignID: camps[i/2], Status: "ACTIVE", DailyBudget: 5000, UpdatedTime: at.Add(-2 * time.Hour)})
			a.Ads = append(a.Ads, metafake.Ad{ID: id, Name: id, AdSetID: sets[i], CampaignID: camps[i/2], Status: "ACTIVE",
				UpdatedTime: at.Add(time.Duration(i) * time.Hour), Creative: metafake.Creative{ID: "cr" + id, URLTags: "utm_content=x" + id}})
		}
		seed.Accounts = append(seed.Accounts, a)
	}
	return metaParents{metafake.New(seed)}
}

func newTikTokParents(now func() time.Time, accts map[string]string, at time.Time) parentFake {
	seed := tiktokfake.Seed{Token: actToken, Now: now}
	for _, adv := range sortedKeys(accts) {
		camps, sets, adIDs := parentTree(adv)
		a := tiktokfake.Advertiser{ID: adv, Currency: accts[adv], Timezone: "UTC"}
		for i, c := range camps {
			a.Campaigns = append(a.Campaigns, tiktokfake.Campaign{ID: c, Name: c, CreateTime: at.Add(-3 * time.Hour),
				ModifyTime: at.Add(-time.Duration(i) * time.Hour)})
		}
		for i, id := range adIDs {
			a.AdGroups = append(a.AdGroups, tiktokfake.AdGroup{ID: sets[i], CampaignID: camps[i/2], BudgetMode: tiktokfake.BudgetModeDay,
				BudgetMicros: 50_000_000, ModifyTime: at.Add(-2 * time.Hour)})
			a.Ads = append(a.Ads, tiktokfake.Ad{ID: id, Name: id, AdGroupID: sets[i], CampaignID: camps[i/2],
				LandingPageURL: "https://glowco.example/?utm_content=x" + id, CreateTime: at.Add(-3 * time.Hour), ModifyTime: at.Add(time.Duration(i) * time.Hour)})
		}
		seed.Advertisers = append(seed.Advertisers, a)
	}
	return tiktokParents{tiktokfake.New(seed)}
}

// TestParentPauseReachesAds: a person pauses a campaign and an ad set (ad
// group) on glowco's account (USD), which lunaskin (EUR, its own account
// too) shares, and an ad set on lunaskin's own. The platforms then report
// the ads under them paused (Meta CAMPAIGN_PAUSED / ADSET_PAUSED, TikTok
// AD_STATUS_CAMPAIGN_DISABLE / AD_STATUS_ADGROUP_DISABLE) without moving
// the ads' own times, so the changed-ads list does not return them: the
// next steady sync of each brand reads the ads of the changed parents
// again and stores their statuses. When the campaign is resumed and the
// answer to that re-read is lost, the sync fails, the stored statuses and
// the marks stay, and the next sync reads them again.
func TestParentPauseReachesAds(t *testing.T) {
	t.Parallel()
	t0 := day15
	for _, tc := range []struct {
		name                         string
		p                            ads.Platform
		acct, own                    string
		newFake                      func(now func() time.Time, accts map[string]string, at time.Time) parentFake
		active, campPaused, setPause string
	}{
		{"meta", ads.Meta, actMeta, actMetaEU, newMetaParents, "ACTIVE", "CAMPAIGN_PAUSED", "ADSET_PAUSED"},
		{"tiktok", ads.TikTok, actTikTok, "7100000000000000002", newTikTokParents,
			"ENABLE/AD_STATUS_DELIVERY_OK", "ENABLE/AD_STATUS_CAMPAIGN_DISABLE", "ENABLE/AD_STATUS_ADGROUP_DISABLE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := openDB(t)
			glowco, lunaskin := actBrands(t)
			glowco.Accounts, lunaskin.Accounts = configs.Accounts{}, configs.Accounts{}
			var clock atomic.Int64
			clock.Store(t0.UnixNano())
			now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
			start := t0.Add(-72 * time.Hour)
			fake := tc.newFake(now, map[string]string{tc.acct: "USD", tc.own: "EUR"}, start)
			tap := &listTap{h: fake}
			srv := httptest.NewServer(tap)
			t.Cleanup(srv.Close)
			d := &Deps{DB: db}
			var syncs []func(*scheduler.Run) error // glowco's shared account, lunaskin's own, lunaskin's shared
			if tc.p == ads.Meta {
				glowco.Accounts.Meta = []*configs.MetaAccount{{AdAccount: tc.acct}}
				lunaskin.Accounts.Meta = []*configs.MetaAccount{{AdAccount: tc.own}, {AdAccount: tc.acct}}
				d.Meta = metaads.New(metaads.Options{BaseURL: srv.URL, AccessToken: actToken, RetryMax: -1})
				syncs = []func(*scheduler.Run) error{
					func(r *scheduler.Run) error {
						return d.syncAds(ctx, glowco, d.metaPlatform(glowco.Accounts.Meta[0]), r)
					},
					func(r *scheduler.Run) error {
						return d.syncAds(ctx, lunaskin, d.metaPlatform(lunaskin.Accounts.Meta[0]), r)
					},
					func(r *scheduler.Run) error {
						return d.syncAds(ctx, lunaskin, d.metaPlatform(lunaskin.Accounts.Meta[1]), r)
					},
				}
			} else {
				glowco.Accounts.TikTok = []*configs.TikTokAccount{{Advertiser: tc.acct}}
				lunaskin.Accounts.TikTok = []*configs.TikTokAccount{{Advertiser: tc.own}, {Advertiser: tc.acct}}
				for _, v := range lunaskin.Tests[0].Variants {
					v.Platform = ads.TikTok
				}
				d.TikTok = tiktokads.New(tiktokads.Options{BaseURL: srv.URL, AccessToken: actToken, RetryMax: -1, Now: now})
				syncs = []func(*scheduler.Run) error{
					func(r *scheduler.Run) error { return d.syncAds(ctx, glowco, d.tiktokPlatform(tc.acct), r) },
					func(r *scheduler.Run) error { return d.syncAds(ctx, lunaskin, d.tiktokPlatform(tc.own), r) },
					func(r *scheduler.Run) error { return d.syncAds(ctx, lunaskin, d.tiktokPlatform(tc.acct), r) },
				}
			}
			cycle := func(what string) {
				t.Helper()
				r := &scheduler.Run{Now: now()}
				for _, s := range syncs {
					if err := s(r); err != nil {
						t.Fatalf("%s: %v", what, err)
					}
				}
			}
			status := func() map[string]string {
				t.Helper()
				list, err := db.Ads(ctx, tc.p, "")
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]string{}
				for _, a := range list {
					out[a.ID] = a.Status
				}
				return out
			}
			marks := func(acct string) store.AdListMarks {
				t.Helper()
				m, err := db.AdListMarks(ctx, tc.p, acct)
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			check := func(what string, want map[string]string) {
				t.Helper()
				got := status()
				for id, st := range want {
					if got[id] != st {
						t.Errorf("%s: ad %s stored %q, want %q (all: %v)", what, id, got[id], st, got)
					}
				}
			}
			sc, ss, sa := parentTree(tc.acct)
			_, os, oa := parentTree(tc.own)

			cycle("first sync")
			all := map[string]string{}
			for _, id := range append(sa[:], oa[:]...) {
				all[id] = tc.active
			}
			check("first sync", all)
			tap.calls()

			// 15 minutes later: the shared account's campaign a and ad set
			// 3 (campaign b), and lunaskin's own ad set 1, are paused.
			clock.Add(int64(15 * time.Minute))
			t15 := now().Truncate(time.Second)
			before := map[string]time.Time{}
			for _, id := range sa {
				before[id] = fake.adTime(tc.acct, id)
			}
			if !fake.campaign(tc.acct, sc[0], true) || !fake.adSet(tc.acct, ss[2], true) || !fake.adSet(tc.own, os[0], true) {
				t.Fatal("pausing a parent failed")
			}
			cycle("15 minutes later")
			check("after the parents' pause", map[string]string{sa[0]: tc.campPaused, sa[1]: tc.campPaused, sa[2]: tc.setPause, sa[3]: tc.active,
				oa[0]: tc.setPause, oa[1]: tc.active, oa[2]: tc.active, oa[3]: tc.active})
			for _, id := range sa {
				if got := fake.adTime(tc.acct, id); !got.Equal(before[id]) {
					t.Errorf("pausing its parent moved ad %s's time to %v", id, got)
				}
			}
			var parents []listCall
			for _, c := range tap.calls("parents") {
				if c.account == tc.acct {
					parents = append(parents, c)
				}
			}
			// glowco's sync reads campaign a's ads and ad set 3's (ad 3:
			// campaign b did not change); lunaskin's, after it, the same
			// again (the overlap).
			if len(parents) != 4 || fmt.Sprint(parents[0].ids) != fmt.Sprint([]string{sa[0], sa[1]}) || fmt.Sprint(parents[1].ids) != fmt.Sprint([]string{sa[2]}) {
				t.Errorf("re-reads of the shared account's changed parents' ads: %+v", parents)
			}
			if m := marks(tc.acct); !m.Campaigns.Equal(t15) {
				t.Errorf("shared account's campaigns mark %v, want the pause at %v", m.Campaigns, t15)
			}

			// 15 minutes later campaign a is resumed, and the answer to
			// glowco's re-read of its ads is lost: the sync fails, the
			// stored statuses and the marks stay; the next sync reads them
			// again.
			clock.Add(int64(15 * time.Minute))
			if !fake.campaign(tc.acct, sc[0], false) {
				t.Fatal("resuming campaign a failed")
			}
			m0 := marks(tc.acct)
			tap.loseNext("parents")
			if err := syncs[0](&scheduler.Run{Now: now()}); err == nil {
				t.Fatal("a lost answer to the parents' re-read did not fail the sync")
			}
			if got := marks(tc.acct); got != m0 {
				t.Errorf("a lost answer moved the marks: %+v, want %+v", got, m0)
			}
			check("after a lost answer", map[string]string{sa[0]: tc.campPaused, sa[1]: tc.campPaused})
			tap.calls()
			if err := syncs[0](&scheduler.Run{Now: now()}); err != nil {
				t.Fatal(err)
			}
			check("after the retry", map[string]string{sa[0]: tc.active, sa[1]: tc.active, sa[2]: tc.setPause})
			if got := marks(tc.acct); !got.Campaigns.After(m0.Campaigns) {
				t.Errorf("the retry did not move the campaigns mark: %+v, was %+v", got, m0)
			}
			var reread bool
			for _, c := range tap.calls("parents") {
				reread = reread || fmt.Sprint(c.ids) == fmt.Sprint([]string{sa[0], sa[1]})
			}
			if !reread {
				t.Error("the retry did not read campaign a's ads again")
			}
		})
	}
}
