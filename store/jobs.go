package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Job run statuses.
const (
	// RunWaiting is a run that waits for a first-sync slot before it
	// starts (see WaitRun); it has not run, so it is neither finished
	// nor failed.
	RunWaiting   = "waiting"
	RunRunning   = "running"
	RunOK        = "ok"
	RunFailed    = "failed"
	RunAbandoned = "abandoned"
)

// JobRun is one recorded execution of a scheduled job.
type JobRun struct {
	ID         int64        `db:"id"`
	Job        string       `db:"job"`
	Scope      string       `db:"scope"`
	Replica    string       `db:"replica"`
	StartedAt  time.Time    `db:"started_at"`
	FinishedAt sql.NullTime `db:"finished_at"`
	Status     string       `db:"status"`
	Attempt    int          `db:"attempt"`
	Rows       int64        `db:"rows"`
	APICalls   int64        `db:"api_calls"`
	Error      string       `db:"error"`
}

// StartRun records that a job attempt began and returns its id.
func (db *DB) StartRun(ctx context.Context, job, scope, replica string, attempt int, at time.Time) (int64, error) {
	var id int64
	err := db.x.GetContext(ctx, &id, `INSERT INTO job_runs (job, scope, replica, started_at, status, attempt)
		VALUES ($1, $2, $3, $4, 'running', $5) RETURNING id`, job, scope, replica, at, attempt)
	if err != nil {
		return 0, fmt.Errorf("recording start of %s %s: %w", job, scope, err)
	}
	return id, nil
}

// WaitRun records that a job's first attempt waits (for a first-sync
// slot) before it starts, and returns the run's id: StartWaitedRun turns
// it into the running attempt, DropWaitingRun removes it when the job does
// not run after all.
func (db *DB) WaitRun(ctx context.Context, job, scope, replica string, at time.Time) (int64, error) {
	var id int64
	err := db.x.GetContext(ctx, &id, `INSERT INTO job_runs (job, scope, replica, started_at, status, attempt)
		VALUES ($1, $2, $3, $4, 'waiting', 1) RETURNING id`, job, scope, replica, at)
	if err != nil {
		return 0, fmt.Errorf("recording that %s %s waits: %w", job, scope, err)
	}
	return id, nil
}

