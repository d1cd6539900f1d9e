package tiktokads_test

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// TestModifiedAfter: AdsModifiedAfter and CampaignsModifiedAfter send
// filtering.modified_after (UTC, a second early so that an object
// modified in since's second is listed) and return only what changed,
// deleted ads included; zero since sends none and lists everything.
func TestModifiedAfter(t *testing.T) {
	t.Parallel()
	old := time.Date(2026, 2, 25, 11, 2, 43, 0, time.UTC) // advertiser()'s modify_time
	a := advertiser(4, ads.MustDate("2026-03-01"), 1)
	a.Ads[1].ModifyTime = old.Add(time.Hour)
	a.Ads[2].ModifyTime = old.Add(2 * time.Hour) // a deleted ad
	a.Campaigns = []tiktokfake.Campaign{{ID: "1790000000000000001", Name: "hooks", ModifyTime: old},
		{ID: "1790000000000000009", Name: "cbo", BudgetOptimizeOn: true, BudgetMicros: 50_000_000, ModifyTime: old.Add(time.Hour)}}
	id := func(s string) string { return s[len(s)-2:] }
	for _, tt := range []struct {
		name      string
		since     time.Time
		wantAfter string
		ads, camp []string
	}{
		{"zero lists everything", time.Time{}, "", []string{"10", "11", "12", "13"}, []string{"01", "09"}},
		{"the second of since is listed", old.Add(time.Hour + 500*time.Millisecond), "2026-02-25 12:02:42", []string{"11", "12"}, []string{"09"}},
		{"a zone is read as the same instant", old.Add(time.Hour).In(time.FixedZone("X", -5*3600)), "2026-02-25 12:02:42", []string{"11", "12"}, []string{"09"}},
		{"after everything", old.Add(3 * time.Hour), "2026-02-25 14:02:42", nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{a}}, nil)
			ctx := context.Background()
			list, err := b.client.AdsModifiedAfter(ctx, adv, tt.since)
			if err != nil {
				t.Fatal(err)
			}
			camps, err := b.client.CampaignsModifiedAfter(ctx, adv, tt.since)
			if err != nil {
				t.Fatal(err)
			}
			var gotAds, gotCamps []string
			for _, ad := range list {
				gotAds = append(gotAds, id(ad.ID))
			}
			for _, c := range camps {
				gotCamps = append(gotCamps, id(c.ID))
				if c.UpdatedAt.IsZero() {
					t.Errorf("campaign %s without UpdatedAt", c.ID)
				}
			}
			sort.Strings(gotAds)
			sort.Strings(gotCamps)
			if strings.Join(gotAds, ",") != strings.Join(tt.ads, ",") || strings.Join(gotCamps, ",") != strings.Join(tt.camp, ",") {
				t.Errorf("ads %v campaigns %v, want %v %v", gotAds, gotCamps, tt.ads, tt.camp)
			}
			for _, path := range []string{"/ad/get/", "/campaign/get/"} {
				for _, c := range b.calls(path) {
					var f map[string]string
					if raw := c.Query.Get("filtering"); raw != "" {
						if err := json.Unmarshal([]byte(raw), &f); err != nil {
							t.Fatal(err)
						}
					}
					if f["modified_after"] != tt.wantAfter {
						t.Errorf("%s modified_after=%q, want %q", path, f["modified_after"], tt.wantAfter)
					}
				}
			}
		})
	}
}
