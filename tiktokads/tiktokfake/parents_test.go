package tiktokfake_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// TestParentDisable: disabling a campaign or an ad group (as a person does
// in Ads Manager) moves that parent's modify_time, turns the
// secondary_status of its enabled ads AD_STATUS_CAMPAIGN_DISABLE (the
// campaign first) or AD_STATUS_ADGROUP_DISABLE, and leaves the ads' own
// modify_time: modified_after on /ad/get/ does not list them, on
// /campaign/get/ and /adgroup/get/ it lists the parent. /ad/get/ filters
// on campaign_ids and adgroup_ids (1 to MaxFilterIDs each); an unknown
// filter field or another count is 40002.
func TestParentDisable(t *testing.T) {
	t.Parallel()
	after := now.Add(-time.Second).UTC().Format("2006-01-02 15:04:05")
	many := make([]string, tiktokfake.MaxFilterIDs+1)
	for i := range many {
		many[i] = fmt.Sprint(900 + i)
	}
	tests := []struct {
		name    string
		disable func(f *tiktokfake.Server) bool
		path    string
		filter  map[string]any
		want    []string // ids listed, with their secondary_status (ads) or operation_status (parents)
		code    int
		msg     string
	}{
		{name: "nothing disabled", path: "/ad/get/", filter: map[string]any{"adgroup_ids": []string{"201"}},
			want: []string{"300 AD_STATUS_DELIVERY_OK", "301 AD_STATUS_DISABLE"}},
		{name: "a disabled campaign", disable: func(f *tiktokfake.Server) bool { return f.SetCampaignStatus(adv, "100", "DISABLE") },
			path: "/ad/get/", filter: map[string]any{"campaign_ids": []string{"100"}, "ad_ids": []string{"300", "301", "302"}},
			want: []string{"300 AD_STATUS_CAMPAIGN_DISABLE", "301 AD_STATUS_DISABLE", "302 AD_STATUS_CAMPAIGN_DISABLE"}},
		{name: "a disabled ad group", disable: func(f *tiktokfake.Server) bool { return f.SetAdGroupStatus(adv, "201", "DISABLE") },
			path: "/ad/get/", filter: map[string]any{"campaign_ids": []string{"100"}, "ad_ids": []string{"300", "301", "302"}},
			want: []string{"300 AD_STATUS_ADGROUP_DISABLE", "301 AD_STATUS_DISABLE", "302 AD_STATUS_DELIVERY_OK"}},
		{name: "both: the campaign's", disable: func(f *tiktokfake.Server) bool {
			return f.SetAdGroupStatus(adv, "201", "DISABLE") && f.SetCampaignStatus(adv, "100", "DISABLE")
		}, path: "/ad/get/", filter: map[string]any{"adgroup_ids": []string{"201"}},
			want: []string{"300 AD_STATUS_CAMPAIGN_DISABLE", "301 AD_STATUS_DISABLE"}},
		{name: "the ads' modify_time does not move", disable: func(f *tiktokfake.Server) bool { return f.SetCampaignStatus(adv, "100", "DISABLE") },
			path: "/ad/get/", filter: map[string]any{"primary_status": "STATUS_ALL", "modified_after": after}, want: nil},
		{name: "the campaign's does", disable: func(f *tiktokfake.Server) bool { return f.SetCampaignStatus(adv, "100", "DISABLE") },
			path: "/campaign/get/", filter: map[string]any{"modified_after": after}, want: []string{"100 DISABLE"}},
		{name: "the ad group's does", disable: func(f *tiktokfake.Server) bool { return f.SetAdGroupStatus(adv, "201", "DISABLE") },
			path: "/adgroup/get/", filter: map[string]any{"primary_status": "STATUS_ALL", "modified_after": after}, want: []string{"201 DISABLE"}},
		{name: "an unknown filter field", path: "/ad/get/", filter: map[string]any{"campaign_id": []string{"100"}},
			code: 40002, msg: "filtering.campaign_id: unknown filter field"},
		{name: "too many campaign ids", path: "/ad/get/", filter: map[string]any{"campaign_ids": many},
			code: 40002, msg: fmt.Sprintf("filtering.campaign_ids: between 1 and %d ids", tiktokfake.MaxFilterIDs)},
		{name: "no ad group ids", path: "/ad/get/", filter: map[string]any{"adgroup_ids": []string{}},
			code: 40002, msg: fmt.Sprintf("filtering.adgroup_ids: between 1 and %d ids", tiktokfake.MaxFilterIDs)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := seed()
			a := &s.Advertisers[0]
			a.Campaigns = []tiktokfake.Campaign{{ID: "100", Name: "spring", ModifyTime: now.Add(-48 * time.Hour)}}
			for i := range a.AdGroups {
				a.AdGroups[i].ModifyTime = now.Add(-48 * time.Hour)
			}
			for i := range a.Ads {
				a.Ads[i].ModifyTime = now.Add(-24 * time.Hour)
			}
			a.Ads[0].AdGroupID = "201"
			a.Ads[1].AdGroupID, a.Ads[1].OperationStatus = "201", "DISABLE"
			f := tiktokfake.New(s)
			srv := httptest.NewServer(f)
			t.Cleanup(srv.Close)
			before := f.Ads(adv)
			if tt.disable != nil && !tt.disable(f) {
				t.Fatal("disable: no such parent")
			}
			q := url.Values{"advertiser_id": {adv}, "page_size": {"1000"}}
			b, _ := json.Marshal(tt.filter)
			q.Set("filtering", string(b))
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
					AdID            string `json:"ad_id"`
					AdGroupID       string `json:"adgroup_id"`
					CampaignID      string `json:"campaign_id"`
					OperationStatus string `json:"operation_status"`
					SecondaryStatus string `json:"secondary_status"`
					ModifyTime      string `json:"modify_time"`
				} `json:"list"`
			}
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range d.List {
				if o.ModifyTime == "" {
					t.Errorf("%+v has no modify_time", o)
				}
				switch tt.path {
				case "/ad/get/":
					got = append(got, o.AdID+" "+o.SecondaryStatus)
				case "/adgroup/get/":
					got = append(got, o.AdGroupID+" "+o.OperationStatus)
				default:
					got = append(got, o.CampaignID+" "+o.OperationStatus)
				}
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("listed %v, want %v", got, tt.want)
			}
			for i, ad := range f.Ads(adv) {
				if !ad.ModifyTime.Equal(before[i].ModifyTime) {
					t.Errorf("ad %s's modify_time moved to %v", ad.ID, ad.ModifyTime)
				}
			}
		})
	}
}
