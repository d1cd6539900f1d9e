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

// AdStatus reads an ad's operation status (ENABLE, DISABLE, DELETE,
// FROZEN) with GET /ad/get/, deleted ads included.
func (c *Client) AdStatus(ctx context.Context, advertiserID, adID string) (string, error) {
	q := url.Values{}
	q.Set("advertiser_id", advertiserID)
	q.Set("fields", jsonParam([]string{"ad_id", "operation_status"}))
	q.Set("filtering", jsonParam(map[string]any{"ad_ids": []string{adID}, "primary_status": "STATUS_ALL"}))
	q.Set("page", "1")
	q.Set("page_size", "10")
	var d struct {
		List []struct {
			AdID            flexString `json:"ad_id"`
			OperationStatus string     `json:"operation_status"`
		} `json:"list"`
	}
	const path = "/ad/get/"
	if err := c.call(ctx, http.MethodGet, path, advertiserID, q, nil, &d); err != nil {
		return "", err
	}
	for _, a := range d.List {
		if string(a.AdID) == adID {
			return a.OperationStatus, nil
		}
	}
	return "", &ads.APIError{Platform: ads.TikTok, Account: advertiserID, Op: http.MethodGet + " " + APIPrefix + path,
		Kind: ads.KindNotFound, Message: "ad " + adID + " not found"}
}

// Budget modes of an ad group (AdGroupBudgetState.Mode).
const (
	BudgetModeDay          = "BUDGET_MODE_DAY"
	BudgetModeDynamicDaily = "BUDGET_MODE_DYNAMIC_DAILY_BUDGET"
	BudgetModeTotal        = "BUDGET_MODE_TOTAL"
	BudgetModeInfinite     = "BUDGET_MODE_INFINITE"
)

// AdGroupBudgetState is an ad group's budget as TikTok reports it, in
// micro-units of the advertiser's currency.
type AdGroupBudgetState struct {
	Mode string
	// Budget is the daily budget in force (daily modes), the lifetime
	// budget (BUDGET_MODE_TOTAL), or 0 (unlimited).
	Budget int64
	// Scheduled is a daily budget set through scheduled_budget that takes
	// effect from 00:00 the next day (0 when none is pending or reported).
	Scheduled int64
}

// Daily reports whether the budget is a daily one, which TikTok changes
// only through scheduled_budget.
func (s AdGroupBudgetState) Daily() bool {
	return s.Mode == BudgetModeDay || s.Mode == BudgetModeDynamicDaily
}

// AdGroupBudgetInfo reads an ad group's budget mode, budget and pending
// scheduled budget (GET /adgroup/get/).
func (c *Client) AdGroupBudgetInfo(ctx context.Context, advertiserID, adGroupID string) (AdGroupBudgetState, error) {
	q := url.Values{}
	q.Set("advertiser_id", advertiserID)
	q.Set("fields", jsonParam([]string{"adgroup_id", "budget", "budget_mode", "scheduled_budget"}))
	q.Set("filtering", jsonParam(map[string]any{"adgroup_ids": []string{adGroupID}, "primary_status": "STATUS_ALL"}))
	q.Set("page", "1")
	q.Set("page_size", "10")
	var d struct {
		List []struct {
			AdGroupID       flexString `json:"adgroup_id"`
			Budget          flexString `json:"budget"`
			BudgetMode      string     `json:"budget_mode"`
			ScheduledBudget flexString `json:"scheduled_budget"`
		} `json:"list"`
	}
	const path = "/adgroup/get/"
	if err := c.call(ctx, http.MethodGet, path, advertiserID, q, nil, &d); err != nil {
		return AdGroupBudgetState{}, err
	}
	for _, g := range d.List {
		if string(g.AdGroupID) != adGroupID {
			continue
		}
		st := AdGroupBudgetState{Mode: g.BudgetMode}
		if g.BudgetMode == BudgetModeInfinite {
			return st, nil
		}
		v, err := parseMoney(string(g.Budget))
		if err != nil {
			return st, fmt.Errorf("reading budget of tiktok ad group %s: %w", adGroupID, err)
		}
		st.Budget = v
		if g.ScheduledBudget != "" {
			if st.Scheduled, err = parseMoney(string(g.ScheduledBudget)); err != nil {
				return st, fmt.Errorf("reading scheduled budget of tiktok ad group %s: %w", adGroupID, err)
			}
		}
		return st, nil
	}
	return AdGroupBudgetState{}, &ads.APIError{Platform: ads.TikTok, Account: advertiserID, Op: http.MethodGet + " " + APIPrefix + path,
		Kind: ads.KindNotFound, Message: "ad group " + adGroupID + " not found"}
}

// AdGroupBudget reads an ad group's budget (GET /adgroup/get/) in
// micro-units of the advertiser's currency: the daily budget in force for
// daily budget modes, the lifetime budget for BUDGET_MODE_TOTAL, 0 for an
// unlimited budget.
func (c *Client) AdGroupBudget(ctx context.Context, advertiserID, adGroupID string) (int64, error) {
	st, err := c.AdGroupBudgetInfo(ctx, advertiserID, adGroupID)
	return st.Budget, err
}

// SetAdGroupBudget changes an ad group's budget (POST
// /adgroup/budget/update/), rounding micros to the currency's minor unit.
// TikTok's budget[] updates lifetime budgets at once; a daily budget
// changes only through scheduled_budget[], from 00:00 the next day in the
// advertiser's zone, so the ad group's mode is read first and scheduled
// reports which way it went. Setting the same budget again succeeds, so it
// is safe to repeat.
func (c *Client) SetAdGroupBudget(ctx context.Context, advertiserID, adGroupID string, micros int64) (scheduled bool, err error) {
	if micros <= 0 {
		return false, fmt.Errorf("setting budget of tiktok ad group %s: budget must be positive, got %d micros", adGroupID, micros)
	}
	info, err := c.account(ctx, advertiserID)
	if err != nil {
		return false, err
	}
	st, err := c.AdGroupBudgetInfo(ctx, advertiserID, adGroupID)
	if err != nil {
		return false, err
	}
	amount := json.Number(ads.FormatMicros(micros, ads.MinorUnitExponent(info.Currency)))
	body := map[string]any{"advertiser_id": advertiserID}
	if st.Daily() {
		body["scheduled_budget"] = []map[string]any{{"adgroup_id": adGroupID, "scheduled_budget": amount}}
	} else {
		body["budget"] = []map[string]any{{"adgroup_id": adGroupID, "budget": amount}}
	}
	return st.Daily(), c.call(ctx, http.MethodPost, "/adgroup/budget/update/", advertiserID, nil, body, nil)
}
