package tiktokads_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/tiktokads"
)

// docRoute answers GETs and POSTs on a path (ending in the path, the
// query naming contains and asking for page, when set) with a testdata
// file.
type docRoute struct {
	path, contains, page, file string
}

// docServer answers with testdata files written after the TikTok API for
// Business v1.3 reference pages (not produced by tiktokfake), so the
// client is checked against shapes the fake does not emit. The client
// pages at pageSize (0: default).
func docServer(t *testing.T, pageSize int, routes ...docRoute) *tiktokads.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Access-Token"); got != token {
			t.Errorf("%s: Access-Token header = %q", r.URL.Path, got)
		}
		for _, rt := range routes {
			if !strings.HasSuffix(r.URL.Path, tiktokads.APIPrefix+rt.path) ||
				(rt.contains != "" && !strings.Contains(queryText(r), rt.contains)) ||
				(rt.page != "" && r.URL.Query().Get("page") != rt.page) {
				continue
			}
			b, err := os.ReadFile(filepath.Join("testdata", rt.file))
			if err != nil {
				t.Error(err)
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
			return
		}
		t.Errorf("no doc route for %s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery)
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return tiktokads.New(tiktokads.Options{BaseURL: srv.URL, AccessToken: token, HTTPClient: srv.Client(), RetryMax: -1,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, PageSize: pageSize, Now: func() time.Time { return now }})
}

// queryText is the request's decoded query values, joined.
func queryText(r *http.Request) string {
	var b strings.Builder
	for k, vs := range r.URL.Query() {
		b.WriteString(k + "=" + strings.Join(vs, ",") + "&")
	}
	return b.String()
}

const (
	advJP = "7200000000000000042"
	advUS = "7100000000000000001"
)

// Shape: "Get ad account details" (/advertiser/info/, portal doc
// 1739593083610113): data.list[] with string advertiser_id, currency,
// timezone (the fixed-offset reporting zone), display_timezone, and
// numbers for balance and create_time.
func TestDocShapeAdvertiserInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		adv, file string
		want      tiktokads.AccountInfo
	}{
		{advJP, "docs_advertiser_info_jpy.json", tiktokads.AccountInfo{ID: advJP, Name: "Hanabi Cosmetics JP", Currency: "JPY", Timezone: "Etc/GMT-9", DisplayTimezone: "Asia/Tokyo"}},
		{advUS, "docs_advertiser_info_usd.json", tiktokads.AccountInfo{ID: advUS, Name: "GlowCo US", Currency: "USD", Timezone: "Etc/GMT+8", DisplayTimezone: "America/Los_Angeles"}},
	}
	for _, tt := range tests {
		t.Run(tt.want.Currency, func(t *testing.T) {
			t.Parallel()
			c := docServer(t, 0, docRoute{path: "/advertiser/info/", file: tt.file})
			got, err := c.Advertiser(t.Context(), tt.adv)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Advertiser = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// Shape: /tt_video/authorize/ (portal doc 1738376435339265, data {}) and
// /tt_video/info/ (1738376324021250): one item of item_info, auth_info
// ("YYYY-MM-DD HH:MM:SS" UTC times), user_info and video_info.
func TestDocShapeSparkInfo(t *testing.T) {
	t.Parallel()
	c := docServer(t, 0,
		docRoute{path: "/tt_video/authorize/", file: "docs_tt_video_authorize.json"},
		docRoute{path: "/tt_video/info/", file: "docs_tt_video_info.json"})
	got, err := c.AuthorizeSpark(t.Context(), advJP, "#5rTqWmZ1kLp9Yx+Ab3Cd4Ef5Gh6Ij7Kl8Mn9Op0QrStUvWxYz==")
	if err != nil {
		t.Fatal(err)
	}
	want := ads.Permission{Platform: ads.TikTok, Account: advJP, ID: "7351111111111111111", Creator: "mia.glows",
		CreatorID: "9a7e51c2-4d0b-5f63-8e21-0c4b7a9d1e35", ItemID: "7351111111111111111", Status: ads.PermissionActive,
		GrantedAt: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 5, 30, 9, 30, 0, 0, time.UTC)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AuthorizeSpark = %+v\nwant %+v", got, want)
	}
}

// Shape: /tt_video/list/ (portal doc 1738376465972226): page_info and
// list[] of the /tt_video/info/ item, item status with and without the
// ITEM_STATUS_ prefix, null anchor_list, null video_info and URLs.
func TestDocShapeSparkList(t *testing.T) {
	t.Parallel()
	c := docServer(t, 0, docRoute{path: "/tt_video/list/", file: "docs_tt_video_list.json"})
	got, err := c.SparkPosts(t.Context(), advJP)
	if err != nil {
		t.Fatal(err)
	}
	want := []ads.Permission{
		{Platform: ads.TikTok, Account: advJP, ID: "7351111111111111111", Creator: "mia.glows", CreatorID: "9a7e51c2-4d0b-5f63-8e21-0c4b7a9d1e35",
			ItemID: "7351111111111111111", Status: ads.PermissionActive,
			GrantedAt: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 5, 30, 9, 30, 0, 0, time.UTC)},
		{Platform: ads.TikTok, Account: advJP, ID: "7352222222222222222", Creator: "jacq.skin", CreatorID: "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e",
			ItemID: "7352222222222222222", Status: ads.PermissionExpired,
			GrantedAt: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 2, 4, 0, 0, 0, 0, time.UTC)},
		{Platform: ads.TikTok, Account: advJP, ID: "7353333333333333333", Creator: "mia.glows", CreatorID: "5e4d3c2b-1a09-8f7e-6d5c-4b3a29180f7e",
			ItemID: "7353333333333333333", Status: ads.PermissionRevoked,
			GrantedAt: time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2027, 2, 20, 12, 0, 0, 0, time.UTC)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SparkPosts =\n%+v\nwant\n%+v", got, want)
	}
}

