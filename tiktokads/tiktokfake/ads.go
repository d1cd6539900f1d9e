package tiktokfake

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// MaxFilterIDs is the most ids a campaign_ids, adgroup_ids or ad_ids
// filter takes (TikTok: 1–100 each).
const MaxFilterIDs = 100

// filterKeys are the filtering fields TikTok documents for /ad/get/ (the
// campaign and ad group lists take a subset); another key is refused
// rather than ignored, so that a misspelt filter cannot list everything.
var filterKeys = map[string]bool{"campaign_ids": true, "adgroup_ids": true, "ad_ids": true, "primary_status": true,
	"secondary_status": true, "objective_type": true, "buying_types": true, "optimization_goal": true,
	"creative_material_mode": true, "destination": true, "campaign_system_origins": true,
	"creation_filter_start_time": true, "creation_filter_end_time": true, "modified_after": true}

// adFilter is the filtering object of /ad/get/ and /adgroup/get/.
type adFilter struct {
	CampaignIDs   []string `json:"campaign_ids"`
	AdGroupIDs    []string `json:"adgroup_ids"`
	AdIDs         []string `json:"ad_ids"`
	PrimaryStatus string   `json:"primary_status"`
	// ModifiedAfter ("YYYY-MM-DD HH:MM:SS", UTC) keeps the objects whose
	// modify_time is after it.
	ModifiedAfter string `json:"modified_after"`
	after         time.Time
}

// modified reports whether an object modified at t passes the filter's
// modified_after.
func (f adFilter) modified(t time.Time) bool { return f.after.IsZero() || t.After(f.after) }

func (f *adFilter) check() *apiError {
	if f.ModifiedAfter != "" {
		t, err := time.ParseInLocation(timeLayout, f.ModifiedAfter, time.UTC)
		if err != nil {
			return invalid("filtering.modified_after: time format should be YYYY-MM-DD HH:MM:SS")
		}
		f.after = t
	}
	for name, ids := range map[string][]string{"campaign_ids": f.CampaignIDs, "adgroup_ids": f.AdGroupIDs, "ad_ids": f.AdIDs} {
		if len(ids) > MaxFilterIDs || ids != nil && len(ids) == 0 {
			return invalid("filtering.%s: between 1 and %d ids", name, MaxFilterIDs)
		}
	}
	switch f.PrimaryStatus {
	case "", "STATUS_ALL", "STATUS_NOT_DELETE", "STATUS_DELETE", "STATUS_DELIVERY_OK", "STATUS_DISABLE":
		return nil
	}
	return invalid("filtering.primary_status: invalid value %q", f.PrimaryStatus)
}

