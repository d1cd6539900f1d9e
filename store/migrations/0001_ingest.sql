-- Platform records pulled from Meta, TikTok, Shopify and link platforms.
-- Money is BIGINT micro-units beside an ISO 4217 currency.

CREATE TABLE permissions (
    platform     TEXT NOT NULL,
    account      TEXT NOT NULL,
    permission_id TEXT NOT NULL,
    creator      TEXT NOT NULL DEFAULT '',
    creator_id   TEXT NOT NULL DEFAULT '',
    item_id      TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    granted_at   TIMESTAMPTZ,
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    changed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, account, permission_id)
);

CREATE TABLE ads (
    platform         TEXT NOT NULL,
    account          TEXT NOT NULL,
    ad_id            TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    campaign_id      TEXT NOT NULL DEFAULT '',
    adset_id         TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL DEFAULT '',
    kind             TEXT NOT NULL,
    creator_identity TEXT NOT NULL DEFAULT '',
    item_id          TEXT NOT NULL DEFAULT '',
    url_tags         TEXT NOT NULL DEFAULT '',
    link_url         TEXT NOT NULL DEFAULT '',
    utm_source       TEXT NOT NULL DEFAULT '',
    utm_medium       TEXT NOT NULL DEFAULT '',
    utm_campaign     TEXT NOT NULL DEFAULT '',
    utm_content      TEXT NOT NULL DEFAULT '',
    utm_term         TEXT NOT NULL DEFAULT '',
    updated_at       TIMESTAMPTZ,
    changed_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, account, ad_id)
);
CREATE INDEX ads_utm_content ON ads (utm_content) WHERE utm_content <> '';

-- Which ads run which declared variant, and why they were matched.
CREATE TABLE variant_ads (
    brand       TEXT NOT NULL,
    test_id     TEXT NOT NULL,
    variant_key TEXT NOT NULL,
    platform    TEXT NOT NULL,
    account     TEXT NOT NULL,
    ad_id       TEXT NOT NULL,
    matched_by  TEXT NOT NULL, -- ad_id | item_id | utm_content
    PRIMARY KEY (brand, test_id, variant_key, platform, ad_id)
);

CREATE TABLE ad_day_stats (
    platform      TEXT NOT NULL,
    account       TEXT NOT NULL,
    ad_id         TEXT NOT NULL,
    day           DATE NOT NULL,
    currency      TEXT NOT NULL,
    spend_micros  BIGINT NOT NULL DEFAULT 0,
    impressions   BIGINT NOT NULL DEFAULT 0,
    clicks        BIGINT NOT NULL DEFAULT 0,
    engagements   BIGINT NOT NULL DEFAULT 0,
    views         BIGINT NOT NULL DEFAULT 0,
    conversions   BIGINT NOT NULL DEFAULT 0,
    conversion_value_micros BIGINT NOT NULL DEFAULT 0,
    changed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, account, ad_id, day)
);
CREATE INDEX ad_day_stats_day ON ad_day_stats (day);

-- Ad account facts the platforms report (currency, time zone).
CREATE TABLE accounts (
    platform  TEXT NOT NULL,
    account   TEXT NOT NULL,
    name      TEXT NOT NULL DEFAULT '',
    currency  TEXT NOT NULL,
    timezone  TEXT NOT NULL,
    PRIMARY KEY (platform, account)
);

CREATE TABLE orders (
    shop             TEXT NOT NULL,
    order_id         TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    cancelled_at     TIMESTAMPTZ,
    currency         TEXT NOT NULL,
    gross_micros     BIGINT NOT NULL DEFAULT 0,
    discounts_micros BIGINT NOT NULL DEFAULT 0,
    refunded_micros  BIGINT NOT NULL DEFAULT 0,
    net_micros       BIGINT NOT NULL DEFAULT 0,
    discount_codes   TEXT[] NOT NULL DEFAULT '{}',
    utm_source       TEXT NOT NULL DEFAULT '',
    utm_medium       TEXT NOT NULL DEFAULT '',
    utm_campaign     TEXT NOT NULL DEFAULT '',
    utm_content      TEXT NOT NULL DEFAULT '',
    utm_term         TEXT NOT NULL DEFAULT '',
    landing_page     TEXT NOT NULL DEFAULT '',
    first_utm_source   TEXT NOT NULL DEFAULT '',
    first_utm_medium   TEXT NOT NULL DEFAULT '',
    first_utm_campaign TEXT NOT NULL DEFAULT '',
    first_utm_content  TEXT NOT NULL DEFAULT '',
    first_utm_term     TEXT NOT NULL DEFAULT '',
    first_landing_page TEXT NOT NULL DEFAULT '',
    test             BOOLEAN NOT NULL DEFAULT false,
    changed_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, order_id)
);
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX orders_changed ON orders (changed_at);

CREATE TABLE link_conversions (
    source        TEXT NOT NULL,
    conversion_id TEXT NOT NULL,
    creator       TEXT NOT NULL DEFAULT '',
    link          TEXT NOT NULL DEFAULT '',
    order_id      TEXT NOT NULL DEFAULT '',
    amount_micros BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    changed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (source, conversion_id)
);

-- Incremental-sync high-water marks (e.g. Shopify updated_at cursor).
CREATE TABLE sync_cursors (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL
);
