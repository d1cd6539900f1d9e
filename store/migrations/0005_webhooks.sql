-- Shopify webhook deliveries (deduplicated by X-Shopify-Webhook-Id) and the
-- refunds they reported. Owned by store/orders.go.
CREATE TABLE shopify_webhooks (
    webhook_id  TEXT PRIMARY KEY,
    topic       TEXT NOT NULL,
    shop        TEXT NOT NULL DEFAULT '',
    order_id    TEXT NOT NULL DEFAULT '',
    applied     BOOLEAN NOT NULL DEFAULT false,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Refunds reported one by one (refunds/create). An order's refunded amount
-- never drops below their sum; the full order (sync or orders/updated)
-- carries the authoritative total.
CREATE TABLE order_refunds (
    shop          TEXT NOT NULL,
    order_id      TEXT NOT NULL,
    refund_key    TEXT NOT NULL, -- webhook id of the refunds/create delivery
    amount_micros BIGINT NOT NULL,
    at            TIMESTAMPTZ,
    PRIMARY KEY (shop, order_id, refund_key)
);

CREATE INDEX orders_updated ON orders (shop, updated_at);
CREATE INDEX link_conversions_at ON link_conversions (at);
