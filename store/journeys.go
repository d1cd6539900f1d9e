package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Re-reads of orders whose customer journey was not ready (Shopify's
// customerJourneySummary.ready false, orders.journey_pending): each such
// order has its own next re-read (orders.journey_check_at, migration
// 0027). The order sync lists the due ones (DueJourneys), reads them
// again by id, then schedules the next re-read of those still pending and
// of those it has just read for the first time (ScheduleJourneys); an
// order Shopify no longer returns stops being pending (DropJourneys).

// journeyReread is how long after its creation an order whose customer
// journey was not ready is read again (Shopify completes the journey
// within minutes to hours; after two days it is taken as final).
const journeyReread = 48 * time.Hour

// journeyFirstWait is the shortest wait between two reads of a pending
// order.
const journeyFirstWait = 15 * time.Minute

// journeyNext is the SQL of an order's next re-read after a read at now
// (the parameter named by now, e.g. "$3"): after a wait as long as the
// order's age (at least journeyFirstWait), so an order first read within
// a quarter of an hour of its creation is read again at about 15, 30, 60,
// 120 minutes … of age; never later than journeyReread after its
// creation, the last read; 'infinity' (no more reads) once that is past.
func journeyNext(now string) string {
	last := fmt.Sprintf("created_at + interval '%d seconds'", int(journeyReread.Seconds()))
	return fmt.Sprintf(`CASE WHEN %[1]s <= %[2]s THEN 'infinity'::timestamptz
	ELSE LEAST(%[1]s, %[2]s + GREATEST(interval '%[3]d seconds', %[2]s - created_at)) END`, last, now, int(journeyFirstWait.Seconds()))
}

// DueJourneys lists the global ids of shop's orders whose journey was not
// ready at their last read and whose next re-read is due at now, the
// longest due first.
func (db *DB) DueJourneys(ctx context.Context, shop string, now time.Time) ([]string, error) {
	var ids []string
	if err := db.x.SelectContext(ctx, &ids, `SELECT order_id FROM orders
		WHERE shop = $1 AND journey_pending AND journey_check_at <= $2 ORDER BY journey_check_at, order_id`, shop, now); err != nil {
		return nil, fmt.Errorf("listing orders of %s due for a journey re-read: %w", shop, err)
	}
	return ids, nil
}

// ScheduleJourneys sets, as of a read at now, when shop's orders whose
// journey is still not ready are read next (journeyNextSQL): those of read
// (global ids read again at now) whose re-read was due, and every
// pending order not scheduled yet (just read by a page or an export). It
// returns how many orders it scheduled. Run again at the same now it
// changes nothing.
func (db *DB) ScheduleJourneys(ctx context.Context, shop string, read []string, now time.Time) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if len(read) > 0 {
			res, err := tx.ExecContext(ctx, `UPDATE orders SET journey_check_at = `+journeyNext("$3")+`
				WHERE shop = $1 AND order_id = ANY($2) AND journey_pending AND journey_check_at <= $3`, shop, pq.StringArray(read), now)
			if err != nil {
				return err
			}
			n, _ = res.RowsAffected()
		}
		res, err := tx.ExecContext(ctx, `UPDATE orders SET journey_check_at = `+journeyNext("$2")+`
			WHERE shop = $1 AND journey_pending AND journey_check_at IS NULL`, shop, now)
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		n += k
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("scheduling the journey re-reads of %s: %w", shop, err)
	}
	return n, nil
}

// DropJourneys ends the re-reads of shop's orders (global ids) that
// Shopify no longer returns — deleted, or no longer visible to the app:
// they are no longer pending. It returns how many it changed.
func (db *DB) DropJourneys(ctx context.Context, shop string, ids []string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res, err := db.x.ExecContext(ctx, `UPDATE orders SET journey_pending = false, journey_check_at = NULL
		WHERE shop = $1 AND order_id = ANY($2) AND journey_pending`, shop, pq.StringArray(ids))
	if err != nil {
		return 0, fmt.Errorf("ending the journey re-reads of %d orders of %s: %w", len(ids), shop, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
