package metafake_test

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/metaads/metafake"
)

// TestParentPause: pausing a campaign or an ad set (as a person does in
// Ads Manager, or by a write through the API) moves that parent's
// updated_time, turns the effective_status of its ACTIVE ads
// CAMPAIGN_PAUSED (the campaign first) or ADSET_PAUSED on the ads edge and
// the ad node, and leaves the ads' own updated_time: updated_since on the
// ads edge does not list them, on the campaigns and adsets edges it lists
// the parent. The ads edge filters on campaign.id and adset.id (IN, 1 to
// MaxFilterValues ids); another field, operator or count is error 100.
func TestParentPause(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC) // seed()'s clock
	since := strconv.FormatInt(start.Add(-time.Second).Unix(), 10)
	many := make([]string, metafake.MaxFilterValues+1)
	for i := range many {
		many[i] = strconv.Itoa(900 + i)
	}
	filter := func(field, op string, ids ...string) string {
		b, _ := json.Marshal([]map[string]any{{"field": field, "operator": op, "value": ids}})
		return string(b)
	}
	tests := []struct {
		name   string
		pause  func(f *metafake.Server) bool
		edge   string
		extra  url.Values
		want   []string // ids listed
		status map[string]string
		msg    string
	}{
		{name: "nothing paused", edge: "ads", extra: url.Values{"filtering": {filter("campaign.id", "IN", "500")}},
			want: []string{"701", "702", "703", "705"}, status: map[string]string{"701": "ACTIVE", "703": "PAUSED", "705": "ACTIVE"}},
		{name: "a paused campaign: its active ads turn CAMPAIGN_PAUSED", pause: func(f *metafake.Server) bool { return f.SetCampaignStatus("500", "PAUSED") },
			edge: "ads", extra: url.Values{"filtering": {filter("campaign.id", "IN", "500")}},
			want: []string{"701", "702", "703", "705"}, status: map[string]string{"701": "CAMPAIGN_PAUSED", "703": "PAUSED", "705": "CAMPAIGN_PAUSED"}},
		{name: "a paused ad set: its active ads turn ADSET_PAUSED", pause: func(f *metafake.Server) bool { return f.SetAdSetStatus("601", "PAUSED") },
			edge: "ads", extra: url.Values{"filtering": {filter("adset.id", "IN", "601")}},
			want: []string{"705"}, status: map[string]string{"705": "ADSET_PAUSED"}},
		{name: "campaign and ad set paused: the campaign's status", pause: func(f *metafake.Server) bool {
			return f.SetAdSetStatus("601", "PAUSED") && f.SetCampaignStatus("500", "PAUSED")
		}, edge: "ads", extra: url.Values{"filtering": {filter("adset.id", "IN", "601")}}, want: []string{"705"}, status: map[string]string{"705": "CAMPAIGN_PAUSED"}},
		{name: "the paused ads' updated_time does not move", pause: func(f *metafake.Server) bool { return f.SetCampaignStatus("500", "PAUSED") },
			edge: "ads", extra: url.Values{"updated_since": {since}}, want: nil},
		{name: "the paused campaign's does", pause: func(f *metafake.Server) bool { return f.SetCampaignStatus("500", "PAUSED") },
			edge: "campaigns", extra: url.Values{"updated_since": {since}}, want: []string{"500"}},
		{name: "the paused ad set's does", pause: func(f *metafake.Server) bool { return f.SetAdSetStatus("601", "PAUSED") },
			edge: "adsets", extra: url.Values{"updated_since": {since}}, want: []string{"601"}, status: map[string]string{"601": "PAUSED"}},
		{name: "an ad set under a paused campaign is CAMPAIGN_PAUSED", pause: func(f *metafake.Server) bool { return f.SetCampaignStatus("500", "PAUSED") },
			edge: "adsets", extra: url.Values{"effective_status": {`["CAMPAIGN_PAUSED"]`}}, want: []string{"600", "601"}},
		{name: "a status filter sees the derived status", pause: func(f *metafake.Server) bool { return f.SetAdSetStatus("601", "PAUSED") },
			edge: "ads", extra: url.Values{"effective_status": {`["ADSET_PAUSED"]`}}, want: []string{"705"}},
		{name: "an unknown filtering field", edge: "ads", extra: url.Values{"filtering": {filter("campaign_id", "IN", "500")}},
			msg: `100 OAuthException (#100) Filtering field "campaign_id" is invalid`},
		{name: "an unknown operator", edge: "ads", extra: url.Values{"filtering": {filter("campaign.id", "EQUAL", "500")}},
			msg: "100 OAuthException (#100) Param filtering[0][operator] must be IN for campaign.id"},
		{name: "too many ids", edge: "ads", extra: url.Values{"filtering": {filter("adset.id", "IN", many...)}},
			msg: "100 OAuthException (#100) Param filtering[0][value] must be an array of 1 to " + strconv.Itoa(metafake.MaxFilterValues) + " ids"},
		{name: "no ids", edge: "ads", extra: url.Values{"filtering": {filter("adset.id", "IN")}},
			msg: "100 OAuthException (#100) Param filtering[0][value] must be an array of 1 to " + strconv.Itoa(metafake.MaxFilterValues) + " ids"},
		{name: "not an array", edge: "ads", extra: url.Values{"filtering": {`{"field":"campaign.id"}`}},
			msg: `100 OAuthException (#100) Param filtering must be a JSON array of {"field","operator","value"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := seed()
			s.Now = func() time.Time { return start }
			a := &s.Accounts[0]
			a.Campaigns = []metafake.Campaign{{ID: "500", Name: "spring", Status: "ACTIVE", UpdatedTime: start.Add(-48 * time.Hour)}}
			a.AdSets[0].UpdatedTime = start.Add(-48 * time.Hour)
			a.AdSets = append(a.AdSets, metafake.AdSet{ID: "601", CampaignID: "500", Name: "set 2", DailyBudget: 2500, UpdatedTime: start.Add(-48 * time.Hour)})
			a.Ads = append(a.Ads, metafake.Ad{ID: "705", Name: "second set", AdSetID: "601", CampaignID: "500", UpdatedTime: start.Add(-48 * time.Hour)})
			for i := range a.Ads {
				if a.Ads[i].UpdatedTime.IsZero() {
					a.Ads[i].UpdatedTime = start.Add(-24 * time.Hour)
				}
			}
			f := metafake.New(s)
			before := f.Ads("act_42")
			if tt.pause != nil && !tt.pause(f) {
				t.Fatal("pause: no such parent")
			}
			q := url.Values{"fields": {"id,effective_status"}, "limit": {"500"}}
			if tt.edge != "campaigns" {
				q.Set("effective_status", `["ACTIVE","PAUSED","ADSET_PAUSED","CAMPAIGN_PAUSED","ARCHIVED"]`)
			} else {
				q.Set("effective_status", `["ACTIVE","PAUSED"]`)
			}
			for k, v := range tt.extra {
				q[k] = v
			}
			resp, body := do(t, f, "GET", "/v25.0/act_42/"+tt.edge+"?"+q.Encode(), nil, nil)
			var out struct {
				Data []struct {
					ID              string `json:"id"`
					EffectiveStatus string `json:"effective_status"`
				} `json:"data"`
				Error struct {
					Message string `json:"message"`
					Type    string `json:"type"`
					Code    int    `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatalf("body is not JSON: %s", body)
			}
			if tt.msg != "" {
				if got := strconv.Itoa(out.Error.Code) + " " + out.Error.Type + " " + out.Error.Message; resp.StatusCode != 400 || got != tt.msg {
					t.Errorf("got %d %q, want 400 %q", resp.StatusCode, got, tt.msg)
				}
				return
			}
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			var ids []string
			got := map[string]string{}
			for _, d := range out.Data {
				ids = append(ids, d.ID)
				got[d.ID] = d.EffectiveStatus
			}
			if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
				t.Errorf("listed %v, want %v", ids, tt.want)
			}
			for id, st := range tt.status {
				if got[id] != st {
					t.Errorf("%s effective_status %q, want %q", id, got[id], st)
				}
			}
			// The ad node agrees with the edge, and no ad's time moved.
			if tt.edge == "ads" {
				for id, st := range tt.status {
					_, nb := do(t, f, "GET", "/v25.0/"+id+"?fields=effective_status", nil, nil)
					var node struct {
						EffectiveStatus string `json:"effective_status"`
					}
					if err := json.Unmarshal(nb, &node); err != nil || node.EffectiveStatus != st {
						t.Errorf("GET /%s: %s, want effective_status %s", id, nb, st)
					}
				}
			}
			for i, ad := range f.Ads("act_42") {
				if !ad.UpdatedTime.Equal(before[i].UpdatedTime) {
					t.Errorf("ad %s's updated_time moved to %v", ad.ID, ad.UpdatedTime)
				}
			}
		})
	}
}
