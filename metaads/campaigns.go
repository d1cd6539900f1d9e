package metaads

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/roasd/roasd/ads"
)

// campaignFields are the campaign fields read to label a campaign: its
// budget (set on the campaign when it uses Advantage+ campaign budget)
// and its Advantage+ state (advantage_state_info, v23.0+; the legacy
// smart_promotion_type for campaigns made with the retired ASC API).
const campaignFields = "id,name,daily_budget,lifetime_budget,advantage_state_info,smart_promotion_type,updated_time"

type graphCampaign struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	DailyBudget        string `json:"daily_budget"`
	LifetimeBudget     string `json:"lifetime_budget"`
	SmartPromotionType string `json:"smart_promotion_type"`
	UpdatedTime        string `json:"updated_time"`
	AdvantageStateInfo struct {
		AdvantageState       string `json:"advantage_state"`
		AdvantageBudgetState string `json:"advantage_budget_state"`
	} `json:"advantage_state_info"`
}

// campaignStatuses are the campaign effective statuses, as a JSON array:
// archived and deleted campaigns are listed only when named.
const campaignStatuses = `["ACTIVE","PAUSED","DELETED","ARCHIVED","IN_PROCESS","WITH_ISSUES"]`

// CampaignBudget is a campaign's budget as Meta reports it, in the
// account currency's minor units.
type CampaignBudget struct {
	// Daily and Lifetime are the campaign's budgets (0 when unset); either
	// set means the campaign holds the budget and its ad sets have none.
	Daily, Lifetime int64
	// Automation is the campaign's Advantage+ label (see ads.Campaign).
	Automation string
}

// AtCampaign reports whether the campaign holds the budget (Advantage+
// campaign budget).
func (b CampaignBudget) AtCampaign() bool { return b.Daily > 0 || b.Lifetime > 0 }

func minorOf(what, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parsing meta %s %q: %w", what, s, err)
	}
	return n, nil
}

func (g graphCampaign) budget() (CampaignBudget, error) {
	var b CampaignBudget
	var err error
	if b.Daily, err = minorOf("campaign "+g.ID+" daily_budget", g.DailyBudget); err != nil {
		return b, err
	}
	if b.Lifetime, err = minorOf("campaign "+g.ID+" lifetime_budget", g.LifetimeBudget); err != nil {
		return b, err
	}
	switch st := g.AdvantageStateInfo.AdvantageState; {
	case st != "" && st != "DISABLED":
		b.Automation = st
	case g.SmartPromotionType == "AUTOMATED_SHOPPING_ADS" || g.SmartPromotionType == "SMART_APP_PROMOTION":
		b.Automation = g.SmartPromotionType
	}
	return b, nil
}

// CampaignBudgetInfo reads a campaign's budget and Advantage+ label (GET
// /{campaign}).
func (c *Client) CampaignBudgetInfo(ctx context.Context, adAccount, campaignID string) (CampaignBudget, error) {
	act := actID(adAccount)
	var g graphCampaign
	if err := c.call(ctx, http.MethodGet, act, campaignID, url.Values{"fields": {campaignFields}}, &g); err != nil {
		return CampaignBudget{}, err
	}
	return g.budget()
}

// SetCampaignDailyBudget sets a campaign's daily budget (Advantage+
// campaign budget) in the account currency's minor units.
func (c *Client) SetCampaignDailyBudget(ctx context.Context, adAccount, campaignID string, minor int64) error {
	act := actID(adAccount)
	if minor <= 0 {
		return fmt.Errorf("setting meta campaign %s budget to %d: budget must be positive", campaignID, minor)
	}
	var s success
	if err := c.call(ctx, http.MethodPost, act, campaignID, url.Values{"daily_budget": {strconv.FormatInt(minor, 10)}}, &s); err != nil {
		return err
	}
	if !s.Success {
		return &ads.APIError{Platform: ads.Meta, Account: act, Op: "POST " + campaignID, Kind: ads.KindUnknown, Message: "campaign budget change was not acknowledged"}
	}
	return nil
}

// Campaigns lists the ad account's campaigns (archived and deleted ones
// included) labelled with where their budget lives and their Advantage+
// state. currency converts the daily budget to micro-units.
func (c *Client) Campaigns(ctx context.Context, adAccount, currency string) ([]ads.Campaign, error) {
	return c.CampaignsChangedSince(ctx, adAccount, currency, time.Time{})
}

// CampaignsChangedSince is Campaigns limited to the campaigns updated
// after since (updated_since, as AdsChangedSince); zero since lists every
// campaign.
func (c *Client) CampaignsChangedSince(ctx context.Context, adAccount, currency string, since time.Time) ([]ads.Campaign, error) {
	act := actID(adAccount)
	q := url.Values{"fields": {campaignFields}, "effective_status": {campaignStatuses}}
	setUpdatedSince(q, since)
	list, err := getAll[graphCampaign](ctx, c, act, act+"/campaigns", q)
	if err != nil {
		return nil, err
	}
	out := make([]ads.Campaign, 0, len(list))
	for _, g := range list {
		b, err := g.budget()
		if err != nil {
			return nil, err
		}
		cp := ads.Campaign{Platform: ads.Meta, Account: act, ID: g.ID, Name: g.Name, BudgetLevel: ads.BudgetAtAdSet,
			Automation: b.Automation, DailyBudget: ads.MinorToMicros(b.Daily, currency)}
		if b.AtCampaign() {
			cp.BudgetLevel = ads.BudgetAtCampaign
		}
		if t, err := time.Parse(graphTimeLayout, g.UpdatedTime); err == nil {
			cp.UpdatedAt = t.UTC()
		}
		out = append(out, cp)
	}
	return out, nil
}
