package shopifyfake

import (
	"regexp"
	"time"
)

// Shopify releases a stable Admin API version at the start of each
// quarter (YYYY-01, -04, -07, -10, at 17:00 UTC) and supports it for at
// least 12 months; a request for a version no longer supported is served
// with the oldest supported one ("falls forward") and the response's
// X-Shopify-API-Version header names the version actually served
// (shopify.dev/docs/api/usage/versioning). The fake follows that rule on
// its own clock, with the end dates Shopify's release notes publish where
// they differ from it.
var versionEnds = map[string]time.Time{
	// 2026-01 release notes: "available … until at least January 1, 2027
	// at 15:00 UTC".
	"2026-01": time.Date(2027, time.January, 1, 15, 0, 0, 0, time.UTC),
	// 2026-10 release notes: "Accessible until October 16, 2027 15:00 UTC".
	"2026-10": time.Date(2027, time.October, 16, 15, 0, 0, 0, time.UTC),
}

var versionRE = regexp.MustCompile(`^(\d{4})-(01|04|07|10)$`)

// released is when stable version v was released (false when v is not
// a stable version name).
func released(v string) (time.Time, bool) {
	if !versionRE.MatchString(v) {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01", v)
	if err != nil {
		return time.Time{}, false
	}
	return t.Add(17 * time.Hour), true
}

// supportedUntil is when Shopify stops serving stable version v.
func supportedUntil(v string) time.Time {
	if end, ok := versionEnds[v]; ok {
		return end
	}
	r, _ := released(v)
	return r.AddDate(1, 0, 0)
}

// supported reports whether v is a stable version Shopify serves at now.
func supported(v string, now time.Time) bool {
	r, ok := released(v)
	return ok && !now.Before(r) && now.Before(supportedUntil(v))
}

// ServedVersion is the Admin API version Shopify answers a request for
// version requested with at now: requested itself while it is a
// supported stable version, otherwise the oldest supported one.
func ServedVersion(requested string, now time.Time) string {
	if supported(requested, now) {
		return requested
	}
	// The oldest supported version is at most five quarters old.
	q := time.Date(now.Year(), time.Month(3*((int(now.Month())-1)/3)+1), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -15, 0)
	for i := 0; i < 8; i++ {
		v := q.AddDate(0, 3*i, 0).Format("2006-01")
		if supported(v, now) {
			return v
		}
	}
	return requested
}
