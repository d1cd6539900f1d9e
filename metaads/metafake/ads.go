package metafake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

const graphTime = "2006-01-02T15:04:05-0700"

// adJSON renders an ad with its creative, omitting empty fields as the
// Graph API does.
func adJSON(ad Ad) map[string]any {
	st := orDefault(ad.Status, "ACTIVE")
	out := map[string]any{
		"id": ad.ID, "name": ad.Name, "adset_id": ad.AdSetID, "campaign_id": ad.CampaignID,
		"status": st, "effective_status": orDefault(ad.EffectiveStatus, st),
	}
	if !ad.UpdatedTime.IsZero() {
		out["updated_time"] = ad.UpdatedTime.UTC().Format(graphTime)
	}
	c := ad.Creative
	cr := map[string]any{"id": orDefault(c.ID, ad.ID+"0")}
	put := func(k, v string) {
		if v != "" {
			cr[k] = v
		}
	}
	put("object_story_id", c.ObjectStoryID)
	put("effective_object_story_id", c.EffectiveObjectStoryID)
	put("instagram_user_id", c.InstagramUserID)
	put("effective_instagram_media_id", c.EffectiveInstagramMediaID)
	put("source_instagram_media_id", c.SourceInstagramMediaID)
	put("url_tags", c.URLTags)
	if c.SponsorID != "" {
		cr["instagram_branded_content"] = map[string]any{"sponsor_id": c.SponsorID}
	}
	if c.SponsorPageID != "" {
		cr["facebook_branded_content"] = map[string]any{"sponsor_page_id": c.SponsorPageID}
	}
	if c.ObjectStoryID == "" {
		spec := map[string]any{}
		if c.PageID != "" {
			spec["page_id"] = c.PageID
		}
		if c.InstagramUserID != "" {
			spec["instagram_user_id"] = c.InstagramUserID
		}
		if c.Link != "" {
			spec["link_data"] = map[string]any{"link": c.Link}
		}
		if len(spec) > 0 {
			cr["object_story_spec"] = spec
		}
	} else {
		put("link_url", c.Link)
	}
	out["creative"] = cr
	return out
}

// listAds serves GET /act_X/ads. Deleted and archived ads are left out
// unless an effective_status filter asks for them.
func (s *Server) listAds(r *http.Request, id string, params url.Values, hdr http.Header) response {
	a := s.account(id)
	if a == nil {
		return s.unsupported(http.MethodGet, id, hdr)
	}
	want, bad := s.statusFilter(params.Get("effective_status"), "effective_status", hdr)
	if bad != nil {
		return *bad
	}
	since, bad := s.updatedSince(params, hdr)
	if bad != nil {
		return *bad
	}
	fields := params.Get("fields")
	if s.reduceAbove > 0 && strings.Contains(strings.ReplaceAll(fields, " ", ""), "creative{") {
		if n, err := strconv.Atoi(params.Get("limit")); err == nil && n > s.reduceAbove || params.Get("limit") == "" && DefaultLimit > s.reduceAbove {
			return s.graphError(http.StatusInternalServerError, 1, 0, ReduceDataMessage, "OAuthException", hdr)
		}
	}
	var objs []map[string]any
	for _, ad := range a.Ads {
		if !want(effectiveStatus(ad)) || !since(ad.UpdatedTime) {
			continue
		}
		objs = append(objs, adJSON(ad))
	}
	items, err := projectAll(objs, nodeAd, fields)
	if err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, err.Error(), "OAuthException", hdr)
	}
	return s.page(r, items, params, hdr)
}

// AdEffectiveStatuses are the values of an ad's effective_status.
var AdEffectiveStatuses = []string{"ACTIVE", "PAUSED", "DELETED", "PENDING_REVIEW", "DISAPPROVED", "PREAPPROVED",
	"PENDING_BILLING_INFO", "CAMPAIGN_PAUSED", "ARCHIVED", "ADSET_PAUSED", "IN_PROCESS", "WITH_ISSUES"}

func effectiveStatus(ad Ad) string {
	return orDefault(ad.EffectiveStatus, orDefault(ad.Status, "ACTIVE"))
}

// statusFilter reads a JSON array of effective statuses (the ads edge's
// effective_status, or the value of an ad.effective_status filtering
// entry). Without one, Meta leaves ARCHIVED and DELETED out.
func (s *Server) statusFilter(raw, param string, hdr http.Header) (func(string) bool, *response) {
	if raw == "" {
		return func(st string) bool { return st != "DELETED" && st != "ARCHIVED" }, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(raw), &list); err != nil || len(list) == 0 {
		r := s.invalid("Param "+param+" must be a non-empty JSON array of statuses", hdr)
		return nil, &r
	}
	set := map[string]bool{}
	for _, st := range list {
		known := false
		for _, k := range AdEffectiveStatuses {
			known = known || k == st
		}
		if !known {
			r := s.invalid(fmt.Sprintf("Param %s[%d] must be one of {%s}", param, len(set), strings.Join(AdEffectiveStatuses, ", ")), hdr)
			return nil, &r
		}
		set[st] = true
	}
	return func(st string) bool { return set[st] }, nil
}

// updatedSince reads the updated_since parameter of the ads and campaigns
// edges (unix seconds): only objects whose updated_time is after it are
// listed. Anything but an integer is Graph's error 100.
func (s *Server) updatedSince(params url.Values, hdr http.Header) (func(time.Time) bool, *response) {
	raw, ok := params["updated_since"]
	if !ok {
		return func(time.Time) bool { return true }, nil
	}
	n, err := strconv.ParseInt(raw[0], 10, 64)
	if err != nil {
		r := s.invalid("Param updated_since must be an integer", hdr)
		return nil, &r
	}
	return func(t time.Time) bool { return t.Unix() > n }, nil
}
