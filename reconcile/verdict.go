package reconcile

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/roasd/roasd/ads"
)

// The four verdicts a variant or creator can get at a checkpoint.
const (
	// VerdictScale: top third of the ranking with ROAS at or above target.
	VerdictScale = "scale"
	// VerdictCut: bottom third of the ranking, or ROAS below the floor.
	VerdictCut = "cut"
	// VerdictRefresh: neither scale nor cut — new hooks or edits.
	VerdictRefresh = "refresh"
	// VerdictHold: too little spend or evidence to judge yet.
	VerdictHold = "hold"
)

// Rules name which branch of the verdict engine decided (Verdict.Rule).
const (
	// RuleLowSpend holds a subject whose cost is below the minimum spend.
	RuleLowSpend = "low_spend"
	// RuleNoEvidence holds a subject with no orders when no average order
	// value is known to bound its ROAS.
	RuleNoEvidence = "no_evidence"
	// RuleThinEvidence holds a subject whose credible interval spans both
	// the floor and the target.
	RuleThinEvidence = "thin_evidence"
	// RuleBelowFloor cuts a subject whose ROAS is below the floor.
	RuleBelowFloor = "below_floor"
	// RuleTopThird scales a top-third subject at or above target.
	RuleTopThird = "top_third"
	// RuleTopBelowTarget refreshes a top-third subject below target.
	RuleTopBelowTarget = "top_below_target"
	// RuleBottomThird cuts a bottom-third subject.
	RuleBottomThird = "bottom_third"
	// RuleMiddle refreshes a middle-third subject.
	RuleMiddle = "middle"
)

// Primary metrics a test can rank on (VerdictPolicy.Metric).
const (
	// PrimaryROAS is paid revenue / spend (the default).
	PrimaryROAS = "roas"
	// PrimaryBlendedROAS is revenue / (spend + fees), used for creators.
	PrimaryBlendedROAS = "blended_roas"
)

// DefaultCredibility is the credible-interval mass used when a policy sets
// none: a 90% equal-tailed interval.
const DefaultCredibility = 0.90

// VariantPerf is what the verdict engine needs of one variant (or one
// creator) over the window up to a checkpoint. Money is in micro-units of
// the policy currency.
type VariantPerf struct {
	// Key is the variant key (or creator handle) the verdict is about.
	Key string
	// Platform is the variant's ad platform; empty for creators.
	Platform string
	// Spend is paid media spend; Revenue the store-confirmed revenue
	// attributed to the subject; Fees the creator fees allotted to it.
	Spend, Revenue, Fees int64
	// Orders is the count of store-confirmed orders behind Revenue.
	Orders int64
	// PlatformConversions is what the ad platform reported (kept beside
	// Orders, never added to them).
	PlatformConversions int64
	Impressions         int64
	Engagements         int64
}

// VerdictPolicy holds a test's thresholds.
type VerdictPolicy struct {
	// TargetROAS is the ROAS at or above which a top-third subject scales.
	TargetROAS float64
	// FloorROAS is the ROAS below which a subject is cut.
	FloorROAS float64
	// MinSpend (micro-units) is the cost below which a subject is held and
	// never cut.
	MinSpend int64
	// Currency labels amounts in reasons.
	Currency string
	// Metric is PrimaryROAS (default) or PrimaryBlendedROAS.
	Metric string
	// Credibility is the credible-interval mass (default 0.90).
	Credibility float64
	// FallbackAOV (micro-units) bounds the ROAS of a subject with no orders
	// when no other subject has orders either; zero means unknown.
	FallbackAOV int64
}

