package jobs

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/tiktokads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// TestCampaignHeldBudgets: a scaled variant whose ad set has no budget
// because its campaign holds it. On Meta (an Advantage+ sales campaign
// with Advantage+ campaign budget) the campaign's daily budget is raised
// by the test's step, through the same intent, read and read-back path,
// and no ad-set budget is written (Meta refuses those). On TikTok (an
// Upgraded Smart+ campaign) nothing is written: the action is recorded as
// skipped with why and what to do, and Slack is told once. The syncs label
// both campaigns.
func TestCampaignHeldBudgets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	glowco, lunaskin := actBrands(t)
	glowco.Accounts.TikTok = nil
	glowco.Tests = glowco.Tests[:1] // meta-hooks: hook-a scale, hook-b cut, hook-c refresh
	lunaskin.Accounts = configs.Accounts{TikTok: []*configs.TikTokAccount{{Advertiser: actTikTok}}}
	lunaskin.Tests[0].Variants = []*configs.Variant{
		{Key: "eu-a", Platform: ads.TikTok, UTM: ads.UTM{Content: "eu-a"}},
		{Key: "eu-b", Platform: ads.TikTok, UTM: ads.UTM{Content: "eu-b"}},
		{Key: "eu-c", Platform: ads.TikTok, UTM: ads.UTM{Content: "eu-c"}},
	}

	const (
		advPlus   = "2383000000000077" // Advantage+ sales campaign, $200/day
		manual    = "2383000000000001"
		setInPlus = "2384000000000077"
		smart     = "1790000000000000070" // Upgraded Smart+ campaign, €50/day
		groupPlus = "1790000000000000071"
	)
	metaAd := func(id, set, camp, tag string) metafake.Ad {
		return metafake.Ad{ID: id, AdSetID: set, CampaignID: camp, Creative: metafake.Creative{URLTags: "utm_content=" + tag}}
	}
	meta := metafake.New(metafake.Seed{Token: actToken, Accounts: []metafake.Account{{ID: actMeta, Currency: "USD", Timezone: "America/New_York",
		Campaigns: []metafake.Campaign{{ID: advPlus, Name: "ASC spring", DailyBudget: 20000, AdvantageState: "ADVANTAGE_PLUS_SALES"},
			{ID: manual, Name: "manual"}},
		AdSets: []metafake.AdSet{{ID: setInPlus, CampaignID: advPlus, DailyBudget: 5000}, {ID: setCut, CampaignID: manual, DailyBudget: 10000},
			{ID: setRefresh, CampaignID: manual, DailyBudget: 10000}},
		Ads: []metafake.Ad{metaAd("m1", setInPlus, advPlus, "hook-a"), metaAd("m2", setCut, manual, "hook-b"), metaAd("m3", setRefresh, manual, "hook-c")},
	}}})
	tk := tiktokfake.New(tiktokfake.Seed{Token: actToken, Now: func() time.Time { return day15 }, Advertisers: []tiktokfake.Advertiser{{
		ID: actTikTok, Currency: "EUR", Timezone: "Europe/Berlin",
		Campaigns: []tiktokfake.Campaign{{ID: smart, Name: "Smart+ spring", BudgetMicros: ads.MustMicros("50"), BudgetOptimizeOn: true,
			AutomationType: tiktokfake.AutomationUpgradedSmartPlus}},
		AdGroups: []tiktokfake.AdGroup{{ID: groupPlus, CampaignID: smart, BudgetMode: tiktokfake.BudgetModeInfinite},
			{ID: groupLife, CampaignID: "1790000000000000001", BudgetMode: tiktokfake.BudgetModeTotal, BudgetMicros: ads.MustMicros("100")}},
		Ads: []tiktokfake.Ad{
			{ID: "k1", AdGroupID: groupPlus, CampaignID: smart, LandingPageURL: "https://luna.example/?utm_content=eu-a"},
			{ID: "k2", AdGroupID: groupLife, CampaignID: "1790000000000000001", LandingPageURL: "https://luna.example/?utm_content=eu-b"},
			{ID: "k3", AdGroupID: groupLife, CampaignID: "1790000000000000001", LandingPageURL: "https://luna.example/?utm_content=eu-c"}},
	}}})
	metaSrv, tkSrv := httptest.NewServer(meta), httptest.NewServer(tk)
	t.Cleanup(metaSrv.Close)
	t.Cleanup(tkSrv.Close)
	mo := metaads.Options{BaseURL: metaSrv.URL, AccessToken: actToken, RetryMax: -1}
	to := tiktokads.Options{BaseURL: tkSrv.URL, AccessToken: actToken, RetryMax: -1}
	d := &Deps{DB: db, Meta: metaads.New(mo), TikTok: tiktokads.New(to)}

	// The syncs store the ads (with their campaigns) and label the campaigns.
	run := &scheduler.Run{Now: day15}
	if err := d.syncAds(ctx, glowco, d.metaPlatform(glowco.Accounts.Meta[0]), run); err != nil {
		t.Fatalf("meta.ads: %v", err)
	}
	if err := d.syncAds(ctx, lunaskin, d.tiktokPlatform(lunaskin.Accounts.TikTok[0].Advertiser), run); err != nil {
		t.Fatalf("tiktok.ads: %v", err)
	}
	for _, c := range []struct {
		p              ads.Platform
		id, level, aut string
	}{
		{ads.Meta, advPlus, ads.BudgetAtCampaign, "ADVANTAGE_PLUS_SALES"}, {ads.Meta, manual, ads.BudgetAtAdSet, ""},
		{ads.TikTok, smart, ads.BudgetAtCampaign, "UPGRADED_SMART_PLUS"},
	} {
		cs, err := db.Campaigns(ctx, c.p, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := cs[c.id]; got.BudgetLevel != c.level || got.Automation != c.aut {
			t.Errorf("%s campaign %s labelled %q/%q, want %q/%q", c.p, c.id, got.BudgetLevel, got.Automation, c.level, c.aut)
		}
	}

	// ROAS 6 (scale), 0.3 (cut), 2 (refresh) for each test.
	for _, c := range []struct{ brand, cur, test, p, variant, rev string }{
		{"glowco", "USD", "meta-hooks", "meta", "hook-a", "6000"}, {"glowco", "USD", "meta-hooks", "meta", "hook-b", "300"},
		{"glowco", "USD", "meta-hooks", "meta", "hook-c", "2000"},
		{"lunaskin", "EUR", "luna-hooks", "tiktok", "eu-a", "6000"}, {"lunaskin", "EUR", "luna-hooks", "tiktok", "eu-b", "300"},
		{"lunaskin", "EUR", "luna-hooks", "tiktok", "eu-c", "2000"},
	} {
		rev := ads.MustMicros(c.rev)
		if _, err := db.SQL().Exec(`INSERT INTO kpi_daily (brand, day, test_id, variant_key, creator, platform, currency, spend_micros,
			paid_revenue_micros, paid_orders, impressions) VALUES ($1, $2, $3, $4, 'jacqueline', $5, $6, $7, $8, $9, 100000)`,
			c.brand, actStart.AddDays(1).String(), c.test, c.variant, c.p, c.cur, ads.MustMicros("1000"), rev, rev/ads.MustMicros("50")); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []*configs.Brand{glowco, lunaskin} {
		recordRuns(t, d, b, store.RunOK, day15.Add(-time.Hour))
		if err := d.VerdictStage("").Run(ctx, b, &scheduler.Run{Now: day15}); err != nil {
			t.Fatalf("verdicts %s: %v", b.Name, err)
		}
	}

	// Meta: the campaign's budget went up 20%, the ad set was not touched.
	recs, err := db.Actions(ctx, "glowco")
	if err != nil {
		t.Fatal(err)
	}
	var campRec *store.ActionRecord
	for i, r := range recs {
		if r.TargetID == advPlus {
			campRec = &recs[i]
		}
		if r.TargetID == setInPlus {
			t.Errorf("an action on ad set %s, whose campaign holds the budget: %+v", setInPlus, r)
		}
	}
	if campRec == nil || campRec.Action != "set_campaign_budget" || campRec.Status != store.ActionApplied || campRec.Target != "24000" || campRec.Currency != "USD" {
		t.Fatalf("Advantage+ campaign action = %+v, want set_campaign_budget applied to 24000 USD cents", campRec)
	}
	if c, _ := meta.Campaign(advPlus); c.DailyBudget != 24000 {
		t.Errorf("campaign %s daily budget on Meta = %d, want 24000", advPlus, c.DailyBudget)
	}
	if s, _ := meta.AdSet(setInPlus); s.DailyBudget != 5000 {
		t.Errorf("ad set %s budget changed to %d", setInPlus, s.DailyBudget)
	}

	// TikTok: refused with the reason and what to do, nothing written.
	tkRecs, err := db.Actions(ctx, "lunaskin")
	if err != nil {
		t.Fatal(err)
	}
	var refused *store.ActionRecord
	for i, r := range tkRecs {
		if r.TargetID == smart {
			refused = &tkRecs[i]
		}
	}
	if refused == nil || refused.Status != store.ActionSkipped || !strings.Contains(refused.Error, "Smart+") ||
		!strings.Contains(refused.Error, "Raise campaign "+smart+"'s budget in TikTok Ads Manager") {
		t.Fatalf("Smart+ campaign action = %+v, want skipped saying why and what to do", refused)
	}
	for _, c := range tk.Calls() {
		if strings.Contains(c.Path, "budget/update") {
			t.Errorf("a TikTok budget write was sent: %+v", c)
		}
	}
	var alerts []string
	if err := db.SQL().Select(&alerts, `SELECT payload FROM alert_outbox WHERE brand = 'lunaskin' AND kind = 'action' AND payload::text LIKE '%not raised%'`); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || !strings.Contains(alerts[0], "not raised") || !strings.Contains(alerts[0], "TikTok Ads Manager") {
		t.Errorf("lunaskin action alerts = %v, want one saying the campaign budget was not raised and what to do", alerts)
	}

	// A rerun changes nothing.
	before := actionsState(t, db)
	for _, b := range []*configs.Brand{glowco, lunaskin} {
		if err := d.VerdictStage("").Run(ctx, b, &scheduler.Run{Now: day15.Add(time.Hour)}); err != nil {
			t.Fatalf("verdicts rerun %s: %v", b.Name, err)
		}
	}
	if after := actionsState(t, db); after != before {
		t.Errorf("rerun changed the actions:\n%s\nwant\n%s", after, before)
	}
}

func actionsState(t *testing.T, db *store.DB) string {
	t.Helper()
	var rows []string
	if err := db.SQL().Select(&rows, `
		SELECT concat_ws('|', brand, action, target_id, status, before_value, target_value, sends, error) FROM platform_actions
		UNION ALL SELECT concat_ws('|', 'alert', dedup_key) FROM alert_outbox WHERE kind = 'action'
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}
