package metafake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// insightsQuery is a validated insights request.
type insightsQuery struct {
	since, until string
	fields       map[string]bool
	windows      []string
	// status keeps the rows of ads whose effective status passes (by
	// default not ARCHIVED or DELETED, as on Meta).
	status func(string) bool
}

// insightsDefaultFields are what an insights read without fields returns.
var insightsDefaultFields = []string{"date_start", "date_stop", "impressions", "spend"}

func (s *Server) parseInsights(params url.Values, hdr http.Header) (insightsQuery, *response) {
	var q insightsQuery
	if lv := params.Get("level"); lv != "ad" {
		r := s.invalid("The fake supports level=ad only", hdr)
		return q, &r
	}
	if ti := params.Get("time_increment"); ti != "1" {
		r := s.invalid("The fake supports time_increment=1 only", hdr)
		return q, &r
	}
	var tr struct{ Since, Until string }
	if err := json.Unmarshal([]byte(params.Get("time_range")), &tr); err != nil || !validDay(tr.Since) || !validDay(tr.Until) || tr.Until < tr.Since {
		r := s.invalid(`Param time_range must be {"since":"YYYY-MM-DD","until":"YYYY-MM-DD"} with since <= until`, hdr)
		return q, &r
	}
	q.since, q.until = tr.Since, tr.Until
	q.fields = map[string]bool{}
	if f := params.Get("fields"); f != "" {
		for _, x := range strings.Split(f, ",") {
			q.fields[strings.TrimSpace(x)] = true
		}
	} else {
		for _, x := range insightsDefaultFields {
			q.fields[x] = true
		}
	}
	statusJSON := ""
	if f := params.Get("filtering"); f != "" {
		var filters []struct {
			Field    string          `json:"field"`
			Operator string          `json:"operator"`
			Value    json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal([]byte(f), &filters); err != nil {
			r := s.invalid(`Param filtering must be a JSON array of {"field","operator","value"}`, hdr)
			return q, &r
		}
		for _, fl := range filters {
			if fl.Field != "ad.effective_status" {
				continue
			}
			if fl.Operator != "IN" {
				r := s.invalid("Filtering on ad.effective_status supports operator IN only", hdr)
				return q, &r
			}
			statusJSON = string(fl.Value)
		}
	}
	status, bad := s.statusFilter(statusJSON, "filtering.value", hdr)
	if bad != nil {
		return q, bad
	}
	q.status = status
	if w := params.Get("action_attribution_windows"); w != "" {
		if err := json.Unmarshal([]byte(w), &q.windows); err != nil {
			q.windows = strings.Split(strings.Trim(w, "[]"), ",")
		}
		kept := q.windows[:0]
		for _, w := range q.windows {
			w = strings.Trim(strings.TrimSpace(w), `"`)
			if gone, ok := RetiredWindows[w]; ok && !s.now().Before(gone) {
				continue // accepted, and silently not returned
			}
			kept = append(kept, w)
		}
		q.windows = kept
	}
	return q, nil
}

// RetiredWindows are the attribution windows Meta stopped returning, and
// from when (Ads Insights API metric availability update of 2025-10-16:
// 7d_view and 28d_view from 2026-01-12). Asked for after that, they are
// accepted without an error and left out of every actions entry, as Meta
// does.
var RetiredWindows = map[string]time.Time{
	"7d_view":  time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC),
	"28d_view": time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC),
}

