package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/report"
	"github.com/roasd/roasd/store"
)

// TestCloseHandler: POST /api/v1/close needs the bearer token, a month
// (YYYY-MM) that is over in the brand's zone and a brand reconciled after
// it; it answers 201 with the close, 200 with the same close when asked
// again, and the month's report then carries the close.
func TestCloseHandler(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	seedKPIs(t, db, "glowco", "lunaskin")
	// glowco was reconciled on 07-01 in New York (06-30 late evening UTC−4 is
	// still June there: use a time clearly in July).
	st, err := db.ReconcileState(ctx, "glowco")
	if err != nil {
		t.Fatal(err)
	}
	st.Timezone, st.ReconciledAt = "America/New_York", time.Date(2026, 7, 1, 16, 0, 0, 0, time.UTC)
	if _, err := db.ReplaceReconciled(ctx, store.ReconcileWrite{Brand: "glowco", Days: []ads.Date{}, State: st}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 7, 2, 3, 0, 0, 0, time.UTC) // 07-01 23:00 in New York
	srv := httptest.NewServer(CloseHandler(db, apiToken, func() time.Time { return now }))
	t.Cleanup(srv.Close)
	post := func(method, query, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/api/v1/close?"+query, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		method, query, token string
		status               int
		says                 string
	}{
		{"POST", "brand=glowco&month=2026-06", "", 401, "unauthorized"},
		{"POST", "brand=glowco&month=2026-06", "wrong", 401, "unauthorized"},
		{"GET", "brand=glowco&month=2026-06", apiToken, 405, "method not allowed"},
		{"POST", "brand=glowco&month=2026-6", apiToken, 400, `month "2026-6": want YYYY-MM`},
		{"POST", "month=2026-06", apiToken, 400, "several brands are reconciled (glowco, lunaskin): name one"},
		{"POST", "brand=nobody&month=2026-06", apiToken, 404, `brand "nobody" has not been reconciled`},
		{"POST", "brand=glowco&month=2026-07", apiToken, 409, "2026-07 is not over in glowco's zone (America/New_York)"},
		{"POST", "brand=lunaskin&month=2026-06", apiToken, 409, "lunaskin was last reconciled at 0001-01-01"},
		{"POST", "brand=glowco&month=2026-06", apiToken, 201, `"created":true`},
		{"POST", "brand=glowco&month=2026-06", apiToken, 200, `"created":false`},
	}
	for _, tc := range tests {
		status, body := post(tc.method, tc.query, tc.token)
		if status != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s %s (token %q): %d %q, want %d saying %q", tc.method, tc.query, tc.token, status, body, tc.status, tc.says)
		}
	}
	var a closeAnswer
	_, body := post("POST", "brand=glowco&month=2026-06", apiToken)
	if err := json.Unmarshal([]byte(body), &a); err != nil || a.Month != "2026-06" || !a.ClosedAt.Equal(now) || !strings.Contains(a.Text, "already closed at 2026-07-01 23:00 EDT") {
		t.Errorf("answer %+v (%v)", a, err)
	}
	rep, err := report.Service{DB: db}.Report(ctx, report.Query{Brand: "glowco", From: ads.MustDate("2026-06-01"), To: ads.MustDate("2026-06-02"), By: "creator"})
	if err != nil || len(rep.Closed) != 1 || len(rep.Adjustments) != 0 || rep.Total.Spend != ads.MustMicros("40") {
		t.Errorf("June's report after the close: closed %v, adjustments %v, spend %d (%v)", rep.Closed, rep.Adjustments, rep.Total.Spend, err)
	}
}
