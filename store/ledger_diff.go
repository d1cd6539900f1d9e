package store

import (
	"context"
	"fmt"
	"strconv"

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
	ledgerIns []ads.LedgerLine
	kpiIns    []ads.KPICell
}

// writePart makes the brand's stored ledger rows and KPI cells of days
// equal to ledger and daily (which must lie on days), writing only the
// differences, and returns how many rows it inserted. When stored is false
// the caller knows the brand had no stored rows before this transaction
// (and wrote none on days), which spares reading them and looking for new
// keys on other days.
//
// The stored rows are read into buf, which the caller may reuse for the
// next part.
func writePart(ctx context.Context, tx *sqlx.Tx, brand string, days []ads.Date, ledger []ads.LedgerLine, daily []ads.KPICell,
	stored bool, buf *partBuffers) (int64, error) {
	if len(days) == 0 {
		return 0, nil
	}
	if !stored {
		return copyReconciled(ctx, tx, brand, ledger, daily)
	}
	var err error
	if buf.ledger, err = storedLedgerOf(ctx, tx, brand, days, buf.ledger); err != nil {
		return 0, err
	}
	if buf.daily, err = storedDailyOf(ctx, tx, brand, days, buf.daily); err != nil {
		return 0, err
	}
	ch := diffPart(buf.ledger, buf.daily, ledger, daily)
	if err := deleteLedgerKeys(ctx, tx, brand, ch.ledgerDel); err != nil {
		return 0, err
	}
	if err := deleteKPIKeys(ctx, tx, brand, ch.kpiDel); err != nil {
		return 0, err
	}
	return copyReconciled(ctx, tx, brand, ch.ledgerIns, ch.kpiIns)
}

// partBuffers hold the stored rows writePart reads, reused across parts.
type partBuffers struct {
	ledger []storedLine
	daily  []ads.KPICell
}

// storedLine is a stored ledger row as the diff needs it: its key and
// the encoding of every other column (see ledgerEncodingSQL).
type storedLine struct {
	source, sourceID string
	enc              string
}

// ledgerEncodingSQL encodes a ledger row's columns other than its key in
// one text, each column as its length in bytes, ':' and its text, so that
// different rows never encode alike; appendLedgerEncoding is the same in
// Go. Comparing encodings spares decoding every column of every stored row.
const ledgerEncodingSQL = `concat(octet_length(d), ':', d, octet_length(test_id), ':', test_id,
	octet_length(variant_key), ':', variant_key, octet_length(creator), ':', creator, octet_length(platform), ':', platform,
	octet_length(channel), ':', channel, octet_length(rule), ':', rule, octet_length(policy), ':', policy,
	octet_length(currency), ':', currency, octet_length(rev), ':', rev, octet_length(orig_currency), ':', orig_currency,
	octet_length(orig), ':', orig, octet_length(code), ':', code, octet_length(code_creator), ':', code_creator,
	CASE WHEN counted THEN 't' ELSE 'f' END)`

// appendLedgerEncoding appends r's encoding (see ledgerEncodingSQL) to b.
func appendLedgerEncoding(b []byte, r *ads.LedgerLine) []byte {
	field := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	var num [24]byte
	number := func(v int64) {
		n := strconv.AppendInt(num[:0], v, 10)
		b = strconv.AppendInt(b, int64(len(n)), 10)
		b = append(b, ':')
		b = append(b, n...)
	}
	// The day as to_char(day, 'YYYY-MM-DD').
	day := appendPadded(num[:0], r.Day.Year, 4)
	day = append(day, '-')
	day = appendPadded(day, int(r.Day.Month), 2)
	day = append(day, '-')
	day = appendPadded(day, r.Day.Day, 2)
	b = strconv.AppendInt(b, int64(len(day)), 10)
	b = append(b, ':')
	b = append(b, day...)
	field(r.TestID)
	field(r.VariantKey)
	field(r.Creator)
	field(string(r.Platform))
	field(r.Channel)
	field(r.Rule)
	field(r.Policy)
	field(r.Currency)
	number(r.Revenue)
	field(r.OrigCurrency)
	number(r.OrigRevenue)
	field(r.Code)
	field(r.CodeCreator)
	if r.Counted {
		return append(b, 't')
	}
	return append(b, 'f')
}

