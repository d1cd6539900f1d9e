package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/roasd/roasd/notify/slackfake"
)

// call posts a form-encoded Web API call the way Slack documents it and
// decodes the JSON answer.
func call(t *testing.T, base, method, token string, form url.Values) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/"+method, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header, body
}

func TestFakeWireShapes(t *testing.T) {
	t.Parallel()
	fake := slackfake.New("xoxb-good", "creator-perf")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	tests := []struct {
		name, method, token string
		form                url.Values
		wantOK              bool
		wantErr             string
	}{
		{"auth.test", "auth.test", "xoxb-good", nil, true, ""},
		{"no token", "auth.test", "", nil, false, "not_authed"},
		{"wrong token", "chat.postMessage", "xoxb-bad", url.Values{"channel": {"#creator-perf"}, "text": {"hi"}}, false, "invalid_auth"},
		{"post by name", "chat.postMessage", "xoxb-good", url.Values{"channel": {"#creator-perf"}, "text": {"hi"}}, true, ""},
		{"no text", "chat.postMessage", "xoxb-good", url.Values{"channel": {"creator-perf"}}, false, "no_text"},
		{"bad blocks", "chat.postMessage", "xoxb-good", url.Values{"channel": {"creator-perf"}, "blocks": {`[{"text":"x"}]`}}, false, "invalid_blocks"},
		{"update unknown", "chat.update", "xoxb-good", url.Values{"channel": {"C00000001"}, "ts": {"1.2"}, "text": {"x"}}, false, "message_not_found"},
		{"list", "conversations.list", "xoxb-good", nil, true, ""},
	}
	for _, tc := range tests {
		status, _, body := call(t, srv.URL, tc.method, tc.token, tc.form)
		if status != http.StatusOK || body["ok"] != tc.wantOK || (tc.wantErr != "" && body["error"] != tc.wantErr) {
			t.Errorf("%s: HTTP %d %v; want ok=%v error=%q", tc.name, status, body, tc.wantOK, tc.wantErr)
		}
	}
	_, _, list := call(t, srv.URL, "conversations.list", "xoxb-good", nil)
	chans := list["channels"].([]any)
	if len(chans) != 1 || chans[0].(map[string]any)["name"] != "creator-perf" {
		t.Errorf("conversations.list channels = %v", chans)
	}
	for _, c := range fake.Calls() {
		if c.Params.Get("token") != "" {
			t.Errorf("recorded call keeps the token: %v", c.Params)
		}
	}
}

