package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/roasd/roasd/ads"
)

// Webhook topics ApplyWebhook understands (Shopify's X-Shopify-Topic values).
const (
	TopicOrdersCreate  = "orders/create"
	TopicOrdersUpdated = "orders/updated"
	TopicRefundsCreate = "refunds/create"
)

// orderNetSQL computes the stored net amount from the row's own columns: zero
// once cancelled, never below zero.
const orderNetSQL = `CASE WHEN %[1]scancelled_at IS NOT NULL THEN 0
	ELSE GREATEST(0, %[1]sgross_micros - %[1]sdiscounts_micros - %[2]s) END`

// Attribution sources (orders.attribution_source): which path stored a
// visit's UTM parameters and landing page.
const (
	attrSync    = "sync"    // the customer journey of the GraphQL sync
	attrWebhook = "webhook" // a webhook payload's landing_site
)

// visitCols are the columns of one visit's attribution; the first visit's
// carry the prefix "first_".
var visitCols = []string{"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "landing_page"}

// visitStrength is an SQL expression for how much attribution the visit
// (column prefix p) of row alias a carries: a utm_content (what names a
// paid variant) outweighs all the rest, then each other UTM parameter,
// then a landing page.
func visitStrength(a, p string) string {
	f := func(c string) string { return fmt.Sprintf("(%s%s%s <> '')::int", a, p, c) }
	return fmt.Sprintf("(16*%s + 2*(%s + %s + %s + %s) + %s)", f("utm_content"), f("utm_source"), f("utm_medium"),
		f("utm_campaign"), f("utm_term"), f("landing_page"))
}

// orderUpsert inserts or updates orders from the session's staging table
// orders_in (filled by COPY), as the sync does.
var orderUpsert = orderUpsertSQL(attrSync, "orders_in AS u")

// webhookOrderUpsert is the upsert of one order of a webhook, from
// parameters (see orderValues).
var webhookOrderUpsert = orderUpsertSQL(attrWebhook, `(SELECT $1::text, $2::text, $3::text, $4::timestamptz, $5::timestamptz,
	$6::timestamptz, $7::text, $8::bigint, $9::bigint, $10::bigint, $11::text[], $12::text, $13::text, $14::text,
	$15::text, $16::text, $17::text, $18::text, $19::text, $20::text, $21::text, $22::text, $23::text, $24::boolean,
	$25::text[], $26::boolean)
	AS u(shop, order_id, name, created_at, updated_at, cancelled_at, currency, gross_micros, discounts_micros,
	refunded_micros, discount_codes, utm_source, utm_medium, utm_campaign, utm_content, utm_term, landing_page,
	first_utm_source, first_utm_medium, first_utm_campaign, first_utm_content, first_utm_term, first_landing_page, test,
	refund_ids, journey_pending)`)

// orderStageCols are the columns of the staging table orders_in, in COPY
// order.
var orderStageCols = []string{"shop", "order_id", "name", "created_at", "updated_at", "cancelled_at", "currency",
	"gross_micros", "discounts_micros", "refunded_micros", "discount_codes", "utm_source", "utm_medium", "utm_campaign",
	"utm_content", "utm_term", "landing_page", "first_utm_source", "first_utm_medium", "first_utm_campaign",
	"first_utm_content", "first_utm_term", "first_landing_page", "test", "refund_ids", "journey_pending"}

// orderStageSQL creates the session's staging table for UpsertOrders if it
// is missing. It lives in the connection's temporary schema (no WAL, no
// indexes) and is emptied at every commit, so each transaction sees only
// the rows it copied.
const orderStageSQL = `CREATE TEMP TABLE IF NOT EXISTS orders_in (shop TEXT, order_id TEXT, name TEXT,
	created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, cancelled_at TIMESTAMPTZ, currency TEXT, gross_micros BIGINT,
	discounts_micros BIGINT, refunded_micros BIGINT, discount_codes TEXT[], utm_source TEXT, utm_medium TEXT,
	utm_campaign TEXT, utm_content TEXT, utm_term TEXT, landing_page TEXT, first_utm_source TEXT, first_utm_medium TEXT,
	first_utm_campaign TEXT, first_utm_content TEXT, first_utm_term TEXT, first_landing_page TEXT, test BOOLEAN,
	refund_ids TEXT[], journey_pending BOOLEAN)
	ON COMMIT DELETE ROWS`

// orderUpsertSQL builds the order upsert of one source (attrSync or
// attrWebhook) reading rows u from src, which must expose the columns of
// orders_in. The rules:
//
//   - An update applies only when the incoming updated_at is not older
//     than the stored one (a stale sync page or a late webhook never
//     downgrades an order) and something differs.
//   - Money: the incoming state is the truth. refunded is its product
//     refunds (refunded_micros) plus the refunds recorded one by one
//     (refunds/create, table order_refunds) that it does not yet count
//     (their id is not in its refund_ids); net is recomputed.
//   - Attribution, per visit (UTM parameters and landing page together):
//     the sync's customer journey replaces the stored visit when it
//     carries at least as much attribution (visitStrength), a webhook's
//     landing_site only when it carries more, so known attribution is
//     never replaced with less. A visit that changes records its source
//     and the incoming updated_at.
func orderUpsertSQL(source, src string) string {
	op := ">="
	if source != attrSync {
		op = ">"
	}
	plain := []string{"name", "created_at", "updated_at", "cancelled_at", "currency", "gross_micros", "discounts_micros",
		"discount_codes", "test", "refund_ids", "refunded_micros", "net_micros"}
	var set, oldv, newv, changed, insAttr, selAttr []string
	for _, c := range plain {
		set = append(set, c+" = EXCLUDED."+c)
		oldv, newv = append(oldv, "t."+c), append(newv, "EXCLUDED."+c)
	}
	for _, v := range []struct{ prefix, from, at string }{
		{"", "attribution_source", "attribution_at"},
		{"first_", "first_attribution_source", "first_attribution_at"},
	} {
		replace := visitStrength("EXCLUDED.", v.prefix) + " " + op + " " + visitStrength("t.", v.prefix)
		var cols, in, st, vals []string
		for _, c := range visitCols {
			c = v.prefix + c
			cols, in, st = append(cols, c), append(in, "EXCLUDED."+c), append(st, "t."+c)
			vals = append(vals, fmt.Sprintf("CASE WHEN x.r THEN EXCLUDED.%s ELSE t.%s END", c, c))
		}
		differ := fmt.Sprintf("(%s) IS DISTINCT FROM (%s)", strings.Join(in, ", "), strings.Join(st, ", "))
		// The visit is decided once per row: a sub-select computes
		// whether to replace it (r) and whether that changes it (d).
		vals = append(vals, fmt.Sprintf("CASE WHEN x.r AND x.d THEN '%s' ELSE t.%s END", source, v.from),
			fmt.Sprintf("CASE WHEN x.r AND x.d THEN EXCLUDED.updated_at ELSE t.%s END", v.at))
		set = append(set, fmt.Sprintf("(%s, %s, %s) = (SELECT %s FROM (SELECT %s AS r, %s AS d) x)", strings.Join(cols, ", "),
			v.from, v.at, strings.Join(vals, ", "), replace, differ))
		changed = append(changed, fmt.Sprintf("(%s AND %s)", differ, replace))
		known := visitStrength("u.", v.prefix) + " > 0"
		insAttr = append(insAttr, v.from, v.at)
		selAttr = append(selAttr, fmt.Sprintf("CASE WHEN %s THEN '%s' ELSE '' END", known, source),
			fmt.Sprintf("CASE WHEN %s THEN u.updated_at END", known))
	}
	// The journey's readiness is the sync's to say (a webhook carries no
	// journey): journey_pending follows the sync; attributed_unready stays
	// set once an order was stored from an unready journey; a still
	// pending order keeps its next re-read, a ready one has none (see
	// ScheduleJourneys).
	if source == attrSync {
		set = append(set, "journey_pending = EXCLUDED.journey_pending",
			"attributed_unready = t.attributed_unready OR EXCLUDED.journey_pending",
			"journey_check_at = CASE WHEN EXCLUDED.journey_pending THEN t.journey_check_at END")
		oldv, newv = append(oldv, "t.journey_pending"), append(newv, "EXCLUDED.journey_pending")
	}
	refunded := "u.refunded_micros + COALESCE(e.amount, 0)"
	return `WITH extra AS (SELECT u.shop, u.order_id, sum(r.amount_micros)::bigint AS amount
	FROM ` + src + ` JOIN order_refunds r ON r.shop = u.shop AND r.order_id = u.order_id
	WHERE r.refund_id <> ALL(u.refund_ids) GROUP BY 1, 2)
INSERT INTO orders AS t (shop, order_id, name, created_at, updated_at, cancelled_at, currency, gross_micros,
	discounts_micros, refunded_micros, net_micros, discount_codes, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
	landing_page, first_utm_source, first_utm_medium, first_utm_campaign, first_utm_content, first_utm_term,
	first_landing_page, test, refund_ids, journey_pending, attributed_unready, ` + strings.Join(insAttr, ", ") + `)
SELECT u.shop, u.order_id, u.name, u.created_at, u.updated_at, u.cancelled_at, u.currency, u.gross_micros,
	u.discounts_micros, ` + refunded + `, ` + fmt.Sprintf(orderNetSQL, "u.", "("+refunded+")") + `,
	u.discount_codes, u.utm_source, u.utm_medium, u.utm_campaign, u.utm_content,
	u.utm_term, u.landing_page, u.first_utm_source, u.first_utm_medium, u.first_utm_campaign, u.first_utm_content,
	u.first_utm_term, u.first_landing_page, u.test, u.refund_ids, u.journey_pending, u.journey_pending,
	` + strings.Join(selAttr, ", ") + `
FROM ` + src + ` LEFT JOIN extra e ON e.shop = u.shop AND e.order_id = u.order_id
ON CONFLICT (shop, order_id) DO UPDATE SET ` + strings.Join(set, ", ") + `, changed_at = now()
WHERE EXCLUDED.updated_at >= t.updated_at
	AND ((` + strings.Join(oldv, ", ") + `) IS DISTINCT FROM (` + strings.Join(newv, ", ") + `)
		OR ` + strings.Join(changed, " OR ") + `)`
}

// orderValues are o's values in the order of orderStageCols (the COPY
// row, and the parameters of webhookOrderUpsert).
func orderValues(o ads.Order) []any {
	var cancelled any
	if !o.CancelledAt.IsZero() {
		cancelled = o.CancelledAt
	}
	return []any{o.Shop, o.ID, o.Name, o.CreatedAt, o.UpdatedAt, cancelled, o.Currency, o.Gross, o.Discounts, o.Refunded,
		textArrayLiteral(o.DiscountCodes), o.UTM.Source, o.UTM.Medium, o.UTM.Campaign, o.UTM.Content, o.UTM.Term,
		o.LandingPage, o.FirstUTM.Source, o.FirstUTM.Medium, o.FirstUTM.Campaign, o.FirstUTM.Content, o.FirstUTM.Term,
		o.FirstLandingPage, o.Test, textArrayLiteral(o.RefundIDs), o.JourneyPending}
}

// textArrayLiteral renders vs as a PostgreSQL text[] literal ('{}' when
// empty), every element quoted.
func textArrayLiteral(vs []string) string {
	if len(vs) == 0 {
		return "{}"
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range []byte(v) {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// latestPerOrder keeps one record per (shop, id), the one with the newest
// UpdatedAt, so one statement never touches a row twice.
func latestPerOrder(os []ads.Order) []ads.Order {
	type key struct{ shop, id string }
	idx := map[key]int{}
	out := make([]ads.Order, 0, len(os))
	for _, o := range os {
		k := key{o.Shop, o.ID}
		if i, ok := idx[k]; ok {
			if !o.UpdatedAt.Before(out[i].UpdatedAt) {
				out[i] = o
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, o)
	}
	return out
}

func checkOrder(o ads.Order) error {
	switch {
	case o.Shop == "" || o.ID == "":
		return fmt.Errorf("order %q of shop %q: shop and id are required", o.ID, o.Shop)
	case o.CreatedAt.IsZero() || o.UpdatedAt.IsZero():
		return fmt.Errorf("order %s: created and updated times are required", o.ID)
	case o.Currency == "":
		return fmt.Errorf("order %s: currency is required", o.ID)
	}
	return nil
}

// UpsertOrders stores the orders of a sync (full order states) in bulk,
// returning how many rows were inserted or changed. An order is never
// downgraded to an older updated_at; a newer state sets the refunded
// amount (plus refunds recorded by refunds/create that the state does not
// yet count) and net is recomputed as gross − discounts − refunded (zero
// when cancelled, never negative); a visit's attribution is replaced only
// by one that carries at least as much (see orderUpsertSQL). Re-running
// with the same orders changes nothing.
func (db *DB) UpsertOrders(ctx context.Context, os []ads.Order) (int64, error) {
	for _, o := range os {
		if err := checkOrder(o); err != nil {
			return 0, fmt.Errorf("upserting orders: %w", err)
		}
	}
	os = latestPerOrder(os)
	var total int64
	for lo := 0; lo < len(os); lo += orderStageBatch {
		n, err := db.upsertOrderBatch(ctx, os[lo:min(lo+orderStageBatch, len(os))])
		total += n
		if err != nil {
			return total, fmt.Errorf("upserting orders: %w", err)
		}
	}
	return total, nil
}

// orderStageBatch is how many orders one transaction of UpsertOrders
// stages and upserts.
const orderStageBatch = 20_000

// upsertOrderBatch copies os (distinct keys) into the staging table and
// upserts them from there in one transaction.
func (db *DB) upsertOrderBatch(ctx context.Context, os []ads.Order) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, orderStageSQL); err != nil {
			return fmt.Errorf("creating the staging table: %w", err)
		}
		stmt, err := tx.PrepareContext(ctx, copyFrom("orders_in", orderStageCols))
		if err != nil {
			return fmt.Errorf("staging orders: %w", err)
		}
		defer stmt.Close()
		for _, o := range os {
			if _, err := stmt.ExecContext(ctx, orderValues(o)...); err != nil {
				return fmt.Errorf("staging order %s: %w", o.ID, err)
			}
		}
		if _, err := stmt.ExecContext(ctx); err != nil {
			return fmt.Errorf("staging orders: %w", err)
		}
		if err := stmt.Close(); err != nil {
			return fmt.Errorf("staging orders: %w", err)
		}
		res, err := tx.ExecContext(ctx, orderUpsert)
		if err != nil {
			return fmt.Errorf("merging staged orders: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

type orderRow struct {
	Shop             string         `db:"shop"`
	ID               string         `db:"order_id"`
	Name             string         `db:"name"`
	CreatedAt        time.Time      `db:"created_at"`
	UpdatedAt        time.Time      `db:"updated_at"`
	CancelledAt      sql.NullTime   `db:"cancelled_at"`
	Currency         string         `db:"currency"`
	Gross            int64          `db:"gross_micros"`
	Discounts        int64          `db:"discounts_micros"`
	Refunded         int64          `db:"refunded_micros"`
	Net              int64          `db:"net_micros"`
	Codes            pq.StringArray `db:"discount_codes"`
	Source           string         `db:"utm_source"`
	Medium           string         `db:"utm_medium"`
	Campaign         string         `db:"utm_campaign"`
	Content          string         `db:"utm_content"`
	Term             string         `db:"utm_term"`
	LandingPage      string         `db:"landing_page"`
	FirstSource      string         `db:"first_utm_source"`
	FirstMedium      string         `db:"first_utm_medium"`
	FirstCampaign    string         `db:"first_utm_campaign"`
	FirstContent     string         `db:"first_utm_content"`
	FirstTerm        string         `db:"first_utm_term"`
	FirstLandingPage string         `db:"first_landing_page"`
	Test             bool           `db:"test"`
	RefundIDs        pq.StringArray `db:"refund_ids"`
}

const orderCols = `shop, order_id, name, created_at, updated_at, cancelled_at, currency, gross_micros, discounts_micros,
	refunded_micros, net_micros, discount_codes, utm_source, utm_medium, utm_campaign, utm_content, utm_term, landing_page,
	first_utm_source, first_utm_medium, first_utm_campaign, first_utm_content, first_utm_term, first_landing_page, test,
	refund_ids`

func (r orderRow) order() ads.Order {
	o := ads.Order{Shop: r.Shop, ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Currency: r.Currency, Gross: r.Gross, Discounts: r.Discounts, Refunded: r.Refunded, Net: r.Net,
		UTM:              ads.UTM{Source: r.Source, Medium: r.Medium, Campaign: r.Campaign, Content: r.Content, Term: r.Term},
		LandingPage:      r.LandingPage,
		FirstUTM:         ads.UTM{Source: r.FirstSource, Medium: r.FirstMedium, Campaign: r.FirstCampaign, Content: r.FirstContent, Term: r.FirstTerm},
		FirstLandingPage: r.FirstLandingPage, Test: r.Test}
	if r.CancelledAt.Valid {
		o.CancelledAt = r.CancelledAt.Time.UTC()
	}
	if len(r.Codes) > 0 {
		o.DiscountCodes = []string(r.Codes)
	}
	if len(r.RefundIDs) > 0 {
		o.RefundIDs = []string(r.RefundIDs)
	}
	return o
}

func (db *DB) selectOrders(ctx context.Context, what, where string, args ...any) ([]ads.Order, error) {
	var rows []orderRow
	if err := db.x.SelectContext(ctx, &rows, `SELECT `+orderCols+` FROM orders WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("listing %s: %w", what, err)
	}
	out := make([]ads.Order, len(rows))
	for i, r := range rows {
		out[i] = r.order()
	}
	return out, nil
}

// Orders lists the stored orders of shop (every shop when empty) created in
// [from, to), oldest first. A zero to means no upper bound.
func (db *DB) Orders(ctx context.Context, shop string, from, to time.Time) ([]ads.Order, error) {
	return db.selectOrders(ctx, "orders", `($1 = '' OR shop = $1) AND created_at >= $2 AND ($3::timestamptz IS NULL OR created_at < $3)
		ORDER BY created_at, shop, order_id`, shop, from, nullTime(to))
}

// OrdersChangedSince lists the orders whose stored row changed at or after
// t (inserted, updated by sync or webhook), oldest change first.
func (db *DB) OrdersChangedSince(ctx context.Context, t time.Time) ([]ads.Order, error) {
	return db.selectOrders(ctx, "changed orders", `changed_at >= $1 ORDER BY changed_at, shop, order_id`, t)
}

// ApplyWebhook records a Shopify webhook delivery under key (see
// shopify.DeliveryKey) and applies it in one transaction. It reports
// applied=false, changing nothing, when the key was seen before, when the
// order it carries is older than the stored one, or when the refund it
// carries is already recorded.
//
// For orders/create and orders/updated o is the full order state, stored
// as UpsertOrders stores the sync's (its attribution, from landing_site,
// replaces a stored visit only when it carries more). For refunds/create
// o carries Shop, ID, RefundIDs (the one refund's GID), Refunded (its
// product part) and UpdatedAt (its time): the refund is recorded under
// its own id, once however many deliveries report it, and added to the
// stored order unless the order's state already counts it; a later full
// state of the order sets the amount again.
func (db *DB) ApplyWebhook(ctx context.Context, key, topic string, o ads.Order) (applied bool, err error) {
	if key == "" {
		return false, fmt.Errorf("applying webhook: empty delivery key")
	}
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO shopify_webhooks (webhook_id, topic, shop, order_id) VALUES ($1,$2,$3,$4)
			ON CONFLICT (webhook_id) DO NOTHING`, key, topic, o.Shop, o.ID)
		if err != nil {
			return fmt.Errorf("recording webhook %s: %w", key, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // duplicate delivery
		}
		// Serialize with other deliveries about the order, so that a state
		// counts every refund committed before it.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM orders WHERE shop = $1 AND order_id = $2 FOR UPDATE`, o.Shop, o.ID); err != nil {
			return fmt.Errorf("locking order %s: %w", o.ID, err)
		}
		switch topic {
		case TopicOrdersCreate, TopicOrdersUpdated:
			if err := checkOrder(o); err != nil {
				return fmt.Errorf("applying webhook %s: %w", key, err)
			}
			res, err := tx.ExecContext(ctx, webhookOrderUpsert, orderValues(o)...)
			if err != nil {
				return fmt.Errorf("applying webhook %s to order %s: %w", key, o.ID, err)
			}
			n, _ := res.RowsAffected()
			applied = n > 0
		case TopicRefundsCreate:
			if o.Shop == "" || o.ID == "" || len(o.RefundIDs) != 1 || o.RefundIDs[0] == "" {
				return fmt.Errorf("applying webhook %s: refund without shop, order id or refund id", key)
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO order_refunds (shop, order_id, refund_id, amount_micros, at)
				VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING`, o.Shop, o.ID, o.RefundIDs[0], o.Refunded, nullTime(o.UpdatedAt))
			if err != nil {
				return fmt.Errorf("recording refund %s of order %s: %w", o.RefundIDs[0], o.ID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				break // the refund is known: another delivery reported it
			}
			refunded := fmt.Sprintf("(refunded_micros + %d)", o.Refunded)
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET refunded_micros = `+refunded+`,
				net_micros = `+fmt.Sprintf(orderNetSQL, "", refunded)+`, changed_at = now()
				WHERE shop = $1 AND order_id = $2 AND NOT ($3 = ANY(refund_ids))`, o.Shop, o.ID, o.RefundIDs[0]); err != nil {
				return fmt.Errorf("applying refund %s to order %s: %w", o.RefundIDs[0], o.ID, err)
			}
			applied = true
		default:
			return fmt.Errorf("applying webhook %s: unsupported topic %q", key, topic)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE shopify_webhooks SET applied = $2 WHERE webhook_id = $1`, key, applied); err != nil {
			return fmt.Errorf("recording webhook %s: %w", key, err)
		}
		return nil
	})
	return applied, err
}

var linkUpsert = upsertSQL("link_conversions",
	[]string{"source", "conversion_id", "creator", "link", "order_id", "amount_micros", "currency", "at", "brand"},
	[]string{"text[]", "text[]", "text[]", "text[]", "text[]", "bigint[]", "text[]", "timestamptz[]", "text[]"},
	[]string{"source", "conversion_id"})

// AdoptLinkConversions gives each link conversion without an owner (rows
// stored before conversions had one) the brand owners maps its creator to
// — the caller lists only creators exactly one brand works with — and
// returns how many it adopted and how many are left without an owner.
// Running it again changes nothing.
func (db *DB) AdoptLinkConversions(ctx context.Context, owners map[string]string) (adopted, left int64, err error) {
	creators, brands := make([]string, 0, len(owners)), make([]string, 0, len(owners))
	for c, b := range owners {
		creators, brands = append(creators, c), append(brands, b)
	}
	res, err := db.x.ExecContext(ctx, `UPDATE link_conversions lc SET brand = o.brand, changed_at = now()
		FROM unnest($1::text[], $2::text[]) AS o(creator, brand) WHERE lc.brand = '' AND lc.creator <> '' AND lc.creator = o.creator`,
		pq.Array(creators), pq.Array(brands))
	if err != nil {
		return 0, 0, fmt.Errorf("adopting link conversions: %w", err)
	}
	adopted, _ = res.RowsAffected()
	if err := db.x.GetContext(ctx, &left, `SELECT count(*) FROM link_conversions WHERE brand = ''`); err != nil {
		return adopted, 0, fmt.Errorf("counting link conversions without a brand: %w", err)
	}
	return adopted, left, nil
}

// UpsertLinkConversions stores affiliate/link conversions keyed by (source,
// id), returning how many rows were inserted or changed; re-importing the
// same conversions changes nothing. Within one call the last record of a
// key wins.
func (db *DB) UpsertLinkConversions(ctx context.Context, cs []ads.LinkConversion) (int64, error) {
	type key struct{ src, id string }
	idx := map[key]int{}
	uniq := make([]ads.LinkConversion, 0, len(cs))
	for _, c := range cs {
		if c.Source == "" || c.ID == "" || c.Currency == "" || c.At.IsZero() {
			return 0, fmt.Errorf("upserting link conversions: conversion %q of source %q lacks source, id, currency or time", c.ID, c.Source)
		}
		k := key{c.Source, c.ID}
		if i, ok := idx[k]; ok {
			uniq[i] = c
			continue
		}
		idx[k] = len(uniq)
		uniq = append(uniq, c)
	}
	return db.execBatches(ctx, "link conversions", len(uniq), linkUpsert, func(lo, hi int) []any {
		var src, id, cr, link, ord, cur, brand []string
		var amt []int64
		var at []time.Time
		for _, c := range uniq[lo:hi] {
			src, id, cr, link, ord = append(src, c.Source), append(id, c.ID), append(cr, c.Creator), append(link, c.Link), append(ord, c.OrderID)
			amt, cur, at, brand = append(amt, c.Amount), append(cur, c.Currency), append(at, c.At), append(brand, c.Brand)
		}
		return []any{pq.Array(src), pq.Array(id), pq.Array(cr), pq.Array(link), pq.Array(ord), pq.Array(amt), pq.Array(cur), timeArray(at),
			pq.Array(brand)}
	})
}

type linkRow struct {
	Source   string    `db:"source"`
	ID       string    `db:"conversion_id"`
	Creator  string    `db:"creator"`
	Link     string    `db:"link"`
	OrderID  string    `db:"order_id"`
	Amount   int64     `db:"amount_micros"`
	Currency string    `db:"currency"`
	At       time.Time `db:"at"`
	Brand    string    `db:"brand"`
}

// LinkConversions lists the stored link conversions brand owns with time
// in [from, to) (a zero to means no upper bound), oldest first.
func (db *DB) LinkConversions(ctx context.Context, brand string, from, to time.Time) ([]ads.LinkConversion, error) {
	var rows []linkRow
	if err := db.x.SelectContext(ctx, &rows, `SELECT source, conversion_id, creator, link, order_id, amount_micros, currency, at, brand
		FROM link_conversions WHERE brand = $3 AND at >= $1 AND ($2::timestamptz IS NULL OR at < $2) ORDER BY at, source, conversion_id`,
		from, nullTime(to), brand); err != nil {
		return nil, fmt.Errorf("listing link conversions: %w", err)
	}
	return linkConversionsOf(rows), nil
}

// AttributedUnready counts the orders that were attributed from a
// customer journey that was not ready yet (for /metrics), and how many of
// them are still pending.
func (db *DB) AttributedUnready(ctx context.Context) (total, pending int64, err error) {
	err = db.x.QueryRowxContext(ctx, `SELECT count(*) FILTER (WHERE attributed_unready), count(*) FILTER (WHERE journey_pending) FROM orders`).Scan(&total, &pending)
	if err != nil {
		return 0, 0, fmt.Errorf("counting orders attributed before their journey was ready: %w", err)
	}
	return total, pending, nil
}

// OrderChanges counts a shop's stored orders by their Shopify updated_at
// around an order sync's high-water mark, for the sync's choice between
// paging and a bulk export (jobs): Recent in [mark-window, mark), the
// shop's recent change rate; Overlap in [since, mark), what the sync
// reads again on purpose; After at or after mark, what a webhook stored
// since. One range scan of orders_updated.
type OrderChanges struct {
	Recent, Overlap, After int
}

// CountOrderChanges reads shop's OrderChanges around mark.
func (db *DB) CountOrderChanges(ctx context.Context, shop string, since, mark time.Time, window time.Duration) (OrderChanges, error) {
	var c OrderChanges
	from := mark.Add(-window)
	if since.Before(from) {
		from = since
	}
	err := db.x.QueryRowxContext(ctx, `SELECT
		count(*) FILTER (WHERE updated_at >= $3 AND updated_at < $4),
		count(*) FILTER (WHERE updated_at >= $5 AND updated_at < $4),
		count(*) FILTER (WHERE updated_at >= $4)
		FROM orders WHERE shop = $1 AND updated_at >= $2`, shop, from, mark.Add(-window), mark, since).Scan(&c.Recent, &c.Overlap, &c.After)
	if err != nil {
		return c, fmt.Errorf("counting the orders of %s updated around %s: %w", shop, mark.Format(time.RFC3339), err)
	}
	return c, nil
}
