package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/reconcile"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var glowco = Target{Brand: "glowco", Channel: "#creator-perf", Currency: "USD", ReportURL: "https://roasd.example/report?brand=glowco&test=summer-serum-hooks"}

// sampleAlerts covers every alert kind and the verdict shapes.
func sampleAlerts() map[string]Alert {
	perf := []reconcile.VariantPerf{
		{Key: "hook-a", Platform: "meta", Spend: ads.MustMicros("1000"), Revenue: ads.MustMicros("5000"), Orders: 100, PlatformConversions: 131},
		{Key: "hook-b", Platform: "tiktok", Spend: ads.MustMicros("1000"), Revenue: ads.MustMicros("2000"), Orders: 40, PlatformConversions: 52},
		{Key: "dark-1", Platform: "meta", Spend: ads.MustMicros("1000"), Revenue: ads.MustMicros("1500"), Orders: 30, PlatformConversions: 30},
		{Key: "hook-c", Platform: "meta", Spend: ads.MustMicros("90"), Revenue: 0, Orders: 0},
	}
	vs := reconcile.Decide(reconcile.VerdictPolicy{TargetROAS: 3, FloorROAS: 1, MinSpend: ads.MustMicros("150"), Currency: "USD"}, perf)
	now := time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC)
	perms := reconcile.PermissionAlerts(now, ads.DateOf(now, time.UTC), 0,
		[]ads.Permission{{Platform: ads.TikTok, ID: "sp-1", Creator: "jacq", ItemID: "7300000000000000001", Status: ads.PermissionActive, ExpiresAt: now.AddDate(0, 0, 3)}},
		[]reconcile.PermissionNeed{{TestID: "summer-serum-hooks", VariantKey: "hook-b", Platform: ads.TikTok, ItemID: "7300000000000000001", Ends: ads.MustDate("2026-07-01")}})
	guards := reconcile.Guards(reconcile.GuardPolicy{ZeroOrderSpend: ads.MustMicros("300"), Currency: "USD"},
		[]reconcile.VariantPerf{{Key: "hook-d", Platform: "meta", Spend: ads.MustMicros("420"), PlatformConversions: 9}})
	hyg := reconcile.HygieneIssues(ads.MustDate("2026-06-20"), nil, []ads.Ad{{Platform: ads.Meta, ID: "23850000000000001", Name: "Serum <UGC> & co", Status: "ACTIVE"}})
	acts := reconcile.PlanActions(vs, []reconcile.AdBudget{{Subject: "hook-a", Platform: ads.Meta, Account: "act_1", AdID: "ad1", AdStatus: "ACTIVE", AdSetID: "set1", Budget: ads.MustMicros("100")}}, ads.MustRate("0.2"), ads.MustMicros("500"))
	raise := ActionResult{TestID: "summer-serum-hooks", Checkpoint: "14d", Subject: acts[0].Subject, Platform: "meta", Action: acts[0].Action,
		TargetID: acts[0].TargetID, Outcome: OutcomeApplied, Before: "100.00 USD", After: "120.00 USD", Reason: acts[0].Reason}
	scheduled := ActionResult{TestID: "summer-serum-hooks", Checkpoint: "14d", Subject: "hook-b", Platform: "tiktok", Action: reconcile.ActionSetBudget,
		TargetID: "1790000000000000002", Outcome: OutcomeApplied, Before: "100.00 USD", After: "130.00 USD (scheduled)",
		Reason: "variant hook-b was scaled: raise daily budget by 30%", Note: "the answer was lost (HTTP 500); read back shows the target",
		EffectiveFrom: "2026-06-17 00:00 America/Los_Angeles"}
	already := ActionResult{TestID: "summer-serum-hooks", Checkpoint: "30d", Subject: "hook-c", Platform: "meta", Action: reconcile.ActionPauseAd,
		TargetID: "ad3", Outcome: OutcomeAlready, Before: "PAUSED", After: "PAUSED", Reason: "variant hook-c was cut",
		Note: "already at the target when read; nothing was sent"}
	plan := Plan{Apply: true}
	flipped := vs[2]
	return map[string]Alert{
		"checkpoint":       CheckpointAlert(glowco, "summer-serum-hooks", "14d", plan, vs),
		"checkpoint_alert": CheckpointAlert(glowco, "summer-serum-hooks", "7d", Plan{}, vs),
		"unconverted":      UnconvertedAlert(glowco, "GBP", "USD", ads.MustDate("2026-06-05"), 2, ads.MustMicros("80.5")),
		"digest": DigestAlert(glowco, Digest{Day: "2026-06-20", Yesterday: "2026-06-19", YesterdaySpend: ads.MustMicros("1234.5"),
			YesterdayFees: ads.MustMicros("35.5"), YesterdayRevenue: ads.MustMicros("3000"), Tests: 2, WindowSpend: ads.MustMicros("20000"),
			WindowFees: ads.MustMicros("1500"), WindowRevenue: ads.MustMicros("51000"),
			AtStake: ads.MustMicros("310.25"), AtStakeVariants: []string{"summer-serum-hooks/dark-1"},
			Expiring:          []string{"hook-b of summer-serum-hooks: " + perms[0].Reason},
			Untagged:          []UntaggedAd{{Platform: "meta", AdID: hyg[0].AdID, Name: hyg[0].AdName, Yesterday: ads.MustMicros("86.4")}},
			UntaggedYesterday: ads.MustMicros("86.4"), UntaggedWindow: ads.MustMicros("1210.75"), UntaggedSince: "2026-06-01"}),
		"digest_not_judged": DigestAlert(glowco, Digest{Day: "2026-06-20", Yesterday: "2026-06-19", YesterdaySpend: ads.MustMicros("1100"),
			YesterdayRevenue: ads.MustMicros("2800"), Tests: 2, WindowSpend: ads.MustMicros("18765.4"), WindowRevenue: ads.MustMicros("48000"),
			NotJudgedSince: "2026-06-19 14:00 EDT",
			FailingSyncs: []FailingSync{{Job: "tiktok.insights", Scope: "7000000000000000000", Since: "2026-06-19 14:00 EDT", Runs: 38,
				Error: "tiktok report/integrated/get advertiser 7000000000000000000: code 40105: Access token is invalid (access_token=act.example0123456789)"}}}),
		"weekly": WeeklyDigestAlert(glowco, Weekly{Week: "2026-W25", From: "2026-06-15", To: "2026-06-21",
			Rows: []WeeklyRow{
				{Creator: "jacqueline", Spend: ads.MustMicros("8200"), Fees: ads.MustMicros("1450"), PaidRevenue: ads.MustMicros("21000"), OrganicRevenue: ads.MustMicros("4300.5")},
				{Creator: "mika", Spend: ads.MustMicros("3100"), Fees: ads.MustMicros("600"), PaidRevenue: ads.MustMicros("5200"), OrganicRevenue: ads.MustMicros("980")},
				{Creator: "(unattributed)", Spend: ads.MustMicros("410.25"), OrganicRevenue: ads.MustMicros("1250")},
			},
			Total:      WeeklyRow{Creator: "TOTAL", Spend: ads.MustMicros("11710.25"), Fees: ads.MustMicros("2050"), PaidRevenue: ads.MustMicros("26200"), OrganicRevenue: ads.MustMicros("6530.5")},
			Reconciled: "reconciled through 2026-06-22 at 08:45 EDT"}),
		"approval": ApprovalAlert(glowco, "summer-serum-hooks", "14d", []Proposal{
			{Key: "k1", ID: 1, Change: "budget of meta ad set 120000000000001 120.00 USD → 150.00 USD", Reason: "variant hook-a was scaled", Awaiting: true},
			{Key: "k2", ID: 2, Change: "pause meta ad 23850000000000003", Reason: "variant dark-1 was cut", Awaiting: true},
			{Key: "k3", ID: 3, Change: "pause tiktok ad 1790000000000000004", Outcome: "approved by @ana 12:00 — applied"}}),
		"sync":             SyncAlert(glowco, ads.Meta, "act_1234567890", "eligible partnership-ad media", "2026-06-19T14:00:00Z", "Meta answered 100/33 (Unsupported get request); permissions are kept, media are not refreshed."),
		"not_judged":       NotJudgedAlert(glowco, "2026-06-19T14:00:00Z", []string{"tiktok.insights 7000000000000000000 (failed)"}),
		"version":          VersionAlert(glowco, ads.Meta, "v25.0", time.Date(2027, 2, 23, 0, 0, 0, 0, time.UTC), 25, "Marketing API version history"),
		"token":            TokenAlert(glowco, "meta", "2026-06-23T00:00:00Z", "3d", "The meta access token expires in 3 days", "Renew the system-user token and set META_ACCESS_TOKEN before 2026-06-23; until then syncs and actions work."),
		"flip":             FlipAlert(glowco, "summer-serum-hooks", "14d", plan, reconcile.VerdictHold, 1, flipped),
		"verdict_scale":    VerdictAlert(glowco, "summer-serum-hooks", "14d", vs[0]),
		"verdict_refresh":  VerdictAlert(glowco, "summer-serum-hooks", "14d", vs[1]),
		"verdict_cut":      VerdictAlert(glowco, "summer-serum-hooks", "14d", vs[2]),
		"verdict_hold":     VerdictAlert(glowco, "summer-serum-hooks", "14d", vs[3]),
		"guard":            GuardAlert(glowco, "summer-serum-hooks", "before-14d", guards[0]),
		"permission":       PermissionAlert(glowco, perms[0]),
		"hygiene":          HygieneAlert(glowco, hyg[0]),
		"action":           ActionResultAlert(glowco, raise),
		"action_scheduled": ActionResultAlert(glowco, scheduled),
		"action_already":   ActionResultAlert(glowco, already),
	}
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	for name, a := range sampleAlerts() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(map[string]any{"dedup_key": a.DedupKey, "thread_key": a.ThreadKey, "update_key": a.UpdateKey, "text": FallbackText(a), "blocks": Render(a)}); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			file := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("reading golden file (run go test -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n got %s\nwant %s", name, file, got, want)
			}
		})
	}
}

