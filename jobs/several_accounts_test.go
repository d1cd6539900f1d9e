package jobs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
	"github.com/roasd/roasd/tiktokads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// TestBrandWithSeveralAccountsAndShops runs the pipeline (syncs, reconcile,
// verdicts) through RunOnce for glowco (USD, New York) with two Meta ad
// accounts (one in USD, one in EUR), two TikTok advertisers and two
// Shopify shops (one in USD, one in EUR), next to lunaskin (EUR, Berlin),
// which shares glowco's creator and has one account and one shop of each.
// It checks that glowco's KPI cells hold the spend of every one of its
// accounts (the EUR account's converted at the brand's rate, never 1:1)
// and the orders of both its shops, that nothing of lunaskin's is in
// glowco's ledger or the other way round, that an account the brand no
// longer lists stops counting, that without the EUR rate the
// reconcile refuses naming the currency, and that when one of glowco's
// shops fails to sync, glowco's verdicts are withheld naming that shop
// while lunaskin's are not.
func TestBrandWithSeveralAccountsAndShops(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	const (
		actUS, actEU, actLuna = "act_1001", "act_3003", "act_2002"
		advA, advB            = "7100000000000000001", "7100000000000000003"
		shopUS, shopEU        = "glowco-us.myshopify.com", "glowco-eu.myshopify.com"
		shopLuna              = "lunaskin.myshopify.com"
	)
	test := func(id string, vs ...*configs.Variant) *configs.Test {
		return &configs.Test{ID: id, Creator: "jacqueline", Start: actStart, Checkpoints: []int{14, 30}, TargetROAS: 3, FloorROAS: 1,
			MinSpend: ads.MustMicros("100"), Actions: configs.ActionsAlert, BudgetStep: ads.MustRate("0.2"), Variants: vs}
	}
	v := func(key string, p ads.Platform) *configs.Variant {
		return &configs.Variant{Key: key, Platform: p, Kind: ads.Dark, UTM: ads.UTM{Content: key}}
	}
	eurUSD := configs.FXRate{From: "EUR", To: "USD", Rate: ads.MustRate("1.08"), Since: actStart.AddDays(-60)}
	glowco := &configs.Brand{Name: "glowco", Currency: "USD", Timezone: "America/New_York", Location: ny, RestatementDays: 7,
		Accounts: configs.Accounts{
			Meta:    []*configs.MetaAccount{{AdAccount: actUS}, {AdAccount: actEU}},
			TikTok:  []*configs.TikTokAccount{{Advertiser: advA}, {Advertiser: advB}},
			Shopify: []*configs.ShopifyAccount{{Shop: shopUS}, {Shop: shopEU}},
		},
		FXRates:  []configs.FXRate{eurUSD},
		Slack:    configs.Slack{Channel: "#glowco"},
		Creators: []*configs.Creator{{Handle: "jacqueline"}},
		Tests: []*configs.Test{
			test("meta-hooks", v("hook-a", ads.Meta), v("hook-b", ads.Meta)),
			test("tiktok-hooks", v("tk-a", ads.TikTok), v("tk-b", ads.TikTok),
				&configs.Variant{Key: "tk-s", Platform: ads.TikTok, Kind: ads.Spark, SparkCode: "#spark-jacq"}),
		}}
	lunaskin := &configs.Brand{Name: "lunaskin", Currency: "EUR", Timezone: "Europe/Berlin", Location: berlin, RestatementDays: 7,
		Accounts: configs.Accounts{
			Meta:    []*configs.MetaAccount{{AdAccount: actLuna}},
			Shopify: []*configs.ShopifyAccount{{Shop: shopLuna}},
		},
		Slack:    configs.Slack{Channel: "#luna"},
		Creators: []*configs.Creator{{Handle: "jacqueline"}},
		Tests:    []*configs.Test{test("luna-hooks", v("eu-a", ads.Meta))}}
	set := &configs.Set{Brands: []*configs.Brand{glowco, lunaskin}}
	day := actStart.AddDays(1)
	now := actStart.AddDays(3).In(ny).Add(12 * time.Hour)

	metaAd := func(id, utm string) metafake.Ad {
		return metafake.Ad{ID: id, Name: id, AdSetID: "s" + id, CampaignID: "k" + id, Status: "ACTIVE",
			Creative: metafake.Creative{ID: "c" + id, URLTags: "utm_content=" + utm}}
	}
	spend := func(ad, amount string) metafake.Insight {
		return metafake.Insight{AdID: ad, Day: day.String(), SpendMicros: ads.MustMicros(amount), Impressions: 1000}
	}
	meta := metafake.New(metafake.Seed{Token: actToken, Accounts: []metafake.Account{
		{ID: actUS, Currency: "USD", Timezone: "America/New_York", Ads: []metafake.Ad{metaAd("m1", "hook-a")},
			Insights: []metafake.Insight{spend("m1", "40")}},
		{ID: actEU, Currency: "EUR", Timezone: "Europe/Berlin", Ads: []metafake.Ad{metaAd("x1", "hook-b")},
			Insights: []metafake.Insight{spend("x1", "100")}},
		{ID: actLuna, Currency: "EUR", Timezone: "Europe/Berlin", Ads: []metafake.Ad{metaAd("e1", "eu-a")},
			Insights: []metafake.Insight{spend("e1", "70")}},
	}})
	metaSrv := httptest.NewServer(meta)
	t.Cleanup(metaSrv.Close)
	tkAd := func(id, utm string) tiktokfake.Ad {
		return tiktokfake.Ad{ID: id, Name: id, AdGroupID: "g" + id, CampaignID: "1790000000000000001",
			LandingPageURL: "https://glowco.example/?utm_content=" + utm}
	}
	tkRow := func(ad, amount string) tiktokfake.ReportRow {
		return tiktokfake.ReportRow{AdID: ad, Day: day.String(), SpendMicros: ads.MustMicros(amount), Impressions: 500}
	}
	tk := tiktokfake.New(tiktokfake.Seed{Token: actToken, Now: func() time.Time { return now }, SparkPosts: []tiktokfake.SparkPost{{AuthCode: "#spark-jacq", ItemID: "7345678901234567890",
		TikTokName: "jacq", IdentityID: "ident-jacq", AuthStart: now.AddDate(0, 0, -10), AuthEnd: now.AddDate(0, 0, 50)}},
		Advertisers: []tiktokfake.Advertiser{
			{ID: advA, Currency: "USD", Timezone: "America/New_York", Ads: []tiktokfake.Ad{tkAd("k1", "tk-a")}, Report: []tiktokfake.ReportRow{tkRow("k1", "30")}},
			{ID: advB, Currency: "USD", Timezone: "America/New_York", Ads: []tiktokfake.Ad{tkAd("k3", "tk-b")}, Report: []tiktokfake.ReportRow{tkRow("k3", "20")}},
		}})
	tkSrv := httptest.NewServer(tk)
	t.Cleanup(tkSrv.Close)

	// One fake per shop, each its own server; glowco-eu's can be made to
	// fail.
	order := func(id, name, utm, total string, at time.Time) shopifyfake.Order {
		return shopifyfake.Order{ID: id, Name: name, CreatedAt: at, UpdatedAt: at, LineItems: total, Discounts: "0.00",
			LastVisit: &shopifyfake.Visit{LandingPage: "https://shop.example/?utm_content=" + utm, OccurredAt: at.Add(-time.Hour),
				Source: "jacqueline", Medium: "paid_social", Content: utm}}
	}
	at := day.In(ny).Add(14 * time.Hour)
	shops := map[string]shopifyfake.Seed{
		shopUS:   {Shop: shopifyfake.Shop{Name: "glowco US", Domain: shopUS, Currency: "USD", Timezone: "America/New_York"}, Orders: []shopifyfake.Order{order("5001", "#1001", "hook-a", "100.00", at)}},
		shopEU:   {Shop: shopifyfake.Shop{Name: "glowco EU", Domain: shopEU, Currency: "EUR", Timezone: "Europe/Berlin"}, Orders: []shopifyfake.Order{order("6001", "#1001", "hook-b", "50.00", at)}},
		shopLuna: {Shop: shopifyfake.Shop{Name: "lunaskin", Domain: shopLuna, Currency: "EUR", Timezone: "Europe/Berlin"}, Orders: []shopifyfake.Order{order("7001", "#1001", "eu-a", "80.00", at)}},
	}
	var euDown atomic.Bool
	clients := map[string]*shopify.Client{}
	for shop, seed := range shops {
		seed.AccessToken, seed.MaximumAvailable, seed.RestoreRate = "shpat_"+shop, 1e6, 1e6
		seed.Now = func() time.Time { return now }
		fake := shopifyfake.New(seed)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if shop == shopEU && euDown.Load() {
				http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
				return
			}
			fake.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		clients[shop] = shopify.New(shopify.Options{Shop: shop, BaseURL: srv.URL, AccessToken: "shpat_" + shop, RetryMax: -1})
	}
	d := &Deps{DB: db, BulkAfter: -1,
		Meta:   metaads.New(metaads.Options{BaseURL: metaSrv.URL, AccessToken: actToken, RetryMax: -1}),
		TikTok: tiktokads.New(tiktokads.Options{BaseURL: tkSrv.URL, AccessToken: actToken, RetryMax: -1}),
		Shopify: func(shop string) *shopify.Client {
			c, ok := clients[shop]
			if !ok {
				t.Errorf("asked for a client of unknown shop %s", shop)
			}
			return c
		}}
	d.Stages = []Stage{ReconcileStage(db), d.VerdictStage("")}
	runner := &scheduler.Runner{Rec: db, Replica: "r1", Attempts: 1, Now: func() time.Time { return now }}

	// Every account and shop of each brand has its own jobs.
	scopes := map[string][]string{}
	for _, j := range Jobs(set, d, nil) {
		scopes[strings.Join(j.Brands, ",")] = append(scopes[strings.Join(j.Brands, ",")], j.Key())
	}
	for _, want := range []string{"meta.ads:" + actUS, "meta.ads:" + actEU, "meta.insights:" + actEU, "tiktok.insights:" + advA,
		"tiktok.insights:" + advB, "shopify.orders:" + shopUS, "shopify.orders:" + shopEU} {
		if !strings.Contains(strings.Join(scopes["glowco"], " "), want) {
			t.Errorf("glowco's jobs %v lack %s", scopes["glowco"], want)
		}
	}
	if luna := strings.Join(scopes["lunaskin"], " "); strings.Contains(luna, "glowco") || strings.Contains(luna, actUS) {
		t.Errorf("lunaskin's jobs %s include glowco's accounts", luna)
	}

	if failed := scheduler.RunOnce(ctx, Jobs(set, d, nil), runner.Execute); len(failed) != 0 {
		for _, f := range failed {
			t.Errorf("%s: %v", f.Job.Key(), f.Err)
		}
		t.FailNow()
	}

	// The Spark code is applied once, to the first advertiser listed.
	for adv, want := range map[string]int{advA: 1, advB: 0} {
		ps, err := db.Permissions(ctx, ads.TikTok, adv)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != want {
			t.Errorf("advertiser %s holds %d Spark posts, want %d: %+v", adv, len(ps), want, ps)
		}
	}

	// glowco's cells: every account's spend, the EUR one at 1.08; both
	// shops' orders, the EUR one at 1.08.
	type cell struct{ spend, revenue int64 }
	cells := func(brand string) map[string]cell {
		rows, err := db.KPICells(ctx, brand, actStart.AddDays(-10), actStart.AddDays(10))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]cell{}
		for _, r := range rows {
			c := out[r.VariantKey]
			c.spend += r.Spend
			c.revenue += r.PaidRevenue + r.OrganicRevenue
			out[r.VariantKey] = c
		}
		return out
	}
	glow := cells("glowco")
	for key, want := range map[string]cell{
		"hook-a": {ads.MustMicros("40"), ads.MustMicros("100")},
		"hook-b": {ads.MustMicros("108"), ads.MustMicros("54")},
		"tk-a":   {ads.MustMicros("30"), 0},
		"tk-b":   {ads.MustMicros("20"), 0},
	} {
		if got := glow[key]; got != want {
			t.Errorf("glowco %s: spend %s revenue %s, want %s and %s", key, ads.FormatMicros(got.spend, 2), ads.FormatMicros(got.revenue, 2),
				ads.FormatMicros(want.spend, 2), ads.FormatMicros(want.revenue, 2))
		}
	}
	if _, leaked := glow["eu-a"]; leaked {
		t.Errorf("glowco's cells hold lunaskin's variant: %+v", glow)
	}
	luna := cells("lunaskin")
	if got := luna["eu-a"]; got != (cell{ads.MustMicros("70"), ads.MustMicros("80")}) {
		t.Errorf("lunaskin eu-a: %+v, want spend 70 and revenue 80 EUR", got)
	}
	var total int64
	for _, c := range luna {
		total += c.spend
	}
	if total != ads.MustMicros("70") {
		t.Errorf("lunaskin's cells hold %s of spend, want its own 70.00 only: %+v", ads.FormatMicros(total, 2), luna)
	}
	ledgerOrders := func(brand string) []string {
		rows, err := db.Ledger(ctx, brand, actStart.AddDays(-10), actStart.AddDays(10))
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rows {
			if r.Source == "order" {
				ids = append(ids, r.SourceID)
			}
		}
		return ids
	}
	has := func(ids []string, suffix string) bool {
		for _, id := range ids {
			if strings.HasSuffix(id, "/"+suffix) || id == suffix {
				return true
			}
		}
		return false
	}
	if ids := ledgerOrders("glowco"); len(ids) != 2 || !has(ids, "5001") || !has(ids, "6001") {
		t.Errorf("glowco's ledger orders %v, want 5001 (US shop) and 6001 (EU shop) only", ids)
	}
	if ids := ledgerOrders("lunaskin"); len(ids) != 1 || !has(ids, "7001") {
		t.Errorf("lunaskin's ledger orders %v, want 7001 only", ids)
	}

	// An ad account the brand no longer lists is no longer its data,
	// though its links and stats stay stored; listed again, it is back.
	dropped := *glowco
	dropped.Accounts.Meta = glowco.Accounts.Meta[:1]
	if _, err := ReconcileBrand(ctx, db, &dropped, now, false); err != nil {
		t.Fatal(err)
	}
	if got := cells("glowco")["hook-b"]; got.spend != 0 {
		t.Errorf("glowco without %s still counts its spend on hook-b: %s", actEU, ads.FormatMicros(got.spend, 2))
	}
	if _, err := ReconcileBrand(ctx, db, glowco, now, false); err != nil {
		t.Fatal(err)
	}
	if got := cells("glowco")["hook-b"]; got.spend != ads.MustMicros("108") {
		t.Errorf("glowco with %s listed again: hook-b spend %s, want 108.00", actEU, ads.FormatMicros(got.spend, 2))
	}

	// Without the EUR rate, the EUR account's spend is not taken 1:1.
	noRate := *glowco
	noRate.FXRates = nil
	if _, err := ReconcileBrand(ctx, db, &noRate, now, true); err == nil || !strings.Contains(err.Error(), "EUR") {
		t.Errorf("reconciling glowco without an EUR rate: %v; want a refusal naming EUR", err)
	}

	// One of glowco's shops fails: glowco's verdicts wait, naming that
	// shop; lunaskin's go on.
	euDown.Store(true)
	failed := scheduler.RunOnce(ctx, Jobs(set, d, nil), runner.Execute)
	var withheld string
	for _, f := range failed {
		switch {
		case f.Job.Key() == "shopify.orders:"+shopEU:
		case f.Job.Key() == StageVerdicts+":brand:glowco":
			withheld = f.Err.Error()
		default:
			t.Errorf("%s failed: %v (only glowco's EU shop and glowco's verdicts may)", f.Job.Key(), f.Err)
		}
	}
	if !strings.Contains(withheld, "not judging brand glowco") || !strings.Contains(withheld, shopEU) ||
		strings.Contains(withheld, shopUS) || strings.Contains(withheld, "lunaskin") {
		t.Errorf("glowco's withheld verdicts say %q; want them to name %s alone", withheld, shopEU)
	}
	if reasons, err := d.NotJudged(ctx, lunaskin); err != nil || len(reasons) != 0 {
		t.Errorf("lunaskin not judged: %v, %v", reasons, err)
	}
}
