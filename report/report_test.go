package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/reconcile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixtureDaily has sub-cent amounts (FX conversions, commission and
// amortized fees produce them) so rounding and tie-out are exercised.
func fixtureDaily() []ads.KPICell {
	d1, d2 := ads.MustDate("2026-06-01"), ads.MustDate("2026-06-02")
	mic := ads.MustMicros
	return []ads.KPICell{
		{Day: d1, TestID: "summer", VariantKey: "hook-a", Creator: "jacqueline", Platform: ads.Meta, Currency: "USD",
			KPI: ads.KPI{Spend: mic("50.004"), PaidRevenue: mic("100.005"), Commission: mic("10.0005"),
				PaidOrders: 2, Redemptions: 1, PlatformConversions: 3, PlatformValue: mic("150"), Impressions: 10000, Engagements: 200, Clicks: 90}},
		{Day: d2, TestID: "summer", VariantKey: "hook-b", Creator: "jacqueline", Platform: ads.TikTok, Currency: "USD",
			KPI: ads.KPI{Spend: mic("110.005"), PaidRevenue: mic("60"), Commission: mic("6"),
				PaidOrders: 1, PlatformConversions: 2, PlatformValue: mic("88"), Impressions: 20000, Views: 8000, Engagements: 500}},
		{Day: d1, TestID: "summer", Creator: "jacqueline", Currency: "USD",
			KPI: ads.KPI{FlatFees: mic("10.003225"), OrganicRevenue: mic("40.004"), Commission: mic("4.0004"),
				OrganicOrders: 1, Redemptions: 1}},
		{Day: d2, TestID: "summer", Creator: "jacqueline", Currency: "USD",
			KPI: ads.KPI{FlatFees: mic("10.003225"), Bonuses: mic("50")}},
		{Day: d1, TestID: "milo-launch", Creator: "milo", Currency: "USD",
			KPI: ads.KPI{FlatFees: mic("10"), OrganicRevenue: mic("30.005"), Commission: mic("6.001"),
				OrganicOrders: 1, Redemptions: 1}},
		{Day: d1, TestID: "milo-launch", VariantKey: "milo-a", Creator: "milo", Platform: ads.Meta, Currency: "USD",
			KPI: ads.KPI{Spend: mic("20"), PlatformConversions: 1, Impressions: 5000}},
	}
}

func fixtureReport(t *testing.T, by string) reconcile.Report {
	t.Helper()
	rep, err := reconcile.Summarize("glowco", "USD", ads.MustDate("2026-06-01"), ads.MustDate("2026-06-30"), by, fixtureDaily())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestWriteGolden(t *testing.T) {
	t.Parallel()
	tests := []struct{ by, format, file string }{
		{reconcile.ByCreator, FormatCSV, "by_creator.csv"},
		{reconcile.ByTest, FormatCSV, "by_test.csv"},
		{reconcile.ByVariant, FormatCSV, "by_variant.csv"},
		{reconcile.ByPlatform, FormatCSV, "by_platform.csv"},
		{reconcile.ByDay, FormatCSV, "by_day.csv"},
		{reconcile.ByCreator, FormatJSON, "by_creator.json"},
		{reconcile.ByVariant, FormatTable, "by_variant.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Write(&buf, tc.format, fixtureReport(t, tc.by)); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, buf.Bytes())
		})
	}
}

// TestTotalsTieOut sums every money and count column of the CSV rows and
// compares with the totals row, for every dimension.
func TestTotalsTieOut(t *testing.T) {
	t.Parallel()
	additive := map[string]bool{"spend": true, "fees": true, "flat_fees": true, "commission": true, "bonuses": true,
		"paid_revenue": true, "organic_revenue": true, "revenue": true, "orders": true, "engagements": true,
		"impressions": true, "views": true, "clicks": true, "redemptions": true, "store_orders": true,
		"organic_orders": true, "platform_conversions": true, "platform_value": true}
	for _, by := range reconcile.Dimensions {
		t.Run(by, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Write(&buf, FormatCSV, fixtureReport(t, by)); err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			header, rows, total := recs[0], recs[1:len(recs)-1], recs[len(recs)-1]
			if total[0] != TotalLabel {
				t.Fatalf("last row %q is not the totals row", total)
			}
			// A spreadsheet reads every metric cell as a number (a ratio
			// over zero is an empty cell), the currency beside them.
			keys := len(header) - len(CSVColumns())
			for _, r := range recs[1:] {
				if r[keys] != "USD" {
					t.Errorf("row %q: currency %q, want USD", r, r[keys])
				}
				if header[keys+1] != ProvisionalColumn || r[keys+1] != "" {
					t.Errorf("row %q: %s %q, want the empty provisional mark (unknown)", r, header[keys+1], r[keys+1])
				}
				for i, v := range r[keys+2:] {
					if _, err := strconv.ParseFloat(v, 64); err != nil && v != "" {
						t.Errorf("row %q: %s %q is not a number", r[:keys], header[keys+2+i], v)
					}
				}
			}
			checked := 0
			for i, name := range header {
				if !additive[name] {
					continue
				}
				checked++
				var sum int64
				for _, r := range rows {
					sum += parseCell(t, r[i])
				}
				if got := parseCell(t, total[i]); got != sum {
					t.Errorf("%s: rows sum to %s, totals row says %s", name, ads.FormatMicros(sum, 2), total[i])
				}
			}
			if checked != len(additive) {
				t.Errorf("checked %d additive columns, want %d (header %q)", checked, len(additive), header)
			}
		})
	}
}

