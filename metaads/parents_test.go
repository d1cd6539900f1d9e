package metaads_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
)

// TestAdsOfParents: AdsOfParents reads the ads of the given campaigns and
// ad sets with the ads edge filtered on campaign.id, then adset.id, at
// most metaads.MaxParentIDs ids a call (the fake refuses more), every
// status included; they carry the status Meta derives from a paused
// parent. AdSetsChangedSince lists the ad sets updated after since with
// their campaigns.
func TestAdsOfParents(t *testing.T) {
	t.Parallel()
	old := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	const nCamps = metaads.MaxParentIDs + 10
	seed := metafake.Seed{Accounts: []metafake.Account{{ID: testAct, Currency: "USD", Timezone: "UTC"}}}
	a := &seed.Accounts[0]
	campID := func(i int) string { return fmt.Sprintf("2383%09d", i) }
	setID := func(i int) string { return fmt.Sprintf("2384%09d", i) }
	for i := range nCamps {
		a.Campaigns = append(a.Campaigns, metafake.Campaign{ID: campID(i), Name: "c", Status: "ACTIVE", UpdatedTime: old})
		a.AdSets = append(a.AdSets, metafake.AdSet{ID: setID(i), CampaignID: campID(i), Status: "ACTIVE", DailyBudget: 1000, UpdatedTime: old})
		a.Ads = append(a.Ads, metafake.Ad{ID: fmt.Sprintf("2385%09d", i), AdSetID: setID(i), CampaignID: campID(i), UpdatedTime: old,
			Creative: metafake.Creative{ID: fmt.Sprintf("2386%09d", i), URLTags: "utm_content=a"}})
	}
	a.Ads[1].Status, a.Ads[1].EffectiveStatus = "DELETED", "DELETED"
	var all []string
	for i := range nCamps {
		all = append(all, campID(i))
	}
	for _, tt := range []struct {
		name        string
		camps, sets []string
		pause       func(f *metafake.Server)
		calls       int
		want        map[string]string // ad id: status, for some
		n           int
	}{
		{"no parents: no call", nil, nil, nil, 0, nil, 0},
		{"every campaign, in chunks", all, nil, nil, 2, map[string]string{"2385000000001": "DELETED"}, nCamps},
		{"a paused campaign and an ad set", []string{campID(0)}, []string{setID(2)}, func(f *metafake.Server) {
			f.SetCampaignStatus(campID(0), "PAUSED")
			f.SetAdSetStatus(setID(2), "PAUSED")
		}, 2, map[string]string{"2385000000000": "CAMPAIGN_PAUSED", "2385000000002": "ADSET_PAUSED"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, seed, nil)
			if tt.pause != nil {
				tt.pause(b.fake)
			}
			list, err := b.client.AdsOfParents(context.Background(), testAct, tt.camps, tt.sets)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, ad := range list {
				got[ad.ID] = ad.Status
			}
			if len(list) != tt.n {
				t.Errorf("%d ads, want %d", len(list), tt.n)
			}
			for id, st := range tt.want {
				if got[id] != st {
					t.Errorf("ad %s: %q, want %q", id, got[id], st)
				}
			}
			calls := b.fake.Calls()
			if len(calls) != tt.calls {
				t.Errorf("%d calls, want %d", len(calls), tt.calls)
			}
			for _, c := range calls {
				f := c.Params.Get("filtering")
				if c.Status != 200 || !strings.Contains(f, `"operator":"IN"`) || c.Params.Get("effective_status") != metaads.AllEffectiveStatuses {
					t.Errorf("call %s %d filtering=%s effective_status=%s", c.Path, c.Status, f, c.Params.Get("effective_status"))
				}
			}
		})
	}
	t.Run("ad sets changed since", func(t *testing.T) {
		t.Parallel()
		b := setup(t, seed, nil)
		b.fake.SetAdSetStatus(setID(3), "PAUSED")
		sets, err := b.client.AdSetsChangedSince(context.Background(), testAct, old.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(sets) != 1 || sets[0].ID != setID(3) || sets[0].CampaignID != campID(3) || sets[0].UpdatedAt.IsZero() {
			t.Errorf("changed ad sets %+v, want %s of %s", sets, setID(3), campID(3))
		}
	})
}
