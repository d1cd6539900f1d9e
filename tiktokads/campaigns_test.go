package tiktokads_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// TestCampaignHeldBudget: a campaign with campaign budget optimisation (or
// Smart+) holds the budget: /campaign/get/ labels it, and an ad group
// budget update under it is refused (40002), whatever the ad group's mode,
// while an ad group of a manual campaign still takes one.
func TestCampaignHeldBudget(t *testing.T) {
	t.Parallel()
	b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{{ID: adv, Currency: "USD", Timezone: "UTC",
		Campaigns: []tiktokfake.Campaign{
			{ID: "c-cbo", Name: "CBO", BudgetMicros: ads.MustMicros("80"), BudgetOptimizeOn: true},
			{ID: "c-smart", Name: "Smart+", BudgetMicros: ads.MustMicros("50"), AutomationType: tiktokfake.AutomationSmartPlus},
			{ID: "c-manual", Name: "manual"}},
		AdGroups: []tiktokfake.AdGroup{
			{ID: "g-cbo", CampaignID: "c-cbo", BudgetMode: tiktokfake.BudgetModeTotal, BudgetMicros: ads.MustMicros("100")},
			{ID: "g-smart", CampaignID: "c-smart", BudgetMode: tiktokfake.BudgetModeInfinite},
			{ID: "g-manual", CampaignID: "c-manual", BudgetMode: tiktokfake.BudgetModeTotal, BudgetMicros: ads.MustMicros("100")}},
	}}}, nil)
	ctx := context.Background()
	for _, g := range []string{"g-cbo", "g-smart"} {
		_, err := b.client.SetAdGroupBudget(ctx, adv, g, ads.MustMicros("120"))
		var ae *ads.APIError
		if !errors.As(err, &ae) || ae.Code != 40002 || ae.Kind != ads.KindInvalid || !strings.Contains(ae.Message, "campaign budget optimization") {
			t.Errorf("budget update of ad group %s: got %v, want 40002 naming campaign budget optimization", g, err)
		}
	}
	if _, err := b.client.SetAdGroupBudget(ctx, adv, "g-manual", ads.MustMicros("120")); err != nil {
		t.Errorf("budget update of a manual campaign's ad group: %v", err)
	}
	list, err := b.client.Campaigns(ctx, adv)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ads.Campaign{
		"c-cbo":    {BudgetLevel: ads.BudgetAtCampaign, DailyBudget: ads.MustMicros("80")},
		"c-smart":  {BudgetLevel: ads.BudgetAtCampaign, Automation: "SMART_PLUS", DailyBudget: ads.MustMicros("50")},
		"c-manual": {BudgetLevel: ads.BudgetAtAdSet}}
	if len(list) != len(want) {
		t.Fatalf("campaigns = %+v, want %d", list, len(want))
	}
	for _, c := range list {
		w := want[c.ID]
		if c.BudgetLevel != w.BudgetLevel || c.Automation != w.Automation || c.DailyBudget != w.DailyBudget {
			t.Errorf("campaign %s = %+v, want level %q automation %q daily %d micros", c.ID, c, w.BudgetLevel, w.Automation, w.DailyBudget)
		}
	}
}