// Verdict is the decision about one subject at one checkpoint.
type Verdict struct {
	// Subject is the variant key or creator handle.
	Subject  string
	Platform string
	// Verdict is VerdictScale, VerdictCut, VerdictRefresh or VerdictHold.
	Verdict string
	// Rule is the branch that decided (RuleLowSpend, RuleTopThird, ...).
	Rule string
	// Reason says why, with the numbers, for people.
	Reason string
	// Rank is the 1-based position among the Of evaluated (non-held)
	// subjects, best first; 0 for holds.
	Rank, Of int
	// Metric is the ranking metric; ROAS its point value and Low/High the
	// bounds of its credible interval at Credibility.
	Metric           string
	ROAS, Low, High  float64
	Credibility      float64
	Spend, Cost, Fee int64
	Revenue          int64
	Orders           int64
	// PlatformConversions is the platform's own count, for context.
	PlatformConversions int64
	// Provisional is set (MarkProvisionalVerdicts) when every day the
	// verdict was judged on may still change: it says so and why.
	Provisional string `json:",omitempty"`
}

// MarkProvisionalVerdicts marks verdicts judged on the days of judged
// when every one of them is provisional under f (the report's rule,
// FinalityOf): each gets Provisional and its Reason says so.
func MarkProvisionalVerdicts(vs []Verdict, f Finality, judged ads.DateRange) {
	if !f.OnlyProvisional(judged) {
		return
	}
	note := fmt.Sprintf("judged only on provisional days (%s..%s may still change: %s)", judged.From, judged.To, f.Why)
	for i := range vs {
		vs[i].Provisional = note
		vs[i].Reason += " Provisional: " + note + "."
	}
}

