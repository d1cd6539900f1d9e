package tiktokfake

import (
	"fmt"
	"strconv"
	"strings"
)

// derivedMetrics are documented report metrics the fake computes from a
// row's other figures, the way TikTok derives them: costs per unit in
// the account currency, rates in percent with two decimals, ROAS as a
// plain ratio.
var derivedMetrics = map[string]func(r *ReportRow, cur string) string{
	"cpc": func(r *ReportRow, cur string) string { return perUnit(r.SpendMicros, r.Clicks, cur) },
	"cpm": func(r *ReportRow, cur string) string {
		return perUnit(r.SpendMicros*1000, r.Impressions, cur)
	},
	"ctr":                       func(r *ReportRow, _ string) string { return percent(r.Clicks, r.Impressions) },
	"conversion_rate":           func(r *ReportRow, _ string) string { return percent(r.Conversions, r.Clicks) },
	"cost_per_conversion":       func(r *ReportRow, cur string) string { return perUnit(r.SpendMicros, r.Conversions, cur) },
	"cost_per_complete_payment": func(r *ReportRow, cur string) string { return perUnit(r.SpendMicros, r.Purchases, cur) },
	"complete_payment_rate":     func(r *ReportRow, _ string) string { return percent(r.Purchases, r.Clicks) },
	"complete_payment_roas": func(r *ReportRow, _ string) string {
		if r.SpendMicros == 0 {
			return "0.00"
		}
		return strconv.FormatFloat(float64(r.PurchaseValueMicros)/float64(r.SpendMicros), 'f', 2, 64)
	},
	"engagements": func(r *ReportRow, _ string) string {
		return strconv.FormatInt(r.Likes+r.Comments+r.Shares+r.Follows+r.ProfileVisits, 10)
	},
}

// attributeMetrics are the documented attribute metrics (names and ids
// of the row's parents) at ad level; the fake knows three of them and
// answers "-" for the rest.
var attributeMetrics = map[string]bool{
	"advertiser_name": true, "advertiser_id": true, "campaign_name": true, "campaign_id": true,
	"objective_type": true, "campaign_budget": true, "campaign_dedicate_type": true, "app_promotion_type": true,
	"adgroup_name": true, "adgroup_id": true, "placement_type": true, "promotion_type": true,
	"opt_status": true, "adgroup_download_url": true, "profile_image": true, "dpa_target_audience_type": true,
	"budget": true, "smart_target": true, "pricing_category": true, "bid_strategy": true, "bid": true,
	"bid_secondary_goal": true, "aeo_type": true, "ad_name": true, "ad_text": true, "call_to_action": true,
	"ad_profile_image": true, "ad_url": true, "tt_app_id": true, "tt_app_name": true, "mobile_app_id": true,
	"image_mode": true, "currency": true, "is_aco": true, "is_smart_creative": true,
}

