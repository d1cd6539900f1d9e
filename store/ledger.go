package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/roasd/roasd/ads"
)

// ReconcileState is how far a brand's ledger is reconciled.
type ReconcileState struct {
	Brand    string `db:"brand"`
	Currency string `db:"currency"`
	// Timezone is the brand's reporting zone (IANA name; "" when stored
	// before it was recorded).
	Timezone string `db:"timezone"`
	// Fingerprint identifies the configuration and variant→ad links the
	// ledger was built with; when it changes the next run rebuilds.
	Fingerprint string `db:"fingerprint"`
	// Watermark: source rows (orders, link conversions, daily stats) whose
	// changed_at is at or after it are not reconciled yet.
	Watermark    time.Time `db:"watermark"`
	ReconciledAt time.Time `db:"reconciled_at"`
	// FinalThrough is the last day that was final when the brand was
	// reconciled (reconcile.FinalityOf; zero when unknown): later days
	// are provisional. ProvisionalWhy names the windows behind it.
	FinalThrough   ads.Date `db:"final_through"`
	ProvisionalWhy string   `db:"provisional_why"`
	// Policies are the attribution policies of the tests the ledger was
	// built with (for the report's header), as JSON (EncodePolicies; ""
	// stores none).
	Policies string `db:"policies"`
}

// finalThrough is FinalThrough as a nullable DATE parameter.
func (s ReconcileState) finalThrough() any {
	if s.FinalThrough.IsZero() {
		return nil
	}
	return s.FinalThrough
}

const stateCols = `brand, currency, timezone, fingerprint, watermark, reconciled_at, final_through, provisional_why,
	CASE WHEN policies = '[]' THEN '' ELSE policies::text END AS policies`

// ReconcileState returns the brand's reconcile state, or ErrNotFound when
// the brand was never reconciled.
func (db *DB) ReconcileState(ctx context.Context, brand string) (ReconcileState, error) {
	var s ReconcileState
	err := db.x.GetContext(ctx, &s, `SELECT `+stateCols+` FROM reconcile_state WHERE brand = $1`, brand)
	if errors.Is(err, sql.ErrNoRows) {
		return ReconcileState{}, fmt.Errorf("reconcile state of brand %s: %w", brand, ErrNotFound)
	}
	if err != nil {
		return ReconcileState{}, fmt.Errorf("reading reconcile state of brand %s: %w", brand, err)
	}
	s.Watermark, s.ReconciledAt = s.Watermark.UTC(), s.ReconciledAt.UTC()
	return s, nil
}

// ReconciledBrands lists the state of every reconciled brand, by name.
func (db *DB) ReconciledBrands(ctx context.Context) ([]ReconcileState, error) {
	var out []ReconcileState
	if err := db.x.SelectContext(ctx, &out, `SELECT `+stateCols+` FROM reconcile_state ORDER BY brand`); err != nil {
		return nil, fmt.Errorf("listing reconciled brands: %w", err)
	}
	for i := range out {
		out[i].Watermark, out[i].ReconciledAt = out[i].Watermark.UTC(), out[i].ReconciledAt.UTC()
	}
	return out, nil
}

// Clock returns the database's current time; reconcile watermarks are
// taken from it so they compare with changed_at (set by the database).
func (db *DB) Clock(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := db.x.GetContext(ctx, &t, `SELECT statement_timestamp()`); err != nil {
		return time.Time{}, fmt.Errorf("reading database clock: %w", err)
	}
	return t.UTC(), nil
}

// AffectedQuery selects the days a brand must reconcile again.
type AffectedQuery struct {
	Brand string
	// Shops are the brand's stores (none when it has none).
	Shops []string
	// Timezone is the IANA zone days are bucketed in.
	Timezone string
	// Since is the brand's watermark.
	Since time.Time
	// Accounts are the brand's own ad accounts: every stat of theirs
	// counts, a declared variant's or not (unattributed spend,
	// reconcile.Unattributed).
	Accounts []AccountRef
}

