package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/store"
)

// firstSyncRig runs synthetic sync jobs, two lanes per brand (an ad
// account and a shop), each a first sync while its cursor in the real
// database is empty, and counts how many brands are inside their first
// sync at once.
type firstSyncRig struct {
	db     *store.DB
	runner *Runner
	slots  *Slots

	mu       sync.Mutex
	inside   map[string]int // brand → its jobs inside Run now
	max      int            // most brands inside at once
	entered  chan string    // a job's brand, as it enters Run
	waits    chan string    // a job's brand, as it starts waiting
	gate     chan struct{}  // Run blocks until it is closed
	gateOnce sync.Once
}

func newFirstSyncRig(t *testing.T, limit int) *firstSyncRig {
	t.Helper()
	db := openDB(t)
	rg := &firstSyncRig{db: db, slots: NewSlots(limit), inside: map[string]int{},
		entered: make(chan string, 100), waits: make(chan string, 100), gate: make(chan struct{})}
	rg.runner = newRunner(db, "r1")
	rg.runner.FirstSyncs = rg.slots
	rg.slots.OnWait(func(b string) { rg.waits <- b })
	return rg
}

func (rg *firstSyncRig) open() { rg.gateOnce.Do(func() { close(rg.gate) }) }

// synced reports whether the synthetic job name of scope stored its cursor
// (an insights job its last day, an order sync its high-water mark).
func (rg *firstSyncRig) synced(ctx context.Context, name, scope string) (bool, error) {
	if name == "shopify.orders" {
		mark, err := rg.db.OrdersMark(ctx, scope)
		return !mark.IsZero(), err
	}
	_, ok, err := rg.db.InsightsPulled(ctx, ads.Meta, scope)
	return ok, err
}

// sync stores the synthetic job's cursor.
func (rg *firstSyncRig) sync(ctx context.Context, name, scope string) error {
	if name == "shopify.orders" {
		return rg.db.SetOrdersMark(ctx, scope, time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC))
	}
	return rg.db.SetInsightsPulled(ctx, ads.Meta, scope, ads.MustDate("2026-06-10"))
}

// jobs are brand's two sync lanes; a run stores its cursor, so the next
// run of the job is steady.
func (rg *firstSyncRig) jobs(brand string) []Job {
	var out []Job
	for _, j := range []struct{ name, scope string }{{"meta.insights", "act_" + brand}, {"shopify.orders", brand + ".myshopify.com"}} {
		out = append(out, Job{Name: j.name, Scope: j.scope, Brands: []string{brand},
			FirstSync: func(ctx context.Context) (bool, error) {
				done, err := rg.synced(ctx, j.name, j.scope)
				return !done, err
			},
			Run: func(ctx context.Context, r *Run) error {
				rg.mu.Lock()
				rg.inside[brand]++
				rg.max = max(rg.max, len(rg.inside))
				rg.mu.Unlock()
				defer func() {
					rg.mu.Lock()
					if rg.inside[brand]--; rg.inside[brand] == 0 {
						delete(rg.inside, brand)
					}
					rg.mu.Unlock()
				}()
				rg.entered <- brand
				select {
				case <-rg.gate:
				case <-ctx.Done():
					return ctx.Err()
				}
				return rg.sync(ctx, j.name, j.scope)
			}})
	}
	return out
}

// TestFirstSyncsBounded: with 5 brands (10 first-sync lanes) and a limit
// of 2, RunOnce lets exactly 2 brands in (both lanes of each) while the
// other 6 jobs wait — recorded as waiting, nothing failed — then every
// brand completes; the second, steady run is not limited: all 10 jobs are
// inside at once.
func TestFirstSyncsBounded(t *testing.T) {
	t.Parallel()
	const brands, limit = 5, 2
	rg := newFirstSyncRig(t, limit)
	ctx := context.Background()
	var jobs []Job
	for i := range brands {
		jobs = append(jobs, rg.jobs(fmt.Sprintf("brand%d", i))...)
	}
	done := make(chan []JobError, 1)
	go func() { done <- RunOnce(ctx, jobs, rg.runner.Execute) }()

	// Every lane either entered its first sync or waits for a slot.
	in, waiting := map[string]int{}, 0
	for range jobs {
		select {
		case b := <-rg.entered:
			in[b]++
		case <-rg.waits:
			waiting++
		}
	}
	if len(in) != limit || waiting != len(jobs)-2*limit {
		t.Errorf("before any finished: brands inside %v, %d jobs waiting; want %d brands with both lanes each, %d waiting", in, waiting, limit, len(jobs)-2*limit)
	}
	runs, err := rg.db.RecentRuns(ctx, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]int{}
	for _, r := range runs {
		status[r.Status]++
	}
	if want := map[string]int{store.RunRunning: 2 * limit, store.RunWaiting: waiting}; fmt.Sprint(status) != fmt.Sprint(want) {
		t.Errorf("run history while waiting: %v, want %v", status, want)
	}
	rg.open()
	if failed := <-done; len(failed) != 0 {
		t.Fatalf("first syncs failed: %v", failed)
	}
	if rg.max != limit {
		t.Errorf("at most %d brands were in their first sync at once, want %d", rg.max, limit)
	}
	for range len(jobs) - 2*limit { // the waiting ones entered later
		<-rg.entered
	}
	if n, err := rg.db.RecentRuns(ctx, "", 50); err != nil || len(n) != len(jobs) {
		t.Fatalf("run history: %d runs, %v; want %d (one each, the waits became the runs)", len(n), err, len(jobs))
	} else {
		for _, r := range n {
			if r.Status != store.RunOK || r.Attempt != 1 {
				t.Errorf("run %s %s: %s attempt %d, want ok attempt 1", r.Job, r.Scope, r.Status, r.Attempt)
			}
		}
	}

	// Steady: no job asks for a slot, so all 10 are inside at once.
	rg.gate, rg.gateOnce = make(chan struct{}), sync.Once{}
	rg.slots.OnWait(func(b string) {
		t.Errorf("a steady job of %s waited for a first-sync slot", b)
		rg.open()
	})
	go func() { done <- RunOnce(ctx, jobs, rg.runner.Execute) }()
	for range jobs {
		<-rg.entered
	}
	rg.open()
	if failed := <-done; len(failed) != 0 {
		t.Fatalf("steady run failed: %v", failed)
	}
	if rg.max != brands {
		t.Errorf("steady run: at most %d brands inside at once, want all %d", rg.max, brands)
	}
}

