package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/report"
	"github.com/roasd/roasd/store"
)

// ReportQuery asks for a brand's finance report over [From, To] by one
// dimension (reconcile.ByCreator, ByTest, ByVariant, ByPlatform, ByDay).
type ReportQuery struct {
	// Brand may be empty when exactly one brand is reconciled.
	Brand    string
	From, To ads.Date
	By       string
}

// ReportSource produces finance reports (DBReports reads them from the
// database).
type ReportSource interface {
	// Report returns the report q asks for; a *ReportError when q cannot be
	// answered for a reason the caller can fix.
	Report(ctx context.Context, q ReportQuery) (reconcile.Report, error)
}

// ReportError is a report request failure whose message is safe to show
// to the caller, with the HTTP status it maps to.
type ReportError struct {
	Status int
	Msg    string
}

// Error implements error.
func (e *ReportError) Error() string { return e.Msg }

func badReport(format string, args ...any) error {
	return &ReportError{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

// DBReports reads finance reports from the reconciled daily KPI cells (the
// reconcile job writes them), so the CLI and the HTTP API print the same
// numbers.
type DBReports struct {
	DB *store.DB
}

// Report implements ReportSource.
func (s DBReports) Report(ctx context.Context, q ReportQuery) (reconcile.Report, error) {
	if _, err := reconcile.KeyNames(q.By); err != nil {
		return reconcile.Report{}, &ReportError{Status: http.StatusBadRequest, Msg: err.Error()}
	}
	if q.To.Before(q.From) {
		return reconcile.Report{}, badReport("report range %s..%s ends before it starts", q.From, q.To)
	}
	var st store.ReconcileState
	if q.Brand == "" {
		all, err := s.DB.ReconciledBrands(ctx)
		if err != nil {
			return reconcile.Report{}, err
		}
		switch len(all) {
		case 0:
			return reconcile.Report{}, &ReportError{Status: http.StatusNotFound, Msg: "no brand has been reconciled yet"}
		case 1:
			st = all[0]
		default:
			names := make([]string, len(all))
			for i, b := range all {
				names[i] = b.Brand
			}
			return reconcile.Report{}, badReport("several brands are reconciled (%s): name one", strings.Join(names, ", "))
		}
	} else {
		var err error
		st, err = s.DB.ReconcileState(ctx, q.Brand)
		if errors.Is(err, store.ErrNotFound) {
			return reconcile.Report{}, &ReportError{Status: http.StatusNotFound, Msg: fmt.Sprintf("brand %q has not been reconciled", q.Brand)}
		}
		if err != nil {
			return reconcile.Report{}, err
		}
	}
	cells, err := s.DB.DailyKPIs(ctx, st.Brand, q.From, q.To)
	if err != nil {
		return reconcile.Report{}, err
	}
	rows := make([]reconcile.DailyRow, len(cells))
	for i, k := range cells {
		rows[i] = DailyRowOf(k)
	}
	rep, err := reconcile.Summarize(st.Brand, st.Currency, q.From, q.To, q.By, rows)
	if err != nil {
		return reconcile.Report{}, err
	}
	if rep.Reconciled, err = Freshness(ctx, s.DB, st, nil); err != nil {
		return reconcile.Report{}, err
	}
	rep.MarkProvisional(FinalityOf(st), nil)
	return rep, nil
}

// reconcileJob is the reconcile job's name in the run history
// (scheduler.StageReconcile); it runs in the scope "brand:NAME".
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
		f.FailedAt, f.Failure = run.StartedAt.In(loc), redactCredentials(run.Error)
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

// DailyRowOf converts a stored KPI cell to a reconcile daily row.
func DailyRowOf(k store.DailyKPI) reconcile.DailyRow {
	return reconcile.DailyRow{Day: k.Day, TestID: k.TestID, VariantKey: k.VariantKey, Creator: k.Creator, Platform: k.Platform,
		Currency: k.Currency, Measures: reconcile.Measures{Spend: k.Spend, FlatFees: k.FlatFees, Commission: k.Commission,
			Bonuses: k.Bonuses, PaidRevenue: k.PaidRevenue, OrganicRevenue: k.OrganicRevenue, PaidOrders: k.PaidOrders,
			OrganicOrders: k.OrganicOrders, Redemptions: k.Redemptions, PlatformConversions: k.PlatformConversions,
			PlatformValue: k.PlatformValue, Impressions: k.Impressions, Clicks: k.Clicks, Engagements: k.Engagements, Views: k.Views}}
}

// ParseReportQuery reads a report query from parameters as `roasd report`
// and GET /api/v1/report take them: brand, from and to (YYYY-MM-DD, both
// required), by (default creator). Its errors are for people.
func ParseReportQuery(brand, from, to, by string) (ReportQuery, error) {
	q := ReportQuery{Brand: strings.TrimSpace(brand), By: strings.TrimSpace(by)}
	if q.By == "" {
		q.By = reconcile.ByCreator
	}
	if _, err := reconcile.KeyNames(q.By); err != nil {
		return ReportQuery{}, badReport("%v", err)
	}
	for _, p := range []struct {
		name, v string
		dst     *ads.Date
	}{{"from", from, &q.From}, {"to", to, &q.To}} {
		if strings.TrimSpace(p.v) == "" {
			return ReportQuery{}, badReport("%s is required (YYYY-MM-DD)", p.name)
		}
		d, err := ads.ParseDate(strings.TrimSpace(p.v))
		if err != nil {
			return ReportQuery{}, badReport("%s: %v", p.name, err)
		}
		*p.dst = d
	}
	if q.To.Before(q.From) {
		return ReportQuery{}, badReport("to %s is before from %s", q.To, q.From)
	}
	return q, nil
}

// ReportHandler serves GET /api/v1/report?brand=&from=&to=&by=&format=
// (format csv or json, default json) from src. How current the figures
// are is in the JSON ("reconciled") and, for both formats, in the headers
// X-Roasd-Reconciled ("reconciled through DAY at TIME") and, when the
// brand's latest reconcile failed, X-Roasd-Stale (the warning); which days
// are provisional in X-Roasd-Provisional. Requests must carry
// "Authorization: Bearer <token>" (compared in constant time); without it,
// or when token is empty, the answer is 401. Bad parameters get 400 with a
// message saying what to fix. Other failures are logged (slog default
// logger) and answered 500.
func ReportHandler(src ReportSource, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if !Authorized(r, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="roasd"`)
			http.Error(w, "unauthorized: send Authorization: Bearer <ROASD_API_TOKEN>", http.StatusUnauthorized)
			return
		}
		v := r.URL.Query()
		format := v.Get("format")
		if format == "" {
			format = report.FormatJSON
		}
		if format != report.FormatJSON && format != report.FormatCSV {
			http.Error(w, fmt.Sprintf("format %q: want csv or json", format), http.StatusBadRequest)
			return
		}
		q, err := ParseReportQuery(v.Get("brand"), v.Get("from"), v.Get("to"), v.Get("by"))
		if err == nil {
			var rep reconcile.Report
			if rep, err = src.Report(r.Context(), q); err == nil {
				var buf bytes.Buffer
				if err = report.Write(&buf, format, rep); err == nil {
					if t := rep.Reconciled.String(); t != "" {
						w.Header().Set("X-Roasd-Reconciled", t)
					}
					if rep.Reconciled.Stale() {
						w.Header().Set("X-Roasd-Stale", rep.Reconciled.Warning())
					}
					if t := rep.Finality.String(); t != "" {
						w.Header().Set("X-Roasd-Provisional", t)
					}
					if format == report.FormatCSV {
						w.Header().Set("Content-Type", "text/csv; charset=utf-8")
						w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="roasd-%s-%s-%s-by-%s.csv"`,
							rep.Brand, rep.From, rep.To, rep.By))
					} else {
						w.Header().Set("Content-Type", "application/json")
					}
					w.Write(buf.Bytes())
					return
				}
			}
		}
		var re *ReportError
		if errors.As(err, &re) {
			http.Error(w, re.Msg, re.Status)
			return
		}
		slog.Error("serving report", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	})
}