// Decide ranks the subjects on the policy's primary metric and gives each
// a verdict. Subjects whose cost is under MinSpend, or whose credible
// interval spans both the floor and the target, are held and take no part
// in the ranking; the rest are ranked best first and split into thirds
// (each outer third holds max(1, round(n/3)) subjects, the top third first):
//
//   - ROAS below the floor → cut;
//   - top third and ROAS ≥ target → scale (top third below target → refresh);
//   - bottom third → cut;
//   - otherwise → refresh.
//
// The interval treats orders as Poisson with exposure = cost and a Jeffreys
// prior, so the order rate has a Gamma(orders+½, cost) posterior; ROAS is
// that rate times the average order value (the subject's own, or the
// pooled one when it has no orders). Verdicts come back in input order.
func Decide(policy VerdictPolicy, perf []VariantPerf) []Verdict {
	p := policy
	if p.Metric == "" {
		p.Metric = PrimaryROAS
	}
	if p.Credibility <= 0 || p.Credibility >= 1 {
		p.Credibility = DefaultCredibility
	}
	pooledAOV := p.FallbackAOV
	var allRev, allOrders int64
	for _, v := range perf {
		if v.Orders > 0 {
			allRev += v.Revenue
			allOrders += v.Orders
		}
	}
	if allOrders > 0 {
		pooledAOV = allRev / allOrders
	}

	out := make([]Verdict, len(perf))
	var ranked []int
	for i, v := range perf {
		d := Verdict{
			Subject: v.Key, Platform: v.Platform, Metric: p.Metric, Credibility: p.Credibility,
			Spend: v.Spend, Fee: v.Fees, Cost: costOf(p.Metric, v), Revenue: v.Revenue,
			Orders: v.Orders, PlatformConversions: v.PlatformConversions,
		}
		if d.Cost > 0 {
			d.ROAS = float64(v.Revenue) / float64(d.Cost)
		}
		aov := pooledAOV
		if v.Orders > 0 {
			aov = v.Revenue / v.Orders
		}
		switch {
		case d.Cost < p.MinSpend || d.Cost <= 0:
			d.Verdict, d.Rule = VerdictHold, RuleLowSpend
			d.Reason = fmt.Sprintf("Hold: %s %s is under the %s minimum; too early to judge (never cut on low spend). %s so far.",
				costLabel(p.Metric), money(d.Cost, p.Currency), money(p.MinSpend, p.Currency), metricLine(p, d))
			out[i] = d
			continue
		case aov <= 0:
			d.Verdict, d.Rule = VerdictHold, RuleNoEvidence
			d.Reason = fmt.Sprintf("Hold: no store-confirmed orders on %s %s and no average order value to bound ROAS yet.",
				costLabel(p.Metric), money(d.Cost, p.Currency))
			out[i] = d
			continue
		}
		d.Low, d.High = roasInterval(v.Orders, aov, d.Cost, p.Credibility)
		if d.Low < p.FloorROAS && d.High >= p.TargetROAS {
			d.Verdict, d.Rule = VerdictHold, RuleThinEvidence
			d.Reason = fmt.Sprintf("Hold: too little evidence — %s; the %s spans both floor %s and target %s.",
				metricLine(p, d), intervalLabel(d), ratio(p.FloorROAS), ratio(p.TargetROAS))
			out[i] = d
			continue
		}
		out[i] = d
		ranked = append(ranked, i)
	}

	sort.SliceStable(ranked, func(a, b int) bool {
		va, vb := out[ranked[a]], out[ranked[b]]
		if va.ROAS != vb.ROAS {
			return va.ROAS > vb.ROAS
		}
		return va.Subject < vb.Subject
	})
	n := len(ranked)
	top, bottom := thirds(n)
	for pos, i := range ranked {
		d := &out[i]
		d.Rank, d.Of = pos+1, n
		place := fmt.Sprintf("rank %d of %d", d.Rank, n)
		switch {
		case d.ROAS < p.FloorROAS:
			d.Verdict, d.Rule = VerdictCut, RuleBelowFloor
			d.Reason = fmt.Sprintf("Cut: %s is below floor %s (%s; %s).", metricLine(p, *d), ratio(p.FloorROAS), place, intervalLabel(*d))
		case d.Rank <= top && d.ROAS >= p.TargetROAS:
			d.Verdict, d.Rule = VerdictScale, RuleTopThird
			d.Reason = fmt.Sprintf("Scale: top third (%s) and %s is at or above target %s (%s).", place, metricLine(p, *d), ratio(p.TargetROAS), intervalLabel(*d))
		case d.Rank <= top:
			d.Verdict, d.Rule = VerdictRefresh, RuleTopBelowTarget
			d.Reason = fmt.Sprintf("Refresh: top third (%s) but %s is under target %s (%s).", place, metricLine(p, *d), ratio(p.TargetROAS), intervalLabel(*d))
		case d.Rank > n-bottom:
			d.Verdict, d.Rule = VerdictCut, RuleBottomThird
			d.Reason = fmt.Sprintf("Cut: bottom third (%s); %s (%s).", place, metricLine(p, *d), intervalLabel(*d))
		default:
			d.Verdict, d.Rule = VerdictRefresh, RuleMiddle
			d.Reason = fmt.Sprintf("Refresh: middle third (%s); %s (%s).", place, metricLine(p, *d), intervalLabel(*d))
		}
	}
	return out
}

// thirds returns the sizes of the top and bottom thirds of n ranked
// subjects: max(1, round(n/3)) each, the bottom never overlapping the top.
func thirds(n int) (top, bottom int) {
	if n == 0 {
		return 0, 0
	}
	k := max(1, (n+1)/3)
	return k, min(k, n-k)
}

func costOf(metric string, v VariantPerf) int64 {
	if metric == PrimaryBlendedROAS {
		return v.Spend + v.Fees
	}
	return v.Spend
}

func costLabel(metric string) string {
	if metric == PrimaryBlendedROAS {
		return "spend + fees"
	}
	return "spend"
}

func metricName(metric string) string {
	if metric == PrimaryBlendedROAS {
		return "blended ROAS"
	}
	return "ROAS"
}

// metricLine renders "ROAS 3.42x (revenue 4275.00 USD / spend 1250.00 USD,
// 38 orders)".
func metricLine(p VerdictPolicy, d Verdict) string {
	return fmt.Sprintf("%s %s (revenue %s / %s %s, %d %s)", metricName(p.Metric), ratio(d.ROAS),
		money(d.Revenue, p.Currency), costLabel(p.Metric), money(d.Cost, p.Currency), d.Orders, plural(d.Orders, "order", "orders"))
}

