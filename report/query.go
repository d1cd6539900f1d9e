package report

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/platformhttp"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/store"
)

// Query asks for a brand's finance report over [From, To] by one
// dimension (reconcile.ByCreator, ByTest, ByVariant, ByPlatform, ByDay).
// A range left open is resolved in the brand's zone on today's date
// (Service.Now): Month (its first day) asks for that calendar month,
// Last for the Last days through today, From alone for From through
// today, and nothing at all for the month to date.
type Query struct {
	// Brand may be empty when exactly one brand is reconciled.
	Brand    string
	From, To ads.Date
	Month    ads.Date
	Last     int
	By       string
}

// resolve fills in an open range on today (in the brand's zone) and
// returns how it was chosen ("" for explicit dates).
func (q *Query) resolve(today ads.Date) string {
	switch {
	case !q.Month.IsZero():
		q.From = ads.Date{Year: q.Month.Year, Month: q.Month.Month, Day: 1}
		q.To = ads.DateOf(time.Date(q.Month.Year, q.Month.Month+1, 1, 12, 0, 0, 0, time.UTC), time.UTC).AddDays(-1)
		return "month " + q.From.String()[:7]
	case q.Last > 0:
		q.From, q.To = today.AddDays(1-q.Last), today
		if q.Last == 1 {
			return "today"
		}
		return fmt.Sprintf("last %d days", q.Last)
	case q.From.IsZero() && q.To.IsZero():
		q.From, q.To = ads.Date{Year: today.Year, Month: today.Month, Day: 1}, today
		return "month to date"
	case q.To.IsZero():
		q.To = today
		return "to date"
	}
	return ""
}

// Error is a report request failure whose message is safe to show
// to the caller, with the HTTP status it maps to.
type Error struct {
	Status int
	Msg    string
}

// Error implements error.
func (e *Error) Error() string { return e.Msg }