// TestRenderEachKindWithinBlockKitLimits renders every message kind, and
// a checkpoint of 400 variants with long hostile names, and checks them
// as Slack does (the fake's validation).
func TestRenderEachKindWithinBlockKitLimits(t *testing.T) {
	t.Parallel()
	cases := sampleAlerts()
	var many []reconcile.Verdict
	for i := range 400 {
		many = append(many, reconcile.Verdict{Subject: fmt.Sprintf("<!channel>&%s-%d", strings.Repeat("x", 40), i), Verdict: reconcile.VerdictCut,
			Rule: reconcile.RuleTopThird, Reason: strings.Repeat("because <b> & ", 40), ROAS: 0.5, Low: 0.1, High: 0.9, Credibility: 0.9,
			Spend: ads.MustMicros("123456.78"), Orders: 3})
	}
	cases["checkpoint_400"] = CheckpointAlert(glowco, strings.Repeat("t", 300), "14d", Plan{}, many)
	for name, a := range cases {
		b, err := json.Marshal(Render(a))
		if err != nil {
			t.Fatal(err)
		}
		if why := slackfake.CheckBlocks(string(b)); why != "" {
			t.Errorf("%s: Slack would refuse: %s", name, why)
		}
		if strings.Contains(FallbackText(a), "<!") {
			t.Errorf("%s: fallback text pings: %.200s", name, FallbackText(a))
		}
	}
}

