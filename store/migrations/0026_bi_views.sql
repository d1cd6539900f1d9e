-- Issue 18 item 7: read-only SQL views for BI tools (README "BI access").
--
-- Schema bi holds the contract: its views' names and columns stay stable
-- (later migrations only add columns or views). Money is BIGINT micro-units
-- (*_micros) beside an exact NUMERIC in currency units and the ISO currency
-- — never a float. Days are in the brand's time zone. The KPI views read a
-- closed month's snapshot (as the report does), so they tie to `roasd
-- report`; `provisional` marks days that may still change, `closed` days
-- of a closed month.
--
-- Role roasd_bi (NOLOGIN) may read bi and nothing else; an operator grants
-- it to a login: CREATE ROLE looker LOGIN PASSWORD '…' IN ROLE roasd_bi.
-- Roles are cluster-wide: the role is created only when missing (another
-- database of the cluster may have made it, even concurrently).

CREATE SCHEMA IF NOT EXISTS bi;

-- Every KPI cell: a brand, day and (test, variant, creator, platform);
-- '' means none, '(unattributed)' what no creator claims.
CREATE OR REPLACE VIEW bi.kpi_cells AS
WITH cells AS (
    SELECT k.brand, k.day, k.test_id, k.variant_key, k.creator, k.platform, k.currency,
        k.spend_micros, k.flat_fee_micros, k.commission_micros, k.bonus_micros, k.paid_revenue_micros,
        k.organic_revenue_micros, k.paid_orders, k.organic_orders, k.redemptions, k.platform_conversions,
        k.platform_value_micros, k.impressions, k.clicks, k.engagements, k.views, false AS closed
    FROM kpi_daily k
    WHERE NOT EXISTS (SELECT 1 FROM month_closes c WHERE c.brand = k.brand AND c.month = date_trunc('month', k.day::timestamp)::date)
    UNION ALL
    SELECT s.brand, s.day, s.test_id, s.variant_key, s.creator, s.platform, s.currency,
        s.spend_micros, s.flat_fee_micros, s.commission_micros, s.bonus_micros, s.paid_revenue_micros,
        s.organic_revenue_micros, s.paid_orders, s.organic_orders, s.redemptions, s.platform_conversions,
        s.platform_value_micros, s.impressions, s.clicks, s.engagements, s.views, true
    FROM month_close_kpi s
)
SELECT c.brand, c.day, c.test_id, c.variant_key, c.creator, c.platform, c.currency,
    c.spend_micros, c.flat_fee_micros, c.commission_micros, c.bonus_micros,
    c.flat_fee_micros + c.commission_micros + c.bonus_micros AS fees_micros,
    c.paid_revenue_micros, c.organic_revenue_micros,
    c.paid_revenue_micros + c.organic_revenue_micros AS revenue_micros,
    c.paid_orders, c.organic_orders, c.redemptions, c.platform_conversions, c.platform_value_micros,
    c.impressions, c.clicks, c.engagements, c.views,
    c.spend_micros::numeric * 0.000001 AS spend,
    (c.flat_fee_micros + c.commission_micros + c.bonus_micros)::numeric * 0.000001 AS fees,
    (c.paid_revenue_micros + c.organic_revenue_micros)::numeric * 0.000001 AS revenue,
    c.closed,
    (NOT c.closed AND st.final_through IS NOT NULL AND c.day > st.final_through) AS provisional
FROM cells c
LEFT JOIN reconcile_state st ON st.brand = c.brand;

-- Daily KPIs per variant (paid cells: spend, paid revenue and orders, the
-- platforms' numbers).
CREATE OR REPLACE VIEW bi.daily_variant_kpis AS
SELECT brand, day, test_id, variant_key, creator, platform, currency,
    sum(spend_micros)::bigint AS spend_micros, sum(fees_micros)::bigint AS fees_micros,
    sum(paid_revenue_micros)::bigint AS paid_revenue_micros, sum(paid_orders)::bigint AS paid_orders,
    sum(redemptions)::bigint AS redemptions, sum(platform_conversions)::bigint AS platform_conversions,
    sum(platform_value_micros)::bigint AS platform_value_micros, sum(impressions)::bigint AS impressions,
    sum(clicks)::bigint AS clicks, sum(engagements)::bigint AS engagements, sum(views)::bigint AS views,
    sum(spend_micros)::numeric * 0.000001 AS spend, sum(paid_revenue_micros)::numeric * 0.000001 AS paid_revenue,
    bool_or(closed) AS closed, bool_or(provisional) AS provisional
FROM bi.kpi_cells
WHERE variant_key <> ''
GROUP BY brand, day, test_id, variant_key, creator, platform, currency;

-- Daily KPIs per creator (all of a creator's cells: paid and organic).
CREATE OR REPLACE VIEW bi.daily_creator_kpis AS
SELECT brand, day, creator, currency,
    sum(spend_micros)::bigint AS spend_micros, sum(flat_fee_micros)::bigint AS flat_fee_micros,
    sum(commission_micros)::bigint AS commission_micros, sum(bonus_micros)::bigint AS bonus_micros,
    sum(fees_micros)::bigint AS fees_micros, sum(paid_revenue_micros)::bigint AS paid_revenue_micros,
    sum(organic_revenue_micros)::bigint AS organic_revenue_micros, sum(revenue_micros)::bigint AS revenue_micros,
    sum(paid_orders)::bigint AS paid_orders, sum(organic_orders)::bigint AS organic_orders,
    sum(redemptions)::bigint AS redemptions, sum(platform_conversions)::bigint AS platform_conversions,
    sum(platform_value_micros)::bigint AS platform_value_micros, sum(impressions)::bigint AS impressions,
    sum(spend_micros)::numeric * 0.000001 AS spend, sum(fees_micros)::numeric * 0.000001 AS fees,
    sum(revenue_micros)::numeric * 0.000001 AS revenue,
    bool_or(closed) AS closed, bool_or(provisional) AS provisional
FROM bi.kpi_cells
GROUP BY brand, day, creator, currency;

-- Daily KPIs per test ('' for a creator's organic revenue on a day none of
-- their tests runs).
CREATE OR REPLACE VIEW bi.daily_test_kpis AS
SELECT brand, day, test_id, currency,
    sum(spend_micros)::bigint AS spend_micros, sum(fees_micros)::bigint AS fees_micros,
    sum(paid_revenue_micros)::bigint AS paid_revenue_micros, sum(organic_revenue_micros)::bigint AS organic_revenue_micros,
    sum(revenue_micros)::bigint AS revenue_micros, sum(paid_orders)::bigint AS paid_orders,
    sum(organic_orders)::bigint AS organic_orders, sum(redemptions)::bigint AS redemptions,
    sum(platform_conversions)::bigint AS platform_conversions, sum(platform_value_micros)::bigint AS platform_value_micros,
    sum(spend_micros)::numeric * 0.000001 AS spend, sum(fees_micros)::numeric * 0.000001 AS fees,
    sum(revenue_micros)::numeric * 0.000001 AS revenue,
    bool_or(closed) AS closed, bool_or(provisional) AS provisional
FROM bi.kpi_cells
GROUP BY brand, day, test_id, currency;

-- Every ledger row (store orders and link conversions, each at most once)
-- with the channel and the rule that attributed it and the policy in force.
CREATE OR REPLACE VIEW bi.ledger AS
SELECT l.brand, l.source, l.source_id, l.day, l.test_id, l.variant_key, l.creator, l.platform,
    l.channel, l.rule, l.policy, l.currency, l.revenue_micros, l.revenue_micros::numeric * 0.000001 AS revenue,
    l.orig_currency, l.orig_revenue_micros, l.code, l.code_creator, l.counted,
    (st.final_through IS NOT NULL AND l.day > st.final_through) AS provisional
FROM ledger l
LEFT JOIN reconcile_state st ON st.brand = l.brand;

-- Closed months (roasd close).
CREATE OR REPLACE VIEW bi.month_closes AS
SELECT brand, month, currency, timezone, closed_at, reconciled_at, final_through, closed_by FROM month_closes;

-- A database user without CREATEROLE cannot make the role: the views are
-- made all the same and README says what to run as a superuser.
DO $$
BEGIN
    BEGIN
        CREATE ROLE roasd_bi NOLOGIN;
    EXCEPTION
        WHEN duplicate_object OR unique_violation THEN
            NULL; -- made before, or by another database of the cluster
        WHEN insufficient_privilege THEN
            RAISE NOTICE 'roasd: cannot create role roasd_bi (no CREATEROLE): create it and grant it SELECT on schema bi by hand (README "BI access")';
    END;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'roasd_bi') THEN
        GRANT USAGE ON SCHEMA bi TO roasd_bi;
        GRANT SELECT ON ALL TABLES IN SCHEMA bi TO roasd_bi;
    END IF;
END
$$;
