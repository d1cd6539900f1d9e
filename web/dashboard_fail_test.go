package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/storetest"
)

// TestDashboardPanelsSayWhy: a panel whose request fails says so in its
// own place (the others are still drawn), and panels without data say
// there is none, instead of staying empty.
func TestDashboardPanelsSayWhy(t *testing.T) {
	t.Parallel()
	bin := chromiumPath(t)
	db := storetest.Open(t)
	seedDashboard(t, db)
	set := dashConfig(t)
	dash := Dashboard(db, func() *configs.Set { return set }, nil).WithClock(func() time.Time { return dashNow })
	// The permissions request fails as a broken proxy or database would.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/dashboard/api/permissions" {
			http.Error(w, `{"error":"database is unreachable"}`, http.StatusServiceUnavailable)
			return
		}
		dash.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// A range long before the data: no spend, revenue or variants in it.
	dom, err := runChromium(ctx, t, bin, srv.URL+"/?brand=glowco&from=2025-01-01&to=2025-01-31", "--dump-dom")
	if err != nil {
		t.Fatal(err)
	}
	page := string(dom)
	if !strings.Contains(page, `data-state="partial"`) {
		t.Errorf("body data-state is not partial:\n%.2000s", page)
	}
	for _, want := range []string{
		`data-failed="permissions"`,
		"Could not load permissions: database is unreachable",
		"No spend or revenue in this range.",
		"No variant has spend in this range.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// The other panels were drawn.
	es := elements(page)
	if rows := find(es, "tr", map[string]string{"data-test": "summer-serum-hooks", "data-subject": "hook-a", "data-checkpoint": "30d"}); len(rows) != 1 {
		t.Errorf("verdicts were not drawn beside the failed panel")
	}
	if rows := find(es, "tr", map[string]string{"data-job": "tiktok.insights"}); len(rows) == 0 {
		t.Errorf("job runs were not drawn beside the failed panel")
	}
}