// affectedDaysSQL finds, in the brand's zone, the days of source rows that
// changed at or after $1: orders of the shop, link conversions, link
// conversions naming a changed order (its id, numeric id or name), orders
// a changed link conversion names (a conversion may give an unattributed
// order to its creator, reconcile.AttrLinkOrder), daily stats of the
// brand's variant ads and of its own accounts (q.Accounts), and the days their ledger rows had before (should a
// record have moved).
//
// Every lookup from a changed row is a correlated subquery on an index
// (ledger's key, link_conversions_order_id, link_conversions_order_ref,
// variant_ads_ad), so the cost follows the number of changed rows, not the
// size of the tables — except the orders changed link conversions name:
// they are matched (by name or numeric id, which no index covers) in one
// pass over the shop's orders against the hashed references, made only
// when a changed conversion names an order. (Stale statistics can still mislead the planner:
// right after a brand's first rebuild they would say the ledger is empty,
// which is why a rebuild that inserts many rows analyzes the tables; see
// RebuildReconciled.)
const affectedDaysSQL = `
WITH ch_orders AS MATERIALIZED (
	SELECT order_id, name, created_at FROM orders WHERE shop = ANY($2::text[]) AND changed_at >= $1
), ch_links AS MATERIALIZED (
	SELECT source, conversion_id, at, order_id, brand FROM link_conversions WHERE changed_at >= $1
), link_refs AS MATERIALIZED (
	SELECT DISTINCT order_id AS ref FROM ch_links WHERE order_id <> '' AND brand = $4
)
SELECT DISTINCT day FROM (
	SELECT (created_at AT TIME ZONE $3)::date AS day FROM ch_orders
	UNION ALL SELECT (SELECT l.day FROM ledger l WHERE l.brand = $4 AND l.source = 'order' AND l.source_id = o.order_id)
		FROM ch_orders o
	UNION ALL SELECT (at AT TIME ZONE $3)::date FROM ch_links WHERE brand = $4
	UNION ALL SELECT (SELECT l.day FROM ledger l WHERE l.brand = $4 AND l.source = 'link'
		AND l.source_id = c.source || ':' || c.conversion_id) FROM ch_links c
	UNION ALL SELECT (x.at AT TIME ZONE $3)::date FROM ch_orders o CROSS JOIN LATERAL (
		SELECT lc.at FROM link_conversions lc WHERE lc.order_id <> '' AND lc.brand = $4
			AND lc.order_id IN (o.order_id, o.name, substring(o.order_id from '[0-9]+$'))
		UNION ALL SELECT lc.at FROM link_conversions lc WHERE lc.order_id <> '' AND lc.brand = $4 AND ltrim(lc.order_id, '#') = ltrim(o.name, '#')
	) x
	UNION ALL SELECT (o.created_at AT TIME ZONE $3)::date FROM orders o WHERE o.shop = ANY($2::text[])
		AND EXISTS (SELECT 1 FROM link_refs) AND (o.order_id IN (SELECT ref FROM link_refs)
		OR o.name IN (SELECT ref FROM link_refs) OR ltrim(o.name, '#') IN (SELECT ltrim(ref, '#') FROM link_refs)
		OR substring(o.order_id from '[0-9]+$') IN (SELECT ref FROM link_refs))
	UNION ALL SELECT s.day FROM ad_day_stats s WHERE s.changed_at >= $1 AND EXISTS (
		SELECT 1 FROM variant_ads v WHERE v.brand = $4 AND v.platform = s.platform AND v.ad_id = s.ad_id)
	UNION ALL SELECT s.day FROM unnest($5::text[], $6::text[]) AS k(platform, account)
		JOIN ad_day_stats s ON s.platform = k.platform AND s.account = k.account WHERE s.changed_at >= $1
) d WHERE day IS NOT NULL ORDER BY day`

