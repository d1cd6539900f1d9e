package metafake_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/metaads/metafake"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

const token = "fake-token"

func seed() metafake.Seed {
	return metafake.Seed{
		Token: token,
		Now:   func() time.Time { return time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC) },
		Accounts: []metafake.Account{{
			ID: "act_42", Name: "Glowco", Currency: "EUR", Timezone: "Europe/Berlin",
			AdSets: []metafake.AdSet{{ID: "600", CampaignID: "500", Name: "set", DailyBudget: 2500}},
			Ads: []metafake.Ad{
				{ID: "701", Name: "partnership", AdSetID: "600", CampaignID: "500", UpdatedTime: time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC),
					Creative: metafake.Creative{ID: "801", InstagramUserID: "1784", SponsorID: "1785", EffectiveInstagramMediaID: "1790",
						URLTags: "utm_content=hook-a", Link: "https://glowco.com/"}},
				{ID: "702", Name: "dark", AdSetID: "600", CampaignID: "500",
					Creative: metafake.Creative{ID: "802", PageID: "900", EffectiveObjectStoryID: "900_1", Link: "https://glowco.com/?utm_content=dark-1"}},
				{ID: "703", Name: "boosted", AdSetID: "600", CampaignID: "500", Status: "PAUSED",
					Creative: metafake.Creative{ID: "803", ObjectStoryID: "900_2", EffectiveObjectStoryID: "900_2"}},
				{ID: "704", Name: "deleted", AdSetID: "600", CampaignID: "500", EffectiveStatus: "DELETED"},
			},
			Insights: []metafake.Insight{
				{AdID: "701", Day: "2026-06-01", SpendMicros: 12_340_000, Impressions: 1000, Clicks: 12, InlinePostEngagement: 40,
					Actions:      []metafake.Action{{Type: "omni_purchase", Value: 2, Windows: map[string]int64{"7d_click": 1, "1d_view": 1}}},
					ActionValues: []metafake.Action{{Type: "omni_purchase", Value: 90_500_000, Windows: map[string]int64{"7d_click": 45_250_000, "1d_view": 45_250_000}}}},
				{AdID: "702", Day: "2026-06-01", SpendMicros: 500_000, Impressions: 10},
			},
		}},
		Permissions: []metafake.Permission{{ID: "p1", BrandIGID: "1785", CreatorUsername: "jacq", CreatorID: "1784", Status: "APPROVED",
			Media: []metafake.Media{{ID: "1790", Permalink: "https://www.instagram.com/p/X/", HasPermission: true}}}},
	}
}

func do(t *testing.T, h http.Handler, method, target string, form url.Values, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result(), rec.Body.Bytes()
}

// TestGolden pins the JSON shapes the fake serves; compare them with the
// Graph API reference when changing the fake (go test -update rewrites).
func TestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, target string
		form                 url.Values
	}{
		{"account", "GET", "/v25.0/act_42?fields=id,name,currency,timezone_name", nil},
		{"ads", "GET", "/v25.0/act_42/ads?limit=2&fields=id,name,status,effective_status,adset_id,campaign_id,updated_time,creative{id,url_tags,object_story_spec,instagram_user_id,instagram_branded_content}", nil},
		{"ads_default_fields", "GET", "/v25.0/act_42/ads?limit=2", nil},
		{"insights", "GET", `/v25.0/act_42/insights?level=ad&time_increment=1&time_range={"since":"2026-06-01","until":"2026-06-01"}&action_attribution_windows=["7d_click","1d_view"]&fields=ad_id,date_start,date_stop,spend,impressions,clicks,inline_post_engagement,actions,action_values,account_currency`, nil},
		{"report_run", "POST", "/v25.0/act_42/insights", url.Values{"level": {"ad"}, "time_increment": {"1"}, "time_range": {`{"since":"2026-06-01","until":"2026-06-02"}`}}},
		{"permissions", "GET", "/v25.0/1785/branded_content_ad_permissions?fields=id,creator_username,creator_id,status,permission_status", nil},
		{"advertisable_medias", "GET", "/v25.0/1785/branded_content_advertisable_medias?creator_username=jacq&fields=id,permalink,owner_id,has_permission_for_partnership_ad,eligibility_errors", nil},
		{"advertisable_content", "GET", "/v25.0/100000000000001/partnership-ads-advertisable-content?ig_user_id=1785&limit=50&fields=content_id,platform,media_type,post_type,permalink,ad_usage,author{display_name,ig_user_id},partnership_info{ad_eligibility,permission_status}", nil},
		{"advertisable_content_default_fields", "GET", "/v25.0/100000000000001/partnership-ads-advertisable-content?ig_user_id=1785", nil},
		{"adset", "GET", "/v25.0/600?fields=daily_budget", nil},
		{"adset_default_fields", "GET", "/v25.0/600", nil},
		{"not_found", "GET", "/v25.0/999", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := metafake.New(seed())
			target := strings.NewReplacer(`{`, "%7B", `}`, "%7D", `"`, "%22", `[`, "%5B", `]`, "%5D").Replace(tt.target)
			_, body := do(t, f, tt.method, target, tt.form, nil)
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatalf("body is not JSON: %s", body)
			}
			got, _ := json.MarshalIndent(v, "", "  ")
			got = append(got, '\n')
			path := filepath.Join("testdata", tt.name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("reading golden file (run with -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s %s:\ngot:\n%s\nwant:\n%s", tt.method, tt.target, got, want)
			}
		})
	}
}

