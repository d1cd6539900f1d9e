package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/store"
)

// noDecisions fails the test when anything is decided.
type noDecisions struct{ t *testing.T }

func (n noDecisions) Decide(context.Context, store.Decision, bool, time.Time) (string, store.ActionRecord, error) {
	n.t.Error("a refused request reached Decide")
	return "", store.ActionRecord{}, nil
}

func (n noDecisions) ApprovalActions(context.Context, string, string) ([]store.ActionRecord, error) {
	n.t.Error("a refused request read actions")
	return nil, nil
}

// TestSlackSignature: only a v0 signature of this body with the secret,
// timestamped within 5 minutes of roasd's clock, gets through; anything
// else is 401 with nothing read or changed.
func TestSlackSignature(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 19, 17, 0, 0, 0, time.UTC)
	const secret = "s3cret"
	body := "payload=" + `{"type":"view_submission"}`
	for _, tc := range []struct {
		name       string
		ts         string
		sig        string
		body       string
		want       int
		wantReason string
	}{
		{"valid", strconv.FormatInt(now.Unix(), 10), slackfake.Sign(secret, now, []byte(body)), body, 200, ""},
		{"4m59s old", strconv.FormatInt(now.Add(-299*time.Second).Unix(), 10), slackfake.Sign(secret, now.Add(-299*time.Second), []byte(body)), body, 200, ""},
		{"wrong secret", strconv.FormatInt(now.Unix(), 10), slackfake.Sign("other", now, []byte(body)), body, 401, "bad signature"},
		{"body changed", strconv.FormatInt(now.Unix(), 10), slackfake.Sign(secret, now, []byte(body)), body + "x", 401, "bad signature"},
		{"stale replay", strconv.FormatInt(now.Add(-301*time.Second).Unix(), 10), slackfake.Sign(secret, now.Add(-301*time.Second), []byte(body)), body, 401, "stale timestamp"},
		{"from the future", strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10), slackfake.Sign(secret, now.Add(6*time.Minute), []byte(body)), body, 401, "stale timestamp"},
		{"timestamp not a number", "soon", "v0=00", body, 401, "malformed timestamp"},
		{"no signature", strconv.FormatInt(now.Unix(), 10), "", body, 401, "missing signature"},
		{"v1 scheme", strconv.FormatInt(now.Unix(), 10), strings.Replace(slackfake.Sign(secret, now, []byte(body)), "v0=", "v1=", 1), body, 401, "bad signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := SlackInteractions{Secret: secret, Now: func() time.Time { return now }, Approval: noDecisions{t}}
			req := httptest.NewRequest(http.MethodPost, "/slack/interactions", strings.NewReader(tc.body))
			req.Header.Set("X-Slack-Request-Timestamp", tc.ts)
			if tc.sig != "" {
				req.Header.Set("X-Slack-Signature", tc.sig)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.wantReason) {
				t.Errorf("status %d %q, want %d %q", rec.Code, rec.Body.String(), tc.want, tc.wantReason)
			}
		})
	}
}

// TestSlackInteractionBodyBound: behind the guard, a request without the
// signature headers is refused before its body is read, and a body over
// the bound is refused by its length.
func TestSlackInteractionBodyBound(t *testing.T) {
	t.Parallel()
	h := SlackInteractions{Secret: "s", Approval: noDecisions{t}}
	g := NewBodyGuard(GuardOptions{})
	srv := httptest.NewServer(g.Wrap(BodyRoute{Name: "slack", MaxBody: MaxSlackInteractionBody, Check: h.Precheck}, h))
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		signed bool
		size   int
		want   int
	}{
		{"unsigned", false, 10, http.StatusUnauthorized},
		{"too large", true, MaxSlackInteractionBody + 1, http.StatusRequestEntityTooLarge},
		{"signed but forged", true, 100, http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(strings.Repeat("a", tc.size)))
		if tc.signed {
			req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
			req.Header.Set("X-Slack-Signature", "v0=deadbeef")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
}
