package tiktokads

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/roasd/roasd/ads"
)

// DisableAd pauses an ad (POST /ad/status/update/ with operation_status
// DISABLE). Disabling a disabled ad succeeds, so it is safe to repeat.
func (c *Client) DisableAd(ctx context.Context, advertiserID, adID string) error {
	return c.call(ctx, http.MethodPost, "/ad/status/update/", advertiserID, nil, map[string]any{
		"advertiser_id": advertiserID, "ad_ids": []string{adID}, "operation_status": "DISABLE",
	}, nil)
}

// AdGroupBudget reads an ad group's budget (GET /adgroup/get/) in
// micro-units of the advertiser's currency: the daily budget for daily
// budget modes, the lifetime budget for BUDGET_MODE_TOTAL, 0 for an
// unlimited budget.
func (c *Client) AdGroupBudget(ctx context.Context, advertiserID, adGroupID string) (int64, error) {
	q := url.Values{}
	q.Set("advertiser_id", advertiserID)
	q.Set("fields", jsonParam([]string{"adgroup_id", "budget", "budget_mode"}))
	q.Set("filtering", jsonParam(map[string]any{"adgroup_ids": []string{adGroupID}, "primary_status": "STATUS_ALL"}))
	q.Set("page", "1")
	q.Set("page_size", "10")
	var d struct {
		List []struct {
			AdGroupID  flexString `json:"adgroup_id"`
			Budget     flexString `json:"budget"`
			BudgetMode string     `json:"budget_mode"`
		} `json:"list"`
	}
	const path = "/adgroup/get/"
	if err := c.call(ctx, http.MethodGet, path, advertiserID, q, nil, &d); err != nil {
		return 0, err
	}
	for _, g := range d.List {
		if string(g.AdGroupID) != adGroupID {
			continue
		}
		if g.BudgetMode == "BUDGET_MODE_INFINITE" {
			return 0, nil
		}
		v, err := parseMoney(string(g.Budget))
		if err != nil {
			return 0, fmt.Errorf("reading budget of tiktok ad group %s: %w", adGroupID, err)
		}
		return v, nil
	}
	return 0, &ads.APIError{Platform: ads.TikTok, Account: advertiserID, Op: http.MethodGet + " " + APIPrefix + path,
		Kind: ads.KindNotFound, Message: "ad group " + adGroupID + " not found"}
}

// SetAdGroupBudget changes an ad group's budget now (POST
// /adgroup/budget/update/ with budget[]), rounding micros to the
// currency's minor unit. The amount is the new daily budget of a daily
// ad group, the new lifetime budget of a lifetime one. Setting the same
// budget again succeeds, so it is safe to repeat.
func (c *Client) SetAdGroupBudget(ctx context.Context, advertiserID, adGroupID string, micros int64) error {
	if micros <= 0 {
		return fmt.Errorf("setting budget of tiktok ad group %s: budget must be positive, got %d micros", adGroupID, micros)
	}
	info, err := c.account(ctx, advertiserID)
	if err != nil {
		return err
	}
	amount := json.Number(ads.FormatMicros(micros, ads.MinorUnitExponent(info.Currency)))
	return c.call(ctx, http.MethodPost, "/adgroup/budget/update/", advertiserID, nil, map[string]any{
		"advertiser_id": advertiserID,
		"budget":        []map[string]any{{"adgroup_id": adGroupID, "budget": amount}},
	}, nil)
}
