package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/store"
)

// reconcileBrand is the reconcile job's entry point.
var reconcileBrand = func(ctx context.Context, db *store.DB, b *configs.Brand, now time.Time, full bool) (int64, error) {
	return jobs.ReconcileBrand(ctx, db, b, now, full)
}

// orderCopyCols are the orders columns a sync writes.
var orderCopyCols = []string{"shop", "order_id", "name", "created_at", "updated_at", "cancelled_at", "currency", "gross_micros",
	"discounts_micros", "refunded_micros", "net_micros", "discount_codes", "utm_source", "utm_medium", "utm_campaign",
	"utm_content", "utm_term", "landing_page", "first_utm_source", "first_utm_medium", "first_utm_campaign",
	"first_utm_content", "first_utm_term", "first_landing_page", "test"}

// textArray renders a PostgreSQL text[] literal.
func textArray(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
	}
	return "{" + strings.Join(q, ",") + "}"
}

func nullable(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// copyOrders writes orders with one COPY (lib/pq's COPY FROM STDIN) into a scratch
// table shaped like orders (same columns, keys and indexes), in one
// transaction: the physical limit of ingestion.
func copyOrders(ctx context.Context, db *store.DB, orders []ads.Order) (time.Duration, error) {
	x := db.SQL()
	if _, err := x.ExecContext(ctx, `CREATE TABLE orders_copy (LIKE orders INCLUDING ALL)`); err != nil {
		return 0, fmt.Errorf("creating the COPY scratch table: %w", err)
	}
	start := time.Now()
	tx, err := x.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("copying orders: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, "COPY orders_copy ("+strings.Join(orderCopyCols, ", ")+") FROM STDIN")
	if err != nil {
		return 0, fmt.Errorf("copying orders: %w", err)
	}
	for _, o := range orders {
		if _, err := stmt.ExecContext(ctx, o.Shop, o.ID, o.Name, o.CreatedAt, o.UpdatedAt, nullable(o.CancelledAt), o.Currency,
			o.Gross, o.Discounts, o.Refunded, o.Net, textArray(o.DiscountCodes), o.UTM.Source, o.UTM.Medium, o.UTM.Campaign,
			o.UTM.Content, o.UTM.Term, o.LandingPage, o.FirstUTM.Source, o.FirstUTM.Medium, o.FirstUTM.Campaign,
			o.FirstUTM.Content, o.FirstUTM.Term, o.FirstLandingPage, o.Test); err != nil {
			return 0, fmt.Errorf("copying orders: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return 0, fmt.Errorf("copying orders: %w", err)
	}
	if err := stmt.Close(); err != nil {
		return 0, fmt.Errorf("copying orders: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("copying orders: %w", err)
	}
	return time.Since(start), nil
}
