package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/roasd/roasd/ads"
)

// Writing a reconcile pass: the pass's rows of some days are compared with
// what is stored for those days, and only the differences are written —
// deletes of stored rows that changed or are gone, COPY of rows that
// changed or are new. A pass mostly re-derives the rows already stored (a
// rebuild after a configuration change, a day where a few orders changed),
// and deleting and re-inserting an unchanged row costs PostgreSQL several
// times more than reading it: the dead version stays in the unique index
// and every insert of its key has to step over it.

// ledgerKey is a ledger row's key within a brand.
type ledgerKey struct{ source, sourceID string }

// kpiKey is a KPI cell's key within a brand.
type kpiKey struct {
	day                    ads.Date
	test, variant, creator string
	platform               ads.Platform
}

// dayChanges is what writing a pass's rows of some days changes.
type dayChanges struct {
	// ledgerDel and kpiDel are stored keys to delete: rows that changed
	// or are no longer derived. ledgerDel also holds the keys of new rows
	// that may be stored on another day (their record moved).
	ledgerDel []ledgerKey
	kpiDel    []kpiKey
	// ledgerIns and kpiIns are rows to insert: changed and new ones.
	ledgerIns []LedgerEntry
	kpiIns    []DailyKPI
}

// writePart makes the brand's stored ledger rows and KPI cells of days
// equal to ledger and daily (which must lie on days), writing only the
// differences. When elsewhere is false the caller knows no new ledger key
// is stored on another day, which spares a lookup per new row.
//
// The stored rows are read into buf, which the caller may reuse for the
// next part.
func writePart(ctx context.Context, tx *sqlx.Tx, brand string, days []ads.Date, ledger []LedgerEntry, daily []DailyKPI,
	elsewhere bool, buf *partBuffers) error {
	if len(days) == 0 {
		return nil
	}
	var err error
	if buf.ledger, err = storedLedgerOf(ctx, tx, brand, days, buf.ledger); err != nil {
		return err
	}
	if buf.daily, err = storedDailyOf(ctx, tx, brand, days, buf.daily); err != nil {
		return err
	}
	ch := diffPart(buf.ledger, buf.daily, ledger, daily, elsewhere)
	if err := deleteLedgerKeys(ctx, tx, brand, ch.ledgerDel); err != nil {
		return err
	}
	if err := deleteKPIKeys(ctx, tx, brand, ch.kpiDel); err != nil {
		return err
	}
	_, err = copyReconciled(ctx, tx, brand, ch.ledgerIns, ch.kpiIns)
	return err
}

// partBuffers hold the stored rows writePart reads, reused across parts.
type partBuffers struct {
	ledger []LedgerEntry
	daily  []DailyKPI
}

// diffPart compares stored rows with a pass's rows of the same days.
func diffPart(storedLedger []LedgerEntry, storedDaily []DailyKPI, ledger []LedgerEntry, daily []DailyKPI, elsewhere bool) dayChanges {
	var ch dayChanges
	byKey := make(map[ledgerKey]int, len(storedLedger))
	for i, r := range storedLedger {
		byKey[ledgerKey{r.Source, r.SourceID}] = i
	}
	kept := make([]bool, len(storedLedger))
	for _, r := range ledger {
		k := ledgerKey{r.Source, r.SourceID}
		i, ok := byKey[k]
		switch {
		case ok && !kept[i] && storedLedger[i] == r:
			kept[i] = true
			continue
		case !ok && elsewhere:
			ch.ledgerDel = append(ch.ledgerDel, k)
		}
		ch.ledgerIns = append(ch.ledgerIns, r)
	}
	for i, r := range storedLedger {
		if !kept[i] {
			ch.ledgerDel = append(ch.ledgerDel, ledgerKey{r.Source, r.SourceID})
		}
	}

	cells := make(map[kpiKey]int, len(storedDaily))
	for i, c := range storedDaily {
		cells[kpiKeyOf(c)] = i
	}
	keptCell := make([]bool, len(storedDaily))
	for _, c := range daily {
		if i, ok := cells[kpiKeyOf(c)]; ok && !keptCell[i] && storedDaily[i] == c {
			keptCell[i] = true
			continue
		}
		ch.kpiIns = append(ch.kpiIns, c)
	}
	for i, c := range storedDaily {
		if !keptCell[i] {
			ch.kpiDel = append(ch.kpiDel, kpiKeyOf(c))
		}
	}
	return ch
}

func kpiKeyOf(c DailyKPI) kpiKey {
	return kpiKey{c.Day, c.TestID, c.VariantKey, c.Creator, c.Platform}
}

