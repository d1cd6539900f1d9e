-- A platform action is an intent with an absolute target, computed once
-- from the verdict: the ad's paused status, or an ad set / ad group budget
-- in minor units of the account currency. The row is claimed before the
-- platform is touched; sends counts the writes that may have reached the
-- platform (incremented before each one), so a row left claimed by a dead
-- run, or one whose answer was lost, is read back before anything is sent
-- again.
ALTER TABLE platform_actions
    ADD COLUMN target_value   TEXT NOT NULL DEFAULT '', -- PAUSED / DISABLE, or a budget in minor units
    ADD COLUMN currency       TEXT NOT NULL DEFAULT '', -- the account currency of a budget target
    ADD COLUMN reason         TEXT NOT NULL DEFAULT '', -- why the action was planned
    ADD COLUMN note           TEXT NOT NULL DEFAULT '', -- how the outcome was learnt (read back, already at target, deferred)
    ADD COLUMN claim_token    TEXT NOT NULL DEFAULT '',
    ADD COLUMN sends          INT  NOT NULL DEFAULT 0,
    ADD COLUMN last_sent_at   TIMESTAMPTZ,
    ADD COLUMN readback_value TEXT NOT NULL DEFAULT '',
    ADD COLUMN readback_at    TIMESTAMPTZ,
    ADD COLUMN effective_from TEXT NOT NULL DEFAULT ''; -- a TikTok daily budget: when the platform applies it

CREATE INDEX platform_actions_open ON platform_actions (brand, id)
    WHERE status IN ('claimed', 'pending', 'unknown');
CREATE INDEX platform_actions_target ON platform_actions (platform, target_id, action, finished_at);

-- Every read, write and read-back made for an action, in order: the audit
-- trail, and what the per-ad-set guardrails count.
CREATE TABLE platform_action_log (
    id        BIGSERIAL PRIMARY KEY,
    action_id BIGINT NOT NULL REFERENCES platform_actions (id) ON DELETE CASCADE,
    platform  TEXT NOT NULL,
    target_id TEXT NOT NULL,
    action    TEXT NOT NULL,
    step      TEXT NOT NULL, -- read | send | readback
    value     TEXT NOT NULL DEFAULT '', -- the state read, or the value sent
    outcome   TEXT NOT NULL, -- ok | refused | unknown | error
    error     TEXT NOT NULL DEFAULT '',
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX platform_action_log_action ON platform_action_log (action_id, id);
CREATE INDEX platform_action_log_sends ON platform_action_log (platform, target_id, at) WHERE step = 'send';

-- Rows recorded before targets existed: a pause's target is the platform's
-- paused status. (A budget row's target cannot be recovered: a row left
-- claimed without one is settled as failed by the next run, saying so.)
UPDATE platform_actions SET target_value = CASE platform WHEN 'tiktok' THEN 'DISABLE' ELSE 'PAUSED' END
WHERE action = 'pause_ad' AND target_value = '';
