package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/store"
)

func TestKPIDays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	if _, ok, err := db.KPIDays(ctx, "glowco"); err != nil || ok {
		t.Fatalf("KPIDays of an empty brand = ok %v, err %v; want not ok, nil", ok, err)
	}
	cells := []ads.KPICell{
		{Day: ads.MustDate("2026-06-03"), Creator: "jacq", Currency: "USD", KPI: ads.KPI{Spend: 1}},
		{Day: ads.MustDate("2026-06-01"), Creator: "jacq", Currency: "USD", KPI: ads.KPI{Spend: 2}},
		{Day: ads.MustDate("2026-06-09"), Creator: "sam", Currency: "USD", KPI: ads.KPI{Spend: 3}},
		{Day: ads.MustDate("2026-06-10"), Creator: "sam", Currency: "USD", KPI: ads.KPI{PaidOrders: 1}},
		// Amortized fees of days to come are not activity.
		{Day: ads.MustDate("2026-06-20"), Creator: "sam", Currency: "USD", KPI: ads.KPI{FlatFees: 4}},
		{Day: ads.MustDate("2026-05-01"), Creator: "jacq", Currency: "USD", KPI: ads.KPI{FlatFees: 4}},
	}
	for _, w := range []store.ReconcileWrite{
		{Brand: "glowco", Full: true, Daily: cells, State: store.ReconcileState{Currency: "USD"}},
		{Brand: "other", Full: true, Daily: []ads.KPICell{{Day: ads.MustDate("2026-07-20"), Currency: "EUR"}}, State: store.ReconcileState{Currency: "EUR"}},
	} {
		if _, err := db.ReplaceReconciled(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	r, ok, err := db.KPIDays(ctx, "glowco")
	if err != nil || !ok {
		t.Fatalf("KPIDays = ok %v, err %v", ok, err)
	}
	if want := (ads.DateRange{From: ads.MustDate("2026-06-01"), To: ads.MustDate("2026-06-10")}); r != want {
		t.Errorf("KPIDays = %v, want %v", r, want)
	}
}

func TestRecentRunsIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	t0 := time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC)
	runs := []struct{ job, scope string }{
		{"meta.ads", "act_1"}, {"reconcile", "brand:glowco"}, {"meta.ads", "act_2"}, {"verdicts", "brand:glowco"}, {"reconcile", "brand:other"},
	}
	for i, r := range runs {
		id, err := db.StartRun(ctx, r.job, r.scope, "rep", 1, t0.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FinishRun(ctx, id, store.RunOK, 1, 0, "", t0.Add(time.Duration(i)*time.Minute+time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		scopes []string
		limit  int
		want   []string
	}{
		{"brand scopes newest first", []string{"act_1", "brand:glowco"}, 10, []string{"verdicts", "reconcile", "meta.ads"}},
		{"limit", []string{"act_1", "brand:glowco"}, 2, []string{"verdicts", "reconcile"}},
		{"no scopes", nil, 10, nil},
		{"unknown scope", []string{"act_9"}, 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.RecentRunsIn(ctx, tc.scopes, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var jobs []string
			for _, r := range got {
				jobs = append(jobs, r.Job)
				if r.StartedAt.Location() != time.UTC || !r.FinishedAt.Valid {
					t.Errorf("run %d: started %v finished %v, want UTC and finished", r.ID, r.StartedAt, r.FinishedAt)
				}
			}
			if len(jobs) != len(tc.want) {
				t.Fatalf("RecentRunsIn(%v, %d) = %v, want %v", tc.scopes, tc.limit, jobs, tc.want)
			}
			for i := range jobs {
				if jobs[i] != tc.want[i] {
					t.Fatalf("RecentRunsIn(%v, %d) = %v, want %v", tc.scopes, tc.limit, jobs, tc.want)
				}
			}
		})
	}
}
