package reconcile

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// evalBrands are two brands as configs loads them (defaults filled):
// glowco in USD relies on the default checkpoints (14d, 30d) and acts on
// its verdicts; hautwerk in EUR declares its own checkpoints, a minimum
// spend under the zero-orders guard's floor, and only alerts. They share
// the creator jacqueline.
var evalBrands = fstest.MapFS{
	"glowco.yaml": {Data: []byte(`
brand: glowco
currency: USD
timezone: America/New_York
accounts:
  meta: {ad_account: act_1, page: "11"}
  tiktok: {advertiser: "7000000000000000001"}
creators:
  - {handle: jacqueline, instagram: jacq.elpaso, tiktok: jacq}
tests:
  - id: serum
    creator: jacqueline
    start: 2026-06-01
    target_roas: 3.0
    floor_roas: 1.0
    min_spend: "150.00"
    actions: apply
    max_daily_budget: "500.00"
    variants:
      - {key: hook-a, platform: meta, kind: whitelisted, utm: {content: hook-a}}
      - {key: hook-b, platform: tiktok, kind: spark, spark_code: "#v2#code-b", utm: {content: hook-b}}
      - {key: dark-1, platform: meta, kind: dark, ad_id: "2385001", utm: {content: dark-1}}
      - {key: hook-c, platform: meta, kind: dark, ad_id: "2385002", utm: {content: hook-c}}
`)},
	"hautwerk.yaml": {Data: []byte(`
brand: hautwerk
currency: EUR
timezone: Europe/Berlin
accounts:
  meta: {ad_account: act_2, page: "22"}
  tiktok: {advertiser: "7000000000000000002"}
creators:
  - {handle: jacqueline, instagram: jacq.elpaso, tiktok: jacq}
tests:
  - id: retinol
    creator: jacqueline
    start: 2026-10-21
    checkpoints: [7d, 14d]
    target_roas: 2.5
    floor_roas: 1.0
    min_spend: "50.00"
    variants:
      - {key: retinol-meta, platform: meta, kind: whitelisted, utm: {content: retinol-meta}}
      - {key: retinol-spark, platform: tiktok, kind: spark, item_id: "7300000000000000009", utm: {content: retinol-spark}}
`)},
}

func loadEvalBrand(t *testing.T, name string) *configs.Brand {
	t.Helper()
	set, err := configs.LoadFS(evalBrands, ".")
	if err != nil {
		t.Fatal(err)
	}
	b := set.Brand(name)
	if b == nil {
		t.Fatalf("no brand %s", name)
	}
	return b
}

// sumsOf is a variant's sums: spend and revenue in units of the brand's
// currency, store orders and platform conversions.
func sumsOf(spend, revenue string, orders, conv int64) ads.KPI {
	return ads.KPI{Spend: ads.MustMicros(spend), PaidRevenue: ads.MustMicros(revenue), PaidOrders: orders, PlatformConversions: conv}
}

// readme is the README's checkpoint table: a scale, a refresh, a cut and
// a low-spend hold. A variant is judged on its paid media spend, revenue
// and orders: hook-c's fees and organic orders change nothing.
func readme(Window) map[string]ads.KPI {
	hookC := sumsOf("90", "0", 0, 0)
	hookC.FlatFees, hookC.OrganicRevenue, hookC.OrganicOrders = ads.MustMicros("500"), ads.MustMicros("1000"), 10
	return map[string]ads.KPI{
		"hook-a": sumsOf("1000", "5000", 100, 100),
		"hook-b": sumsOf("1000", "2000", 40, 40),
		"dark-1": sumsOf("1000", "1500", 30, 30),
		"hook-c": hookC,
	}
}

