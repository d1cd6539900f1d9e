package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/report"
	"github.com/roasd/roasd/store"
)

// closeAnswer is POST /api/v1/close's JSON answer.
type closeAnswer struct {
	Brand        string    `json:"brand"`
	Month        string    `json:"month"`
	Created      bool      `json:"created"`
	ClosedAt     time.Time `json:"closed_at"`
	ReconciledAt time.Time `json:"reconciled_at"`
	FinalThrough *ads.Date `json:"final_through,omitempty"`
	Text         string    `json:"text"`
}

// CloseHandler serves POST /api/v1/close?brand=&month=YYYY-MM (brand
// optional when one brand is reconciled): it closes the month (report.CloseMonth,
// on the clock now) and answers JSON {brand, month, created, closed_at,
// reconciled_at, final_through, text} — 201 when it closed it, 200 when it
// was closed already (same snapshot). Requests must carry the bearer
// token (401 otherwise, and always when token is empty); refusals get
// their status (400, 404, 409) and a message.
func CloseHandler(db *store.DB, token string, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if !Authorized(r, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="roasd"`)
			http.Error(w, "unauthorized: send Authorization: Bearer <ROASD_API_TOKEN>", http.StatusUnauthorized)
			return
		}
		q := r.URL.Query()
		month, err := report.ParseMonth(q.Get("month"))
		var res report.CloseResult
		if err == nil {
			res, err = report.CloseMonth(r.Context(), db, strings.TrimSpace(q.Get("brand")), month, now(), "api")
		}
		var re *report.Error
		switch {
		case errors.As(err, &re):
			http.Error(w, re.Msg, re.Status)
			return
		case err != nil:
			slog.Error("closing a month", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		a := closeAnswer{Brand: res.Brand, Month: report.MonthLabel(res.Month), Created: res.Created, ClosedAt: res.ClosedAt,
			ReconciledAt: res.ReconciledAt, Text: res.Text()}
		if !res.FinalThrough.IsZero() {
			a.FinalThrough = &res.FinalThrough
		}
		w.Header().Set("Content-Type", "application/json")
		if res.Created {
			w.WriteHeader(http.StatusCreated)
		}
		json.NewEncoder(w).Encode(a)
	})
}