// AffectedDays lists the days (in the brand's zone, ascending) whose
// ledger rows or KPI cells may differ from what is stored because a source
// row changed at or after q.Since.
func (db *DB) AffectedDays(ctx context.Context, q AffectedQuery) ([]ads.Date, error) {
	tz := q.Timezone
	if tz == "" {
		tz = "UTC"
	}
	plats, accts := make([]string, len(q.Accounts)), make([]string, len(q.Accounts))
	for i, a := range q.Accounts {
		plats[i], accts[i] = string(a.Platform), a.Account
	}
	var days []ads.Date
	if err := db.x.SelectContext(ctx, &days, affectedDaysSQL, q.Since, pq.Array(q.Shops), tz, q.Brand, pq.Array(plats), pq.Array(accts)); err != nil {
		return nil, fmt.Errorf("finding days to reconcile for brand %s: %w", q.Brand, err)
	}
	return days, nil
}

// OrderKey identifies a stored order.
type OrderKey struct {
	ID   string `db:"order_id"`
	Name string `db:"name"`
}

// OrderKeys lists the orders of shops that any of refs may name: by id,
// numeric id suffix or name (with or without '#'). It over-selects; the
// caller matches exactly.
func (db *DB) OrderKeys(ctx context.Context, shops []string, refs []string) ([]OrderKey, error) {
	if len(refs) == 0 || len(shops) == 0 {
		return nil, nil
	}
	var out []OrderKey
	if err := db.x.SelectContext(ctx, &out, `SELECT order_id, name FROM orders WHERE shop = ANY($1) AND (
		order_id = ANY($2) OR name = ANY($2) OR ltrim(name, '#') = ANY($2) OR substring(order_id from '[0-9]+$') = ANY($2))
		ORDER BY order_id`, pq.Array(shops), pq.Array(refs)); err != nil {
		return nil, fmt.Errorf("looking up orders of %s: %w", strings.Join(shops, ", "), err)
	}
	return out, nil
}

// ReconcileWrite is one reconcile pass's output for a brand.
type ReconcileWrite struct {
	Brand string
	// Full replaces every ledger row and KPI cell of the brand; otherwise
	// only those of Days are replaced.
	Full   bool
	Days   []ads.Date
	Ledger []ads.LedgerLine
	Daily  []ads.KPICell
	// Sales are the store sales of the days (sales_daily).
	Sales []ads.SalesDay
	// State is stored as the brand's new reconcile state.
	State ReconcileState
}

// ReplaceReconciled stores a reconcile pass in one transaction: it makes
// the brand's ledger rows and KPI cells of w.Days (all of them when
// w.Full) those of w.Ledger and w.Daily, and records w.State. Concurrent
// passes of one brand are serialized. It returns the rows of the pass
// (len(w.Ledger) + len(w.Daily)).
//
// Only what differs from the stored rows of w.Days is written (see
// writePart): a ledger row whose key is stored on another day is moved.
// A pass of some days is ReplaceReconciledParts with one part. A full pass
// deletes everything and writes w's rows with COPY. A pass that names a
// ledger key or KPI cell twice fails, changing nothing.
func (db *DB) ReplaceReconciled(ctx context.Context, w ReconcileWrite) (int64, error) {
	s := w.State
	s.Brand = w.Brand
	if !w.Full {
		part := ReconcilePart{Days: w.Days, Ledger: w.Ledger, Daily: w.Daily, Sales: w.Sales}
		return db.ReplaceReconciledParts(ctx, s, func() (ReconcilePart, bool, error) { return part, true, nil })
	}
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockReconcile(ctx, tx, w.Brand); err != nil {
			return err
		}
		for _, table := range []string{"ledger", "kpi_daily"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE brand = $1`, w.Brand); err != nil {
				return fmt.Errorf("clearing %s of brand %s: %w", table, w.Brand, err)
			}
		}
		if _, err := copyReconciled(ctx, tx, w.Brand, w.Ledger, w.Daily); err != nil {
			return err
		}
		if err := replaceSales(ctx, tx, w.Brand, nil, w.Sales); err != nil {
			return err
		}
		return saveReconcileState(ctx, tx, s)
	})
	if err != nil {
		return 0, err
	}
	return int64(len(w.Ledger) + len(w.Daily)), nil
}

// lockReconcile serializes the reconcile passes of a brand until the
// transaction ends.
func lockReconcile(ctx context.Context, tx *sqlx.Tx, brand string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(72740002, hashtext($1))`, brand); err != nil {
		return fmt.Errorf("locking reconcile of brand %s: %w", brand, err)
	}
	return nil
}