func parseCell(t *testing.T, s string) int64 {
	t.Helper()
	v, err := ads.ParseMicros(s)
	if err != nil {
		t.Fatalf("cell %q: %v", s, err)
	}
	return v
}

func TestRatios(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    ads.KPI
		col  string
		want string
	}{
		{"roas", ads.KPI{Spend: 3_000_000, PaidRevenue: 10_000_000}, "roas", "3.33"},
		{"roas rounds half away from zero", ads.KPI{Spend: 8_000_000, PaidRevenue: 1_000_000}, "roas", "0.13"},
		{"roas without spend", ads.KPI{PaidRevenue: 10_000_000}, "roas", "n/a"},
		{"blended roas counts fees", ads.KPI{Spend: 50_000_000, FlatFees: 50_000_000, PaidRevenue: 100_000_000, OrganicRevenue: 50_000_000}, "blended_roas", "1.50"},
		{"negative roi", ads.KPI{Spend: 200_000_000, PaidRevenue: 150_000_000}, "roi", "-25.00%"},
		{"cpa", ads.KPI{Spend: 100_000_000, PaidOrders: 2, OrganicOrders: 1}, "cpa", "33.33 USD"},
		{"cpa without orders", ads.KPI{Spend: 100_000_000}, "cpa", "n/a"},
		{"cpe", ads.KPI{Spend: 10_000_000, Engagements: 400}, "cpe", "0.03 USD"},
		{"redemption rate", ads.KPI{Redemptions: 3, Impressions: 35000}, "redemption_rate", "0.0086%"},
		{"redemption rate over views", ads.KPI{Redemptions: 2, Views: 1000}, "redemption_rate", "0.2000%"},
		{"confirmed ratio", ads.KPI{PaidOrders: 5, PlatformConversions: 7}, "confirmed_ratio", "0.71"},
	}
	idx := map[string]int{}
	for i, c := range Columns() {
		idx[c] = i
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cells := cellsOf(shown{KPI: Rounded(tc.m, "USD")}, "USD")
			if got := cells[idx[tc.col]].text; got != tc.want {
				t.Errorf("%s of %+v = %s, want %s", tc.col, tc.m, got, tc.want)
			}
		})
	}
}