func intervalLabel(d Verdict) string {
	return fmt.Sprintf("%.0f%% credible interval %s–%s, Jeffreys Gamma-Poisson on orders × average order value",
		d.Credibility*100, ratio2(d.Low), ratio(d.High))
}

func ratio(f float64) string  { return fmt.Sprintf("%.2fx", f) }
func ratio2(f float64) string { return fmt.Sprintf("%.2f", f) }

func money(micros int64, currency string) string { return ads.FormatMoney(micros, currency) }

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// roasInterval is the equal-tailed credible interval of ROAS at mass cred
// for orders Poisson events over cost (micro-units), each worth aov.
func roasInterval(orders, aov, cost int64, cred float64) (lo, hi float64) {
	if cost <= 0 {
		return 0, math.Inf(1)
	}
	shape := float64(orders) + 0.5
	tail := (1 - cred) / 2
	scale := float64(aov) / float64(cost)
	return gammaQuantile(shape, tail) * scale, gammaQuantile(shape, 1-tail) * scale
}

// gammaQuantile returns x with P(shape, x) = q for the unit-rate Gamma
// distribution, by bisection on the regularized lower incomplete gamma.
func gammaQuantile(shape, q float64) float64 {
	lo, hi := 0.0, math.Max(1, shape)
	for gammaP(shape, hi) < q {
		hi *= 2
	}
	for range 200 {
		mid := (lo + hi) / 2
		if gammaP(shape, mid) < q {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo <= 1e-12*math.Max(1, hi) {
			break
		}
	}
	return (lo + hi) / 2
}

// gammaP is the regularized lower incomplete gamma function P(a, x).
func gammaP(a, x float64) float64 {
	if x <= 0 {
		return 0
	}
	lg, _ := math.Lgamma(a)
	if x < a+1 {
		// Series expansion.
		sum, term := 1/a, 1/a
		for n := 1; n < 1000; n++ {
			term *= x / (a + float64(n))
			sum += term
			if math.Abs(term) < math.Abs(sum)*1e-15 {
				break
			}
		}
		return sum * math.Exp(-x+a*math.Log(x)-lg)
	}
	// Continued fraction for Q(a, x) (modified Lentz).
	const tiny = 1e-300
	b := x + 1 - a
	c := 1 / tiny
	d := 1 / b
	h := d
	for i := 1; i < 1000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return 1 - math.Exp(-x+a*math.Log(x)-lg)*h
}

// DueCheckpoints returns the checkpoint offsets (days after start) that
// have been reached by today, in ascending order (configs gives a test
// without checkpoints its defaults). A checkpoint N is reached on day
// start+N.
func DueCheckpoints(start ads.Date, checkpoints []int, today ads.Date) []int {
	var out []int
	for _, c := range checkpoints {
		if c >= 0 && !start.AddDays(c).After(today) {
			out = append(out, c)
		}
	}
	sort.Ints(out)
	return out
}

// CheckpointLabel names a checkpoint offset as stored and shown: "14d".
func CheckpointLabel(days int) string { return fmt.Sprintf("%dd", days) }

// MetricsJSON encodes the numbers behind v as a JSON object (money in
// micro-units), for storing beside the verdict.
func (v Verdict) MetricsJSON() []byte {
	b, _ := json.Marshal(map[string]any{
		"metric": v.Metric, "roas": v.ROAS, "low": v.Low, "high": v.High, "credibility": v.Credibility,
		"rank": v.Rank, "of": v.Of, "rule": v.Rule,
		"spend_micros": v.Spend, "cost_micros": v.Cost, "fee_micros": v.Fee, "revenue_micros": v.Revenue,
		"orders": v.Orders, "platform_conversions": v.PlatformConversions,
	})
	return b
}
