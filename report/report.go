// Package report renders roasd's finance report (reconcile.Report) as CSV,
// JSON or a text table. Money is printed to the currency's minor unit
// (two decimals for USD, none for JPY): in JSON and the table with its
// currency ("1234.50 USD"), in CSV as a plain number beside one currency
// column, so that a spreadsheet reads every metric column as numbers
// (percentages are plain numbers there too, with the unit in the header:
// roi_percent; a ratio over zero is an empty cell). Ratios (ROAS, ROI,
// CPA, …) are derived here, for display only, exactly (big.Rat) and
// rounded half away from zero; a ratio over zero prints "n/a" (null in
// JSON).
//
// There is one authoritative TOTAL, the same in every dimension: each
// money column's total is its exact sum (micro-units) rounded to the
// minor unit, and the rows are rounded so that they still add up to it
// (ads.Apportion, the largest-remainder method: no row moves by a cent or
// more from its exact amount). So a spreadsheet sum of any money column
// ties out to the totals row to the cent, and the totals row of a report
// by creator, test, variant, platform or day is identical. Revenue and
// fees are sums of their printed parts, and ratios are computed from the
// printed amounts.
//
// Figures that may still change are marked provisional (reconcile.Finality:
// a day inside a source's restatement window or the refund horizon, and
// any total including one): a provisional column in CSV ("true"/"false"),
// a "provisional" field on each JSON row and the total (with the report's
// "provisional": {final_through, text}), a last column and a header line
// in the table.
//
// What no creator claims — spend of ads that run no declared variant and
// store orders nobody claims — is a row keyed reconcile.Unattributed
// ("(unattributed)"), included in TOTAL like any other row.
//
// The package also owns the report query service (query.go: Query and
// ParseQuery read a request's brand, range and dimension; Service answers
// it from the store, closed months from their snapshot with post-close
// adjustments, with the tie-out block and the freshness of the figures)
// and month closing (close.go: CloseMonth). `roasd report`, `roasd close`
// and the web API all call it; web only adds HTTP.
package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/reconcile"
)

// Output formats.
const (
	FormatCSV   = "csv"
	FormatJSON  = "json"
	FormatTable = "table"
)

// Formats lists the output formats Write accepts.
var Formats = []string{FormatCSV, FormatJSON, FormatTable}

// None is printed for an empty key (organic revenue and fees have no
// variant or platform).
const None = "(none)"

// TotalLabel is the first key cell of the totals row.
const TotalLabel = "TOTAL"

// shown is a row's KPIs as printed (Rounded, Apportion): money rounded to
// the currency's minor unit (in micro-units), counts as they are; creators
// counts the row's creators with revenue.
type shown struct {
	ads.KPI
	creators int64
}

// Rounded is k as printed on its own: each money amount rounded to cur's
// minor unit, half away from zero; counts as they are. (Apportion rounds
// rows that add up to a total instead.)
func Rounded(k ads.KPI, cur string) ads.KPI {
	unit := minorUnit(cur)
	for _, f := range moneyFields {
		*f(&k) = roundTo(*f(&k), unit)
	}
	return k
}

// minorUnit is one minor unit of cur (a cent) in micro-units.
func minorUnit(cur string) int64 { return ads.MinorToMicros(1, cur) }

// roundTo rounds micro-units to whole multiples of unit, half away from
// zero.
func roundTo(v, unit int64) int64 {
	q, r := v/unit, v%unit
	if 2*r >= unit {
		q++
	} else if 2*r <= -unit {
		q--
	}
	return q * unit
}

// moneyFields are the KPI's money amounts.
var moneyFields = []func(k *ads.KPI) *int64{
	func(k *ads.KPI) *int64 { return &k.Spend },
	func(k *ads.KPI) *int64 { return &k.FlatFees },
	func(k *ads.KPI) *int64 { return &k.Commission },
	func(k *ads.KPI) *int64 { return &k.Bonuses },
	func(k *ads.KPI) *int64 { return &k.PaidRevenue },
	func(k *ads.KPI) *int64 { return &k.OrganicRevenue },
	func(k *ads.KPI) *int64 { return &k.PlatformValue },
}

