package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// FailStreak is how long one job of one scope has been failing: the
// start of its first finished run after its newest successful one, and
// how many finished runs have not succeeded since.
type FailStreak struct {
	Since time.Time
	Runs  int
}

// FailStreaks returns the fail streak of each of keys that has finished
// runs without success after its newest successful run (by insertion
// order, like RunStates); keys without one are left out.
func (db *DB) FailStreaks(ctx context.Context, keys []RunKey) (map[RunKey]FailStreak, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	jobs, scopes := runKeyArrays(keys)
	var rows []struct {
		Job   string    `db:"job"`
		Scope string    `db:"scope"`
		Since time.Time `db:"since"`
		Runs  int       `db:"runs"`
	}
	err := db.x.SelectContext(ctx, &rows, `SELECT k.job, k.scope, min(r.started_at) AS since, count(*) AS runs
		FROM unnest($1::text[], $2::text[]) AS k(job, scope)
		JOIN job_runs r ON r.job = k.job AND r.scope = k.scope AND r.status NOT IN ('ok', 'running', 'waiting')
			AND r.id > COALESCE((SELECT max(o.id) FROM job_runs o WHERE o.job = k.job AND o.scope = k.scope AND o.status = 'ok'), 0)
		GROUP BY k.job, k.scope`, pq.Array(jobs), pq.Array(scopes))
	if err != nil {
		return nil, fmt.Errorf("reading how long %d jobs have failed: %w", len(keys), err)
	}
	out := make(map[RunKey]FailStreak, len(rows))
	for _, r := range rows {
		out[RunKey{Job: r.Job, Scope: r.Scope}] = FailStreak{Since: r.Since.UTC(), Runs: r.Runs}
	}
	return out, nil
}

// UpdateKeys returns the update keys starting with prefix of the brand's
// queued alerts (sent or not): the messages that exist or are on their
// way.
func (db *DB) UpdateKeys(ctx context.Context, brand, prefix string) (map[string]bool, error) {
	var keys []string
	err := db.x.SelectContext(ctx, &keys, `SELECT DISTINCT update_key FROM alert_outbox
		WHERE brand = $1 AND update_key <> '' AND starts_with(update_key, $2)`, brand, prefix)
	if err != nil {
		return nil, fmt.Errorf("reading the queued messages of brand %s: %w", brand, err)
	}
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = true
	}
	return out, nil
}
