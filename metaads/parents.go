package metaads

import (
	"context"
	"net/url"
	"time"

	"github.com/roasd/roasd/ads"
)

// MaxParentIDs is the most campaign or ad set ids AdsOfParents puts in one
// filtering entry. Meta publishes no limit for IN on the ads edge; 50,
// its batch size, is a conservative bound (meta-api.md §4 [?]).
const MaxParentIDs = 50

// adSetStatuses are the ad set effective statuses, as a JSON array:
// archived and deleted ad sets are listed only when named.
const adSetStatuses = `["ACTIVE","PAUSED","DELETED","ARCHIVED","CAMPAIGN_PAUSED","IN_PROCESS","WITH_ISSUES"]`

// AdSet is an ad set as AdSetsChangedSince lists it.
type AdSet struct {
	ID, CampaignID string
	// UpdatedAt is its updated_time (UTC).
	UpdatedAt time.Time
}

type graphAdSet struct {
	ID          string `json:"id"`
	CampaignID  string `json:"campaign_id"`
	UpdatedTime string `json:"updated_time"`
}

// AdSetsChangedSince lists the ad sets of an ad account updated after
// since (updated_since, as AdsChangedSince; every one for zero since),
// archived and deleted ones included: id, campaign_id and updated_time
// only. Pausing an ad set moves its updated_time, not its ads'.
func (c *Client) AdSetsChangedSince(ctx context.Context, adAccount string, since time.Time) ([]AdSet, error) {
	act := actID(adAccount)
	q := url.Values{"fields": {"id,campaign_id,updated_time"}, "effective_status": {adSetStatuses}}
	setUpdatedSince(q, since)
	list, err := getAll[graphAdSet](ctx, c, act, act+"/adsets", q)
	if err != nil {
		return nil, err
	}
	out := make([]AdSet, 0, len(list))
	for _, g := range list {
		s := AdSet{ID: g.ID, CampaignID: g.CampaignID}
		if t, err := time.Parse(graphTimeLayout, g.UpdatedTime); err == nil {
			s.UpdatedAt = t.UTC()
		}
		out = append(out, s)
	}
	return out, nil
}

// AdsOfParents lists, as Ads does (every status, with creatives), the ads
// of the given campaigns and of the given ad sets: the ads edge filtered
// on campaign.id, then on adset.id, at most MaxParentIDs ids a call.
// Their effective_status follows a paused parent (CAMPAIGN_PAUSED,
// ADSET_PAUSED) while their updated_time does not move, so a list of
// changed ads misses it. An ad of both a listed campaign and a listed ad
// set is read once per filter.
func (c *Client) AdsOfParents(ctx context.Context, adAccount string, campaignIDs, adSetIDs []string) ([]ads.Ad, error) {
	act := actID(adAccount)
	var out []ads.Ad
	for _, by := range []struct {
		field string
		ids   []string
	}{{"campaign.id", campaignIDs}, {"adset.id", adSetIDs}} {
		for start := 0; start < len(by.ids); start += MaxParentIDs {
			chunk := by.ids[start:min(start+MaxParentIDs, len(by.ids))]
			q := url.Values{"fields": {adFields}, "effective_status": {AllEffectiveStatuses},
				"filtering": {mustJSON([]map[string]any{{"field": by.field, "operator": "IN", "value": chunk}})}}
			list, err := getAll[graphAd](ctx, c, act, act+"/ads", q)
			if err != nil {
				return nil, err
			}
			for _, g := range list {
				out = append(out, toAd(act, g))
			}
		}
	}
	return out, nil
}