// storedLedgerOf reads the brand's stored ledger rows of days, appending
// them to buf[:0].
func storedLedgerOf(ctx context.Context, tx *sqlx.Tx, brand string, days []ads.Date, buf []LedgerEntry) ([]LedgerEntry, error) {
	rows, err := tx.QueryContext(ctx, `SELECT source, source_id, day, test_id, variant_key, creator, platform, channel, rule,
		policy, currency, revenue_micros, orig_currency, orig_revenue_micros, code, code_creator, counted
		FROM ledger WHERE brand = $1 AND day = ANY($2::date[])`, brand, pq.Array(dayStrings(days)))
	if err != nil {
		return nil, fmt.Errorf("reading stored ledger of brand %s: %w", brand, err)
	}
	defer rows.Close()
	out := buf[:0]
	for rows.Next() {
		out = append(out, LedgerEntry{})
		r := &out[len(out)-1]
		if err := rows.Scan(&r.Source, &r.SourceID, &r.Day, &r.TestID, &r.VariantKey, &r.Creator, &r.Platform, &r.Channel,
			&r.Rule, &r.Policy, &r.Currency, &r.Revenue, &r.OrigCurrency, &r.OrigRevenue, &r.Code, &r.CodeCreator,
			&r.Counted); err != nil {
			return nil, fmt.Errorf("reading stored ledger of brand %s: %w", brand, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading stored ledger of brand %s: %w", brand, err)
	}
	return out, nil
}

// storedDailyOf reads the brand's stored KPI cells of days, appending them
// to buf[:0].
func storedDailyOf(ctx context.Context, tx *sqlx.Tx, brand string, days []ads.Date, buf []DailyKPI) ([]DailyKPI, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+kpiCols+` FROM kpi_daily WHERE brand = $1 AND day = ANY($2::date[])`,
		brand, pq.Array(dayStrings(days)))
	if err != nil {
		return nil, fmt.Errorf("reading stored daily KPIs of brand %s: %w", brand, err)
	}
	defer rows.Close()
	out := buf[:0]
	for rows.Next() {
		out = append(out, DailyKPI{})
		r := &out[len(out)-1]
		if err := rows.Scan(&r.Day, &r.TestID, &r.VariantKey, &r.Creator, &r.Platform, &r.Currency, &r.Spend, &r.FlatFees,
			&r.Commission, &r.Bonuses, &r.PaidRevenue, &r.OrganicRevenue, &r.PaidOrders, &r.OrganicOrders, &r.Redemptions,
			&r.PlatformConversions, &r.PlatformValue, &r.Impressions, &r.Clicks, &r.Engagements, &r.Views); err != nil {
			return nil, fmt.Errorf("reading stored daily KPIs of brand %s: %w", brand, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading stored daily KPIs of brand %s: %w", brand, err)
	}
	return out, nil
}

// deleteLedgerKeys deletes the brand's ledger rows with keys, one index
// probe per key.
func deleteLedgerKeys(ctx context.Context, tx *sqlx.Tx, brand string, keys []ledgerKey) error {
	for lo := 0; lo < len(keys); lo += upsertBatch {
		batch := keys[lo:min(lo+upsertBatch, len(keys))]
		src, ids := make([]string, len(batch)), make([]string, len(batch))
		for i, k := range batch {
			src[i], ids[i] = k.source, k.sourceID
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ledger l USING unnest($2::text[], $3::text[]) AS d(source, source_id)
			WHERE l.brand = $1 AND l.source = d.source AND l.source_id = d.source_id`,
			brand, pq.Array(src), pq.Array(ids)); err != nil {
			return fmt.Errorf("deleting changed ledger rows of brand %s: %w", brand, err)
		}
	}
	return nil
}

// deleteKPIKeys deletes the brand's KPI cells with keys.
func deleteKPIKeys(ctx context.Context, tx *sqlx.Tx, brand string, keys []kpiKey) error {
	for lo := 0; lo < len(keys); lo += upsertBatch {
		batch := keys[lo:min(lo+upsertBatch, len(keys))]
		cols := make([][]string, 5)
		for _, k := range batch {
			cols[0] = append(cols[0], k.day.String())
			cols[1] = append(cols[1], k.test)
			cols[2] = append(cols[2], k.variant)
			cols[3] = append(cols[3], k.creator)
			cols[4] = append(cols[4], string(k.platform))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM kpi_daily k
			USING unnest($2::date[], $3::text[], $4::text[], $5::text[], $6::text[]) AS d(day, test_id, variant_key, creator, platform)
			WHERE k.brand = $1 AND k.day = d.day AND k.test_id = d.test_id AND k.variant_key = d.variant_key
				AND k.creator = d.creator AND k.platform = d.platform`,
			brand, pq.Array(cols[0]), pq.Array(cols[1]), pq.Array(cols[2]), pq.Array(cols[3]), pq.Array(cols[4])); err != nil {
			return fmt.Errorf("deleting changed daily KPIs of brand %s: %w", brand, err)
		}
	}
	return nil
}

func dayStrings(days []ads.Date) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = d.String()
	}
	return out
}
