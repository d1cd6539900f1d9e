package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/roasd/roasd/ads"
)

// KPIWindow is a test's days From … To, inclusive.
type KPIWindow struct {
	TestID   string
	From, To ads.Date
}

// WindowSums sums each window's KPI cells by variant, in the database:
// out[i][variantKey] for windows[i], with the quantities the verdicts
// judge a variant on (spend, paid revenue and orders, platform
// conversions, impressions, engagements; the others stay zero). A test's
// cells are read once per window it is judged on (a checkpoint, or up to
// today for its guards), so a brand's verdicts move a few thousand sums,
// not every cell of every day.
func (db *DB) WindowSums(ctx context.Context, brand string, windows []KPIWindow) ([]map[string]ads.KPI, error) {
	out := make([]map[string]ads.KPI, len(windows))
	if len(windows) == 0 {
		return out, nil
	}
	tests := make([]string, len(windows))
	from := make([]string, len(windows))
	to := make([]string, len(windows))
	for i, w := range windows {
		tests[i], from[i], to[i] = w.TestID, w.From.String(), w.To.String()
		out[i] = map[string]ads.KPI{}
	}
	lo, hi := windows[0].From, windows[0].To
	for _, w := range windows[1:] {
		if w.From.Before(lo) {
			lo = w.From
		}
		if w.To.After(hi) {
			hi = w.To
		}
	}
	// The brand's variant cells are read once (one range of the primary
	// key) and hash-joined to the windows by test.
	rows, err := db.x.QueryContext(ctx, `
		WITH cells AS MATERIALIZED (
			SELECT test_id, variant_key, day, spend_micros, paid_revenue_micros, paid_orders, platform_conversions, impressions, engagements
			FROM kpi_daily WHERE brand = $1 AND day BETWEEN $5 AND $6 AND test_id <> '' AND variant_key <> '')
		SELECT w.n, k.variant_key, sum(k.spend_micros), sum(k.paid_revenue_micros), sum(k.paid_orders),
			sum(k.platform_conversions), sum(k.impressions), sum(k.engagements)
		FROM unnest($2::text[], $3::date[], $4::date[]) WITH ORDINALITY AS w(test_id, from_day, to_day, n)
		JOIN cells k ON k.test_id = w.test_id AND k.day BETWEEN w.from_day AND w.to_day
		GROUP BY w.n, k.variant_key`, brand, pq.Array(tests), pq.Array(from), pq.Array(to), lo, hi)
	if err != nil {
		return nil, fmt.Errorf("summing KPI windows of brand %s: %w", brand, err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int
		var key string
		var s ads.KPI
		if err := rows.Scan(&n, &key, &s.Spend, &s.PaidRevenue, &s.PaidOrders, &s.PlatformConversions, &s.Impressions, &s.Engagements); err != nil {
			return nil, fmt.Errorf("summing KPI windows of brand %s: %w", brand, err)
		}
		out[n-1][key] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("summing KPI windows of brand %s: %w", brand, err)
	}
	return out, nil
}
