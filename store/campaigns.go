package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/roasd/roasd/ads"
)

// UpsertCampaigns stores campaigns with their labels and returns how many
// were new or changed (a rerun with the same campaigns changes nothing).
func (db *DB) UpsertCampaigns(ctx context.Context, cs []ads.Campaign) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		for _, c := range cs {
			res, err := tx.ExecContext(ctx, `
				INSERT INTO campaigns (platform, account, campaign_id, name, budget_level, automation, daily_budget)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (platform, account, campaign_id) DO UPDATE
				SET name = EXCLUDED.name, budget_level = EXCLUDED.budget_level, automation = EXCLUDED.automation,
				    daily_budget = EXCLUDED.daily_budget, changed_at = now()
				WHERE (campaigns.name, campaigns.budget_level, campaigns.automation, campaigns.daily_budget)
				   IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.budget_level, EXCLUDED.automation, EXCLUDED.daily_budget)`,
				string(c.Platform), c.Account, c.ID, c.Name, c.BudgetLevel, c.Automation, c.DailyBudget)
			if err != nil {
				return fmt.Errorf("storing %s campaign %s: %w", c.Platform, c.ID, err)
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	return n, err
}

// Campaigns returns the stored campaigns of a platform account ("" for
// every account), keyed by campaign id.
func (db *DB) Campaigns(ctx context.Context, platform ads.Platform, account string) (map[string]ads.Campaign, error) {
	var rows []struct {
		Platform    string `db:"platform"`
		Account     string `db:"account"`
		ID          string `db:"campaign_id"`
		Name        string `db:"name"`
		BudgetLevel string `db:"budget_level"`
		Automation  string `db:"automation"`
		DailyBudget int64  `db:"daily_budget"`
	}
	err := db.x.SelectContext(ctx, &rows, `
		SELECT platform, account, campaign_id, name, budget_level, automation, daily_budget FROM campaigns
		WHERE platform = $1 AND ($2 = '' OR account = $2)`, string(platform), account)
	if err != nil {
		return nil, fmt.Errorf("reading %s campaigns: %w", platform, err)
	}
	out := make(map[string]ads.Campaign, len(rows))
	for _, r := range rows {
		out[r.ID] = ads.Campaign{Platform: ads.Platform(r.Platform), Account: r.Account, ID: r.ID, Name: r.Name,
			BudgetLevel: r.BudgetLevel, Automation: r.Automation, DailyBudget: r.DailyBudget}
	}
	return out, nil
}