// ReconcilePart is a reconcile pass's rows of some days (see
// RebuildReconciled and ReplaceReconciledParts).
type ReconcilePart struct {
	// Days are the days the part covers; its rows lie on them.
	Days   []ads.Date
	Ledger []ads.LedgerLine
	Daily  []ads.KPICell
	Sales  []ads.SalesDay
}

// RebuildReconciled stores a full rebuild of state.Brand produced in parts
// (spans of days), in one transaction: it calls next until it reports done
// and makes the brand's stored rows of each part's days those of the part,
// then deletes the brand's rows of every day no part covered and records
// state. Only what differs from the stored rows is written (see
// writePart). Only one part need be in memory at a time. next is first
// called once the brand's reconcile lock is held; it runs while the
// transaction is open and may read the database through db on up to
// PartReaders connections at once (it may produce the parts concurrently;
// see jobs.ReconcileBrand). It returns the
// rows of all parts; nothing is changed when next or a write fails, or ctx
// is cancelled. The parts must not repeat a day or a ledger key.
//
// When the rebuild inserted many rows (a brand's first reconcile) the
// ledger and KPI tables are analyzed afterwards: the planner would
// otherwise still see them as they were, and later passes' lookups would
// scan instead of probing the keys.
func (db *DB) RebuildReconciled(ctx context.Context, state ReconcileState,
	next func() (part ReconcilePart, done bool, err error)) (int64, error) {
	return db.storeParts(ctx, state, true, next)
}

// ReplaceReconciledParts stores an incremental reconcile pass of
// state.Brand produced in parts, in one transaction, as RebuildReconciled
// does (same lock, same writes, same atomicity, the same analyze after
// many inserted rows), except that only the days the parts cover are
// replaced: the brand's rows of every other day stay as they are. A
// ledger row whose key is stored on a day no part covers is moved to its
// part's day. jobs.ReconcileBrand reconciles the days a change affected
// this way, a few days at a time.
func (db *DB) ReplaceReconciledParts(ctx context.Context, state ReconcileState,
	next func() (part ReconcilePart, done bool, err error)) (int64, error) {
	return db.storeParts(ctx, state, false, next)
}

// storeParts is RebuildReconciled when full, else ReplaceReconciledParts.
// It waits for its turn among the PartPasses before it takes a connection.
func (db *DB) storeParts(ctx context.Context, state ReconcileState, full bool,
	next func() (part ReconcilePart, done bool, err error)) (int64, error) {
	select {
	case db.passes <- struct{}{}:
	case <-ctx.Done():
		return 0, fmt.Errorf("waiting to store the reconcile of brand %s: %w", state.Brand, ctx.Err())
	}
	var written, inserted int64
	err := func() error {
		defer func() { <-db.passes }() // also when next panics (the runner recovers)
		return db.InTx(ctx, func(tx *sqlx.Tx) (err error) {
			written, inserted, err = writeParts(ctx, tx, state, full, next)
			return err
		})
	}()
	if err != nil {
		return 0, err
	}
	if inserted >= analyzeAfter {
		if err := db.Analyze(ctx, "ledger", "kpi_daily"); err != nil {
			slog.Warn("analyzing after a rebuild", "brand", state.Brand, "err", err)
		}
	}
	return written, nil
}

