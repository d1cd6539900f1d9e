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
	fake := slackfake.New("xoxb-good")
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
	fake.Strict = true
	if _, _, err := api.PostMessageContext(ctx, "#nope", slack.MsgOptionText("x", false)); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("strict unknown channel: %v", err)
	}
}

func TestZeroServerWorks(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&slackfake.Server{})
	t.Cleanup(srv.Close)
	if _, _, err := slack.New("any", slack.OptionAPIURL(srv.URL+"/")).PostMessageContext(context.Background(), "general", slack.MsgOptionText("x", false)); err != nil {
		t.Fatal(err)
	}
}