// StartWaitedRun records that the waiting run id started at at.
func (db *DB) StartWaitedRun(ctx context.Context, id int64, at time.Time) error {
	res, err := db.x.ExecContext(ctx, `UPDATE job_runs SET status = 'running', started_at = $2 WHERE id = $1 AND status = 'waiting'`, id, at)
	if err != nil {
		return fmt.Errorf("recording start of waiting run %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("recording start of waiting run %d: no such waiting run", id)
	}
	return nil
}

// DropWaitingRun removes the waiting run id (the job did not run: it was
// cancelled while waiting, or another replica runs it).
func (db *DB) DropWaitingRun(ctx context.Context, id int64) error {
	if _, err := db.x.ExecContext(ctx, `DELETE FROM job_runs WHERE id = $1 AND status = 'waiting'`, id); err != nil {
		return fmt.Errorf("dropping waiting run %d: %w", id, err)
	}
	return nil
}

// FinishRun records a run's outcome. status is RunOK, RunFailed or
// RunAbandoned; errText is empty on success.
func (db *DB) FinishRun(ctx context.Context, id int64, status string, rows, apiCalls int64, errText string, at time.Time) error {
	_, err := db.x.ExecContext(ctx, `UPDATE job_runs SET status = $2, rows = $3, api_calls = $4, error = $5, finished_at = $6
		WHERE id = $1`, id, status, rows, apiCalls, errText, at)
	if err != nil {
		return fmt.Errorf("recording end of run %d: %w", id, err)
	}
	return nil
}

// AbandonRuns marks runs of replica still "running" as abandoned (after a
// crash or a hard shutdown) and returns how many it marked; runs still
// "waiting" never started and are removed.
func (db *DB) AbandonRuns(ctx context.Context, replica string, at time.Time) (int64, error) {
	if _, err := db.x.ExecContext(ctx, `DELETE FROM job_runs WHERE replica = $1 AND status = 'waiting'`, replica); err != nil {
		return 0, fmt.Errorf("dropping waiting runs of %s: %w", replica, err)
	}
	res, err := db.x.ExecContext(ctx, `UPDATE job_runs SET status = 'abandoned', finished_at = $2,
		error = CASE WHEN error = '' THEN 'replica stopped before the run finished' ELSE error END
		WHERE replica = $1 AND status = 'running'`, replica, at)
	if err != nil {
		return 0, fmt.Errorf("abandoning runs of %s: %w", replica, err)
	}
	return res.RowsAffected()
}

// RecentRuns lists the newest runs, newest first (job "" for all jobs).
func (db *DB) RecentRuns(ctx context.Context, job string, limit int) ([]JobRun, error) {
	var out []JobRun
	err := db.x.SelectContext(ctx, &out, `SELECT id, job, scope, replica, started_at, finished_at, status, attempt, rows, api_calls, error
		FROM job_runs WHERE ($1 = '' OR job = $1) ORDER BY started_at DESC, id DESC LIMIT $2`, job, limit)
	if err != nil {
		return nil, fmt.Errorf("listing job runs: %w", err)
	}
	return out, nil
}

// ErrLeaseHeld is returned when another replica holds a lease.
var ErrLeaseHeld error = leaseHeld{}

// leaseHeld is ErrLeaseHeld's type: its LeaseHeld method lets the job
// runner, which does not import store, recognise it.
type leaseHeld struct{}

func (leaseHeld) Error() string   { return "lease held by another replica" }
func (leaseHeld) LeaseHeld() bool { return true }

// AcquireLease takes or renews the named lease for holder for ttl from
// now on the database clock. It succeeds when the lease is free, expired,
// or already holder's; otherwise it returns ErrLeaseHeld. Expiry is
// computed and compared on the database's clock only, so replicas whose
// clocks disagree (or whose jobs' clock is pinned with ROASD_NOW) still
// agree on who holds what.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) error {
	res, err := db.x.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at)
		VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3))
		ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
		WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < clock_timestamp()`,
		name, holder, ttl.Seconds())
	if err != nil {
		return fmt.Errorf("acquiring lease %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("acquiring lease %s: %w", name, ErrLeaseHeld)
	}
	return nil
}

// ReleaseLease gives up the named lease if holder has it.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := db.x.ExecContext(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	if err != nil {
		return fmt.Errorf("releasing lease %s: %w", name, err)
	}
	return nil
}

// RunState is where one job of one scope stands: its newest finished run
// (by insertion order, not by the jobs' clock, which ROASD_NOW may pin),
// whether it ever succeeded, and whether a run is in progress.
type RunState struct {
	Job   string
	Scope string
	// Latest is the newest finished run; Finished is false when none has.
	Latest   JobRun
	Finished bool
	// EverOK is true when some run of the job and scope succeeded.
	EverOK bool
	// Running is true when a run has started and not finished.
	Running bool
	// Waiting is true when a run waits for a first-sync slot.
	Waiting bool
}

// RunKey names one job of one scope.
type RunKey struct{ Job, Scope string }

// runKeyArrays splits keys into parallel job and scope arrays for unnest.
func runKeyArrays(keys []RunKey) (jobs, scopes []string) {
	jobs, scopes = make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		jobs[i], scopes[i] = k.Job, k.Scope
	}
	return jobs, scopes
}

// RunStates returns the state of each job of keys, in the order of keys.
// Unlike a window of the newest runs, a rarely scheduled job's failure is
// never pushed out by frequent other jobs.
func (db *DB) RunStates(ctx context.Context, keys []RunKey) ([]RunState, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	jobs, scopes := runKeyArrays(keys)
	var rows []struct {
		Job      string         `db:"job"`
		Scope    string         `db:"scope"`
		ID       sql.NullInt64  `db:"id"`
		Replica  sql.NullString `db:"replica"`
		Started  sql.NullTime   `db:"started_at"`
		Finished sql.NullTime   `db:"finished_at"`
		Status   sql.NullString `db:"status"`
		Attempt  sql.NullInt64  `db:"attempt"`
		Error    sql.NullString `db:"error"`
		EverOK   bool           `db:"ever_ok"`
		Running  bool           `db:"running"`
		Waiting  bool           `db:"waiting"`
	}
	err := db.x.SelectContext(ctx, &rows, `SELECT k.job, k.scope, l.id, l.replica, l.started_at, l.finished_at, l.status, l.attempt, l.error,
		EXISTS (SELECT 1 FROM job_runs r WHERE r.job = k.job AND r.scope = k.scope AND r.status = 'ok') AS ever_ok,
		EXISTS (SELECT 1 FROM job_runs r WHERE r.job = k.job AND r.scope = k.scope AND r.status = 'running') AS running,
		EXISTS (SELECT 1 FROM job_runs r WHERE r.job = k.job AND r.scope = k.scope AND r.status = 'waiting') AS waiting
		FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(job, scope, n)
		LEFT JOIN LATERAL (SELECT id, replica, started_at, finished_at, status, attempt, error FROM job_runs r
			WHERE r.job = k.job AND r.scope = k.scope AND r.status NOT IN ('running', 'waiting') ORDER BY r.id DESC LIMIT 1) l ON true
		ORDER BY k.n`, pq.Array(jobs), pq.Array(scopes))
	if err != nil {
		return nil, fmt.Errorf("reading job run states: %w", err)
	}
	out := make([]RunState, len(rows))
	for i, r := range rows {
		out[i] = RunState{Job: r.Job, Scope: r.Scope, Finished: r.ID.Valid, EverOK: r.EverOK, Running: r.Running, Waiting: r.Waiting}
		if r.ID.Valid {
			out[i].Latest = JobRun{ID: r.ID.Int64, Job: r.Job, Scope: r.Scope, Replica: r.Replica.String, StartedAt: r.Started.Time.UTC(),
				FinishedAt: r.Finished, Status: r.Status.String, Attempt: int(r.Attempt.Int64), Error: r.Error.String}
		}
	}
	return out, nil
}

// ReplicaLeasePrefix names the lease each live replica renews (see
// LiveReplicas).
const ReplicaLeasePrefix = "replica:"

// LiveReplicas counts the replicas whose replica lease (ReplicaLeasePrefix
// + name) has not expired on the database clock: the daemons sharing the
// platforms' app quotas.
func (db *DB) LiveReplicas(ctx context.Context) (int, error) {
	var n int
	err := db.x.GetContext(ctx, &n, `SELECT count(DISTINCT holder) FROM leases WHERE name LIKE $1 AND expires_at > clock_timestamp()`,
		ReplicaLeasePrefix+"%")
	if err != nil {
		return 0, fmt.Errorf("counting live replicas: %w", err)
	}
	return n, nil
}
