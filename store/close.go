package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/roasd/roasd/ads"
)

// MonthClose is a brand's closed month: the snapshot of its KPI cells and
// ledger rows taken when it was closed (issue 18 item 4).
type MonthClose struct {
	Brand string `db:"brand"`
	// Month is the month's first day (in the brand's zone).
	Month    ads.Date `db:"month"`
	Currency string   `db:"currency"`
	Timezone string   `db:"timezone"`
	// ClosedAt is when it was closed; ReconciledAt when the figures of the
	// snapshot were reconciled.
	ClosedAt     time.Time `db:"closed_at"`
	ReconciledAt time.Time `db:"reconciled_at"`
	// FinalThrough is the brand's last final day when it was closed (days
	// after it were provisional then; zero when unknown).
	FinalThrough ads.Date `db:"final_through"`
	// ClosedBy says through what it was closed ("cli" or "api").
	ClosedBy string `db:"closed_by"`
}

// MonthEnd is the last day of the month starting on first.
func MonthEnd(first ads.Date) ads.Date {
	y, m := first.Year, first.Month+1
	if m > 12 {
		y, m = y+1, 1
	}
	return ads.Date{Year: y, Month: m, Day: 1}.AddDays(-1)
}

// MonthOf is the first day of d's month.
func MonthOf(d ads.Date) ads.Date { return ads.Date{Year: d.Year, Month: d.Month, Day: 1} }

const closeCols = `brand, month, currency, timezone, closed_at, reconciled_at, final_through, closed_by`

// CloseMonth freezes brand's month (its first day): in one transaction,
// under the brand's reconcile lock (no reconcile writes meanwhile), it
// calls check with the brand's reconcile state — check refuses by
// returning an error, which CloseMonth returns as is — and copies the
// month's KPI cells and ledger rows into the month's snapshot. A month
// already closed is left as it is: CloseMonth returns its close and
// created false (check is not called). It returns ErrNotFound (wrapped)
// when the brand was never reconciled.
func (db *DB) CloseMonth(ctx context.Context, brand string, month ads.Date, now time.Time, by string,
	check func(ReconcileState) error) (c MonthClose, created bool, err error) {
	month = MonthOf(month)
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockReconcile(ctx, tx, brand); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &c, `SELECT `+closeCols+` FROM month_closes WHERE brand = $1 AND month = $2`, brand, month)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading close of %s %s: %w", brand, month, err)
		}
		var st ReconcileState
		err = tx.GetContext(ctx, &st, `SELECT `+stateCols+` FROM reconcile_state WHERE brand = $1`, brand)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reconcile state of brand %s: %w", brand, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("reading reconcile state of brand %s: %w", brand, err)
		}
		if err := check(st); err != nil {
			return err
		}
		c = MonthClose{Brand: brand, Month: month, Currency: st.Currency, Timezone: st.Timezone, ClosedAt: now.UTC(),
			ReconciledAt: st.ReconciledAt.UTC(), FinalThrough: st.FinalThrough, ClosedBy: by}
		if _, err := tx.ExecContext(ctx, `INSERT INTO month_closes (`+closeCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			c.Brand, c.Month, c.Currency, c.Timezone, c.ClosedAt, c.ReconciledAt, st.finalThrough(), c.ClosedBy); err != nil {
			return fmt.Errorf("closing %s %s: %w", brand, month, err)
		}
		end := MonthEnd(month)
		if _, err := tx.ExecContext(ctx, `INSERT INTO month_close_kpi (brand, month, `+kpiCols+`)
			SELECT brand, $2, `+kpiCols+` FROM kpi_daily WHERE brand = $1 AND day BETWEEN $2 AND $3`, brand, month, end); err != nil {
			return fmt.Errorf("snapshotting KPI cells of %s %s: %w", brand, month, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO month_close_ledger (brand, month, `+closeLedgerCols+`)
			SELECT brand, $2, `+closeLedgerCols+` FROM ledger WHERE brand = $1 AND day BETWEEN $2 AND $3`, brand, month, end); err != nil {
			return fmt.Errorf("snapshotting ledger of %s %s: %w", brand, month, err)
		}
		created = true
		return nil
	})
	if err != nil {
		return MonthClose{}, false, err
	}
	c.ClosedAt, c.ReconciledAt = c.ClosedAt.UTC(), c.ReconciledAt.UTC()
	return c, created, nil
}

const closeLedgerCols = `source, source_id, day, test_id, variant_key, creator, platform, channel, rule, revenue_micros, counted`

// ClosedMonths lists brand's closed months, oldest first.
func (db *DB) ClosedMonths(ctx context.Context, brand string) ([]MonthClose, error) {
	var out []MonthClose
	if err := db.x.SelectContext(ctx, &out, `SELECT `+closeCols+` FROM month_closes WHERE brand = $1 ORDER BY month`, brand); err != nil {
		return nil, fmt.Errorf("listing closed months of %s: %w", brand, err)
	}
	for i := range out {
		out[i].ClosedAt, out[i].ReconciledAt = out[i].ClosedAt.UTC(), out[i].ReconciledAt.UTC()
	}
	return out, nil
}

// ClosedKPIs lists the snapshot KPI cells of brand's closed months with
// day in [from, to], ordered like KPICells.
func (db *DB) ClosedKPIs(ctx context.Context, brand string, from, to ads.Date) ([]ads.KPICell, error) {
	var out []ads.KPICell
	if err := db.x.SelectContext(ctx, &out, `SELECT `+kpiCols+` FROM month_close_kpi WHERE brand = $1 AND day BETWEEN $2 AND $3
		ORDER BY day, test_id, variant_key, creator, platform`, brand, from, to); err != nil {
		return nil, fmt.Errorf("listing closed KPIs of brand %s: %w", brand, err)
	}
	return out, nil
}

// ClosedLedger lists the snapshot ledger rows of brand with day in [from,
// to] (of closed months), ordered by day, source, source id. Fields the
// snapshot does not keep (policy, currencies, codes) are empty.
func (db *DB) ClosedLedger(ctx context.Context, brand string, from, to ads.Date) ([]ads.LedgerLine, error) {
	var out []ads.LedgerLine
	if err := db.x.SelectContext(ctx, &out, `SELECT `+closeLedgerCols+` FROM month_close_ledger
		WHERE brand = $1 AND day BETWEEN $2 AND $3 ORDER BY day, source, source_id`, brand, from, to); err != nil {
		return nil, fmt.Errorf("listing closed ledger of brand %s: %w", brand, err)
	}
	return out, nil
}
