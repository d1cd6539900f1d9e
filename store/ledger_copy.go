package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/roasd/roasd/ads"
)

// ledgerCopyCols are the ledger's columns in the order copyLedger sends
// them.
var ledgerCopyCols = []string{"brand", "source", "source_id", "day", "test_id", "variant_key", "creator", "platform", "channel",
	"rule", "policy", "currency", "revenue_micros", "orig_currency", "orig_revenue_micros", "code", "code_creator", "counted"}

// kpiCopyCols are kpi_daily's columns in the order copyDaily sends them.
var kpiCopyCols = []string{"brand", "day", "test_id", "variant_key", "creator", "platform", "currency", "spend_micros",
	"flat_fee_micros", "commission_micros", "bonus_micros", "paid_revenue_micros", "organic_revenue_micros", "paid_orders",
	"organic_orders", "redemptions", "platform_conversions", "platform_value_micros", "impressions", "clicks", "engagements",
	"views"}

// copyFrom is the COPY … FROM STDIN statement lib/pq streams rows into
// (prepared in a transaction, one Exec per row, a final Exec to flush).
func copyFrom(table string, cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = pq.QuoteIdentifier(c)
	}
	return "COPY " + pq.QuoteIdentifier(table) + " (" + strings.Join(q, ", ") + ") FROM STDIN"
}

// copyLedger writes ledger rows of brand with COPY. The rows' keys must
// not be stored yet (their old rows deleted in the same transaction).
func copyLedger(ctx context.Context, tx *sqlx.Tx, brand string, rows []ads.LedgerLine) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	stmt, err := tx.PrepareContext(ctx, copyFrom("ledger", ledgerCopyCols))
	if err != nil {
		return 0, fmt.Errorf("storing ledger of brand %s: %w", brand, err)
	}
	defer stmt.Close()
	vals := make([]any, len(ledgerCopyCols))
	for i := range rows {
		r := &rows[i]
		vals[0], vals[1], vals[2], vals[3], vals[4], vals[5] = brand, r.Source, r.SourceID, r.Day.String(), r.TestID, r.VariantKey
		vals[6], vals[7], vals[8], vals[9], vals[10], vals[11] = r.Creator, string(r.Platform), r.Channel, r.Rule, r.Policy, r.Currency
		vals[12], vals[13], vals[14], vals[15], vals[16], vals[17] = r.Revenue, r.OrigCurrency, r.OrigRevenue, r.Code, r.CodeCreator, r.Counted
		if _, err := stmt.ExecContext(ctx, vals...); err != nil {
			return 0, fmt.Errorf("storing ledger row %s:%s of brand %s: %w", r.Source, r.SourceID, brand, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return 0, fmt.Errorf("storing ledger of brand %s: %w", brand, err)
	}
	if err := stmt.Close(); err != nil {
		return 0, fmt.Errorf("storing ledger of brand %s: %w", brand, err)
	}
	return int64(len(rows)), nil
}

// copyDaily writes KPI cells of brand with COPY. The cells' keys must not
// be stored yet.
func copyDaily(ctx context.Context, tx *sqlx.Tx, brand string, rows []ads.KPICell) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	stmt, err := tx.PrepareContext(ctx, copyFrom("kpi_daily", kpiCopyCols))
	if err != nil {
		return 0, fmt.Errorf("storing daily KPIs of brand %s: %w", brand, err)
	}
	defer stmt.Close()
	vals := make([]any, len(kpiCopyCols))
	for i := range rows {
		r := &rows[i]
		vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6] = brand, r.Day.String(), r.TestID, r.VariantKey, r.Creator,
			string(r.Platform), r.Currency
		vals[7], vals[8], vals[9], vals[10], vals[11], vals[12], vals[13] = r.Spend, r.FlatFees, r.Commission, r.Bonuses,
			r.PaidRevenue, r.OrganicRevenue, r.PaidOrders
		vals[14], vals[15], vals[16], vals[17], vals[18], vals[19], vals[20], vals[21] = r.OrganicOrders, r.Redemptions,
			r.PlatformConversions, r.PlatformValue, r.Impressions, r.Clicks, r.Engagements, r.Views
		if _, err := stmt.ExecContext(ctx, vals...); err != nil {
			return 0, fmt.Errorf("storing daily KPIs of brand %s on %s: %w", brand, r.Day, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return 0, fmt.Errorf("storing daily KPIs of brand %s: %w", brand, err)
	}
	if err := stmt.Close(); err != nil {
		return 0, fmt.Errorf("storing daily KPIs of brand %s: %w", brand, err)
	}
	return int64(len(rows)), nil
}

// copyReconciled writes ledger rows and KPI cells of brand with COPY (see
// copyLedger and copyDaily).
func copyReconciled(ctx context.Context, tx *sqlx.Tx, brand string, ledger []ads.LedgerLine, daily []ads.KPICell) (int64, error) {
	n, err := copyLedger(ctx, tx, brand, ledger)
	if err != nil {
		return 0, err
	}
	m, err := copyDaily(ctx, tx, brand, daily)
	return n + m, err
}
