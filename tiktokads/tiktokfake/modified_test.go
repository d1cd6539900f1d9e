package tiktokfake_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// TestModifiedAfter: /ad/get/ and /campaign/get/ list only the objects
// whose modify_time is after filtering.modified_after ("YYYY-MM-DD
// HH:MM:SS", UTC); every object carries a modify_time (the fake's start
// when the seed set none), it moves when the object changes (a status
// write, a deletion, an ad replaced), and a malformed value is answered
// 40002 in TikTok's envelope.
func TestModifiedAfter(t *testing.T) {
	t.Parallel()
	start := now // seed()'s clock
	at := func(d time.Duration) string { return start.Add(d).UTC().Format("2006-01-02 15:04:05") }
	tests := []struct {
		name   string
		path   string
		filter map[string]any
		change func(t *testing.T, f *tiktokfake.Server, srv *httptest.Server)
		want   []string
		code   int
		msg    string
	}{
		{name: "no filter lists every campaign", path: "/campaign/get/", want: []string{"100", "101"}},
		{name: "campaigns after a time", path: "/campaign/get/", filter: map[string]any{"modified_after": at(-time.Hour)}, want: []string{"101"}},
		{name: "a campaign modified at the second is not after it", path: "/campaign/get/",
			filter: map[string]any{"modified_after": at(-48 * time.Hour)}, want: []string{"101"}},
		{name: "ads modified after now", path: "/ad/get/", filter: map[string]any{"primary_status": "STATUS_ALL", "modified_after": at(0)}, want: nil},
		{name: "a disabled ad moves", path: "/ad/get/", filter: map[string]any{"primary_status": "STATUS_ALL", "modified_after": at(0)},
			change: func(t *testing.T, f *tiktokfake.Server, srv *httptest.Server) { setStatus(t, srv, "301", "DISABLE") }, want: []string{"301"}},
		{name: "a deleted ad moves and is listed with STATUS_ALL", path: "/ad/get/", filter: map[string]any{"primary_status": "STATUS_ALL", "modified_after": at(0)},
			change: func(t *testing.T, f *tiktokfake.Server, srv *httptest.Server) { setStatus(t, srv, "302", "DELETE") }, want: []string{"302"}},
		{name: "a deleted ad is not listed by default", path: "/ad/get/", filter: map[string]any{"modified_after": at(0)},
			change: func(t *testing.T, f *tiktokfake.Server, srv *httptest.Server) { setStatus(t, srv, "302", "DELETE") }, want: nil},
		{name: "a replaced ad moves", path: "/ad/get/", filter: map[string]any{"modified_after": at(0)},
			change: func(t *testing.T, f *tiktokfake.Server, srv *httptest.Server) {
				ad, _ := f.Ad(adv, "303")
				ad.LandingPageURL = "https://x.example/?utm_content=b"
				ad.ModifyTime = time.Time{}
				f.SetAd(adv, ad)
			}, want: []string{"303"}},
		{name: "an ISO time is refused", path: "/ad/get/", filter: map[string]any{"modified_after": "2026-03-10T12:00:00Z"},
			code: 40002, msg: "filtering.modified_after: time format should be YYYY-MM-DD HH:MM:SS"},
		{name: "a date is refused", path: "/campaign/get/", filter: map[string]any{"modified_after": "2026-03-10"},
			code: 40002, msg: "filtering.modified_after: time format should be YYYY-MM-DD HH:MM:SS"},
		{name: "a number is refused", path: "/ad/get/", filter: map[string]any{"modified_after": 1773144000},
			code: 40002, msg: "filtering: invalid JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := seed()
			clock := start
			s.Now = func() time.Time { return clock }
			s.Advertisers[0].Campaigns = []tiktokfake.Campaign{
				{ID: "100", Name: "cbo", BudgetOptimizeOn: true, BudgetMicros: 90_000_000, ModifyTime: start.Add(-48 * time.Hour)},
				{ID: "101", Name: "plain"},
			}
			f := tiktokfake.New(s)
			srv := httptest.NewServer(f)
			t.Cleanup(srv.Close)
			if tt.change != nil {
				clock = start.Add(time.Minute)
				tt.change(t, f, srv)
			}
			q := url.Values{"advertiser_id": {adv}, "page_size": {"1000"}, "fields": {`["ad_id","campaign_id","modify_time"]`}}
			if tt.filter != nil {
				b, _ := json.Marshal(tt.filter)
				q.Set("filtering", string(b))
			}
			_, e := do(t, srv, "GET", "/open_api/v1.3"+tt.path, q, nil, token)
			if tt.code != 0 {
				if e.Code != tt.code || e.Message != tt.msg {
					t.Errorf("got %d %q, want %d %q", e.Code, e.Message, tt.code, tt.msg)
				}
				return
			}
			if e.Code != 0 {
				t.Fatalf("code %d %s", e.Code, e.Message)
			}
			var d struct {
				List []struct {
					AdID       string `json:"ad_id"`
					CampaignID string `json:"campaign_id"`
					ModifyTime string `json:"modify_time"`
				} `json:"list"`
			}
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			var got []string
			seen := map[string]bool{}
			for _, o := range d.List {
				if o.ModifyTime == "" {
					t.Errorf("%+v has no modify_time", o)
				}
				id := o.AdID
				if tt.path == "/campaign/get/" {
					id = o.CampaignID
				}
				if tt.path == "/campaign/get/" || !seen[id] {
					got = append(got, id)
				}
				seen[id] = true
			}
			sort.Strings(got)
			if tt.path == "/ad/get/" && tt.filter == nil {
				t.Fatal("unfiltered ad list not expected")
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("listed %v, want %v", got, tt.want)
			}
		})
	}
}

func setStatus(t *testing.T, srv *httptest.Server, id, op string) {
	t.Helper()
	_, e := do(t, srv, "POST", "/open_api/v1.3/ad/status/update/", nil, map[string]any{"advertiser_id": adv, "ad_ids": []string{id}, "operation_status": op}, token)
	if e.Code != 0 {
		t.Fatalf("status %s of %s: %d %s", op, id, e.Code, e.Message)
	}
}
