package web

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/report"
)

// Totals are a creator's, variant's or the brand's KPIs summed over a range
// (ads.KPI.Add; exact micro-units) as the dashboard shows them, with
// display strings and ratios that follow the finance report's
// tie-out rule, computed by package report: the brand total of each
// amount is its exact sum rounded to the currency's minor unit, the
// creator rows are rounded so that they add up to it (report.Apportion),
// a variant's amounts are rounded on their own (report.Rounded), fees
// are the sum of their rounded parts, and
// ratios are computed from the rounded amounts. So the dashboard shows the
// same figures as `roasd report --by creator` for the same range.
type Totals struct {
	Spend          int64 `json:"spend_micros"`
	PaidRevenue    int64 `json:"paid_revenue_micros"`
	OrganicRevenue int64 `json:"organic_revenue_micros"`
	// Fees is FlatFees + Commission + Bonuses.
	Fees          int64 `json:"fee_micros"`
	FlatFees      int64 `json:"flat_fee_micros"`
	Commission    int64 `json:"commission_micros"`
	Bonuses       int64 `json:"bonus_micros"`
	PlatformValue int64 `json:"platform_value_micros"`
	PaidOrders    int64 `json:"paid_orders"`
	OrganicOrders int64 `json:"organic_orders"`
	// ROAS is paid revenue / spend; BlendedROAS is (paid + organic revenue)
	// / (spend + fees). Null when the denominator is zero. Display only.
	ROAS        *float64 `json:"roas"`
	BlendedROAS *float64 `json:"blended_roas"`
	// Display holds the money fields formatted in the brand currency.
	Display map[string]string `json:"display"`
}

// totalsOf is the summed KPIs k as the dashboard shows them: the exact
// sums, and ratios and display strings from p, k as printed (rounded to
// the minor unit by report.Rounded or report.Apportion).
func totalsOf(k, p ads.KPI, currency string) Totals {
	t := Totals{Spend: k.Spend, PaidRevenue: k.PaidRevenue, OrganicRevenue: k.OrganicRevenue, Fees: k.Fees(), FlatFees: k.FlatFees,
		Commission: k.Commission, Bonuses: k.Bonuses, PlatformValue: k.PlatformValue, PaidOrders: k.PaidOrders,
		OrganicOrders: k.OrganicOrders}
	t.ROAS = ratio(p.PaidRevenue, p.Spend)
	t.BlendedROAS = ratio(p.Revenue(), p.Cost())
	t.Display = map[string]string{
		"spend":           formatMoney(p.Spend, currency),
		"paid_revenue":    formatMoney(p.PaidRevenue, currency),
		"organic_revenue": formatMoney(p.OrganicRevenue, currency),
		"revenue":         formatMoney(p.Revenue(), currency),
		"fees":            formatMoney(p.Fees(), currency),
		"platform_value":  formatMoney(p.PlatformValue, currency),
		"roas":            formatRatio(p.PaidRevenue, p.Spend),
		"blended_roas":    formatRatio(p.Revenue(), p.Cost()),
	}
	return t
}

// Series is one creator's or variant's measures by day (aligned with
// SeriesResponse.Days), money in micro-units. ROAS arrays hold null where
// the denominator is zero; Cum* are running ratios from the first day of
// the range.
type Series struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Creator  string `json:"creator"`
	TestID   string `json:"test_id,omitempty"`
	Variant  string `json:"variant,omitempty"`
	Platform string `json:"platform,omitempty"`

	Spend          []int64    `json:"spend_micros"`
	PaidRevenue    []int64    `json:"paid_revenue_micros"`
	OrganicRevenue []int64    `json:"organic_revenue_micros"`
	Fees           []int64    `json:"fee_micros"`
	ROAS           []*float64 `json:"roas"`
	BlendedROAS    []*float64 `json:"blended_roas"`
	CumROAS        []*float64 `json:"cum_roas"`
	CumBlended     []*float64 `json:"cum_blended_roas"`
	Totals         Totals     `json:"totals"`

	// sum is the series' KPIs summed over the range; Totals shows it.
	sum ads.KPI
}

