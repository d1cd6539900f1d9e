package reconcile

import (
	"fmt"
	"sort"
)

// Guard names (Guard.Name).
const (
	// GuardZeroOrders trips when a subject has spent past a threshold with
	// no store-confirmed order.
	GuardZeroOrders = "zero_orders"
	// GuardOverReported trips when the platform reports far more
	// conversions than the store confirmed.
	GuardOverReported = "over_reported"
)

// DefaultOverReportFactor is GuardPolicy.OverReportFactor when unset.
const DefaultOverReportFactor = 2.0

// DefaultOverReportMinConversions is GuardPolicy.OverReportMinConversions
// when unset.
const DefaultOverReportMinConversions = 5

// GuardPolicy holds the thresholds of the between-checkpoint guards.
type GuardPolicy struct {
	// ZeroOrderSpend (micro-units) is the spend past which zero
	// store-confirmed orders trips GuardZeroOrders; zero disables it.
	ZeroOrderSpend int64
	// OverReportFactor k trips GuardOverReported when platform conversions
	// exceed k × store-confirmed orders (default 2).
	OverReportFactor float64
	// OverReportMinConversions is the platform count below which
	// GuardOverReported never trips (default 5), so 2 vs 0 is not an alarm.
	OverReportMinConversions int64
	// Currency labels amounts in reasons.
	Currency string
}

// Guard is one tripped guard.
type Guard struct {
	// Subject is the variant key the guard is about.
	Subject  string
	Platform string
	// Name is GuardZeroOrders or GuardOverReported.
	Name string
	// Reason says what tripped, with the numbers, for people.
	Reason              string
	Spend               int64
	Orders              int64
	PlatformConversions int64
}

// Guards checks every subject against the guard thresholds and returns the
// guards that tripped, ordered by subject then name.
func Guards(policy GuardPolicy, perf []VariantPerf) []Guard {
	k := policy.OverReportFactor
	if k <= 0 {
		k = DefaultOverReportFactor
	}
	minConv := policy.OverReportMinConversions
	if minConv <= 0 {
		minConv = DefaultOverReportMinConversions
	}
	var out []Guard
	for _, v := range perf {
		g := Guard{Subject: v.Key, Platform: v.Platform, Spend: v.Spend, Orders: v.Orders, PlatformConversions: v.PlatformConversions}
		if policy.ZeroOrderSpend > 0 && v.Orders == 0 && v.Spend >= policy.ZeroOrderSpend {
			g.Name = GuardZeroOrders
			g.Reason = fmt.Sprintf("%s has spent %s with zero store-confirmed orders (guard at %s); the platform reports %d %s.",
				v.Key, money(v.Spend, policy.Currency), money(policy.ZeroOrderSpend, policy.Currency),
				v.PlatformConversions, plural(v.PlatformConversions, "conversion", "conversions"))
			out = append(out, g)
		}
		if v.PlatformConversions >= minConv && float64(v.PlatformConversions) > k*float64(v.Orders) {
			g.Name = GuardOverReported
			g.Reason = fmt.Sprintf("%s: the platform reports %d conversions but the store confirmed %d (more than %.1f×); platform numbers are not counted as revenue.",
				v.Key, v.PlatformConversions, v.Orders, k)
			out = append(out, g)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Subject != out[j].Subject {
			return out[i].Subject < out[j].Subject
		}
		return out[i].Name < out[j].Name
	})
	return out
}
