package metaads_test

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/metaads/metafake"
)

// TestChangedSince: AdsChangedSince and CampaignsChangedSince send
// updated_since (unix seconds, one early so that an object updated in
// since's second is listed) and return only what changed; zero since
// sends none and lists everything, archived and deleted objects included.
func TestChangedSince(t *testing.T) {
	t.Parallel()
	old := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	seed := bigSeed(4, 1)
	a := &seed.Accounts[0]
	a.Campaigns = []metafake.Campaign{{ID: "2384000000001", Name: "hooks", UpdatedTime: old}, {ID: "2384000000002", Name: "cbo", DailyBudget: 5000, UpdatedTime: old.Add(time.Hour)}}
	a.Ads[1].UpdatedTime = old.Add(time.Hour)
	a.Ads[2].UpdatedTime = old.Add(2 * time.Hour)
	a.Ads[2].Status, a.Ads[2].EffectiveStatus = "DELETED", "DELETED"
	for _, tt := range []struct {
		name      string
		since     time.Time
		wantParam string
		ads, camp []string
	}{
		{"zero lists everything", time.Time{}, "", []string{"0", "1", "2", "3"}, []string{"1", "2"}},
		{"the second of since is listed", old.Add(time.Hour + 500*time.Millisecond), strconv.FormatInt(old.Add(time.Hour).Unix()-1, 10), []string{"1", "2"}, []string{"2"}},
		{"after everything", old.Add(3 * time.Hour), strconv.FormatInt(old.Add(3*time.Hour).Unix()-1, 10), nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, seed, nil)
			ctx := context.Background()
			list, err := b.client.AdsChangedSince(ctx, testAct, tt.since)
			if err != nil {
				t.Fatal(err)
			}
			camps, err := b.client.CampaignsChangedSince(ctx, testAct, "USD", tt.since)
			if err != nil {
				t.Fatal(err)
			}
			var gotAds, gotCamps []string
			for _, ad := range list {
				n, _ := strconv.Atoi(ad.ID[len("23851"):]) // bigSeed's ad i is 23851 and i in 12 digits
				gotAds = append(gotAds, strconv.Itoa(n))
				if ad.UpdatedAt.IsZero() {
					t.Errorf("ad %s without UpdatedAt", ad.ID)
				}
			}
			for _, c := range camps {
				gotCamps = append(gotCamps, c.ID[len(c.ID)-1:])
				if c.UpdatedAt.IsZero() {
					t.Errorf("campaign %s without UpdatedAt", c.ID)
				}
				if c.ID == "2384000000002" && c.BudgetLevel != ads.BudgetAtCampaign {
					t.Errorf("campaign %+v: budget not at the campaign", c)
				}
			}
			sort.Strings(gotAds)
			if strings.Join(gotAds, ",") != strings.Join(tt.ads, ",") || strings.Join(gotCamps, ",") != strings.Join(tt.camp, ",") {
				t.Errorf("ads %v campaigns %v, want %v %v", gotAds, gotCamps, tt.ads, tt.camp)
			}
			for _, c := range b.fake.Calls() {
				if got := c.Params.Get("updated_since"); got != tt.wantParam {
					t.Errorf("%s updated_since=%q, want %q", c.Path, got, tt.wantParam)
				}
			}
		})
	}
}
