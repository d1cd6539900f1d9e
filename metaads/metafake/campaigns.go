package metafake

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// nodeCampaign is Campaign with the fields roasd reads.
var nodeCampaign = &nodeType{name: "Campaign", defaults: []string{"id"}, fields: scalars(
	"id", "name", "account_id", "status", "effective_status", "objective", "daily_budget", "lifetime_budget",
	"budget_remaining", "bid_strategy", "smart_promotion_type", "advantage_state_info", "is_budget_schedule_enabled",
	"updated_time")}

// Campaign returns the current state of a campaign.
func (s *Server) Campaign(id string) (Campaign, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, i := s.findCampaign(id); a != nil {
		return a.Campaigns[i], true
	}
	return Campaign{}, false
}

func (s *Server) findCampaign(id string) (*Account, int) {
	for i := range s.seed.Accounts {
		for j := range s.seed.Accounts[i].Campaigns {
			if s.seed.Accounts[i].Campaigns[j].ID == id {
				return &s.seed.Accounts[i], j
			}
		}
	}
	return nil, -1
}

// campaignBudget reports whether the campaign with id holds the budget
// (Advantage+ campaign budget).
func (s *Server) campaignBudget(id string) bool {
	a, i := s.findCampaign(id)
	return a != nil && (a.Campaigns[i].DailyBudget > 0 || a.Campaigns[i].LifetimeBudget > 0)
}

// campaignJSON renders a campaign as Graph does: budgets as strings of
// minor units, present only when set, and advantage_state_info always.
func campaignJSON(act string, c Campaign) map[string]any {
	st := orDefault(c.Status, "ACTIVE")
	budgetState := "DISABLED"
	out := map[string]any{"id": c.ID, "name": c.Name, "account_id": act[len("act_"):], "status": st, "effective_status": st,
		"objective": "OUTCOME_SALES", "is_budget_schedule_enabled": false}
	if c.DailyBudget > 0 {
		out["daily_budget"] = strconv.FormatInt(c.DailyBudget, 10)
		budgetState = "ENABLED"
	}
	if c.LifetimeBudget > 0 {
		out["lifetime_budget"] = strconv.FormatInt(c.LifetimeBudget, 10)
		budgetState = "ENABLED"
	}
	if c.SmartPromotionType != "" {
		out["smart_promotion_type"] = c.SmartPromotionType
	}
	if !c.UpdatedTime.IsZero() {
		out["updated_time"] = c.UpdatedTime.UTC().Format(graphTime)
	}
	out["advantage_state_info"] = map[string]any{
		"advantage_state": orDefault(c.AdvantageState, "DISABLED"), "advantage_budget_state": budgetState,
		"advantage_audience_state": "DISABLED", "advantage_placement_state": "DISABLED",
	}
	return out
}

// listCampaigns serves GET /act_<id>/campaigns.
func (s *Server) listCampaigns(r *http.Request, id string, params url.Values, hdr http.Header) response {
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
	for _, c := range a.Campaigns {
		if want(orDefault(c.Status, "ACTIVE")) && since(c.UpdatedTime) {
			objs = append(objs, campaignJSON(a.ID, c))
		}
	}
	items, err := projectAll(objs, nodeCampaign, params.Get("fields"))
	if err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, err.Error(), "OAuthException", hdr)
	}
	return s.page(r, items, params, hdr)
}

// postCampaign changes a campaign's daily budget. A campaign without a
// daily budget (ad-set budgets, or a lifetime one) cannot be given one
// here, as in Ads Manager.
func (s *Server) postCampaign(a *Account, i int, params url.Values, hdr http.Header) response {
	c := &a.Campaigns[i]
	if v := params.Get("daily_budget"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return s.invalid("Param daily_budget must be a positive integer in the currency's minor units", hdr)
		}
		if c.DailyBudget == 0 {
			return s.invalid("This campaign has no daily campaign budget; daily_budget cannot be set", hdr)
		}
		c.DailyBudget = n
	}
	if st := params.Get("status"); st != "" {
		c.Status = st
	}
	c.UpdatedTime = s.stamp()
	return jsonResponse(http.StatusOK, hdr, map[string]any{"success": true})
}

// budgetConflict is Graph's refusal of an ad-set budget under a campaign
// that holds the budget: error 100, subcode 1885621 "Budget Conflict".
func (s *Server) budgetConflict(hdr http.Header) response {
	return s.graphErrorUser(http.StatusBadRequest, 100, 1885621, "Invalid parameter", "Budget Conflict",
		"Your campaign already has a budget (Advantage+ campaign budget), so you can't set a budget for this ad set. Change the campaign budget, or turn off Advantage+ campaign budget to set ad set budgets.", hdr)
}

// graphErrorUser is graphError with the error_user_title and
// error_user_msg Graph adds for errors meant for people.
func (s *Server) graphErrorUser(status, code, sub int, msg, title, userMsg string, hdr http.Header) response {
	s.trace++
	e := map[string]any{"message": msg, "type": "OAuthException", "code": code, "is_transient": false,
		"error_subcode": sub, "error_user_title": title, "error_user_msg": userMsg,
		"fbtrace_id": fmt.Sprintf("AfakeTrace%06d", s.trace)}
	return jsonResponse(status, hdr, map[string]any{"error": e})
}
