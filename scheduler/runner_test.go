package scheduler

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.Open(t)
	return db
}

func newRunner(db *store.DB, replica string) *Runner {
	return &Runner{Rec: db, Replica: replica, Attempts: 3, Backoff: func(int) time.Duration { return time.Millisecond }, LeaseTTL: time.Second}
}

func TestRunnerRetriesAndRecords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		run        func(calls int) error
		wantErr    bool
		wantCalls  int
		wantStatus []string // newest first
	}{
		{"ok first time", func(int) error { return nil }, false, 1, []string{"ok"}},
		{"transient then ok", func(n int) error {
			if n < 3 {
				return &ads.APIError{Platform: ads.Meta, Kind: ads.KindTransient, Code: 2}
			}
			return nil
		}, false, 3, []string{"ok", "failed", "failed"}},
		{"a call the client retried is not repeated", func(int) error {
			return &ads.APIError{Platform: ads.Meta, Kind: ads.KindTransient, HTTPStatus: 503, Tries: 5}
		}, true, 1, []string{"failed"}},
		{"a throttle the client did not wait for is", func(n int) error {
			if n < 2 {
				return &ads.APIError{Platform: ads.Meta, Kind: ads.KindRateLimited, Code: 17, Tries: 1, RetryAfter: time.Millisecond}
			}
			return nil
		}, false, 2, []string{"ok", "failed"}},
		{"auth error is not retried", func(int) error {
			return &ads.APIError{Platform: ads.Meta, Account: "act_1", Op: "GET act_1/ads", Kind: ads.KindAuth, Code: 190}
		}, true, 1, []string{"failed"}},
		{"always failing gives up after attempts", func(int) error { return errors.New("db down") }, true, 3, []string{"failed", "failed", "failed"}},
		{"panic is recovered, recorded, not retried", func(int) error { panic("boom") }, true, 1, []string{"failed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := openDB(t)
			r := newRunner(db, "r1")
			calls := 0
			err := r.Execute(context.Background(), Job{Name: "test.job", Scope: "s", Run: func(ctx context.Context, run *Run) error {
				calls++
				run.AddRows(5)
				return tc.run(calls)
			}})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tc.wantCalls)
			}
			runs, err := db.RecentRuns(context.Background(), "test.job", 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range runs {
				got = append(got, r.Status)
				if r.Rows != 5 || !r.FinishedAt.Valid {
					t.Errorf("run %d: rows %d finished %v", r.ID, r.Rows, r.FinishedAt.Valid)
				}
				if r.Status == "failed" && r.Error == "" {
					t.Errorf("failed run %d has no error text", r.ID)
				}
			}
			if len(got) != len(tc.wantStatus) {
				t.Fatalf("statuses = %v, want %v", got, tc.wantStatus)
			}
			for i := range got {
				if got[i] != tc.wantStatus[i] {
					t.Fatalf("statuses = %v, want %v", got, tc.wantStatus)
				}
			}
		})
	}
}

func TestTwoReplicasShareLease(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	a, b := newRunner(db, "replica-a"), newRunner(db, "replica-b")
	var ran atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	job := Job{Name: "meta.insights", Scope: "act_1", Run: func(ctx context.Context, _ *Run) error {
		if ran.Add(1) == 1 {
			close(entered)
			<-release // hold the lease until every other try has been made
		}
		return nil
	}}
	first := make(chan error, 1)
	go func() { first <- a.Execute(context.Background(), job) }()
	<-entered
	// While replica a runs the job, five tries from both replicas (a's
	// own is refused by its running set, b's by the lease) all skip.
	var wg sync.WaitGroup
	var skipped atomic.Int32
	for i := range 5 {
		r := a
		if i%2 == 1 {
			r = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Execute(context.Background(), job); errors.Is(err, ErrSkipped) {
				skipped.Add(1)
			} else {
				t.Errorf("a try while the job runs elsewhere: err = %v, want ErrSkipped", err)
			}
		}()
	}
	wg.Wait()
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 1 || skipped.Load() != 5 {
		t.Errorf("ran %d, skipped %d; want 1 and 5", ran.Load(), skipped.Load())
	}
	// Released: the other replica runs it next.
	if err := b.Execute(context.Background(), job); err != nil || ran.Load() != 2 {
		t.Errorf("after release: err = %v, ran %d; want the job run by replica b", err, ran.Load())
	}
}

