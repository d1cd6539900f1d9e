package tiktokads

import (
	"context"
	"fmt"
	"net/url"
	"sort"

	"github.com/roasd/roasd/ads"
)

// reportMetrics are the integrated-report metrics DayStats asks for.
// Engagements are likes + comments + shares + follows + profile visits;
// views are video_play_actions; conversions and their value are website
// purchases (complete_payment and total_complete_payment_rate, which is
// despite its name the total purchase value).
var reportMetrics = []string{"spend", "impressions", "clicks", "likes", "comments", "shares", "follows",
	"profile_visits", "video_play_actions", "complete_payment", "total_complete_payment_rate"}

type reportRow struct {
	Dimensions struct {
		AdID        flexString `json:"ad_id"`
		StatTimeDay string     `json:"stat_time_day"`
	} `json:"dimensions"`
	Metrics map[string]flexString `json:"metrics"`
}

// DayStats reads the integrated report per ad per day for r (GET
// /report/integrated/get/, BASIC, AUCTION_AD, dimensions ad_id and
// stat_time_day, deleted ads included). Days are the advertiser's own
// (its time zone); r is split into requests of at most 30 days, each read
// page by page. Money is micro-units of the advertiser's currency, read
// once per client from /advertiser/info/. Re-reading a range returns the
// platform's restated numbers, ready for an idempotent upsert.
func (c *Client) DayStats(ctx context.Context, advertiserID string, r ads.DateRange) ([]ads.DayStat, error) {
	if r.Days() == 0 {
		return nil, nil
	}
	info, err := c.account(ctx, advertiserID)
	if err != nil {
		return nil, err
	}
	type key struct {
		ad  string
		day ads.Date
	}
	rows := map[key]ads.DayStat{}
	for _, part := range r.Split(MaxReportDays) {
		q := url.Values{}
		q.Set("advertiser_id", advertiserID)
		q.Set("report_type", "BASIC")
		q.Set("service_type", "AUCTION")
		q.Set("data_level", "AUCTION_AD")
		q.Set("dimensions", jsonParam([]string{"ad_id", "stat_time_day"}))
		q.Set("metrics", jsonParam(reportMetrics))
		q.Set("start_date", part.From.String())
		q.Set("end_date", part.To.String())
		q.Set("filtering", jsonParam([]map[string]string{{"field_name": "ad_status", "filter_type": "IN", "filter_value": `["STATUS_ALL"]`}}))
		err := pages(ctx, c, "/report/integrated/get/", advertiserID, q, c.pageSize, func(row reportRow) error {
			s, err := dayStat(advertiserID, info.Currency, row)
			if err != nil {
				return err
			}
			rows[key{s.AdID, s.Day}] = s
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]ads.DayStat, 0, len(rows))
	for _, s := range rows {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if c := out[i].Day.Compare(out[j].Day); c != 0 {
			return c < 0
		}
		return out[i].AdID < out[j].AdID
	})
	return out, nil
}

func dayStat(advertiserID, currency string, row reportRow) (ads.DayStat, error) {
	day := row.Dimensions.StatTimeDay
	if len(day) > 10 {
		day = day[:10]
	}
	d, err := ads.ParseDate(day)
	if err != nil {
		return ads.DayStat{}, fmt.Errorf("reading tiktok report row of ad %s: %w", row.Dimensions.AdID, err)
	}
	s := ads.DayStat{Platform: ads.TikTok, Account: advertiserID, AdID: string(row.Dimensions.AdID), Day: d, Currency: currency}
	m := func(name string, money bool) int64 {
		if err != nil {
			return 0
		}
		var v int64
		if money {
			v, err = parseMoney(string(row.Metrics[name]))
		} else {
			v, err = parseCount(string(row.Metrics[name]))
		}
		if err != nil {
			err = fmt.Errorf("reading tiktok metric %s of ad %s on %s: %w", name, s.AdID, d, err)
		}
		return v
	}
	s.Spend = m("spend", true)
	s.Impressions = m("impressions", false)
	s.Clicks = m("clicks", false)
	s.Engagements = m("likes", false) + m("comments", false) + m("shares", false) + m("follows", false) + m("profile_visits", false)
	s.Views = m("video_play_actions", false)
	s.Conversions = m("complete_payment", false)
	s.ConversionValue = m("total_complete_payment_rate", true)
	return s, err
}
