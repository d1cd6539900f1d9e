package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/report"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/web"
)

// TestMain runs the package's tests with a throwaway PostgreSQL (stopped at
// the end). If another test file of package main needs one, keep a single
// TestMain.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var reportTmpl = storetest.Schema

// reconciledDB returns the DSN of a database holding a reconciled brand:
// one Meta variant (spend 50 USD) and one TikTok variant (spend 100 EUR at
// 1.10), a paid order with a creator code (100), an organic code order
// (40), and a flat fee of 300 over the 30-day test (06-01 … 06-30),
// reconciled at the end of 06-10: fees have accrued through 06-10.
func reconciledDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.DSN(t, reportTmpl)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	shop := "glowco.myshopify.com"
	b := &configs.Brand{Name: "glowco", Currency: "USD", Timezone: "UTC", Location: time.UTC,
		RestatementDays: configs.DefaultRestatementDays, RefundHorizonDays: configs.DefaultRefundHorizonDays,
		Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: shop}}},
		FXRates:  []configs.FXRate{{From: "EUR", To: "USD", Rate: ads.MustRate("1.10")}},
		Creators: []*configs.Creator{{Handle: "jacqueline", Codes: []string{"JACQ15"}, Fee: configs.Fee{Flat: ads.MustMicros("300")}}},
		Tests: []*configs.Test{{ID: "summer", Creator: "jacqueline", Start: ads.MustDate("2026-06-01"), Checkpoints: []int{30},
			Variants: []*configs.Variant{{Key: "hook-a", Platform: ads.Meta, UTM: ads.UTM{Content: "hook-a"}},
				{Key: "hook-b", Platform: ads.TikTok, UTM: ads.UTM{Content: "hook-b"}}}}}}
	created := time.Date(2026, 6, 2, 15, 0, 0, 0, time.UTC)
	order := func(id, net, content string) ads.Order {
		return ads.Order{Shop: shop, ID: "gid://shopify/Order/" + id, Name: "#" + id, CreatedAt: created, UpdatedAt: created,
			Currency: "USD", Gross: ads.MustMicros(net), DiscountCodes: []string{"JACQ15"}, UTM: ads.UTM{Content: content}}
	}
	if _, err := db.UpsertOrders(ctx, []ads.Order{order("1", "100", "hook-a"), order("2", "40", "")}); err != nil {
		t.Fatal(err)
	}
	day := ads.MustDate("2026-06-02")
	if _, err := db.UpsertDayStats(ctx, []ads.DayStat{
		{Platform: ads.Meta, Account: "act_1", AdID: "m1", Day: day, Currency: "USD", Spend: ads.MustMicros("50"), Impressions: 10000, Conversions: 2},
		{Platform: ads.TikTok, Account: "adv", AdID: "k1", Day: day, Currency: "EUR", Spend: ads.MustMicros("100"), Impressions: 20000, Engagements: 400},
	}); err != nil {
		t.Fatal(err)
	}
	for p, ad := range map[ads.Platform]store.VariantAd{ads.Meta: {TestID: "summer", VariantKey: "hook-a", Account: "act_1", AdID: "m1"},
		ads.TikTok: {TestID: "summer", VariantKey: "hook-b", Account: "adv", AdID: "k1"}} {
		if err := db.ReplaceVariantAds(ctx, "glowco", p, "", []store.VariantAd{ad}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := jobs.ReconcileBrand(ctx, db, b, reconciledAt, false); err != nil {
		t.Fatal(err)
	}
	return dsn
}

// reconciledAt is when reconciledDB reconciles.
var reconciledAt = time.Date(2026, 6, 10, 23, 0, 0, 0, time.UTC)

func runCLI(t *testing.T, dsn string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cmdEnv{stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == "DATABASE_URL" {
			return dsn
		}
		return ""
	}}
	code = Main(context.Background(), env, args)
	return out.String(), errb.String(), code
}

