-- When a sender first started posting an outbox row to Slack (set just
-- before chat.postMessage, cleared when the row is sent or dead). A pending
-- row with it set may already be in Slack: the sender looks for it there
-- (by its metadata dedup_key, in messages from this time on) before
-- posting again.
ALTER TABLE alert_outbox ADD COLUMN posting_since TIMESTAMPTZ;

-- The Slack channel id a configured channel name resolved to (read only
-- when a row is looked for in Slack).
CREATE INDEX alert_outbox_slack_channel ON alert_outbox (channel, sent_at DESC) WHERE slack_channel <> '';
