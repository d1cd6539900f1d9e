package tiktokads

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/roasd/roasd/ads"
)

// campaignFields are the /campaign/get/ fields that say where a
// campaign's budget lives and whether it is a Smart+ campaign.
var campaignFields = []string{"campaign_id", "campaign_name", "budget_mode", "budget", "budget_optimize_on",
	"campaign_automation_type", "is_smart_performance_campaign", "modify_time"}

type campaignObject struct {
	CampaignID       flexString `json:"campaign_id"`
	CampaignName     string     `json:"campaign_name"`
	BudgetMode       string     `json:"budget_mode"`
	Budget           flexString `json:"budget"`
	BudgetOptimizeOn bool       `json:"budget_optimize_on"`
	AutomationType   string     `json:"campaign_automation_type"`
	SmartPerformance bool       `json:"is_smart_performance_campaign"`
	ModifyTime       tkTime     `json:"modify_time"`
}

func campaignRecord(advertiserID string, o campaignObject) ads.Campaign {
	c := ads.Campaign{Platform: ads.TikTok, Account: advertiserID, ID: string(o.CampaignID), Name: o.CampaignName, BudgetLevel: ads.BudgetAtAdSet,
		UpdatedAt: o.ModifyTime.Time}
	switch {
	case o.AutomationType != "" && o.AutomationType != "MANUAL":
		c.Automation = o.AutomationType
	case o.SmartPerformance:
		c.Automation = "SMART_PERFORMANCE"
	}
	if o.BudgetOptimizeOn || c.Automation != "" {
		c.BudgetLevel = ads.BudgetAtCampaign
	}
	if o.BudgetMode == BudgetModeDay || o.BudgetMode == BudgetModeDynamicDaily {
		c.DailyBudget, _ = parseMoney(string(o.Budget))
	}
	return c
}

// Campaigns lists the advertiser's campaigns (GET /campaign/get/, every
// page), labelled with where their budget lives (campaign budget
// optimisation or Smart+: the campaign) and their automation type.
func (c *Client) Campaigns(ctx context.Context, advertiserID string) ([]ads.Campaign, error) {
	return c.CampaignsModifiedAfter(ctx, advertiserID, time.Time{})
}

// CampaignsModifiedAfter is Campaigns limited to the campaigns modified
// after since (filtering.modified_after, as AdsModifiedAfter); zero since
// lists every campaign.
func (c *Client) CampaignsModifiedAfter(ctx context.Context, advertiserID string, since time.Time) ([]ads.Campaign, error) {
	q := url.Values{}
	q.Set("advertiser_id", advertiserID)
	q.Set("fields", jsonParam(campaignFields))
	if !since.IsZero() {
		filter := map[string]string{}
		setModifiedAfter(filter, since)
		q.Set("filtering", jsonParam(filter))
	}
	var out []ads.Campaign
	err := pages(ctx, c, "/campaign/get/", advertiserID, q, c.pageSize, func(o campaignObject) error {
		out = append(out, campaignRecord(advertiserID, o))
		return nil
	})
	return out, err
}

// Campaign reads one campaign's label (GET /campaign/get/ filtered by
// campaign_ids).
func (c *Client) Campaign(ctx context.Context, advertiserID, campaignID string) (ads.Campaign, error) {
	q := url.Values{}
	q.Set("advertiser_id", advertiserID)
	q.Set("fields", jsonParam(campaignFields))
	q.Set("filtering", jsonParam(map[string]any{"campaign_ids": []string{campaignID}}))
	q.Set("page", "1")
	q.Set("page_size", "10")
	var d struct {
		List []campaignObject `json:"list"`
	}
	const path = "/campaign/get/"
	if err := c.call(ctx, http.MethodGet, path, advertiserID, q, nil, &d); err != nil {
		return ads.Campaign{}, err
	}
	for _, o := range d.List {
		if string(o.CampaignID) == campaignID {
			return campaignRecord(advertiserID, o), nil
		}
	}
	return ads.Campaign{}, &ads.APIError{Platform: ads.TikTok, Account: advertiserID, Op: http.MethodGet + " " + APIPrefix + path,
		Kind: ads.KindNotFound, Message: "campaign " + campaignID + " not found"}
}
