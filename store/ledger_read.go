package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/roasd/roasd/ads"
)

// reconcileOrderCols are the orders columns reconcile.Build reads.
const reconcileOrderCols = `order_id, name, created_at, cancelled_at, currency, gross_micros, discounts_micros, refunded_micros,
	net_micros, discount_codes, utm_source, utm_medium, utm_campaign,
	utm_content, utm_term, landing_page, first_utm_source, first_utm_medium, first_utm_campaign, first_utm_content,
	first_utm_term, first_landing_page, test`

// ReconcileOrders lists the orders of shops created in [from, to), in no
// particular order, with only what attribution reads: Shop, ID, Name,
// CreatedAt, CancelledAt, Currency, Gross, Discounts, Refunded, Net,
// DiscountCodes, UTM, LandingPage, FirstUTM, FirstLandingPage and Test
// (UpdatedAt and RefundIDs are left zero). It is the reconcile job's
// lighter Orders. The orders are appended to buf[:0],
// reusing its storage.
func (db *DB) ReconcileOrders(ctx context.Context, shops []string, from, to time.Time, buf []ads.Order) ([]ads.Order, error) {
	shop := strings.Join(shops, ", ") // for messages
	rows, err := db.x.QueryContext(ctx, `SELECT shop, `+reconcileOrderCols+` FROM orders
		WHERE shop = ANY($1) AND created_at >= $2 AND created_at < $3`, pq.Array(shops), from, to)
	if err != nil {
		return nil, fmt.Errorf("listing orders of %s to reconcile: %w", shop, err)
	}
	defer rows.Close()
	out := buf[:0]
	var (
		codes     sql.RawBytes
		cancelled sql.NullTime
	)
	for rows.Next() {
		out = append(out, ads.Order{})
		o := &out[len(out)-1]
		if err := rows.Scan(&o.Shop, &o.ID, &o.Name, &o.CreatedAt, &cancelled, &o.Currency, &o.Gross, &o.Discounts, &o.Refunded, &o.Net, &codes, &o.UTM.Source, &o.UTM.Medium,
			&o.UTM.Campaign, &o.UTM.Content, &o.UTM.Term, &o.LandingPage, &o.FirstUTM.Source, &o.FirstUTM.Medium,
			&o.FirstUTM.Campaign, &o.FirstUTM.Content, &o.FirstUTM.Term, &o.FirstLandingPage, &o.Test); err != nil {
			return nil, fmt.Errorf("reading orders of %s to reconcile: %w", shop, err)
		}
		o.CreatedAt = o.CreatedAt.UTC()
		if cancelled.Valid {
			o.CancelledAt = cancelled.Time.UTC()
		}
		if string(codes) != "{}" {
			var a pq.StringArray
			if err := a.Scan([]byte(codes)); err != nil {
				return nil, fmt.Errorf("reading discount codes of order %s: %w", o.ID, err)
			}
			if len(a) > 0 {
				o.DiscountCodes = []string(a)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading orders of %s to reconcile: %w", shop, err)
	}
	return out, nil
}

// OrderLinks lists every link conversion of brand that names an order (a non-empty
// order reference), by source and conversion id: reconcile gives an order
// no rule attributed to the creator of a conversion naming it, whatever
// day the conversion is on (reconcile.Input.OrderLinks).
func (db *DB) OrderLinks(ctx context.Context, brand string) ([]ads.LinkConversion, error) {
	var rows []linkRow
	if err := db.x.SelectContext(ctx, &rows, `SELECT source, conversion_id, creator, link, order_id, amount_micros, currency, at, brand
		FROM link_conversions WHERE brand = $1 AND order_id <> '' ORDER BY source, conversion_id`, brand); err != nil {
		return nil, fmt.Errorf("listing link conversions that name orders: %w", err)
	}
	return linkConversionsOf(rows), nil
}

// linkConversionsOf converts stored link conversion rows.
func linkConversionsOf(rows []linkRow) []ads.LinkConversion {
	out := make([]ads.LinkConversion, len(rows))
	for i, r := range rows {
		out[i] = ads.LinkConversion{ID: r.ID, Source: r.Source, Creator: r.Creator, Link: r.Link, OrderID: r.OrderID,
			Amount: r.Amount, Currency: r.Currency, At: r.At.UTC(), Brand: r.Brand}
	}
	return out
}

// LatestRun returns the newest finished (not running or waiting) run of job in scope;
// ok is false when there is none.
func (db *DB) LatestRun(ctx context.Context, job, scope string) (run JobRun, ok bool, err error) {
	err = db.x.GetContext(ctx, &run, `SELECT id, job, scope, replica, started_at, finished_at, status, attempt, rows, api_calls, error
		FROM job_runs WHERE job = $1 AND scope = $2 AND status NOT IN ('running', 'waiting') ORDER BY started_at DESC, id DESC LIMIT 1`, job, scope)
	if errors.Is(err, sql.ErrNoRows) {
		return JobRun{}, false, nil
	}
	if err != nil {
		return JobRun{}, false, fmt.Errorf("reading the latest %s run of %s: %w", job, scope, err)
	}
	return run, true, nil
}