// Apportion is the finance report's tie-out rule for rows that add up to
// a total (every report, the dashboard): each money amount's total is
// its exact sum rounded to cur's minor unit, and the rows' amounts are
// rounded by ads.Apportion (largest remainder) so that they add up to
// it; counts are as they are. It returns the rows and the total as
// printed.
func Apportion(rows []ads.KPI, cur string) ([]ads.KPI, ads.KPI) {
	out := make([]ads.KPI, len(rows))
	var total ads.KPI
	for i, r := range rows {
		out[i] = r
		total = total.Add(r)
	}
	exact := make([]int64, len(rows))
	for _, f := range moneyFields {
		for i := range rows {
			exact[i] = *f(&rows[i])
		}
		parts, sum := ads.Apportion(exact, minorUnit(cur))
		for i := range out {
			*f(&out[i]) = parts[i]
		}
		*f(&total) = sum
	}
	return out, total
}

// reach is impressions, or views when a row has no impressions.
func (s shown) reach() int64 {
	if s.Impressions == 0 {
		return s.Views
	}
	return s.Impressions
}

// cell is a printed value: text for people (the table and JSON), plain
// for CSV (a bare number, "" for n/a); na marks a ratio over zero.
type cell struct {
	text  string
	plain string
	// human is the table's text when it differs (money, grouped by
	// ads.FormatMoney as in Slack and on the dashboard).
	human string
	na    bool
	num   bool // a bare number (counts) rather than text, for JSON
}

// column is one metric column of the report.
type column struct {
	name  string
	table bool // shown in the text table too
	value func(s shown, cur string) cell
}

// csvNames are the CSV headers of columns whose name differs there: a
// percentage's unit goes in the header.
var csvNames = map[string]string{"roi": "roi_percent", "redemption_rate": "redemption_rate_percent"}

// money prints micro-units with cur's minor-unit decimals.
func money(v int64, cur string) cell {
	n := ads.FormatAmount(v, cur)
	return cell{text: n + " " + cur, plain: n, human: ads.FormatMoney(v, cur)}
}

func count(v int64) cell {
	n := strconv.FormatInt(v, 10)
	return cell{text: n, plain: n, num: true}
}

// quotient formats a/b with dec decimals, scaled by scale (100 for
// percentages), or n/a when b is zero; suffix (a unit) is left out of
// the plain number.
func quotient(a, b int64, scale int64, dec int, suffix string) cell {
	if b == 0 {
		return cell{text: "n/a", na: true}
	}
	r := new(big.Rat).SetFrac(big.NewInt(a), big.NewInt(b))
	r.Mul(r, new(big.Rat).SetInt64(scale))
	n := r.FloatString(dec)
	return cell{text: n + suffix, plain: n}
}

// perUnit formats micro-units divided by a count as money, or n/a.
func perUnit(micros, n int64, cur string) cell {
	return quotient(micros, n*ads.MicrosPerUnit, 1, ads.MinorUnitExponent(cur), " "+cur)
}

// columns are the metric columns, in output order. Definitions (DESIGN.md):
// ROAS = paid revenue / spend; blended ROAS = (paid + organic revenue) /
// (spend + fees); ROI = (revenue − cost) / cost with cost = spend + fees;
// CPA = cost / store-confirmed orders; CPE = cost / engagements; redemption
// rate = code redemptions / impressions (views when there are none);
// confirmed ratio = store-confirmed paid orders / platform-reported
// conversions; revenue per creator = revenue / creators with revenue.
var columns = []column{
	{"spend", true, func(s shown, c string) cell { return money(s.Spend, c) }},
	{"fees", true, func(s shown, c string) cell { return money(s.Fees(), c) }},
	{"flat_fees", false, func(s shown, c string) cell { return money(s.FlatFees, c) }},
	{"commission", false, func(s shown, c string) cell { return money(s.Commission, c) }},
	{"bonuses", false, func(s shown, c string) cell { return money(s.Bonuses, c) }},
	{"paid_revenue", true, func(s shown, c string) cell { return money(s.PaidRevenue, c) }},
	{"organic_revenue", true, func(s shown, c string) cell { return money(s.OrganicRevenue, c) }},
	{"revenue", false, func(s shown, c string) cell { return money(s.Revenue(), c) }},
	{"roas", true, func(s shown, c string) cell { return quotient(s.PaidRevenue, s.Spend, 1, 2, "") }},
	{"blended_roas", true, func(s shown, c string) cell { return quotient(s.Revenue(), s.Cost(), 1, 2, "") }},
	{"roi", true, func(s shown, c string) cell { return quotient(s.Revenue()-s.Cost(), s.Cost(), 100, 2, "%") }},
	{"orders", true, func(s shown, c string) cell { return count(s.Orders()) }},
	{"cpa", true, func(s shown, c string) cell { return perUnit(s.Cost(), s.Orders(), c) }},
	{"engagements", false, func(s shown, c string) cell { return count(s.Engagements) }},
	{"cpe", false, func(s shown, c string) cell { return perUnit(s.Cost(), s.Engagements, c) }},
	{"impressions", false, func(s shown, c string) cell { return count(s.Impressions) }},
	{"views", false, func(s shown, c string) cell { return count(s.Views) }},
	{"clicks", false, func(s shown, c string) cell { return count(s.Clicks) }},
	{"redemptions", false, func(s shown, c string) cell { return count(s.Redemptions) }},
	{"redemption_rate", true, func(s shown, c string) cell { return quotient(s.Redemptions, s.reach(), 100, 4, "%") }},
	{"store_orders", false, func(s shown, c string) cell { return count(s.PaidOrders) }},
	{"organic_orders", false, func(s shown, c string) cell { return count(s.OrganicOrders) }},
	{"platform_conversions", false, func(s shown, c string) cell { return count(s.PlatformConversions) }},
	{"platform_value", false, func(s shown, c string) cell { return money(s.PlatformValue, c) }},
	{"confirmed_ratio", false, func(s shown, c string) cell { return quotient(s.PaidOrders, s.PlatformConversions, 1, 2, "") }},
	{"creators", false, func(s shown, c string) cell { return count(s.creators) }},
	{"revenue_per_creator", false, func(s shown, c string) cell { return perUnit(s.Revenue(), s.creators, c) }},
}