// TestInfo is a configured test's frame for the ROAS charts.
type TestInfo struct {
	ID         string   `json:"id"`
	Creator    string   `json:"creator"`
	Start      ads.Date `json:"start"`
	End        ads.Date `json:"end"`
	TargetROAS float64  `json:"target_roas"`
	FloorROAS  float64  `json:"floor_roas"`
	Variants   []string `json:"variants"`
}

// SeriesResponse is /dashboard/api/series.
type SeriesResponse struct {
	Brand    string `json:"brand"`
	Currency string `json:"currency"`
	// Decimals is the currency's minor-unit digits (2 for USD, 0 for JPY).
	Decimals int        `json:"currency_decimals"`
	From     ads.Date   `json:"from"`
	To       ads.Date   `json:"to"`
	Days     []ads.Date `json:"days"`
	// ProvisionalDays marks, per day, the days that may still change;
	// Provisional says the totals include one (see ReconciledView).
	ProvisionalDays []bool     `json:"provisional_days"`
	Provisional     bool       `json:"provisional"`
	Totals          Totals     `json:"totals"`
	Creators        []*Series  `json:"creators"`
	Variants        []*Series  `json:"variants"`
	Tests           []TestInfo `json:"tests"`
	// Warnings says what was left out and why (e.g. cells in another
	// currency).
	Warnings []string `json:"warnings"`
	// Reconciled says how current the figures are; the page shows a
	// banner when they are stale.
	Reconciled ReconciledView `json:"reconciled"`
	// TieOut is the range's tie-out block with the store, as `roasd
	// report` prints it (null when the source keeps no store sales).
	TieOut *TieOutView `json:"tie_out"`
}

// TieOutView is the tie-out block on the dashboard: its title and lines
// (report.TieOutLines).
type TieOutView struct {
	Title string              `json:"title"`
	Lines []report.TieOutLine `json:"lines"`
}

// ReconciledView is how current a brand's figures are (see
// reconcile.Freshness).
type ReconciledView struct {
	// Text is "reconciled through DAY at TIME" in the brand's zone ("" when
	// the brand was never reconciled).
	Text string `json:"text"`
	// Stale reports whether the brand's latest reconcile failed; Warning
	// then says when, why and what the figures are instead.
	Stale   bool   `json:"stale"`
	Warning string `json:"warning,omitempty"`
	// Provisional is "days from DAY are provisional: WHY" (reconcile.Finality;
	// "" when unknown), and FinalThrough the last final day.
	Provisional  string    `json:"provisional,omitempty"`
	FinalThrough *ads.Date `json:"final_through,omitempty"`
}

// reconciled returns how current brand b's figures are.
func (h *DashboardHandler) reconciled(ctx context.Context, b brand) (ReconciledView, error) {
	states, err := h.src.ReconciledBrands(ctx)
	if err != nil {
		return ReconciledView{}, err
	}
	for _, st := range states {
		if st.Brand != b.name {
			continue
		}
		var loc *time.Location
		if b.cfg != nil {
			loc = b.loc
		}
		f, err := report.Freshness(ctx, h.src, st, loc)
		if err != nil {
			return ReconciledView{}, err
		}
		v := ReconciledView{Text: f.String(), Stale: f.Stale(), Warning: f.Warning()}
		if fin := report.FinalityOf(st); fin.Known() {
			v.Provisional, v.FinalThrough = fin.String(), &fin.FinalThrough
		}
		return v, nil
	}
	return ReconciledView{}, nil
}

// rangeOf reads from/to, defaulting to the brand's default range.
func (h *DashboardHandler) rangeOf(ctx context.Context, r *http.Request, b brand) (ads.DateRange, error) {
	s, err := h.summary(ctx, b)
	if err != nil {
		return ads.DateRange{}, err
	}
	rng := ads.DateRange{From: s.DefaultFrom, To: s.DefaultTo}
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		dst  *ads.Date
	}{{"from", &rng.From}, {"to", &rng.To}} {
		if v := strings.TrimSpace(q.Get(p.name)); v != "" {
			d, err := ads.ParseDate(v)
			if err != nil {
				return rng, badRequest("%s: %v", p.name, err)
			}
			*p.dst = d
		}
	}
	if q.Get("from") == "" && q.Get("to") != "" {
		rng.From = rng.To.AddDays(-(DashboardDefaultDays - 1))
	}
	if rng.To.Before(rng.From) {
		return rng, badRequest("to %s is before from %s", rng.To, rng.From)
	}
	if rng.Days() > DashboardMaxDays {
		return rng, badRequest("range %s..%s is longer than %d days", rng.From, rng.To, DashboardMaxDays)
	}
	return rng, nil
}

