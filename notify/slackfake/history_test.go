package slackfake_test

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/notify/slackfake"
)

// seedHistory posts n top-level messages at one-second steps from start
// (each with metadata naming its index), and replies to the first one.
func seedHistory(t *testing.T, fake *slackfake.Server, base string, start time.Time, n, replies int) (ch string, ts []string) {
	t.Helper()
	now := start
	fake.Now = func() time.Time { return now }
	post := func(text, thread string, i int) {
		form := url.Values{"channel": {"#creator-perf"}, "text": {text},
			"metadata": {fmt.Sprintf(`{"event_type":"roasd_alert","event_payload":{"dedup_key":"k%d"}}`, i)}}
		if thread != "" {
			form.Set("thread_ts", thread)
		}
		_, _, body := call(t, base, "chat.postMessage", "xoxb-good", form)
		if body["ok"] != true {
			t.Fatalf("post: %v", body)
		}
		ch = body["channel"].(string)
		ts = append(ts, body["ts"].(string))
		now = now.Add(time.Second)
	}
	for i := range n {
		post(fmt.Sprint("m", i), "", i)
	}
	for i := range replies {
		post(fmt.Sprint("r", i), ts[0], 100+i)
	}
	return ch, ts
}

// page reads every page of method with form, returning the texts per page
// and the metadata seen.
func pages(t *testing.T, base, method string, form url.Values) (texts [][]string, metadata int) {
	t.Helper()
	for range 20 {
		_, _, body := call(t, base, method, "xoxb-good", form)
		if body["ok"] != true {
			t.Fatalf("%s %v: %v", method, form, body)
		}
		var page []string
		for _, m := range body["messages"].([]any) {
			m := m.(map[string]any)
			page = append(page, m["text"].(string))
			if md, ok := m["metadata"].(map[string]any); ok && md["event_type"] == "roasd_alert" {
				metadata++
			}
		}
		texts = append(texts, page)
		next := body["response_metadata"].(map[string]any)["next_cursor"].(string)
		if body["has_more"] != (next != "") {
			t.Fatalf("has_more %v with next_cursor %q", body["has_more"], next)
		}
		if next == "" {
			return texts, metadata
		}
		form.Set("cursor", next)
	}
	t.Fatal("paging did not end")
	return nil, 0
}

func TestFakeHistoryAndReplies(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)
	fake := slackfake.New("xoxb-good", "creator-perf")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	ch, ts := seedHistory(t, fake, srv.URL, start, 5, 3)
	if !strings.HasPrefix(ts[0], fmt.Sprint(start.Unix(), ".")) {
		t.Fatalf("ts %s not on the fake's clock %d", ts[0], start.Unix())
	}
	oldest2 := fmt.Sprint(start.Add(2 * time.Second).Unix())
	tests := []struct {
		name, method string
		form         url.Values
		want         string // pages joined by "|", texts by ","
		wantMetadata int
	}{
		{"history newest first, replies left out", "conversations.history", url.Values{"channel": {ch}, "limit": {"2"}},
			"m4,m3|m2,m1|m0", 0},
		{"history metadata only on request", "conversations.history", url.Values{"channel": {ch}, "include_all_metadata": {"true"}},
			"m4,m3,m2,m1,m0", 5},
		{"history oldest exclusive", "conversations.history", url.Values{"channel": {ch}, "oldest": {ts[2]}}, "m4,m3", 0},
		{"history oldest inclusive", "conversations.history", url.Values{"channel": {ch}, "oldest": {ts[2]}, "inclusive": {"1"}, "limit": {"2"}},
			"m4,m3|m2", 0},
		{"history oldest in whole seconds", "conversations.history", url.Values{"channel": {ch}, "oldest": {oldest2}}, "m4,m3,m2", 0},
		{"history latest", "conversations.history", url.Values{"channel": {ch}, "latest": {ts[1]}}, "m0", 0},
		{"replies parent first", "conversations.replies", url.Values{"channel": {ch}, "ts": {ts[0]}, "limit": {"2"}, "include_all_metadata": {"1"}},
			"m0,r0|r1,r2", 4},
		{"replies of a reply", "conversations.replies", url.Values{"channel": {ch}, "ts": {ts[6]}}, "m0,r0,r1,r2", 0},
		{"replies oldest keeps the parent", "conversations.replies", url.Values{"channel": {ch}, "ts": {ts[0]}, "oldest": {ts[6]}},
			"m0,r2", 0},
		{"replies of a plain message", "conversations.replies", url.Values{"channel": {ch}, "ts": {ts[3]}}, "m3", 0},
	}
	for _, tc := range tests {
		texts, md := pages(t, srv.URL, tc.method, tc.form)
		var ps []string
		for _, p := range texts {
			ps = append(ps, strings.Join(p, ","))
		}
		if got := strings.Join(ps, "|"); got != tc.want || md != tc.wantMetadata {
			t.Errorf("%s: pages %s with %d metadata, want %s with %d", tc.name, got, md, tc.want, tc.wantMetadata)
		}
	}

	errs := []struct {
		name, method string
		form         url.Values
		want         string
	}{
		{"history by name", "conversations.history", url.Values{"channel": {"#creator-perf"}}, "channel_not_found"},
		{"replies unknown ts", "conversations.replies", url.Values{"channel": {ch}, "ts": {"1.000001"}}, "thread_not_found"},
		{"bad cursor", "conversations.history", url.Values{"channel": {ch}, "cursor": {"nope"}}, "invalid_cursor"},
		{"bad oldest", "conversations.history", url.Values{"channel": {ch}, "oldest": {"yesterday"}}, "invalid_ts_oldest"},
	}
	for _, tc := range errs {
		if _, _, body := call(t, srv.URL, tc.method, "xoxb-good", tc.form); body["error"] != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, body, tc.want)
		}
	}
}

func TestFakeScopes(t *testing.T) {
	t.Parallel()
	fake := slackfake.New("xoxb-good", "creator-perf")
	fake.Scopes = []string{"chat:write", "channels:read"}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	_, _, body := call(t, srv.URL, "chat.postMessage", "xoxb-good", url.Values{"channel": {"#creator-perf"}, "text": {"x"}})
	if body["ok"] != true {
		t.Fatalf("post with chat:write: %v", body)
	}
	_, _, body = call(t, srv.URL, "conversations.history", "xoxb-good", url.Values{"channel": {body["channel"].(string)}})
	if body["error"] != "missing_scope" || body["needed"] != "channels:history" || body["provided"] != "chat:write,channels:read" {
		t.Errorf("history without channels:history: %v", body)
	}
	if c := fake.Calls(); c[len(c)-1].Error != "missing_scope" {
		t.Errorf("call log: %+v", c[len(c)-1])
	}
}
