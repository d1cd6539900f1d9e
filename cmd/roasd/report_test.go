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
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/web"
)

// TestMain runs the package's tests with a throwaway PostgreSQL (stopped at
// the end). If another test file of package main needs one, keep a single
// TestMain.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var reportTmpl = &pgtest.Template{Name: "roasd_" + store.SchemaHash(), Init: store.MigrateDSN}

// reconciledDB returns the DSN of a database holding a reconciled brand:
// one Meta variant (spend 50 USD) and one TikTok variant (spend 100 EUR at
// 1.10), a paid order with a creator code (100), an organic code order
// (40), and a flat fee of 310 over the 31-day test.
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
		Accounts: configs.Accounts{Shopify: &configs.ShopifyAccount{Shop: shop}},
		FXRates:  []configs.FXRate{{From: "EUR", To: "USD", Rate: ads.MustRate("1.10")}},
		Creators: []*configs.Creator{{Handle: "jacqueline", Codes: []string{"JACQ15"}, Fee: configs.Fee{Flat: ads.MustMicros("310")}}},
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
		if err := db.ReplaceVariantAds(ctx, "glowco", p, []store.VariantAd{ad}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := scheduler.ReconcileBrand(ctx, db, b, created, false); err != nil {
		t.Fatal(err)
	}
	return dsn
}

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
	srv := httptest.NewServer(web.ReportHandler(web.DBReports{DB: db}, "tok"))
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
	want := "jacqueline,160.00 USD,100.00 USD,100.00 USD,0.00 USD,0.00 USD,100.00 USD,40.00 USD,140.00 USD,0.63,0.54,-46.15%,2,130.00 USD"
	if !strings.Contains(cli, want) {
		t.Errorf("creator row not as hand-computed:\n%s\nwant a line starting %s", cli, want)
	}
	table, _, code := runCLI(t, dsn, "report", "--from", "2026-06-01", "--to", "2026-06-10")
	if code != 0 || !strings.Contains(table, "TOTAL") || !strings.Contains(table, "glowco  2026-06-01..2026-06-10  by creator  (USD)") {
		t.Errorf("default table output (exit %d):\n%s", code, table)
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