func TestRenderLimitsAndEscaping(t *testing.T) {
	t.Parallel()
	long := string(bytes.Repeat([]byte("x"), 400))
	a := Alert{Kind: KindGuard, Title: long, Reason: "a < b & c > d", ReportURL: "https://x.example/r?a=1|2"}
	for i := 0; i < 14; i++ {
		a.Fields = append(a.Fields, Field{"k", "v"})
	}
	b, err := json.Marshal(Render(a))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []map[string]any
	json.Unmarshal(b, &blocks)
	header := blocks[0]["text"].(map[string]any)["text"].(string)
	if n := len([]rune(header)); n > maxHeaderText {
		t.Errorf("header has %d characters, Slack allows %d", n, maxHeaderText)
	}
	if why := blocks[1]["text"].(map[string]any)["text"].(string); why != "a &lt; b &amp; c &gt; d" {
		t.Errorf("reason not escaped for mrkdwn: %q", why)
	}
	if n := len(blocks[2]["fields"].([]any)); n != maxFields {
		t.Errorf("%d fields rendered, Slack allows %d", n, maxFields)
	}
	link := blocks[3]["elements"].([]any)[0].(map[string]any)["text"].(string)
	if link != "<https://x.example/r?a=1%7C2|Open report>" {
		t.Errorf("report link %q not escaped", link)
	}
}

