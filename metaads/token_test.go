package metaads_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
)

const testAppID = "111222333444555"

// TestDebugToken reads the token's expiry as debug_token reports it: 0 is
// never, a 60-day token expires on its date, and past that date the fake
// refuses the token (190/463) and reports it invalid.
func TestDebugToken(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	in60 := now.Add(60 * 24 * time.Hour).Truncate(time.Second)
	tests := []struct {
		name      string
		expires   time.Time
		wantValid bool
		wantCall  ads.ErrorKind // kind of an ordinary call's error; 0 = works
	}{
		{"never expires", time.Time{}, true, 0},
		{"60-day token", in60, true, 0},
		{"expired", now.Add(-time.Hour).Truncate(time.Second), false, ads.KindAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, metafake.Seed{AppID: testAppID, AppSecret: testSecret, TokenExpiresAt: tc.expires,
				Now:      func() time.Time { return now },
				Accounts: []metafake.Account{{ID: testAct, Currency: "USD", Timezone: "UTC"}}},
				func(o *metaads.Options) { o.AppID = testAppID })
			info, err := b.client.DebugToken(context.Background())
			if err != nil {
				t.Fatalf("DebugToken: %v", err)
			}
			if info.Valid != tc.wantValid || !info.ExpiresAt.Equal(tc.expires) || info.Type != "SYSTEM_USER" {
				t.Errorf("got valid=%v expires=%v type=%q, want valid=%v expires=%v SYSTEM_USER", info.Valid, info.ExpiresAt, info.Type, tc.wantValid, tc.expires)
			}
			if !tc.wantValid && !strings.Contains(info.Problem, "Session has expired") {
				t.Errorf("problem: got %q, want Graph's session-expired text", info.Problem)
			}
			_, err = b.client.Account(context.Background(), testAct)
			var ae *ads.APIError
			switch {
			case tc.wantCall == 0 && err != nil:
				t.Errorf("a call with the token: %v", err)
			case tc.wantCall != 0 && (!errors.As(err, &ae) || ae.Kind != tc.wantCall || ae.Code != 190 || ae.Subcode != 463):
				t.Errorf("a call with the expired token: got %v, want auth error 190/463", err)
			}
			for _, c := range b.fake.Calls() {
				if c.Path == "/v"+strings.TrimPrefix(metaads.DefaultVersion, "v")+"/debug_token" && c.Params.Get("input_token") != testToken {
					t.Errorf("debug_token asked about %q, want the access token", c.Params.Get("input_token"))
				}
			}
			if err != nil && strings.Contains(err.Error(), testSecret) {
				t.Errorf("error text contains the app secret: %v", err)
			}
		})
	}
}

// TestDebugTokenWithoutAppID: without an app id the token inspects
// itself.
func TestDebugTokenWithoutAppID(t *testing.T) {
	t.Parallel()
	exp := time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC)
	b := setup(t, metafake.Seed{AppSecret: testSecret, TokenExpiresAt: exp, Now: func() time.Time { return exp.Add(-time.Hour) }}, nil)
	info, err := b.client.DebugToken(context.Background())
	if err != nil || !info.Valid || !info.ExpiresAt.Equal(exp) {
		t.Fatalf("got %+v, %v; want valid, expiring %v", info, err, exp)
	}
}
