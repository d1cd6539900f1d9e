package tiktokfake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

const (
	adv   = "7100000000000000001"
	token = "act.test-token"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func seed() tiktokfake.Seed {
	a := tiktokfake.Advertiser{ID: adv, Name: "GlowCo", Currency: "USD", Timezone: "America/New_York",
		AdGroups: []tiktokfake.AdGroup{{ID: "200", CampaignID: "100", BudgetMicros: 50_000_000},
			{ID: "201", CampaignID: "100", BudgetMode: tiktokfake.BudgetModeTotal, BudgetMicros: 900_000_000}},
	}
	for i := range 25 {
		id := fmt.Sprintf("30%d", i)
		a.Ads = append(a.Ads, tiktokfake.Ad{ID: id, AdGroupID: "200", CampaignID: "100", IdentityType: tiktokfake.IdentityAuthCode,
			IdentityID: "ident", TikTokItemID: "7345678901234567890", LandingPageURL: "https://x.example/?utm_content=a"})
		a.Report = append(a.Report, tiktokfake.ReportRow{AdID: id, Day: "2026-03-01", SpendMicros: 42_170_000, Impressions: 10234,
			Purchases: 7, PurchaseValueMicros: 311_500_000})
	}
	return tiktokfake.Seed{Token: token, Advertisers: []tiktokfake.Advertiser{a}, Now: func() time.Time { return now },
		SparkPosts: []tiktokfake.SparkPost{{AuthCode: "#code", ItemID: "7345678901234567890", TikTokName: "jacq", IdentityID: "ident",
			AuthEnd: now.Add(time.Hour)}}}
}

type env struct {
	Code      int             `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
}

func setup(t *testing.T) (*tiktokfake.Server, *httptest.Server) {
	t.Helper()
	f := tiktokfake.New(seed())
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func do(t *testing.T, srv *httptest.Server, method, path string, q url.Values, body any, tok string) (int, env) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	u := srv.URL + path
	if q != nil {
		u += "?" + q.Encode()
	}
	req, _ := http.NewRequest(method, u, rd)
	if tok != "" {
		req.Header.Set("Access-Token", tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e env
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatalf("body %s is not an envelope: %v", raw, err)
		}
		if e.RequestID == "" {
			t.Errorf("envelope without request_id: %s", raw)
		}
	}
	return resp.StatusCode, e
}

func reportQuery(start, end, pageSize string) url.Values {
	q := url.Values{}
	q.Set("advertiser_id", adv)
	q.Set("report_type", "BASIC")
	q.Set("data_level", "AUCTION_AD")
	q.Set("dimensions", `["ad_id","stat_time_day"]`)
	q.Set("metrics", `["spend","impressions","complete_payment","total_complete_payment_rate","adgroup_id"]`)
	q.Set("start_date", start)
	q.Set("end_date", end)
	if pageSize != "" {
		q.Set("page_size", pageSize)
	}
	return q
}

func TestEnforcesDocumentedLimits(t *testing.T) {
	t.Parallel()
	_, srv := setup(t)
	adQ := func(size string) url.Values {
		return url.Values{"advertiser_id": {adv}, "page_size": {size}}
	}
	for _, tc := range []struct {
		name       string
		method     string
		path       string
		q          url.Values
		body       any
		tok        string
		wantStatus int
		wantCode   int
	}{
		{"ok", "GET", "/open_api/v1.3/ad/get/", adQ("1000"), nil, token, 200, 0},
		{"page_size over 1000", "GET", "/open_api/v1.3/ad/get/", adQ("1001"), nil, token, 200, 40002},
		{"page_size zero", "GET", "/open_api/v1.3/ad/get/", adQ("0"), nil, token, 200, 40002},
		{"spark list page_size over 50", "GET", "/open_api/v1.3/tt_video/list/", adQ("51"), nil, token, 200, 40002},
		{"report 30 days", "GET", "/open_api/v1.3/report/integrated/get/", reportQuery("2026-02-01", "2026-03-02", "1000"), nil, token, 200, 0},
		{"report 31 days", "GET", "/open_api/v1.3/report/integrated/get/", reportQuery("2026-02-01", "2026-03-03", ""), nil, token, 200, 40002},
		{"report end before start", "GET", "/open_api/v1.3/report/integrated/get/", reportQuery("2026-02-02", "2026-02-01", ""), nil, token, 200, 40002},
		{"report page_size over 1000", "GET", "/open_api/v1.3/report/integrated/get/", reportQuery("2026-02-01", "2026-02-02", "1001"), nil, token, 200, 40002},
		{"no trailing slash is a bare 404", "GET", "/open_api/v1.3/ad/get", adQ("10"), nil, token, 404, 0},
		{"wrong method", "POST", "/open_api/v1.3/ad/get/", nil, map[string]any{}, token, 405, 0},
		{"missing token", "GET", "/open_api/v1.3/ad/get/", adQ("10"), nil, "", 200, 40104},
		{"wrong token", "GET", "/open_api/v1.3/ad/get/", adQ("10"), nil, "act.other", 200, 40105},
		{"unknown advertiser", "GET", "/open_api/v1.3/ad/get/", url.Values{"advertiser_id": {"9"}}, nil, token, 200, 40001},
		{"status update over 20 ids", "POST", "/open_api/v1.3/ad/status/update/", nil,
			map[string]any{"advertiser_id": adv, "ad_ids": strings.Split(strings.Repeat("300,", 21)[:83], ","), "operation_status": "DISABLE"}, token, 200, 40002},
		{"budget with too many decimals", "POST", "/open_api/v1.3/adgroup/budget/update/", nil,
			map[string]any{"advertiser_id": adv, "budget": []map[string]any{{"adgroup_id": "200", "budget": 12.345}}}, token, 200, 40002},
		{"budget update needs an array", "POST", "/open_api/v1.3/adgroup/budget/update/", nil,
			map[string]any{"advertiser_id": adv}, token, 200, 40002},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, e := do(t, srv, tc.method, tc.path, tc.q, tc.body, tc.tok)
			if status != tc.wantStatus || e.Code != tc.wantCode {
				t.Errorf("got HTTP %d code %d (%s), want HTTP %d code %d", status, e.Code, e.Message, tc.wantStatus, tc.wantCode)
			}
		})
	}
}

func TestDocumentedShapes(t *testing.T) {
	t.Parallel()
	_, srv := setup(t)
	_, e := do(t, srv, "GET", "/open_api/v1.3/report/integrated/get/", reportQuery("2026-03-01", "2026-03-01", "10"), nil, token)
	var rep struct {
		List []struct {
			Dimensions map[string]any `json:"dimensions"`
			Metrics    map[string]any `json:"metrics"`
		} `json:"list"`
		PageInfo map[string]any `json:"page_info"`
	}
	if err := json.Unmarshal(e.Data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.List) != 10 || rep.PageInfo["total_number"] != 25.0 || rep.PageInfo["total_page"] != 3.0 || rep.PageInfo["page_size"] != 10.0 {
		t.Fatalf("page_info %v with %d rows, want 25 rows in 3 pages of 10", rep.PageInfo, len(rep.List))
	}
	row := rep.List[0]
	want := map[string]any{"spend": "42.17", "impressions": "10234", "complete_payment": "7", "total_complete_payment_rate": "311.50", "adgroup_id": "200"}
	for k, v := range want {
		if row.Metrics[k] != v {
			t.Errorf("metric %s = %#v, want the string %#v", k, row.Metrics[k], v)
		}
	}
	if row.Dimensions["stat_time_day"] != "2026-03-01 00:00:00" || row.Dimensions["ad_id"] != "300" {
		t.Errorf("dimensions %v", row.Dimensions)
	}

	_, e = do(t, srv, "GET", "/open_api/v1.3/adgroup/get/", url.Values{"advertiser_id": {adv}}, nil, token)
	var groups struct {
		List []map[string]any `json:"list"`
	}
	json.Unmarshal(e.Data, &groups)
	if len(groups.List) != 2 || groups.List[0]["budget"] != 50.0 || groups.List[0]["adgroup_id"] != "200" {
		t.Errorf("ad groups %v, want budget as the number 50 and adgroup_id as a string", groups.List)
	}

	_, e = do(t, srv, "GET", "/open_api/v1.3/ad/get/", url.Values{"advertiser_id": {adv}, "fields": {`["ad_id","video_id","tiktok_item_id"]`}}, nil, token)
	var adsList struct {
		List []map[string]any `json:"list"`
	}
	json.Unmarshal(e.Data, &adsList)
	if len(adsList.List) != 10 {
		t.Fatalf("got %d ads, want the default page of 10", len(adsList.List))
	}
	if a := adsList.List[0]; len(a) != 3 || a["video_id"] != nil || a["tiktok_item_id"] != "7345678901234567890" {
		t.Errorf("ad %v, want only the requested fields, video_id null", a)
	}
}

func TestSparkAndKnobs(t *testing.T) {
	t.Parallel()
	f, srv := setup(t)
	body := map[string]any{"advertiser_id": adv, "auth_code": "#code"}
	if _, e := do(t, srv, "POST", "/open_api/v1.3/tt_video/authorize/", nil, body, token); e.Code != 0 {
		t.Fatalf("authorize: %d %s", e.Code, e.Message)
	}
	if _, e := do(t, srv, "POST", "/open_api/v1.3/tt_video/authorize/", nil, body, token); e.Code != 40002 {
		t.Errorf("re-authorize code %d, want 40002", e.Code)
	}
	p, _ := f.Spark("#code")
	if p.Advertiser != adv || !p.AuthStart.Equal(now) {
		t.Errorf("post after authorize %+v", p)
	}
	f.ExpireSpark("#code")
	_, e := do(t, srv, "GET", "/open_api/v1.3/tt_video/list/", url.Values{"advertiser_id": {adv}}, nil, token)
	if !strings.Contains(string(e.Data), `"ad_auth_status":"EXPIRED"`) {
		t.Errorf("list after expiry: %s", e.Data)
	}

	f.RateLimit(1)
	f.FailNext(1, 50000)
	f.FailNext(1, 502)
	q := url.Values{"advertiser_id": {adv}}
	for _, want := range []struct{ status, code int }{{200, 40100}, {200, 50000}, {502, 0}, {200, 0}} {
		status, e := do(t, srv, "GET", "/open_api/v1.3/ad/get/", q, nil, token)
		if status != want.status || e.Code != want.code {
			t.Errorf("got HTTP %d code %d, want HTTP %d code %d", status, e.Code, want.status, want.code)
		}
	}
	f.ExpireToken()
	if _, e := do(t, srv, "GET", "/open_api/v1.3/ad/get/", q, nil, token); e.Code != 40102 {
		t.Errorf("expired token code %d, want 40102", e.Code)
	}
	f.RestoreToken()
	calls := f.Calls()
	if n := len(calls); n != 8 {
		t.Errorf("recorded %d calls, want 8", n)
	}
	for _, c := range calls {
		if strings.Contains(fmt.Sprint(c), token) {
			t.Errorf("call record holds the token: %+v", c)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	f, srv := setup(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				f.Restate(adv, "2026-03-01", func(r *tiktokfake.ReportRow) { r.Impressions++ })
			}
			do(t, srv, "GET", "/open_api/v1.3/report/integrated/get/", reportQuery("2026-03-01", "2026-03-01", ""), nil, token)
		}()
	}
	wg.Wait()
	if n := len(f.Calls()); n != 8 {
		t.Errorf("recorded %d calls, want 8", n)
	}
}

func TestBudgetUpdateImmediateAndScheduled(t *testing.T) {
	t.Parallel()
	f, srv := setup(t)
	body := map[string]any{"advertiser_id": adv,
		"budget":           []map[string]any{{"adgroup_id": "201", "budget": 960.5}},
		"scheduled_budget": []map[string]any{{"adgroup_id": "200", "scheduled_budget": 75.25}}}
	if _, e := do(t, srv, "POST", "/open_api/v1.3/adgroup/budget/update/", nil, body, token); e.Code != 0 || string(e.Data) != "{}" {
		t.Fatalf("budget update: code %d data %s", e.Code, e.Data)
	}
	daily, _ := f.AdGroup(adv, "200")
	lifetime, _ := f.AdGroup(adv, "201")
	if daily.BudgetMicros != 50_000_000 || daily.ScheduledBudgetMicros != 75_250_000 || lifetime.BudgetMicros != 960_500_000 {
		t.Errorf("after update daily %+v, lifetime %+v; want 50.00 with 75.25 scheduled, and 960.50 now", daily, lifetime)
	}
	// budget[] updates lifetime budgets only; scheduled_budget[] daily ones.
	for _, bad := range []map[string]any{
		{"advertiser_id": adv, "budget": []map[string]any{{"adgroup_id": "200", "budget": 60.5}}},
		{"advertiser_id": adv, "scheduled_budget": []map[string]any{{"adgroup_id": "201", "scheduled_budget": 60.5}}},
	} {
		if _, e := do(t, srv, "POST", "/open_api/v1.3/adgroup/budget/update/", nil, bad, token); e.Code != tiktokfake.CodeInvalidParam {
			t.Errorf("%v answered code %d, want 40002", bad, e.Code)
		}
	}
}
