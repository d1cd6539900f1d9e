package metaads_test

import (
	"testing"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/metaads"
)

// TestDeletedAndArchivedAdsCount: Meta hides archived and deleted ads from
// the ads edge and their rows from account-level insights unless a status
// filter names them; their spend must still be read (sync and async).
func TestDeletedAndArchivedAdsCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		asyncDays int
	}{
		{"sync insights", 1000},
		{"async insights", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seed := bigSeed(4, 3)
			seed.Accounts[0].Ads[1].EffectiveStatus = "DELETED"
			seed.Accounts[0].Ads[1].Status = "DELETED"
			seed.Accounts[0].Ads[2].EffectiveStatus = "ARCHIVED"
			b := setup(t, seed, func(o *metaads.Options) { o.AsyncDays = tt.asyncDays })
			list, err := b.client.Ads(t.Context(), testAct)
			if err != nil {
				t.Fatal(err)
			}
			status := map[string]string{}
			for _, a := range list {
				status[a.ID] = a.Status
			}
			if len(list) != 4 || status[seed.Accounts[0].Ads[1].ID] != "DELETED" || status[seed.Accounts[0].Ads[2].ID] != "ARCHIVED" {
				t.Errorf("Ads = %v, want all 4 with the deleted and archived ones", status)
			}
			stats, err := b.client.DayStats(t.Context(), testAct, ads.DateRange{From: day0, To: day0.AddDays(2)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			perAd := map[string]int{}
			for _, s := range stats {
				perAd[s.AdID]++
			}
			for _, ad := range seed.Accounts[0].Ads {
				if perAd[ad.ID] != 3 {
					t.Errorf("ad %s (%s): %d insight rows, want 3", ad.ID, ad.EffectiveStatus, perAd[ad.ID])
				}
			}
		})
	}
}
