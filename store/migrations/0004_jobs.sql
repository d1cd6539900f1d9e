-- Scheduler run history and per-account leases (owned by scheduler).
CREATE TABLE job_runs (
    id          BIGSERIAL PRIMARY KEY,
    job         TEXT NOT NULL,
    scope       TEXT NOT NULL DEFAULT '',
    replica     TEXT NOT NULL DEFAULT '',
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      TEXT NOT NULL, -- running | ok | failed | abandoned
    attempt     INT NOT NULL DEFAULT 1,
    rows        BIGINT NOT NULL DEFAULT 0,
    api_calls   BIGINT NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job ON job_runs (job, scope, started_at DESC);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
