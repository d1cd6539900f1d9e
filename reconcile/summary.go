package reconcile

import (
	"fmt"
	"sort"
	"time"

	"github.com/roasd/roasd/ads"
)

// Report dimensions (the --by of `roasd report`).
const (
	ByCreator  = "creator"
	ByTest     = "test"
	ByVariant  = "variant"
	ByPlatform = "platform"
	ByDay      = "day"
)

// Dimensions lists the valid report dimensions.
var Dimensions = []string{ByCreator, ByTest, ByVariant, ByPlatform, ByDay}

// Report is a brand's KPIs over a range of days, one row per value of
// a dimension, with a totals row that is exactly the sum of the rows.
type Report struct {
	Brand    string
	Currency string
	From, To ads.Date
	By       string
	// KeyNames names the key columns: ["creator"], ["test"],
	// ["test","variant"], ["platform"] or ["day"].
	KeyNames []string
	Rows     []ReportRow
	Total    ReportRow
	// Reconciled says how current the figures are (zero when unknown;
	// Summarize leaves it to the caller, who knows the reconcile state).
	Reconciled Freshness
	// Finality says which days may still change (zero when unknown); set
	// it with MarkProvisional, which marks the rows.
	Finality Finality
	// Timezone is the brand's reporting zone, its days' zone ("" when
	// unknown); Range says how the range was chosen ("month to date",
	// "month 2026-11", "last 30 days"; "" for explicit dates); Policies
	// are the attribution policy of each test the figures were
	// reconciled with. Summarize leaves them to the caller.
	Timezone string
	Range    string
	Policies []ads.TestPolicy
	// TieOut is the brand-level reconciliation with the store (nil when
	// the caller has none).
	TieOut *TieOut
	// Closed lists the closed months the range touches: the figures of
	// their days are the snapshot taken at close (the caller reads it).
	Closed []ClosedMonth
	// Adjustments are what changed in those months' days of the range
	// since their close (PostCloseAdjustments); they are not in Rows or
	// Total, which keep the closed figures.
	Adjustments []Adjustment
}

// ClosedMonth is a closed month a report touches.
type ClosedMonth struct {
	// Month is its first day.
	Month ads.Date
	// ClosedAt is when it was closed (in the brand's zone).
	ClosedAt time.Time
}

// Label is "2026-11".
func (c ClosedMonth) Label() string {
	return fmt.Sprintf("%04d-%02d", c.Month.Year, int(c.Month.Month))
}

// MarkProvisional records f and marks the rows and the total that may
// still change: by day, each day after f.FinalThrough; along any other
// dimension every row when the range holds such a day (its figures are
// totals over the range). Days of closed months (closed) are final: their
// figures are a snapshot, and what changes later is an adjustment.
func (r *Report) MarkProvisional(f Finality, closed func(ads.Date) bool) {
	r.Finality = f
	open := func(d ads.Date) bool { return f.Provisional(d) && (closed == nil || !closed(d)) }
	anyOpen := false
	for d := r.From; !d.After(r.To); d = d.AddDays(1) {
		if open(d) {
			anyOpen = true
			break
		}
	}
	r.Total.Provisional = anyOpen
	for i := range r.Rows {
		row := &r.Rows[i]
		row.Provisional = anyOpen
		if r.By == ByDay && len(row.Key) == 1 {
			if d, err := ads.ParseDate(row.Key[0]); err == nil {
				row.Provisional = open(d)
			}
		}
	}
}

// Freshness says how current a report's figures are: when the brand's
// ledger was last reconciled, and whether a reconcile failed since — the
// figures are then older than the data (orders placed since are missing)
// and every report says so.
type Freshness struct {
	// At is when the ledger was last reconciled (the jobs' now), in the
	// brand's time zone; zero when unknown.
	At time.Time
	// FailedAt is when the brand's latest reconcile, which failed,
	// started (in the brand's zone); zero when the latest did not fail.
	FailedAt time.Time
	// Failure is that reconcile's error.
	Failure string
}

// Stale reports whether the brand's latest reconcile failed, so the
// figures are those of an earlier one.
func (f Freshness) Stale() bool { return !f.FailedAt.IsZero() }

// freshLayout prints an instant as "2026-11-19 at 14:05 EST".
const freshLayout = "2006-01-02 at 15:04 MST"

// String is "reconciled through 2026-11-19 at 14:05 EST" ("" when At is
// zero).
func (f Freshness) String() string {
	if f.At.IsZero() {
		return ""
	}
	return "reconciled through " + f.At.Format(freshLayout)
}

// Warning says that the latest reconcile failed and what the figures are
// instead ("" when it did not fail).
func (f Freshness) Warning() string {
	if !f.Stale() {
		return ""
	}
	w := "the latest reconcile, at " + f.FailedAt.Format(freshLayout) + ", failed"
	if f.Failure != "" {
		w += " (" + f.Failure + ")"
	}
	if f.At.IsZero() {
		return w + ": these figures may be stale"
	}
	return w + ": these figures are stale, " + f.String()
}