// Columns lists the metric column names of JSON output, in order (after
// the key columns).
func Columns() []string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = c.name
	}
	return out
}

// CurrencyColumn is the CSV column, after the key columns, naming the
// currency every money cell of the row is in.
const CurrencyColumn = "currency"

// ProvisionalColumn is the CSV column, after CurrencyColumn, saying
// whether the row's figures may still change: "true" or "false" (empty
// when unknown), see reconcile.Report.MarkProvisional. JSON has it as each
// row's boolean "provisional" field, the table as a last column.
const ProvisionalColumn = "provisional"

// CSVColumns lists the CSV header after the key columns: CurrencyColumn,
// ProvisionalColumn, then the metric columns, percentages named with their
// unit ("roi_percent").
func CSVColumns() []string {
	out := []string{CurrencyColumn, ProvisionalColumn}
	for _, c := range columns {
		if n, ok := csvNames[c.name]; ok {
			out = append(out, n)
		} else {
			out = append(out, c.name)
		}
	}
	return out
}

// printed is a report ready to write: key cells and metric cells per row.
type printed struct {
	keys  [][]string
	cells [][]cell
	total []cell
	// provisional marks the rows and the total that may still change;
	// known is false when nobody said (nothing is marked then).
	provisional      []bool
	totalProvisional bool
	known            bool
	// revenue is the totals row's printed revenue.
	revenue int64
}

// provisionalText is a provisional mark as CSV prints it.
func (p printed) provisionalText(v bool) string {
	if !p.known {
		return ""
	}
	return strconv.FormatBool(v)
}

// provisionalJSON is a provisional mark as JSON prints it.
func (p printed) provisionalJSON(v bool) []byte {
	if !p.known {
		return []byte("null")
	}
	return []byte(strconv.FormatBool(v))
}

func prepare(rep reconcile.Report) printed {
	var p printed
	shownRows, total := apportioned(rep)
	for i, r := range rep.Rows {
		keys := make([]string, len(r.Key))
		for i, k := range r.Key {
			keys[i] = k
			if k == "" {
				keys[i] = None
			}
		}
		p.keys = append(p.keys, keys)
		p.cells = append(p.cells, cellsOf(shownRows[i], rep.Currency))
		p.provisional = append(p.provisional, r.Provisional)
	}
	p.total = cellsOf(total, rep.Currency)
	p.known, p.totalProvisional = rep.Finality.Known(), rep.Total.Provisional
	p.revenue = total.Revenue()
	return p
}

// apportioned returns the report's rows and total as printed (Apportion).
func apportioned(rep reconcile.Report) ([]shown, shown) {
	kpis := make([]ads.KPI, len(rep.Rows))
	for i, r := range rep.Rows {
		kpis[i] = r.KPI
	}
	parts, sum := Apportion(kpis, rep.Currency)
	rows := make([]shown, len(rep.Rows))
	for i, r := range rep.Rows {
		rows[i] = shown{parts[i], r.Creators}
	}
	return rows, shown{sum, rep.Total.Creators}
}

