-- Verdicts, the Slack outbox and actions taken (owned by notify / verdicts).
CREATE TABLE verdicts (
    brand       TEXT NOT NULL,
    test_id     TEXT NOT NULL,
    subject     TEXT NOT NULL, -- variant key or creator handle
    checkpoint  TEXT NOT NULL, -- e.g. "14d", or "guard:<name>"
    verdict     TEXT NOT NULL, -- scale | cut | refresh | hold
    reason      TEXT NOT NULL,
    metrics     JSONB NOT NULL DEFAULT '{}',
    decided_on  DATE NOT NULL,
    PRIMARY KEY (brand, test_id, subject, checkpoint)
);

CREATE TABLE alert_outbox (
    id            BIGSERIAL PRIMARY KEY,
    dedup_key     TEXT NOT NULL UNIQUE,
    brand         TEXT NOT NULL,
    channel       TEXT NOT NULL,
    thread_key    TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL,
    payload       JSONB NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending', -- pending | sent | dead
    attempts      INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error    TEXT NOT NULL DEFAULT '',
    slack_channel TEXT NOT NULL DEFAULT '',
    slack_ts      TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at       TIMESTAMPTZ
);
CREATE INDEX alert_outbox_pending ON alert_outbox (next_attempt_at) WHERE status = 'pending';

CREATE TABLE slack_threads (
    brand      TEXT NOT NULL,
    thread_key TEXT NOT NULL,
    channel    TEXT NOT NULL,
    ts         TEXT NOT NULL,
    PRIMARY KEY (brand, thread_key)
);

CREATE TABLE platform_actions (
    id          BIGSERIAL PRIMARY KEY,
    brand       TEXT NOT NULL,
    test_id     TEXT NOT NULL,
    variant_key TEXT NOT NULL,
    platform    TEXT NOT NULL,
    account     TEXT NOT NULL,
    action      TEXT NOT NULL, -- pause_ad | set_budget
    target_id   TEXT NOT NULL,
    before_value TEXT NOT NULL DEFAULT '',
    after_value  TEXT NOT NULL DEFAULT '',
    checkpoint  TEXT NOT NULL,
    status      TEXT NOT NULL, -- applied | failed | skipped
    error       TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (brand, test_id, variant_key, action, checkpoint)
);
