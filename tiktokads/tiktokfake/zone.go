package tiktokfake

import (
	"fmt"
	"time"
)

// accountZone is the zone TikTok keeps an ad account's days in, given the
// zone the advertiser picked (seeded as Advertiser.Timezone and reported
// as display_timezone). TikTok Ads Manager supports only whole- and
// half-hour offsets from UTC and no daylight saving time: an account
// created in California stays at UTC−8 all year
// (ads.tiktok.com/help/article/time-zone and
// …/daylight-saving-time-scheduling-live-shopping-ads). Such an account
// reports timezone "Etc/GMT+8" beside display_timezone
// "America/Los_Angeles" (POSIX sign: Etc/GMT+8 is UTC−8). A zone with a
// half-hour standard offset keeps its name when it has no daylight saving
// time (Asia/Kolkata), as Etc/ has no half-hour zones.
func accountZone(name string) string {
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		return name
	}
	_, jan := time.Date(2026, time.January, 15, 12, 0, 0, 0, loc).Zone()
	_, jul := time.Date(2026, time.July, 15, 12, 0, 0, 0, loc).Zone()
	std := min(jan, jul) // daylight saving time is the later (larger) offset
	if std%3600 != 0 {
		return name
	}
	switch h := std / 3600; {
	case h == 0:
		return "Etc/GMT"
	case h < 0:
		return fmt.Sprintf("Etc/GMT+%d", -h)
	default:
		return fmt.Sprintf("Etc/GMT-%d", h)
	}
}
