package tiktokads

import (
	"context"
	"net/url"
	"time"

	"github.com/roasd/roasd/ads"
)

// MaxParentIDs is the most ids a campaign_ids or adgroup_ids filter of
// /ad/get/ takes (1–100, tiktok-api.md §3).
const MaxParentIDs = 100

// AdGroup is an ad group as AdGroupsModifiedAfter lists it.
type AdGroup struct {
	ID, CampaignID string
	// UpdatedAt is its modify_time (UTC).
	UpdatedAt time.Time
}

type adGroupObject struct {
	AdGroupID  flexString `json:"adgroup_id"`
	CampaignID flexString `json:"campaign_id"`
	ModifyTime tkTime     `json:"modify_time"`
}

// AdGroupsModifiedAfter lists the advertiser's ad groups modified after
// since (filtering.modified_after, as AdsModifiedAfter; every one for zero
// since), deleted ones included: adgroup_id, campaign_id and modify_time
// only. Disabling an ad group moves its modify_time, not its ads'.
func (c *Client) AdGroupsModifiedAfter(ctx context.Context, advertiserID string, since time.Time) ([]AdGroup, error) {
	q := url.Values{}
	q.Set("advertiser_id", advertiserID)
	q.Set("fields", jsonParam([]string{"adgroup_id", "campaign_id", "modify_time"}))
	filter := map[string]string{"primary_status": "STATUS_ALL"}
	setModifiedAfter(filter, since)
	q.Set("filtering", jsonParam(filter))
	var out []AdGroup
	err := pages(ctx, c, "/adgroup/get/", advertiserID, q, c.pageSize, func(o adGroupObject) error {
		out = append(out, AdGroup{ID: string(o.AdGroupID), CampaignID: string(o.CampaignID), UpdatedAt: o.ModifyTime.Time})
		return nil
	})
	return out, err
}

// AdsOfParents lists, as Ads does (every status), the ads of the given
// campaigns and of the given ad groups: /ad/get/ filtered on
// campaign_ids, then on adgroup_ids, at most MaxParentIDs ids a call.
// Their secondary_status follows a disabled parent
// (AD_STATUS_CAMPAIGN_DISABLE, AD_STATUS_ADGROUP_DISABLE) while their
// modify_time does not move, so a list of modified ads misses it.
func (c *Client) AdsOfParents(ctx context.Context, advertiserID string, campaignIDs, adGroupIDs []string) ([]ads.Ad, error) {
	var out []ads.Ad
	for _, by := range []struct {
		key string
		ids []string
	}{{"campaign_ids", campaignIDs}, {"adgroup_ids", adGroupIDs}} {
		for start := 0; start < len(by.ids); start += MaxParentIDs {
			q := url.Values{}
			q.Set("advertiser_id", advertiserID)
			q.Set("fields", jsonParam(adFields))
			q.Set("filtering", jsonParam(map[string]any{"primary_status": "STATUS_ALL", by.key: by.ids[start:min(start+MaxParentIDs, len(by.ids))]}))
			err := pages(ctx, c, "/ad/get/", advertiserID, q, c.pageSize, func(o adObject) error {
				out = append(out, adRecord(advertiserID, o))
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