func in(id string, ids []string) bool {
	if len(ids) == 0 {
		return true
	}
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

func statusMatch(op, primary string) bool {
	switch primary {
	case "STATUS_ALL":
		return true
	case "STATUS_DELETE":
		return op == "DELETE"
	case "STATUS_DELIVERY_OK":
		return op == "ENABLE"
	case "STATUS_DISABLE":
		return op == "DISABLE"
	}
	return op != "DELETE"
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// listQuery is what /ad/get/ and /adgroup/get/ read alike: the owned
// advertiser, paging, the fields wanted and the filtering.
type listQuery struct {
	page, size int
	fields     []string
	filter     adFilter
}

func (s *Server) listQuery(r *request) (*Advertiser, listQuery, *apiError) {
	var q listQuery
	a, e := s.owned(r)
	if e != nil {
		return nil, q, e
	}
	if q.page, q.size, e = r.paging(10, MaxPageSize); e != nil {
		return nil, q, e
	}
	if _, e := r.decode("fields", &q.fields); e != nil {
		return nil, q, e
	}
	if _, e := r.decode("filtering", &q.filter); e != nil {
		return nil, q, e
	}
	var keys map[string]json.RawMessage
	if _, e := r.decode("filtering", &keys); e != nil {
		return nil, q, e
	}
	for k := range keys {
		if !filterKeys[k] {
			return nil, q, invalid("filtering.%s: unknown filter field", k)
		}
	}
	if e := q.filter.check(); e != nil {
		return nil, q, e
	}
	return a, q, nil
}

func (s *Server) adGet(r *request) (any, *apiError) {
	a, q, e := s.listQuery(r)
	if e != nil {
		return nil, e
	}
	page, size, want, f := q.page, q.size, q.fields, q.filter
	var sel []*Ad
	for i := range a.Ads {
		ad := &a.Ads[i]
		if statusMatch(orDefault(ad.OperationStatus, "ENABLE"), f.PrimaryStatus) && f.modified(ad.ModifyTime) &&
			in(ad.ID, f.AdIDs) && in(ad.AdGroupID, f.AdGroupIDs) && in(ad.CampaignID, f.CampaignIDs) {
			sel = append(sel, ad)
		}
	}
	lo, hi, info := pageOf(len(sel), page, size)
	list := []any{}
	off := disabledOf(a)
	for _, ad := range sel[lo:hi] {
		list = append(list, fields(s.adObject(a, ad, off), want))
	}
	return map[string]any{"list": list, "page_info": info}, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// disabledParents are an advertiser's disabled campaigns and ad groups,
// by id.
type disabledParents struct{ camps, groups map[string]bool }

func disabledOf(a *Advertiser) disabledParents {
	d := disabledParents{camps: map[string]bool{}, groups: map[string]bool{}}
	for _, c := range a.Campaigns {
		if c.OperationStatus == "DISABLE" {
			d.camps[c.ID] = true
		}
	}
	for _, g := range a.AdGroups {
		if g.OperationStatus == "DISABLE" {
			d.groups[g.ID] = true
		}
	}
	return d
}

func (s *Server) adObject(a *Advertiser, ad *Ad, off disabledParents) map[string]any {
	op := orDefault(ad.OperationStatus, "ENABLE")
	sec := ad.SecondaryStatus
	if sec == "" {
		sec = map[string]string{"ENABLE": "AD_STATUS_DELIVERY_OK", "DISABLE": "AD_STATUS_DISABLE", "DELETE": "AD_STATUS_DELETE"}[op]
	}
	if op == "ENABLE" && sec == "AD_STATUS_DELIVERY_OK" {
		// A status TikTok derives from a disabled parent, the campaign
		// first; the ad's modify_time stays.
		if off.camps[ad.CampaignID] {
			sec = "AD_STATUS_CAMPAIGN_DISABLE"
		} else if off.groups[ad.AdGroupID] {
			sec = "AD_STATUS_ADGROUP_DISABLE"
		}
	}
	utm := []any{}
	keys := make([]string, 0, len(ad.UTMParams))
	for k := range ad.UTMParams {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		utm = append(utm, map[string]any{"key": k, "value": ad.UTMParams[k]})
	}
	dark := "OFF"
	if ad.DarkPost {
		dark = "ON"
	}
	identity := orDefault(ad.IdentityType, IdentityCustomizedUser)
	return map[string]any{
		"advertiser_id": a.ID, "ad_id": ad.ID, "ad_name": ad.Name,
		"adgroup_id": ad.AdGroupID, "campaign_id": ad.CampaignID,
		"identity_type": identity, "identity_id": nullable(ad.IdentityID),
		"tiktok_item_id": nullable(ad.TikTokItemID), "video_id": nullable(ad.VideoID),
		"landing_page_url": nullable(ad.LandingPageURL), "utm_params": utm,
		"operation_status": op, "secondary_status": sec, "dark_post_status": dark,
		"create_time": fmtTime(ad.CreateTime), "modify_time": fmtTime(ad.ModifyTime),
	}
}

func (s *Server) adGroupGet(r *request) (any, *apiError) {
	a, q, e := s.listQuery(r)
	if e != nil {
		return nil, e
	}
	page, size, want, f := q.page, q.size, q.fields, q.filter
	var sel []*AdGroup
	for i := range a.AdGroups {
		g := &a.AdGroups[i]
		if statusMatch(orDefault(g.OperationStatus, "ENABLE"), f.PrimaryStatus) && in(g.ID, f.AdGroupIDs) && in(g.CampaignID, f.CampaignIDs) &&
			f.modified(g.ModifyTime) {
			sel = append(sel, g)
		}
	}
	lo, hi, info := pageOf(len(sel), page, size)
	list := []any{}
	for _, g := range sel[lo:hi] {
		s.settleScheduled(a, g)
		mode := orDefault(g.BudgetMode, BudgetModeDay)
		var budget any = json.Number(decimal(g.BudgetMicros, a.Currency))
		if mode == BudgetModeInfinite {
			budget = json.Number("0")
		}
		obj := map[string]any{
			"advertiser_id": a.ID, "adgroup_id": g.ID, "campaign_id": g.CampaignID, "adgroup_name": g.Name,
			"budget_mode": mode, "budget": budget, "operation_status": orDefault(g.OperationStatus, "ENABLE"),
			"modify_time": fmtTime(g.ModifyTime),
		}
		if dailyMode(mode) {
			obj["scheduled_budget"] = json.Number(decimal(g.ScheduledBudgetMicros, a.Currency))
		}
		list = append(list, fields(obj, want))
	}
	return map[string]any{"list": list, "page_info": info}, nil
}

func (s *Server) adStatusUpdate(r *request) (any, *apiError) {
	a, e := s.owned(r)
	if e != nil {
		return nil, e
	}
	var ids []string
	if ok, e := r.decode("ad_ids", &ids); e != nil || !ok || len(ids) == 0 || len(ids) > MaxWriteIDs {
		if e != nil {
			return nil, e
		}
		return nil, invalid("ad_ids: must be a list of 1-%d ad ids", MaxWriteIDs)
	}
	op := r.str("operation_status")
	sec := map[string]string{"ENABLE": "AD_STATUS_DELIVERY_OK", "DISABLE": "AD_STATUS_DISABLE", "DELETE": "AD_STATUS_DELETE"}[op]
	if sec == "" {
		return nil, invalid("operation_status: must be ENABLE, DISABLE or DELETE")
	}
	for _, id := range ids {
		ad := s.ad(a.ID, id)
		if ad == nil {
			return nil, &apiError{CodeNotFound, fmt.Sprintf("Ad %s does not exist.", id)}
		}
		if ad.OperationStatus == "DELETE" {
			return nil, invalid("Ad %s has been deleted and its status cannot be changed.", id)
		}
	}
	for _, id := range ids {
		ad := s.ad(a.ID, id)
		ad.OperationStatus, ad.SecondaryStatus = op, sec
		ad.ModifyTime = s.stamp()
	}
	return map[string]any{"ad_ids": ids, "status": op}, nil
}

func (s *Server) adGroupBudgetUpdate(r *request) (any, *apiError) {
	a, e := s.owned(r)
	if e != nil {
		return nil, e
	}
	type item struct {
		AdGroupID       string      `json:"adgroup_id"`
		Budget          json.Number `json:"budget"`
		ScheduledBudget json.Number `json:"scheduled_budget"`
	}
	var now, sched []item
	okNow, e := r.decode("budget", &now)
	if e != nil {
		return nil, e
	}
	okSched, e := r.decode("scheduled_budget", &sched)
	if e != nil {
		return nil, e
	}
	if (!okNow || len(now) == 0) && (!okSched || len(sched) == 0) {
		return nil, invalid("One of budget and scheduled_budget is required.")
	}
	if len(now) > MaxWriteIDs || len(sched) > MaxWriteIDs {
		return nil, invalid("budget, scheduled_budget: at most %d items each", MaxWriteIDs)
	}
	type change struct {
		g         *AdGroup
		micros    int64
		scheduled bool
	}
	var changes []change
	check := func(id string, n json.Number, name string) *apiError {
		g := s.adGroup(a.ID, id)
		if g == nil {
			return &apiError{CodeNotFound, fmt.Sprintf("Ad group %s does not exist.", id)}
		}
		if c := s.campaign(a, g.CampaignID); c != nil && c.budgetAtCampaign() {
			return invalid("Ad group %s belongs to campaign %s, which uses campaign budget optimization: the budget is set at the campaign level and ad group budgets cannot be updated.", id, c.ID)
		}
		mode := orDefault(g.BudgetMode, BudgetModeDay)
		if mode == BudgetModeInfinite {
			return invalid("Ad group %s has an unlimited budget; its budget cannot be updated.", id)
		}
		// budget[] changes lifetime budgets at once; a daily budget
		// changes only through scheduled_budget[], from the next day.
		if name == "budget" && dailyMode(mode) {
			return invalid("budget: ad group %s uses a daily budget (%s); update it with scheduled_budget, which takes effect from 00:00 the next day.", id, mode)
		}
		if name == "scheduled_budget" && !dailyMode(mode) {
			return invalid("scheduled_budget: ad group %s uses a lifetime budget (%s); update it with budget.", id, mode)
		}
		m, ok := parseAmount(n, a.Currency)
		if !ok || m <= 0 {
			return invalid("%s: invalid budget %q for currency %s", name, n.String(), a.Currency)
		}
		changes = append(changes, change{g, m, name == "scheduled_budget"})
		return nil
	}
	for _, it := range now {
		if e := check(it.AdGroupID, it.Budget, "budget"); e != nil {
			return nil, e
		}
	}
	for _, it := range sched {
		if e := check(it.AdGroupID, it.ScheduledBudget, "scheduled_budget"); e != nil {
			return nil, e
		}
	}
	for _, c := range changes {
		if c.scheduled {
			s.settleScheduled(a, c.g)
			c.g.ScheduledBudgetMicros = c.micros
			c.g.ScheduledFrom = nextMidnight(s.now(), a.Timezone)
		} else {
			c.g.BudgetMicros = c.micros
		}
	}
	return map[string]any{}, nil
}