// documentedMetrics are the remaining metrics TikTok documents for
// BASIC reports at AUCTION_AD level (report metrics reference, portal
// doc 1751443967255553: basic data, video play, engagement, attribution,
// page event and in-app event metrics) that the fake has no figures for:
// it accepts them and answers "0". A name in none of the lists is
// refused the way TikTok refuses it (40002 "Invalid metric fields: […]").
var documentedMetrics = func() map[string]bool {
	m := map[string]bool{}
	for _, group := range []string{
		// basic data
		"cash_spend voucher_spend reach cost_per_1000_reached frequency real_time_conversion " +
			"real_time_cost_per_conversion real_time_conversion_rate result cost_per_result result_rate real_time_result " +
			"real_time_cost_per_result real_time_result_rate secondary_goal_result cost_per_secondary_goal_result " +
			"secondary_goal_result_rate gross_impressions",
		// video play
		"video_watched_2s video_watched_6s average_video_play average_video_play_per_user video_views_p25 " +
			"video_views_p50 video_views_p75 video_views_p100",
		// engagement
		"profile_visits_rate clicks_on_music_disc duet_clicks stitch_clicks sound_usage_clicks anchor_clicks " +
			"anchor_click_rate engaged_view engaged_view_15s paid_engagement_engaged_view",
		// attribution
		"vta_app_install vta_conversion cost_per_vta_conversion vta_registration cost_per_vta_registration " +
			"vta_purchase cost_per_vta_purchase cta_app_install cta_conversion cost_per_cta_conversion cta_registration " +
			"cost_per_cta_registration cta_purchase cost_per_cta_purchase vta_complete_payment_roas cta_complete_payment_roas",
		// page events (website, pixel)
		"total_complete_payment_rate complete_payment_roas value_per_complete_payment " +
			"page_browse_view cost_per_page_browse_view page_browse_view_rate total_page_browse_view_value value_per_page_browse_view " +
			"button_click cost_per_button_click button_click_rate value_per_button_click total_button_click_value " +
			"online_consult cost_per_online_consult online_consult_rate value_per_online_consult total_online_consult_value " +
			"user_registration cost_per_user_registration user_registration_rate value_per_user_registration total_user_registration_value " +
			"product_details_page_browse cost_per_product_details_page_browse product_details_page_browse_rate " +
			"value_per_product_details_page_browse total_product_details_page_browse_value " +
			"web_event_add_to_cart cost_per_web_event_add_to_cart web_event_add_to_cart_rate value_per_web_event_add_to_cart total_web_event_add_to_cart_value " +
			"on_web_order cost_per_on_web_order on_web_order_rate value_per_on_web_order total_on_web_order_value " +
			"initiate_checkout cost_per_initiate_checkout initiate_checkout_rate value_per_initiate_checkout total_initiate_checkout_value " +
			"add_billing cost_per_add_billing add_billing_rate value_per_add_billing total_add_billing_value " +
			"page_event_search cost_per_page_event_search page_event_search_rate value_per_page_event_search total_page_event_search_value " +
			"form cost_per_form form_rate value_per_form total_form_value " +
			"download_start cost_per_download_start download_start_rate value_per_download_start total_download_start_value " +
			"on_web_add_to_wishlist cost_per_on_web_add_to_wishlist on_web_add_to_wishlist_per_click value_per_on_web_add_to_wishlist total_on_web_add_to_wishlist_value " +
			"on_web_subscribe cost_per_on_web_subscribe on_web_subscribe_per_click value_per_on_web_subscribe total_on_web_subscribe_value",
		// in-app events (the purchase and install family)
		"real_time_app_install real_time_app_install_cost app_install cost_per_app_install registration " +
			"cost_per_registration registration_rate total_registration cost_per_total_registration purchase cost_per_purchase " +
			"purchase_rate total_purchase cost_per_total_purchase value_per_total_purchase total_purchase_value total_active_pay_roas " +
			"app_event_add_to_cart cost_per_app_event_add_to_cart app_event_add_to_cart_rate total_app_event_add_to_cart " +
			"cost_per_total_app_event_add_to_cart value_per_total_app_event_add_to_cart total_app_event_add_to_cart_value " +
			"checkout cost_per_checkout checkout_rate total_checkout cost_per_total_checkout value_per_checkout total_checkout_value " +
			"view_content cost_per_view_content view_content_rate total_view_content cost_per_total_view_content " +
			"value_per_total_view_content total_view_content_value next_day_open cost_per_next_day_open next_day_open_rate " +
			"total_next_day_open cost_per_total_next_day_open subscribe cost_per_subscribe subscribe_rate total_subscribe " +
			"cost_per_total_subscribe value_per_total_subscribe total_subscribe_value sales_lead cost_per_sales_lead " +
			"sales_lead_rate total_sales_lead cost_per_total_sales_lead value_per_total_sales_lead total_sales_lead_value",
		// TikTok Shop (onsite)
		"onsite_shopping onsite_shopping_rate cost_per_onsite_shopping total_onsite_shopping_value onsite_shopping_roas " +
			"value_per_onsite_shopping onsite_initiate_checkout_count onsite_on_web_detail onsite_add_to_wishlist",
	} {
		for _, name := range strings.Fields(group) {
			m[name] = true
		}
	}
	return m
}()

// metricKnown reports whether TikTok accepts name as a BASIC AUCTION_AD
// report metric.
func metricKnown(name string) bool {
	_, computed := reportMetrics[name]
	_, derived := derivedMetrics[name]
	return computed || derived || attributeMetrics[name] || documentedMetrics[name]
}

// invalidMetrics is TikTok's answer to metrics it does not know: code
// 40002 and the names as a Python-style list, e.g. "Invalid metric
// fields: ['video_views']." (observed for video_views, which is not a
// metric; singer-io/tap-tiktok-ads#14 shows the same text).
func invalidMetrics(names []string) *apiError {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + n + "'"
	}
	return &apiError{code: CodeInvalidParam, msg: fmt.Sprintf("Invalid metric fields: [%s].", strings.Join(quoted, ", "))}
}

// metricValue renders metric name of row r the way TikTok does.
func metricValue(name string, r *ReportRow, ad *Ad, cur string) string {
	if f := reportMetrics[name]; f != nil {
		return f(r, cur)
	}
	if f := derivedMetrics[name]; f != nil {
		return f(r, cur)
	}
	if _, attr := reportMetrics[name]; attr || attributeMetrics[name] {
		var v string
		if ad != nil {
			v = map[string]string{"adgroup_id": ad.AdGroupID, "campaign_id": ad.CampaignID, "ad_name": ad.Name}[name]
		}
		return orDefault(v, "-")
	}
	return "0"
}

// perUnit is micros/n in the currency's decimals ("0.00" when n is 0).
func perUnit(micros, n int64, cur string) string {
	if n == 0 {
		return decimal(0, cur)
	}
	return decimal(micros/n, cur)
}

// percent is 100·a/b with two decimals, as TikTok's rate metrics.
func percent(a, b int64) string {
	if b == 0 {
		return "0.00"
	}
	return strconv.FormatFloat(100*float64(a)/float64(b), 'f', 2, 64)
}