// diffPart compares stored rows with a pass's rows of the same days.
func diffPart(storedLedger []storedLine, storedDaily []ads.KPICell, ledger []ads.LedgerLine, daily []ads.KPICell) dayChanges {
	var ch dayChanges
	byKey := make(map[ledgerKey]int, len(storedLedger))
	for i, r := range storedLedger {
		byKey[ledgerKey{r.source, r.sourceID}] = i
	}
	kept := make([]bool, len(storedLedger))
	var enc []byte
	for i := range ledger {
		r := &ledger[i]
		k := ledgerKey{r.Source, r.SourceID}
		j, ok := byKey[k]
		if ok && !kept[j] {
			enc = appendLedgerEncoding(enc[:0], r)
		}
		switch {
		case ok && !kept[j] && string(enc) == storedLedger[j].enc:
			kept[j] = true
			continue
		case !ok:
			// Not stored on these days; it may be on another.
			ch.ledgerDel = append(ch.ledgerDel, k)
		}
		ch.ledgerIns = append(ch.ledgerIns, *r)
	}
	for i, r := range storedLedger {
		if !kept[i] {
			ch.ledgerDel = append(ch.ledgerDel, ledgerKey{r.source, r.sourceID})
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

func kpiKeyOf(c ads.KPICell) kpiKey {
	return kpiKey{c.Day, c.TestID, c.VariantKey, c.Creator, c.Platform}
}

// appendPadded appends v in decimal, zero-padded to width digits.
func appendPadded(b []byte, v, width int) []byte {
	var d [20]byte
	n := strconv.AppendInt(d[:0], int64(v), 10)
	for i := len(n); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, n...)
}

// storedLedgerOf reads the keys and encodings of the brand's stored ledger
// rows of days, appending them to buf[:0].
func storedLedgerOf(ctx context.Context, tx *sqlx.Tx, brand string, days []ads.Date, buf []storedLine) ([]storedLine, error) {
	rows, err := tx.QueryContext(ctx, `SELECT source, source_id, `+ledgerEncodingSQL+` FROM (
		SELECT source, source_id, to_char(day, 'YYYY-MM-DD') AS d, test_id, variant_key, creator, platform, channel, rule, policy,
			currency, revenue_micros::text AS rev, orig_currency, orig_revenue_micros::text AS orig, code, code_creator, counted
		FROM ledger WHERE brand = $1 AND day = ANY($2::date[])) l`, brand, pq.Array(dayStrings(days)))
	if err != nil {
		return nil, fmt.Errorf("reading stored ledger of brand %s: %w", brand, err)
	}
	defer rows.Close()
	out := buf[:0]
	for rows.Next() {
		out = append(out, storedLine{})
		r := &out[len(out)-1]
		if err := rows.Scan(&r.source, &r.sourceID, &r.enc); err != nil {
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
func storedDailyOf(ctx context.Context, tx *sqlx.Tx, brand string, days []ads.Date, buf []ads.KPICell) ([]ads.KPICell, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+kpiCols+` FROM kpi_daily WHERE brand = $1 AND day = ANY($2::date[])`,
		brand, pq.Array(dayStrings(days)))
	if err != nil {
		return nil, fmt.Errorf("reading stored daily KPIs of brand %s: %w", brand, err)
	}
	defer rows.Close()
	out := buf[:0]
	for rows.Next() {
		out = append(out, ads.KPICell{})
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

// deleteLedgerKeys deletes the brand's ledger rows with keys. Each
// statement names one source and a batch of ids, so that even with stale
// planner statistics (right after a rebuild) it is at worst one scan of
// the table, never one per key.
func deleteLedgerKeys(ctx context.Context, tx *sqlx.Tx, brand string, keys []ledgerKey) error {
	bySource := map[string][]string{}
	var sources []string
	for _, k := range keys {
		if _, ok := bySource[k.source]; !ok {
			sources = append(sources, k.source)
		}
		bySource[k.source] = append(bySource[k.source], k.sourceID)
	}
	for _, src := range sources {
		ids := bySource[src]
		for lo := 0; lo < len(ids); lo += upsertBatch {
			if _, err := tx.ExecContext(ctx, `DELETE FROM ledger WHERE brand = $1 AND source = $2 AND source_id = ANY($3::text[])`,
				brand, src, pq.Array(ids[lo:min(lo+upsertBatch, len(ids))])); err != nil {
				return fmt.Errorf("deleting changed ledger rows of brand %s: %w", brand, err)
			}
		}
	}
	return nil
}

// deleteKPIKeys deletes the brand's KPI cells with keys, one statement per
// day (at worst one scan of the table each, whatever the statistics say).
func deleteKPIKeys(ctx context.Context, tx *sqlx.Tx, brand string, keys []kpiKey) error {
	byDay := map[ads.Date][]kpiKey{}
	var days []ads.Date
	for _, k := range keys {
		if _, ok := byDay[k.day]; !ok {
			days = append(days, k.day)
		}
		byDay[k.day] = append(byDay[k.day], k)
	}
	for _, d := range days {
		cols := make([][]string, 4)
		for _, k := range byDay[d] {
			cols[0] = append(cols[0], k.test)
			cols[1] = append(cols[1], k.variant)
			cols[2] = append(cols[2], k.creator)
			cols[3] = append(cols[3], string(k.platform))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM kpi_daily WHERE brand = $1 AND day = $2
			AND (test_id, variant_key, creator, platform) IN (SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]))`,
			brand, d.String(), pq.Array(cols[0]), pq.Array(cols[1]), pq.Array(cols[2]), pq.Array(cols[3])); err != nil {
			return fmt.Errorf("deleting changed daily KPIs of brand %s on %s: %w", brand, d, err)
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
