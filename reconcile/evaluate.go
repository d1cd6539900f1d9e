package reconcile

import (
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// Window is a span of one test's days whose variant measures are summed
// to judge them: a due checkpoint's days (Start … Start+N−1), or Start …
// today for the guards while the test runs.
type Window struct {
	TestID   string
	From, To ads.Date
}

// Windows lists the windows Evaluate judges b's tests on, on today, each
// once, in test order: a test's due checkpoints, then up to today while
// it runs. The caller sums each (EvalInput.Sums).
func Windows(b *configs.Brand, today ads.Date) []Window {
	var out []Window
	seen := map[Window]bool{}
	add := func(w Window) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for _, t := range b.Tests {
		for _, cp := range DueCheckpoints(t.Start, t.Checkpoints, today) {
			add(checkpointWindow(t, cp))
		}
		if runsOn(t, today) {
			add(Window{TestID: t.ID, From: t.Start, To: today})
		}
	}
	return out
}

func checkpointWindow(t *configs.Test, days int) Window {
	return Window{TestID: t.ID, From: t.Start, To: t.Start.AddDays(days - 1)}
}

// runsOn reports whether t runs on day (its guards are checked).
func runsOn(t *configs.Test, day ads.Date) bool {
	return !day.After(t.End()) && !day.Before(t.Start)
}

// EvalInput is everything Evaluate judges a brand on, loaded beforehand.
type EvalInput struct {
	// Brand is the brand as configs loaded it, defaults filled
	// (checkpoints, budget step, actions mode): Evaluate adds none.
	Brand *configs.Brand
	// Now is the run's clock (grant expiry) and Today the brand's day of
	// it (checkpoints, guards, provisional days).
	Now   time.Time
	Today ads.Date
	// Sums holds each window of Windows(Brand, Today) summed by variant
	// key, money in micro-units of the brand's currency; a variant with
	// no cells may be absent (it counts as zero). A variant is judged on
	// its spend, paid revenue and orders; platform conversions,
	// impressions and engagements go along.
	Sums map[Window]map[string]ads.KPI
	// Synced is what the syncs stored of the brand's grants and ads.
	Synced Synced
}

// VariantID names a declared variant: its test and key.
type VariantID struct{ TestID, VariantKey string }

// Synced is what the syncs stored of a brand's grants and ads, as the
// evaluation rules read it.
type Synced struct {
	// Permissions are the grants synced from the brand's own ad accounts
	// (another brand's grant for the same creator must not count).
	Permissions []ads.Permission
	// SparkItems maps a Spark authorization code to the post it
	// authorized, as learnt when it was applied.
	SparkItems map[string]string
	// AdCounts counts the synced ads matched to each declared variant.
	AdCounts map[VariantID]int
	// Ads are the synced ads of the brand's own ad accounts.
	Ads []ads.Ad
}

// Evaluation is what Evaluate decided for a brand.
type Evaluation struct {
	// Tests are the brand's tests in configuration order.
	Tests []TestEvaluation
	// Tracking is what the synced grants and ads say of the declared
	// variants.
	Tracking
}

// Tracking is what a brand's synced grants and ads say of its declared
// variants (Track).
type Tracking struct {
	// Needs lists each variant that runs on a creator's grant (a Meta
	// whitelisted ad, a TikTok Spark ad) and the grant it needs, in
	// test and variant order.
	Needs []PermissionNeed
	// Permissions are the needed grants that are missing, revoked,
	// expired or about to expire while their variant has spend planned.
	Permissions []PermissionAlert
	// Hygiene lists declared variants of running tests that no ad runs,
	// and running ads without utm_content.
	Hygiene []HygieneIssue
}

// TestEvaluation is one test's verdicts, guards and wanted actions.
type TestEvaluation struct {
	Test *configs.Test
	// Checkpoints are the test's due checkpoints, ascending, each judged
	// on its own window.
	Checkpoints []CheckpointVerdicts
	// Running reports whether the test runs today; only then are its
	// guards checked.
	Running bool
	// GuardPeriod names where today falls: "before-30d" (the next
	// checkpoint) or "after-last-checkpoint"; "" when not running.
	GuardPeriod string
	// Guards are the guards tripped on the test's days up to today.
	Guards []Guard
	// Acts reports whether the test opted in to platform actions
	// (actions: apply or approve).
	Acts bool
	// Wants are the platform changes the latest due checkpoint's
	// verdicts ask for when the test acts (nil otherwise); PlanActions
	// turns them into changes on the ads as they are, within the test's
	// guardrails (BudgetStep, MaxDailyBudget).
	Wants []Want
}

// Latest is the test's latest due checkpoint; ok is false when none is
// due yet.
func (te TestEvaluation) Latest() (cp CheckpointVerdicts, ok bool) {
	if len(te.Checkpoints) == 0 {
		return CheckpointVerdicts{}, false
	}
	return te.Checkpoints[len(te.Checkpoints)-1], true
}

// CheckpointVerdicts are the verdicts of one due checkpoint.
type CheckpointVerdicts struct {
	// Days is the checkpoint's offset from the test's start, Label its
	// name ("14d").
	Days  int
	Label string
	// Window is the days judged.
	Window Window
	// Verdicts are one per declared variant, in declaration order.
	Verdicts []Verdict
}

// Want is a platform change a verdict asks for.
type Want struct {
	Subject  string
	Platform string
	// Verdict is the verdict that asks (VerdictCut or VerdictScale).
	Verdict string
	// Action is ActionPauseAd (a cut pauses the variant's ads) or
	// ActionSetBudget (a scale raises the budget its ads draw on; it may
	// turn out to be the campaign's, see PlanActions).
	Action string
}

// WantedActions is what verdicts ask of the platforms, in verdict order:
// a cut pauses the variant's ads, a scale raises its budget; refresh and
// hold change nothing.
func WantedActions(verdicts []Verdict) []Want {
	var out []Want
	for _, v := range verdicts {
		w := Want{Subject: v.Subject, Platform: v.Platform, Verdict: v.Verdict}
		switch v.Verdict {
		case VerdictCut:
			w.Action = ActionPauseAd
		case VerdictScale:
			w.Action = ActionSetBudget
		default:
			continue
		}
		out = append(out, w)
	}
	return out
}

// Evaluate applies the evaluation rules to a brand's loaded data:
//
//   - each due checkpoint N of a test judges its variants on the sums of
//     the test's first N days (Decide, with the test's target, floor and
//     minimum spend in the brand's currency), marked provisional when
//     every one of those days may still change (FinalityOf);
//   - while a test runs, its guards are checked on its days up to today;
//     the zero-orders guard trips at the larger of min_spend and
//     configs.ZeroOrderGuardSpend;
//   - a test with actions apply or approve wants what its latest due
//     checkpoint's verdicts ask for (WantedActions);
//   - a Meta whitelisted variant needs a partnership permission of the
//     test creator's Instagram handle, a TikTok Spark variant the Spark
//     authorization of its post (item_id, or the post its spark_code
//     authorized) and creator's TikTok handle; each is checked against
//     the synced grants while the test window lasts (PermissionAlerts);
//   - declared variants of running tests with no ad, and running ads
//     without utm_content, are hygiene issues.
//
// It does no I/O and reads no clock; defaults come from configs.
func Evaluate(in EvalInput) Evaluation {
	b, today := in.Brand, in.Today
	finality := FinalityOf(b, today)
	perf := func(t *configs.Test, w Window) []VariantPerf {
		sums := in.Sums[w]
		out := make([]VariantPerf, 0, len(t.Variants))
		for _, v := range t.Variants {
			k := sums[v.Key]
			out = append(out, VariantPerf{Key: v.Key, Platform: string(v.Platform), Spend: k.Spend, Revenue: k.PaidRevenue, Orders: k.PaidOrders,
				PlatformConversions: k.PlatformConversions, Impressions: k.Impressions, Engagements: k.Engagements})
		}
		return out
	}
	guardFloor := ads.MustMicros(configs.ZeroOrderGuardSpend)
	var ev Evaluation
	for _, t := range b.Tests {
		te := TestEvaluation{Test: t, Acts: t.Actions == configs.ActionsApply || t.Actions == configs.ActionsApprove}
		policy := VerdictPolicy{TargetROAS: t.TargetROAS, FloorROAS: t.FloorROAS, MinSpend: t.MinSpend, Currency: b.Currency}
		for _, days := range DueCheckpoints(t.Start, t.Checkpoints, today) {
			w := checkpointWindow(t, days)
			verdicts := Decide(policy, perf(t, w))
			// A verdict judged only on days that may still change says
			// so (the reports' rule).
			MarkProvisionalVerdicts(verdicts, finality, ads.DateRange{From: w.From, To: w.To})
			te.Checkpoints = append(te.Checkpoints, CheckpointVerdicts{Days: days, Label: CheckpointLabel(days), Window: w, Verdicts: verdicts})
		}
		if cp, ok := te.Latest(); ok && te.Acts {
			te.Wants = WantedActions(cp.Verdicts)
		}
		if runsOn(t, today) {
			te.Running = true
			te.GuardPeriod = "after-last-checkpoint"
			for _, cp := range t.Checkpoints {
				if t.Start.AddDays(cp).After(today) {
					te.GuardPeriod = "before-" + CheckpointLabel(cp)
					break
				}
			}
			guards := GuardPolicy{ZeroOrderSpend: max(t.MinSpend, guardFloor), Currency: b.Currency}
			te.Guards = Guards(guards, perf(t, Window{TestID: t.ID, From: t.Start, To: today}))
		}
		ev.Tests = append(ev.Tests, te)
	}

	ev.Tracking = Track(b, in.Now, today, in.Synced)
	return ev
}

// Track checks b's declared variants against what the syncs stored: the
// grant each grant variant needs (grantNeed) against the synced grants
// while its test window lasts (PermissionAlerts), and the variants no ad
// runs and the running ads without utm_content (HygieneIssues).
func Track(b *configs.Brand, now time.Time, today ads.Date, s Synced) Tracking {
	var tr Tracking
	var declared []DeclaredVariant
	for _, t := range b.Tests {
		creator := b.Creator(t.Creator)
		for _, v := range t.Variants {
			declared = append(declared, DeclaredVariant{TestID: t.ID, VariantKey: v.Key, Platform: v.Platform,
				Start: t.Start, Ends: t.End(), Ads: s.AdCounts[VariantID{TestID: t.ID, VariantKey: v.Key}]})
			if need, ok := grantNeed(t, v, creator, s.SparkItems); ok {
				tr.Needs = append(tr.Needs, need)
			}
		}
	}
	tr.Permissions = PermissionAlerts(now, today, 0, s.Permissions, tr.Needs)
	tr.Hygiene = HygieneIssues(today, declared, s.Ads)
	return tr
}

// grantNeed is the creator's grant variant v of t runs on, if any: a Meta
// whitelisted ad runs on the creator's partnership permission (by
// Instagram handle), a TikTok Spark ad on the Spark authorization of its
// post (item_id, or the post its spark_code authorized, and the creator's
// TikTok handle).
func grantNeed(t *configs.Test, v *configs.Variant, creator *configs.Creator, sparkItems map[string]string) (PermissionNeed, bool) {
	need := PermissionNeed{TestID: t.ID, VariantKey: v.Key, Platform: v.Platform, Ends: t.End()}
	switch {
	case v.Platform == ads.Meta && v.Kind == ads.Whitelisted && creator != nil:
		need.Creator = creator.Instagram
	case v.Platform == ads.TikTok && v.Kind == ads.Spark:
		need.ItemID = v.ItemID
		if need.ItemID == "" && v.SparkCode != "" {
			need.ItemID = sparkItems[v.SparkCode]
		}
		if creator != nil {
			need.Creator = creator.TikTok
		}
	default:
		return PermissionNeed{}, false
	}
	return need, true
}