// summary renders an Evaluation one fact a line, for comparing.
func summary(ev Evaluation) []string {
	var out []string
	for _, te := range ev.Tests {
		id := te.Test.ID
		for _, cp := range te.Checkpoints {
			for _, v := range cp.Verdicts {
				line := fmt.Sprintf("%s %s %s..%s: %s %s %s", id, cp.Label, cp.Window.From, cp.Window.To, v.Subject, v.Verdict, v.Rule)
				if v.Provisional != "" {
					line += " provisional"
				}
				out = append(out, line)
			}
		}
		for _, g := range te.Guards {
			out = append(out, fmt.Sprintf("%s guard %s: %s %s", id, te.GuardPeriod, g.Subject, g.Name))
		}
		for _, w := range te.Wants {
			out = append(out, fmt.Sprintf("%s wants %s %s (%s)", id, w.Action, w.Subject, w.Verdict))
		}
	}
	for _, n := range ev.Needs {
		out = append(out, fmt.Sprintf("need %s/%s %s creator=%s item=%s until %s", n.TestID, n.VariantKey, n.Platform, n.Creator, n.ItemID, n.Ends))
	}
	for _, p := range ev.Permissions {
		out = append(out, fmt.Sprintf("grant %s/%s %s", p.TestID, p.VariantKey, p.Kind))
	}
	for _, h := range ev.Hygiene {
		out = append(out, fmt.Sprintf("hygiene %s %s/%s%s", h.Kind, h.TestID, h.VariantKey, h.AdID))
	}
	return out
}

