package metaads_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/metaads"
)

// docServer answers each path suffix with a testdata file modelled on the
// Graph API reference (not produced by metafake), so the client is checked
// against shapes the fake does not emit.
func docServer(t *testing.T, routes map[string]string, hdr http.Header, status int) *metaads.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for suffix, file := range routes {
			if strings.HasSuffix(r.URL.Path, suffix) {
				b, err := os.ReadFile(filepath.Join("testdata", file))
				if err != nil {
					t.Error(err)
				}
				for k, vs := range hdr {
					w.Header()[k] = vs
				}
				w.WriteHeader(status)
				w.Write(b)
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return metaads.New(metaads.Options{BaseURL: srv.URL + "/v24.0", AccessToken: testToken, RetryMax: -1,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond})
}

func TestDocShapeAds(t *testing.T) {
	t.Parallel()
	c := docServer(t, map[string]string{"/v24.0/act_7/ads": "docs_ads.json"}, nil, 200)
	got, err := c.Ads(t.Context(), "act_7")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d ads, want 2", len(got))
	}
	v := got[0]
	if v.Kind != ads.Whitelisted || v.CreatorIdentity != "17841401111111111" || v.ItemID != "17900000000000001" ||
		v.Status != "CAMPAIGN_PAUSED" || v.UTM.Content != "vid-1" || v.LinkURL != "https://glowco.com/p?utm_source=ig&utm_content=vid-1" ||
		!v.UpdatedAt.Equal(time.Date(2026, 6, 4, 0, 21, 9, 0, time.UTC)) {
		t.Errorf("video partnership ad = %+v", v)
	}
	d := got[1]
	if d.Kind != ads.Dark || d.ItemID != "1122334455_1000" || d.UTM != (ads.UTM{Source: "meta", Medium: "paid", Campaign: "summer", Content: "dark-1"}) {
		t.Errorf("dark ad = %+v", d)
	}
}

func TestDocShapeInsights(t *testing.T) {
	t.Parallel()
	c := docServer(t, map[string]string{"/act_7/insights": "docs_insights.json"}, nil, 200)
	got, err := c.DayStats(t.Context(), "7", ads.DateRange{From: day0, To: day0}, []string{"7d_click", "1d_view"})
	if err != nil {
		t.Fatal(err)
	}
	want := ads.DayStat{Platform: ads.Meta, Account: "act_7", AdID: "120210000000000001", Day: day0, Currency: "JPY",
		Spend: 1520 * ads.MicrosPerUnit, Impressions: 8123, Clicks: 91, Engagements: 143, Views: 2000,
		Conversions: 4, ConversionValue: 24000 * ads.MicrosPerUnit}
	if len(got) != 1 || got[0] != want {
		t.Errorf("DayStats = %+v\nwant %+v", got, want)
	}
}

func TestDocShapePermissions(t *testing.T) {
	t.Parallel()
	c := docServer(t, map[string]string{"/branded_content_ad_permissions": "docs_permissions.json", "/branded_content_advertisable_medias": "docs_media.json"}, nil, 200)
	got, err := c.Permissions(t.Context(), "act_7", "", "1234")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Status != ads.PermissionActive || got[0].Creator != "jaspersmarket" ||
		got[1].Status != ads.PermissionRevoked || !got[1].GrantedAt.Equal(time.Unix(1780000000, 0)) {
		t.Errorf("Permissions = %+v", got)
	}
}

func TestDocShapeThrottleError(t *testing.T) {
	t.Parallel()
	hdr := http.Header{
		"X-Business-Use-Case-Usage": {`{"987654321":[{"type":"ads_management","call_count":100,"total_cputime":34,"total_time":42,"estimated_time_to_regain_access":25,"ads_api_access_tier":"standard_access"}]}`},
		"X-Ad-Account-Usage":        {`{"acc_id_util_pct":100,"reset_time_duration":120,"ads_api_access_tier":"standard_access"}`},
	}
	c := docServer(t, map[string]string{"/ads": "docs_error_user_limit.json"}, hdr, 400)
	_, err := c.Ads(t.Context(), "act_7")
	var ae *ads.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *ads.APIError", err)
	}
	if ae.Kind != ads.KindRateLimited || ae.Code != 17 || ae.Subcode != 2446079 || ae.TraceID != "A1b2C3d4E5f" || ae.RetryAfter != 25*time.Minute {
		t.Errorf("err = %+v, want rate limited 17/2446079 retry after 25m", ae)
	}
	if !strings.Contains(ae.Error(), "too many calls from this ad-account") {
		t.Errorf("error %q lacks the user message", ae.Error())
	}
}

func TestParseUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		hdr    http.Header
		pct    float64
		regain time.Duration
	}{
		{"none", http.Header{}, 0, 0},
		{"insights throttle", http.Header{"X-Fb-Ads-Insights-Throttle": {`{"app_id_util_pct":12.5,"acc_id_util_pct":96}`}}, 96, 0},
		{"app usage", http.Header{"X-App-Usage": {`{"call_count":91,"total_cputime":3,"total_time":4}`}}, 91, 0},
		{"account reset", http.Header{"X-Ad-Account-Usage": {`{"acc_id_util_pct":100,"reset_time_duration":90}`}}, 100, 90 * time.Second},
		{"retry-after", http.Header{"Retry-After": {"7"}}, 0, 7 * time.Second},
		{"garbage", http.Header{"X-Business-Use-Case-Usage": {"{not json"}}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := metaads.ParseUsage(tt.hdr)
			if u.MaxPct != tt.pct || u.RegainIn != tt.regain {
				t.Errorf("ParseUsage = %+v, want pct %v regain %s", u, tt.pct, tt.regain)
			}
		})
	}
}