func TestReportCLIMatchesAPI(t *testing.T) {
	t.Parallel()
	dsn := reconciledDB(t)
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv := httptest.NewServer(web.ReportHandler(report.Service{DB: db}, "tok"))
	t.Cleanup(srv.Close)
	api := func(query string) string {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/report?"+query, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("api %s: %d %s", query, resp.StatusCode, b)
		}
		return string(b)
	}
	for _, by := range []string{"creator", "test", "variant", "platform", "day"} {
		for _, format := range []string{"csv", "json"} {
			t.Run(by+"/"+format, func(t *testing.T) {
				t.Parallel()
				cli, stderr, code := runCLI(t, dsn, "report", "--from", "2026-06-01", "--to", "2026-06-10", "--by", by, "--format", format)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if got := api("from=2026-06-01&to=2026-06-10&by=" + by + "&format=" + format); got != cli {
					t.Errorf("API and CLI differ:\n--- api\n%s\n--- cli\n%s", got, cli)
				}
			})
		}
	}
	// Hand-computed: spend 50 + 110, fees 10/day × 10, paid 100 (hook-a),
	// organic 40; ROAS 100/160, blended 140/260.
	cli, _, _ := runCLI(t, dsn, "report", "--from", "2026-06-01", "--to", "2026-06-10", "--by", "creator", "--format", "csv")
	want := "jacqueline,USD,true,160.00,100.00,100.00,0.00,0.00,100.00,40.00,140.00,0.63,0.54,-46.15,2,130.00"
	if !strings.Contains(cli, want) {
		t.Errorf("creator row not as hand-computed:\n%s\nwant a line starting %s", cli, want)
	}
	table, _, code := runCLI(t, dsn, "report", "--from", "2026-06-01", "--to", "2026-06-10")
	if code != 0 || !strings.Contains(table, "TOTAL") || !strings.Contains(table, "brand glowco · zone UTC · currency USD · 2026-06-01..2026-06-10 · by creator\nattribution: summer utm-first\nreconciled through 2026-06-10 at 23:00 UTC\n") || !strings.Contains(table, "= net sales") {
		t.Errorf("default table output (exit %d):\n%s", code, table)
	}
	// Run past today: fees accrue to date, so 06-11 … 06-30 carry none.
	past, _, _ := runCLI(t, dsn, "report", "--from", "2026-06-01", "--to", "2026-06-30", "--by", "day", "--format", "csv")
	if !strings.Contains(past, "TOTAL,USD,true,160.00,100.00,100.00,") || strings.Contains(past, "2026-06-11") {
		t.Errorf("report past today books future fees:\n%s", past)
	}
}

