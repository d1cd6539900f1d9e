package tiktokfake

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"
)

// reportMetrics are the metrics the fake's report has figures for, with
// how each is computed from a row (nil for attribute metrics); see
// metrics.go for the rest of the documented list.
var reportMetrics = map[string]func(r *ReportRow, cur string) string{
	"spend":                       func(r *ReportRow, cur string) string { return decimal(r.SpendMicros, cur) },
	"impressions":                 func(r *ReportRow, _ string) string { return strconv.FormatInt(r.Impressions, 10) },
	"clicks":                      func(r *ReportRow, _ string) string { return strconv.FormatInt(r.Clicks, 10) },
	"likes":                       func(r *ReportRow, _ string) string { return strconv.FormatInt(r.Likes, 10) },
	"comments":                    func(r *ReportRow, _ string) string { return strconv.FormatInt(r.Comments, 10) },
	"shares":                      func(r *ReportRow, _ string) string { return strconv.FormatInt(r.Shares, 10) },
	"follows":                     func(r *ReportRow, _ string) string { return strconv.FormatInt(r.Follows, 10) },
	"profile_visits":              func(r *ReportRow, _ string) string { return strconv.FormatInt(r.ProfileVisits, 10) },
	"video_play_actions":          func(r *ReportRow, _ string) string { return strconv.FormatInt(r.VideoPlays, 10) },
	"conversion":                  func(r *ReportRow, _ string) string { return strconv.FormatInt(r.Conversions, 10) },
	"complete_payment":            func(r *ReportRow, _ string) string { return strconv.FormatInt(r.Purchases, 10) },
	"total_complete_payment_rate": func(r *ReportRow, cur string) string { return decimal(r.PurchaseValueMicros, cur) },
	"value_per_complete_payment": func(r *ReportRow, cur string) string {
		if r.Purchases == 0 {
			return decimal(0, cur)
		}
		return decimal(r.PurchaseValueMicros/r.Purchases, cur)
	},
	"adgroup_id":  nil,
	"campaign_id": nil,
	"ad_name":     nil,
}

type reportFilter struct {
	FieldName   string `json:"field_name"`
	FilterType  string `json:"filter_type"`
	FilterValue string `json:"filter_value"`
}

func (s *Server) report(r *request) (any, *apiError) {
	a, e := s.owned(r)
	if e != nil {
		return nil, e
	}
	if rt := r.str("report_type"); rt != "BASIC" {
		return nil, invalid("report_type: invalid value %q (this fake supports BASIC)", rt)
	}
	if st := r.str("service_type"); st != "" && st != "AUCTION" {
		return nil, invalid("service_type: invalid value %q", st)
	}
	if dl := r.str("data_level"); dl != "AUCTION_AD" {
		return nil, invalid("data_level: invalid value %q (this fake supports AUCTION_AD)", dl)
	}
	var dims []string
	if ok, e := r.decode("dimensions", &dims); e != nil || !ok {
		if e != nil {
			return nil, e
		}
		return nil, invalid("dimensions: field is required")
	}
	if len(dims) != 2 || !in("ad_id", dims) || !in("stat_time_day", dims) {
		return nil, invalid("dimensions: this fake supports [\"ad_id\",\"stat_time_day\"]")
	}
	var metrics []string
	if _, e := r.decode("metrics", &metrics); e != nil {
		return nil, e
	}
	if len(metrics) == 0 {
		metrics = []string{"spend", "impressions"}
	}
	var unknown []string
	for _, m := range metrics {
		if !metricKnown(m) {
			unknown = append(unknown, m)
		}
	}
	if len(unknown) > 0 {
		return nil, invalidMetrics(unknown)
	}
	start, err1 := time.Parse("2006-01-02", r.str("start_date"))
	end, err2 := time.Parse("2006-01-02", r.str("end_date"))
	if err1 != nil || err2 != nil {
		return nil, invalid("start_date, end_date: required, format YYYY-MM-DD")
	}
	if end.Before(start) {
		return nil, invalid("end_date must not be earlier than start_date")
	}
	if days := int(end.Sub(start).Hours()/24) + 1; days > MaxDaySpan {
		return nil, invalid("The time span between start_date and end_date cannot exceed %d days when stat_time_day is a dimension.", MaxDaySpan)
	}
	page, size, e := r.paging(10, MaxPageSize)
	if e != nil {
		return nil, e
	}
	var filters []reportFilter
	if _, e := r.decode("filtering", &filters); e != nil {
		return nil, e
	}
	allStatus := false
	for _, f := range filters {
		if f.FieldName == "ad_status" {
			var vals []string
			if json.Unmarshal([]byte(f.FilterValue), &vals) != nil {
				return nil, invalid("filtering: filter_value of ad_status must be a JSON array string")
			}
			allStatus = in("STATUS_ALL", vals)
		}
	}
	from, to := start.Format("2006-01-02"), end.Format("2006-01-02")
	// One index per request: a report reads every row of the account.
	adByID := make(map[string]*Ad, len(a.Ads))
	for i := range a.Ads {
		if _, dup := adByID[a.Ads[i].ID]; !dup {
			adByID[a.Ads[i].ID] = &a.Ads[i]
		}
	}
	var rows []*ReportRow
	for i := range a.Report {
		row := &a.Report[i]
		if row.Day < from || row.Day > to {
			continue
		}
		ad := adByID[row.AdID]
		if !allStatus && ad != nil && ad.OperationStatus == "DELETE" {
			continue
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Day != rows[j].Day {
			return rows[i].Day < rows[j].Day
		}
		return rows[i].AdID < rows[j].AdID
	})
	lo, hi, info := pageOf(len(rows), page, size)
	list := []any{}
	for _, row := range rows[lo:hi] {
		m := map[string]any{}
		ad := adByID[row.AdID]
		for _, name := range metrics {
			m[name] = metricValue(name, row, ad, a.Currency)
		}
		list = append(list, map[string]any{
			"dimensions": map[string]any{"ad_id": row.AdID, "stat_time_day": row.Day + " 00:00:00"},
			"metrics":    m,
		})
	}
	return map[string]any{"list": list, "page_info": info}, nil
}
