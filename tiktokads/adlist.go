package tiktokads

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
)

// adFields are the /ad/get/ fields the client asks for.
var adFields = []string{"ad_id", "ad_name", "adgroup_id", "campaign_id", "identity_type", "identity_id",
	"tiktok_item_id", "video_id", "landing_page_url", "utm_params", "operation_status", "secondary_status",
	"dark_post_status", "create_time", "modify_time"}

type adObject struct {
	AdID            flexString `json:"ad_id"`
	AdName          string     `json:"ad_name"`
	AdGroupID       flexString `json:"adgroup_id"`
	CampaignID      flexString `json:"campaign_id"`
	IdentityType    string     `json:"identity_type"`
	IdentityID      flexString `json:"identity_id"`
	TikTokItemID    flexString `json:"tiktok_item_id"`
	LandingPageURL  string     `json:"landing_page_url"`
	UTMParams       []utmParam `json:"utm_params"`
	OperationStatus string     `json:"operation_status"`
	SecondaryStatus string     `json:"secondary_status"`
	ModifyTime      tkTime     `json:"modify_time"`
}

type utmParam struct {
	Key   string     `json:"key"`
	Value flexString `json:"value"`
}

// Ads lists every ad of the advertiser, deleted ones included (GET
// /ad/get/ with primary_status STATUS_ALL, every page at the client's page
// size). Kind is spark for ads running a creator's post (tiktok_item_id or
// an AUTH_CODE identity) and standard otherwise; CreatorIdentity is the
// Spark identity; Status is "operation_status/secondary_status". LinkURL is
// landing_page_url and URLTags the utm_params list as a query string; UTM
// is read from the landing page first, utm_params filling the gaps.
func (c *Client) Ads(ctx context.Context, advertiserID string) ([]ads.Ad, error) {
	return c.AdsModifiedAfter(ctx, advertiserID, time.Time{})
}

// AdsModifiedAfter is Ads limited to the ads modified after since
// (filtering.modified_after, UTC to the second, rounded down: an ad
// modified in since's second is listed; TikTok compares it with each
// ad's modify_time); zero since lists every ad.
func (c *Client) AdsModifiedAfter(ctx context.Context, advertiserID string, since time.Time) ([]ads.Ad, error) {
	q := url.Values{}
	q.Set("advertiser_id", advertiserID)
	q.Set("fields", jsonParam(adFields))
	filter := map[string]string{"primary_status": "STATUS_ALL"}
	setModifiedAfter(filter, since)
	q.Set("filtering", jsonParam(filter))
	var out []ads.Ad
	idx := map[string]int{}
	err := pages(ctx, c, "/ad/get/", advertiserID, q, c.pageSize, func(o adObject) error {
		a := adRecord(advertiserID, o)
		if i, ok := idx[a.ID]; ok {
			out[i] = a
			return nil
		}
		idx[a.ID] = len(out)
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func adRecord(advertiserID string, o adObject) ads.Ad {
	a := ads.Ad{
		Platform:   ads.TikTok,
		Account:    advertiserID,
		ID:         string(o.AdID),
		Name:       o.AdName,
		CampaignID: string(o.CampaignID),
		AdSetID:    string(o.AdGroupID),
		Kind:       ads.Standard,
		ItemID:     string(o.TikTokItemID),
		LinkURL:    o.LandingPageURL,
		UpdatedAt:  o.ModifyTime.Time,
	}
	if a.ItemID != "" || strings.EqualFold(o.IdentityType, "AUTH_CODE") {
		a.Kind = ads.Spark
		a.CreatorIdentity = string(o.IdentityID)
	}
	a.Status = o.OperationStatus
	if o.SecondaryStatus != "" {
		if a.Status != "" {
			a.Status += "/"
		}
		a.Status += o.SecondaryStatus
	}
	if len(o.UTMParams) > 0 {
		v := url.Values{}
		for _, p := range o.UTMParams {
			if p.Key != "" {
				v.Set(p.Key, string(p.Value))
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for i, k := range keys {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(v.Get(k)))
		}
		a.URLTags = b.String()
	}
	a.UTM = ads.AdUTM(a.LinkURL, a.URLTags)
	return a
}

// setModifiedAfter asks a list for the objects modified after since, in
// TikTok's "YYYY-MM-DD HH:MM:SS" UTC, a second early so that an object
// modified in since's second is listed (none for zero since).
func setModifiedAfter(filter map[string]string, since time.Time) {
	if !since.IsZero() {
		filter["modified_after"] = since.UTC().Truncate(time.Second).Add(-time.Second).Format("2006-01-02 15:04:05")
	}
}
