package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/store"
)

var (
	saveScreenshot = flag.String("dashboard.screenshot", "", "also write the headless Chromium screenshot of the dashboard to this path")
)

// dashNow is the dashboard's clock in these tests.
var dashNow = time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)

// sparkSecret is a creator's Spark authorization code in the config; it
// must never reach the dashboard's JSON.
const sparkSecret = "#v2#SECRET-spark-authorization-code"

// dashConfig is brand glowco: two creators, two tests of two variants.
func dashConfig(t *testing.T) *configs.Set {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return &configs.Set{Brands: []*configs.Brand{{
		Name: "glowco", Currency: "USD", Timezone: "America/New_York", Location: ny,
		Accounts: configs.Accounts{
			Meta:    []*configs.MetaAccount{{AdAccount: "act_100", Page: "1122", Instagram: "1784"}},
			TikTok:  []*configs.TikTokAccount{{Advertiser: "7000"}},
			Shopify: []*configs.ShopifyAccount{{Shop: "glowco.myshopify.com"}},
		},
		Creators: []*configs.Creator{
			{Handle: "jacqueline", Instagram: "jacq.elpaso", TikTok: "jacq"},
			{Handle: "marco", Instagram: "marco.fit", TikTok: "marcofit"},
		},
		Tests: []*configs.Test{
			{ID: "summer-serum-hooks", Creator: "jacqueline", Start: ads.MustDate("2026-06-01"), Checkpoints: []int{14, 30},
				TargetROAS: 3, FloorROAS: 1, Variants: []*configs.Variant{
					{Key: "hook-a", Platform: ads.Meta, Kind: ads.Kind("whitelisted")},
					{Key: "hook-b", Platform: ads.TikTok, Kind: ads.Kind("spark"), SparkCode: sparkSecret},
				}},
			{ID: "spf-launch", Creator: "marco", Start: ads.MustDate("2026-06-05"), Checkpoints: []int{14, 30},
				TargetROAS: 2.5, FloorROAS: 1, Variants: []*configs.Variant{
					{Key: "v1", Platform: ads.Meta}, {Key: "v2", Platform: ads.TikTok},
				}},
		},
	}}}
}