func cellsOf(s shown, cur string) []cell {
	out := make([]cell, len(columns))
	for i, c := range columns {
		out[i] = c.value(s, cur)
	}
	return out
}

// Write renders rep to w in format (csv, json or table). CSV has a header
// row (key columns, then Columns()), one row per report row and a last
// row whose first key cell is TOTAL. JSON is an object with the report's
// brand, currency, from, to, by, timezone, range (how it was chosen) and
// attribution (each test's policy) when known, reconciled (how current
// the figures are: at, text, stale and, when the latest reconcile failed,
// failed_at and warning; left out when unknown), provisional
// (final_through, text; left out when unknown), rows and total, each row
// and the total with a boolean "provisional", when the range touches a
// closed month closed (month, closed_at) and adjustments (see
// WriteAdjustments), and, when the report has one, tie_out (the tie-out block; see tieout.go). The table shows the
// header (brand, zone, currency, range, attribution), the
// key columns and the main KPIs for people, under a line saying how
// current they are and a WARNING line when they are stale, and the
// tie-out block under them. CSV carries only the figures (the caller says
// how current they are elsewhere).
func Write(w io.Writer, format string, rep reconcile.Report) error {
	switch format {
	case FormatCSV:
		return writeCSV(w, rep)
	case FormatJSON:
		return writeJSON(w, rep)
	case FormatTable:
		return writeTable(w, rep)
	}
	return fmt.Errorf("unknown report format %q (want csv, json or table)", format)
}

func totalKeys(n int) []string {
	keys := make([]string, n)
	if n > 0 {
		keys[0] = TotalLabel
	}
	return keys
}

func writeCSV(w io.Writer, rep reconcile.Report) error {
	p := prepare(rep)
	cw := csv.NewWriter(w)
	header := append(append([]string{}, rep.KeyNames...), CSVColumns()...)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("writing report csv: %w", err)
	}
	line := func(keys []string, provisional bool, cells []cell) []string {
		out := append(append([]string{}, keys...), rep.Currency, p.provisionalText(provisional))
		for _, c := range cells {
			out = append(out, c.plain)
		}
		return out
	}
	for i := range p.keys {
		if err := cw.Write(line(p.keys[i], p.provisional[i], p.cells[i])); err != nil {
			return fmt.Errorf("writing report csv: %w", err)
		}
	}
	if err := cw.Write(line(totalKeys(len(rep.KeyNames)), p.totalProvisional, p.total)); err != nil {
		return fmt.Errorf("writing report csv: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing report csv: %w", err)
	}
	return nil
}

// jsonObject writes an object with keys in the given order.
func jsonObject(buf *bytes.Buffer, names []string, keys []string, provisional []byte, cells []cell) {
	buf.WriteByte('{')
	first := true
	put := func(k string, v []byte) {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(v)
	}
	for i, k := range keys {
		v, _ := json.Marshal(k)
		put(names[i], v)
	}
	put(ProvisionalColumn, provisional)
	for i, c := range cells {
		switch {
		case c.na:
			put(columns[i].name, []byte("null"))
		case c.num:
			put(columns[i].name, []byte(c.text))
		default:
			v, _ := json.Marshal(c.text)
			put(columns[i].name, v)
		}
	}
	buf.WriteByte('}')
}

// jsonReconciled is how current a JSON report's figures are.
type jsonReconciled struct {
	// At is when the ledger was last reconciled (RFC 3339, brand zone).
	At string `json:"at,omitempty"`
	// Text is "reconciled through DAY at TIME".
	Text string `json:"text,omitempty"`
	// Stale reports whether the brand's latest reconcile failed; then
	// FailedAt and Warning say when and what.
	Stale    bool   `json:"stale"`
	FailedAt string `json:"failed_at,omitempty"`
	Warning  string `json:"warning,omitempty"`
}

func reconciledOf(f reconcile.Freshness) *jsonReconciled {
	if f.At.IsZero() && !f.Stale() {
		return nil
	}
	j := &jsonReconciled{Text: f.String(), Stale: f.Stale(), Warning: f.Warning()}
	if !f.At.IsZero() {
		j.At = f.At.Format(time.RFC3339)
	}
	if f.Stale() {
		j.FailedAt = f.FailedAt.Format(time.RFC3339)
	}
	return j
}

