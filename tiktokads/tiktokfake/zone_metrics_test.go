package tiktokfake_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// TestAdvertiserInfoReportsAccountZoneAndDisplayZone: a real advertiser
// record carries timezone "Etc/GMT+8" beside display_timezone
// "America/Los_Angeles"; TikTok accounts keep a fixed offset (the zone's
// standard time, no daylight saving time).
func TestAdvertiserInfoReportsAccountZoneAndDisplayZone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ picked, timezone string }{
		{"America/Los_Angeles", "Etc/GMT+8"},
		{"America/New_York", "Etc/GMT+5"},
		{"Europe/Berlin", "Etc/GMT-1"},
		{"Australia/Sydney", "Etc/GMT-10"}, // southern summer time in January
		{"Asia/Kolkata", "Asia/Kolkata"},   // half-hour offsets have no Etc/ zone
		{"UTC", "Etc/GMT"},
	} {
		t.Run(tc.picked, func(t *testing.T) {
			t.Parallel()
			s := seed()
			s.Advertisers[0].Timezone = tc.picked
			srv := newServer(t, s)
			_, e := do(t, srv, "GET", "/open_api/v1.3/advertiser/info/", url.Values{"advertiser_ids": {`["` + adv + `"]`}}, nil, token)
			var d struct {
				List []map[string]any `json:"list"`
			}
			if err := json.Unmarshal(e.Data, &d); err != nil || len(d.List) != 1 {
				t.Fatalf("answer %s: %v", e.Data, err)
			}
			if got := d.List[0]; got["timezone"] != tc.timezone || got["display_timezone"] != tc.picked {
				t.Errorf("timezone %v, display_timezone %v; want %s and %s", got["timezone"], got["display_timezone"], tc.timezone, tc.picked)
			}
		})
	}
}

// TestReportAcceptsDocumentedMetrics: cpc, ctr, cpm, complete_payment_roas
// and the other documented metrics are accepted (computed where the fake
// has the figures); unknown names get TikTok's 40002 "Invalid metric
// fields: [...]".
func TestReportAcceptsDocumentedMetrics(t *testing.T) {
	t.Parallel()
	s := seed()
	s.Advertisers[0].Report[0].Clicks = 188
	srv := newServer(t, s)
	q := reportQuery("2026-03-01", "2026-03-01", "1")
	q.Set("metrics", `["spend","cpc","ctr","cpm","complete_payment_roas","cost_per_complete_payment","reach","video_watched_2s","campaign_name","real_time_conversion"]`)
	_, e := do(t, srv, "GET", "/open_api/v1.3/report/integrated/get/", q, nil, token)
	if e.Code != 0 {
		t.Fatalf("documented metrics refused: %d %s", e.Code, e.Message)
	}
	var rep struct {
		List []struct {
			Metrics map[string]any `json:"metrics"`
		} `json:"list"`
	}
	if err := json.Unmarshal(e.Data, &rep); err != nil || len(rep.List) != 1 {
		t.Fatalf("answer %s: %v", e.Data, err)
	}
	// Row: spend 42.17, 10234 impressions, 188 clicks, 7 purchases worth 311.50.
	want := map[string]any{"spend": "42.17", "cpc": "0.22", "ctr": "1.84", "cpm": "4.12", "complete_payment_roas": "7.39",
		"cost_per_complete_payment": "6.02", "reach": "0", "video_watched_2s": "0", "campaign_name": "-", "real_time_conversion": "0"}
	for k, v := range want {
		if got := rep.List[0].Metrics[k]; got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}

	for _, tc := range []struct{ metrics, message string }{
		{`["spend","video_views"]`, "Invalid metric fields: ['video_views']."},
		{`["placement","cpc","purchase_roas"]`, "Invalid metric fields: ['placement', 'purchase_roas']."},
	} {
		q.Set("metrics", tc.metrics)
		_, e := do(t, srv, "GET", "/open_api/v1.3/report/integrated/get/", q, nil, token)
		if e.Code != tiktokfake.CodeInvalidParam || e.Message != tc.message {
			t.Errorf("metrics %s answered %d %q, want 40002 %q", tc.metrics, e.Code, e.Message, tc.message)
		}
	}
}

func newServer(t *testing.T, s tiktokfake.Seed) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(tiktokfake.New(s))
	t.Cleanup(srv.Close)
	return srv
}
