package tiktokfake

import "time"

// BudgetModeDynamicDaily is TikTok's dynamic daily budget mode, which, like
// BUDGET_MODE_DAY, changes only through scheduled_budget.
const BudgetModeDynamicDaily = "BUDGET_MODE_DYNAMIC_DAILY_BUDGET"

// dailyMode reports whether an ad group budget mode is a daily one.
func dailyMode(mode string) bool {
	return mode == BudgetModeDay || mode == BudgetModeDynamicDaily
}

// nextMidnight is 00:00 of the day after now in the IANA zone (UTC when
// the zone is unknown).
func nextMidnight(now time.Time, zone string) time.Time {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	t := now.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
}

// settleScheduled makes a pending scheduled budget the ad group's budget
// once its day has begun on the fake's clock.
func (s *Server) settleScheduled(_ *Advertiser, g *AdGroup) {
	if g.ScheduledBudgetMicros > 0 && !g.ScheduledFrom.IsZero() && !s.now().Before(g.ScheduledFrom) {
		g.BudgetMicros, g.ScheduledBudgetMicros, g.ScheduledFrom = g.ScheduledBudgetMicros, 0, time.Time{}
	}
}
