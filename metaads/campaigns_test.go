package metaads_test

import (
	"context"
	"errors"
	"testing"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
)

// TestAdvantageCampaignBudget: under Advantage+ campaign budget the
// campaign holds the budget: the ad set reads no daily budget, an ad-set
// budget write is refused as Meta refuses it (100 / 1885621 "Budget
// Conflict"), the campaign's daily budget is read and written, and the
// campaigns list labels it.
func TestAdvantageCampaignBudget(t *testing.T) {
	t.Parallel()
	b := setup(t, metafake.Seed{Accounts: []metafake.Account{{ID: testAct, Currency: "USD", Timezone: "UTC",
		Campaigns: []metafake.Campaign{{ID: "c1", Name: "ASC", DailyBudget: 20000, AdvantageState: "ADVANTAGE_PLUS_SALES"},
			{ID: "c2", Name: "manual"}, {ID: "c3", Name: "old ASC", LifetimeBudget: 900000, SmartPromotionType: "AUTOMATED_SHOPPING_ADS"}},
		AdSets: []metafake.AdSet{{ID: "s1", CampaignID: "c1", DailyBudget: 5000}, {ID: "s2", CampaignID: "c2", DailyBudget: 5000}},
	}}}, nil)
	ctx := context.Background()
	if _, err := b.client.AdSetDailyBudget(ctx, testAct, "s1"); !errors.Is(err, metaads.ErrNoDailyBudget) {
		t.Errorf("ad set under a campaign budget: got %v, want ErrNoDailyBudget", err)
	}
	err := b.client.SetAdSetDailyBudget(ctx, testAct, "s1", 6000)
	var ae *ads.APIError
	if !errors.As(err, &ae) || ae.Code != 100 || ae.Subcode != 1885621 || ae.Kind != ads.KindInvalid {
		t.Fatalf("ad-set budget write under a campaign budget: got %v, want Meta's 100/1885621 invalid-request error", err)
	}
	if err := b.client.SetAdSetDailyBudget(ctx, testAct, "s2", 6000); err != nil {
		t.Errorf("ad-set budget write in a manual campaign: %v", err)
	}
	cb, err := b.client.CampaignBudgetInfo(ctx, testAct, "c1")
	if err != nil || cb.Daily != 20000 || !cb.AtCampaign() || cb.Automation != "ADVANTAGE_PLUS_SALES" {
		t.Fatalf("campaign budget = %+v, %v; want 20000 daily, Advantage+ sales", cb, err)
	}
	if err := b.client.SetCampaignDailyBudget(ctx, testAct, "c1", 24000); err != nil {
		t.Fatal(err)
	}
	if c, _ := b.fake.Campaign("c1"); c.DailyBudget != 24000 {
		t.Errorf("campaign budget after the write = %d, want 24000", c.DailyBudget)
	}
	if err := b.client.SetCampaignDailyBudget(ctx, testAct, "c3", 1000); !errors.As(err, &ae) || ae.Kind != ads.KindInvalid {
		t.Errorf("daily budget on a lifetime-budget campaign: got %v, want refused", err)
	}
	list, err := b.client.Campaigns(ctx, testAct, "USD")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{"c1": {ads.BudgetAtCampaign, "ADVANTAGE_PLUS_SALES"}, "c2": {ads.BudgetAtAdSet, ""},
		"c3": {ads.BudgetAtCampaign, "AUTOMATED_SHOPPING_ADS"}}
	if len(list) != len(want) {
		t.Fatalf("campaigns = %+v, want %d", list, len(want))
	}
	for _, c := range list {
		if w := want[c.ID]; c.BudgetLevel != w[0] || c.Automation != w[1] {
			t.Errorf("campaign %s labelled %q/%q, want %q/%q", c.ID, c.BudgetLevel, c.Automation, w[0], w[1])
		}
	}
}
