package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/roasd/roasd/ads"
)

// EncodePolicies is ps as ReconcileState.Policies stores them.
func EncodePolicies(ps []ads.TestPolicy) string {
	if len(ps) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ps) // plain strings: cannot fail
	return string(b)
}

// TestPolicies decodes the state's Policies (none when unreadable).
func (s ReconcileState) TestPolicies() []ads.TestPolicy {
	var out []ads.TestPolicy
	if json.Unmarshal([]byte(s.Policies), &out) != nil {
		return nil
	}
	return out
}

const salesCols = `day, currency, orders, gross_micros, discounts_micros, refunds_micros, cancellations_micros, net_micros,
	paid_micros, organic_micros, unattributed_micros`

// SalesDays lists the brand's store sales of the days in [from, to], by
// day.
func (db *DB) SalesDays(ctx context.Context, brand string, from, to ads.Date) ([]ads.SalesDay, error) {
	var out []ads.SalesDay
	if err := db.x.SelectContext(ctx, &out, `SELECT `+salesCols+` FROM sales_daily WHERE brand = $1 AND day BETWEEN $2 AND $3
		ORDER BY day`, brand, from, to); err != nil {
		return nil, fmt.Errorf("listing store sales of brand %s: %w", brand, err)
	}
	return out, nil
}

// UnconvertedDay is the brand's orders of one currency and day held out
// for want of a rate (ledger channel 'unconverted'): how many and their
// net in their own currency.
type UnconvertedDay struct {
	Day      ads.Date `db:"day"`
	Currency string   `db:"orig_currency"`
	Orders   int64    `db:"orders"`
	Net      int64    `db:"net"`
}

// UnconvertedDays lists the brand's held-out orders per day and currency
// with day in [from, to], by day and currency.
func (db *DB) UnconvertedDays(ctx context.Context, brand string, from, to ads.Date) ([]UnconvertedDay, error) {
	var out []UnconvertedDay
	if err := db.x.SelectContext(ctx, &out, `SELECT day, orig_currency, count(*) AS orders, sum(orig_revenue_micros)::bigint AS net
		FROM ledger WHERE brand = $1 AND channel = 'unconverted' AND day BETWEEN $2 AND $3
		GROUP BY day, orig_currency ORDER BY day, orig_currency`, brand, from, to); err != nil {
		return nil, fmt.Errorf("listing unconverted orders of brand %s: %w", brand, err)
	}
	return out, nil
}

// replaceSales makes the brand's stored sales of days those of rows
// (which must lie on days); all of the brand's when days is nil. Only
// days that differ are written: a pass that changes nothing writes
// nothing.
func replaceSales(ctx context.Context, tx *sqlx.Tx, brand string, days []ads.Date, rows []ads.SalesDay) error {
	q, args := `SELECT `+salesCols+` FROM sales_daily WHERE brand = $1`, []any{brand}
	if days != nil {
		if len(days) == 0 {
			return nil
		}
		q, args = q+` AND day = ANY($2::date[])`, append(args, pq.Array(dayStrings(days)))
	}
	var old []ads.SalesDay
	if err := tx.SelectContext(ctx, &old, q, args...); err != nil {
		return fmt.Errorf("reading store sales of brand %s: %w", brand, err)
	}
	stored := make(map[ads.Date]ads.SalesDay, len(old))
	for _, o := range old {
		stored[o.Day] = o
	}
	var del []string
	ins := rows[:0:0]
	for _, r := range rows {
		o, ok := stored[r.Day]
		delete(stored, r.Day)
		if ok && o == r {
			continue
		}
		if ok {
			del = append(del, r.Day.String())
		}
		ins = append(ins, r)
	}
	for d := range stored {
		del = append(del, d.String())
	}
	if len(del) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sales_daily WHERE brand = $1 AND day = ANY($2::date[])`, brand,
			pq.Array(del)); err != nil {
			return fmt.Errorf("clearing store sales of brand %s: %w", brand, err)
		}
	}
	rows = ins
	if len(rows) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, copyFrom("sales_daily", []string{"brand", "day", "currency", "orders", "gross_micros",
		"discounts_micros", "refunds_micros", "cancellations_micros", "net_micros", "paid_micros", "organic_micros",
		"unattributed_micros"}))
	if err != nil {
		return fmt.Errorf("storing store sales of brand %s: %w", brand, err)
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, brand, r.Day.String(), r.Currency, r.Orders, r.Gross, r.Discounts, r.Refunds,
			r.Cancellations, r.Net, r.Paid, r.Organic, r.Unattributed); err != nil {
			return fmt.Errorf("storing store sales of brand %s on %s: %w", brand, r.Day, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("storing store sales of brand %s: %w", brand, err)
	}
	if err := stmt.Close(); err != nil {
		return fmt.Errorf("storing store sales of brand %s: %w", brand, err)
	}
	return nil
}
