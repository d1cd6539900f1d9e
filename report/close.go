package report

import (
	"context"
	"errors"
	"fmt"
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
		return ads.Date{}, badQuery("month %q: want YYYY-MM, e.g. 2026-11", s)
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
// reconciled. It refuses (a *Error) a month that is not over on now
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
			return &Error{Status: http.StatusConflict, Msg: fmt.Sprintf("%s is not over in %s's zone (%s): it ends %s, so it can be closed from %s",
				MonthLabel(month), st.Brand, loc, end, end.AddDays(1))}
		}
		if last := ads.DateOf(st.ReconciledAt, loc); !last.After(end) {
			return &Error{Status: http.StatusConflict, Msg: fmt.Sprintf("%s was last reconciled at %s, before %s ended: run the reconcile (roasd run --once) first",
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
// reconciled brand when brand is empty; a *Error when there is
// none or several.
func reconciledBrand(ctx context.Context, db *store.DB, brand string) (store.ReconcileState, error) {
	if brand == "" {
		all, err := db.ReconciledBrands(ctx)
		if err != nil {
			return store.ReconcileState{}, err
		}
		switch len(all) {
		case 0:
			return store.ReconcileState{}, &Error{Status: http.StatusNotFound, Msg: "no brand has been reconciled yet"}
		case 1:
			return all[0], nil
		}
		names := make([]string, len(all))
		for i, b := range all {
			names[i] = b.Brand
		}
		return store.ReconcileState{}, badQuery("several brands are reconciled (%s): name one", strings.Join(names, ", "))
	}
	st, err := db.ReconcileState(ctx, brand)
	if errors.Is(err, store.ErrNotFound) {
		return store.ReconcileState{}, &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("brand %q has not been reconciled", brand)}
	}
	return st, err
}
