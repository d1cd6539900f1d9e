package tiktokads

import (
	"net/http"
	"strings"

	"github.com/roasd/roasd/ads"
)

// Classify maps a TikTok return code (and, for an answer without an
// envelope, the HTTP status) to what the caller should do. The message
// matters only for 40002, which TikTok also uses for a few transient
// internal errors ("... please try again").
func Classify(code, httpStatus int, message string) ads.ErrorKind {
	switch code {
	case 0, 20001:
		return httpKind(httpStatus)
	case 40016, 40100, 40132, 40133, 61000:
		return ads.KindRateLimited
	case 40101, 40102, 40104, 40105, 40106, 40107, 40119:
		return ads.KindAuth
	case 40001, 40118, 40125, 40300, 40301:
		return ads.KindPermission
	case 40007:
		return ads.KindNotFound
	case 40002:
		if m := strings.ToLower(message); strings.Contains(m, "try again") || strings.Contains(m, "internal error") {
			return ads.KindTransient
		}
		return ads.KindInvalid
	case 40000, 40006, 40009, 40011, 40013, 40014, 40051, 40110, 40113, 40502, 41001, 41002:
		return ads.KindInvalid
	case 40200, 40201, 40202, 40700, 60001:
		return ads.KindTransient
	}
	if code >= 50000 && code < 60000 {
		return ads.KindTransient
	}
	return ads.KindUnknown
}

func httpKind(status int) ads.ErrorKind {
	switch {
	case status == http.StatusTooManyRequests:
		return ads.KindRateLimited
	case status >= 500:
		return ads.KindTransient
	case status == http.StatusUnauthorized:
		return ads.KindAuth
	case status == http.StatusForbidden:
		return ads.KindPermission
	case status == http.StatusNotFound:
		return ads.KindNotFound
	case status >= 400:
		return ads.KindInvalid
	}
	return ads.KindUnknown
}
