-- Issue 18 items 3 and 4.
--
-- Provisional days (item 3): each reconcile records the last day of the
-- brand that is final — outside every source's restatement window and the
-- refund horizon (reconcile.FinalityOf) — and why, so reports, the
-- dashboard and the BI views mark later days provisional without the
-- configuration. NULL (states stored before) marks nothing.
ALTER TABLE reconcile_state ADD COLUMN final_through DATE,
	ADD COLUMN provisional_why TEXT NOT NULL DEFAULT '';

-- Closed months (item 4): `roasd close MONTH` freezes a brand's month. The
-- report of a closed month reads its snapshot (month_close_kpi); what
-- changed since (restated spend, late refunds, late orders) is shown as
-- post-close adjustments by comparing the live ledger and KPI cells with
-- the snapshot (month_close_ledger keeps each ledger row as it was).
CREATE TABLE month_closes (
    brand          TEXT NOT NULL,
    month          DATE NOT NULL, -- its first day
    currency       TEXT NOT NULL,
    timezone       TEXT NOT NULL,
    closed_at      TIMESTAMPTZ NOT NULL,
    reconciled_at  TIMESTAMPTZ NOT NULL, -- the snapshot's figures are as of it
    final_through  DATE,                 -- days after it were provisional at close
    closed_by      TEXT NOT NULL DEFAULT '', -- cli | api
    PRIMARY KEY (brand, month),
    CHECK (month = date_trunc('month', month)::date)
);

CREATE TABLE month_close_kpi (
    brand        TEXT NOT NULL,
    month        DATE NOT NULL,
    day          DATE NOT NULL,
    test_id      TEXT NOT NULL,
    variant_key  TEXT NOT NULL,
    creator      TEXT NOT NULL,
    platform     TEXT NOT NULL,
    currency     TEXT NOT NULL,
    spend_micros           BIGINT NOT NULL,
    flat_fee_micros        BIGINT NOT NULL,
    commission_micros      BIGINT NOT NULL,
    bonus_micros           BIGINT NOT NULL,
    paid_revenue_micros    BIGINT NOT NULL,
    organic_revenue_micros BIGINT NOT NULL,
    paid_orders            BIGINT NOT NULL,
    organic_orders         BIGINT NOT NULL,
    redemptions            BIGINT NOT NULL,
    platform_conversions   BIGINT NOT NULL,
    platform_value_micros  BIGINT NOT NULL,
    impressions            BIGINT NOT NULL,
    clicks                 BIGINT NOT NULL,
    engagements            BIGINT NOT NULL,
    views                  BIGINT NOT NULL,
    PRIMARY KEY (brand, day, test_id, variant_key, creator, platform),
    FOREIGN KEY (brand, month) REFERENCES month_closes (brand, month)
);

CREATE TABLE month_close_ledger (
    brand          TEXT NOT NULL,
    month          DATE NOT NULL,
    source         TEXT NOT NULL,
    source_id      TEXT NOT NULL,
    day            DATE NOT NULL,
    test_id        TEXT NOT NULL,
    variant_key    TEXT NOT NULL,
    creator        TEXT NOT NULL,
    platform       TEXT NOT NULL,
    channel        TEXT NOT NULL,
    rule           TEXT NOT NULL,
    revenue_micros BIGINT NOT NULL,
    counted        BOOLEAN NOT NULL,
    PRIMARY KEY (brand, month, source, source_id),
    FOREIGN KEY (brand, month) REFERENCES month_closes (brand, month)
);