// Shape: /ad/get/ (portal doc 1735735588640770): data.list[] and
// page_info over two pages, string IDs, null video_id / tiktok_item_id /
// landing_page_url / utm_params / image_ids, utm_params as key/value
// pairs, "YYYY-MM-DD HH:MM:SS" UTC modify_time.
func TestDocShapeAds(t *testing.T) {
	t.Parallel()
	c := docServer(t, 2,
		docRoute{path: "/ad/get/", page: "1", file: "docs_ad_get_p1.json"},
		docRoute{path: "/ad/get/", page: "2", file: "docs_ad_get_p2.json"})
	got, err := c.Ads(t.Context(), advJP)
	if err != nil {
		t.Fatal(err)
	}
	want := []ads.Ad{
		{Platform: ads.TikTok, Account: advJP, ID: "1801000000000001001", Name: "spark_mia_threesteps", CampaignID: "1801000000000000001",
			AdSetID: "1801000000000000101", Status: "ENABLE/AD_STATUS_DELIVERY_OK", Kind: ads.Spark,
			CreatorIdentity: "9a7e51c2-4d0b-5f63-8e21-0c4b7a9d1e35", ItemID: "7351111111111111111",
			URLTags:   "utm_campaign=ignored_when_url_has_it&utm_medium=paid_social",
			LinkURL:   "https://hanabi.example.jp/serum?utm_source=tiktok&utm_campaign=spring_jp&utm_content=mia-3steps",
			UTM:       ads.UTM{Source: "tiktok", Medium: "paid_social", Campaign: "spring_jp", Content: "mia-3steps"},
			UpdatedAt: time.Date(2026, 3, 5, 7, 42, 19, 0, time.UTC)},
		{Platform: ads.TikTok, Account: advJP, ID: "1801000000000001002", Name: "brand_video_v2", CampaignID: "1801000000000000001",
			AdSetID: "1801000000000000101", Status: "DISABLE/AD_STATUS_DISABLE", Kind: ads.Standard,
			LinkURL: "https://hanabi.example.jp/serum", UpdatedAt: time.Date(2026, 1, 9, 23, 59, 59, 0, time.UTC)},
		{Platform: ads.TikTok, Account: advJP, ID: "1801000000000001003", Name: "spark_jacq_evening", CampaignID: "1801000000000000002",
			AdSetID: "1801000000000000201", Status: "DELETE/AD_STATUS_CREATOR_AUTHORIZATION_REVOKED", Kind: ads.Spark,
			CreatorIdentity: "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e", ItemID: "7352222222222222222",
			URLTags: "utm_content=jacq-evening&utm_source=tiktok", UTM: ads.UTM{Source: "tiktok", Content: "jacq-evening"},
			UpdatedAt: time.Date(2026, 2, 4, 0, 0, 7, 0, time.UTC)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Ads =\n%+v\nwant\n%+v", got, want)
	}
}

// Shape: "Get ad groups" (/adgroup/get/) with the budget
// fields of "Budget" (1739381246298114): budget_mode, budget and
// scheduled_budget as JSON numbers in major units (JPY without minor
// unit), scheduled_budget null when none is pending.
func TestDocShapeAdGroupBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id, file string
		want     tiktokads.AdGroupBudgetState
	}{
		{"1801000000000000101", "docs_adgroup_get_day.json", tiktokads.AdGroupBudgetState{Mode: tiktokads.BudgetModeDay, Budget: 12000 * ads.MicrosPerUnit, Scheduled: 15000 * ads.MicrosPerUnit}},
		{"1801000000000000102", "docs_adgroup_get_total.json", tiktokads.AdGroupBudgetState{Mode: tiktokads.BudgetModeTotal, Budget: 350000 * ads.MicrosPerUnit}},
		{"1801000000000000103", "docs_adgroup_get_infinite.json", tiktokads.AdGroupBudgetState{Mode: tiktokads.BudgetModeInfinite}},
	}
	for _, tt := range tests {
		t.Run(tt.want.Mode, func(t *testing.T) {
			t.Parallel()
			c := docServer(t, 0, docRoute{path: "/adgroup/get/", contains: tt.id, file: tt.file})
			got, err := c.AdGroupBudgetInfo(t.Context(), advJP, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("AdGroupBudgetInfo = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// Shape: "Get campaigns" (/campaign/get/): budget_mode,
// budget as a number, budget_optimize_on (true, false or null),
// campaign_automation_type and is_smart_performance_campaign.
func TestDocShapeCampaigns(t *testing.T) {
	t.Parallel()
	c := docServer(t, 0, docRoute{path: "/campaign/get/", file: "docs_campaign_get.json"})
	got, err := c.Campaigns(t.Context(), advJP)
	if err != nil {
		t.Fatal(err)
	}
	want := []ads.Campaign{
		{Platform: ads.TikTok, Account: advJP, ID: "1801000000000000001", Name: "spring_jp_cbo", BudgetLevel: ads.BudgetAtCampaign, DailyBudget: 30000 * ads.MicrosPerUnit},
		{Platform: ads.TikTok, Account: advJP, ID: "1801000000000000002", Name: "evergreen_manual", BudgetLevel: ads.BudgetAtAdSet},
		{Platform: ads.TikTok, Account: advJP, ID: "1801000000000000003", Name: "smart_plus_catalog", BudgetLevel: ads.BudgetAtCampaign,
			Automation: "UPGRADED_SMART_PLUS", DailyBudget: 8000 * ads.MicrosPerUnit},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Campaigns =\n%+v\nwant\n%+v", got, want)
	}
}

// Shape: /report/integrated/get/ (portal doc 1740302848100353): list[] of
// dimensions (ad_id, stat_time_day "YYYY-MM-DD 00:00:00") and metrics, all
// strings, "-" for no value; page_info. Currency from /advertiser/info/.
func TestDocShapeReport(t *testing.T) {
	t.Parallel()
	c := docServer(t, 0,
		docRoute{path: "/advertiser/info/", file: "docs_advertiser_info_jpy.json"},
		docRoute{path: "/report/integrated/get/", file: "docs_report_integrated.json"})
	day := ads.Date{Year: 2026, Month: 3, Day: 8}
	got, err := c.DayStats(t.Context(), advJP, ads.DateRange{From: day, To: day})
	if err != nil {
		t.Fatal(err)
	}
	want := []ads.DayStat{
		{Platform: ads.TikTok, Account: advJP, AdID: "1801000000000001001", Day: day, Currency: "JPY",
			Spend: 4821 * ads.MicrosPerUnit, Impressions: 61230, Clicks: 912, Engagements: 340 + 27 + 15 + 9 + 118, Views: 40211,
			Conversions: 12, ConversionValue: 58800 * ads.MicrosPerUnit},
		{Platform: ads.TikTok, Account: advJP, AdID: "1801000000000001003", Day: day, Currency: "JPY", Conversions: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DayStats =\n%+v\nwant\n%+v", got, want)
	}
}

// Shape: the return-code envelope of "Appendix - Return codes" (portal
// doc 1737172488964097): HTTP 200, non-zero code, message, request_id,
// data {}.
func TestDocShapeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		code  int
		kind  ads.ErrorKind
		trace string
	}{
		{"docs_error_rate_limit.json", 40100, ads.KindRateLimited, "202603101200000BE1F2A3B4C5D60712"},
		{"docs_error_token.json", 40105, ads.KindAuth, "202603101200000CF1A2B3C4D5E60713"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			c := docServer(t, 0, docRoute{path: "/ad/get/", file: tt.file})
			_, err := c.Ads(t.Context(), advJP)
			var ae *ads.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *ads.APIError", err)
			}
			if ae.Code != tt.code || ae.Kind != tt.kind || ae.TraceID != tt.trace || ae.HTTPStatus != http.StatusOK ||
				ae.Platform != ads.TikTok || ae.Account != advJP || ae.Op != "GET "+tiktokads.APIPrefix+"/ad/get/" {
				t.Errorf("err = %+v, want code %d kind %v trace %s", ae, tt.code, tt.kind, tt.trace)
			}
		})
	}
}