func TestWriteJSONShape(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, fixtureReport(t, reconcile.ByPlatform)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Brand, Currency, From, To, By string
		Rows                          []map[string]any
		Total                         map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Brand != "glowco" || got.From != "2026-06-01" || len(got.Rows) != 3 || got.Rows[2]["platform"] != None {
		t.Errorf("unexpected report %+v", got)
	}
	if got.Rows[2]["roas"] != nil {
		t.Errorf("roas of a row without spend = %v, want null", got.Rows[2]["roas"])
	}
	if got.Total["spend"] != "180.01 USD" {
		t.Errorf("total spend %v, want 180.01 USD", got.Total["spend"])
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	t.Parallel()
	err := Write(&bytes.Buffer{}, "xml", fixtureReport(t, reconcile.ByCreator))
	if err == nil || !strings.Contains(err.Error(), `unknown report format "xml"`) {
		t.Errorf("got %v", err)
	}
}

// TestTotalSameInEveryDimension: the TOTAL row is computed from the exact
// amounts, so it reads the same by creator, test, variant, platform and
// day (the fixture's flat fees, 30.00645, would otherwise total 30.00 by
// day and 30.01 by creator).
func TestTotalSameInEveryDimension(t *testing.T) {
	t.Parallel()
	var first []string
	for _, by := range reconcile.Dimensions {
		var buf bytes.Buffer
		if err := Write(&buf, FormatCSV, fixtureReport(t, by)); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		header, total := recs[0], recs[len(recs)-1]
		keys := len(header) - len(CSVColumns())
		got := total[keys:]
		if first == nil {
			first = got
			i := slices.Index(header, "flat_fees")
			if i < 0 || total[i] != "30.01" {
				t.Errorf("flat fees total %q (column %d of %q), want 30.01", total[max(i, 0)], i, header)
			}
			continue
		}
		if strings.Join(got, ",") != strings.Join(first, ",") {
			t.Errorf("TOTAL by %s:\n%q\ndiffers from TOTAL by %s:\n%q", by, got, reconcile.Dimensions[0], first)
		}
	}
}

// TestReconciledStamp: every format but CSV says how current the figures
// are, and a failed latest reconcile is a warning in the table and a field
// in JSON.
func TestReconciledStamp(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 19, 14, 5, 0, 0, ny)
	tests := []struct {
		name      string
		f         reconcile.Freshness
		table     []string
		json      string
		notInJSON string
	}{
		{"current", reconcile.Freshness{At: at},
			[]string{"reconciled through 2026-11-19 at 14:05 EST\n"},
			`"reconciled":{"at":"2026-11-19T14:05:00-05:00","text":"reconciled through 2026-11-19 at 14:05 EST","stale":false}`, "WARNING"},
		{"latest failed", reconcile.Freshness{At: at, FailedAt: at.Add(19 * time.Hour), Failure: "no GBP→USD rate configured for 2026-11-20"},
			[]string{"reconciled through 2026-11-19 at 14:05 EST\n", "WARNING: the latest reconcile, at 2026-11-20 at 09:05 EST, failed " +
				"(no GBP→USD rate configured for 2026-11-20): these figures are stale, reconciled through 2026-11-19 at 14:05 EST\n"},
			`"stale":true,"failed_at":"2026-11-20T09:05:00-05:00","warning":"the latest reconcile, at 2026-11-20 at 09:05 EST, failed`, ""},
		{"unknown", reconcile.Freshness{}, nil, `"by":"creator","rows"`, "reconciled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := fixtureReport(t, reconcile.ByCreator)
			rep.Reconciled = tc.f
			var table, js, csvOut bytes.Buffer
			for _, w := range []struct {
				format string
				buf    *bytes.Buffer
			}{{FormatTable, &table}, {FormatJSON, &js}, {FormatCSV, &csvOut}} {
				if err := Write(w.buf, w.format, rep); err != nil {
					t.Fatal(err)
				}
			}
			for _, want := range tc.table {
				if !strings.Contains(table.String(), want) {
					t.Errorf("table lacks %q:\n%s", want, table.String())
				}
			}
			if !strings.Contains(js.String(), tc.json) || (tc.notInJSON != "" && strings.Contains(js.String(), tc.notInJSON)) {
				t.Errorf("json:\n%s\nwant it to contain %q and not %q", js.String(), tc.json, tc.notInJSON)
			}
			var plain bytes.Buffer
			if err := Write(&plain, FormatCSV, fixtureReport(t, reconcile.ByCreator)); err != nil {
				t.Fatal(err)
			}
			if csvOut.String() != plain.String() {
				t.Errorf("csv changed with the stamp:\n%s", csvOut.String())
			}
		})
	}
}

