package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/platformhttp"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/report"
	"github.com/roasd/roasd/store"
)

//go:embed static
var staticFS embed.FS

// DashboardSource is what the dashboard reads; *store.DB satisfies it.
type DashboardSource interface {
	// ReconciledBrands lists the reconcile state of every reconciled brand.
	ReconciledBrands(ctx context.Context) ([]store.ReconcileState, error)
	// KPIDays returns the first and last day with activity of brand.
	KPIDays(ctx context.Context, brand string) (ads.DateRange, bool, error)
	// DailyKPIs lists the brand's KPI cells with day in [from, to].
	DailyKPIs(ctx context.Context, brand string, from, to ads.Date) ([]store.DailyKPI, error)
	// Verdicts lists the brand's stored verdicts (all tests for "").
	Verdicts(ctx context.Context, brand, testID string) ([]store.VerdictRow, error)
	// Actions lists the brand's recorded platform actions.
	Actions(ctx context.Context, brand string) ([]store.ActionRecord, error)
	// Permissions lists the permissions of one platform account.
	Permissions(ctx context.Context, platform ads.Platform, account string) ([]ads.Permission, error)
	// RecentRunsIn lists the newest job runs of the given scopes.
	RecentRunsIn(ctx context.Context, scopes []string, limit int) ([]store.JobRun, error)
	// LatestRun returns the newest finished run of job in scope.
	LatestRun(ctx context.Context, job, scope string) (store.JobRun, bool, error)
}

// Dashboard limits.
const (
	// DashboardDefaultDays is the length of the default date range, which
	// ends on the brand's latest day with data.
	DashboardDefaultDays = 30
	// DashboardMaxDays is the longest date range a chart request may ask for.
	DashboardMaxDays = 731
	maxRuns          = 200
	defaultRuns      = 25
	maxActions       = 50
)

// DashboardHandler serves the read-only web dashboard: GET / (the page),
// /dashboard/static/... (its script and styles, embedded) and JSON under
// /dashboard/api/ (brands, series, verdicts, permissions, runs). Money is
// JSON integers in micro-units plus display strings; ratios are floats for
// display only. It has no authentication of its own and shows no secrets:
// the daemon serves it behind RequireLogin, on its private listener.
type DashboardHandler struct {
	src    DashboardSource
	config func() *configs.Set
	log    *slog.Logger
	mux    *http.ServeMux
	clock  func() time.Time
	gate   func(ctx context.Context, brand string) ([]string, error)
}

// Dashboard returns the dashboard over src. config returns the current
// configuration (it may return nil; brands then come from the database
// alone, without their accounts). Mount it on the pattern "/" so it serves
// the page at the root and its API beside the other routes.
func Dashboard(src DashboardSource, config func() *configs.Set, log *slog.Logger) *DashboardHandler {
	if log == nil {
		log = slog.Default()
	}
	if config == nil {
		config = func() *configs.Set { return nil }
	}
	h := &DashboardHandler{src: src, config: config, log: log, mux: http.NewServeMux()}
	sub, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(sub)
	h.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/"
		files.ServeHTTP(w, r2)
	})
	h.mux.Handle("GET /dashboard/static/", http.StripPrefix("/dashboard/static", files))
	h.mux.HandleFunc("GET /dashboard/api/brands", h.api(h.brandsAPI))
	h.mux.HandleFunc("GET /dashboard/api/series", h.api(h.seriesAPI))
	h.mux.HandleFunc("GET /dashboard/api/verdicts", h.api(h.verdictsAPI))
	h.mux.HandleFunc("GET /dashboard/api/permissions", h.api(h.permissionsAPI))
	h.mux.HandleFunc("GET /dashboard/api/runs", h.api(h.runsAPI))
	return h
}

// WithClock sets the clock used for "today" (the default range never ends
// after it) and for permissions' days left; nil means time.Now. The daemon
// passes its jobs' clock so the demo's campaign time is honoured. Call it
// before serving; it returns h.
func (h *DashboardHandler) WithClock(now func() time.Time) *DashboardHandler {
	h.clock = now
	return h
}

