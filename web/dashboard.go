package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
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
	// KPICells lists the brand's KPI cells with day in [from, to].
	KPICells(ctx context.Context, brand string, from, to ads.Date) ([]ads.KPICell, error)
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

// *store.DB is the dashboard's source in the daemon.
var _ DashboardSource = (*store.DB)(nil)
