-- The reconciled, deduplicated attribution ledger (owned by reconcile).
CREATE TABLE ledger (
    brand        TEXT NOT NULL,
    source       TEXT NOT NULL, -- shopify | link
    source_id    TEXT NOT NULL, -- order id or link conversion id
    day          DATE NOT NULL, -- in the brand's time zone
    test_id      TEXT NOT NULL DEFAULT '',
    variant_key  TEXT NOT NULL DEFAULT '',
    creator      TEXT NOT NULL DEFAULT '',
    platform     TEXT NOT NULL DEFAULT '',
    channel      TEXT NOT NULL, -- paid | organic | unattributed
    rule         TEXT NOT NULL, -- which rule attributed it
    currency     TEXT NOT NULL, -- brand currency
    revenue_micros BIGINT NOT NULL,
    orig_currency  TEXT NOT NULL,
    orig_revenue_micros BIGINT NOT NULL,
    code         TEXT NOT NULL DEFAULT '', -- discount code redeemed, if any
    PRIMARY KEY (brand, source, source_id)
);
CREATE INDEX ledger_day ON ledger (brand, day);
