-- Shopify's customerJourneySummary.ready (issue 22 item 4): journey_pending
-- is true while the last sync read an order whose journey (visits, UTM
-- parameters) was not complete yet; the sync re-reads such orders until it
-- is (for 48 hours after the order was created). attributed_unready stays
-- true once an order was stored from a journey that was not ready, for
-- /metrics.
ALTER TABLE orders ADD COLUMN journey_pending BOOLEAN NOT NULL DEFAULT false,
	ADD COLUMN attributed_unready BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX orders_journey_pending ON orders (shop, updated_at) WHERE journey_pending;
