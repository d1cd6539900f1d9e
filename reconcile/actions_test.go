package reconcile

import (
	"reflect"
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
		mode string
		step string
		max  int64
		want []row
	}{
		{name: "alert mode plans nothing", mode: "alert", step: "0.2", max: usd("500"), want: nil},
		{name: "apply: pause cut, raise scaled by step", mode: "apply", step: "0.2", max: usd("500"), want: []row{
			{"loser", ActionPauseAd, "ad2", "ACTIVE", "PAUSED", ""},
			{"shared", ActionSetBudget, "grp", "50000000", "50000000", "ad set grp also runs [meh], which are not being scaled"},
			{"winner", ActionSetBudget, "set1", "100000000", "120000000", ""},
		}},
		{name: "raise capped at max", mode: "apply", step: "0.5", max: usd("130"), want: []row{
			{"loser", ActionPauseAd, "ad2", "ACTIVE", "PAUSED", ""},
			{"shared", ActionSetBudget, "grp", "50000000", "50000000", "ad set grp also runs [meh], which are not being scaled"},
			{"winner", ActionSetBudget, "set1", "100000000", "130000000", ""},
		}},
		{name: "already at max", mode: "apply", step: "0.2", max: usd("100"), want: []row{
			{"loser", ActionPauseAd, "ad2", "ACTIVE", "PAUSED", ""},
			{"shared", ActionSetBudget, "grp", "50000000", "50000000", "ad set grp also runs [meh], which are not being scaled"},
			{"winner", ActionSetBudget, "set1", "100000000", "100000000", "budget 100.00 is already at or above the maximum 100.00"},
		}},
		{name: "no max means no raise", mode: "apply", step: "0.2", max: 0, want: []row{
			{"loser", ActionPauseAd, "ad2", "ACTIVE", "PAUSED", ""},
			{"shared", ActionSetBudget, "grp", "50000000", "50000000", "ad set grp also runs [meh], which are not being scaled"},
			{"winner", ActionSetBudget, "set1", "100000000", "100000000", "no maximum daily budget configured; budget raises are off"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := summarize(PlanActions(tc.mode, verdicts, current, ads.MustRate(tc.step), tc.max))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("PlanActions(%s, step %s, max %d):\n got %v\nwant %v", tc.mode, tc.step, tc.max, got, tc.want)
			}
		})
	}
}