func (h *DashboardHandler) seriesAPI(ctx context.Context, r *http.Request) (any, error) {
	b, err := h.brandOf(ctx, r)
	if err != nil {
		return nil, err
	}
	rng, err := h.rangeOf(ctx, r, b)
	if err != nil {
		return nil, err
	}
	cells, err := h.src.KPICells(ctx, b.name, rng.From, rng.To)
	if err != nil {
		return nil, err
	}
	resp := buildSeries(b, rng, cells)
	if resp.Reconciled, err = h.reconciled(ctx, b); err != nil {
		return nil, err
	}
	resp.ProvisionalDays = make([]bool, len(resp.Days))
	if ft := resp.Reconciled.FinalThrough; ft != nil {
		fin := reconcile.Finality{FinalThrough: *ft}
		for i, d := range resp.Days {
			resp.ProvisionalDays[i] = fin.Provisional(d)
		}
		resp.Provisional = fin.AnyProvisional(rng)
	}
	if sales, ok := h.src.(report.SalesSource); ok {
		t, err := report.TieOut(ctx, sales, b.name, b.currency, rng.From, rng.To, inCurrency(cells, b.currency))
		if err != nil {
			return nil, err
		}
		resp.TieOut = &TieOutView{Title: report.TieOutTitle(rng.From, rng.To, b.timezone),
			Lines: report.TieOutLines(t, resp.Totals.PaidRevenue, resp.Totals.OrganicRevenue)}
	}
	return resp, nil
}

// inCurrency returns the KPI cells in currency cur (all when cur is "").
func inCurrency(cells []ads.KPICell, cur string) []ads.KPICell {
	if cur == "" {
		return cells
	}
	out := make([]ads.KPICell, 0, len(cells))
	for _, c := range cells {
		if c.Currency == cur {
			out = append(out, c)
		}
	}
	return out
}