// writeParts is storeParts' transaction: it returns the rows of the parts
// and how many rows it inserted.
func writeParts(ctx context.Context, tx *sqlx.Tx, state ReconcileState, full bool,
	next func() (part ReconcilePart, done bool, err error)) (written, inserted int64, err error) {
	if err := lockReconcile(ctx, tx, state.Brand); err != nil {
		return 0, 0, err
	}
	// A brand with no ledger yet (its first reconcile) has no stored
	// row to compare with. A pass of some days compares always.
	stored := true
	if full {
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ledger WHERE brand = $1)
		OR EXISTS (SELECT 1 FROM kpi_daily WHERE brand = $1)`, state.Brand).Scan(&stored); err != nil {
			return 0, 0, fmt.Errorf("reading ledger of brand %s: %w", state.Brand, err)
		}
	}
	var (
		covered []ads.Date
		buf     partBuffers
	)
	for {
		p, done, err := next()
		if err != nil {
			return 0, 0, err
		}
		n, err := writePart(ctx, tx, state.Brand, p.Days, p.Ledger, p.Daily, stored, &buf)
		if err != nil {
			return 0, 0, err
		}
		if stored || len(p.Sales) > 0 {
			if err := replaceSales(ctx, tx, state.Brand, nonNil(p.Days), p.Sales); err != nil {
				return 0, 0, err
			}
		}
		inserted += n
		if full {
			covered = append(covered, p.Days...)
		}
		written += int64(len(p.Ledger) + len(p.Daily))
		if done {
			break
		}
	}
	if full && stored {
		// Covered days are usually one run of days: then the rest is
		// two ranges of the (brand, day) index, not a scan.
		q, args := `DELETE FROM %s WHERE brand = $1 AND NOT day = ANY($2::date[])`, []any{state.Brand, pq.Array(dayStrings(covered))}
		if r, ok := dayRun(covered); ok {
			q, args = `DELETE FROM %s WHERE brand = $1 AND (day < $2 OR day > $3)`, []any{state.Brand, r.From, r.To}
		}
		for _, table := range []string{"ledger", "kpi_daily", "sales_daily"} {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(q, table), args...); err != nil {
				return 0, 0, fmt.Errorf("clearing %s of brand %s outside the rebuilt days: %w", table, state.Brand, err)
			}
		}
	}
	return written, inserted, saveReconcileState(ctx, tx, state)
}

// nonNil is days, or an empty list when nil (replaceSales reads nil as
// every day).
func nonNil(days []ads.Date) []ads.Date {
	if days == nil {
		return []ads.Date{}
	}
	return days
}

// dayRun reports whether days (in any order) are exactly the days of one
// non-empty range, each once, and returns it.
func dayRun(days []ads.Date) (ads.DateRange, bool) {
	if len(days) == 0 {
		return ads.DateRange{}, false
	}
	sorted := slices.SortedFunc(slices.Values(days), func(a, b ads.Date) int { return a.Compare(b) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i] != sorted[i-1].AddDays(1) {
			return ads.DateRange{}, false
		}
	}
	return ads.DateRange{From: sorted[0], To: sorted[len(sorted)-1]}, true
}

// analyzeAfter is how many inserted rows make a rebuild analyze the
// tables it wrote.
const analyzeAfter = 50_000

// saveReconcileState records a brand's reconcile state.
func saveReconcileState(ctx context.Context, tx *sqlx.Tx, s ReconcileState) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO reconcile_state (brand, currency, timezone, fingerprint, watermark, reconciled_at,
		final_through, provisional_why, policies)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (brand) DO UPDATE SET currency = EXCLUDED.currency,
		timezone = EXCLUDED.timezone, fingerprint = EXCLUDED.fingerprint, watermark = EXCLUDED.watermark,
		reconciled_at = EXCLUDED.reconciled_at, final_through = EXCLUDED.final_through,
		provisional_why = EXCLUDED.provisional_why, policies = EXCLUDED.policies`,
		s.Brand, s.Currency, s.Timezone, s.Fingerprint, s.Watermark, s.ReconciledAt, s.finalThrough(), s.ProvisionalWhy,
		cmp.Or(s.Policies, "[]")); err != nil {
		return fmt.Errorf("storing reconcile state of brand %s: %w", s.Brand, err)
	}
	return nil
}

