package reconcile

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/roasd/roasd/ads"
)

func usd(s string) int64 { return ads.MustMicros(s) }

func perfOf(key, spend, revenue string, orders int64) VariantPerf {
	return VariantPerf{Key: key, Platform: "meta", Spend: usd(spend), Revenue: usd(revenue), Orders: orders}
}

var testPolicy = VerdictPolicy{TargetROAS: 3, FloorROAS: 1, MinSpend: usd("150"), Currency: "USD"}

func TestDecideBranches(t *testing.T) {
	t.Parallel()
	type want struct{ verdict, rule string }
	tests := []struct {
		name   string
		policy VerdictPolicy
		perf   []VariantPerf
		want   map[string]want
	}{
		{
			name:   "thirds with low-spend and thin-evidence holds",
			policy: testPolicy,
			perf: []VariantPerf{
				perfOf("a", "1000", "5000", 100), // ROAS 5, tight
				perfOf("b", "1000", "2000", 40),  // ROAS 2
				perfOf("c", "1000", "1500", 30),  // ROAS 1.5
				perfOf("low", "100", "0", 0),     // under min spend: never cut
				perfOf("thin", "200", "300", 2),  // 2 orders: interval spans 1x..3x
			},
			want: map[string]want{
				"a": {VerdictScale, RuleTopThird}, "b": {VerdictRefresh, RuleMiddle}, "c": {VerdictCut, RuleBottomThird},
				"low": {VerdictHold, RuleLowSpend}, "thin": {VerdictHold, RuleThinEvidence},
			},
		},
		{
			name:   "low spend with terrible ROAS is held, not cut",
			policy: testPolicy,
			perf:   []VariantPerf{perfOf("x", "149.99", "0", 0), perfOf("y", "1000", "4000", 80)},
			want:   map[string]want{"x": {VerdictHold, RuleLowSpend}, "y": {VerdictScale, RuleTopThird}},
		},
		{
			name:   "below floor is cut even at the top",
			policy: testPolicy,
			perf:   []VariantPerf{perfOf("only", "2000", "1000", 50)},
			want:   map[string]want{"only": {VerdictCut, RuleBelowFloor}},
		},
		{
			name:   "top third under target refreshes",
			policy: testPolicy,
			perf:   []VariantPerf{perfOf("only", "2000", "4000", 80)},
			want:   map[string]want{"only": {VerdictRefresh, RuleTopBelowTarget}},
		},
		{
			name:   "no orders anywhere and no fallback order value",
			policy: testPolicy,
			perf:   []VariantPerf{perfOf("p", "500", "0", 0), perfOf("q", "800", "0", 0)},
			want:   map[string]want{"p": {VerdictHold, RuleNoEvidence}, "q": {VerdictHold, RuleNoEvidence}},
		},
		{
			name:   "zero orders bounded by pooled order value is cut below floor",
			policy: testPolicy,
			perf:   []VariantPerf{perfOf("zero", "3000", "0", 0), perfOf("good", "1000", "4000", 80)},
			want:   map[string]want{"zero": {VerdictCut, RuleBelowFloor}, "good": {VerdictScale, RuleTopThird}},
		},
		{
			name:   "zero orders with a fallback order value but little spend is thin",
			policy: VerdictPolicy{TargetROAS: 3, FloorROAS: 1, MinSpend: usd("150"), FallbackAOV: usd("500"), Currency: "USD"},
			perf:   []VariantPerf{perfOf("z", "160", "0", 0)},
			want:   map[string]want{"z": {VerdictHold, RuleThinEvidence}},
		},
		{
			name:   "two evaluated: one top, one bottom",
			policy: testPolicy,
			perf:   []VariantPerf{perfOf("hi", "1000", "4000", 80), perfOf("lo", "1000", "2500", 50)},
			want:   map[string]want{"hi": {VerdictScale, RuleTopThird}, "lo": {VerdictCut, RuleBottomThird}},
		},
		{
			name:   "blended ROAS counts fees in the cost",
			policy: VerdictPolicy{TargetROAS: 3, FloorROAS: 1, MinSpend: usd("150"), Currency: "USD", Metric: PrimaryBlendedROAS},
			// ROAS 4 on spend alone but 0.8 on spend + fees.
			perf: []VariantPerf{{Key: "fee-heavy", Spend: usd("500"), Fees: usd("2000"), Revenue: usd("2000"), Orders: 100}},
			want: map[string]want{"fee-heavy": {VerdictCut, RuleBelowFloor}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Decide(tc.policy, tc.perf)
			if len(got) != len(tc.perf) {
				t.Fatalf("Decide returned %d verdicts for %d subjects", len(got), len(tc.perf))
			}
			for i, v := range got {
				if v.Subject != tc.perf[i].Key {
					t.Errorf("verdict %d is for %q, want input order (%q)", i, v.Subject, tc.perf[i].Key)
				}
				w := tc.want[v.Subject]
				if v.Verdict != w.verdict || v.Rule != w.rule {
					t.Errorf("%s: got %s/%s, want %s/%s (reason: %s)", v.Subject, v.Verdict, v.Rule, w.verdict, w.rule, v.Reason)
				}
				if v.Reason == "" {
					t.Errorf("%s: empty reason", v.Subject)
				}
				if v.Verdict == VerdictHold && v.Rank != 0 {
					t.Errorf("%s: hold has rank %d, want 0", v.Subject, v.Rank)
				}
				if v.Verdict != VerdictHold && (v.Rank < 1 || v.Rank > v.Of) {
					t.Errorf("%s: rank %d of %d out of range", v.Subject, v.Rank, v.Of)
				}
			}
		})
	}
}