// seedDashboard stores 30 days (June 2026) of KPI cells, verdicts, an
// action, permissions and job runs. Per day: hook-a spends 50 for 200 paid
// revenue, hook-b 40 for 20, jacqueline has 25 organic revenue and a 10
// flat fee; from June 5 v1 spends 30 for 75 with 5 commission and v2 20 for
// 30. One cell is in CAD (left out with a warning). Brand lumen exists only
// in the database, with activity on May 20 and (a pre-dated order) July 2.
func seedDashboard(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	m := ads.MustMicros
	var cells []ads.KPICell
	for i := 0; i < 30; i++ {
		d := ads.MustDate("2026-06-01").AddDays(i)
		cells = append(cells,
			ads.KPICell{Day: d, TestID: "summer-serum-hooks", VariantKey: "hook-a", Creator: "jacqueline", Platform: ads.Meta,
				Currency: "USD", KPI: ads.KPI{Spend: m("50"), PaidRevenue: m("200"), PaidOrders: 4, PlatformValue: m("260")}},
			ads.KPICell{Day: d, TestID: "summer-serum-hooks", VariantKey: "hook-b", Creator: "jacqueline", Platform: ads.TikTok,
				Currency: "USD", KPI: ads.KPI{Spend: m("40"), PaidRevenue: m("20"), PaidOrders: 1}},
			ads.KPICell{Day: d, TestID: "summer-serum-hooks", Creator: "jacqueline", Currency: "USD",
				KPI: ads.KPI{OrganicRevenue: m("25"), OrganicOrders: 1, FlatFees: m("10")}},
		)
		if i >= 4 {
			cells = append(cells,
				ads.KPICell{Day: d, TestID: "spf-launch", VariantKey: "v1", Creator: "marco", Platform: ads.Meta,
					Currency: "USD", KPI: ads.KPI{Spend: m("30"), PaidRevenue: m("75"), PaidOrders: 2, Commission: m("5")}},
				ads.KPICell{Day: d, TestID: "spf-launch", VariantKey: "v2", Creator: "marco", Platform: ads.TikTok,
					Currency: "USD", KPI: ads.KPI{Spend: m("20"), PaidRevenue: m("30"), PaidOrders: 1}},
			)
		}
	}
	// Flat fees are amortized over the whole test window, also into days
	// to come; they are no activity.
	cells = append(cells, ads.KPICell{Day: ads.MustDate("2026-07-01"), TestID: "summer-serum-hooks", Creator: "jacqueline",
		Currency: "USD", KPI: ads.KPI{FlatFees: m("10")}})
	cells = append(cells, ads.KPICell{Day: ads.MustDate("2026-06-10"), TestID: "spf-launch", VariantKey: "v2", Creator: "marco",
		Platform: ads.Meta, Currency: "CAD", KPI: ads.KPI{Spend: m("999"), PaidRevenue: m("1")}})
	for _, w := range []store.ReconcileWrite{
		{Brand: "glowco", Full: true, Daily: cells,
			// The tie-out block's store sales and an order held out for
			// want of a GBP→USD rate.
			Sales: []ads.SalesDay{{Day: ads.MustDate("2026-06-01"), Currency: "USD", Orders: 5,
				Sale: ads.Sale{Gross: m("270"), Discounts: m("10"), Refunds: m("15"), Net: m("245")}, Paid: m("220"), Organic: m("25")}},
			Ledger: []ads.LedgerLine{{Source: "order", SourceID: "gid://shopify/Order/9", Day: ads.MustDate("2026-06-02"),
				Channel: "unconverted", Rule: "none", Policy: "utm-first", Currency: "USD", OrigCurrency: "GBP", OrigRevenue: m("12")}},
			State: store.ReconcileState{Currency: "USD", Fingerprint: "f", Watermark: dashNow, ReconciledAt: dashNow,
				FinalThrough: ads.MustDate("2026-06-20"), ProvisionalWhy: "refunds arrive up to 10 days later (refund_horizon_days)"}},
		{Brand: "lumen", Full: true, Daily: []ads.KPICell{
			{Day: ads.MustDate("2026-05-20"), Creator: "ana", Currency: "EUR", KPI: ads.KPI{Spend: m("5")}},
			{Day: ads.MustDate("2026-07-02"), Creator: "ana", Currency: "EUR", KPI: ads.KPI{OrganicRevenue: m("5")}}, // after "today"
		},
			State: store.ReconcileState{Currency: "EUR", Fingerprint: "g", Watermark: dashNow, ReconciledAt: dashNow}},
	} {
		if _, err := db.ReplaceReconciled(ctx, w); err != nil {
			t.Fatal(err)
		}
	}

	v := func(test, subject, cp, platform, verdict, reason string) store.VerdictRow {
		return store.VerdictRow{Brand: "glowco", TestID: test, Subject: subject, Checkpoint: cp, Platform: platform, Verdict: verdict,
			Rule: "rule-" + verdict, Reason: reason, Metrics: []byte(`{"roas":1.5}`), DecidedOn: ads.MustDate("2026-06-30")}
	}
	verdicts := []store.VerdictRow{
		v("summer-serum-hooks", "hook-a", "14d", "meta", "scale", "Scale: top third and ROAS 4.00 is at or above target 3.00."),
		v("summer-serum-hooks", "hook-b", "14d", "tiktok", "hold", "Hold: too little evidence."),
		v("summer-serum-hooks", "hook-a", "30d", "meta", "scale", "Scale: top third and ROAS 4.00 is at or above target 3.00."),
		v("summer-serum-hooks", "hook-b", "30d", "tiktok", "cut", "Cut: ROAS 0.50 is under the floor 1.00."),
		v("spf-launch", "v1", "14d", "meta", "refresh", "Refresh: top third but ROAS 2.50 is at target."),
		v("spf-launch", "v2", "14d", "tiktok", "hold", "Hold: 280.00 USD spend is under the minimum."),
	}
	if _, err := db.SaveVerdictsAndEnqueue(ctx, verdicts, nil); err != nil {
		t.Fatal(err)
	}
	k := store.ActionKey{Brand: "glowco", TestID: "summer-serum-hooks", VariantKey: "hook-b", Platform: "tiktok", Account: "7000",
		Action: "pause_ad", TargetID: "1800", Checkpoint: "30d"}
	rec, ok, err := db.ClaimNewAction(ctx, store.ActionIntent{ActionKey: k, Target: "DISABLE", Before: "ENABLE"}, "run", dashNow)
	if err != nil || !ok {
		t.Fatalf("claiming action: %v %v", ok, err)
	}
	if err := db.SettleAction(ctx, rec.ID, "run", store.ActionOutcome{Status: store.ActionApplied, Before: "ENABLE", After: "DISABLE"}, dashNow, nil); err != nil {
		t.Fatal(err)
	}

	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	perms := []ads.Permission{
		{Platform: ads.Meta, Account: "act_100", ID: "p1", Creator: "jacq.elpaso", Status: ads.PermissionActive,
			GrantedAt: at("2026-05-01T00:00:00Z"), ExpiresAt: at("2026-07-03T12:00:00Z")},
		{Platform: ads.Meta, Account: "act_100", ID: "p2", Creator: "marco.fit", Status: ads.PermissionActive,
			GrantedAt: at("2026-05-01T00:00:00Z"), ExpiresAt: at("2026-08-29T12:00:00Z")},
		{Platform: ads.Meta, Account: "act_100", ID: "p3", Creator: "old.handle", Status: ads.PermissionRevoked,
			RevokedAt: at("2026-06-20T08:00:00Z")},
		{Platform: ads.TikTok, Account: "7000", ID: "7301", Creator: "jacq", ItemID: "7301", Status: ads.PermissionActive},
		{Platform: ads.TikTok, Account: "7000", ID: "7302", Creator: "marcofit", ItemID: "7302", Status: ads.PermissionActive,
			ExpiresAt: at("2026-06-29T00:00:00Z")},
		{Platform: ads.Meta, Account: "act_999", ID: "p9", Creator: "someone.else", Status: ads.PermissionActive},
	}
	if _, err := db.UpsertPermissions(ctx, perms); err != nil {
		t.Fatal(err)
	}

	runs := []struct {
		job, scope, status, errText string
		start                       string
		finish                      bool
	}{
		{"meta.ads", "act_100", store.RunOK, "", "2026-06-30T07:59:00Z", true},
		{"meta.permissions", "act_100", store.RunFailed, `GET https://graph.example/v21.0/act_100?access_token=EAAB-leaky-token&appsecret_proof=abc123: Authorization: Bearer EAAB-leaky-token`, "2026-06-30T08:00:00Z", true},
		{"tiktok.insights", "7000", store.RunFailed, "pulling tiktok insights 2026-06-23..2026-06-30: tiktok 7000 report/integrated/get: rate limited (code 40100)", "2026-06-30T08:01:00Z", true},
		{"shopify.orders", "glowco.myshopify.com", store.RunOK, "", "2026-06-30T08:02:00Z", true},
		{"reconcile", "brand:glowco", store.RunOK, "", "2026-06-30T08:03:00Z", true},
		{"reconcile", "brand:lumen", store.RunOK, "", "2026-06-30T08:04:00Z", true},
		{"verdicts", "brand:glowco", "", "", "2026-06-30T08:05:00Z", false},
	}
	for _, r := range runs {
		start := at(r.start)
		id, err := db.StartRun(ctx, r.job, r.scope, "host-1", 1, start)
		if err != nil {
			t.Fatal(err)
		}
		if r.finish {
			if err := db.FinishRun(ctx, id, r.status, 12, 3, r.errText, start.Add(1500*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// setupDashboard serves the dashboard over a freshly seeded database.
func setupDashboard(t *testing.T) *httptest.Server {
	t.Helper()
	db := storetest.Open(t)
	seedDashboard(t, db)
	set := dashConfig(t)
	h := Dashboard(db, func() *configs.Set { return set }, nil).WithClock(func() time.Time { return dashNow })
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q, want application/json", url, ct)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: decoding %s: %v", url, body, err)
	}
	return resp.StatusCode
}

func ptr[T any](v T) *T { return &v }

func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func show[T any](p *T) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

func TestDashboardBrandsAPI(t *testing.T) {
	t.Parallel()
	srv := setupDashboard(t)
	var got struct{ Brands []BrandSummary }
	if code := getJSON(t, srv.URL+"/dashboard/api/brands", &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(got.Brands) != 2 {
		t.Fatalf("brands = %+v, want glowco (configured) then lumen (database only)", got.Brands)
	}
	g, l := got.Brands[0], got.Brands[1]
	if g.Name != "glowco" || g.Currency != "USD" || g.Timezone != "America/New_York" || show(g.FirstDay) != "2026-06-01" ||
		show(g.LastDay) != "2026-06-30" || g.DefaultFrom.String() != "2026-06-01" || g.DefaultTo.String() != "2026-06-30" {
		t.Errorf("glowco = %+v (first %s, last %s), want USD, New York, data 2026-06-01..30, default 2026-06-01..30", g, show(g.FirstDay), show(g.LastDay))
	}
	if l.Name != "lumen" || l.Currency != "EUR" || show(l.FirstDay) != "2026-05-20" || show(l.LastDay) != "2026-07-02" ||
		l.DefaultFrom.String() != "2026-06-01" || l.DefaultTo.String() != "2026-06-30" {
		t.Errorf("lumen = %+v (first %s, last %s), want EUR, data 2026-05-20..07-02, default the 30 days up to today 2026-06-30",
			l, show(l.FirstDay), show(l.LastDay))
	}
}

func TestDashboardSeriesAPI(t *testing.T) {
	t.Parallel()
	srv := setupDashboard(t)
	m := ads.MustMicros
	type want struct {
		spend, paid, organic, fees int64
		roas, blended              *float64
		// day index → spend and running ROAS on that day
		day      int
		daySpend int64
		dayCum   *float64
	}
	tests := []struct {
		name      string
		query     string
		days      int
		from, to  string
		totals    want
		creators  map[string]want
		variants  []string
		warnings  int
		wantOrder []string
	}{
		{
			name: "default range is the last 30 days with data", query: "", days: 30, from: "2026-06-01", to: "2026-06-30",
			totals: want{spend: m("4000"), paid: m("9330"), organic: m("750"), fees: m("430"), roas: ptr(2.3325), blended: ptr(2.2754)},
			creators: map[string]want{
				"jacqueline": {spend: m("2700"), paid: m("6600"), organic: m("750"), fees: m("300"), roas: ptr(2.4444), blended: ptr(2.45),
					day: 0, daySpend: m("90"), dayCum: ptr(2.4444)},
				"marco": {spend: m("1300"), paid: m("2730"), fees: m("130"), roas: ptr(2.1), blended: ptr(1.9091),
					day: 0, daySpend: 0, dayCum: nil},
			},
			variants:  []string{"spf-launch/v1", "spf-launch/v2", "summer-serum-hooks/hook-a", "summer-serum-hooks/hook-b"},
			warnings:  1,
			wantOrder: []string{"jacqueline", "marco"},
		},
		{
			name: "explicit two days before marco started", query: "&from=2026-06-03&to=2026-06-04", days: 2, from: "2026-06-03", to: "2026-06-04",
			totals: want{spend: m("180"), paid: m("440"), organic: m("50"), fees: m("20"), roas: ptr(2.4444), blended: ptr(2.45)},
			creators: map[string]want{
				"jacqueline": {spend: m("180"), paid: m("440"), organic: m("50"), fees: m("20"), roas: ptr(2.4444), blended: ptr(2.45),
					day: 1, daySpend: m("90"), dayCum: ptr(2.4444)},
			},
			variants:  []string{"summer-serum-hooks/hook-a", "summer-serum-hooks/hook-b"},
			wantOrder: []string{"jacqueline"},
		},
		{
			name: "to alone means the 30 days up to it", query: "&to=2026-06-10", days: 30, from: "2026-05-12", to: "2026-06-10",
			totals: want{spend: m("1200"), paid: m("2830"), organic: m("250"), fees: m("130"), roas: ptr(2.3583), blended: ptr(2.3158)},
			creators: map[string]want{
				"marco": {spend: m("300"), paid: m("630"), fees: m("30"), roas: ptr(2.1), blended: ptr(1.9091),
					day: 24, daySpend: m("50"), dayCum: ptr(2.1)},
			},
			variants:  []string{"spf-launch/v1", "spf-launch/v2", "summer-serum-hooks/hook-a", "summer-serum-hooks/hook-b"},
			warnings:  1,
			wantOrder: []string{"jacqueline", "marco"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got SeriesResponse
			if code := getJSON(t, srv.URL+"/dashboard/api/series?brand=glowco"+tc.query, &got); code != 200 {
				t.Fatalf("status %d", code)
			}
			if got.From.String() != tc.from || got.To.String() != tc.to || len(got.Days) != tc.days || got.Currency != "USD" || got.Decimals != 2 {
				t.Fatalf("range %s..%s with %d days in %s/%d, want %s..%s with %d in USD/2", got.From, got.To, len(got.Days), got.Currency, got.Decimals, tc.from, tc.to, tc.days)
			}
			check := func(what string, tot Totals, w want) {
				t.Helper()
				if tot.Spend != w.spend || tot.PaidRevenue != w.paid || tot.OrganicRevenue != w.organic || tot.Fees != w.fees ||
					!eqPtr(tot.ROAS, w.roas) || !eqPtr(tot.BlendedROAS, w.blended) {
					t.Errorf("%s totals: spend %d paid %d organic %d fees %d roas %s blended %s; want %d %d %d %d %s %s", what,
						tot.Spend, tot.PaidRevenue, tot.OrganicRevenue, tot.Fees, show(tot.ROAS), show(tot.BlendedROAS),
						w.spend, w.paid, w.organic, w.fees, show(w.roas), show(w.blended))
				}
				if want := formatMoney(w.spend, "USD"); tot.Display["spend"] != want {
					t.Errorf("%s display spend %q, want %q", what, tot.Display["spend"], want)
				}
			}
			check("brand", got.Totals, tc.totals)
			var order []string
			bykey := map[string]*Series{}
			for _, s := range got.Creators {
				order = append(order, s.Key)
				bykey[s.Key] = s
				if len(s.Spend) != tc.days || len(s.ROAS) != tc.days || len(s.CumBlended) != tc.days {
					t.Errorf("creator %s: series lengths %d/%d/%d, want %d", s.Key, len(s.Spend), len(s.ROAS), len(s.CumBlended), tc.days)
				}
			}
			if strings.Join(order, ",") != strings.Join(tc.wantOrder, ",") {
				t.Errorf("creators %v, want %v", order, tc.wantOrder)
			}
			for key, w := range tc.creators {
				s := bykey[key]
				if s == nil {
					t.Errorf("creator %s missing", key)
					continue
				}
				check("creator "+key, s.Totals, w)
				if s.Spend[w.day] != w.daySpend || !eqPtr(s.CumROAS[w.day], w.dayCum) {
					t.Errorf("creator %s day %d (%s): spend %d cum roas %s, want %d %s", key, w.day, got.Days[w.day],
						s.Spend[w.day], show(s.CumROAS[w.day]), w.daySpend, show(w.dayCum))
				}
			}
			var vkeys []string
			for _, v := range got.Variants {
				vkeys = append(vkeys, v.Key)
			}
			if strings.Join(vkeys, ",") != strings.Join(tc.variants, ",") {
				t.Errorf("variants %v, want %v", vkeys, tc.variants)
			}
			if len(got.Warnings) != tc.warnings || (tc.warnings > 0 && !strings.Contains(got.Warnings[0], "CAD")) {
				t.Errorf("warnings %q, want %d about CAD", got.Warnings, tc.warnings)
			}
			if len(got.Tests) != 2 || got.Tests[0].TargetROAS != 3 || got.Tests[0].End.String() != "2026-06-30" {
				t.Errorf("tests %+v, want the two configured tests (summer: target 3, ends 2026-06-30)", got.Tests)
			}
		})
	}
	t.Run("variant roas", func(t *testing.T) {
		t.Parallel()
		var got SeriesResponse
		getJSON(t, srv.URL+"/dashboard/api/series?brand=glowco", &got)
		want := map[string]struct {
			spend int64
			roas  float64
		}{
			"summer-serum-hooks/hook-a": {m("1500"), 4}, "summer-serum-hooks/hook-b": {m("1200"), 0.5},
			"spf-launch/v1": {m("780"), 2.5}, "spf-launch/v2": {m("520"), 1.5},
		}
		for _, v := range got.Variants {
			w := want[v.Key]
			if v.Totals.Spend != w.spend || !eqPtr(v.Totals.ROAS, &w.roas) || !eqPtr(v.CumROAS[29], &w.roas) {
				t.Errorf("variant %s: spend %d roas %s (cum on last day %s), want %d %v", v.Key, v.Totals.Spend, show(v.Totals.ROAS), show(v.CumROAS[29]), w.spend, w.roas)
			}
		}
	})
}

func TestDashboardVerdictsAPI(t *testing.T) {
	t.Parallel()
	srv := setupDashboard(t)
	var got struct {
		Verdicts []VerdictView
		Actions  []ActionView
	}
	if code := getJSON(t, srv.URL+"/dashboard/api/verdicts?brand=glowco", &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	want := []string{
		"spf-launch v1 14d refresh latest",
		"spf-launch v2 14d hold latest",
		"summer-serum-hooks hook-a 30d scale latest",
		"summer-serum-hooks hook-a 14d scale",
		"summer-serum-hooks hook-b 30d cut latest",
		"summer-serum-hooks hook-b 14d hold",
	}
	var rows []string
	for _, v := range got.Verdicts {
		r := fmt.Sprintf("%s %s %s %s", v.TestID, v.Subject, v.Checkpoint, v.Verdict)
		if v.Latest {
			r += " latest"
		}
		rows = append(rows, r)
		if v.Reason == "" || string(v.Metrics) != `{"roas": 1.5}` && string(v.Metrics) != `{"roas":1.5}` {
			t.Errorf("verdict %s: reason %q metrics %s, want both", r, v.Reason, v.Metrics)
		}
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("verdicts:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if len(got.Verdicts) > 0 && got.Verdicts[0].Creator != "marco" {
		t.Errorf("verdict creator %q, want marco (from the test)", got.Verdicts[0].Creator)
	}
	if len(got.Actions) != 1 || got.Actions[0].Action != "pause_ad" || got.Actions[0].Status != store.ActionApplied ||
		got.Actions[0].Before != "ENABLE" || got.Actions[0].After != "DISABLE" || got.Actions[0].FinishedAt == nil {
		t.Errorf("actions = %+v, want one applied pause_ad ENABLE→DISABLE", got.Actions)
	}
}

func TestDashboardPermissionsAPI(t *testing.T) {
	t.Parallel()
	srv := setupDashboard(t)
	var got struct {
		Permissions []PermissionView
		WarningDays int `json:"warning_days"`
	}
	if code := getJSON(t, srv.URL+"/dashboard/api/permissions?brand=glowco", &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	// Expiring soon, other live, then dead grants; by days left (no
	// expiry last) within each.
	want := []string{
		"meta p1 jacqueline active 3 soon=true",
		"meta p2 marco active 60 soon=false",
		"tiktok 7301 jacqueline active null soon=false",
		"tiktok 7302 marco expired -2 soon=false",
		"meta p3  revoked null soon=false",
	}
	var rows []string
	for _, p := range got.Permissions {
		rows = append(rows, fmt.Sprintf("%s %s %s %s %s soon=%v", p.Platform, p.ID, p.Creator, p.Status, show(p.DaysLeft), p.ExpiringSoon))
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("permissions:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if got.WarningDays != 7 {
		t.Errorf("warning_days %d, want 7", got.WarningDays)
	}
}

func TestDashboardRunsAPI(t *testing.T) {
	t.Parallel()
	srv := setupDashboard(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"verdicts running", "reconcile ok", "shopify.orders ok", "tiktok.insights failed", "meta.permissions failed", "meta.ads ok"}},
		{"&limit=2", []string{"verdicts running", "reconcile ok"}},
	}
	for _, tc := range tests {
		var got struct{ Runs []RunView }
		if code := getJSON(t, srv.URL+"/dashboard/api/runs?brand=glowco"+tc.query, &got); code != 200 {
			t.Fatalf("status %d", code)
		}
		var rows []string
		for _, r := range got.Runs {
			rows = append(rows, r.Job+" "+r.Status)
			switch {
			case r.Status == store.RunRunning && (r.FinishedAt != nil || r.Duration != ""):
				t.Errorf("running %s has finish %v duration %q", r.Job, r.FinishedAt, r.Duration)
			case r.Status != store.RunRunning && (r.Duration != "1.5s" || r.Rows != 12 || r.APICalls != 3):
				t.Errorf("run %s: duration %q rows %d calls %d, want 1.5s 12 3", r.Job, r.Duration, r.Rows, r.APICalls)
			case r.Job == "tiktok.insights" && !strings.Contains(r.Error, "rate limited (code 40100)"):
				t.Errorf("failed run error %q, want the recorded error", r.Error)
			}
		}
		if strings.Join(rows, ",") != strings.Join(tc.want, ",") {
			t.Errorf("runs%s = %v, want %v (brand lumen's run excluded)", tc.query, rows, tc.want)
		}
	}
}

func TestDashboardRequests(t *testing.T) {
	t.Parallel()
	srv := setupDashboard(t)
	tests := []struct {
		name, method, path string
		wantCode           int
		wantType, wantBody string
	}{
		{"page", "GET", "/", 200, "text/html", `<script src="/dashboard/static/app.js"`},
		{"page head", "HEAD", "/", 200, "text/html", ""},
		{"script", "GET", "/dashboard/static/app.js", 200, "javascript", "lineChart"},
		{"styles", "GET", "/dashboard/static/style.css", 200, "text/css", ".badge-scale"},
		{"post page", "POST", "/", 405, "", ""},
		{"unknown path", "GET", "/nope", 404, "", ""},
		{"unknown brand", "GET", "/dashboard/api/series?brand=nope", 404, "application/json", `unknown brand \"nope\"`},
		{"bad from", "GET", "/dashboard/api/series?from=June", 400, "application/json", "from: parsing date"},
		{"to before from", "GET", "/dashboard/api/series?from=2026-06-10&to=2026-06-01", 400, "application/json", "before from"},
		{"range too long", "GET", "/dashboard/api/series?from=2020-01-01&to=2026-06-01", 400, "application/json", "longer than 731 days"},
		{"bad limit", "GET", "/dashboard/api/runs?limit=0", 400, "application/json", "want 1..200"},
		{"db-only brand has no accounts", "GET", "/dashboard/api/permissions?brand=lumen", 200, "application/json", "accounts are unknown"},
		{"first brand by default", "GET", "/dashboard/api/verdicts", 200, "application/json", `"brand":"glowco"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode || !strings.Contains(resp.Header.Get("Content-Type"), tc.wantType) ||
				!strings.Contains(string(body), tc.wantBody) {
				t.Errorf("%s %s = %d %q %.200s; want %d %q containing %q", tc.method, tc.path, resp.StatusCode,
					resp.Header.Get("Content-Type"), body, tc.wantCode, tc.wantType, tc.wantBody)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("Content-Security-Policy %q, want default-src 'self' (no third-party resources)", csp)
			}
		})
	}
}

// TestDashboardShowsNoSecrets: configuration secrets (a Spark code) and
// internals (the replica name) never appear in the dashboard's answers.
func TestDashboardShowsNoSecrets(t *testing.T) {
	t.Parallel()
	srv := setupDashboard(t)
	for _, path := range []string{"/", "/dashboard/api/brands", "/dashboard/api/series", "/dashboard/api/verdicts",
		"/dashboard/api/permissions", "/dashboard/api/runs"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, secret := range []string{sparkSecret, "SECRET", "host-1", "EAAB-leaky-token", "abc123"} {
			if bytes.Contains(body, []byte(secret)) {
				t.Errorf("GET %s shows %q", path, secret)
			}
		}
	}
}

// TestDashboardMountsBesideOtherRoutes mounts the dashboard on "/" of the
// daemon's server beside method-less and method-specific routes: no
// pattern conflict, and the other routes keep winning.
func TestDashboardMountsBesideOtherRoutes(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other") })
	s := serve(t, Options{Probes: true, Routes: map[string]http.Handler{
		"/":                      Dashboard(db, nil, nil),
		"/api/v1/report":         ok,
		"GET /api/v1/other":      ok,
		"POST /webhooks/shopify": ok,
	}})
	for _, tc := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/", 200, "<title>roasd"},
		{"GET", "/healthz", 200, "ok"},
		{"GET", "/api/v1/report", 200, "other"},
		{"POST", "/webhooks/shopify", 200, "other"},
		{"GET", "/dashboard/api/brands", 200, `{"brands":[]}`},
		{"GET", "/dashboard/api/series", 404, "no brand is configured or reconciled yet"},
	} {
		req, _ := http.NewRequest(tc.method, s.URL()+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(body), tc.body) {
			t.Errorf("%s %s = %d %.120q, want %d containing %q", tc.method, tc.path, resp.StatusCode, body, tc.code, tc.body)
		}
	}
}

func TestFormatMoneyAndRatio(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		micros   int64
		currency string
		want     string
	}{
		{0, "USD", "0.00 USD"},
		{ads.MustMicros("1234567.891"), "USD", "1,234,567.89 USD"},
		{ads.MustMicros("-999.995"), "EUR", "-1,000.00 EUR"},
		{ads.MustMicros("12345"), "JPY", "12,345 JPY"},
		{ads.MustMicros("1234.5"), "JPY", "1,235 JPY"},
		{ads.MustMicros("1234.5675"), "KWD", "1,234.568 KWD"},
		{ads.MustMicros("100.5"), "", "100.50"},
	} {
		if got := formatMoney(tc.micros, tc.currency); got != tc.want {
			t.Errorf("formatMoney(%d, %q) = %q, want %q", tc.micros, tc.currency, got, tc.want)
		}
	}
	for _, tc := range []struct {
		num, den int64
		want     string
	}{{1, 8, "0.13×"}, {9330, 4000, "2.33×"}, {5, 0, "–"}, {0, 7, "0.00×"}} {
		if got := formatRatio(tc.num, tc.den); got != tc.want {
			t.Errorf("formatRatio(%d, %d) = %q, want %q", tc.num, tc.den, got, tc.want)
		}
	}
}

// chromiumPath finds the Debian chromium binary.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("headless Chromium not found (looked for chromium on PATH and /usr/bin/chromium): install the Debian package chromium (make test does this)")
	return ""
}

// runChromium runs headless Chromium on url with extra flags and returns
// its standard output.
func runChromium(ctx context.Context, t *testing.T, bin, url string, extra ...string) ([]byte, error) {
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--disable-dev-shm-usage", "--mute-audio", "--hide-scrollbars", "--force-device-scale-factor=1",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=10000"}
	args = append(append(args, extra...), url)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("running %s: %w\n%s", bin, err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

var (
	tagRE  = regexp.MustCompile(`<(path|tr|g|figure)\b([^>]*)>`)
	attrRE = regexp.MustCompile(`([a-zA-Z-]+)="([^"]*)"`)
)

// elem is an element of the dumped DOM: its tag, attributes and (for tr)
// the markup up to its end tag.
type elem struct {
	tag   string
	attrs map[string]string
	inner string
}

func elements(dom string) []elem {
	var out []elem
	for _, m := range tagRE.FindAllStringSubmatchIndex(dom, -1) {
		e := elem{tag: dom[m[2]:m[3]], attrs: map[string]string{}}
		for _, a := range attrRE.FindAllStringSubmatch(dom[m[4]:m[5]], -1) {
			e.attrs[a[1]] = a[2]
		}
		if e.tag == "tr" {
			if end := strings.Index(dom[m[1]:], "</tr>"); end >= 0 {
				e.inner = dom[m[1] : m[1]+end]
			}
		}
		out = append(out, e)
	}
	return out
}

func find(es []elem, tag string, attrs map[string]string) []elem {
	var out []elem
next:
	for _, e := range es {
		if e.tag != tag {
			continue
		}
		for k, v := range attrs {
			if e.attrs[k] != v {
				continue next
			}
		}
		out = append(out, e)
	}
	return out
}

// TestDashboardInChromium renders the page in headless Chromium against a
// real database and checks the charts, badges and tables it drew, and that
// a screenshot is a non-empty PNG.
func TestDashboardInChromium(t *testing.T) {
	t.Parallel()
	bin := chromiumPath(t)
	srv := setupDashboard(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	shot := filepath.Join(t.TempDir(), "dashboard.png")
	var (
		wg              sync.WaitGroup
		dom             []byte
		domErr, shotErr error
		pageURL         = srv.URL + "/?brand=glowco"
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		dom, domErr = runChromium(ctx, t, bin, pageURL, "--dump-dom")
	}()
	go func() {
		defer wg.Done()
		_, shotErr = runChromium(ctx, t, bin, pageURL, "--screenshot="+shot, "--window-size=1360,2900")
	}()
	wg.Wait()
	if err := errors.Join(domErr, shotErr); err != nil {
		t.Fatal(err)
	}
	page := string(dom)
	if !strings.Contains(page, `data-state="ready"`) {
		t.Fatalf("page did not finish rendering (body data-state is not ready):\n%.3000s", page)
	}
	es := elements(page)

	for _, c := range []string{"jacqueline", "marco"} {
		if len(find(es, "figure", map[string]string{"data-creator": c})) != 1 {
			t.Errorf("no chart card for creator %s", c)
		}
		for _, series := range []string{"spend", "paid_revenue", "organic_revenue", "fees"} {
			ps := find(es, "path", map[string]string{"data-creator": c, "data-series": series})
			if len(ps) != 1 || !strings.HasPrefix(ps[0].attrs["d"], "M") || strings.Count(ps[0].attrs["d"], "L") < 20 {
				t.Errorf("creator %s: %s path %+v, want one line through the 30 days", c, series, ps)
			}
		}
	}
	for _, v := range []string{"summer-serum-hooks/hook-a", "summer-serum-hooks/hook-b", "spf-launch/v1", "spf-launch/v2"} {
		ps := find(es, "path", map[string]string{"data-variant": v, "data-series": "cum_roas"})
		if len(ps) != 1 || !strings.HasPrefix(ps[0].attrs["d"], "M") {
			t.Errorf("variant %s: ROAS path %+v, want one", v, ps)
		}
	}
	if n := len(find(es, "g", map[string]string{"data-ref": "target"})); n != 2 {
		t.Errorf("%d target lines, want one per test (2)", n)
	}

	verdicts := []struct{ test, subject, cp, verdict, class string }{
		{"summer-serum-hooks", "hook-a", "30d", "scale", "latest"},
		{"summer-serum-hooks", "hook-b", "30d", "cut", "latest"},
		{"summer-serum-hooks", "hook-b", "14d", "hold", "older"},
		{"spf-launch", "v1", "14d", "refresh", "latest"},
		{"spf-launch", "v2", "14d", "hold", "latest"},
	}
	for _, v := range verdicts {
		rows := find(es, "tr", map[string]string{"data-test": v.test, "data-subject": v.subject, "data-checkpoint": v.cp})
		badge := fmt.Sprintf(`<span class="badge badge-%s">%s</span>`, v.verdict, v.verdict)
		if len(rows) != 1 || rows[0].attrs["class"] != v.class || !strings.Contains(rows[0].inner, badge) {
			t.Errorf("verdict row %s/%s@%s = %+v, want class %s with %s", v.test, v.subject, v.cp, rows, v.class, badge)
		}
	}

	perms := []struct{ id, class, badge string }{
		{"p1", "expiring", `<span class="badge badge-soon">expiring soon</span>`},
		{"p2", "", `<span class="badge badge-active">active</span>`},
		{"p3", "dead", `<span class="badge badge-revoked">revoked</span>`},
		{"7301", "", `<span class="badge badge-active">active</span>`},
		{"7302", "dead", `<span class="badge badge-expired">expired</span>`},
	}
	if n := len(find(es, "tr", map[string]string{"data-permission": "p9"})); n != 0 {
		t.Errorf("another account's permission p9 is shown")
	}
	for _, p := range perms {
		rows := find(es, "tr", map[string]string{"data-permission": p.id})
		if len(rows) != 1 || rows[0].attrs["class"] != p.class || !strings.Contains(rows[0].inner, p.badge) {
			t.Errorf("permission row %s = %+v, want class %q with %s", p.id, rows, p.class, p.badge)
		}
	}
	if rows := find(es, "tr", map[string]string{"data-job": "tiktok.insights", "data-status": "failed"}); len(rows) != 1 ||
		!strings.Contains(rows[0].inner, "rate limited (code 40100)") {
		t.Errorf("failed job run row = %+v, want it with its error", rows)
	}
	if !strings.Contains(page, `4,000.00<span class="cur">USD</span>`) || !strings.Contains(page, "2.33×") {
		t.Errorf("totals tiles do not show spend 4,000.00 USD and ROAS 2.33×")
	}
	for line, want := range map[string]string{"= net sales": "245.00 USD", "paid-attributed": "220.00 USD",
		"held out, unconverted": "12.00 GBP"} {
		if rows := find(es, "tr", map[string]string{"data-line": line}); len(rows) != 1 || !strings.Contains(rows[0].inner, want) {
			t.Errorf("tie-out line %q = %+v, want %s", line, rows, want)
		}
	}
	if !strings.Contains(page, `action="/logout"`) {
		t.Errorf("footer has no log-out form")
	}
	if !strings.Contains(page, "Figures reconciled through 2026-06-30 at 08:00 EDT.") || !strings.Contains(page, `id="stale" class="error" role="alert" hidden=""`) {
		t.Errorf("the page does not say how current glowco's figures are, or shows a stale banner")
	}

	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("reading screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() < 1000 || r.Dy() < 1000 || len(b) < 20_000 {
		t.Errorf("screenshot %dx%d, %d bytes: want a full page", r.Dx(), r.Dy(), len(b))
	}
	if *saveScreenshot != "" {
		if err := os.WriteFile(*saveScreenshot, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSeriesTotalsTieOut: displayed totals follow the finance report's
// rule (the brand total of each part is its exact sum rounded; creator
// rows are apportioned to add up to it, the odd cent to the first row on
// equal remainders; a variant rounds on its own), while the micros stay
// exact.
func TestSeriesTotalsTieOut(t *testing.T) {
	t.Parallel()
	d := ads.MustDate("2026-06-01")
	cell := func(creator string) ads.KPICell {
		return ads.KPICell{Day: d, TestID: "t", VariantKey: "v-" + creator, Creator: creator, Currency: "USD",
			KPI: ads.KPI{Spend: 1_004_000, PaidRevenue: 3_000_000, FlatFees: 5_000, Commission: 5_000}}
	}
	b := brand{name: "glowco", currency: "USD", loc: time.UTC}
	got := buildSeries(b, ads.DateRange{From: d, To: d}, []ads.KPICell{cell("ann"), cell("bob")})
	tests := []struct {
		name               string
		tot                Totals
		spend, fees        int64
		showSpend, showFee string
		roas               float64
	}{
		// spend 2.008 → 2.01 = 1.01 + 1.00; flat and commission 0.01 each
		// = 0.01 + 0.00.
		{"creator ann", got.Creators[0].Totals, 1_004_000, 10_000, "1.01 USD", "0.02 USD", 2.9703},
		{"creator bob", got.Creators[1].Totals, 1_004_000, 10_000, "1.00 USD", "0.00 USD", 3},
		{"variant t/v-bob", got.Variants[1].Totals, 1_004_000, 10_000, "1.00 USD", "0.02 USD", 3},
		{"brand", got.Totals, 2_008_000, 20_000, "2.01 USD", "0.02 USD", 2.9851},
	}
	for _, tc := range tests {
		if tc.tot.Spend != tc.spend || tc.tot.Fees != tc.fees || tc.tot.Display["spend"] != tc.showSpend ||
			tc.tot.Display["fees"] != tc.showFee || !eqPtr(tc.tot.ROAS, &tc.roas) {
			t.Errorf("%s: spend %d fees %d shown %q %q roas %s; want %d %d %q %q %v", tc.name, tc.tot.Spend, tc.tot.Fees,
				tc.tot.Display["spend"], tc.tot.Display["fees"], show(tc.tot.ROAS), tc.spend, tc.fees, tc.showSpend, tc.showFee, tc.roas)
		}
	}
}

// TestDashboardStaleBanner: the series API says how current each brand's
// figures are, in its zone, and when its latest reconcile failed the page
// gets a banner saying so (with credentials redacted from the error).
func TestDashboardStaleBanner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	seedDashboard(t, db)
	failed := time.Date(2026, 6, 30, 13, 0, 0, 0, time.UTC)
	id, err := db.StartRun(ctx, "reconcile", "brand:lumen", "host-1", 1, failed)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(ctx, id, store.RunFailed, 0, 0, "reading orders: GET https://x.example/?access_token=SECRET-1: timeout", failed); err != nil {
		t.Fatal(err)
	}
	set := dashConfig(t)
	srv := httptest.NewServer(Dashboard(db, func() *configs.Set { return set }, nil).WithClock(func() time.Time { return dashNow }))
	t.Cleanup(srv.Close)
	tests := []struct {
		brand, text string
		stale       bool
	}{
		{"glowco", "reconciled through 2026-06-30 at 08:00 EDT", false},
		{"lumen", "reconciled through 2026-06-30 at 12:00 UTC", true},
	}
	for _, tc := range tests {
		var got SeriesResponse
		if code := getJSON(t, srv.URL+"/dashboard/api/series?brand="+tc.brand, &got); code != 200 {
			t.Fatalf("%s: status %d", tc.brand, code)
		}
		r := got.Reconciled
		if r.Text != tc.text || r.Stale != tc.stale || (r.Warning != "") != tc.stale {
			t.Errorf("%s: reconciled %+v; want text %q stale %v", tc.brand, r, tc.text, tc.stale)
		}
		if tc.brand == "glowco" {
			// Issue 18.3: days after the last final day are marked.
			if r.Provisional != "days from 2026-06-21 are provisional: refunds arrive up to 10 days later (refund_horizon_days)" ||
				!got.Provisional || len(got.ProvisionalDays) != len(got.Days) {
				t.Errorf("glowco: provisional %q (%v, %d days of %d)", r.Provisional, got.Provisional, len(got.ProvisionalDays), len(got.Days))
			}
			for i, d := range got.Days {
				if got.ProvisionalDays[i] != d.After(ads.MustDate("2026-06-20")) {
					t.Errorf("glowco: %s provisional %v", d, got.ProvisionalDays[i])
				}
			}
		} else if r.Provisional != "" || got.Provisional {
			t.Errorf("%s: provisional %q though its reconcile recorded none", tc.brand, r.Provisional)
		}
		if tc.stale && (!strings.Contains(r.Warning, "failed (reading orders") || strings.Contains(r.Warning, "SECRET-1")) {
			t.Errorf("%s: warning %q: want the failure, redacted", tc.brand, r.Warning)
		}
	}
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `id="stale"`) {
		t.Errorf("the page has no stale banner element")
	}
}

// TestDashboardSaysWhyABrandIsNotJudged: the brands API carries the gate's
// reasons per brand (empty for a brand being judged), which the page shows
// as a banner.
func TestDashboardSaysWhyABrandIsNotJudged(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	seedDashboard(t, db)
	set := dashConfig(t)
	gate := func(_ context.Context, brand string) ([]string, error) {
		if brand == "glowco" {
			return []string{"shopify.orders glowco.myshopify.com (failed)"}, nil
		}
		return nil, nil
	}
	srv := httptest.NewServer(Dashboard(db, func() *configs.Set { return set }, nil).WithClock(func() time.Time { return dashNow }).WithGate(gate))
	t.Cleanup(srv.Close)
	var got struct{ Brands []BrandSummary }
	if code := getJSON(t, srv.URL+"/dashboard/api/brands", &got); code != 200 || len(got.Brands) != 2 {
		t.Fatalf("status %d, brands %+v", code, got.Brands)
	}
	if g := got.Brands[0]; len(g.NotJudged) != 1 || !strings.Contains(g.NotJudged[0], "shopify.orders") {
		t.Errorf("glowco not judged = %q, want the failed order sync", g.NotJudged)
	}
	if l := got.Brands[1]; len(l.NotJudged) != 0 {
		t.Errorf("lumen not judged = %q, want none (another brand's failure is not its own)", l.NotJudged)
	}
	page, err := staticFS.ReadFile("static/app.js")
	if err != nil || !strings.Contains(string(page), "not_judged") {
		t.Errorf("the page does not show not_judged (%v)", err)
	}
}