func TestPagingNextURLUsesRequestHost(t *testing.T) {
	t.Parallel()
	f := metafake.New(seed())
	_, body := do(t, f, "GET", "/v25.0/act_42/ads?limit=1&access_token="+token, nil, map[string]string{"Authorization": ""})
	var pg struct {
		Data   []map[string]any
		Paging struct {
			Cursors struct{ Before, After string }
			Next    string
		}
	}
	if err := json.Unmarshal(body, &pg); err != nil {
		t.Fatal(err)
	}
	if len(pg.Data) != 1 || pg.Paging.Cursors.After == "" || !strings.HasPrefix(pg.Paging.Next, "http://example.com/v25.0/act_42/ads?") {
		t.Fatalf("page = %s", body)
	}
	// Follow next links to the end on another host name.
	srv := httptest.NewServer(f)
	defer srv.Close()
	next := srv.URL + "/v25.0/act_42/ads?limit=1&access_token=" + token
	var ids []string
	for next != "" {
		resp, err := http.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		pg.Paging.Next = ""
		pg.Data = nil
		if err := json.Unmarshal(b, &pg); err != nil {
			t.Fatal(err)
		}
		for _, d := range pg.Data {
			ids = append(ids, d["id"].(string))
		}
		if pg.Paging.Next != "" && !strings.HasPrefix(pg.Paging.Next, srv.URL) {
			t.Fatalf("next %q is not on %s", pg.Paging.Next, srv.URL)
		}
		next = pg.Paging.Next
	}
	if strings.Join(ids, ",") != "701,702,703" {
		t.Errorf("ids = %v, want 701,702,703 (deleted ads left out)", ids)
	}
}

func TestAuthAndFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		seedSecret string
		knobs      func(*metafake.Server)
		hdr        map[string]string
		target     string
		wantStatus int
		wantCode   float64
		wantHeader string
	}{
		{"ok", "", nil, nil, "/v25.0/act_42", 200, 0, "X-Ad-Account-Usage"},
		{"no token", "", nil, map[string]string{"Authorization": ""}, "/v25.0/act_42", 400, 104, ""},
		{"wrong token", "", nil, map[string]string{"Authorization": "Bearer nope"}, "/v25.0/act_42", 400, 190, ""},
		{"token as parameter", "", nil, map[string]string{"Authorization": ""}, "/v25.0/act_42?access_token=" + token, 200, 0, ""},
		{"expired", "", func(f *metafake.Server) { f.ExpireToken() }, nil, "/v25.0/act_42", 400, 190, ""},
		{"missing proof", "s3cret", nil, nil, "/v25.0/act_42", 400, 100, ""},
		{"bad proof", "s3cret", nil, nil, "/v25.0/act_42?appsecret_proof=00", 400, 100, ""},
		{"good proof", "s3cret", nil, nil, "/v25.0/act_42?appsecret_proof=" + proof("s3cret"), 200, 0, ""},
		{"throttled insights", "", func(f *metafake.Server) { f.Throttle(1, 3*time.Minute) }, nil, "/v25.0/act_42/insights", 400, 80000, "X-FB-Ads-Insights-Throttle"},
		{"throttled ads", "", func(f *metafake.Server) { f.Throttle(1, time.Minute) }, nil, "/v25.0/act_42/ads", 400, 80004, "X-Business-Use-Case-Usage"},
		{"injected 5xx", "", func(f *metafake.Server) { f.FailNext(1, 503, 0) }, nil, "/v25.0/act_42", 503, 0, ""},
		{"injected permission", "", func(f *metafake.Server) { f.FailNext(1, 403, 200) }, nil, "/v25.0/act_42", 403, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := seed()
			s.AppSecret = tt.seedSecret
			f := metafake.New(s)
			if tt.knobs != nil {
				tt.knobs(f)
			}
			resp, body := do(t, f, "GET", tt.target, nil, tt.hdr)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantCode != 0 {
				var env struct{ Error map[string]any }
				if err := json.Unmarshal(body, &env); err != nil || env.Error["code"] != tt.wantCode || env.Error["fbtrace_id"] == "" {
					t.Errorf("body = %s, want error code %v with fbtrace_id", body, tt.wantCode)
				}
			}
			if tt.wantHeader != "" && resp.Header.Get(tt.wantHeader) == "" {
				t.Errorf("missing header %s", tt.wantHeader)
			}
			if calls := f.Calls(); len(calls) != 1 || calls[0].Status != tt.wantStatus {
				t.Errorf("calls = %+v, want one with status %d", calls, tt.wantStatus)
			}
		})
	}
}