func TestDecideReasonsCarryTheNumbers(t *testing.T) {
	t.Parallel()
	got := Decide(testPolicy, []VariantPerf{
		perfOf("a", "1000", "5000", 100),
		perfOf("low", "100", "0", 0),
		perfOf("thin", "200", "300", 2),
	})
	want := []string{
		"Scale: top third (rank 1 of 1) and ROAS 5.00x (revenue 5,000.00 USD / spend 1,000.00 USD, 100 orders) is at or above target 3.00x (90% credible interval 4.23–5.88x, Jeffreys Gamma-Poisson on orders × average order value).",
		"Hold: spend 100.00 USD is under the 150.00 USD minimum; too early to judge (never cut on low spend). ROAS 0.00x (revenue 0.00 USD / spend 100.00 USD, 0 orders) so far.",
		"Hold: too little evidence — ROAS 1.50x (revenue 300.00 USD / spend 200.00 USD, 2 orders); the 90% credible interval 0.43–4.15x, Jeffreys Gamma-Poisson on orders × average order value spans both floor 1.00x and target 3.00x.",
	}
	for i, v := range got {
		if v.Reason != want[i] {
			t.Errorf("%s reason:\n got %s\nwant %s", v.Subject, v.Reason, want[i])
		}
	}
}

func TestDecideRanksBestFirst(t *testing.T) {
	t.Parallel()
	perf := []VariantPerf{
		perfOf("v3", "1000", "2000", 40), perfOf("v1", "1000", "6000", 120), perfOf("v6", "1000", "1200", 24),
		perfOf("v2", "1000", "5000", 100), perfOf("v5", "1000", "1500", 30), perfOf("v4", "1000", "3000", 60),
	}
	got := map[string]Verdict{}
	for _, v := range Decide(testPolicy, perf) {
		got[v.Subject] = v
	}
	want := map[string]struct {
		rank    int
		verdict string
	}{
		"v1": {1, VerdictScale}, "v2": {2, VerdictScale}, "v3": {4, VerdictRefresh},
		"v4": {3, VerdictRefresh}, "v5": {5, VerdictCut}, "v6": {6, VerdictCut},
	}
	for k, w := range want {
		if g := got[k]; g.Rank != w.rank || g.Verdict != w.verdict || g.Of != 6 {
			t.Errorf("%s: got rank %d of %d %s, want rank %d of 6 %s", k, g.Rank, g.Of, g.Verdict, w.rank, w.verdict)
		}
	}
}