func badQuery(format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

// Service reads finance reports from the reconciled daily KPI cells and
// store sales (the reconcile job writes them), so the CLI and the HTTP API
// print the same numbers.
type Service struct {
	DB *store.DB
	// Now is today's clock for an open range (nil: time.Now); the daemon
	// and `roasd report` pass the jobs' clock (ROASD_NOW).
	Now func() time.Time
}

// Report implements ReportSource.
func (s Service) Report(ctx context.Context, q Query) (reconcile.Report, error) {
	if _, err := reconcile.KeyNames(q.By); err != nil {
		return reconcile.Report{}, &Error{Status: http.StatusBadRequest, Msg: err.Error()}
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return reconcile.Report{}, badQuery("report range %s..%s ends before it starts", q.From, q.To)
	}
	st, err := reconciledBrand(ctx, s.DB, q.Brand)
	if err != nil {
		return reconcile.Report{}, err
	}
	loc := time.UTC
	if st.Timezone != "" {
		if l, err := time.LoadLocation(st.Timezone); err == nil {
			loc = l
		}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	label := q.resolve(ads.DateOf(now(), loc))
	if q.To.Before(q.From) {
		return reconcile.Report{}, badQuery("report range %s..%s ends before it starts", q.From, q.To)
	}
	cells, err := s.DB.KPICells(ctx, st.Brand, q.From, q.To)
	if err != nil {
		return reconcile.Report{}, err
	}
	closes, err := s.closesIn(ctx, st.Brand, q.From, q.To)
	if err != nil {
		return reconcile.Report{}, err
	}
	closed := func(d ads.Date) bool { _, ok := closes[store.MonthOf(d)]; return ok }
	var rows, live, snap []ads.KPICell
	for _, c := range cells {
		if closed(c.Day) {
			live = append(live, c)
			continue
		}
		rows = append(rows, c)
	}
	if len(closes) > 0 {
		// A closed month's days read its snapshot.
		if snap, err = s.DB.ClosedKPIs(ctx, st.Brand, q.From, q.To); err != nil {
			return reconcile.Report{}, err
		}
		rows = append(rows, snap...)
	}
	rep, err := reconcile.Summarize(st.Brand, st.Currency, q.From, q.To, q.By, rows)
	if err != nil {
		return reconcile.Report{}, err
	}
	if rep.Reconciled, err = Freshness(ctx, s.DB, st, nil); err != nil {
		return reconcile.Report{}, err
	}
	rep.MarkProvisional(FinalityOf(st), closed)
	rep.Timezone, rep.Range = st.Timezone, label
	rep.Policies = st.TestPolicies()
	if len(closes) > 0 {
		if err := s.adjust(ctx, &rep, st, closes, snap, live); err != nil {
			return reconcile.Report{}, err
		}
	}
	// The tie-out compares the store's sales now with the cells now: a
	// closed month's report revenue plus its adjustments.
	t, err := TieOut(ctx, s.DB, st.Brand, st.Currency, q.From, q.To, cells)
	if err != nil {
		return reconcile.Report{}, err
	}
	rep.TieOut = &t
	return rep, nil
}

// SalesSource reads what a tie-out block needs; *store.DB satisfies it.
type SalesSource interface {
	// SalesDays lists the brand's store sales of the days in [from, to].
	SalesDays(ctx context.Context, brand string, from, to ads.Date) ([]ads.SalesDay, error)
	// UnconvertedDays lists the brand's held-out orders per day and
	// currency.
	UnconvertedDays(ctx context.Context, brand string, from, to ads.Date) ([]store.UnconvertedDay, error)
}

// TieOut computes the brand's tie-out block over [from, to] (see
// reconcile.TieOut) from its stored store sales and held-out orders and
// its KPI cells of the range.
func TieOut(ctx context.Context, src SalesSource, brand, currency string, from, to ads.Date, cells []ads.KPICell) (reconcile.TieOut, error) {
	days, err := src.SalesDays(ctx, brand, from, to)
	if err != nil {
		return reconcile.TieOut{}, err
	}
	ud, err := src.UnconvertedDays(ctx, brand, from, to)
	if err != nil {
		return reconcile.TieOut{}, err
	}
	var un []reconcile.Unconverted
	at := map[string]int{}
	for _, d := range ud {
		i, ok := at[d.Currency]
		if !ok {
			i = len(un)
			at[d.Currency] = i
			un = append(un, reconcile.Unconverted{Currency: d.Currency, First: d.Day})
		}
		u := &un[i]
		u.Orders += d.Orders
		u.Net += d.Net
		if d.Day.Before(u.First) {
			u.First = d.Day
		}
		if u.Last.Before(d.Day) {
			u.Last = d.Day
		}
	}
	return reconcile.TieOutOf(currency, from, to, days, cells, un), nil
}

// closesIn returns brand's closed months that [from, to] touches, by
// their first day.
func (s Service) closesIn(ctx context.Context, brand string, from, to ads.Date) (map[ads.Date]store.MonthClose, error) {
	all, err := s.DB.ClosedMonths(ctx, brand)
	if err != nil {
		return nil, err
	}
	out := map[ads.Date]store.MonthClose{}
	for _, c := range all {
		if !c.Month.After(to) && !store.MonthEnd(c.Month).Before(from) {
			out[c.Month] = c
		}
	}
	return out, nil
}

// adjust lists the report's closed months and their post-close
// adjustments over the report's days: live against snapshot KPI cells
// and ledger rows, month by month.
func (s Service) adjust(ctx context.Context, rep *reconcile.Report, st store.ReconcileState, closes map[ads.Date]store.MonthClose,
	snap, live []ads.KPICell) error {
	loc := zoneOf(st.Timezone)
	months := make([]ads.Date, 0, len(closes))
	for m := range closes {
		months = append(months, m)
	}
	slices.SortFunc(months, func(a, b ads.Date) int { return a.Compare(b) })
	for _, m := range months {
		rep.Closed = append(rep.Closed, reconcile.ClosedMonth{Month: m, ClosedAt: closes[m].ClosedAt.In(loc)})
		from, to := m, store.MonthEnd(m)
		if from.Before(rep.From) {
			from = rep.From
		}
		if to.After(rep.To) {
			to = rep.To
		}
		in := func(rows []ads.KPICell) []ads.KPICell {
			var out []ads.KPICell
			for _, r := range rows {
				if !r.Day.Before(from) && !r.Day.After(to) {
					out = append(out, r)
				}
			}
			return out
		}
		was, err := s.DB.ClosedLedger(ctx, st.Brand, from, to)
		if err != nil {
			return err
		}
		now, err := s.DB.Ledger(ctx, st.Brand, from, to)
		if err != nil {
			return err
		}
		rep.Adjustments = append(rep.Adjustments, reconcile.PostCloseAdjustments(m, in(snap), in(live), was, now)...)
	}
	return nil
}

// reconcileJob is the reconcile job's name in the run history
// (jobs.StageReconcile); it runs in the scope "brand:NAME".
const reconcileJob = "reconcile"

// RunSource reads the run history; *store.DB satisfies it.
type RunSource interface {
	// LatestRun returns the newest finished run of job in scope.
	LatestRun(ctx context.Context, job, scope string) (store.JobRun, bool, error)
}

// Freshness says how current a brand's reconciled figures are: st is its
// reconcile state, and the figures are stale when the brand's latest
// finished reconcile run failed and began no earlier than st was
// reconciled. Times are in loc, or when nil in the zone st records (UTC
// when none). The failure's text has credentials redacted.
func Freshness(ctx context.Context, src RunSource, st store.ReconcileState, loc *time.Location) (reconcile.Freshness, error) {
	if loc == nil {
		loc = time.UTC
		if st.Timezone != "" {
			if l, err := time.LoadLocation(st.Timezone); err == nil {
				loc = l
			}
		}
	}
	var f reconcile.Freshness
	if !st.ReconciledAt.IsZero() {
		f.At = st.ReconciledAt.In(loc)
	}
	run, ok, err := src.LatestRun(ctx, reconcileJob, "brand:"+st.Brand)
	if err != nil {
		return f, err
	}
	if ok && run.Status != store.RunOK && !run.StartedAt.Before(st.ReconciledAt) {
		f.FailedAt, f.Failure = run.StartedAt.In(loc), platformhttp.Credentials(run.Error)
		if f.Failure == "" {
			f.Failure = run.Status
		}
	}
	return f, nil
}

// FinalityOf is the finality a brand's reconcile recorded (which days may
// still change; zero when it recorded none).
func FinalityOf(st store.ReconcileState) reconcile.Finality {
	return reconcile.Finality{FinalThrough: st.FinalThrough, Why: st.ProvisionalWhy}
}

// Params are a report request's parameters as `roasd report` and
// GET /api/v1/report take them, unparsed.
type Params struct {
	Brand, From, To, Month, Last, By string
}

// ParseQuery reads a report query: brand; a range as from and to
// (YYYY-MM-DD; from alone runs to today), month (YYYY-MM, the calendar
// month) or last (N days through today: "30d" or "30"), or nothing for
// the month to date, today in the brand's zone; by (default creator).
// Its errors are for people.
func ParseQuery(p Params) (Query, error) {
	q := Query{Brand: strings.TrimSpace(p.Brand), By: strings.TrimSpace(p.By)}
	if q.By == "" {
		q.By = reconcile.ByCreator
	}
	if _, err := reconcile.KeyNames(q.By); err != nil {
		return Query{}, badQuery("%v", err)
	}
	from, to := strings.TrimSpace(p.From), strings.TrimSpace(p.To)
	month, last := strings.TrimSpace(p.Month), strings.TrimSpace(p.Last)
	set := 0
	for _, v := range []string{from + to, month, last} {
		if v != "" {
			set++
		}
	}
	if set > 1 {
		return Query{}, badQuery("give one range: from/to, month or last")
	}
	switch {
	case month != "":
		d, err := ads.ParseDate(month + "-01")
		if err != nil || len(month) != 7 {
			return Query{}, badQuery("month %q: want YYYY-MM, e.g. 2026-11", month)
		}
		q.Month = d
	case last != "":
		n, err := strconv.Atoi(strings.TrimSuffix(last, "d"))
		if err != nil || n < 1 || n > 3660 {
			return Query{}, badQuery("last %q: want a number of days, e.g. 30d", last)
		}
		q.Last = n
	case to != "" && from == "":
		return Query{}, badQuery("from is required with to (YYYY-MM-DD)")
	}
	for _, f := range []struct {
		name, v string
		dst     *ads.Date
	}{{"from", from, &q.From}, {"to", to, &q.To}} {
		if f.v == "" {
			continue
		}
		d, err := ads.ParseDate(f.v)
		if err != nil {
			return Query{}, badQuery("%s: %v", f.name, err)
		}
		*f.dst = d
	}
	if !q.To.IsZero() && q.To.Before(q.From) {
		return Query{}, badQuery("to %s is before from %s", q.To, q.From)
	}
	return q, nil
}
