package tiktokads_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/roasd/roasd/tiktokads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// TestAdsOfParents: AdsOfParents reads the ads of the given campaigns and
// ad groups with /ad/get/ filtered on campaign_ids, then adgroup_ids, at
// most tiktokads.MaxParentIDs ids a call (the fake refuses more), deleted
// ads included; they carry the status TikTok derives from a disabled
// parent. AdGroupsModifiedAfter lists the ad groups modified after since
// with their campaigns.
func TestAdsOfParents(t *testing.T) {
	t.Parallel()
	old := time.Date(2026, 2, 25, 11, 2, 43, 0, time.UTC)
	const nCamps = tiktokads.MaxParentIDs + 10
	a := tiktokfake.Advertiser{ID: adv, Name: "GlowCo", Currency: "USD", Timezone: "UTC"}
	campID := func(i int) string { return fmt.Sprintf("17900%014d", i) }
	groupID := func(i int) string { return fmt.Sprintf("17910%014d", i) }
	for i := range nCamps {
		a.Campaigns = append(a.Campaigns, tiktokfake.Campaign{ID: campID(i), Name: "c", CreateTime: old, ModifyTime: old})
		a.AdGroups = append(a.AdGroups, tiktokfake.AdGroup{ID: groupID(i), CampaignID: campID(i), BudgetMicros: 20_000_000, ModifyTime: old})
		a.Ads = append(a.Ads, tiktokfake.Ad{ID: fmt.Sprintf("17920%014d", i), AdGroupID: groupID(i), CampaignID: campID(i),
			LandingPageURL: "https://x.example/?utm_content=a", CreateTime: old, ModifyTime: old})
	}
	a.Ads[1].OperationStatus = "DELETE"
	var all []string
	for i := range nCamps {
		all = append(all, campID(i))
	}
	ad := func(i int) string { return fmt.Sprintf("17920%014d", i) }
	for _, tt := range []struct {
		name          string
		camps, groups []string
		disable       func(f *tiktokfake.Server)
		calls         int
		want          map[string]string
		n             int
	}{
		{"no parents: no call", nil, nil, nil, 0, nil, 0},
		{"every campaign, in chunks", all, nil, nil, 2, map[string]string{ad(1): "DELETE/AD_STATUS_DELETE"}, nCamps},
		{"a disabled campaign and an ad group", []string{campID(0)}, []string{groupID(2)}, func(f *tiktokfake.Server) {
			f.SetCampaignStatus(adv, campID(0), "DISABLE")
			f.SetAdGroupStatus(adv, groupID(2), "DISABLE")
		}, 2, map[string]string{ad(0): "ENABLE/AD_STATUS_CAMPAIGN_DISABLE", ad(2): "ENABLE/AD_STATUS_ADGROUP_DISABLE"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{a}}, nil)
			if tt.disable != nil {
				tt.disable(b.fake)
			}
			list, err := b.client.AdsOfParents(context.Background(), adv, tt.camps, tt.groups)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, x := range list {
				got[x.ID] = x.Status
			}
			if len(list) != tt.n {
				t.Errorf("%d ads, want %d", len(list), tt.n)
			}
			for id, st := range tt.want {
				if got[id] != st {
					t.Errorf("ad %s: %q, want %q", id, got[id], st)
				}
			}
			calls := b.calls("/ad/get/")
			if len(calls) != tt.calls {
				t.Errorf("%d calls, want %d", len(calls), tt.calls)
			}
			for _, c := range calls {
				var f map[string]any
				if err := json.Unmarshal([]byte(c.Query.Get("filtering")), &f); err != nil || f["primary_status"] != "STATUS_ALL" {
					t.Errorf("call filtering=%s", c.Query.Get("filtering"))
				}
			}
		})
	}
	t.Run("ad groups modified after", func(t *testing.T) {
		t.Parallel()
		b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{a}}, nil)
		b.fake.SetAdGroupStatus(adv, groupID(3), "DISABLE")
		groups, err := b.client.AdGroupsModifiedAfter(context.Background(), adv, old.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 1 || groups[0].ID != groupID(3) || groups[0].CampaignID != campID(3) || groups[0].UpdatedAt.IsZero() {
			t.Errorf("changed ad groups %+v, want %s of %s", groups, groupID(3), campID(3))
		}
	})
}
