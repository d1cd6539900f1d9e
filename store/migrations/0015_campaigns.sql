-- Campaigns as roasd labels them: where the budget lives (a campaign that
-- holds it — Meta Advantage+ campaign budget, TikTok campaign budget
-- optimisation or Smart+ — refuses ad-set budget writes) and the
-- platform's automation label (Advantage+, Smart+).
CREATE TABLE campaigns (
    platform     TEXT NOT NULL,
    account      TEXT NOT NULL,
    campaign_id  TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    budget_level TEXT NOT NULL CHECK (budget_level IN ('adset', 'campaign')),
    automation   TEXT NOT NULL DEFAULT '',
    daily_budget BIGINT NOT NULL DEFAULT 0, -- micro-units of the account currency
    changed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, account, campaign_id)
);