// buildSeries sums KPI cells into per-creator and per-variant daily series.
func buildSeries(b brand, rng ads.DateRange, cells []ads.KPICell) SeriesResponse {
	n := rng.Days()
	resp := SeriesResponse{Brand: b.name, Currency: b.currency, Decimals: ads.MinorUnitExponent(b.currency), From: rng.From, To: rng.To,
		Days: make([]ads.Date, n), Creators: []*Series{}, Variants: []*Series{}, Tests: []TestInfo{}, Warnings: []string{}}
	for i := range resp.Days {
		resp.Days[i] = rng.From.AddDays(i)
	}
	newSeries := func(key, label string) *Series {
		return &Series{Key: key, Label: label, Spend: make([]int64, n), PaidRevenue: make([]int64, n),
			OrganicRevenue: make([]int64, n), Fees: make([]int64, n)}
	}
	creators := map[string]*Series{}
	variants := map[string]*Series{}
	other := map[string]int{}
	var total ads.KPI
	for _, c := range cells {
		if b.currency != "" && c.Currency != b.currency {
			other[c.Currency]++
			continue
		}
		i := c.Day.Sub(rng.From)
		if i < 0 || i >= n {
			continue
		}
		add := func(s *Series) {
			s.Spend[i] += c.Spend
			s.PaidRevenue[i] += c.PaidRevenue
			s.OrganicRevenue[i] += c.OrganicRevenue
			s.Fees[i] += c.Fees()
			s.sum = s.sum.Add(c.KPI)
		}
		total = total.Add(c.KPI)

		ck := c.Creator
		s := creators[ck]
		if s == nil {
			label := ck
			if label == "" {
				label = "(no creator)"
			}
			s = newSeries(ck, label)
			s.Creator = ck
			creators[ck] = s
		}
		add(s)
		if c.TestID != "" && c.VariantKey != "" {
			vk := c.TestID + "/" + c.VariantKey
			v := variants[vk]
			if v == nil {
				v = newSeries(vk, c.VariantKey)
				v.TestID, v.Variant, v.Creator, v.Platform = c.TestID, c.VariantKey, c.Creator, string(c.Platform)
				variants[vk] = v
			}
			add(v)
		}
	}
	for _, s := range creators {
		finishSeries(s, b.currency)
		resp.Creators = append(resp.Creators, s)
	}
	for _, s := range variants {
		finishSeries(s, b.currency)
		resp.Variants = append(resp.Variants, s)
	}
	sort.Slice(resp.Creators, func(i, j int) bool { return seriesLess(resp.Creators[i], resp.Creators[j]) })
	sort.Slice(resp.Variants, func(i, j int) bool { return resp.Variants[i].Key < resp.Variants[j].Key })
	sums := make([]ads.KPI, len(resp.Creators))
	for i, s := range resp.Creators {
		sums[i] = s.sum
	}
	// The creators' and the brand's money as the finance report prints
	// them: each total rounded, the creators adding up to it.
	rows, printed := report.Apportion(sums, b.currency)
	for i, s := range resp.Creators {
		s.Totals = totalsOf(s.sum, rows[i], b.currency)
	}
	resp.Totals = totalsOf(total, printed, b.currency)
	var curs []string
	for cur := range other {
		curs = append(curs, cur)
	}
	sort.Strings(curs)
	for _, cur := range curs {
		resp.Warnings = append(resp.Warnings, fmt.Sprintf("%d KPI cell(s) in %s were left out: the brand reports in %s.", other[cur], cur, b.currency))
	}
	if b.cfg != nil {
		for _, t := range b.cfg.Tests {
			ti := TestInfo{ID: t.ID, Creator: t.Creator, Start: t.Start, End: t.End(), TargetROAS: t.TargetROAS, FloorROAS: t.FloorROAS, Variants: []string{}}
			for _, v := range t.Variants {
				ti.Variants = append(ti.Variants, v.Key)
			}
			resp.Tests = append(resp.Tests, ti)
		}
	}
	return resp
}

// seriesLess orders creators by total spend + revenue, largest first, then
// by key.
func seriesLess(a, b *Series) bool {
	wa := a.sum.Spend + a.sum.Revenue()
	wb := b.sum.Spend + b.sum.Revenue()
	if wa != wb {
		return wa > wb
	}
	return a.Key < b.Key
}

func finishSeries(s *Series, currency string) {
	n := len(s.Spend)
	s.ROAS, s.BlendedROAS = make([]*float64, n), make([]*float64, n)
	s.CumROAS, s.CumBlended = make([]*float64, n), make([]*float64, n)
	var sp, paid, org, fees int64 // running sums for the cumulative ratios
	for i := 0; i < n; i++ {
		s.ROAS[i] = ratio(s.PaidRevenue[i], s.Spend[i])
		s.BlendedROAS[i] = ratio(s.PaidRevenue[i]+s.OrganicRevenue[i], s.Spend[i]+s.Fees[i])
		sp, paid, org, fees = sp+s.Spend[i], paid+s.PaidRevenue[i], org+s.OrganicRevenue[i], fees+s.Fees[i]
		s.CumROAS[i] = ratio(paid, sp)
		s.CumBlended[i] = ratio(paid+org, sp+fees)
	}
	s.Totals = totalsOf(s.sum, report.Rounded(s.sum, currency), currency)
}

// ratio returns num/den rounded to 4 decimals for display, nil when den is
// not positive.
func ratio(num, den int64) *float64 {
	if den <= 0 {
		return nil
	}
	r := math.Round(float64(num)/float64(den)*1e4) / 1e4
	return &r
}

// formatRatio prints num/den exactly rounded to two decimals (half away
// from zero, as the finance report does), "–" when den is not positive.
func formatRatio(num, den int64) string {
	if den <= 0 {
		return "–"
	}
	return new(big.Rat).SetFrac64(num, den).FloatString(2) + "×"
}

// formatMoney is ads.FormatMoney: the currency's minor-unit decimals,
// thousands grouped: "12,345.60 USD", "12,346 JPY".
func formatMoney(micros int64, currency string) string { return ads.FormatMoney(micros, currency) }
