package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/report"
)

// ReportSource produces finance reports (report.Service reads them from the
// database).
type ReportSource interface {
	// Report returns the report q asks for; a *report.Error when q cannot be
	// answered for a reason the caller can fix.
	Report(ctx context.Context, q report.Query) (reconcile.Report, error)
}

// ReportHandler serves GET /api/v1/report?brand=&from=&to=&month=&last=&by=&format=
// (format csv or json, default json) from src; the range defaults as
// report.ParseQuery says (the month to date in the brand's zone). How current the figures
// are is in the JSON ("reconciled") and, for both formats, in the headers
// X-Roasd-Reconciled ("reconciled through DAY at TIME") and, when the
// brand's latest reconcile failed, X-Roasd-Stale (the warning); which days
// are provisional in X-Roasd-Provisional; how many post-close adjustment
// lines closed months in the range have in X-Roasd-Adjustments, which
// view=adjustments serves alone (report.WriteAdjustments). Requests must carry
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
		q, err := report.ParseQuery(report.Params{Brand: v.Get("brand"), From: v.Get("from"), To: v.Get("to"),
			Month: v.Get("month"), Last: v.Get("last"), By: v.Get("by")})
		if err == nil {
			var rep reconcile.Report
			if rep, err = src.Report(r.Context(), q); err == nil {
				var buf bytes.Buffer
				write := report.Write
				if v.Get("view") == "adjustments" {
					write = report.WriteAdjustments
				}
				if n := len(rep.Adjustments); n > 0 {
					w.Header().Set("X-Roasd-Adjustments", strconv.Itoa(n))
				}
				if err = write(&buf, format, rep); err == nil {
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
		var re *report.Error
		if errors.As(err, &re) {
			http.Error(w, re.Msg, re.Status)
			return
		}
		slog.Error("serving report", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	})
}