func TestThrottleHeadersSayWhenToRetry(t *testing.T) {
	t.Parallel()
	f := metafake.New(seed())
	f.Throttle(1, 150*time.Second)
	resp, _ := do(t, f, "GET", "/v25.0/act_42/insights", nil, nil)
	var buc map[string][]map[string]any
	if err := json.Unmarshal([]byte(resp.Header.Get("X-Business-Use-Case-Usage")), &buc); err != nil {
		t.Fatal(err)
	}
	e := buc[metafake.DefaultBusinessID][0]
	if e["type"] != "ads_insights" || e["estimated_time_to_regain_access"] != 3.0 || e["call_count"] != 100.0 {
		t.Errorf("X-Business-Use-Case-Usage = %v, want ads_insights at 100%% regaining in 3 minutes", e)
	}
}

func TestAsyncRunLifecycle(t *testing.T) {
	t.Parallel()
	f := metafake.New(seed())
	f.AsyncRunning(1)
	form := url.Values{"level": {"ad"}, "time_increment": {"1"}, "time_range": {`{"since":"2026-06-01","until":"2026-06-30"}`}}
	_, body := do(t, f, "POST", "/v25.0/act_42/insights", form, nil)
	var created struct {
		ID string `json:"report_run_id"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.ID == "" {
		t.Fatalf("create = %s", body)
	}
	status := func() string {
		_, b := do(t, f, "GET", "/v25.0/"+created.ID+"?fields=async_status", nil, nil)
		var st struct {
			Status string `json:"async_status"`
		}
		_ = json.Unmarshal(b, &st)
		return st.Status
	}
	if s := status(); s != "Job Running" {
		t.Errorf("first poll = %q, want Job Running", s)
	}
	if s := status(); s != "Job Completed" {
		t.Errorf("second poll = %q, want Job Completed", s)
	}
	_, body = do(t, f, "GET", "/v25.0/"+created.ID+"/insights", nil, nil)
	var pg struct{ Data []map[string]any }
	if err := json.Unmarshal(body, &pg); err != nil || len(pg.Data) != 2 {
		t.Errorf("results = %s, want 2 rows", body)
	}
}

func TestPostUpdates(t *testing.T) {
	t.Parallel()
	f := metafake.New(seed())
	if resp, b := do(t, f, "POST", "/v25.0/701", url.Values{"status": {"PAUSED"}}, nil); resp.StatusCode != 200 || !strings.Contains(string(b), `"success":true`) {
		t.Fatalf("pause = %d %s", resp.StatusCode, b)
	}
	if ad, _ := f.Ad("701"); ad.EffectiveStatus != "PAUSED" {
		t.Errorf("ad = %+v, want PAUSED", ad)
	}
	if resp, _ := do(t, f, "POST", "/v25.0/701", url.Values{"status": {"SLEEPING"}}, nil); resp.StatusCode != 400 {
		t.Errorf("bad status accepted: %d", resp.StatusCode)
	}
	if resp, _ := do(t, f, "POST", "/v25.0/600", url.Values{"daily_budget": {"3000"}}, nil); resp.StatusCode != 200 {
		t.Errorf("budget change = %d", resp.StatusCode)
	}
	if as, _ := f.AdSet("600"); as.DailyBudget != 3000 {
		t.Errorf("ad set = %+v, want budget 3000", as)
	}
}

func proof(secret string) string {
	// hex HMAC-SHA256("fake-token") keyed by "s3cret", from an independent
	// implementation (python hmac).
	if secret != "s3cret" {
		panic("unknown secret")
	}
	return "28ed2c3e619b5ba00df6cee7643e30c925c470c52317ca18935075f8256874df"
}

// TestJSONBodies: the official Node SDK posts JSON; pausing an ad,
// changing a budget and creating a report run work the same as with a
// form.
func TestJSONBodies(t *testing.T) {
	t.Parallel()
	f := metafake.New(seed())
	post := func(target, body string) (int, string) {
		req := httptest.NewRequest("POST", target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if code, body := post("/v25.0/701", `{"status":"PAUSED"}`); code != 200 || !strings.Contains(body, `"success":true`) {
		t.Errorf("pause with JSON = %d %s", code, body)
	}
	if ad, _ := f.Ad("701"); ad.Status != "PAUSED" {
		t.Errorf("ad after a JSON pause = %+v", ad)
	}
	if code, body := post("/v25.0/600", `{"daily_budget":7500}`); code != 200 || !strings.Contains(body, `"success":true`) {
		t.Errorf("budget with JSON = %d %s", code, body)
	}
	if as, _ := f.AdSet("600"); as.DailyBudget != 7500 {
		t.Errorf("daily budget after a JSON update = %d, want 7500", as.DailyBudget)
	}
	code, body := post("/v25.0/act_42/insights", `{"level":"ad","time_increment":1,"time_range":{"since":"2026-06-01","until":"2026-06-02"},"fields":"ad_id,spend"}`)
	if code != 200 || !strings.Contains(body, `"report_run_id"`) {
		t.Errorf("report run with JSON = %d %s", code, body)
	}
	if code, body := post("/v25.0/701", `{"status":`); code != 400 || !strings.Contains(body, `"code":100`) {
		t.Errorf("broken JSON = %d %s, want a Graph error 100", code, body)
	}
}

// TestThrottleErrorShapes: throttles carry Meta's subcodes and
// is_transient.
func TestThrottleErrorShapes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ code, subcode int }{{17, 2446079}, {613, 1487742}} {
		f := metafake.New(seed())
		f.FailNext(1, 400, tt.code)
		_, body := do(t, f, "GET", "/v25.0/act_42?fields=id", nil, nil)
		var env struct {
			Error struct {
				Code        int  `json:"code"`
				Subcode     int  `json:"error_subcode"`
				IsTransient bool `json:"is_transient"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &env); err != nil || env.Error.Code != tt.code || env.Error.Subcode != tt.subcode || !env.Error.IsTransient {
			t.Errorf("code %d: error = %s, want subcode %d and is_transient", tt.code, body, tt.subcode)
		}
	}
}

