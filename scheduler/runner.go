// Package scheduler schedules and runs jobs, knowing nothing of what they
// do: robfig/cron schedules with jitter (Scheduler), the Runner that runs a
// Job one at a time per key under a lease so that with several replicas a
// job runs on one replica at a time, records every attempt (run history),
// retries failures with backoff and recovers panics, RunOnce for
// `roasd run --once`, the AppPacer and the runner's metrics. Leases and run
// history are kept by a Recorder it declares (*store.DB implements it); it
// imports no platform client, store, reconcile, notify or configs. The jobs
// themselves (syncs, reconcile, verdicts, notify…) are package jobs.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Job is one unit of scheduled work for one scope (an ad account, a shop
// or a brand).
type Job struct {
	// Name is the job kind, e.g. "meta.insights".
	Name string
	// Scope is what it runs for, e.g. "act_123" or "brand:glowco".
	Scope string
	// Spec is the cron schedule ("@every 15m", "0 */6 * * *").
	Spec string
	// Brands are the brands whose data the job syncs or judges: a failed
	// sync withholds only these brands' verdicts.
	Brands []string
	// Run does the work. It must return ctx.Err() when cancelled.
	Run func(ctx context.Context, r *Run) error
	// AtStart reports whether the scheduler also runs the job once when it
	// starts (a daily check that should not wait a day).
	AtStart bool
	// Gated marks a job that judges what the jobs before it stored (a
	// brand's verdicts): RunOnce does not run it when an earlier job of
	// one of its Brands failed in the same pass.
	Gated bool
	// FirstSync, when set, reports whether the job's next run is its
	// first sync (its cursor is still empty: the full backfill). Such a
	// run waits for its brand's slot of the runner's FirstSyncs before it
	// takes its lease; nil means the job is never a first sync.
	FirstSync func(ctx context.Context) (bool, error)
}

// Key is the job's identity for leases and overlap checks.
func (j Job) Key() string { return j.Name + ":" + j.Scope }

// Run is the accounting of one job attempt.
type Run struct {
	// Now is the instant the attempt started; jobs use it instead of the
	// clock so one run sees one "now".
	Now   time.Time
	rows  atomic.Int64
	calls atomic.Int64

	mu       sync.Mutex
	warnings []string
}

// Warn records a problem that does not fail the run (part of the data
// could not be read, the rest was stored): a run that succeeds is recorded
// ok with its warnings as the error text, so job history shows it, and
// logged at warn level.
func (r *Run) Warn(err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warnings = append(r.warnings, err.Error())
}

// Warnings returns what Warn recorded, oldest first.
func (r *Run) Warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.warnings...)
}

// AddRows counts rows written by the run.
func (r *Run) AddRows(n int64) { r.rows.Add(n) }

// Rows returns the rows counted so far.
func (r *Run) Rows() int64 { return r.rows.Load() }

type runKey struct{}

// callCounter returns the run carried by ctx, if any (the counting HTTP
// transport uses it to charge API calls to the run).
func runFrom(ctx context.Context) *Run {
	r, _ := ctx.Value(runKey{}).(*Run)
	return r
}

// The statuses the runner records with Recorder.FinishRun (store.RunOK,
// RunFailed and RunAbandoned are the same strings).
const (
	StatusOK        = "ok"
	StatusFailed    = "failed"
	StatusAbandoned = "abandoned"
)

// Recorder persists runs and leases; *store.DB implements it. The
// scheduler declares what it needs rather than importing the store.
type Recorder interface {
	StartRun(ctx context.Context, job, scope, replica string, attempt int, at time.Time) (int64, error)
	FinishRun(ctx context.Context, id int64, status string, rows, apiCalls int64, errText string, at time.Time) error
	// AcquireLease takes or renews a lease for ttl on the database's
	// clock. When another holder has it, the error (or one it wraps) has
	// a method LeaseHeld() bool that returns true.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) error
	ReleaseLease(ctx context.Context, name, holder string) error
	// WaitRun records a first attempt that waits for a first-sync slot;
	// StartWaitedRun starts it, DropWaitingRun removes it when it does
	// not run.
	WaitRun(ctx context.Context, job, scope, replica string, at time.Time) (int64, error)
	StartWaitedRun(ctx context.Context, id int64, at time.Time) error
	DropWaitingRun(ctx context.Context, id int64) error
}

// ErrSkipped is returned by Execute when the job did not run because it is
// already running here or another replica holds its lease.
var ErrSkipped = errors.New("job skipped")