// TestVerdictMoneyInMinorUnits: a JPY and a KWD brand's Slack message
// shows money as the dashboard and the report do (ads.FormatMoney).
func TestVerdictMoneyInMinorUnits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ cur, spend, revenue string }{
		{"JPY", "1,235 JPY", "3,000 JPY"},
		{"KWD", "1,234.568 KWD", "3,000.000 KWD"},
	} {
		v := reconcile.Verdict{Subject: "v", Verdict: reconcile.VerdictScale, Spend: ads.MustMicros("1234.5675"), Revenue: ads.MustMicros("3000")}
		if tc.cur == "JPY" {
			v.Spend = ads.MustMicros("1234.5")
		}
		a := VerdictAlert(Target{Brand: "b", Channel: "#b", Currency: tc.cur}, "t", "14d", v)
		got := map[string]string{}
		for _, f := range a.Fields {
			got[f.Label] = f.Value
		}
		if got["Spend"] != tc.spend || got["Revenue"] != tc.revenue {
			t.Errorf("%s: fields %v, want spend %s and revenue %s", tc.cur, got, tc.spend, tc.revenue)
		}
	}
}

// TestOwnerMentionedOnlyOnActionItems: a test's owner is mentioned on
// what needs action (a flip, an action, an approval, a guard, an expiring
// permission), never on the checkpoint table or the digest; a user is
// <@U…>, a user group <!subteam^S…>.
func TestOwnerMentionedOnlyOnActionItems(t *testing.T) {
	t.Parallel()
	owned := glowco
	owned.Owners = map[string]string{"summer-serum-hooks": "S0PERFTEAM", "other": "U0ANA1234"}
	v := reconcile.Verdict{Subject: "hook-a", Verdict: reconcile.VerdictCut, Rule: reconcile.RuleTopThird, Reason: "cut", ROAS: 1, Low: 0.5, High: 1.5, Credibility: 0.9}
	tests := []struct {
		name string
		a    Alert
		want string
	}{
		{"flip", FlipAlert(owned, "summer-serum-hooks", "14d", Plan{}, reconcile.VerdictHold, 1, v), "<!subteam^S0PERFTEAM>"},
		{"flip of a user-owned test", FlipAlert(owned, "other", "14d", Plan{}, reconcile.VerdictHold, 1, v), "<@U0ANA1234>"},
		{"action", ActionResultAlert(owned, ActionResult{TestID: "summer-serum-hooks", Checkpoint: "14d", Subject: "hook-a", Action: reconcile.ActionPauseAd, TargetID: "1", Outcome: OutcomeApplied}), "<!subteam^S0PERFTEAM>"},
		{"approval", ApprovalAlert(owned, "summer-serum-hooks", "14d", []Proposal{{Key: "k", Change: "pause ad 1", Awaiting: true}}), "<!subteam^S0PERFTEAM>"},
		{"guard", GuardAlert(owned, "summer-serum-hooks", "before-14d", reconcile.Guard{Subject: "hook-a"}), "<!subteam^S0PERFTEAM>"},
		{"permission", PermissionAlert(owned, reconcile.PermissionAlert{Kind: reconcile.PermAlertExpiring, TestID: "summer-serum-hooks", VariantKey: "hook-a"}), "<!subteam^S0PERFTEAM>"},
		{"table", CheckpointAlert(owned, "summer-serum-hooks", "14d", Plan{}, []reconcile.Verdict{v}), ""},
		{"digest", DigestAlert(owned, Digest{Day: "2026-06-20", Yesterday: "2026-06-19"}), ""},
		{"unowned test", FlipAlert(owned, "nobody", "14d", Plan{}, reconcile.VerdictHold, 1, v), ""},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(Render(tc.a))
		b := buf.Bytes()
		text := FallbackText(tc.a)
		if tc.want == "" {
			if strings.Contains(text+string(b), "<@") || strings.Contains(text+string(b), "<!subteam") {
				t.Errorf("%s mentions someone: %s", tc.name, text)
			}
			continue
		}
		if !strings.HasPrefix(text, tc.want+" ") || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: text %q / blocks lack %s", tc.name, text, tc.want)
		}
		if why := slackfake.CheckBlocks(string(b)); why != "" {
			t.Errorf("%s: Slack would refuse: %s", tc.name, why)
		}
	}
}
