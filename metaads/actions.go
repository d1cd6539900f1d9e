package metaads

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/roasd/roasd/ads"
)

// ErrNoDailyBudget is returned for an ad set whose budget is not a daily
// one (a lifetime budget, or a campaign budget).
var ErrNoDailyBudget = errors.New("ad set has no daily budget")

type success struct {
	Success bool `json:"success"`
}

// PauseAd sets an ad's status to PAUSED.
func (c *Client) PauseAd(ctx context.Context, adAccount, adID string) error {
	act := actID(adAccount)
	var s success
	if err := c.call(ctx, http.MethodPost, act, adID, url.Values{"status": {"PAUSED"}}, &s); err != nil {
		return err
	}
	if !s.Success {
		return &ads.APIError{Platform: ads.Meta, Account: act, Op: "POST " + adID, Kind: ads.KindUnknown, Message: "pausing the ad was not acknowledged"}
	}
	return nil
}

// AdSetDailyBudget reads an ad set's daily budget in the account currency's
// minor units (cents for USD). It returns ErrNoDailyBudget when the ad set
// has none.
func (c *Client) AdSetDailyBudget(ctx context.Context, adAccount, adSetID string) (int64, error) {
	act := actID(adAccount)
	var as struct {
		DailyBudget string `json:"daily_budget"`
	}
	if err := c.call(ctx, http.MethodGet, act, adSetID, url.Values{"fields": {"id,daily_budget"}}, &as); err != nil {
		return 0, err
	}
	if as.DailyBudget == "" || as.DailyBudget == "0" {
		return 0, fmt.Errorf("reading meta ad set %s budget: %w", adSetID, ErrNoDailyBudget)
	}
	n, err := strconv.ParseInt(as.DailyBudget, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parsing meta ad set %s daily_budget %q: %w", adSetID, as.DailyBudget, err)
	}
	return n, nil
}

// SetAdSetDailyBudget sets an ad set's daily budget in the account
// currency's minor units.
func (c *Client) SetAdSetDailyBudget(ctx context.Context, adAccount, adSetID string, minor int64) error {
	act := actID(adAccount)
	if minor <= 0 {
		return fmt.Errorf("setting meta ad set %s budget to %d: budget must be positive", adSetID, minor)
	}
	var s success
	if err := c.call(ctx, http.MethodPost, act, adSetID, url.Values{"daily_budget": {strconv.FormatInt(minor, 10)}}, &s); err != nil {
		return err
	}
	if !s.Success {
		return &ads.APIError{Platform: ads.Meta, Account: act, Op: "POST " + adSetID, Kind: ads.KindUnknown, Message: "budget change was not acknowledged"}
	}
	return nil
}

// AdStatus reads an ad's configured status (ACTIVE, PAUSED, DELETED,
// ARCHIVED): what PauseAd changes, read back before and after acting.
func (c *Client) AdStatus(ctx context.Context, adAccount, adID string) (string, error) {
	act := actID(adAccount)
	var ad struct {
		Status string `json:"status"`
	}
	if err := c.call(ctx, http.MethodGet, act, adID, url.Values{"fields": {"id,status"}}, &ad); err != nil {
		return "", err
	}
	if ad.Status == "" {
		return "", &ads.APIError{Platform: ads.Meta, Account: act, Op: "GET " + adID, Kind: ads.KindUnknown, Message: "the ad has no status"}
	}
	return ad.Status, nil
}