// Runner executes jobs with leases, retries and run history.
type Runner struct {
	Rec     Recorder
	Replica string
	// LeaseTTL is how long a lease lasts without renewal (default 2m); it
	// is renewed every TTL/3 while the job runs. The job is cancelled (the
	// replica steps down) when a renewal fails, and also when none has
	// succeeded by its deadline — TTL/6 before the lease could expire,
	// counted from the start of the last renewal that succeeded — so a
	// stalled database connection never leaves two replicas running the
	// same job.
	LeaseTTL time.Duration
	// Attempts is the maximum number of tries of a failing job (default 3).
	Attempts int
	// Backoff is the wait before attempt n+1 (default 2^n s with jitter).
	Backoff func(n int) time.Duration
	Now     func() time.Time
	Log     *slog.Logger
	Metrics *Metrics
	// FirstSyncs, when set, bounds how many brands' first syncs run at
	// once (see Job.FirstSync and Slots); nil limits nothing.
	FirstSyncs *Slots

	mu      sync.Mutex
	running map[string]bool
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

// Execute runs job once (with retries) unless it is already running on this
// replica or leased by another, in which case it returns ErrSkipped. It
// returns the last error when every attempt failed.
func (r *Runner) Execute(ctx context.Context, job Job) error {
	key := job.Key()
	r.mu.Lock()
	if r.running == nil {
		r.running = map[string]bool{}
	}
	if r.running[key] {
		r.mu.Unlock()
		return fmt.Errorf("%s: already running on this replica: %w", key, ErrSkipped)
	}
	r.running[key] = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.running, key)
		r.mu.Unlock()
	}()

	// A first sync waits for its brand's slot before it takes the lease:
	// a waiting job holds no lease (another replica may run it meanwhile).
	waited, release, err := r.firstSyncSlot(ctx, job)
	if err != nil {
		return err
	}
	defer release()

	ttl := r.LeaseTTL
	if ttl <= 0 {
		ttl = 2 * time.Minute
	}
	held := time.Now() // the lease holds at least until held + ttl
	if err := r.Rec.AcquireLease(ctx, key, r.Replica, ttl); err != nil {
		if waited != 0 {
			// The job does not run here: its waiting run goes.
			if derr := r.Rec.DropWaitingRun(context.WithoutCancel(ctx), waited); derr != nil {
				r.log().Warn("dropping a waiting run", "job", key, "err", derr)
			}
		}
		var other interface{ LeaseHeld() bool }
		if errors.As(err, &other) && other.LeaseHeld() {
			return fmt.Errorf("%s: %w", key, ErrSkipped)
		}
		return err
	}
	jobCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewDone := make(chan struct{})
	go func() {
		defer close(renewDone)
		r.renew(jobCtx, cancel, key, ttl, held)
	}()
	defer func() {
		cancel(nil)
		<-renewDone
		r.Rec.ReleaseLease(context.WithoutCancel(ctx), key, r.Replica)
	}()

	attempts := r.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	for n := 1; n <= attempts; n++ {
		err = r.attempt(jobCtx, job, n, waited)
		waited = 0
		if err == nil || jobCtx.Err() != nil || !retryable(err) || n == attempts {
			break
		}
		wait := r.backoff(n, err)
		r.log().Warn("job failed; retrying", "job", key, "attempt", n, "wait", wait, "err", err)
		select {
		case <-jobCtx.Done():
		case <-time.After(wait):
		}
	}
	if err != nil && jobCtx.Err() != nil && ctx.Err() == nil {
		if cause := context.Cause(jobCtx); cause != nil {
			err = fmt.Errorf("%w (%v)", err, cause)
		}
	}
	return err
}

// firstSyncSlot takes the job's brand's first-sync slot when its run is a
// first sync, waiting for it if need be; release gives it back (a no-op
// when the run took none). While it waits, the run is recorded as waiting
// (waited is its id) and logged, and ctx's end stops the wait: the job
// returns ctx.Err() holding no slot, and the waiting run is removed.
func (r *Runner) firstSyncSlot(ctx context.Context, job Job) (waited int64, release func(), err error) {
	release = func() {}
	if r.FirstSyncs == nil || job.FirstSync == nil {
		return 0, release, nil
	}
	first, err := job.FirstSync(ctx)
	if err != nil {
		return 0, release, fmt.Errorf("%s: checking for a first sync: %w", job.Key(), err)
	}
	if !first {
		return 0, release, nil
	}
	brand := strings.Join(job.Brands, ",")
	slots := r.FirstSyncs
	if w := slots.take(brand); w != nil {
		id, err := r.Rec.WaitRun(ctx, job.Name, job.Scope, r.Replica, r.now())
		if err == nil {
			running, waiting := slots.Brands()
			r.log().Info("first sync waits for a slot", "job", job.Name, "scope", job.Scope, "brand", brand,
				"limit", slots.Limit(), "brands_syncing", running, "jobs_waiting", waiting)
			slots.waiting(brand)
			start := time.Now()
			if err = slots.wait(ctx, w); err != nil {
				r.log().Info("first sync stopped waiting for a slot", "job", job.Name, "scope", job.Scope, "brand", brand, "err", err)
				if derr := r.Rec.DropWaitingRun(context.WithoutCancel(ctx), id); derr != nil {
					r.log().Warn("dropping a waiting run", "job", job.Key(), "err", derr)
				}
				return 0, release, err
			}
			r.log().Info("first sync got its slot", "job", job.Name, "scope", job.Scope, "brand", brand, "waited", time.Since(start).Round(time.Millisecond))
			waited = id
		} else {
			// Not recorded: give the place up rather than wait unseen.
			slots.leave(w)
			return 0, release, err
		}
	}
	return waited, func() { slots.release(brand) }, nil
}