func TestThirds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ n, top, bottom int }{
		{0, 0, 0}, {1, 1, 0}, {2, 1, 1}, {3, 1, 1}, {4, 1, 1}, {5, 2, 2}, {6, 2, 2}, {7, 2, 2}, {8, 3, 3}, {9, 3, 3},
	} {
		if top, bottom := thirds(tc.n); top != tc.top || bottom != tc.bottom {
			t.Errorf("thirds(%d) = %d, %d; want %d, %d", tc.n, top, bottom, tc.top, tc.bottom)
		}
	}
}

func TestGammaQuantile(t *testing.T) {
	t.Parallel()
	// Gamma(k/2, 1) is chi-square(k)/2; reference chi-square quantiles.
	for _, tc := range []struct{ shape, q, want float64 }{
		{0.5, 0.05, 0.0039321 / 2}, {0.5, 0.95, 3.841459 / 2},
		{10.5, 0.05, 11.591305 / 2}, {10.5, 0.95, 32.670573 / 2},
		{50.5, 0.5, 100.334 / 2},
	} {
		if got := gammaQuantile(tc.shape, tc.q); math.Abs(got-tc.want) > 1e-3*tc.want {
			t.Errorf("gammaQuantile(%v, %v) = %v, want %v", tc.shape, tc.q, got, tc.want)
		}
	}
}

func TestDueCheckpoints(t *testing.T) {
	t.Parallel()
	start := ads.MustDate("2026-06-01")
	for _, tc := range []struct {
		name  string
		cps   []int
		today string
		want  []int
	}{
		{"before first", []int{14, 30}, "2026-06-14", nil},
		{"first reached", []int{14, 30}, "2026-06-15", []int{14}},
		{"both reached", []int{14, 30}, "2026-07-10", []int{14, 30}},
		{"custom unsorted", []int{21, 7}, "2026-06-22", []int{7, 21}},
		{"before start", []int{14, 30}, "2026-05-01", nil},
		{"none", nil, "2026-07-10", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := DueCheckpoints(start, tc.cps, ads.MustDate(tc.today)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("DueCheckpoints(%s, %v, %s) = %v, want %v", start, tc.cps, tc.today, got, tc.want)
			}
		})
	}
	if got := CheckpointLabel(14); got != "14d" {
		t.Errorf("CheckpointLabel(14) = %q", got)
	}
}

func TestVerdictMetricsJSON(t *testing.T) {
	t.Parallel()
	v := Decide(testPolicy, []VariantPerf{perfOf("a", "1000", "5000", 100)})[0]
	var m map[string]any
	if err := json.Unmarshal(v.MetricsJSON(), &m); err != nil {
		t.Fatal(err)
	}
	if m["spend_micros"] != float64(usd("1000")) || m["orders"] != float64(100) || m["rule"] != RuleTopThird {
		t.Errorf("MetricsJSON = %v", m)
	}
}

// TestDecideReasonsInMinorUnits: a verdict's reason (posted to Slack)
// shows a JPY and a KWD brand's money to the currency's minor unit.
func TestDecideReasonsInMinorUnits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ cur, want string }{
		{"JPY", "spend 1,235 JPY"},
		{"KWD", "spend 1,234.568 KWD"},
	} {
		p := testPolicy
		p.Currency = tc.cur
		spend := "1234.5675"
		if tc.cur == "JPY" {
			spend = "1234.5"
		}
		got := Decide(p, []VariantPerf{perfOf("a", spend, "5000", 100)})
		if len(got) != 1 || !strings.Contains(got[0].Reason, tc.want) {
			t.Errorf("%s: reason %q, want %q", tc.cur, got[0].Reason, tc.want)
		}
	}
}