// TestMoneyInMinorUnits: a JPY and a KWD brand's report shows money to
// the currency's minor unit on every format: grouped in the table (as in
// Slack and on the dashboard), plain in CSV, with the code in JSON.
func TestMoneyInMinorUnits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cur, table, csv, json string
	}{
		{"JPY", "1,235 JPY", "1235", "1235 JPY"},
		{"KWD", "1,234.568 KWD", "1234.568", "1234.568 KWD"},
	} {
		t.Run(tc.cur, func(t *testing.T) {
			t.Parallel()
			rows := []ads.KPICell{{Day: ads.MustDate("2026-06-01"), TestID: "t", VariantKey: "v", Creator: "ava", Platform: ads.Meta,
				Currency: tc.cur, KPI: ads.KPI{Spend: ads.MustMicros("1234.5675"), PaidOrders: 1}}}
			if tc.cur == "JPY" {
				rows[0].Spend = ads.MustMicros("1234.5")
			}
			rep, err := reconcile.Summarize("b", tc.cur, ads.MustDate("2026-06-01"), ads.MustDate("2026-06-01"), reconcile.ByCreator, rows)
			if err != nil {
				t.Fatal(err)
			}
			for format, want := range map[string]string{FormatTable: tc.table, FormatCSV: "," + tc.csv + ",", FormatJSON: `"spend":"` + tc.json + `"`} {
				var buf bytes.Buffer
				if err := Write(&buf, format, rep); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(buf.String(), want) {
					t.Errorf("%s lacks %q:\n%s", format, want, buf.String())
				}
			}
		})
	}
}

// TestUnattributedRows (issue 18, 0c): what no creator claims — an
// untagged ad's spend and orders nobody claims — is a row of its own in
// every view but by day (and the untagged spend stays on its platform), a
// spreadsheet sum of each money column ties to TOTAL, and TOTAL is the
// same, to the cent, in every dimension.
func TestUnattributedRows(t *testing.T) {
	t.Parallel()
	d1, d2 := ads.MustDate("2026-06-01"), ads.MustDate("2026-06-02")
	daily := append(fixtureDaily(),
		ads.KPICell{Day: d1, TestID: reconcile.Unattributed, Creator: reconcile.Unattributed, Platform: ads.Meta, Currency: "USD",
			KPI: ads.KPI{Spend: ads.MustMicros("33.333"), Impressions: 700}},
		ads.KPICell{Day: d2, TestID: reconcile.Unattributed, Creator: reconcile.Unattributed, Currency: "USD",
			KPI: ads.KPI{OrganicRevenue: ads.MustMicros("12.345"), OrganicOrders: 1}},
	)
	want := map[string][]string{
		reconcile.ByCreator:  {"(unattributed)", "33.33", "12.34"},
		reconcile.ByTest:     {"(unattributed)", "33.33", "12.34"},
		reconcile.ByVariant:  {"(unattributed)", "33.33", "12.34"},
		reconcile.ByPlatform: {"(unattributed)", "0.00", "12.34"},
	}
	var first []string
	for _, by := range reconcile.Dimensions {
		rep, err := reconcile.Summarize("glowco", "USD", d1, d2, by, daily)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, FormatCSV, rep); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		header, total := recs[0], recs[len(recs)-1]
		keys := len(header) - len(CSVColumns())
		col := map[string]int{}
		for i, h := range header {
			col[h] = i
		}
		for _, name := range []string{"spend", "paid_revenue", "organic_revenue", "flat_fees", "commission", "bonuses"} {
			var sum int64
			for _, r := range recs[1 : len(recs)-1] {
				sum += ads.MustMicros(r[col[name]])
			}
			if got := ads.MustMicros(total[col[name]]); sum != got {
				t.Errorf("by %s: %s rows sum to %s, TOTAL %s", by, name, ads.FormatMicros(sum, 2), total[col[name]])
			}
		}
		if w, ok := want[by]; ok {
			var row []string
			for _, r := range recs[1:] {
				if r[0] == reconcile.Unattributed {
					row = r
				}
			}
			if row == nil || row[keys-1] != w[0] || row[col["spend"]] != w[1] || row[col["organic_revenue"]] != w[2] ||
				row[col["creators"]] != "0" {
				t.Errorf("by %s: unattributed row %q, want key %s, spend %s, organic revenue %s, no creators", by, row, w[0], w[1], w[2])
			}
		}
		if by == reconcile.ByPlatform && recs[1][0] != "meta" || by == reconcile.ByPlatform && recs[1][col["spend"]] != "103.34" {
			t.Errorf("by platform: first row %q, want meta with the untagged spend (103.34)", recs[1])
		}
		got := total[keys:]
		if first == nil {
			first = got
			continue
		}
		if strings.Join(got, ",") != strings.Join(first, ",") {
			t.Errorf("TOTAL by %s:\n%q\ndiffers from TOTAL by %s:\n%q", by, got, reconcile.Dimensions[0], first)
		}
	}
}

