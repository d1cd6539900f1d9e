package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lib/pq"

	"github.com/roasd/roasd/ads"
)

// KPIDays returns the first and last day of brand with activity: KPI cells
// with spend, revenue, orders, redemptions or impressions. Cells holding
// only creator fees do not count (flat fees are amortized over a test's
// whole window, including days still to come). ok is false when the brand
// has no activity.
func (db *DB) KPIDays(ctx context.Context, brand string) (r ads.DateRange, ok bool, err error) {
	var lo, hi sql.NullString
	if err := db.x.QueryRowxContext(ctx, `SELECT min(day)::text, max(day)::text FROM kpi_daily WHERE brand = $1
		AND (spend_micros <> 0 OR paid_revenue_micros <> 0 OR organic_revenue_micros <> 0 OR paid_orders <> 0
			OR organic_orders <> 0 OR redemptions <> 0 OR impressions <> 0)`,
		brand).Scan(&lo, &hi); err != nil {
		return ads.DateRange{}, false, fmt.Errorf("reading KPI days of brand %s: %w", brand, err)
	}
	if !lo.Valid || !hi.Valid {
		return ads.DateRange{}, false, nil
	}
	from, err := ads.ParseDate(lo.String)
	if err != nil {
		return ads.DateRange{}, false, fmt.Errorf("reading KPI days of brand %s: %w", brand, err)
	}
	to, err := ads.ParseDate(hi.String)
	if err != nil {
		return ads.DateRange{}, false, fmt.Errorf("reading KPI days of brand %s: %w", brand, err)
	}
	return ads.DateRange{From: from, To: to}, true, nil
}

// RecentRunsIn lists the newest runs whose scope is one of scopes, newest
// first, at most limit of them.
func (db *DB) RecentRunsIn(ctx context.Context, scopes []string, limit int) ([]JobRun, error) {
	if len(scopes) == 0 || limit <= 0 {
		return nil, nil
	}
	var out []JobRun
	err := db.x.SelectContext(ctx, &out, `SELECT id, job, scope, replica, started_at, finished_at, status, attempt, rows, api_calls, error
		FROM job_runs WHERE scope = ANY($1) ORDER BY started_at DESC, id DESC LIMIT $2`, pq.Array(scopes), limit)
	if err != nil {
		return nil, fmt.Errorf("listing job runs: %w", err)
	}
	for i := range out {
		out[i].StartedAt = out[i].StartedAt.UTC()
		if out[i].FinishedAt.Valid {
			out[i].FinishedAt.Time = out[i].FinishedAt.Time.UTC()
		}
	}
	return out, nil
}