// TestEvaluate: the evaluation rules on loaded brands, without a database
// — verdicts at due checkpoints, guard thresholds, wanted actions, which
// variant needs which grant and what is wrong with it, hygiene — for two
// brands in different currencies.
func TestEvaluate(t *testing.T) {
	t.Parallel()
	d := ads.MustDate
	noon := func(day string) time.Time { return d(day).In(time.UTC).Add(12 * time.Hour) }
	// Grants that cover glowco's two grant variants for the whole test.
	liveGlowco := []ads.Permission{
		{Platform: ads.Meta, ID: "perm-1", Creator: "jacq.elpaso", Status: ads.PermissionActive},
		{Platform: ads.TikTok, ID: "7300000000000000001", ItemID: "7300000000000000001", Creator: "jacq", Status: ads.PermissionActive,
			ExpiresAt: noon("2026-12-31")},
	}
	sparkB := map[string]string{"#v2#code-b": "7300000000000000001"}
	everyAd := map[VariantID]int{
		{TestID: "serum", VariantKey: "hook-a"}: 1, {TestID: "serum", VariantKey: "hook-b"}: 1,
		{TestID: "serum", VariantKey: "dark-1"}: 1, {TestID: "serum", VariantKey: "hook-c"}: 1,
		{TestID: "retinol", VariantKey: "retinol-meta"}: 1, {TestID: "retinol", VariantKey: "retinol-spark"}: 1,
	}
	liveHautwerk := []ads.Permission{
		{Platform: ads.Meta, ID: "perm-2", Creator: "@Jacq.Elpaso", Status: ads.PermissionActive},
		{Platform: ads.TikTok, ID: "7300000000000000009", ItemID: "7300000000000000009", Status: ads.PermissionActive},
	}
	glowcoNeeds := []string{
		"need serum/hook-a meta creator=jacq.elpaso item= until 2026-06-30",
		"need serum/hook-b tiktok creator=jacq item=7300000000000000001 until 2026-06-30",
	}
	tests := []struct {
		name   string
		brand  string
		today  string
		sums   func(Window) map[string]ads.KPI
		perms  []ads.Permission
		spark  map[string]string
		counts map[VariantID]int
		ads    []ads.Ad
		want   []string
		// reasons holds text every listed reason must contain
		// (verdicts, guards, grants).
		reasons []string
	}{
		{
			name: "before the first checkpoint: no verdict, guards on the days so far", brand: "glowco", today: "2026-06-06",
			sums: func(w Window) map[string]ads.KPI {
				return map[string]ads.KPI{
					"hook-a": sumsOf("400", "1200", 12, 12),
					"hook-b": sumsOf("149.99", "0", 0, 9), // under min_spend: no zero-orders guard yet
					"dark-1": sumsOf("150", "0", 0, 4),    // min_spend 150 is the guard (over the 100 floor)
					"hook-c": sumsOf("20", "30", 1, 1),
				}
			},
			perms: liveGlowco, spark: sparkB, counts: everyAd,
			want: append([]string{
				"serum guard before-14d: dark-1 zero_orders",
				"serum guard before-14d: hook-b over_reported",
			}, glowcoNeeds...),
			reasons: []string{"USD"},
		},
		{
			name: "14d due (default checkpoints): scale, refresh, cut, hold on low spend; cut and scale are wanted", brand: "glowco", today: "2026-06-15",
			sums: readme, perms: liveGlowco, spark: sparkB, counts: everyAd,
			want: append([]string{
				"serum 14d 2026-06-01..2026-06-14: hook-a scale top_third provisional",
				"serum 14d 2026-06-01..2026-06-14: hook-b refresh middle provisional",
				"serum 14d 2026-06-01..2026-06-14: dark-1 cut bottom_third provisional",
				"serum 14d 2026-06-01..2026-06-14: hook-c hold low_spend provisional",
				"serum wants set_budget hook-a (scale)",
				"serum wants pause_ad dark-1 (cut)",
			}, glowcoNeeds...),
			reasons: []string{"USD"},
		},
		{
			name: "first sync after the test: both checkpoints judged on their own days, no guards, the latest is acted on", brand: "glowco", today: "2026-09-10",
			sums: func(w Window) map[string]ads.KPI {
				if w.To == d("2026-06-14") {
					return readme(w)
				}
				// By 30d dark-1 recovered and hook-a fell under the floor.
				return map[string]ads.KPI{
					"hook-a": sumsOf("2000", "1800", 36, 40),
					"hook-b": sumsOf("2000", "4000", 80, 80),
					"dark-1": sumsOf("2000", "7000", 140, 140),
					"hook-c": sumsOf("100", "0", 0, 0),
				}
			},
			perms: liveGlowco, spark: sparkB, counts: everyAd,
			want: append([]string{
				"serum 14d 2026-06-01..2026-06-14: hook-a scale top_third",
				"serum 14d 2026-06-01..2026-06-14: hook-b refresh middle",
				"serum 14d 2026-06-01..2026-06-14: dark-1 cut bottom_third",
				"serum 14d 2026-06-01..2026-06-14: hook-c hold low_spend",
				"serum 30d 2026-06-01..2026-06-30: hook-a cut below_floor",
				"serum 30d 2026-06-01..2026-06-30: hook-b refresh middle",
				"serum 30d 2026-06-01..2026-06-30: dark-1 scale top_third",
				"serum 30d 2026-06-01..2026-06-30: hook-c hold low_spend",
				"serum wants pause_ad hook-a (cut)",
				"serum wants set_budget dark-1 (scale)",
			}, glowcoNeeds...),
		},
		{
			name: "too little spend or evidence: everything holds, nothing is wanted", brand: "glowco", today: "2026-06-15",
			sums: func(Window) map[string]ads.KPI {
				return map[string]ads.KPI{
					"hook-a": sumsOf("149", "3000", 9, 9), // under min_spend
					"hook-b": sumsOf("200", "300", 1, 1),  // its interval spans floor and target
					"dark-1": sumsOf("160", "0", 0, 0),    // so does its, on the pooled order value
				}
			},
			perms: liveGlowco, spark: sparkB, counts: everyAd,
			want: append([]string{
				"serum 14d 2026-06-01..2026-06-14: hook-a hold low_spend provisional",
				"serum 14d 2026-06-01..2026-06-14: hook-b hold thin_evidence provisional",
				"serum 14d 2026-06-01..2026-06-14: dark-1 hold thin_evidence provisional",
				"serum 14d 2026-06-01..2026-06-14: hook-c hold low_spend provisional",
				"serum guard before-30d: dark-1 zero_orders",
			}, glowcoNeeds...),
		},
		{
			name: "grants missing: each grant variant needs its grant; a Spark code not yet applied is looked for by creator", brand: "glowco", today: "2026-06-06",
			sums: readme, counts: everyAd,
			want: []string{
				"need serum/hook-a meta creator=jacq.elpaso item= until 2026-06-30",
				"need serum/hook-b tiktok creator=jacq item= until 2026-06-30",
				"grant serum/hook-a missing",
				"grant serum/hook-b missing",
			},
			reasons: []string{"has spend planned until 2026-06-30"},
		},
		{
			name: "grants expired, revoked and expiring; none after the test window", brand: "glowco", today: "2026-06-20",
			sums: readme, spark: sparkB, counts: everyAd,
			perms: []ads.Permission{
				{Platform: ads.Meta, ID: "perm-1", Creator: "jacq.elpaso", Status: ads.PermissionActive, ExpiresAt: noon("2026-06-19")},
				{Platform: ads.TikTok, ID: "7300000000000000001", ItemID: "7300000000000000001", Status: ads.PermissionActive, ExpiresAt: noon("2026-06-23")},
			},
			want: append([]string{
				"serum 14d 2026-06-01..2026-06-14: hook-a scale top_third provisional",
				"serum 14d 2026-06-01..2026-06-14: hook-b refresh middle provisional",
				"serum 14d 2026-06-01..2026-06-14: dark-1 cut bottom_third provisional",
				"serum 14d 2026-06-01..2026-06-14: hook-c hold low_spend provisional",
				"serum wants set_budget hook-a (scale)",
				"serum wants pause_ad dark-1 (cut)",
			}, append(glowcoNeeds,
				"grant serum/hook-a expired",
				"grant serum/hook-b expiring",
			)...),
		},
		{
			name: "hygiene: a declared variant with no ad, a running ad without utm_content", brand: "glowco", today: "2026-06-06",
			sums: readme, perms: liveGlowco, spark: sparkB,
			counts: map[VariantID]int{
				{TestID: "serum", VariantKey: "hook-a"}: 1, {TestID: "serum", VariantKey: "hook-b"}: 2,
				{TestID: "serum", VariantKey: "dark-1"}:  1,
				{TestID: "serum", VariantKey: "hook-c2"}: 1, // no variant of the test
			},
			ads: []ads.Ad{
				{Platform: ads.Meta, ID: "2385009", Name: "untagged", Status: "ACTIVE"},
				{Platform: ads.Meta, ID: "2385010", Name: "paused", Status: "PAUSED"},
				{Platform: ads.Meta, ID: "2385001", Name: "dark-1", Status: "ACTIVE", URLTags: "utm_content=dark-1", UTM: ads.UTM{Content: "dark-1"}},
			},
			want: append(append([]string{}, glowcoNeeds...),
				"hygiene no_ad serum/hook-c",
				"hygiene untagged /2385009",
			),
		},
		{
			name: "EUR brand with its own checkpoints: the zero-orders guard waits for 100 EUR, reasons in EUR, nothing wanted (alerts only)", brand: "hautwerk", today: "2026-10-28",
			sums: func(w Window) map[string]ads.KPI {
				if w.To == d("2026-10-27") { // the 7d checkpoint
					return map[string]ads.KPI{
						"retinol-meta":  sumsOf("300", "900", 30, 31),
						"retinol-spark": sumsOf("99.99", "0", 0, 0),
					}
				}
				return map[string]ads.KPI{
					"retinol-meta":  sumsOf("340", "1000", 33, 34),
					"retinol-spark": sumsOf("100", "0", 0, 0),
				}
			},
			perms: liveHautwerk, counts: everyAd,
			want: []string{
				"retinol 7d 2026-10-21..2026-10-27: retinol-meta scale top_third provisional",
				"retinol 7d 2026-10-21..2026-10-27: retinol-spark cut below_floor provisional",
				"retinol guard before-14d: retinol-spark zero_orders",
				"need retinol/retinol-meta meta creator=jacq.elpaso item= until 2026-11-03",
				"need retinol/retinol-spark tiktok creator=jacq item=7300000000000000009 until 2026-11-03",
			},
			reasons: []string{"EUR"},
		},
		{
			name: "EUR brand: 99.99 EUR without an order is under the zero-orders guard's floor, though over min_spend", brand: "hautwerk", today: "2026-10-25",
			sums: func(Window) map[string]ads.KPI {
				return map[string]ads.KPI{"retinol-meta": sumsOf("99.99", "0", 0, 0), "retinol-spark": sumsOf("40", "80", 2, 2)}
			},
			perms: liveHautwerk, counts: everyAd,
			want: []string{
				"need retinol/retinol-meta meta creator=jacq.elpaso item= until 2026-11-03",
				"need retinol/retinol-spark tiktok creator=jacq item=7300000000000000009 until 2026-11-03",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := loadEvalBrand(t, tc.brand)
			today := d(tc.today)
			sums := map[Window]map[string]ads.KPI{}
			for _, w := range Windows(b, today) {
				sums[w] = tc.sums(w)
			}
			ev := Evaluate(EvalInput{Brand: b, Now: noon(tc.today), Today: today, Sums: sums,
				Synced: Synced{Permissions: tc.perms, SparkItems: tc.spark, AdCounts: tc.counts, Ads: tc.ads}})
			if got := summary(ev); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Evaluate on %s:\ngot  %s\nwant %s", tc.today, strings.Join(got, "\n     "), strings.Join(tc.want, "\n     "))
			}
			for _, want := range tc.reasons {
				for _, te := range ev.Tests {
					for _, cp := range te.Checkpoints {
						for _, v := range cp.Verdicts {
							if !strings.Contains(v.Reason, want) {
								t.Errorf("verdict reason %q lacks %q", v.Reason, want)
							}
						}
					}
					for _, g := range te.Guards {
						if !strings.Contains(g.Reason, want) && g.Name == GuardZeroOrders {
							t.Errorf("guard reason %q lacks %q", g.Reason, want)
						}
					}
				}
				for _, p := range ev.Permissions {
					if !strings.Contains(p.Reason, want) {
						t.Errorf("grant reason %q lacks %q", p.Reason, want)
					}
				}
			}
		})
	}
}

