package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/report"
	"github.com/roasd/roasd/store"
)

// TestMain runs the package's tests against a throwaway PostgreSQL.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const apiToken = "s3cret-report-token"

// seedKPIs stores two days of reconciled cells for brand glowco.
func seedKPIs(t *testing.T, db *store.DB, brands ...string) {
	t.Helper()
	d1, d2 := ads.MustDate("2026-06-01"), ads.MustDate("2026-06-02")
	for _, b := range brands {
		_, err := db.ReplaceReconciled(context.Background(), store.ReconcileWrite{Brand: b, Full: true,
			Daily: []ads.KPICell{
				{Day: d1, TestID: "summer", VariantKey: "hook-a", Creator: "jacqueline", Platform: ads.Meta, Currency: "USD",
					KPI: ads.KPI{Spend: ads.MustMicros("40"), PaidRevenue: ads.MustMicros("120"), PaidOrders: 2, PlatformConversions: 3, Impressions: 1000}},
				{Day: d2, TestID: "summer", Creator: "jacqueline", Currency: "USD", KPI: ads.KPI{FlatFees: ads.MustMicros("10"),
					OrganicRevenue: ads.MustMicros("30"), OrganicOrders: 1, Redemptions: 1}},
			},
			State: store.ReconcileState{Currency: "USD", Fingerprint: "f"}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestReportHandler(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	seedKPIs(t, db, "glowco")
	srv := httptest.NewServer(ReportHandler(report.Service{DB: db}, apiToken))
	t.Cleanup(srv.Close)

	tests := []struct {
		name, query, auth string
		status            int
		contains          []string
	}{
		{"no token", "from=2026-06-01&to=2026-06-30", "", 401, []string{"unauthorized"}},
		{"wrong token", "from=2026-06-01&to=2026-06-30", "Bearer nope", 401, []string{"unauthorized"}},
		{"not a bearer", "from=2026-06-01&to=2026-06-30", apiToken, 401, []string{"unauthorized"}},
		{"missing from", "to=2026-06-30", "Bearer " + apiToken, 400, []string{"from is required"}},
		{"bad date", "from=June&to=2026-06-30", "Bearer " + apiToken, 400, []string{`from: parsing date "June"`}},
		{"reversed range", "from=2026-06-30&to=2026-06-01", "Bearer " + apiToken, 400, []string{"to 2026-06-01 is before from 2026-06-30"}},
		{"bad dimension", "from=2026-06-01&to=2026-06-30&by=colour", "Bearer " + apiToken, 400, []string{`unknown report dimension "colour"`}},
		{"bad format", "from=2026-06-01&to=2026-06-30&format=xml", "Bearer " + apiToken, 400, []string{`format "xml"`}},
		{"unknown brand", "brand=acme&from=2026-06-01&to=2026-06-30", "Bearer " + apiToken, 404, []string{`brand "acme" has not been reconciled`}},
		{"json by creator (the only brand)", "from=2026-06-01&to=2026-06-30", "Bearer " + apiToken, 200,
			[]string{`"brand":"glowco"`, `"creator":"jacqueline","provisional":null,"spend":"40.00 USD","fees":"10.00 USD"`, `"roas":"3.00"`, `"blended_roas":"3.00"`}},
		{"csv by variant", "brand=glowco&from=2026-06-01&to=2026-06-01&by=variant&format=csv", "Bearer " + apiToken, 200,
			[]string{"test,variant,currency,provisional,spend,", "\nsummer,hook-a,USD,,40.00,0.00,", "\nTOTAL,,USD,,40.00,"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/report?"+tc.query, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.status)
			}
			for _, c := range tc.contains {
				if !strings.Contains(string(body), c) {
					t.Errorf("body %s\ndoes not contain %q", body, c)
				}
			}
			if strings.Contains(string(body), apiToken) {
				t.Errorf("response leaks the token: %s", body)
			}
		})
	}
}

func TestReportHandlerEmptyTokenRefusesAll(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	srv := httptest.NewServer(ReportHandler(report.Service{DB: db}, ""))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("GET", srv.URL+"/?from=2026-06-01&to=2026-06-30", nil)
	req.Header.Set("Authorization", "Bearer ")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("status %d with no configured token, want 401", resp.StatusCode)
	}
}

func TestDBReportsBrandChoice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	q, err := report.ParseQuery(report.Params{From: "2026-06-01", To: "2026-06-30"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (report.Service{DB: db}).Report(ctx, q); err == nil || err.Error() != "no brand has been reconciled yet" {
		t.Errorf("empty database: got %v", err)
	}
	seedKPIs(t, db, "glowco", "acme")
	if _, err := (report.Service{DB: db}).Report(ctx, q); err == nil || !strings.Contains(err.Error(), "several brands are reconciled (acme, glowco)") {
		t.Errorf("two brands: got %v", err)
	}
	q.Brand = "acme"
	rep, err := (report.Service{DB: db}).Report(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Brand != "acme" || rep.Currency != "USD" || len(rep.Rows) != 1 || rep.Total.Spend != ads.MustMicros("40") {
		t.Errorf("report %+v", rep)
	}
}
