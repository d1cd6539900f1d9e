package reconcile

import (
	"reflect"
	"strings"
	"testing"

	"github.com/roasd/roasd/ads"
)

func TestPlanActions(t *testing.T) {
	t.Parallel()
	verdicts := []Verdict{
		{Subject: "winner", Verdict: VerdictScale},
		{Subject: "loser", Verdict: VerdictCut},
		{Subject: "meh", Verdict: VerdictRefresh},
		{Subject: "shared", Verdict: VerdictScale},
	}
	current := []AdBudget{
		{Subject: "winner", Platform: ads.Meta, Account: "act_1", AdID: "ad1", AdStatus: "ACTIVE", AdSetID: "set1", Budget: usd("100")},
		{Subject: "loser", Platform: ads.Meta, Account: "act_1", AdID: "ad2", AdStatus: "ACTIVE", AdSetID: "set2", Budget: usd("100")},
		{Subject: "loser", Platform: ads.Meta, Account: "act_1", AdID: "ad3", AdStatus: "PAUSED", AdSetID: "set2", Budget: usd("100")},
		{Subject: "meh", Platform: ads.TikTok, Account: "adv", AdID: "ad4", AdStatus: "ENABLE", AdSetID: "grp", Budget: usd("50")},
		{Subject: "shared", Platform: ads.TikTok, Account: "adv", AdID: "ad5", AdStatus: "ENABLE", AdSetID: "grp", Budget: usd("50")},
	}
	type row struct{ subject, action, target, before, after, skipped string }
	summarize := func(pa []PlannedAction) []row {
		var out []row
		for _, a := range pa {
			out = append(out, row{a.Subject, a.Action, a.TargetID, a.Before, a.After, a.Skipped})
		}
		return out
	}
	tests := []struct {
		name string
		step string
		max  int64
		want []row
	}{
		{name: "apply: pause cut, raise scaled by step", step: "0.2", max: usd("500"), want: []row{
			{"loser", ActionPauseAd, "ad2", "ACTIVE", "PAUSED", ""},
			{"shared", ActionSetBudget, "grp", "50000000", "50000000", "ad set grp also runs [meh], which are not being scaled"},
			{"winner", ActionSetBudget, "set1", "100000000", "120000000", ""},
		}},
		{name: "raise capped at max", step: "0.5", max: usd("130"), want: []row{
			{"loser", ActionPauseAd, "ad2", "ACTIVE", "PAUSED", ""},
			{"shared", ActionSetBudget, "grp", "50000000", "50000000", "ad set grp also runs [meh], which are not being scaled"},
			{"winner", ActionSetBudget, "set1", "100000000", "130000000", ""},
		}},
		{name: "already at max", step: "0.2", max: usd("100"), want: []row{
			{"loser", ActionPauseAd, "ad2", "ACTIVE", "PAUSED", ""},
			{"shared", ActionSetBudget, "grp", "50000000", "50000000", "ad set grp also runs [meh], which are not being scaled"},
			{"winner", ActionSetBudget, "set1", "100000000", "100000000", "budget 100.00 is already at or above the maximum 100.00"},
		}},
		{name: "no max means no raise", step: "0.2", max: 0, want: []row{
			{"loser", ActionPauseAd, "ad2", "ACTIVE", "PAUSED", ""},
			{"shared", ActionSetBudget, "grp", "50000000", "50000000", "ad set grp also runs [meh], which are not being scaled"},
			{"winner", ActionSetBudget, "set1", "100000000", "100000000", "no maximum daily budget configured; budget raises are off"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := summarize(PlanActions(verdicts, current, ads.MustRate(tc.step), tc.max))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("PlanActions(step %s, max %d):\n got %v\nwant %v", tc.step, tc.max, got, tc.want)
			}
		})
	}
}

// TestPlanActionsCampaignBudget: where the campaign holds the budget the
// raise goes to the campaign, and only when every ad of the campaign runs
// a scaled variant (its budget is theirs too).
func TestPlanActionsCampaignBudget(t *testing.T) {
	t.Parallel()
	verdicts := []Verdict{{Subject: "winner", Verdict: VerdictScale}, {Subject: "meh", Verdict: VerdictHold}}
	camp := func(subject, ad, set string) AdBudget {
		return AdBudget{Subject: subject, Platform: ads.Meta, Account: "act_1", AdID: ad, AdStatus: "ACTIVE", AdSetID: set,
			CampaignID: "c1", CampaignBudget: true, Budget: usd("200")}
	}
	tests := []struct {
		name        string
		current     []AdBudget
		wantAction  string
		wantAfter   string
		wantSkipped string
	}{
		{"only scaled ads: the campaign is raised", []AdBudget{camp("winner", "ad1", "s1"), camp("winner", "ad2", "s2")},
			ActionSetCampaignBudget, "240000000", ""},
		{"the campaign also runs another variant", []AdBudget{camp("winner", "ad1", "s1"), camp("meh", "ad3", "s3")},
			ActionSetCampaignBudget, "200000000", "campaign c1 holds the budget its ad sets share and also runs [meh]"},
		{"a lifetime campaign budget", []AdBudget{{Subject: "winner", Platform: ads.Meta, Account: "act_1", AdID: "ad1", AdStatus: "ACTIVE",
			AdSetID: "s1", CampaignID: "c1", CampaignBudget: true}}, ActionSetCampaignBudget, "0", "campaign c1 has no daily budget of its own"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []PlannedAction
			for _, pa := range PlanActions(verdicts, tc.current, ads.MustRate("0.2"), usd("1000")) {
				if BudgetAction(pa.Action) {
					got = append(got, pa)
				}
			}
			if len(got) != 1 || got[0].Action != tc.wantAction || got[0].TargetID != "c1" || got[0].After != tc.wantAfter ||
				!strings.HasPrefix(got[0].Skipped, tc.wantSkipped) || (tc.wantSkipped == "") != (got[0].Skipped == "") {
				t.Fatalf("got %+v, want one %s on c1 to %s skipped %q", got, tc.wantAction, tc.wantAfter, tc.wantSkipped)
			}
		})
	}
}