// TestEvaluateAddsNoDefaults: Evaluate judges a brand as given; the
// defaults (checkpoints, actions mode) are configs' to fill. A test built
// without checkpoints has none due, and one without an actions mode wants
// nothing.
func TestEvaluateAddsNoDefaults(t *testing.T) {
	t.Parallel()
	d := ads.MustDate
	loaded := loadEvalBrand(t, "glowco")
	if got, want := loaded.Tests[0].Checkpoints, configs.DefaultCheckpoints; !reflect.DeepEqual(got, want) {
		t.Fatalf("loaded checkpoints = %v, want configs' defaults %v", got, want)
	}
	bare := &configs.Brand{Name: "bare", Currency: "USD", Tests: []*configs.Test{{
		ID: "t", Start: d("2026-06-01"), TargetROAS: 3, FloorROAS: 1, MinSpend: ads.MustMicros("150"),
		Variants: []*configs.Variant{{Key: "a", Platform: ads.Meta, Kind: ads.Dark}},
	}}}
	today := d("2026-06-20")
	w := Window{TestID: "t", From: d("2026-06-01"), To: today}
	if got := Windows(bare, today); !reflect.DeepEqual(got, []Window{w}) {
		t.Fatalf("Windows = %v, want only the guards' %v", got, w)
	}
	ev := Evaluate(EvalInput{Brand: bare, Now: today.In(time.UTC), Today: today,
		Sums: map[Window]map[string]ads.KPI{w: {"a": sumsOf("1000", "5000", 100, 100)}}})
	te := ev.Tests[0]
	if len(te.Checkpoints) != 0 || te.Acts || te.Wants != nil || te.GuardPeriod != "after-last-checkpoint" {
		t.Errorf("bare test evaluated as %+v; want no checkpoint, no actions", te)
	}
}

// TestWindows: each due checkpoint's days and, while the test runs, its
// days up to today; a window two uses share is listed once.
func TestWindows(t *testing.T) {
	t.Parallel()
	d := ads.MustDate
	b := loadEvalBrand(t, "glowco")
	win := func(from, to string) Window { return Window{TestID: "serum", From: d(from), To: d(to)} }
	for _, tc := range []struct {
		today string
		want  []Window
	}{
		{"2026-05-31", nil},
		{"2026-06-01", []Window{win("2026-06-01", "2026-06-01")}},
		{"2026-06-15", []Window{win("2026-06-01", "2026-06-14"), win("2026-06-01", "2026-06-15")}},
		{"2026-06-30", []Window{win("2026-06-01", "2026-06-14"), win("2026-06-01", "2026-06-30")}},
		{"2026-07-01", []Window{win("2026-06-01", "2026-06-14"), win("2026-06-01", "2026-06-30")}},
	} {
		if got := Windows(b, d(tc.today)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Windows on %s = %v, want %v", tc.today, got, tc.want)
		}
	}
}