func validDay(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// rows renders the insights rows of account a for q.
func (s *Server) rows(a *Account, q insightsQuery) []map[string]any {
	ads := map[string]Ad{}
	for _, ad := range a.Ads {
		ads[ad.ID] = ad
	}
	var sel []Insight
	paused := pausedOf(a)
	for _, in := range a.Insights {
		if ad, ok := ads[in.AdID]; ok && q.status != nil && !q.status(paused.status(ad)) {
			continue
		}
		if in.Day >= q.since && in.Day <= q.until {
			sel = append(sel, in)
		}
	}
	sort.Slice(sel, func(i, j int) bool {
		if sel[i].Day != sel[j].Day {
			return sel[i].Day < sel[j].Day
		}
		return sel[i].AdID < sel[j].AdID
	})
	want := func(f string) bool { return q.fields[f] }
	out := make([]map[string]any, 0, len(sel))
	for _, in := range sel {
		row := map[string]any{"date_start": in.Day, "date_stop": in.Day}
		ad := ads[in.AdID]
		opt := map[string]any{
			"ad_id": in.AdID, "ad_name": ad.Name, "adset_id": ad.AdSetID, "campaign_id": ad.CampaignID,
			"account_id": strings.TrimPrefix(a.ID, "act_"), "account_currency": a.Currency,
			"spend":                  formatMicros(in.SpendMicros),
			"impressions":            strconv.FormatInt(in.Impressions, 10),
			"clicks":                 strconv.FormatInt(in.Clicks, 10),
			"inline_post_engagement": strconv.FormatInt(in.InlinePostEngagement, 10),
		}
		for k, v := range opt {
			if want(k) {
				row[k] = v
			}
		}
		if want("actions") && len(in.Actions) > 0 {
			row["actions"] = actionsJSON(in.Actions, q.windows, false)
		}
		if want("action_values") && len(in.ActionValues) > 0 {
			row["action_values"] = actionsJSON(in.ActionValues, q.windows, true)
		}
		out = append(out, row)
	}
	return out
}

func actionsJSON(as []Action, windows []string, money bool) []map[string]string {
	f := func(v int64) string {
		if money {
			return formatMicros(v)
		}
		return strconv.FormatInt(v, 10)
	}
	out := make([]map[string]string, 0, len(as))
	for _, a := range as {
		m := map[string]string{"action_type": a.Type, "value": f(a.Value)}
		for _, w := range windows {
			if v, ok := a.Windows[w]; ok {
				m[w] = f(v)
			}
		}
		out = append(out, m)
	}
	return out
}

// formatMicros formats micro-units as a decimal string with at least two
// decimals ("12.34", "0.50", "1.234567").
func formatMicros(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := fmt.Sprintf("%d.%06d", v/1_000_000, v%1_000_000)
	for strings.HasSuffix(s, "0") && len(s)-strings.IndexByte(s, '.') > 3 {
		s = s[:len(s)-1]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func (s *Server) syncInsights(r *http.Request, id string, params url.Values, hdr http.Header) response {
	a := s.account(id)
	if a == nil {
		return s.unsupported(http.MethodGet, id, hdr)
	}
	q, bad := s.parseInsights(params, hdr)
	if bad != nil {
		return *bad
	}
	return s.page(r, toAny(s.rows(a, q)), params, hdr)
}

func toAny(rows []map[string]any) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}

func (s *Server) createRun(id string, params url.Values, hdr http.Header) response {
	a := s.account(id)
	if a == nil {
		return s.unsupported(http.MethodPost, id, hdr)
	}
	q, bad := s.parseInsights(params, hdr)
	if bad != nil {
		return *bad
	}
	s.nextRun++
	ru := &run{
		id: strconv.FormatInt(6_100_000_000_000_000+s.nextRun, 10), account: a.ID,
		since: q.since, until: q.until, rows: s.rows(a, q), runningFor: s.asyncRunning, created: time.Now(),
	}
	switch {
	case s.failJobs > 0:
		s.failJobs--
		ru.outcome = "Job Failed"
	case s.skipJobs > 0:
		s.skipJobs--
		ru.outcome = "Job Skipped"
	}
	if s.runs == nil {
		s.runs = map[string]*run{}
	}
	s.runs[ru.id] = ru
	return jsonResponse(http.StatusOK, hdr, map[string]any{"report_run_id": ru.id})
}

func (s *Server) runInsights(r *http.Request, id string, params url.Values, hdr http.Header) response {
	ru := s.runs[id]
	if ru == nil {
		return s.unsupported(http.MethodGet, id, hdr)
	}
	if ru.outcome != "" || ru.polls <= ru.runningFor {
		return s.invalid("The report run "+id+" has not completed", hdr)
	}
	return s.page(r, toAny(ru.rows), params, hdr)
}