func TestLeaseExpiresWhenReplicaDies(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	if err := db.AcquireLease(ctx, "orders:shop", "dead-replica", time.Minute); err != nil {
		t.Fatal(err)
	}
	// The expiry is the database's clock plus the TTL, whatever the
	// replicas' clocks say.
	var left float64
	if err := db.SQL().Get(&left, `SELECT extract(epoch FROM expires_at - clock_timestamp()) FROM leases WHERE name = 'orders:shop'`); err != nil {
		t.Fatal(err)
	}
	if left <= 50 || left > 60 {
		t.Fatalf("lease expires in %.1f s on the database clock, want just under 60", left)
	}
	if err := db.AcquireLease(ctx, "orders:shop", "live", time.Minute); !errors.Is(err, store.ErrLeaseHeld) {
		t.Fatalf("while held: err = %v, want ErrLeaseHeld", err)
	}
	// The dead replica's minute runs out (on the database clock).
	if _, err := db.SQL().Exec(`UPDATE leases SET expires_at = clock_timestamp() - interval '1 second' WHERE name = 'orders:shop'`); err != nil {
		t.Fatal(err)
	}
	if err := db.AcquireLease(ctx, "orders:shop", "live", time.Minute); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

// stallingRec renews nothing: once the lease is taken, every renewal
// hangs until its context ends, as on a stalled database connection.
type stallingRec struct {
	*store.DB
	taken atomic.Bool
}

func (s *stallingRec) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) error {
	if s.taken.CompareAndSwap(false, true) {
		return s.DB.AcquireLease(ctx, name, holder, ttl)
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestStepDownWhenRenewalIsLate: a renewal that neither fails nor
// succeeds still makes the replica step down before its lease can expire.
func TestStepDownWhenRenewalIsLate(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	r := newRunner(db, "r1")
	r.Rec = &stallingRec{DB: db}
	r.LeaseTTL = 600 * time.Millisecond
	r.Attempts = 1
	var cause error
	err := r.Execute(context.Background(), Job{Name: "slow", Scope: "x", Run: func(ctx context.Context, _ *Run) error {
		select {
		case <-ctx.Done():
			cause = context.Cause(ctx)
			return ctx.Err()
		case <-time.After(10 * time.Second):
			return errors.New("job was not cancelled while its lease renewal hung")
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want cancellation", err)
	}
	if cause == nil || !strings.Contains(cause.Error(), "before the lease could expire") {
		t.Fatalf("cause = %v, want a late renewal", cause)
	}
	var left float64
	if err := db.SQL().Get(&left, `SELECT coalesce(max(extract(epoch FROM expires_at - clock_timestamp())), -1) FROM leases`); err != nil {
		t.Fatal(err)
	}
	// Stepped down and handed the lease back.
	if left > 0 {
		t.Errorf("lease still held %.2f s after stepping down", left)
	}
}

func TestStepDownWhenLeaseLost(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	r := newRunner(db, "r1")
	r.LeaseTTL = 300 * time.Millisecond
	r.Attempts = 1
	steal := func() {
		// Another replica takes the lease (as if ours had expired).
		db.SQL().Exec(`UPDATE leases SET holder = 'thief', expires_at = now() + interval '1 hour'`)
	}
	err := r.Execute(context.Background(), Job{Name: "slow", Scope: "x", Run: func(ctx context.Context, _ *Run) error {
		steal()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
			return errors.New("job was not cancelled after losing its lease")
		}
	}})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want cancellation after losing lease", err)
	}
	runs, _ := db.RecentRuns(context.Background(), "slow", 1)
	if len(runs) != 1 || runs[0].Status != store.RunAbandoned {
		t.Fatalf("runs = %+v, want one abandoned", runs)
	}
}

func TestSchedulerStopCancelsAfterGrace(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	r := newRunner(db, "r1")
	s := New(r, 0)
	started := make(chan struct{}, 1)
	var returned atomic.Bool
	if err := s.Set([]Job{{Name: "long", Scope: "x", Spec: "@every 1s", Run: func(ctx context.Context, _ *Run) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done()
		returned.Store(true)
		return ctx.Err()
	}}}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("job never started")
	}
	s.Stop(100 * time.Millisecond)
	if !returned.Load() {
		t.Fatal("Stop returned before the running job did")
	}
	runs, _ := db.RecentRuns(context.Background(), "long", 5)
	if len(runs) == 0 || runs[0].Status != store.RunAbandoned {
		t.Fatalf("runs = %+v, want newest abandoned", runs)
	}
	s.Stop(0) // idempotent
}

func TestSetRejectsBadSpec(t *testing.T) {
	t.Parallel()
	s := New(&Runner{}, 0)
	if err := s.Set([]Job{{Name: "x", Spec: "every tuesday"}}); err == nil {
		t.Fatal("bad spec accepted")
	}
}
