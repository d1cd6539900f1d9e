-- The tie-out block (issue 18 items 2 and 6; owned by store/sales.go,
-- computed by reconcile): the store's sales per brand and day (in the
-- brand's zone) of the orders placed that day, as they stand now, in the
-- brand currency (micro-units). gross - discounts - refunds -
-- cancellations = net and paid + organic + unattributed = net. Replaced
-- with the ledger and KPI cells of the same days.
CREATE TABLE sales_daily (
    brand                TEXT NOT NULL,
    day                  DATE NOT NULL,
    currency             TEXT NOT NULL,
    orders               BIGINT NOT NULL DEFAULT 0,
    gross_micros         BIGINT NOT NULL DEFAULT 0,
    discounts_micros     BIGINT NOT NULL DEFAULT 0,
    refunds_micros       BIGINT NOT NULL DEFAULT 0,
    cancellations_micros BIGINT NOT NULL DEFAULT 0,
    net_micros           BIGINT NOT NULL DEFAULT 0,
    paid_micros          BIGINT NOT NULL DEFAULT 0,
    organic_micros       BIGINT NOT NULL DEFAULT 0,
    unattributed_micros  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (brand, day)
);

-- Orders held out for want of a configured rate (ledger channel
-- 'unconverted'): few, read by every reconcile for its Slack alert and by
-- every report's tie-out block.
CREATE INDEX ledger_unconverted ON ledger (brand, day) WHERE channel = 'unconverted';

-- The attribution policy of each test a brand was reconciled with
-- ([{"test": "...", "policy": "utm-first"}]), for the report's header.
ALTER TABLE reconcile_state ADD COLUMN policies JSONB NOT NULL DEFAULT '[]';
