package platformhttp

import (
	"net/http"
	"testing"
	"time"
)

// TestRetryOr: each client states its platform's retry budget once and
// the caller's options fill in over it the same way for every platform.
func TestRetryOr(t *testing.T) {
	t.Parallel()
	meta := Retry{Max: 4, WaitMin: time.Second, WaitMax: 30 * time.Second}
	tiktok := Retry{Max: 4, WaitMin: time.Second, WaitMax: time.Minute}
	shopify := Retry{Max: 4, WaitMin: 500 * time.Millisecond, WaitMax: 30 * time.Second}
	for _, tc := range []struct {
		name    string
		in, def Retry
		want    Retry
	}{
		{"meta, all unset", Retry{}, meta, meta},
		{"tiktok, all unset", Retry{}, tiktok, tiktok},
		{"shopify, all unset", Retry{}, shopify, shopify},
		{"negative Max means no retry", Retry{Max: -1}, meta, Retry{Max: 0, WaitMin: time.Second, WaitMax: 30 * time.Second}},
		{"set fields kept", Retry{Max: 2, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond}, tiktok, Retry{Max: 2, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond}},
		{"only WaitMin set", Retry{WaitMin: time.Millisecond}, shopify, Retry{Max: 4, WaitMin: time.Millisecond, WaitMax: 30 * time.Second}},
		{"only WaitMax set", Retry{WaitMax: time.Hour}, meta, Retry{Max: 4, WaitMin: time.Second, WaitMax: time.Hour}},
		{"negative waits take the defaults", Retry{WaitMin: -time.Second, WaitMax: -time.Second}, tiktok, tiktok},
		{"WaitMin above the default WaitMax raises it", Retry{WaitMin: 2 * time.Minute}, tiktok, Retry{Max: 4, WaitMin: 2 * time.Minute, WaitMax: 2 * time.Minute}},
		{"WaitMax below WaitMin raised to it", Retry{WaitMin: time.Second, WaitMax: time.Millisecond}, shopify, Retry{Max: 4, WaitMin: time.Second, WaitMax: time.Second}},
		{"WaitMax below the default WaitMin raised to it", Retry{WaitMax: time.Millisecond}, meta, Retry{Max: 4, WaitMin: time.Second, WaitMax: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.in.Or(tc.def); got != tc.want {
				t.Errorf("%+v.Or(%+v) = %+v, want %+v", tc.in, tc.def, got, tc.want)
			}
		})
	}
}

func TestPositiveAndAtMost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		v, def   int
		positive int
		atMost   int // AtMost(v, def)
	}{
		{"unset", 0, 500, 500, 500},
		{"negative", -3, 500, 500, 500},
		{"within", 100, 500, 100, 100},
		{"at the limit", 500, 500, 500, 500},
		{"above the limit", 5000, 500, 5000, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Positive(tc.v, tc.def); got != tc.positive {
				t.Errorf("Positive(%d, %d) = %d, want %d", tc.v, tc.def, got, tc.positive)
			}
			if got := AtMost(tc.v, tc.def); got != tc.atMost {
				t.Errorf("AtMost(%d, %d) = %d, want %d", tc.v, tc.def, got, tc.atMost)
			}
		})
	}
	if got := Positive(-time.Second, 2*time.Second); got != 2*time.Second {
		t.Errorf("Positive(-1s, 2s) = %v, want 2s", got)
	}
}

func TestHTTPClientAndNew(t *testing.T) {
	t.Parallel()
	own := &http.Client{Timeout: time.Second}
	if got := HTTPClient(own, time.Minute); got != own {
		t.Errorf("HTTPClient(own, 1m) = %p, want the caller's %p", got, own)
	}
	if got := HTTPClient(nil, time.Minute); got == nil || got.Timeout != time.Minute {
		t.Errorf("HTTPClient(nil, 1m) = %+v, want a client with a 1m timeout", got)
	}
	retry := Retry{Max: 3, WaitMin: time.Millisecond, WaitMax: 2 * time.Millisecond}
	rc := New(Options{Platform: "x", HTTPClient: own, Retry: retry})
	if rc.HTTPClient != own || rc.RetryMax != 3 || rc.RetryWaitMin != time.Millisecond || rc.RetryWaitMax != 2*time.Millisecond {
		t.Errorf("New: transport %p (want %p), retry %d %v %v, want %+v", rc.HTTPClient, own, rc.RetryMax, rc.RetryWaitMin, rc.RetryWaitMax, retry)
	}
	if rc.Backoff == nil || rc.ErrorHandler == nil || rc.RequestLogHook == nil || rc.Logger == nil {
		t.Errorf("New left Backoff, ErrorHandler, RequestLogHook or Logger unset")
	}
}
