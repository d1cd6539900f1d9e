package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/store"
)

// ParseMonth reads "2026-11" as the month's first day.
func ParseMonth(s string) (ads.Date, error) {
	s = strings.TrimSpace(s)
	d, err := ads.ParseDate(s + "-01")
	if err != nil || len(s) != len("2026-11") {
		return ads.Date{}, badReport("month %q: want YYYY-MM, e.g. 2026-11", s)
	}
	return d, nil
}

// MonthLabel prints a month's first day as "2026-11".
func MonthLabel(first ads.Date) string { return fmt.Sprintf("%04d-%02d", first.Year, int(first.Month)) }

// CloseResult is the outcome of closing a month.
type CloseResult struct {
	store.MonthClose
	// Created is false when the month was already closed: its snapshot
	// is the one taken then, unchanged.
	Created bool
}

// Text says what happened, for people ("closed glowco 2026-11 at …" or
// "glowco 2026-11 was already closed at …; its snapshot is unchanged").
func (r CloseResult) Text() string {
	at := r.ClosedAt.In(zoneOf(r.Timezone)).Format(freshLayoutWeb)
	s := fmt.Sprintf("closed %s %s at %s: its report now reads this snapshot (figures reconciled %s); later changes show as post-close adjustments",
		r.Brand, MonthLabel(r.Month), at, r.ReconciledAt.In(zoneOf(r.Timezone)).Format(freshLayoutWeb))
	if !r.Created {
		s = fmt.Sprintf("%s %s was already closed at %s; its snapshot is unchanged", r.Brand, MonthLabel(r.Month), at)
	}
	if !r.FinalThrough.IsZero() && r.FinalThrough.Before(store.MonthEnd(r.Month)) {
		s += fmt.Sprintf(" (days after %s were still provisional when it was closed)", r.FinalThrough)
	}
	return s
}

const freshLayoutWeb = "2006-01-02 15:04 MST"

func zoneOf(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

// CloseMonth freezes brand's month (store.CloseMonth) for `roasd close`
// and POST /api/v1/close: brand may be empty when exactly one brand is
// reconciled. It refuses (a *ReportError) a month that is not over on now
// in the brand's zone (409), a brand reconciled last before the month
// ended (409: its figures would miss the month's end), and an unknown
// brand (404). Closing a closed month again changes nothing and says so.
func CloseMonth(ctx context.Context, db *store.DB, brand string, month ads.Date, now time.Time, by string) (CloseResult, error) {
	st, err := reconciledBrand(ctx, db, brand)
	if err != nil {
		return CloseResult{}, err
	}
	end := store.MonthEnd(month)
	c, created, err := db.CloseMonth(ctx, st.Brand, month, now, by, func(st store.ReconcileState) error {
		loc := zoneOf(st.Timezone)
		if today := ads.DateOf(now, loc); !today.After(end) {
			return &ReportError{Status: http.StatusConflict, Msg: fmt.Sprintf("%s is not over in %s's zone (%s): it ends %s, so it can be closed from %s",
				MonthLabel(month), st.Brand, loc, end, end.AddDays(1))}
		}
		if last := ads.DateOf(st.ReconciledAt, loc); !last.After(end) {
			return &ReportError{Status: http.StatusConflict, Msg: fmt.Sprintf("%s was last reconciled at %s, before %s ended: run the reconcile (roasd run --once) first",
				st.Brand, st.ReconciledAt.In(loc).Format(freshLayoutWeb), MonthLabel(month))}
		}
		return nil
	})
	if err != nil {
		return CloseResult{}, err
	}
	return CloseResult{MonthClose: c, Created: created}, nil
}

// reconciledBrand is the reconcile state of brand, or of the only
// reconciled brand when brand is empty; a *ReportError when there is
// none or several.
func reconciledBrand(ctx context.Context, db *store.DB, brand string) (store.ReconcileState, error) {
	if brand == "" {
		all, err := db.ReconciledBrands(ctx)
		if err != nil {
			return store.ReconcileState{}, err
		}
		switch len(all) {
		case 0:
			return store.ReconcileState{}, &ReportError{Status: http.StatusNotFound, Msg: "no brand has been reconciled yet"}
		case 1:
			return all[0], nil
		}
		names := make([]string, len(all))
		for i, b := range all {
			names[i] = b.Brand
		}
		return store.ReconcileState{}, badReport("several brands are reconciled (%s): name one", strings.Join(names, ", "))
	}
	st, err := db.ReconcileState(ctx, brand)
	if errors.Is(err, store.ErrNotFound) {
		return store.ReconcileState{}, &ReportError{Status: http.StatusNotFound, Msg: fmt.Sprintf("brand %q has not been reconciled", brand)}
	}
	return st, err
}

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
// optional when one brand is reconciled): it closes the month (CloseMonth,
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
		month, err := ParseMonth(q.Get("month"))
		var res CloseResult
		if err == nil {
			res, err = CloseMonth(r.Context(), db, strings.TrimSpace(q.Get("brand")), month, now(), "api")
		}
		var re *ReportError
		switch {
		case errors.As(err, &re):
			http.Error(w, re.Msg, re.Status)
			return
		case err != nil:
			slog.Error("closing a month", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		a := closeAnswer{Brand: res.Brand, Month: MonthLabel(res.Month), Created: res.Created, ClosedAt: res.ClosedAt,
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