// WithGate sets how the dashboard learns why a brand is not being judged
// (the daemon passes the verdicts job's own gate); nil shows nothing. Call
// it before serving; it returns h.
func (h *DashboardHandler) WithGate(gate func(ctx context.Context, brand string) ([]string, error)) *DashboardHandler {
	h.gate = gate
	return h
}

// ServeHTTP implements http.Handler.
func (h *DashboardHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-cache")
	h.mux.ServeHTTP(w, r)
}

func (h *DashboardHandler) now() time.Time {
	if h.clock != nil {
		return h.clock()
	}
	return time.Now()
}

// dashError is a request failure whose message is safe to show.
type dashError struct {
	status int
	msg    string
}

func (e *dashError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &dashError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// api adapts a JSON endpoint: its value is encoded, a *dashError becomes
// {"error": msg} with its status, anything else is logged and answered 500.
func (h *DashboardHandler) api(fn func(ctx context.Context, r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := fn(r.Context(), r)
		w.Header().Set("Content-Type", "application/json")
		status := http.StatusOK
		if err != nil {
			var de *dashError
			if errors.As(err, &de) {
				status, v = de.status, map[string]string{"error": de.msg}
			} else {
				h.log.Error("serving dashboard", "path", r.URL.Path, "err", err)
				status, v = http.StatusInternalServerError, map[string]string{"error": "internal error (see the daemon's log)"}
			}
		}
		b, err := json.Marshal(v)
		if err != nil {
			h.log.Error("encoding dashboard response", "path", r.URL.Path, "err", err)
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"error":"internal error"}`))
			return
		}
		w.WriteHeader(status)
		w.Write(b)
	}
}

// brand is one brand as the dashboard knows it.
type brand struct {
	name, currency, timezone string
	loc                      *time.Location
	cfg                      *configs.Brand // nil when only in the database
}

// brands lists configured brands, then reconciled brands not configured.
func (h *DashboardHandler) brands(ctx context.Context) ([]brand, error) {
	var out []brand
	seen := map[string]bool{}
	if set := h.config(); set != nil {
		for _, b := range set.Brands {
			loc := b.Location
			if loc == nil {
				loc = time.UTC
			}
			out = append(out, brand{name: b.Name, currency: b.Currency, timezone: b.Timezone, loc: loc, cfg: b})
			seen[b.Name] = true
		}
	}
	states, err := h.src.ReconciledBrands(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range states {
		if !seen[s.Brand] {
			out = append(out, brand{name: s.Brand, currency: s.Currency, timezone: "UTC", loc: time.UTC})
		}
	}
	return out, nil
}

// brandOf resolves the brand parameter; empty picks the first brand.
func (h *DashboardHandler) brandOf(ctx context.Context, r *http.Request) (brand, error) {
	all, err := h.brands(ctx)
	if err != nil {
		return brand{}, err
	}
	name := strings.TrimSpace(r.URL.Query().Get("brand"))
	if len(all) == 0 {
		return brand{}, &dashError{status: http.StatusNotFound, msg: "no brand is configured or reconciled yet"}
	}
	if name == "" {
		return all[0], nil
	}
	for _, b := range all {
		if b.name == name {
			return b, nil
		}
	}
	return brand{}, &dashError{status: http.StatusNotFound, msg: fmt.Sprintf("unknown brand %q", name)}
}

// BrandSummary is a brand in /dashboard/api/brands.
type BrandSummary struct {
	Name     string `json:"name"`
	Currency string `json:"currency"`
	Timezone string `json:"timezone"`
	// FirstDay and LastDay bound the days with activity: spend, revenue,
	// orders or impressions (null without any).
	FirstDay *ads.Date `json:"first_day"`
	LastDay  *ads.Date `json:"last_day"`
	// DefaultFrom and DefaultTo are the default chart range: the last
	// DashboardDefaultDays days up to the latest day with activity, or
	// today when that is earlier or there is none.
	DefaultFrom ads.Date `json:"default_from"`
	DefaultTo   ads.Date `json:"default_to"`
	// NotJudged says why the brand's tests are not being judged now (a
	// sync that failed, never ran or has not finished its first run);
	// empty while they are.
	NotJudged []string `json:"not_judged"`
}

func (h *DashboardHandler) brandsAPI(ctx context.Context, r *http.Request) (any, error) {
	all, err := h.brands(ctx)
	if err != nil {
		return nil, err
	}
	out := []BrandSummary{}
	for _, b := range all {
		s, err := h.summary(ctx, b)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return map[string]any{"brands": out}, nil
}

func (h *DashboardHandler) summary(ctx context.Context, b brand) (BrandSummary, error) {
	s := BrandSummary{Name: b.name, Currency: b.currency, Timezone: b.timezone, NotJudged: []string{}}
	if h.gate != nil {
		why, err := h.gate(ctx, b.name)
		if err != nil {
			return s, err
		}
		s.NotJudged = append(s.NotJudged, why...)
	}
	days, ok, err := h.src.KPIDays(ctx, b.name)
	if err != nil {
		return s, err
	}
	s.DefaultTo = ads.DateOf(h.now(), b.loc)
	if ok {
		s.FirstDay, s.LastDay = &days.From, &days.To
		if days.To.Before(s.DefaultTo) {
			s.DefaultTo = days.To
		}
	}
	s.DefaultFrom = s.DefaultTo.AddDays(-(DashboardDefaultDays - 1))
	return s, nil
}

// Totals are additive measures summed over a range (exact micro-units),
// with display strings and ratios that follow the finance report's
// tie-out rule (package report): the brand total of each amount is its
// exact sum rounded to the currency's minor unit, the creator rows are
// rounded so that they add up to it (ads.Apportion), a variant's amounts
// are rounded on their own, fees are the sum of their rounded parts, and
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

func (t *Totals) add(c store.DailyKPI) {
	t.Spend += c.Spend
	t.PaidRevenue += c.PaidRevenue
	t.OrganicRevenue += c.OrganicRevenue
	t.FlatFees += c.FlatFees
	t.Commission += c.Commission
	t.Bonuses += c.Bonuses
	t.Fees += c.FlatFees + c.Commission + c.Bonuses
	t.PlatformValue += c.PlatformValue
	t.PaidOrders += c.PaidOrders
	t.OrganicOrders += c.OrganicOrders
}

// shown is a row's money as displayed: rounded to the minor unit.
type shown struct{ spend, paid, organic, flat, commission, bonuses, platformValue int64 }

func (p shown) fees() int64 { return p.flat + p.commission + p.bonuses }

// apportion returns the creators' money as displayed and the brand total,
// as the finance report rounds them (ads.Apportion): each total is the
// exact sum rounded to the minor unit, and the rows are rounded so that
// they add up to it.
func apportion(creators []*Series, currency string) ([]shown, shown) {
	unit := ads.MinorToMicros(1, currency)
	rows := make([]shown, len(creators))
	var total shown
	exact := make([]int64, len(creators))
	for _, c := range []struct {
		of  func(t *Totals) int64
		dst func(p *shown) *int64
	}{
		{func(t *Totals) int64 { return t.Spend }, func(p *shown) *int64 { return &p.spend }},
		{func(t *Totals) int64 { return t.PaidRevenue }, func(p *shown) *int64 { return &p.paid }},
		{func(t *Totals) int64 { return t.OrganicRevenue }, func(p *shown) *int64 { return &p.organic }},
		{func(t *Totals) int64 { return t.FlatFees }, func(p *shown) *int64 { return &p.flat }},
		{func(t *Totals) int64 { return t.Commission }, func(p *shown) *int64 { return &p.commission }},
		{func(t *Totals) int64 { return t.Bonuses }, func(p *shown) *int64 { return &p.bonuses }},
		{func(t *Totals) int64 { return t.PlatformValue }, func(p *shown) *int64 { return &p.platformValue }},
	} {
		for i, s := range creators {
			exact[i] = c.of(&s.Totals)
		}
		parts, sum := ads.Apportion(exact, unit)
		for i := range rows {
			*c.dst(&rows[i]) = parts[i]
		}
		*c.dst(&total) = sum
	}
	return rows, total
}

// roundMinor rounds micros to the currency's minor unit, half away from zero.
func roundMinor(v int64, currency string) int64 {
	return ads.MinorToMicros(ads.MicrosToMinor(v, currency), currency)
}

func (t *Totals) shown(currency string) shown {
	r := func(v int64) int64 { return roundMinor(v, currency) }
	return shown{r(t.Spend), r(t.PaidRevenue), r(t.OrganicRevenue), r(t.FlatFees), r(t.Commission), r(t.Bonuses), r(t.PlatformValue)}
}

// show sets the ratios and display strings from the displayed amounts p.
func (t *Totals) show(p shown, currency string) {
	t.ROAS = ratio(p.paid, p.spend)
	t.BlendedROAS = ratio(p.paid+p.organic, p.spend+p.fees())
	t.Display = map[string]string{
		"spend":           formatMoney(p.spend, currency),
		"paid_revenue":    formatMoney(p.paid, currency),
		"organic_revenue": formatMoney(p.organic, currency),
		"revenue":         formatMoney(p.paid+p.organic, currency),
		"fees":            formatMoney(p.fees(), currency),
		"platform_value":  formatMoney(p.platformValue, currency),
		"roas":            formatRatio(p.paid, p.spend),
		"blended_roas":    formatRatio(p.paid+p.organic, p.spend+p.fees()),
	}
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
	cells, err := h.src.DailyKPIs(ctx, b.name, rng.From, rng.To)
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
		t, err := report.TieOut(ctx, sales, b.name, b.currency, rng.From, rng.To, dailyRowsOf(cells, b.currency))
		if err != nil {
			return nil, err
		}
		resp.TieOut = &TieOutView{Title: report.TieOutTitle(rng.From, rng.To, b.timezone),
			Lines: report.TieOutLines(t, resp.Totals.PaidRevenue, resp.Totals.OrganicRevenue)}
	}
	return resp, nil
}

// dailyRowsOf converts the KPI cells in currency cur to daily rows.
func dailyRowsOf(cells []store.DailyKPI, cur string) []reconcile.DailyRow {
	rows := make([]reconcile.DailyRow, 0, len(cells))
	for _, c := range cells {
		if cur == "" || c.Currency == cur {
			rows = append(rows, report.DailyRowOf(c))
		}
	}
	return rows
}

// buildSeries sums KPI cells into per-creator and per-variant daily series.
func buildSeries(b brand, rng ads.DateRange, cells []store.DailyKPI) SeriesResponse {
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
	var total Totals
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
			s.Fees[i] += c.FlatFees + c.Commission + c.Bonuses
			s.Totals.add(c)
		}
		total.add(c)

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
	rows, printed := apportion(resp.Creators, b.currency)
	for i, s := range resp.Creators {
		s.Totals.show(rows[i], b.currency)
	}
	total.show(printed, b.currency)
	resp.Totals = total
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
	wa := a.Totals.Spend + a.Totals.PaidRevenue + a.Totals.OrganicRevenue
	wb := b.Totals.Spend + b.Totals.PaidRevenue + b.Totals.OrganicRevenue
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
	s.Totals.show(s.Totals.shown(currency), currency)
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

// VerdictView is a stored verdict in /dashboard/api/verdicts.
type VerdictView struct {
	TestID     string   `json:"test_id"`
	Creator    string   `json:"creator,omitempty"`
	Subject    string   `json:"subject"`
	Checkpoint string   `json:"checkpoint"`
	Platform   string   `json:"platform"`
	Verdict    string   `json:"verdict"`
	Rule       string   `json:"rule"`
	Reason     string   `json:"reason"`
	DecidedOn  ads.Date `json:"decided_on"`
	Changes    int      `json:"changes"`
	// Latest reports whether this is the subject's latest checkpoint.
	Latest  bool            `json:"latest"`
	Metrics json.RawMessage `json:"metrics,omitempty"`
}

// ActionView is a recorded platform action in /dashboard/api/verdicts.
type ActionView struct {
	TestID     string `json:"test_id"`
	Variant    string `json:"variant"`
	Platform   string `json:"platform"`
	Action     string `json:"action"`
	TargetID   string `json:"target_id"`
	Checkpoint string `json:"checkpoint"`
	Status     string `json:"status"`
	Before     string `json:"before"`
	After      string `json:"after"`
	Error      string `json:"error"`
	// Note says how the outcome was learnt (read back, already done,
	// deferred by a guardrail).
	Note       string     `json:"note,omitempty"`
	ClaimedAt  time.Time  `json:"claimed_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// checkpointDays reads "14d" as 14 (unknown labels sort last).
func checkpointDays(label string) int {
	n, err := strconv.Atoi(strings.TrimSuffix(label, "d"))
	if err != nil {
		return math.MaxInt32
	}
	return n
}

func (h *DashboardHandler) verdictsAPI(ctx context.Context, r *http.Request) (any, error) {
	b, err := h.brandOf(ctx, r)
	if err != nil {
		return nil, err
	}
	rows, err := h.src.Verdicts(ctx, b.name, "")
	if err != nil {
		return nil, err
	}
	creatorOf := map[string]string{}
	if b.cfg != nil {
		for _, t := range b.cfg.Tests {
			creatorOf[t.ID] = t.Creator
		}
	}
	out := make([]VerdictView, len(rows))
	latest := map[[2]string]int{}
	for i, v := range rows {
		out[i] = VerdictView{TestID: v.TestID, Creator: creatorOf[v.TestID], Subject: v.Subject, Checkpoint: v.Checkpoint,
			Platform: v.Platform, Verdict: v.Verdict, Rule: v.Rule, Reason: v.Reason, DecidedOn: v.DecidedOn, Changes: v.Changes}
		if json.Valid(v.Metrics) {
			out[i].Metrics = json.RawMessage(v.Metrics)
		}
		k := [2]string{v.TestID, v.Subject}
		if j, ok := latest[k]; !ok || checkpointDays(v.Checkpoint) > checkpointDays(rows[j].Checkpoint) {
			latest[k] = i
		}
	}
	for _, i := range latest {
		out[i].Latest = true
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.TestID != c.TestID {
			return a.TestID < c.TestID
		}
		if a.Subject != c.Subject {
			return a.Subject < c.Subject
		}
		return checkpointDays(a.Checkpoint) > checkpointDays(c.Checkpoint)
	})
	acts, err := h.src.Actions(ctx, b.name)
	if err != nil {
		return nil, err
	}
	av := []ActionView{}
	for i := len(acts) - 1; i >= 0 && len(av) < maxActions; i-- {
		a := acts[i]
		j := actionJSON(a, nil)
		v := ActionView{TestID: a.TestID, Variant: a.VariantKey, Platform: a.Platform, Action: a.Action, TargetID: a.TargetID,
			Checkpoint: a.Checkpoint, Status: a.Status, Before: a.Before, After: a.After, Error: a.Error, Note: a.Note, ClaimedAt: a.ClaimedAt.UTC()}
		if j.BeforeAmount != "" {
			v.Before = j.BeforeAmount + " " + a.Currency
		}
		if j.AfterAmount != "" {
			v.After = j.AfterAmount + " " + a.Currency
		}
		if !a.FinishedAt.IsZero() {
			t := a.FinishedAt.UTC()
			v.FinishedAt = &t
		}
		av = append(av, v)
	}
	pending := []ApprovalView{}
	for _, a := range acts {
		if a.Status != store.ActionAwaiting {
			continue
		}
		j := actionJSON(a, nil)
		v := ApprovalView{ID: a.ID, TestID: a.TestID, Variant: a.VariantKey, Platform: a.Platform, Action: a.Action, TargetID: a.TargetID,
			Checkpoint: a.Checkpoint, Before: a.Before, Target: a.Target, Approvers: a.ApproverGroup, Reason: a.Reason, ExpiresAt: a.ExpiresAt.UTC()}
		if j.BeforeAmount != "" {
			v.Before = j.BeforeAmount + " " + a.Currency
		}
		if j.TargetAmount != "" {
			v.Target = j.TargetAmount + " " + a.Currency
		}
		pending = append(pending, v)
	}
	return map[string]any{"brand": b.name, "verdicts": out, "actions": av, "pending_approvals": pending}, nil
}

// ApprovalView is an action awaiting approval in /dashboard/api/verdicts
// (tests with `actions: approve`).
type ApprovalView struct {
	ID         int64  `json:"id"`
	TestID     string `json:"test_id"`
	Variant    string `json:"variant"`
	Platform   string `json:"platform"`
	Action     string `json:"action"`
	TargetID   string `json:"target_id"`
	Checkpoint string `json:"checkpoint"`
	// Before and Target are the state read when planned and the target
	// (budgets with their currency).
	Before string `json:"before"`
	Target string `json:"target"`
	// Approvers is the Slack user group whose members may approve.
	Approvers string    `json:"approvers"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PermissionView is a whitelisting permission in
// /dashboard/api/permissions.
type PermissionView struct {
	Platform string `json:"platform"`
	Account  string `json:"account"`
	ID       string `json:"id"`
	// Creator is the configured creator handle the grant belongs to, when
	// known; Handle is the creator's handle on the platform.
	Creator string `json:"creator"`
	Handle  string `json:"handle"`
	ItemID  string `json:"item_id"`
	// Status is the platform's status, or "expired" once ExpiresAt passed.
	Status    string     `json:"status"`
	GrantedAt *time.Time `json:"granted_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	// DaysLeft is whole days until expiry (negative after it; null when
	// the grant has no expiry).
	DaysLeft *int `json:"days_left"`
	// ExpiringSoon reports whether a live grant expires within the
	// permission warning window (reconcile.DefaultPermissionWarning).
	ExpiringSoon bool `json:"expiring_soon"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (h *DashboardHandler) permissionsAPI(ctx context.Context, r *http.Request) (any, error) {
	b, err := h.brandOf(ctx, r)
	if err != nil {
		return nil, err
	}
	now := h.now()
	out := []PermissionView{}
	if b.cfg == nil {
		return map[string]any{"brand": b.name, "permissions": out, "note": "brand is not in the loaded configuration: its accounts are unknown"}, nil
	}
	type acct struct {
		platform ads.Platform
		id       string
	}
	var accts []acct
	for _, p := range []ads.Platform{ads.Meta, ads.TikTok} {
		for _, id := range b.cfg.AdAccounts(p) {
			accts = append(accts, acct{p, id})
		}
	}
	for _, a := range accts {
		ps, err := h.src.Permissions(ctx, a.platform, a.id)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			v := PermissionView{Platform: string(p.Platform), Account: p.Account, ID: p.ID, Handle: p.Creator,
				Creator: creatorFor(b.cfg, p.Platform, p.Creator), ItemID: p.ItemID, Status: string(p.Status),
				GrantedAt: optTime(p.GrantedAt), ExpiresAt: optTime(p.ExpiresAt), RevokedAt: optTime(p.RevokedAt)}
			live := p.Status == ads.PermissionActive || p.Status == ads.PermissionPending
			if !p.ExpiresAt.IsZero() {
				left := p.ExpiresAt.Sub(now)
				d := int(math.Floor(left.Hours() / 24))
				v.DaysLeft = &d
				if left <= 0 && live {
					v.Status = string(ads.PermissionExpired)
					live = false
				}
				v.ExpiringSoon = live && left <= reconcile.DefaultPermissionWarning
			}
			out = append(out, v)
		}
	}
	// Expiring soon first, then other live grants, then dead ones; each
	// by days left (no expiry last), creator and id.
	rank := func(p PermissionView) int {
		switch {
		case p.ExpiringSoon:
			return 0
		case p.Status == string(ads.PermissionExpired) || p.Status == string(ads.PermissionRevoked) || p.RevokedAt != nil:
			return 2
		}
		return 1
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if ra, rc := rank(a), rank(c); ra != rc {
			return ra < rc
		}
		if (a.DaysLeft == nil) != (c.DaysLeft == nil) {
			return a.DaysLeft != nil
		}
		if a.DaysLeft != nil && *a.DaysLeft != *c.DaysLeft {
			return *a.DaysLeft < *c.DaysLeft
		}
		if a.Creator != c.Creator {
			return a.Creator < c.Creator
		}
		return a.ID < c.ID
	})
	return map[string]any{"brand": b.name, "permissions": out, "warning_days": int(reconcile.DefaultPermissionWarning.Hours() / 24)}, nil
}

// creatorFor finds the configured creator whose platform handle is handle.
func creatorFor(b *configs.Brand, p ads.Platform, handle string) string {
	norm := func(s string) string { return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@")) }
	h := norm(handle)
	if h == "" {
		return ""
	}
	for _, c := range b.Creators {
		ph := c.Instagram
		if p == ads.TikTok {
			ph = c.TikTok
		}
		if norm(ph) == h || norm(c.Handle) == h {
			return c.Handle
		}
	}
	return ""
}

// RunView is a job run in /dashboard/api/runs.
type RunView struct {
	ID         int64      `json:"id"`
	Job        string     `json:"job"`
	Scope      string     `json:"scope"`
	Status     string     `json:"status"`
	Attempt    int        `json:"attempt"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	// Duration is the run's wall time, e.g. "1.2s" ("" while running).
	Duration string `json:"duration"`
	Rows     int64  `json:"rows"`
	APICalls int64  `json:"api_calls"`
	Error    string `json:"error"`
}

func (h *DashboardHandler) runsAPI(ctx context.Context, r *http.Request) (any, error) {
	b, err := h.brandOf(ctx, r)
	if err != nil {
		return nil, err
	}
	limit := defaultRuns
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRuns {
			return nil, badRequest("limit %q: want 1..%d", v, maxRuns)
		}
		limit = n
	}
	scopes := []string{"brand:" + b.name}
	if b.cfg != nil {
		scopes = append(scopes, b.cfg.AdAccounts(ads.Meta)...)
		scopes = append(scopes, b.cfg.AdAccounts(ads.TikTok)...)
		scopes = append(scopes, b.cfg.Shops()...)
	}
	runs, err := h.src.RecentRunsIn(ctx, scopes, limit)
	if err != nil {
		return nil, err
	}
	out := make([]RunView, len(runs))
	for i, j := range runs {
		out[i] = RunView{ID: j.ID, Job: j.Job, Scope: j.Scope, Status: j.Status, Attempt: j.Attempt, StartedAt: j.StartedAt.UTC(),
			Rows: j.Rows, APICalls: j.APICalls, Error: platformhttp.Credentials(j.Error)}
		if j.FinishedAt.Valid {
			f := j.FinishedAt.Time.UTC()
			out[i].FinishedAt = &f
			out[i].Duration = f.Sub(j.StartedAt).Round(time.Millisecond).String()
		}
	}
	return map[string]any{"brand": b.name, "runs": out}, nil
}

// *store.DB is the dashboard's source in the daemon.
var _ DashboardSource = (*store.DB)(nil)
