-- Verdicts, the Slack outbox, Slack threads and platform actions taken
-- (owned by the verdicts / notify area).

-- The latest verdict of each subject at each checkpoint of a test.
CREATE TABLE verdicts (
    brand       TEXT NOT NULL,
    test_id     TEXT NOT NULL,
    subject     TEXT NOT NULL,          -- variant key or creator handle
    checkpoint  TEXT NOT NULL,          -- e.g. "14d"
    platform    TEXT NOT NULL DEFAULT '',
    verdict     TEXT NOT NULL,          -- scale | cut | refresh | hold
    rule        TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL,
    metrics     JSONB NOT NULL DEFAULT '{}',
    decided_on  DATE NOT NULL,
    changes     INT NOT NULL DEFAULT 0, -- times the verdict changed
    PRIMARY KEY (brand, test_id, subject, checkpoint)
);

-- Alerts to deliver, written in the same transaction as what caused them.
-- A row is sent at most once per dedup_key; rows sharing an update_key are
-- revisions of one Slack message (a newer one supersedes older ones and is
-- delivered with chat.update).
CREATE TABLE alert_outbox (
    id              BIGSERIAL PRIMARY KEY,
    dedup_key       TEXT NOT NULL UNIQUE,
    update_key      TEXT NOT NULL DEFAULT '',
    brand           TEXT NOT NULL,
    channel         TEXT NOT NULL,
    thread_key      TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    payload         JSONB NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending', -- pending | sent | dead
    superseded      BOOLEAN NOT NULL DEFAULT false,
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
    claimed_until   TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT '',
    slack_channel   TEXT NOT NULL DEFAULT '',
    slack_ts        TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at         TIMESTAMPTZ
);
CREATE INDEX alert_outbox_pending ON alert_outbox (next_attempt_at, id) WHERE status = 'pending' AND NOT superseded;
CREATE INDEX alert_outbox_update ON alert_outbox (brand, update_key) WHERE update_key <> '';

-- The first Slack message of each thread (one thread per test).
CREATE TABLE slack_threads (
    brand      TEXT NOT NULL,
    thread_key TEXT NOT NULL,
    channel    TEXT NOT NULL,
    ts         TEXT NOT NULL,
    PRIMARY KEY (brand, thread_key)
);

-- Every action taken (or declined) on an ad platform, claimed before it is
-- attempted so a rerun never acts twice.
CREATE TABLE platform_actions (
    id           BIGSERIAL PRIMARY KEY,
    brand        TEXT NOT NULL,
    test_id      TEXT NOT NULL,
    variant_key  TEXT NOT NULL,
    platform     TEXT NOT NULL,
    account      TEXT NOT NULL,
    action       TEXT NOT NULL, -- pause_ad | set_budget
    target_id    TEXT NOT NULL, -- ad id or ad set / ad group id
    checkpoint   TEXT NOT NULL,
    status       TEXT NOT NULL, -- claimed | applied | failed | skipped
    before_value TEXT NOT NULL DEFAULT '',
    after_value  TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    claimed_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    UNIQUE (brand, test_id, variant_key, action, target_id, checkpoint)
);