// renew keeps the job's lease until ctx ends: every ttl/3, each renewal
// bounded by the lease's own deadline. held is when the lease was last
// known to be renewed (the start of the call that renewed it). It steps
// down — cancels the job — when a renewal fails or is late.
func (r *Runner) renew(ctx context.Context, stepDown context.CancelCauseFunc, key string, ttl time.Duration, held time.Time) {
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		deadline := held.Add(ttl - ttl/6)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		rctx, done := context.WithDeadline(ctx, deadline)
		err := r.Rec.AcquireLease(rctx, key, r.Replica, ttl)
		late := rctx.Err() != nil && ctx.Err() == nil
		done()
		if ctx.Err() != nil {
			return
		}
		if late {
			err = fmt.Errorf("renewal not done %v before the lease could expire", ttl/6)
		}
		if err != nil {
			r.log().Warn("lost job lease; stepping down", "job", key, "err", err)
			stepDown(fmt.Errorf("lease %s lost: %w", key, err))
			return
		}
		held = start
	}
}

// retryAdvisor is what the runner asks of a failed job's error: platform
// errors (ads.APIError) say whether to retry and how long to wait.
type retryAdvisor interface {
	RetryAdvice() (retry bool, wait time.Duration)
}

func (r *Runner) backoff(n int, err error) time.Duration {
	var adv retryAdvisor
	if errors.As(err, &adv) {
		if _, wait := adv.RetryAdvice(); wait > 0 {
			return wait
		}
	}
	if r.Backoff != nil {
		return r.Backoff(n)
	}
	base := time.Duration(1<<n) * time.Second
	return base/2 + rand.N(base/2+1)
}

// retryable reports whether a failed job should be tried again: platform
// errors say so themselves (auth, permission and invalid requests never
// retry), and a call the client already retried is not repeated here —
// one retry layer, not client × runner; the job's next scheduled run
// tries again. Anything else (database hiccup, network) is retried.
func retryable(err error) bool {
	var adv retryAdvisor
	if errors.As(err, &adv) {
		retry, _ := adv.RetryAdvice()
		return retry
	}
	var perm permanent
	return !errors.As(err, &perm)
}

// permanent marks an error that retrying cannot fix (e.g. bad config).
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent wraps err so the runner does not retry it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// attempt runs one try, recording it and recovering a panic as an error.
// waited, when not 0, is the try's run, recorded while it waited for a
// first-sync slot.
func (r *Runner) attempt(ctx context.Context, job Job, n int, waited int64) (err error) {
	run := &Run{Now: r.now()}
	id, recErr := waited, error(nil)
	if waited != 0 {
		recErr = r.Rec.StartWaitedRun(ctx, waited, run.Now)
	} else {
		id, recErr = r.Rec.StartRun(ctx, job.Name, job.Scope, r.Replica, n, run.Now)
	}
	if recErr != nil {
		return recErr
	}
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			err = Permanent(fmt.Errorf("%s panicked: %v\n%s", job.Key(), p, debug.Stack()))
		}
		status, text := StatusOK, ""
		if w := run.Warnings(); len(w) > 0 {
			text = "warning: " + strings.Join(w, "; warning: ")
		}
		if err != nil {
			status, text = StatusFailed, err.Error()
			if ctx.Err() != nil {
				status = StatusAbandoned
			}
		}
		r.Metrics.observeRun(job.Name, status, time.Since(start), run.Rows())
		if ferr := r.Rec.FinishRun(context.WithoutCancel(ctx), id, status, run.Rows(), run.calls.Load(), text, r.now()); ferr != nil && err == nil {
			err = ferr
		}
		if err != nil {
			r.log().Error("job failed", "job", job.Name, "scope", job.Scope, "attempt", n, "err", err)
		} else if text != "" {
			r.log().Warn("job done with warnings", "job", job.Name, "scope", job.Scope, "rows", run.Rows(), "warnings", text)
		} else {
			r.log().Info("job done", "job", job.Name, "scope", job.Scope, "rows", run.Rows(), "api_calls", run.calls.Load(), "took", time.Since(start).Round(time.Millisecond))
		}
	}()
	return job.Run(context.WithValue(ctx, runKey{}, run), run)
}
