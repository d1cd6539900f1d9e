package tiktokfake

import "encoding/json"

// budgetAtCampaign reports whether the campaign holds the budget
// (campaign budget optimisation, or a Smart+ campaign).
func (c *Campaign) budgetAtCampaign() bool {
	return c.BudgetOptimizeOn || c.AutomationType == AutomationSmartPlus || c.AutomationType == AutomationUpgradedSmartPlus
}

func (s *Server) campaign(a *Advertiser, id string) *Campaign {
	for i := range a.Campaigns {
		if a.Campaigns[i].ID == id {
			return &a.Campaigns[i]
		}
	}
	return nil
}

// campaignGet serves GET /campaign/get/: budget, budget_mode,
// budget_optimize_on and campaign_automation_type per campaign (filter
// campaign_ids, modified_after), paged like the other lists.
func (s *Server) campaignGet(r *request) (any, *apiError) {
	a, q, e := s.listQuery(r)
	if e != nil {
		return nil, e
	}
	var sel []*Campaign
	for i := range a.Campaigns {
		if in(a.Campaigns[i].ID, q.filter.CampaignIDs) && q.filter.modified(a.Campaigns[i].ModifyTime) {
			sel = append(sel, &a.Campaigns[i])
		}
	}
	lo, hi, info := pageOf(len(sel), q.page, q.size)
	list := []any{}
	for _, c := range sel[lo:hi] {
		mode := c.BudgetMode
		if mode == "" {
			mode = BudgetModeInfinite
			if c.budgetAtCampaign() {
				mode = BudgetModeDay
			}
		}
		var budget any = json.Number(decimal(c.BudgetMicros, a.Currency))
		if mode == BudgetModeInfinite {
			budget = json.Number("0")
		}
		obj := map[string]any{
			"advertiser_id": a.ID, "campaign_id": c.ID, "campaign_name": c.Name, "budget_mode": mode, "budget": budget,
			"budget_optimize_on": c.budgetAtCampaign(), "campaign_automation_type": orDefault(c.AutomationType, AutomationManual),
			"is_smart_performance_campaign": c.AutomationType == AutomationSmartPlus, "operation_status": orDefault(c.OperationStatus, "ENABLE"),
			"objective_type": "WEB_CONVERSIONS", "create_time": fmtTime(c.CreateTime), "modify_time": fmtTime(c.ModifyTime),
		}
		list = append(list, fields(obj, q.fields))
	}
	return map[string]any{"list": list, "page_info": info}, nil
}