func TestFakeWithSlackGo(t *testing.T) {
	t.Parallel()
	fake := slackfake.New("xoxb-good", "alerts")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	api := slack.New("xoxb-good", slack.OptionAPIURL(srv.URL+"/api/"))
	ctx := context.Background()

	ch, ts, err := api.PostMessageContext(ctx, "#alerts", slack.MsgOptionText("parent", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*hi*", false, false), nil, nil)))
	if err != nil || !strings.HasPrefix(ch, "C") || ts == "" {
		t.Fatalf("post = %q %q %v", ch, ts, err)
	}
	_, reply, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText("edited", false)); err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages()
	if len(msgs) != 2 || msgs[0].Text != "edited" || msgs[0].Edits != 1 || msgs[1].ThreadTS != ts || msgs[1].TS != reply {
		t.Errorf("messages = %+v", msgs)
	}
	if !strings.Contains(string(msgs[0].Blocks), `"*hi*"`) {
		t.Errorf("blocks not kept: %s", msgs[0].Blocks)
	}

	fake.RateLimit("chat.postMessage", 1, 3)
	_, _, err = api.PostMessageContext(ctx, ch, slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Errorf("rate limit: %v, want RateLimitedError{3s}", err)
	}
	fake.Fail("*", 1, "channel_not_found")
	_, _, err = api.PostMessageContext(ctx, ch, slack.MsgOptionText("x", false))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "channel_not_found" {
		t.Errorf("injected error: %v", err)
	}
	fake.Down("chat.postMessage", 1, http.StatusServiceUnavailable)
	_, _, err = api.PostMessageContext(ctx, ch, slack.MsgOptionText("x", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusServiceUnavailable {
		t.Errorf("outage: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("after", false)); err != nil {
		t.Errorf("faults did not run out: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "#nope", slack.MsgOptionText("x", false)); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("unknown channel: %v", err)
	}
}

func TestZeroServerWorks(t *testing.T) {
	t.Parallel()
	fake := &slackfake.Server{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	api := slack.New("any", slack.OptionAPIURL(srv.URL+"/"))
	// Like Slack, a channel that does not exist is not created by posting.
	if _, _, err := api.PostMessageContext(context.Background(), "general", slack.MsgOptionText("x", false)); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Fatalf("post to an unknown channel: %v, want channel_not_found", err)
	}
	if len(fake.Channels()) != 0 {
		t.Errorf("posting created channels %v", fake.Channels())
	}
	fake.AddChannel("general")
	if _, _, err := api.PostMessageContext(context.Background(), "general", slack.MsgOptionText("x", false)); err != nil {
		t.Fatal(err)
	}
}

// TestFakeRefusesWhatSlackRefuses: every payload Slack answers with an
// error is refused with Slack's error name (issue 23.6).
func TestFakeRefusesWhatSlackRefuses(t *testing.T) {
	t.Parallel()
	fake := slackfake.New("xoxb-good", "creator-perf")
	fake.Archive("old-perf")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	section := func(n int) string {
		return `{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("x", n) + `"}}`
	}
	header := func(n int) string {
		return `{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("é", n) + `"}}`
	}
	fields := func(n int) string {
		var fs []string
		for range n {
			fs = append(fs, `{"type":"mrkdwn","text":"*a* b"}`)
		}
		return `{"type":"section","fields":[` + strings.Join(fs, ",") + `]}`
	}
	blocks := func(n int) string {
		var bs []string
		for range n {
			bs = append(bs, `{"type":"divider"}`)
		}
		return "[" + strings.Join(bs, ",") + "]"
	}
	const ok = ""
	tests := []struct {
		name   string
		form   url.Values
		method string
		want   string
	}{
		{"header of 150", url.Values{"blocks": {"[" + header(150) + "]"}}, "", ok},
		{"header of 151", url.Values{"blocks": {"[" + header(151) + "]"}}, "", "invalid_blocks"},
		{"section of 3000", url.Values{"blocks": {"[" + section(3000) + "]"}}, "", ok},
		{"section of 3001", url.Values{"blocks": {"[" + section(3001) + "]"}}, "", "invalid_blocks"},
		{"10 fields", url.Values{"blocks": {"[" + fields(10) + "]"}}, "", ok},
		{"11 fields", url.Values{"blocks": {"[" + fields(11) + "]"}}, "", "invalid_blocks"},
		{"50 blocks", url.Values{"blocks": {blocks(50)}}, "", ok},
		{"51 blocks", url.Values{"blocks": {blocks(51)}}, "", "invalid_blocks"},
		{"empty section text", url.Values{"blocks": {"[" + section(0) + "]"}}, "", "invalid_blocks"},
		{"unknown block type", url.Values{"blocks": {`[{"type":"sectoin","text":{"type":"mrkdwn","text":"x"}}]`}}, "", "invalid_blocks"},
		{"unknown block type on update", url.Values{"blocks": {`[{"type":"table_row"}]`}}, "chat.update", "invalid_blocks"},
		{"header in mrkdwn", url.Values{"blocks": {`[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]`}}, "", "invalid_blocks"},
		{"empty text", url.Values{"text": {"  "}}, "", "no_text"},
		{"text too long", url.Values{"text": {strings.Repeat("x", slackfake.MaxText+1)}}, "", "msg_too_long"},
		{"metadata not JSON", url.Values{"text": {"x"}, "metadata": {`{event_type:`}}, "", "invalid_metadata_format"},
		{"metadata without event_type", url.Values{"text": {"x"}, "metadata": {`{"event_payload":{}}`}}, "", "invalid_metadata_schema"},
		{"good metadata", url.Values{"text": {"x"}, "metadata": {`{"event_type":"roasd_alert","event_payload":{"k":"v"}}`}}, "", ok},
		{"unknown channel", url.Values{"channel": {"#creator-pref"}, "text": {"x"}}, "", "channel_not_found"},
		{"archived channel", url.Values{"channel": {"#old-perf"}, "text": {"x"}}, "", "is_archived"},
	}
	_, _, first := call(t, srv.URL, "chat.postMessage", "xoxb-good", url.Values{"channel": {"creator-perf"}, "text": {"first"}})
	for _, tc := range tests {
		method := tc.method
		if method == "" {
			method = "chat.postMessage"
		}
		if tc.form.Get("channel") == "" {
			tc.form.Set("channel", "creator-perf")
		}
		if method == "chat.update" {
			tc.form.Set("ts", first["ts"].(string))
		}
		if tc.form.Get("text") == "" && tc.form.Get("blocks") != "" {
			tc.form.Set("text", "fallback")
		}
		_, _, body := call(t, srv.URL, method, "xoxb-good", tc.form)
		if tc.want == ok {
			if body["ok"] != true {
				t.Errorf("%s: refused %v", tc.name, body)
			}
			continue
		}
		if body["ok"] != false || body["error"] != tc.want {
			t.Errorf("%s: answered %v, want error %q", tc.name, body, tc.want)
		}
		if tc.want == "invalid_blocks" {
			if md, _ := body["response_metadata"].(map[string]any); md == nil || len(md["messages"].([]any)) == 0 {
				t.Errorf("%s: no response_metadata.messages saying why: %v", tc.name, body)
			}
		}
	}
	if got := len(fake.Channels()); got != 2 {
		t.Errorf("channels = %v, want creator-perf and old-perf only", fake.Channels())
	}
}

// TestFakePostingRatePerChannel: with PostEvery set, a channel takes a
// burst of PostBurst posts and then one per PostEvery; more answer HTTP
// 429 ratelimited with Retry-After. Other channels are not affected.
func TestFakePostingRatePerChannel(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)
	fake := slackfake.New("xoxb-good", "a", "b")
	fake.Now, fake.PostEvery, fake.PostBurst = func() time.Time { return clock }, time.Second, 2
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	post := func(ch string) (int, string) {
		status, h, _ := call(t, srv.URL, "chat.postMessage", "xoxb-good", url.Values{"channel": {ch}, "text": {"x"}})
		return status, h.Get("Retry-After")
	}
	for i, want := range []int{200, 200, 429} {
		if got, _ := post("a"); got != want {
			t.Fatalf("post %d to a: HTTP %d, want %d", i+1, got, want)
		}
	}
	if got, ra := post("a"); got != 429 || ra != "1" {
		t.Errorf("over the rate: HTTP %d Retry-After %q, want 429 and 1", got, ra)
	}
	if got, _ := post("b"); got != 200 {
		t.Errorf("another channel: HTTP %d", got)
	}
	clock = clock.Add(time.Second)
	if got, _ := post("a"); got != 200 {
		t.Errorf("a second later: HTTP %d", got)
	}
}
