package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/report"
	"github.com/roasd/roasd/store"
)

// TestBIViewsAsReadOnlyRole (issue 18 item 7): a login granted roasd_bi
// reads the bi views, which tie to the report by creator, test and variant
// (a closed month from its snapshot, as the report), mark provisional days
// and list ledger rows with their rule; every write, and every read of the
// tables behind the views, is refused.
func TestBIViewsAsReadOnlyRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	m := ads.MustMicros
	d1, d2, d3 := ads.MustDate("2026-06-30"), ads.MustDate("2026-07-01"), ads.MustDate("2026-07-02")
	cells := []ads.KPICell{
		{Day: d1, TestID: "summer", VariantKey: "hook-a", Creator: "jacqueline", Platform: ads.Meta, Currency: "USD",
			KPI: ads.KPI{Spend: m("40.004"), PaidRevenue: m("120"), PaidOrders: 2, PlatformConversions: 3, Impressions: 1000}},
		{Day: d2, TestID: "summer", Creator: "jacqueline", Currency: "USD", KPI: ads.KPI{FlatFees: m("10.0033"), OrganicRevenue: m("30"), OrganicOrders: 1}},
		{Day: d3, TestID: "summer", VariantKey: "hook-b", Creator: "jacqueline", Platform: ads.TikTok, Currency: "USD", KPI: ads.KPI{Spend: m("7.5")}},
		{Day: d3, TestID: reconcile.Unattributed, Creator: reconcile.Unattributed, Currency: "USD", KPI: ads.KPI{OrganicRevenue: m("9.99"), OrganicOrders: 1}},
	}
	ledger := []ads.LedgerLine{
		{Source: "order", SourceID: "o1", Day: d1, TestID: "summer", VariantKey: "hook-a", Creator: "jacqueline", Platform: ads.Meta,
			Channel: "paid", Rule: "utm_content", Policy: "utm-first", Currency: "USD", Revenue: m("120"), OrigCurrency: "USD", OrigRevenue: m("120"), Counted: true},
		{Source: "order", SourceID: "o2", Day: d3, Creator: "", Channel: "unattributed", Rule: "none", Policy: "utm-first",
			Currency: "USD", Revenue: m("9.99"), OrigCurrency: "USD", OrigRevenue: m("9.99"), Counted: true},
	}
	st := store.ReconcileState{Currency: "USD", Timezone: "America/New_York", Fingerprint: "f", Watermark: time.Now(),
		ReconciledAt: time.Date(2026, 7, 2, 16, 0, 0, 0, time.UTC), FinalThrough: d1, ProvisionalWhy: "refunds"}
	for _, b := range []string{"glowco", "lunaskin"} {
		if _, err := db.ReplaceReconciled(ctx, store.ReconcileWrite{Brand: b, Full: true, Daily: cells, Ledger: ledger, State: st}); err != nil {
			t.Fatal(err)
		}
	}
	// glowco closes June, then its June day changes (spend restated).
	if _, err := report.CloseMonth(ctx, db, "glowco", ads.MustDate("2026-06-01"), time.Date(2026, 7, 2, 17, 0, 0, 0, time.UTC), "test"); err != nil {
		t.Fatal(err)
	}
	restated := cells[0]
	restated.Spend = m("55")
	if _, err := db.ReplaceReconciled(ctx, store.ReconcileWrite{Brand: "glowco", Days: []ads.Date{d1}, Daily: []ads.KPICell{restated},
		Ledger: ledger[:1], State: st}); err != nil {
		t.Fatal(err)
	}

	// The migration runs again where the role exists (another database of
	// the cluster made it, or an earlier run), changing nothing.
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, mig := range ms {
		if mig.Version == 26 {
			if _, err := db.SQL().ExecContext(ctx, mig.SQL); err != nil {
				t.Fatalf("%s again: %v", mig.Name, err)
			}
		}
	}

	// A login an operator made, granted roasd_bi; the test connection
	// becomes it (roles are cluster-wide: a name of this database's own).
	var dbname string
	if err := db.SQL().GetContext(ctx, &dbname, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	login := "bi_" + strings.ReplaceAll(dbname, "-", "_")
	if _, err := db.SQL().ExecContext(ctx, fmt.Sprintf(`CREATE ROLE %s LOGIN IN ROLE roasd_bi`, login)); err != nil {
		t.Fatal(err)
	}
	conn, err := db.SQL().Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.ExecContext(context.WithoutCancel(ctx), `RESET ROLE`)
		conn.Close()
	})
	if _, err := conn.ExecContext(ctx, `SET ROLE `+login); err != nil {
		t.Fatal(err)
	}

	reports := report.Service{DB: db}
	for _, tc := range []struct {
		by, view, key string
	}{
		{reconcile.ByCreator, "bi.daily_creator_kpis", "creator"},
		{reconcile.ByTest, "bi.daily_test_kpis", "test_id"},
		{reconcile.ByVariant, "bi.daily_variant_kpis", "test_id || '/' || variant_key"},
	} {
		for _, brand := range []string{"glowco", "lunaskin"} {
			rep, err := reports.Report(ctx, report.Query{Brand: brand, From: d1, To: d3, By: tc.by})
			if err != nil {
				t.Fatal(err)
			}
			var rows []struct {
				Key         string `db:"key"`
				Spend       int64  `db:"spend_micros"`
				Fees        int64  `db:"fees_micros"`
				Paid        int64  `db:"paid_revenue_micros"`
				Provisional bool   `db:"provisional"`
			}
			if err := conn.SelectContext(ctx, &rows, `SELECT `+tc.key+` AS key, sum(spend_micros)::bigint AS spend_micros,
				sum(fees_micros)::bigint AS fees_micros, sum(paid_revenue_micros)::bigint AS paid_revenue_micros, bool_or(provisional) AS provisional
				FROM `+tc.view+` WHERE brand = $1 AND day BETWEEN $2 AND $3 GROUP BY 1 ORDER BY 1`, brand, d1, d3); err != nil {
				t.Fatalf("%s as %s: %v", tc.view, login, err)
			}
			got := map[string][3]int64{}
			for _, r := range rows {
				got[r.Key] = [3]int64{r.Spend, r.Fees, r.Paid}
			}
			want := map[string][3]int64{}
			for _, r := range rep.Rows {
				if tc.by == reconcile.ByVariant && (r.Key[1] == "" || r.Key[1] == reconcile.Unattributed) {
					continue // organic, fee and unclaimed-order cells: no variant
				}
				want[strings.Join(r.Key, "/")] = [3]int64{r.Spend, r.Fees(), r.PaidRevenue}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s of %s: view %v, report %v", tc.view, brand, got, want)
			}
		}
	}
	// glowco's closed June day reads its snapshot (40.004, not 55), and is
	// not provisional; July's days after final_through are.
	var marks []struct {
		Day         ads.Date `db:"day"`
		Spend       int64    `db:"spend_micros"`
		Closed      bool     `db:"closed"`
		Provisional bool     `db:"provisional"`
	}
	if err := conn.SelectContext(ctx, &marks, `SELECT day, spend_micros, closed, provisional FROM bi.daily_creator_kpis
		WHERE brand = 'glowco' AND creator = 'jacqueline' ORDER BY day`); err != nil {
		t.Fatal(err)
	}
	if len(marks) != 3 || marks[0].Spend != m("40.004") || !marks[0].Closed || marks[0].Provisional || marks[1].Closed || !marks[1].Provisional {
		t.Errorf("glowco's days: %+v", marks)
	}
	var rules []string
	if err := conn.SelectContext(ctx, &rules, `SELECT source_id || ' ' || channel || ' ' || rule || ' ' || revenue::text FROM bi.ledger
		WHERE brand = 'lunaskin' ORDER BY source_id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(rules, "; ") != "o1 paid utm_content 120.000000; o2 unattributed none 9.990000" {
		t.Errorf("bi.ledger of lunaskin: %q", rules)
	}
	// Writes and the tables behind the views are refused.
	for _, q := range []string{
		`INSERT INTO bi.ledger (brand, source, source_id) VALUES ('x', 'order', 'y')`,
		`UPDATE bi.kpi_cells SET spend_micros = 0`,
		`DELETE FROM bi.month_closes`,
		`DELETE FROM ledger`,
		`SELECT count(*) FROM kpi_daily`,
		`CREATE TABLE bi.mine (x int)`,
		`CREATE TABLE public.mine (x int)`,
		`DROP VIEW bi.ledger`,
	} {
		_, err := conn.ExecContext(ctx, q)
		otherError := err != nil
		for _, why := range []string{"permission denied", "must be owner", "cannot insert into view", "cannot update view"} {
			otherError = otherError && !strings.Contains(err.Error(), why)
		}
		if err == nil || otherError {
			t.Errorf("%s as %s: %v, want it refused (permission denied, or a view that takes no writes)", q, login, err)
		}
	}
}
