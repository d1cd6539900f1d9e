package reconcile

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/roasd/roasd/ads"
)

// Platform actions a verdict can lead to (PlannedAction.Action).
const (
	// ActionPauseAd pauses an ad of a cut variant.
	ActionPauseAd = "pause_ad"
	// ActionSetBudget raises the daily budget of a scaled variant's ad set
	// (Meta) or ad group (TikTok).
	ActionSetBudget = "set_budget"
	// ActionSetCampaignBudget raises the daily budget of a scaled
	// variant's campaign where the campaign holds the budget (Meta
	// Advantage+ campaign budget): its ad sets have none to raise.
	ActionSetCampaignBudget = "set_campaign_budget"
)

// BudgetAction reports whether action changes a budget (of an ad set or
// of a campaign).
func BudgetAction(action string) bool {
	return action == ActionSetBudget || action == ActionSetCampaignBudget
}

// AdBudget is one ad of a variant as it is now on its platform.
type AdBudget struct {
	// Subject is the variant key the ad runs.
	Subject  string
	Platform ads.Platform
	Account  string
	AdID     string
	// AdStatus is the platform status, e.g. ACTIVE, ENABLE, PAUSED.
	AdStatus string
	// AdSetID is the Meta ad set or TikTok ad group holding the budget.
	AdSetID string
	// CampaignID is the ad's campaign. CampaignBudget reports whether the
	// campaign holds the budget (Meta Advantage+ campaign budget, TikTok
	// campaign budget optimisation or Smart+): the ads of such a campaign
	// share one budget, so a raise goes to the campaign and Budget is the
	// campaign's daily budget.
	CampaignID     string
	CampaignBudget bool
	// Budget is the daily budget of the ad set (or of the campaign, with
	// CampaignBudget) in micro-units; zero when there is none (e.g. a
	// lifetime budget) or it is unknown.
	Budget int64
}

// PlannedAction is one change to make on a platform, with the value before
// and after, or the reason it is skipped.
type PlannedAction struct {
	Subject  string
	Platform ads.Platform
	Account  string
	// Action is ActionPauseAd, ActionSetBudget or ActionSetCampaignBudget.
	Action string
	// TargetID is the ad id (pause), the ad set / ad group id
	// (ActionSetBudget) or the campaign id (ActionSetCampaignBudget).
	TargetID string
	// Before and After are the recorded values: a status ("ACTIVE" →
	// "PAUSED") or a budget in micro-units as a decimal string.
	Before, After string
	// BeforeBudget and AfterBudget are the budgets in micro-units
	// (budget actions only).
	BeforeBudget, AfterBudget int64
	// Skipped, when not empty, says why the action will not be taken; it
	// is planned so the decision is still recorded.
	Skipped string
	// Reason says why the action is planned, for people.
	Reason string
}

// PlanActions turns verdicts into platform actions (for a test whose
// actions are applied or approved; the caller decides). A cut pauses each
// delivering ad of the variant. A scale raises the variant's ad set budget
// by step (a fraction: 0.2 = +20%), capped at maxBudget (micro-units); it is
// skipped when maxBudget is zero, the budget is unknown or already at the
// cap, or the ad set also runs a variant that is not being scaled. Where
// the campaign holds the budget the raise is the campaign's
// (ActionSetCampaignBudget), under the same rules: every ad of the
// campaign (current lists them all, with their subjects) must be scaled.
func PlanActions(verdicts []Verdict, current []AdBudget, step ads.Rate, maxBudget int64) []PlannedAction {
	wants := map[string]string{} // subject → wanted action
	for _, w := range WantedActions(verdicts) {
		wants[w.Subject] = w.Action
	}
	var out []PlannedAction
	type adSet struct {
		platform ads.Platform
		account  string
		campaign bool
		budget   int64
		subjects map[string]bool
	}
	sets := map[string]*adSet{}
	var setOrder []string
	for _, a := range current {
		if wants[a.Subject] == ActionPauseAd {
			if !adDelivering(a.AdStatus) {
				continue
			}
			out = append(out, PlannedAction{
				Subject: a.Subject, Platform: a.Platform, Account: a.Account, Action: ActionPauseAd, TargetID: a.AdID,
				Before: a.AdStatus, After: "PAUSED",
				Reason: fmt.Sprintf("variant %s was cut", a.Subject),
			})
		}
		key := string(a.Platform) + "/" + a.AdSetID
		if a.CampaignBudget && a.CampaignID != "" {
			key = string(a.Platform) + "/" + a.CampaignID
		} else if a.AdSetID == "" {
			continue
		}
		s := sets[key]
		if s == nil {
			s = &adSet{platform: a.Platform, account: a.Account, campaign: a.CampaignBudget && a.CampaignID != "", subjects: map[string]bool{}}
			sets[key] = s
			setOrder = append(setOrder, key)
		}
		s.subjects[a.Subject] = true
		s.budget = max(s.budget, a.Budget)
	}
	for _, key := range setOrder {
		s := sets[key]
		var scaled, others []string
		for sub := range s.subjects {
			if wants[sub] == ActionSetBudget {
				scaled = append(scaled, sub)
			} else {
				others = append(others, sub)
			}
		}
		if len(scaled) == 0 {
			continue
		}
		sort.Strings(scaled)
		sort.Strings(others)
		id := key[len(s.platform)+1:]
		before := s.budget
		raise := step.Apply(before)
		after := min(before+raise, maxBudget)
		pa := PlannedAction{
			Subject: scaled[0], Platform: s.platform, Account: s.account, Action: ActionSetBudget, TargetID: id,
			Before: strconv.FormatInt(before, 10), After: strconv.FormatInt(before, 10), BeforeBudget: before, AfterBudget: before,
			Reason: fmt.Sprintf("variant %s was scaled: raise daily budget by %s%%", scaled[0], pct(step)),
		}
		holder := "ad set " + id
		if s.campaign {
			pa.Action, holder = ActionSetCampaignBudget, "campaign "+id
			pa.Reason = fmt.Sprintf("variant %s was scaled: raise the daily budget of campaign %s, which holds the budget of its ad sets, by %s%%", scaled[0], id, pct(step))
		}
		switch {
		case len(others) > 0 && s.campaign:
			pa.Skipped = fmt.Sprintf("campaign %s holds the budget its ad sets share and also runs %v, which are not being scaled; "+
				"raising it would raise them too — move the scaled variant to its own campaign (or one with ad-set budgets) to let roasd raise it", id, others)
		case len(others) > 0:
			pa.Skipped = fmt.Sprintf("ad set %s also runs %v, which are not being scaled", id, others)
		case maxBudget <= 0:
			pa.Skipped = "no maximum daily budget configured; budget raises are off"
		case before <= 0:
			pa.Skipped = fmt.Sprintf("%s has no daily budget of its own", holder)
		case raise <= 0:
			pa.Skipped = "budget step is zero"
		case before >= maxBudget:
			pa.Skipped = fmt.Sprintf("budget %s is already at or above the maximum %s", ads.FormatMicros(before, 2), ads.FormatMicros(maxBudget, 2))
		default:
			pa.After, pa.AfterBudget = strconv.FormatInt(after, 10), after
		}
		out = append(out, pa)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Subject != out[j].Subject {
			return out[i].Subject < out[j].Subject
		}
		if out[i].Action != out[j].Action {
			return out[i].Action < out[j].Action
		}
		return out[i].TargetID < out[j].TargetID
	})
	return out
}

func pct(r ads.Rate) string {
	return ads.FormatMicros(r.Apply(100*ads.MicrosPerUnit), 0)
}