// TestRetiredWindowsAreNotReturned: from 2026-01-12 Meta accepts 7d_view
// and 28d_view in action_attribution_windows but returns no values for
// them; before that day it still did.
func TestRetiredWindowsAreNotReturned(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		now     time.Time
		present bool
	}{
		{"before", time.Date(2026, 1, 11, 12, 0, 0, 0, time.UTC), true},
		{"after", time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sd := seed()
			sd.Now = func() time.Time { return tt.now }
			sd.Accounts[0].Insights[0].Actions[0].Windows["7d_view"] = 3
			f := metafake.New(sd)
			target := strings.NewReplacer(`{`, "%7B", `}`, "%7D", `"`, "%22", `[`, "%5B", `]`, "%5D").Replace(
				`/v25.0/act_42/insights?level=ad&time_increment=1&time_range={"since":"2026-06-01","until":"2026-06-01"}&action_attribution_windows=["7d_click","7d_view"]&fields=ad_id,actions`)
			resp, body := do(t, f, "GET", target, nil, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("HTTP %d: %s", resp.StatusCode, body)
			}
			var page struct {
				Data []struct {
					Actions []map[string]string `json:"actions"`
				} `json:"data"`
			}
			if err := json.Unmarshal(body, &page); err != nil || len(page.Data) == 0 || len(page.Data[0].Actions) == 0 {
				t.Fatalf("no actions: %s (%v)", body, err)
			}
			a := page.Data[0].Actions[0]
			if _, ok := a["7d_view"]; ok != tt.present {
				t.Errorf("7d_view returned = %v, want %v: %v", ok, tt.present, a)
			}
			if a["7d_click"] == "" {
				t.Errorf("7d_click missing: %v", a)
			}
		})
	}
}
