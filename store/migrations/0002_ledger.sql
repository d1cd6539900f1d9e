-- The reconciled, deduplicated attribution ledger, the daily KPI cells and
-- the reconcile watermarks (owned by store/ledger.go; computed by reconcile).
-- Money is BIGINT micro-units of the brand currency beside its ISO code.

-- One row per store order or link conversion of a brand, at most once.
CREATE TABLE ledger (
    brand        TEXT NOT NULL,
    source       TEXT NOT NULL, -- order | link
    source_id    TEXT NOT NULL, -- order id, or "<source>:<conversion id>"
    day          DATE NOT NULL, -- in the brand's time zone
    test_id      TEXT NOT NULL DEFAULT '',
    variant_key  TEXT NOT NULL DEFAULT '',
    creator      TEXT NOT NULL DEFAULT '',
    platform     TEXT NOT NULL DEFAULT '',
    channel      TEXT NOT NULL, -- paid | organic | unattributed | duplicate
    rule         TEXT NOT NULL, -- utm_content | discount_code | tracking_link | link_conversion | link_dup | none
    policy       TEXT NOT NULL, -- utm-first | code-first
    currency     TEXT NOT NULL, -- brand currency
    revenue_micros      BIGINT NOT NULL,
    orig_currency       TEXT NOT NULL,
    orig_revenue_micros BIGINT NOT NULL,
    code         TEXT NOT NULL DEFAULT '', -- creator code redeemed, as typed
    code_creator TEXT NOT NULL DEFAULT '',
    counted      BOOLEAN NOT NULL, -- a store-confirmed order (positive revenue)
    PRIMARY KEY (brand, source, source_id)
);
CREATE INDEX ledger_day ON ledger (brand, day);

-- Additive measures per brand, day and (test, variant, creator, platform)
-- cell; '' means none. Every KPI of any range is derived from sums of these.
CREATE TABLE kpi_daily (
    brand        TEXT NOT NULL,
    day          DATE NOT NULL,
    test_id      TEXT NOT NULL DEFAULT '',
    variant_key  TEXT NOT NULL DEFAULT '',
    creator      TEXT NOT NULL DEFAULT '',
    platform     TEXT NOT NULL DEFAULT '',
    currency     TEXT NOT NULL,
    spend_micros           BIGINT NOT NULL DEFAULT 0,
    flat_fee_micros        BIGINT NOT NULL DEFAULT 0,
    commission_micros      BIGINT NOT NULL DEFAULT 0,
    bonus_micros           BIGINT NOT NULL DEFAULT 0,
    paid_revenue_micros    BIGINT NOT NULL DEFAULT 0,
    organic_revenue_micros BIGINT NOT NULL DEFAULT 0,
    paid_orders            BIGINT NOT NULL DEFAULT 0,
    organic_orders         BIGINT NOT NULL DEFAULT 0,
    redemptions            BIGINT NOT NULL DEFAULT 0,
    platform_conversions   BIGINT NOT NULL DEFAULT 0,
    platform_value_micros  BIGINT NOT NULL DEFAULT 0,
    impressions            BIGINT NOT NULL DEFAULT 0,
    clicks                 BIGINT NOT NULL DEFAULT 0,
    engagements            BIGINT NOT NULL DEFAULT 0,
    views                  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (brand, day, test_id, variant_key, creator, platform)
);

-- Per brand: up to when source changes are reconciled, and the fingerprint
-- of the configuration and variant→ad links they were reconciled with (a
-- different fingerprint forces a full rebuild).
CREATE TABLE reconcile_state (
    brand         TEXT PRIMARY KEY,
    currency      TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    watermark     TIMESTAMPTZ NOT NULL, -- source rows with changed_at >= it are not yet reconciled
    reconciled_at TIMESTAMPTZ NOT NULL
);
