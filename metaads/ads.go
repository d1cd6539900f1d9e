package metaads

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/roasd/roasd/ads"
)

// graphTimeLayout is how Graph writes times (updated_time).
const graphTimeLayout = "2006-01-02T15:04:05-0700"

// adFields are the ad and creative fields Ads reads.
const adFields = "id,name,adset_id,campaign_id,status,effective_status,updated_time," +
	"creative{id,object_story_id,effective_object_story_id,instagram_user_id,effective_instagram_media_id," +
	"source_instagram_media_id,url_tags,link_url,object_story_spec,instagram_branded_content," +
	"facebook_branded_content,branded_content_sponsor_page_id}"

type ctaLink struct {
	Value struct {
		Link string `json:"link"`
	} `json:"value"`
}

type graphCreative struct {
	ID                        string `json:"id"`
	ObjectStoryID             string `json:"object_story_id"`
	EffectiveObjectStoryID    string `json:"effective_object_story_id"`
	InstagramUserID           string `json:"instagram_user_id"`
	EffectiveInstagramMediaID string `json:"effective_instagram_media_id"`
	SourceInstagramMediaID    string `json:"source_instagram_media_id"`
	URLTags                   string `json:"url_tags"`
	LinkURL                   string `json:"link_url"`
	ObjectStorySpec           struct {
		PageID          string `json:"page_id"`
		InstagramUserID string `json:"instagram_user_id"`
		LinkData        struct {
			Link         string  `json:"link"`
			CallToAction ctaLink `json:"call_to_action"`
		} `json:"link_data"`
		VideoData struct {
			CallToAction ctaLink `json:"call_to_action"`
		} `json:"video_data"`
	} `json:"object_story_spec"`
	InstagramBrandedContent struct {
		SponsorID string `json:"sponsor_id"`
	} `json:"instagram_branded_content"`
	FacebookBrandedContent struct {
		SponsorPageID string `json:"sponsor_page_id"`
	} `json:"facebook_branded_content"`
	BrandedContentSponsorPageID string `json:"branded_content_sponsor_page_id"`
}

type graphAd struct {
	ID              string        `json:"id"`
	Name            string        `json:"name"`
	AdSetID         string        `json:"adset_id"`
	CampaignID      string        `json:"campaign_id"`
	Status          string        `json:"status"`
	EffectiveStatus string        `json:"effective_status"`
	UpdatedTime     string        `json:"updated_time"`
	Creative        graphCreative `json:"creative"`
}

// AllEffectiveStatuses is every ad effective_status as a JSON array: Meta
// leaves ARCHIVED and DELETED ads (and their insights) out of edges and
// account-level insights unless a status filter names them, and a deleted
// ad's spend must still be counted.
const AllEffectiveStatuses = `["ACTIVE","PAUSED","DELETED","PENDING_REVIEW","DISAPPROVED","PREAPPROVED",` +
	`"PENDING_BILLING_INFO","CAMPAIGN_PAUSED","ARCHIVED","ADSET_PAUSED","IN_PROCESS","WITH_ISSUES"]`

// Ads lists the ads of an ad account, archived and deleted ones included
// (an explicit effective_status filter: Meta hides them otherwise), with
// their creatives, classified as:
//
//   - whitelisted: a partnership ad — the creative names a sponsor
//     (instagram_branded_content.sponsor_id, facebook_branded_content or
//     branded_content_sponsor_page_id), so it runs under the creator's
//     identity; CreatorIdentity is the creator's Instagram user id (or Page);
//   - dark: the creative was built from an object_story_spec rather than
//     an existing post (no object_story_id / source_instagram_media_id), so
//     its story is an unpublished page post that exists only as the ad;
//   - standard: everything else (boosted published brand posts).
//
// ItemID is the Instagram media for partnership ads, otherwise the
// effective object story. UTM merges url_tags over the link URL.
func (c *Client) Ads(ctx context.Context, adAccount string) ([]ads.Ad, error) {
	return c.AdsChangedSince(ctx, adAccount, time.Time{})
}

// AdsChangedSince is Ads limited to the ads updated after since (the
// edge's updated_since, unix seconds, rounded down: an ad updated in
// since's second is listed); zero since lists every ad. Meta compares it
// with each ad's updated_time.
func (c *Client) AdsChangedSince(ctx context.Context, adAccount string, since time.Time) ([]ads.Ad, error) {
	act := actID(adAccount)
	q := url.Values{"fields": {adFields}, "effective_status": {AllEffectiveStatuses}}
	setUpdatedSince(q, since)
	list, err := getAll[graphAd](ctx, c, act, act+"/ads", q)
	if err != nil {
		return nil, err
	}
	out := make([]ads.Ad, 0, len(list))
	for _, g := range list {
		out = append(out, toAd(act, g))
	}
	return out, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func toAd(act string, g graphAd) ads.Ad {
	cr := g.Creative
	spec := cr.ObjectStorySpec
	link := firstNonEmpty(spec.LinkData.Link, spec.LinkData.CallToAction.Value.Link, spec.VideoData.CallToAction.Value.Link, cr.LinkURL)
	a := ads.Ad{
		Platform: ads.Meta, Account: act, ID: g.ID, Name: g.Name, CampaignID: g.CampaignID, AdSetID: g.AdSetID,
		Status: firstNonEmpty(g.EffectiveStatus, g.Status), URLTags: cr.URLTags, LinkURL: link,
		UTM: ads.AdUTM(cr.URLTags, link),
	}
	if t, err := time.Parse(graphTimeLayout, g.UpdatedTime); err == nil {
		a.UpdatedAt = t.UTC()
	}
	igSponsored := cr.InstagramBrandedContent.SponsorID != ""
	fbSponsored := cr.FacebookBrandedContent.SponsorPageID != "" || cr.BrandedContentSponsorPageID != ""
	hasSpec := spec.PageID != "" || spec.InstagramUserID != "" || spec.LinkData.Link != "" || spec.VideoData.CallToAction.Value.Link != ""
	switch {
	case igSponsored || fbSponsored:
		a.Kind = ads.Whitelisted
		a.CreatorIdentity = firstNonEmpty(cr.InstagramUserID, spec.InstagramUserID)
		if a.CreatorIdentity == "" && fbSponsored {
			a.CreatorIdentity = spec.PageID
		}
		a.ItemID = firstNonEmpty(cr.EffectiveInstagramMediaID, cr.SourceInstagramMediaID, cr.EffectiveObjectStoryID, cr.ObjectStoryID)
	case cr.ObjectStoryID == "" && cr.SourceInstagramMediaID == "" && hasSpec:
		a.Kind = ads.Dark
		a.ItemID = firstNonEmpty(cr.EffectiveObjectStoryID, cr.EffectiveInstagramMediaID)
	default:
		a.Kind = ads.Standard
		a.ItemID = firstNonEmpty(cr.EffectiveObjectStoryID, cr.ObjectStoryID, cr.EffectiveInstagramMediaID, cr.SourceInstagramMediaID)
	}
	return a
}

// setUpdatedSince asks an ads or campaigns edge for the objects updated
// after since, in unix seconds rounded down (none for zero since).
func setUpdatedSince(q url.Values, since time.Time) {
	if !since.IsZero() {
		q.Set("updated_since", strconv.FormatInt(since.Unix()-1, 10))
	}
}