// ReportRow is one row of a report.
type ReportRow struct {
	// Key holds one value per Report.KeyNames; "" means none (organic
	// revenue and fees have no variant or platform; organic revenue outside
	// any test window has no test). The totals row's Key is nil.
	Key []string
	// Creators counts the distinct creators with attributed revenue in the
	// row (revenue per creator = Revenue / Creators).
	Creators int64
	// Provisional reports whether the row's figures may still change (see
	// Report.MarkProvisional).
	Provisional bool
	ads.KPI
}

// keyOf returns the key of a daily row along dimension by. An
// unattributed cell (ads.KPICell) is Unattributed as creator, test and
// variant, and as platform when it has none (unclaimed orders); the spend
// of an ad that runs no declared variant stays on its platform, so the
// by-platform view ties to the platforms' spend.
func keyOf(by string, r ads.KPICell) []string {
	if r.Creator == Unattributed {
		switch by {
		case ByVariant:
			return []string{Unattributed, Unattributed}
		case ByPlatform:
			if r.Platform == "" {
				return []string{Unattributed}
			}
		}
	}
	switch by {
	case ByCreator:
		return []string{r.Creator}
	case ByTest:
		return []string{r.TestID}
	case ByVariant:
		if r.VariantKey == "" {
			return []string{r.TestID, ""}
		}
		return []string{r.TestID, r.VariantKey}
	case ByPlatform:
		return []string{string(r.Platform)}
	}
	return []string{r.Day.String()}
}

// KeyNames returns the key columns of dimension by, or an error naming the
// valid dimensions.
func KeyNames(by string) ([]string, error) {
	switch by {
	case ByCreator, ByTest, ByPlatform, ByDay:
		return []string{by}, nil
	case ByVariant:
		return []string{"test", "variant"}, nil
	}
	return nil, fmt.Errorf("unknown report dimension %q (want creator, test, variant, platform or day)", by)
}

// Summarize groups the daily rows of [from, to] by dimension by. Rows are
// ordered by key, with Unattributed keys after the others and empty
// ("none") keys last; the totals row sums the rows field by field, so it
// includes what no creator claims (unattributed spend and orders) in every
// dimension.
func Summarize(brand, currency string, from, to ads.Date, by string, daily []ads.KPICell) (Report, error) {
	names, err := KeyNames(by)
	if err != nil {
		return Report{}, err
	}
	if to.Before(from) {
		return Report{}, fmt.Errorf("report range %s..%s ends before it starts", from, to)
	}
	rep := Report{Brand: brand, Currency: currency, From: from, To: to, By: by, KeyNames: names}
	rng := ads.DateRange{From: from, To: to}
	type group struct {
		key      []string
		m        ads.KPI
		creators map[string]bool
	}
	groups := map[string]*group{}
	all := map[string]bool{}
	for _, r := range daily {
		if !rng.Contains(r.Day) {
			continue
		}
		if rep.Currency == "" {
			rep.Currency = r.Currency
		}
		if r.Currency != rep.Currency {
			return Report{}, fmt.Errorf("summarizing %s: rows in %s and %s: %w", brand, rep.Currency, r.Currency, ads.ErrCurrencyMismatch)
		}
		k := keyOf(by, r)
		id := fmt.Sprintf("%q", k)
		g := groups[id]
		if g == nil {
			g = &group{key: k, creators: map[string]bool{}}
			groups[id] = g
		}
		g.m = g.m.Add(r.KPI)
		if r.Creator != "" && r.Creator != Unattributed && r.Revenue() != 0 {
			g.creators[r.Creator] = true
			all[r.Creator] = true
		}
	}
	for _, g := range groups {
		rep.Rows = append(rep.Rows, ReportRow{Key: g.key, Creators: int64(len(g.creators)), KPI: g.m})
	}
	sort.Slice(rep.Rows, func(i, j int) bool { return keyLess(rep.Rows[i].Key, rep.Rows[j].Key) })
	for _, r := range rep.Rows {
		rep.Total.KPI = rep.Total.KPI.Add(r.KPI)
	}
	rep.Total.Creators = int64(len(all))
	return rep, nil
}

// keyLess orders keys component-wise, Unattributed after any named
// component and an empty component after any other.
func keyLess(a, b []string) bool {
	rank := func(k string) int {
		switch k {
		case "":
			return 2
		case Unattributed:
			return 1
		}
		return 0
	}
	for i := range min(len(a), len(b)) {
		if a[i] == b[i] {
			continue
		}
		if ra, rb := rank(a[i]), rank(b[i]); ra != rb {
			return ra < rb
		}
		return a[i] < b[i]
	}
	return len(a) < len(b)
}
