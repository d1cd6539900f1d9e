package metaads

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
)

// graphError is the Graph API error envelope's inner object.
type graphError struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	IsTransient bool   `json:"is_transient"`
	TraceID     string `json:"fbtrace_id"`
	UserMsg     string `json:"error_user_msg"`
}

// parseEnvelope reads {"error":{...}} from body; ok is false when the body
// is not a Graph error.
func parseEnvelope(body []byte) (graphError, bool) {
	var env struct {
		Error *graphError `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error == nil {
		return graphError{}, false
	}
	return *env.Error, true
}

// IsThrottleCode reports whether a Graph error code is a rate limit: 4
// (app), 17 (user), 32 (page), 613 (calls per hour), 80000–80014
// (business-use-case limits, e.g. 80000 ads insights, 80004 ads
// management).
func IsThrottleCode(code int) bool {
	switch {
	case code == 4, code == 17, code == 32, code == 613:
		return true
	case code >= 80000 && code <= 80014:
		return true
	}
	return false
}

// classify decides what a failed response means.
func classify(status int, ge graphError, hasEnvelope bool, h http.Header) (ads.ErrorKind, time.Duration) {
	if hasEnvelope {
		switch {
		case ge.Code == 190 || ge.Code == 102 || ge.Code == 104:
			return ads.KindAuth, 0
		case ge.Code == 10 || (ge.Code >= 200 && ge.Code <= 299):
			return ads.KindPermission, 0
		case IsThrottleCode(ge.Code):
			return ads.KindRateLimited, retryAfter(h)
		case ge.IsTransient || ge.Code == 1 || ge.Code == 2:
			return ads.KindTransient, 0
		case ge.Code == 100 && ge.Subcode == 33:
			return ads.KindNotFound, 0
		case ge.Code == 100:
			return ads.KindInvalid, 0
		}
	}
	switch {
	case status == http.StatusTooManyRequests:
		return ads.KindRateLimited, retryAfter(h)
	case status >= 500:
		return ads.KindTransient, 0
	case status == http.StatusUnauthorized:
		return ads.KindAuth, 0
	case status == http.StatusForbidden:
		return ads.KindPermission, 0
	case status == http.StatusNotFound:
		return ads.KindNotFound, 0
	}
	return ads.KindUnknown, 0
}

// Usage is what Meta's usage headers say about the remaining quota.
type Usage struct {
	// MaxPct is the highest utilization percentage any header reports
	// (call count, CPU time, total time, account or app share).
	MaxPct float64
	// RegainIn is how long until access is regained when throttled:
	// X-Business-Use-Case-Usage estimated_time_to_regain_access (minutes),
	// X-Ad-Account-Usage reset_time_duration (seconds) once
	// acc_id_util_pct reaches 100, or Retry-After. Meta reports a
	// reset_time_duration on healthy responses too (e.g. 100 s at 9.67%):
	// that is the length of its rolling window, not a ban.
	RegainIn time.Duration
}

// ParseUsage reads X-Business-Use-Case-Usage, X-Ad-Account-Usage,
// X-FB-Ads-Insights-Throttle, X-App-Usage and Retry-After.
func ParseUsage(h http.Header) Usage {
	var u Usage
	pct := func(vs ...float64) {
		for _, v := range vs {
			u.MaxPct = math.Max(u.MaxPct, v)
		}
	}
	wait := func(d time.Duration) {
		if d > u.RegainIn {
			u.RegainIn = d
		}
	}
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" {
		var buc map[string][]struct {
			CallCount    float64 `json:"call_count"`
			TotalCPUTime float64 `json:"total_cputime"`
			TotalTime    float64 `json:"total_time"`
			Regain       float64 `json:"estimated_time_to_regain_access"`
		}
		if json.Unmarshal([]byte(v), &buc) == nil {
			for _, list := range buc {
				for _, e := range list {
					pct(e.CallCount, e.TotalCPUTime, e.TotalTime)
					wait(time.Duration(e.Regain * float64(time.Minute)))
				}
			}
		}
	}
	if v := h.Get("X-Ad-Account-Usage"); v != "" {
		var a struct {
			Pct   float64 `json:"acc_id_util_pct"`
			Reset float64 `json:"reset_time_duration"`
		}
		if json.Unmarshal([]byte(v), &a) == nil {
			pct(a.Pct)
			if a.Pct >= 100 {
				wait(time.Duration(a.Reset * float64(time.Second)))
			}
		}
	}
	if v := h.Get("X-FB-Ads-Insights-Throttle"); v != "" {
		var a struct {
			App float64 `json:"app_id_util_pct"`
			Acc float64 `json:"acc_id_util_pct"`
		}
		if json.Unmarshal([]byte(v), &a) == nil {
			pct(a.App, a.Acc)
		}
	}
	if v := h.Get("X-App-Usage"); v != "" {
		var a struct {
			CallCount    float64 `json:"call_count"`
			TotalCPUTime float64 `json:"total_cputime"`
			TotalTime    float64 `json:"total_time"`
		}
		if json.Unmarshal([]byte(v), &a) == nil {
			pct(a.CallCount, a.TotalCPUTime, a.TotalTime)
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			wait(time.Duration(n) * time.Second)
		}
	}
	return u
}

func retryAfter(h http.Header) time.Duration { return ParseUsage(h).RegainIn }
