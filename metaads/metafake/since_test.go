package metafake_test

import (
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/metaads/metafake"
)

// listIDs lists an edge of act_42 with extra parameters and returns the
// ids served (every status asked for), or the error answer's status and
// message.
func listIDs(t *testing.T, f *metafake.Server, edge string, extra url.Values) (ids []string, status int, msg string) {
	t.Helper()
	q := url.Values{"fields": {"id,updated_time"}, "limit": {"500"},
		"effective_status": {`["ACTIVE","PAUSED","DELETED","ARCHIVED"]`}}
	for k, v := range extra {
		q[k] = v
	}
	resp, body := do(t, f, "GET", "/v25.0/act_42/"+edge+"?"+q.Encode(), nil, nil)
	var out struct {
		Data []struct {
			ID          string `json:"id"`
			UpdatedTime string `json:"updated_time"`
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
	if resp.StatusCode != 200 {
		return nil, resp.StatusCode, strconv.Itoa(out.Error.Code) + " " + out.Error.Type + " " + out.Error.Message
	}
	for _, d := range out.Data {
		if d.UpdatedTime == "" {
			t.Errorf("%s: %s has no updated_time", edge, d.ID)
		}
		ids = append(ids, d.ID)
	}
	sort.Strings(ids)
	return ids, resp.StatusCode, ""
}

// TestUpdatedSince: the ads and campaigns edges serve only the objects
// whose updated_time is after updated_since (unix seconds), every object
// carries an updated_time (the fake's start when the seed set none), it
// moves when the object changes (a status or budget write, a deletion, a
// creative replaced), and a malformed value is Graph's error 100.
func TestUpdatedSince(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC) // seed()'s clock
	at := func(d time.Duration) string { return strconv.FormatInt(start.Add(d).Unix(), 10) }
	seedWithCampaigns := func() metafake.Seed {
		s := seed()
		s.Accounts[0].Campaigns = []metafake.Campaign{
			{ID: "500", Name: "cbo", DailyBudget: 5000, UpdatedTime: start.Add(-48 * time.Hour)},
			{ID: "501", Name: "plain"},
		}
		return s
	}
	tests := []struct {
		name   string
		edge   string
		change func(t *testing.T, f *metafake.Server)
		since  string
		want   []string
		status int
		msg    string
	}{
		{name: "no filter lists every ad", edge: "ads", want: []string{"701", "702", "703", "704"}},
		{name: "ads after a time", edge: "ads", since: at(-5 * time.Hour), want: []string{"701", "702", "703", "704"}},
		{name: "an ad updated at the second is not after it", edge: "ads", since: at(-4 * time.Hour), want: []string{"702", "703", "704"}},
		{name: "nothing after now", edge: "ads", since: at(0), want: nil},
		{name: "a paused ad moves", edge: "ads", since: at(0),
			change: func(t *testing.T, f *metafake.Server) { post(t, f, "701", url.Values{"status": {"PAUSED"}}) }, want: []string{"701"}},
		{name: "a deleted ad moves and is listed when asked for", edge: "ads", since: at(0),
			change: func(t *testing.T, f *metafake.Server) { post(t, f, "703", url.Values{"status": {"DELETED"}}) }, want: []string{"703"}},
		{name: "a replaced creative moves", edge: "ads", since: at(0),
			change: func(t *testing.T, f *metafake.Server) {
				ad, _ := f.Ad("702")
				ad.Creative.URLTags = "utm_content=hook-z"
				ad.UpdatedTime = time.Time{}
				f.AddAd("act_42", ad)
			}, want: []string{"702"}},
		{name: "campaigns after a time", edge: "campaigns", since: at(-time.Hour), want: []string{"501"}},
		{name: "a campaign budget change moves", edge: "campaigns", since: at(0),
			change: func(t *testing.T, f *metafake.Server) { post(t, f, "500", url.Values{"daily_budget": {"6000"}}) }, want: []string{"500"}},
		{name: "zero lists everything", edge: "campaigns", since: "0", want: []string{"500", "501"}},
		{name: "a date is refused", edge: "ads", since: "2026-06-01", status: 400, msg: "100 OAuthException (#100) Param updated_since must be an integer"},
		{name: "empty is refused", edge: "campaigns", since: "", status: 400, msg: "100 OAuthException (#100) Param updated_since must be an integer"},
		{name: "milliseconds are refused", edge: "ads", since: "1780401600.5", status: 400, msg: "100 OAuthException (#100) Param updated_since must be an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := seedWithCampaigns()
			clock := start
			s.Now = func() time.Time { return clock }
			f := metafake.New(s)
			if tt.change != nil {
				clock = start.Add(time.Minute)
				tt.change(t, f)
			}
			extra := url.Values{}
			if tt.since != "" || tt.status != 0 {
				extra.Set("updated_since", tt.since)
			}
			got, status, msg := listIDs(t, f, tt.edge, extra)
			if tt.status != 0 {
				if status != tt.status || msg != tt.msg {
					t.Errorf("updated_since=%q: %d %q, want %d %q", tt.since, status, msg, tt.status, tt.msg)
				}
				return
			}
			if status != 200 {
				t.Fatalf("updated_since=%q: %d %s", tt.since, status, msg)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("updated_since=%q listed %v, want %v", tt.since, got, tt.want)
			}
		})
	}
}

func post(t *testing.T, f *metafake.Server, id string, form url.Values) {
	t.Helper()
	if resp, b := do(t, f, "POST", "/v25.0/"+id, form, nil); resp.StatusCode != 200 {
		t.Fatalf("POST %s %v = %d %s", id, form, resp.StatusCode, b)
	}
}
