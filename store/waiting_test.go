package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/roasd/roasd/store"
)

// TestWaitingRun follows a run that waits for a first-sync slot: it is
// neither finished nor failed while it waits (RunStates, LatestRun,
// FailStreaks), becomes the running attempt when it starts, and is
// removed when it never starts (dropped, or its replica stopped).
func TestWaitingRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	t0 := time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC)
	key := store.RunKey{Job: "shopify.orders", Scope: "glowco.myshopify.com"}
	// An earlier failed run, so a waiting run that counted as finished
	// or failed would show.
	id0, err := db.StartRun(ctx, key.Job, key.Scope, "r1", 1, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(ctx, id0, store.RunFailed, 0, 0, "boom", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	state := func() store.RunState {
		t.Helper()
		st, err := db.RunStates(ctx, []store.RunKey{key})
		if err != nil {
			t.Fatal(err)
		}
		return st[0]
	}
	streak := func() int {
		t.Helper()
		s, err := db.FailStreaks(ctx, []store.RunKey{key})
		if err != nil {
			t.Fatal(err)
		}
		return s[key].Runs
	}

	id, err := db.WaitRun(ctx, key.Job, key.Scope, "r1", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if st := state(); !st.Waiting || st.Running || st.Latest.ID != id0 {
		t.Errorf("while waiting: state = %+v; want waiting, not running, latest finished run %d", st, id0)
	}
	if run, ok, err := db.LatestRun(ctx, key.Job, key.Scope); err != nil || !ok || run.ID != id0 {
		t.Errorf("LatestRun while waiting = %v, %v, %v; want run %d", run.ID, ok, err, id0)
	}
	if n := streak(); n != 1 {
		t.Errorf("fail streak while waiting = %d runs, want 1 (the failed one)", n)
	}
	runs, err := db.RecentRuns(ctx, key.Job, 10)
	if err != nil || len(runs) != 2 || runs[0].Status != store.RunWaiting {
		t.Fatalf("RecentRuns = %+v, %v; want the waiting run first", runs, err)
	}

	started := t0.Add(5 * time.Minute)
	if err := db.StartWaitedRun(ctx, id, started); err != nil {
		t.Fatal(err)
	}
	if st := state(); st.Waiting || !st.Running {
		t.Errorf("once started: state = %+v; want running", st)
	}
	if err := db.StartWaitedRun(ctx, id, started); err == nil {
		t.Error("starting a run that no longer waits succeeded")
	}
	if err := db.FinishRun(ctx, id, store.RunOK, 3, 2, "", started.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	runs, err = db.RecentRuns(ctx, key.Job, 10)
	if err != nil || len(runs) != 2 || runs[0].ID != id || runs[0].Status != store.RunOK || !runs[0].StartedAt.Equal(started) || runs[0].Attempt != 1 {
		t.Fatalf("RecentRuns after the wait = %+v, %v; want run %d ok, started %v, attempt 1", runs, err, id, started)
	}

	// Dropped (cancelled while waiting, or another replica runs it).
	dropped, err := db.WaitRun(ctx, key.Job, key.Scope, "r1", t0.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DropWaitingRun(ctx, dropped); err != nil {
		t.Fatal(err)
	}
	// Left waiting by a replica that stopped: removed, not abandoned.
	if _, err := db.WaitRun(ctx, key.Job, key.Scope, "r1", t0.Add(11*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, err := db.AbandonRuns(ctx, "r1", t0.Add(12*time.Minute)); err != nil || n != 0 {
		t.Errorf("AbandonRuns = %d, %v; want 0 abandoned (a waiting run never started)", n, err)
	}
	runs, err = db.RecentRuns(ctx, key.Job, 10)
	if err != nil || len(runs) != 2 {
		t.Errorf("RecentRuns after drop and stop = %d runs, %v; want the 2 that ran", len(runs), err)
	}
	if st := state(); st.Waiting || st.Running || st.Latest.ID != id || !st.EverOK {
		t.Errorf("at the end: state = %+v; want latest run %d ok, nothing waiting", st, id)
	}
}
