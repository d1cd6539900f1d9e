package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/store"
)

// APIVersion is a platform API version with its published dates.
type APIVersion struct {
	Platform ads.Platform
	Version  string
	Released time.Time
	// EndOfLife is when the platform stops serving the version (zero when
	// not published yet). A Meta version's end is the Marketing API's,
	// which comes years before the Graph API's.
	EndOfLife time.Time
	// Source is the page the dates come from.
	Source string
}

// VersionWarnDays is how long before a pinned version's end of life the
// daemon warns (log and one Slack alert per version).
const VersionWarnDays = 30

// Sources of VersionCalendar.
const (
	// metaVersionsDoc lists Marketing API versions with release and
	// expiration dates (Graph API dates differ: v25.0 lasts until
	// 2028-07-29 there, https://developers.facebook.com/docs/graph-api/changelog/versions).
	metaVersionsDoc = "https://developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions"
	// shopifyVersioningDoc: a stable version is released on the first day
	// of its quarter and supported for at least 12 months; each version's
	// release notes give the exact end.
	shopifyVersioningDoc = "https://shopify.dev/docs/api/usage/versioning"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// VersionCalendar holds the known dates of the versions roasd pins (and
// their neighbours), as published on 2026-11-28. Keep it current when a
// pin moves: a pinned version missing here is reported as unknown.
var VersionCalendar = []APIVersion{
	{ads.Meta, "v24.0", day(2025, time.October, 8), day(2026, time.November, 10), metaVersionsDoc},
	{ads.Meta, "v25.0", day(2026, time.February, 18), day(2027, time.February, 23), metaVersionsDoc},
	{ads.Meta, "v26.0", day(2026, time.July, 29), time.Time{}, metaVersionsDoc},
	{ads.Meta, "v27.0", day(2026, time.November, 4), time.Time{}, metaVersionsDoc},
	{ads.Shopify, "2025-07", day(2025, time.July, 1).Add(17 * time.Hour), day(2026, time.July, 1), shopifyVersioningDoc},
	{ads.Shopify, "2026-01", day(2026, time.January, 1).Add(17 * time.Hour), day(2027, time.January, 1).Add(15 * time.Hour),
		"https://shopify.dev/changelog/release-notes/2026-01"},
	{ads.Shopify, "2026-07", day(2026, time.July, 1).Add(17 * time.Hour), day(2027, time.July, 1), shopifyVersioningDoc},
	{ads.Shopify, "2026-10", day(2026, time.October, 1).Add(17 * time.Hour), day(2027, time.October, 16).Add(15 * time.Hour),
		"https://shopify.dev/changelog/release-notes/2026-10"},
}

// PinnedVersions are the API versions roasd asks for (metaads.DefaultVersion
// and shopify.DefaultAPIVersion, each pinned in that one place), with
// their calendar entry when known.
func PinnedVersions() []APIVersion {
	pins := []APIVersion{{Platform: ads.Meta, Version: metaads.DefaultVersion}, {Platform: ads.Shopify, Version: shopify.DefaultAPIVersion}}
	for i, p := range pins {
		for _, v := range VersionCalendar {
			if v.Platform == p.Platform && v.Version == p.Version {
				pins[i] = v
			}
		}
	}
	return pins
}

// VersionStatus is a pinned version seen from one instant.
type VersionStatus struct {
	APIVersion
	// DaysLeft is whole days until EndOfLife (negative once past; 0 when
	// the end is unknown).
	DaysLeft int
	// Warn reports whether the end of life is VersionWarnDays or fewer
	// days away (or past).
	Warn bool
}

// VersionStatuses are the pinned versions as of now.
func VersionStatuses(now time.Time) []VersionStatus {
	var out []VersionStatus
	for _, v := range PinnedVersions() {
		s := VersionStatus{APIVersion: v}
		if !v.EndOfLife.IsZero() {
			left := v.EndOfLife.Sub(now)
			s.DaysLeft = int(left / (24 * time.Hour))
			if left < 0 && left%(24*time.Hour) != 0 {
				s.DaysLeft-- // floor: a part day past the end counts as a day past
			}
			s.Warn = !now.Before(v.EndOfLife.AddDate(0, 0, -VersionWarnDays))
		}
		out = append(out, s)
	}
	return out
}

// CheckVersions compares the pinned API versions with their published end
// of life at now (the jobs' clock): it sets the metrics' days-left gauge
// and, from VersionWarnDays before the end, logs a warning and queues one
// Slack alert per version (its dedup key names the version and the date,
// so it is queued once whatever brand or replica gets there first). The
// alert goes to the first brand by name that uses the platform and has a
// Slack channel (else the first with a channel).
func CheckVersions(ctx context.Context, db *store.DB, set *configs.Set, now time.Time, log *slog.Logger, m *Metrics) error {
	var rows []store.OutboxRow
	for _, s := range VersionStatuses(now) {
		m.observeVersion(s)
		if !s.Warn {
			continue
		}
		eol := s.EndOfLife.UTC().Format("2006-01-02 15:04 MST")
		log.Warn("pinned API version reaches its end of life soon; move roasd to a newer version",
			"platform", s.Platform, "version", s.Version, "end_of_life", eol, "days_left", s.DaysLeft, "source", s.Source)
		b := alertBrand(set, s.Platform)
		if b == nil {
			continue
		}
		a := notify.VersionAlert(notify.Target{Brand: b.Name, Channel: b.Slack.Channel, Currency: b.Currency},
			s.Platform, s.Version, s.EndOfLife, s.DaysLeft, s.Source)
		row, err := a.Row()
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 || db == nil {
		return nil
	}
	if _, err := db.EnqueueAlerts(ctx, rows); err != nil {
		return fmt.Errorf("queueing API version alerts: %w", err)
	}
	return nil
}

// alertBrand picks the brand whose channel hears about platform's
// version.
func alertBrand(set *configs.Set, platform ads.Platform) *configs.Brand {
	if set == nil {
		return nil
	}
	brands := append([]*configs.Brand(nil), set.Brands...)
	sort.Slice(brands, func(i, j int) bool { return brands[i].Name < brands[j].Name })
	var fallback *configs.Brand
	for _, b := range brands {
		if b.Slack.Channel == "" {
			continue
		}
		if fallback == nil {
			fallback = b
		}
		if (platform == ads.Meta && len(b.Accounts.Meta) > 0) || (platform == ads.Shopify && len(b.Accounts.Shopify) > 0) {
			return b
		}
	}
	return fallback
}