// SourceDays returns the span of days (in zone tz) that the source rows a
// brand reconciles from fall on: orders of shops (none when shops is empty),
// link conversions and daily stats. ok is false when there are none.
func (db *DB) SourceDays(ctx context.Context, shops []string, tz string) (r ads.DateRange, ok bool, err error) {
	if tz == "" {
		tz = "UTC"
	}
	var lo, hi sql.NullString
	err = db.x.QueryRowxContext(ctx, `SELECT min(d)::text, max(d)::text FROM (
		SELECT ((SELECT min(created_at) FROM orders WHERE shop = s) AT TIME ZONE $2)::date AS d FROM unnest($1::text[]) s
		UNION ALL SELECT ((SELECT max(created_at) FROM orders WHERE shop = s) AT TIME ZONE $2)::date FROM unnest($1::text[]) s
		UNION ALL SELECT (min(at) AT TIME ZONE $2)::date FROM link_conversions
		UNION ALL SELECT (max(at) AT TIME ZONE $2)::date FROM link_conversions
		UNION ALL SELECT min(day) FROM ad_day_stats
		UNION ALL SELECT max(day) FROM ad_day_stats) x`, pq.Array(shops), tz).Scan(&lo, &hi)
	if err != nil {
		return ads.DateRange{}, false, fmt.Errorf("finding the days of source rows: %w", err)
	}
	if !lo.Valid || !hi.Valid {
		return ads.DateRange{}, false, nil
	}
	if r.From, err = ads.ParseDate(lo.String); err != nil {
		return ads.DateRange{}, false, fmt.Errorf("finding the days of source rows: %w", err)
	}
	if r.To, err = ads.ParseDate(hi.String); err != nil {
		return ads.DateRange{}, false, fmt.Errorf("finding the days of source rows: %w", err)
	}
	return r, true, nil
}

// LinkOrderRefs lists the distinct non-empty order references of the link
// conversions brand owns (see OrderKeys).
func (db *DB) LinkOrderRefs(ctx context.Context, brand string) ([]string, error) {
	var out []string
	if err := db.x.SelectContext(ctx, &out, `SELECT DISTINCT order_id FROM link_conversions WHERE brand = $1 AND order_id <> '' ORDER BY order_id`, brand); err != nil {
		return nil, fmt.Errorf("listing order references of link conversions: %w", err)
	}
	return out, nil
}

const kpiCols = `day, test_id, variant_key, creator, platform, currency, spend_micros, flat_fee_micros, commission_micros,
	bonus_micros, paid_revenue_micros, organic_revenue_micros, paid_orders, organic_orders, redemptions, platform_conversions,
	platform_value_micros, impressions, clicks, engagements, views`

// KPICells lists the brand's KPI cells with day in [from, to], ordered by
// day, test, variant, creator, platform. This is what reports are summed
// from (reconcile.Summarize).
func (db *DB) KPICells(ctx context.Context, brand string, from, to ads.Date) ([]ads.KPICell, error) {
	var out []ads.KPICell
	if err := db.x.SelectContext(ctx, &out, `SELECT `+kpiCols+` FROM kpi_daily WHERE brand = $1 AND day BETWEEN $2 AND $3
		ORDER BY day, test_id, variant_key, creator, platform`, brand, from, to); err != nil {
		return nil, fmt.Errorf("listing daily KPIs of brand %s: %w", brand, err)
	}
	return out, nil
}

// Ledger lists the brand's ledger rows with day in [from, to], ordered by
// day, source, source id.
func (db *DB) Ledger(ctx context.Context, brand string, from, to ads.Date) ([]ads.LedgerLine, error) {
	var out []ads.LedgerLine
	if err := db.x.SelectContext(ctx, &out, `SELECT source, source_id, day, test_id, variant_key, creator, platform, channel,
		rule, policy, currency, revenue_micros, orig_currency, orig_revenue_micros, code, code_creator, counted
		FROM ledger WHERE brand = $1 AND day BETWEEN $2 AND $3 ORDER BY day, source, source_id`, brand, from, to); err != nil {
		return nil, fmt.Errorf("listing ledger of brand %s: %w", brand, err)
	}
	return out, nil
}
