-- Indexes for the incremental reconcile (store/ledger.go, affectedDaysSQL):
-- every lookup from a changed source row is an index probe, so finding the
-- days to reconcile costs as much as the rows that changed, not the tables.

-- Daily stats changed since a watermark.
CREATE INDEX ad_day_stats_changed ON ad_day_stats (changed_at);

-- Link conversions changed since a watermark, and those naming an order
-- (by id, numeric id or name, with or without '#').
CREATE INDEX link_conversions_changed ON link_conversions (changed_at);
CREATE INDEX link_conversions_order_id ON link_conversions (order_id) WHERE order_id <> '';
CREATE INDEX link_conversions_order_ref ON link_conversions (ltrim(order_id, '#')) WHERE order_id <> '';

-- Whether a stat's ad runs a variant of the brand.
CREATE INDEX variant_ads_ad ON variant_ads (brand, platform, ad_id);
