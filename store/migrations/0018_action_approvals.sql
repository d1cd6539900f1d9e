-- Actions of tests with `actions: approve` are recorded as intents
-- 'awaiting' approval; an approval (Slack button or `roasd actions
-- approve`) moves one to 'pending', from where the existing path reads,
-- sends and reads back. The move is one guarded UPDATE (status still
-- 'awaiting', not past expires_at, and the verdict it was proposed from
-- still the stored verdict), so a double click, a retried delivery or two
-- approvers at once apply it once. A skip settles it as 'skipped'; the
-- next checkpoint or a changed verdict settles it as 'expired'.
ALTER TABLE platform_actions
    ADD COLUMN verdict        TEXT NOT NULL DEFAULT '', -- the verdict an awaiting intent was proposed from
    ADD COLUMN approver_group TEXT NOT NULL DEFAULT '', -- Slack user group whose members may approve ('' = no approval asked)
    ADD COLUMN expires_at     TIMESTAMPTZ,              -- the next checkpoint
    ADD COLUMN decided_by     TEXT NOT NULL DEFAULT '', -- Slack user id, or cli:<name>
    ADD COLUMN decided_name   TEXT NOT NULL DEFAULT '', -- as shown: @ana
    ADD COLUMN decided_at     TIMESTAMPTZ;

CREATE INDEX platform_actions_awaiting ON platform_actions (brand, test_id) WHERE status = 'awaiting';
CREATE INDEX platform_actions_approval ON platform_actions (brand, test_id, checkpoint) WHERE approver_group <> '';

-- Every approval or skip attempt, allowed or not: who, on what, and what
-- came of it (approved, skipped, not_allowed, already_decided, expired).
CREATE TABLE action_decisions (
    id        BIGSERIAL PRIMARY KEY,
    action_id BIGINT REFERENCES platform_actions (id) ON DELETE CASCADE,
    brand     TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    user_name TEXT NOT NULL DEFAULT '',
    via       TEXT NOT NULL, -- slack | cli
    decision  TEXT NOT NULL, -- approve | skip
    outcome   TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX action_decisions_action ON action_decisions (action_id, id);