// jsonProvisional says which days of a JSON report may still change.
type jsonProvisional struct {
	// FinalThrough is the last final day; later days are provisional.
	FinalThrough ads.Date `json:"final_through"`
	// Text is "days from DAY are provisional: WHY".
	Text string `json:"text"`
}

func provisionalOf(f reconcile.Finality) *jsonProvisional {
	if !f.Known() {
		return nil
	}
	return &jsonProvisional{FinalThrough: f.FinalThrough, Text: f.String()}
}

func writeJSON(w io.Writer, rep reconcile.Report) error {
	p := prepare(rep)
	var buf bytes.Buffer
	head, _ := json.Marshal(struct {
		Brand       string           `json:"brand"`
		Currency    string           `json:"currency"`
		From        ads.Date         `json:"from"`
		To          ads.Date         `json:"to"`
		By          string           `json:"by"`
		Timezone    string           `json:"timezone,omitempty"`
		Range       string           `json:"range,omitempty"`
		Policies    []ads.TestPolicy `json:"attribution,omitempty"`
		Reconciled  *jsonReconciled  `json:"reconciled,omitempty"`
		Provisional *jsonProvisional `json:"provisional,omitempty"`
		Closed      []jsonClosed     `json:"closed,omitempty"`
	}{rep.Brand, rep.Currency, rep.From, rep.To, rep.By, rep.Timezone, rep.Range, rep.Policies, reconciledOf(rep.Reconciled),
		provisionalOf(rep.Finality), closedIfAny(rep)})
	buf.Write(head[:len(head)-1])
	buf.WriteString(`,"rows":[`)
	for i := range p.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n  ")
		jsonObject(&buf, rep.KeyNames, p.keys[i], p.provisionalJSON(p.provisional[i]), p.cells[i])
	}
	buf.WriteString("\n],\"total\":")
	jsonObject(&buf, nil, nil, p.provisionalJSON(p.totalProvisional), p.total)
	if len(rep.Closed) > 0 {
		buf.WriteString(",\"adjustments\":[")
		for i, a := range adjustmentsJSON(rep) {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString("\n  ")
			buf.Write(a)
		}
		buf.WriteString("]")
	}
	if t := tieOutJSON(rep, adjustedRevenue(rep, p.revenue)); t != nil {
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("writing report json: %w", err)
		}
		buf.WriteString(",\n\"tie_out\":")
		buf.Write(b)
	}
	buf.WriteString("}\n")
	if !json.Valid(buf.Bytes()) {
		return fmt.Errorf("writing report json: produced invalid JSON")
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing report json: %w", err)
	}
	return nil
}

func writeTable(w io.Writer, rep reconcile.Report) error {
	p := prepare(rep)
	for _, l := range headerLines(rep) {
		fmt.Fprintln(w, l)
	}
	if t := rep.Reconciled.String(); t != "" {
		fmt.Fprintln(w, t)
	}
	if rep.Reconciled.Stale() {
		fmt.Fprintln(w, "WARNING: "+rep.Reconciled.Warning())
	}
	if t := rep.Finality.String(); t != "" {
		fmt.Fprintln(w, t)
	}
	for _, l := range closedLines(rep) {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(keys []string, cells []string) {
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t", k)
		}
		for _, c := range cells {
			fmt.Fprintf(tw, "%s\t", c)
		}
		fmt.Fprintln(tw)
	}
	var head []string
	for _, c := range columns {
		if c.table {
			head = append(head, c.name)
		}
	}
	if p.known {
		head = append(head, ProvisionalColumn)
	}
	row(rep.KeyNames, head)
	mark := func(v bool) []string {
		switch {
		case !p.known:
			return nil
		case v:
			return []string{"yes"}
		}
		return []string{"no"}
	}
	pick := func(cells []cell) []string {
		var out []string
		for i, c := range columns {
			if c.table {
				if cells[i].human != "" {
					out = append(out, cells[i].human)
				} else {
					out = append(out, cells[i].text)
				}
			}
		}
		return out
	}
	for i := range p.keys {
		row(p.keys[i], append(pick(p.cells[i]), mark(p.provisional[i])...))
	}
	row(totalKeys(len(rep.KeyNames)), append(pick(p.total), mark(p.totalProvisional)...))
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing report table: %w", err)
	}
	if err := writeAdjustmentTable(w, rep); err != nil {
		return err
	}
	if rep.TieOut != nil {
		return writeTieOutTable(w, rep)
	}
	return nil
}
