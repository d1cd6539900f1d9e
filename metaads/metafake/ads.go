package metafake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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
	parent, bad := s.parentFilter(params.Get("filtering"), hdr)
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
	paused := pausedOf(a)
	for _, ad := range a.Ads {
		st := paused.status(ad)
		if !want(st) || !since(ad.UpdatedTime) || !parent(ad) {
			continue
		}
		o := adJSON(ad)
		o["effective_status"] = st
		objs = append(objs, o)
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

// pausedParents are an account's paused campaigns and ad sets, by id.
type pausedParents struct{ camps, sets map[string]bool }

func pausedOf(a *Account) pausedParents {
	p := pausedParents{camps: map[string]bool{}, sets: map[string]bool{}}
	for _, c := range a.Campaigns {
		if c.Status == "PAUSED" {
			p.camps[c.ID] = true
		}
	}
	for _, as := range a.AdSets {
		if as.Status == "PAUSED" {
			p.sets[as.ID] = true
		}
	}
	return p
}

// status is an ad's effective_status as the edges report it: an ACTIVE
// ad under a paused campaign is CAMPAIGN_PAUSED, under a paused ad set
// ADSET_PAUSED (the campaign first), while the ad itself — and its
// updated_time — is untouched. Other seeded statuses stand.
func (p pausedParents) status(ad Ad) string {
	st := effectiveStatus(ad)
	switch {
	case orDefault(ad.Status, "ACTIVE") != "ACTIVE" || (st != "ACTIVE" && st != "CAMPAIGN_PAUSED" && st != "ADSET_PAUSED"):
		return st
	case p.camps[ad.CampaignID]:
		return "CAMPAIGN_PAUSED"
	case p.sets[ad.AdSetID]:
		return "ADSET_PAUSED"
	}
	return "ACTIVE"
}

// derivedStatus is pausedParents.status for one ad of a.
func derivedStatus(a *Account, ad Ad) string { return pausedOf(a).status(ad) }

// MaxFilterValues is the most ids the fake takes in one IN entry of an
// ads edge's filtering. Meta publishes no figure; 50 (its batch size) is
// the conservative bound roasd's client keeps to.
const MaxFilterValues = 50

// parentFilter reads the filtering parameter of the ads edge: a JSON
// array of {"field","operator","value"} entries, all of which must hold.
// The fake knows the fields campaign.id and adset.id with the operator
// IN and a non-empty array of at most MaxFilterValues ids; anything else
// is Graph's error 100.
func (s *Server) parentFilter(raw string, hdr http.Header) (func(Ad) bool, *response) {
	if raw == "" {
		return func(Ad) bool { return true }, nil
	}
	var entries []struct {
		Field    string          `json:"field"`
		Operator string          `json:"operator"`
		Value    json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(raw), &entries); err != nil || len(entries) == 0 {
		r := s.invalid(`Param filtering must be a JSON array of {"field","operator","value"}`, hdr)
		return nil, &r
	}
	var keeps []func(Ad) bool
	for i, e := range entries {
		var of func(Ad) string
		switch e.Field {
		case "campaign.id":
			of = func(ad Ad) string { return ad.CampaignID }
		case "adset.id":
			of = func(ad Ad) string { return ad.AdSetID }
		default:
			r := s.invalid(fmt.Sprintf("Filtering field %q is invalid", e.Field), hdr)
			return nil, &r
		}
		if e.Operator != "IN" {
			r := s.invalid(fmt.Sprintf("Param filtering[%d][operator] must be IN for %s", i, e.Field), hdr)
			return nil, &r
		}
		var ids []string
		if err := json.Unmarshal(e.Value, &ids); err != nil || len(ids) == 0 || len(ids) > MaxFilterValues {
			r := s.invalid(fmt.Sprintf("Param filtering[%d][value] must be an array of 1 to %d ids", i, MaxFilterValues), hdr)
			return nil, &r
		}
		set := map[string]bool{}
		for _, id := range ids {
			set[id] = true
		}
		keeps = append(keeps, func(ad Ad) bool { return set[of(ad)] })
	}
	return func(ad Ad) bool {
		for _, k := range keeps {
			if !k(ad) {
				return false
			}
		}
		return true
	}, nil
}

// adSetJSON renders an ad set: effective_status is CAMPAIGN_PAUSED under
// a paused campaign.
func adSetJSON(as AdSet, paused pausedParents) map[string]any {
	st := orDefault(as.Status, "ACTIVE")
	eff := st
	if st == "ACTIVE" && paused.camps[as.CampaignID] {
		eff = "CAMPAIGN_PAUSED"
	}
	out := map[string]any{"id": as.ID, "name": as.Name, "campaign_id": as.CampaignID, "status": st, "effective_status": eff}
	if !as.UpdatedTime.IsZero() {
		out["updated_time"] = as.UpdatedTime.UTC().Format(graphTime)
	}
	return out
}

// listAdSets serves GET /act_X/adsets with effective_status and
// updated_since as the ads edge reads them (no budgets: roasd reads those
// by id).
func (s *Server) listAdSets(r *http.Request, id string, params url.Values, hdr http.Header) response {
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
	var objs []map[string]any
	paused := pausedOf(a)
	for _, as := range a.AdSets {
		o := adSetJSON(as, paused)
		if want(o["effective_status"].(string)) && since(as.UpdatedTime) {
			objs = append(objs, o)
		}
	}
	items, err := projectAll(objs, nodeAdSet, params.Get("fields"))
	if err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, err.Error(), "OAuthException", hdr)
	}
	return s.page(r, items, params, hdr)
}

// SetCampaignStatus sets a campaign's status (ACTIVE, PAUSED), as a
// person does in Ads Manager: the campaign's updated_time moves; its
// ads' effective_status follows (CAMPAIGN_PAUSED) but their updated_time
// does not. It reports whether the campaign exists.
func (s *Server) SetCampaignStatus(id, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, i := s.findCampaign(id)
	if a == nil {
		return false
	}
	a.Campaigns[i].Status, a.Campaigns[i].UpdatedTime = status, s.stamp()
	return true
}

// SetAdSetStatus is SetCampaignStatus for an ad set (its ads turn
// ADSET_PAUSED).
func (s *Server) SetAdSetStatus(id, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, i := s.findAdSet(id)
	if a == nil {
		return false
	}
	a.AdSets[i].Status, a.AdSets[i].UpdatedTime = status, s.stamp()
	return true
}

// AdSets returns the current state of account's ad sets.
func (s *Server) AdSets(account string) []AdSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.account(account); a != nil {
		return slices.Clone(a.AdSets)
	}
	return nil
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