// TestProvisionalInEveryFormat: a day after the last final day, and every
// total including it, is marked provisional in CSV (a column), JSON (a
// field per row and the total, and the report's final_through) and the
// table (a column and a header line).
func TestProvisionalInEveryFormat(t *testing.T) {
	t.Parallel()
	rep := fixtureReport(t, reconcile.ByDay)
	rep.MarkProvisional(reconcile.Finality{FinalThrough: ads.MustDate("2026-06-01"), Why: "refunds arrive up to 60 days later (refund_horizon_days)"}, nil)
	write := func(format string) []byte {
		var buf bytes.Buffer
		if err := Write(&buf, format, rep); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	recs, err := csv.NewReader(bytes.NewReader(write(FormatCSV))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(recs[0], ProvisionalColumn)
	want := map[string]string{"2026-06-01": "false", "2026-06-02": "true", TotalLabel: "true"}
	for _, r := range recs[1:] {
		if r[col] != want[r[0]] {
			t.Errorf("CSV %s: provisional %q, want %q", r[0], r[col], want[r[0]])
		}
	}
	var doc struct {
		Provisional struct {
			FinalThrough string `json:"final_through"`
			Text         string `json:"text"`
		} `json:"provisional"`
		Rows []struct {
			Day         string `json:"day"`
			Provisional *bool  `json:"provisional"`
		} `json:"rows"`
		Total struct {
			Provisional *bool `json:"provisional"`
		} `json:"total"`
	}
	if err := json.Unmarshal(write(FormatJSON), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Provisional.FinalThrough != "2026-06-01" || !strings.Contains(doc.Provisional.Text, "days from 2026-06-02 are provisional: refunds") {
		t.Errorf("JSON provisional = %+v", doc.Provisional)
	}
	for _, r := range doc.Rows {
		if r.Provisional == nil || strconv.FormatBool(*r.Provisional) != want[r.Day] {
			t.Errorf("JSON %s: provisional %v, want %s", r.Day, r.Provisional, want[r.Day])
		}
	}
	if doc.Total.Provisional == nil || !*doc.Total.Provisional {
		t.Errorf("JSON total provisional %v, want true", doc.Total.Provisional)
	}
	table := string(write(FormatTable))
	if !strings.Contains(table, "days from 2026-06-02 are provisional: refunds arrive up to 60 days later") {
		t.Errorf("table has no provisional line:\n%s", table)
	}
	for _, l := range strings.Split(table, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if w, ok := map[string]string{"2026-06-01": "no", "2026-06-02": "yes", TotalLabel: "yes", "day": ProvisionalColumn}[f[0]]; ok && f[len(f)-1] != w {
			t.Errorf("table line %q ends in %q, want %q", l, f[len(f)-1], w)
		}
	}
}

// TestTieOutGolden renders the header (brand, zone, currency, range,
// attribution per test) and the tie-out block (issue 18 items 2, 5, 6) in
// the table and JSON: sub-cent sales are rounded so each group of lines
// adds up, link conversions of no store order bridge net sales to the
// report's revenue, an unconverted order is shown in its own currency and
// the platforms' reported value beside it.
func TestTieOutGolden(t *testing.T) {
	t.Parallel()
	mic := ads.MustMicros
	d1, d2 := ads.MustDate("2026-06-01"), ads.MustDate("2026-06-02")
	days := []ads.SalesDay{
		{Day: d1, Currency: "USD", Orders: 3, Sale: ads.Sale{Gross: mic("190.5045"), Discounts: mic("10.25"),
			Refunds: mic("20.2505"), Cancellations: mic("20"), Net: mic("140.004")}, Paid: mic("100.005"), Organic: mic("39.999")},
		{Day: d2, Currency: "USD", Orders: 2, Sale: ads.Sale{Gross: mic("100.0045"), Discounts: mic("10.25"),
			Refunds: mic("29.7495"), Net: mic("60.005")}, Paid: mic("60"), Organic: mic("0.005")},
	}
	for _, tc := range []struct{ format, file string }{{FormatTable, "tieout.txt"}, {FormatJSON, "tieout.json"}} {
		rep := fixtureReport(t, reconcile.ByCreator)
		rep.Timezone, rep.Range = "America/New_York", "month to date"
		rep.Policies = []ads.TestPolicy{{TestID: "summer", Policy: "utm-first"}, {TestID: "milo-launch", Policy: "code-first"}}
		to := reconcile.TieOutOf("USD", rep.From, rep.To, days, fixtureDaily(),
			[]reconcile.Unconverted{{Currency: "GBP", Orders: 1, Net: mic("120"), First: ads.MustDate("2026-06-14"), Last: ads.MustDate("2026-06-14")}})
		rep.TieOut = &to
		var buf bytes.Buffer
		if err := Write(&buf, tc.format, rep); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.file, buf.Bytes())
	}
}

// TestTieOutLinesInEachCurrency: the tie-out block prints with the one
// currency formatter (JPY without decimals, KWD with three) and its
// lines add up in the printed unit.
func TestTieOutLinesInEachCurrency(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ cur, gross, net, paid string }{
		{"JPY", "10,000 JPY", "8,668 JPY", "5,001 JPY"},
		{"KWD", "10,000.500 KWD", "8,667.833 KWD", "5,000.400 KWD"},
		{"USD", "10,000.50 USD", "8,667.83 USD", "5,000.40 USD"},
	} {
		mic := ads.MustMicros
		to := reconcile.TieOutOf(c.cur, ads.MustDate("2026-06-01"), ads.MustDate("2026-06-30"), []ads.SalesDay{{
			Day: ads.MustDate("2026-06-01"), Currency: c.cur, Orders: 3,
			Sale: ads.Sale{Gross: mic("10000.5004"), Discounts: mic("1000.3333"), Refunds: mic("332.3337"), Net: mic("8667.8334")},
			Paid: mic("5000.4001"), Organic: mic("3000.2222"), Unattributed: mic("667.2111")}}, nil, nil)
		lines := TieOutLines(to, to.Paid, to.Organic+to.Unattributed)
		got := map[string]string{}
		for _, l := range lines {
			got[strings.TrimSpace(l.Label)] = l.Amount
		}
		if got["gross sales"] != c.gross || got["= net sales"] != c.net || got["paid-attributed"] != c.paid {
			t.Errorf("%s: gross %q, net %q, paid %q; want %q, %q, %q", c.cur, got["gross sales"], got["= net sales"],
				got["paid-attributed"], c.gross, c.net, c.paid)
		}
		s := shownTieOut(to, 0)
		if s.gross-s.discounts-s.refunds-s.cancellations != s.net || s.paid+s.organic+s.unattributed != s.net {
			t.Errorf("%s: printed lines do not add up: %+v", c.cur, s)
		}
	}
}

// TestApportion: the one rounding rule of the report and the dashboard —
// each money total is the exact sum rounded, the rows add up to it, and
// counts are untouched; Rounded rounds one row on its own.
func TestApportion(t *testing.T) {
	t.Parallel()
	row := ads.KPI{Spend: 1_004_000, FlatFees: 5_000, Commission: 5_000, PaidRevenue: 3_000_000, PaidOrders: 2, Views: 7}
	rows, total := Apportion([]ads.KPI{row, row, row}, "USD")
	// 3 × 1.004 = 3.012 → 3.01: one row gives up its cent; 3 × 0.005 = 0.015 → 0.02.
	wantTotal := ads.KPI{Spend: 3_010_000, FlatFees: 20_000, Commission: 20_000, PaidRevenue: 9_000_000, PaidOrders: 6, Views: 21}
	if total != wantTotal {
		t.Errorf("total = %+v, want %+v", total, wantTotal)
	}
	var sum ads.KPI
	for _, r := range rows {
		sum = sum.Add(r)
		if r.PaidOrders != 2 || r.Views != 7 {
			t.Errorf("row counts changed: %+v", r)
		}
	}
	if sum != total {
		t.Errorf("rows add up to %+v, not the total %+v", sum, total)
	}
	if got, want := Rounded(row, "USD"), (ads.KPI{Spend: 1_000_000, FlatFees: 10_000, Commission: 10_000, PaidRevenue: 3_000_000,
		PaidOrders: 2, Views: 7}); got != want {
		t.Errorf("Rounded = %+v, want %+v", got, want)
	}
	if got := Rounded(ads.KPI{Spend: 1_500_000, Impressions: 3}, "JPY"); got.Spend != 2_000_000 || got.Impressions != 3 {
		t.Errorf("Rounded in JPY = %+v, want spend 2 and 3 impressions", got)
	}
}