// TestFirstSyncWaitHoldsNoLease: a first sync waiting for a slot holds no
// lease (another replica may take it), shows as waiting, and on
// cancellation returns ctx.Err() leaving no run behind and no slot taken.
func TestFirstSyncWaitHoldsNoLease(t *testing.T) {
	t.Parallel()
	rg := newFirstSyncRig(t, 1)
	ctx := context.Background()
	a, b := rg.jobs("brandA"), rg.jobs("brandB")
	aDone := make(chan error, 1)
	go func() { aDone <- rg.runner.Execute(ctx, a[0]) }()
	<-rg.entered // brandA holds the one slot

	bctx, cancel := context.WithCancel(ctx)
	bDone := make(chan error, 1)
	go func() { bDone <- rg.runner.Execute(bctx, b[0]) }()
	<-rg.waits
	st, err := rg.db.RunStates(ctx, []store.RunKey{{Job: b[0].Name, Scope: b[0].Scope}})
	if err != nil {
		t.Fatal(err)
	}
	if !st[0].Waiting || st[0].Running || st[0].Finished {
		t.Errorf("waiting job's state = %+v, want waiting only", st[0])
	}
	// Its lease is free: another replica could run it.
	if err := rg.db.AcquireLease(ctx, b[0].Key(), "r2", time.Minute); err != nil {
		t.Errorf("lease of a waiting job: %v; want it free", err)
	} else if err := rg.db.ReleaseLease(ctx, b[0].Key(), "r2"); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-bDone; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled waiting job returned %v, want context.Canceled", err)
	}
	if runs, err := rg.db.RecentRuns(ctx, b[0].Name, 10); err != nil {
		t.Fatal(err)
	} else {
		for _, r := range runs {
			if r.Scope == b[0].Scope {
				t.Errorf("a run of the cancelled waiting job remains: %+v", r)
			}
		}
	}
	if running, waiting := rg.slots.Brands(); running != 1 || waiting != 0 {
		t.Errorf("slots after the cancel: %d brands running, %d waiting; want 1, 0", running, waiting)
	}
	rg.open()
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	// brandB's first sync now runs at once.
	if err := rg.runner.Execute(ctx, b[0]); err != nil {
		t.Fatal(err)
	}
	if running, waiting := rg.slots.Brands(); running != 0 || waiting != 0 {
		t.Errorf("slots at the end: %d brands running, %d waiting; want none", running, waiting)
	}
}

// TestSchedulerStartBoundsFirstSyncs: the daemon's path (jobs fired by
// the scheduler, here at start) goes through the same runner, so its first
// syncs are bounded too.
func TestSchedulerStartBoundsFirstSyncs(t *testing.T) {
	t.Parallel()
	const brands, limit = 3, 1
	rg := newFirstSyncRig(t, limit)
	var jobs []Job
	for i := range brands {
		for _, j := range rg.jobs(fmt.Sprintf("brand%d", i)) {
			j.Spec, j.AtStart = "@every 1h", true
			jobs = append(jobs, j)
		}
	}
	s := New(rg.runner, 0)
	if err := s.Set(jobs); err != nil {
		t.Fatal(err)
	}
	s.Start()
	in, waiting := map[string]int{}, 0
	for range jobs {
		select {
		case b := <-rg.entered:
			in[b]++
		case <-rg.waits:
			waiting++
		}
	}
	if len(in) != limit || waiting != len(jobs)-2*limit {
		t.Errorf("at start: brands inside %v, %d jobs waiting; want %d brand with both lanes, %d waiting", in, waiting, limit, len(jobs)-2*limit)
	}
	rg.open()
	for range waiting {
		<-rg.entered
	}
	s.Stop(time.Minute)
	if rg.max != limit {
		t.Errorf("at most %d brands in their first sync at once, want %d", rg.max, limit)
	}
	for _, j := range jobs {
		if done, err := rg.synced(context.Background(), j.Name, j.Scope); err != nil || !done {
			t.Errorf("%s did not complete: cursor stored %v, %v", j.Key(), done, err)
		}
	}
}