// TestReportSaysWhenStale: after a failed reconcile every report says its
// figures are stale (stderr warning, JSON field, API header), exit 0.
func TestReportSaysWhenStale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := reconciledDB(t)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	args := []string{"report", "--from", "2026-06-01", "--to", "2026-06-10", "--format", "csv"}
	_, stderr, code := runCLI(t, dsn, args...)
	if code != 0 || stderr != "roasd report: glowco: reconciled through 2026-06-10 at 23:00 UTC\n"+
		"roasd report: glowco: days from 2026-04-11 are provisional: refunds arrive up to 60 days later (refund_horizon_days); pulls re-read 7 days (restatement_days)\n" {
		t.Errorf("before a failure: exit %d, stderr %q", code, stderr)
	}
	failedAt := reconciledAt.Add(time.Hour)
	id, err := db.StartRun(ctx, jobs.StageReconcile, "brand:glowco", "r1", 1, failedAt)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(ctx, id, store.RunFailed, 0, 0, "reconciling brand glowco: no GBP→USD rate configured for 2026-06-11", failedAt); err != nil {
		t.Fatal(err)
	}
	warning := "the latest reconcile, at 2026-06-11 at 00:00 UTC, failed (reconciling brand glowco: no GBP→USD rate configured for 2026-06-11): " +
		"these figures are stale, reconciled through 2026-06-10 at 23:00 UTC"
	_, stderr, code = runCLI(t, dsn, args...)
	if code != 0 || !strings.Contains(stderr, "roasd report: warning: glowco: "+warning+"\n") {
		t.Errorf("after a failure: exit %d, stderr %q", code, stderr)
	}
	js, _, _ := runCLI(t, dsn, "report", "--from", "2026-06-01", "--to", "2026-06-10", "--format", "json")
	if !strings.Contains(js, `"stale":true,"failed_at":"2026-06-11T00:00:00Z","warning":`) {
		t.Errorf("json does not say the figures are stale:\n%s", js)
	}
	srv := httptest.NewServer(web.ReportHandler(report.Service{DB: db}, "tok"))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/report?from=2026-06-01&to=2026-06-10&format=csv", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Roasd-Stale"); got != warning {
		t.Errorf("X-Roasd-Stale %q, want %q", got, warning)
	}
	// A good reconcile after the failure clears it.
	id, err = db.StartRun(ctx, jobs.StageReconcile, "brand:glowco", "r1", 1, failedAt.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(ctx, id, store.RunOK, 0, 0, "", failedAt.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, stderr, _ = runCLI(t, dsn, args...); strings.Contains(stderr, "warning") {
		t.Errorf("after a good reconcile: stderr %q", stderr)
	}
}

func TestReportCLIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		dsn    string
		args   []string
		code   int
		stderr string
	}{
		{"missing from", "postgres://x", []string{"report", "--to", "2026-06-01"}, 2, "from is required"},
		{"bad by", "postgres://x", []string{"report", "--from", "2026-06-01", "--to", "2026-06-02", "--by", "colour"}, 2, `unknown report dimension "colour"`},
		{"bad format", "postgres://x", []string{"report", "--from", "2026-06-01", "--to", "2026-06-02", "--format", "xml"}, 2, `--format "xml"`},
		{"no database", "", []string{"report", "--from", "2026-06-01", "--to", "2026-06-02"}, 1, "DATABASE_URL is not set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := runCLI(t, tc.dsn, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
}

// TestReportDefaultRange (issue 18 item 5): `roasd report` without dates
// is the month to date in the brand's zone on the jobs' clock
// (ROASD_NOW); --month and --last choose other ranges; the API answers the
// same for the same parameters; the header says which range it is.
func TestReportDefaultRange(t *testing.T) {
	t.Parallel()
	dsn := reconciledDB(t)
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const pinned = "2026-06-10T15:00:00Z"
	now := func() time.Time { return time.Now().Add(time.Until(mustTime(t, pinned))) }
	srv := httptest.NewServer(web.ReportHandler(report.Service{DB: db, Now: now}, "tok"))
	t.Cleanup(srv.Close)
	cli := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		env := &cmdEnv{stdout: &out, stderr: &errb, getenv: func(k string) string {
			switch k {
			case "DATABASE_URL":
				return dsn
			case "ROASD_NOW":
				return pinned
			}
			return ""
		}}
		if code := Main(context.Background(), env, append([]string{"report"}, args...)); code != 0 {
			t.Fatalf("report %q: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	for _, c := range []struct {
		args  []string
		query string
		head  string
	}{
		{nil, "", `"from":"2026-06-01","to":"2026-06-10","by":"creator","timezone":"UTC","range":"month to date"`},
		{[]string{"--month", "2026-05"}, "month=2026-05", `"from":"2026-05-01","to":"2026-05-31","by":"creator","timezone":"UTC","range":"month 2026-05"`},
		{[]string{"--last", "7d"}, "last=7d", `"from":"2026-06-04","to":"2026-06-10","by":"creator","timezone":"UTC","range":"last 7 days"`},
	} {
		got := cli(append(c.args, "--format", "json")...)
		if !strings.Contains(got, c.head) {
			t.Errorf("report %q: want %s in\n%s", c.args, c.head, got)
		}
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/report?"+c.query, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != got {
			t.Errorf("API ?%s and CLI %q differ:\n--- api\n%s\n--- cli\n%s", c.query, c.args, b, got)
		}
	}
	if table := cli(); !strings.Contains(table, "brand glowco · zone UTC · currency USD · 2026-06-01..2026-06-10 (month to date) · by creator\n") {
		t.Errorf("table header:\n%s", table)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
