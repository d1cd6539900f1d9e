package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/store"
)

// TestVerdictsWaitForAFailedReconcile: a brand whose latest reconcile
// failed is not judged (its KPI cells may be older than its data), and is
// again once a reconcile succeeds.
func TestVerdictsWaitForAFailedReconcile(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	set, err := configs.LoadExamples()
	if err != nil {
		t.Fatal(err)
	}
	b := set.Brands[0]
	d := &Deps{DB: db}
	record := func(status string, at time.Time) {
		t.Helper()
		id, err := db.StartRun(ctx, StageReconcile, "brand:"+b.Name, "r1", 1, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FinishRun(ctx, id, status, 0, 0, "boom", at.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 11, 19, 17, 0, 0, 0, time.UTC)
	record(store.RunFailed, t0)
	failed, err := d.failedSyncs(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || !strings.Contains(failed[0], "reconcile brand:"+b.Name) {
		t.Fatalf("failed = %v, want the brand's reconcile", failed)
	}
	record(store.RunOK, t0.Add(time.Minute))
	if failed, err := d.failedSyncs(ctx, b); err != nil || len(failed) != 0 {
		t.Fatalf("after a good reconcile: failed = %v, %v; want none", failed, err)
	}
}
