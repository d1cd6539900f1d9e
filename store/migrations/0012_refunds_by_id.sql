-- Refunds are recorded per refund (its Shopify GID), no longer per
-- webhook delivery: one refund delivered under several webhook ids was
-- counted once per id. The rows keyed by delivery id cannot be told
-- apart, so they go, and each shop's sync cursor is rewound to the oldest
-- order they touched, so that the next sync restates those orders (an
-- order's full state now sets its refunded amount instead of only ever
-- raising it).
UPDATE sync_cursors c SET value = to_char(r.since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
FROM (SELECT o.shop, min(o.updated_at) AS since FROM orders o
	WHERE EXISTS (SELECT 1 FROM order_refunds f WHERE f.shop = o.shop AND f.order_id = o.order_id)
	GROUP BY o.shop) r
WHERE c.name = 'shopify.orders:' || r.shop AND c.value <> '' AND c.value::timestamptz > r.since;
DELETE FROM order_refunds;
ALTER TABLE order_refunds RENAME COLUMN refund_key TO refund_id; -- the refund's GID
COMMENT ON COLUMN order_refunds.amount_micros IS
	'the refund''s product part: refunded line items after discounts, minus its refund discrepancy; never tax or shipping';
ALTER TABLE order_refunds ADD COLUMN received_at TIMESTAMPTZ NOT NULL DEFAULT now();

-- The refunds an order's stored state (sync or orders/*) already counts:
-- refunded_micros is that state's product refunds plus the recorded
-- refunds not among these.
ALTER TABLE orders ADD COLUMN refund_ids TEXT[] NOT NULL DEFAULT '{}';

-- Where each visit's attribution (UTM parameters and landing page) came
-- from ('sync': the customer journey, 'webhook': the payload's
-- landing_site) and the updated_at of the order state that supplied it.
-- Known attribution is never replaced with less.
ALTER TABLE orders ADD COLUMN attribution_source TEXT NOT NULL DEFAULT '',
	ADD COLUMN attribution_at TIMESTAMPTZ,
	ADD COLUMN first_attribution_source TEXT NOT NULL DEFAULT '',
	ADD COLUMN first_attribution_at TIMESTAMPTZ;
