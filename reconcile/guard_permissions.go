package reconcile

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
)

// Permission alert kinds (PermissionAlert.Kind).
const (
	// PermAlertExpiring: the grant expires within the warning window.
	PermAlertExpiring = "expiring"
	// PermAlertExpired: the grant has expired.
	PermAlertExpired = "expired"
	// PermAlertRevoked: the creator revoked the grant.
	PermAlertRevoked = "revoked"
	// PermAlertMissing: no grant was found for the variant at all.
	PermAlertMissing = "missing"
)

// DefaultPermissionWarning is how far ahead an expiry is announced when
// PermissionAlerts is given no window.
const DefaultPermissionWarning = 7 * 24 * time.Hour

// Expiry is where a grant stands against its expiry at a moment: the one
// rule behind the permission alerts (PermissionAlerts) and the dashboard's
// permission list. It looks at the expiry time only; a grant's status
// (revoked, expired by the platform) is the caller's to weigh.
type Expiry struct {
	// Known reports whether the grant has an expiry.
	Known bool
	// DaysLeft is whole days until the expiry, rounded down (negative
	// after it; 0 when not Known).
	DaysLeft int
	// Passed reports whether the expiry is at or before the moment.
	Passed bool
	// Soon reports whether the expiry is after the moment but within the
	// warning window.
	Soon bool
}

// ExpiryOf applies the expiry rule to a grant expiring at expires (zero:
// never) at now, with warning window warn (0 means
// DefaultPermissionWarning).
func ExpiryOf(expires, now time.Time, warn time.Duration) Expiry {
	if expires.IsZero() {
		return Expiry{}
	}
	if warn <= 0 {
		warn = DefaultPermissionWarning
	}
	left := expires.Sub(now)
	return Expiry{Known: true, DaysLeft: int(math.Floor(left.Hours() / 24)), Passed: left <= 0, Soon: left > 0 && left <= warn}
}

// PermissionNeed is a declared variant that runs on a creator's grant
// (a whitelisted ad or a Spark ad) and so needs a live permission.
type PermissionNeed struct {
	TestID     string
	VariantKey string
	Platform   ads.Platform
	// PermissionID, ItemID and Creator identify the grant, strongest
	// first: the permission id, the authorized post, the creator handle.
	PermissionID string
	ItemID       string
	Creator      string
	// Ends is the last day of the test window; spend is planned while
	// today is not after it.
	Ends ads.Date
}

// PermissionAlert is a grant problem for a variant that still has spend
// planned.
type PermissionAlert struct {
	// Kind is PermAlertExpiring, PermAlertExpired, PermAlertRevoked or
	// PermAlertMissing.
	Kind         string
	TestID       string
	VariantKey   string
	Platform     ads.Platform
	PermissionID string
	Creator      string
	// ExpiresAt is the grant's expiry when known.
	ExpiresAt time.Time
	// Reason says what is wrong, for people.
	Reason string
}

// PermissionAlerts checks each need whose test window has not ended
// against the synced permissions and reports grants that expire within
// warn (0 means DefaultPermissionWarning), have expired, were revoked, or
// cannot be found. Results are ordered by test, variant and kind.
func PermissionAlerts(now time.Time, today ads.Date, warn time.Duration, perms []ads.Permission, needs []PermissionNeed) []PermissionAlert {
	if warn <= 0 {
		warn = DefaultPermissionWarning
	}
	var out []PermissionAlert
	for _, n := range needs {
		if today.After(n.Ends) {
			continue
		}
		what := grantName(n.Platform)
		p, ok := bestPermission(perms, n, now)
		a := PermissionAlert{TestID: n.TestID, VariantKey: n.VariantKey, Platform: n.Platform, Creator: n.Creator}
		runs := fmt.Sprintf("variant %s of %s has spend planned until %s", n.VariantKey, n.TestID, n.Ends)
		if !ok {
			a.Kind = PermAlertMissing
			a.PermissionID = n.PermissionID
			a.Reason = fmt.Sprintf("No %s found for %s; %s.", what, grantSubject(n.Creator, n.ItemID), runs)
			out = append(out, a)
			continue
		}
		a.PermissionID, a.ExpiresAt = p.ID, p.ExpiresAt
		if p.Creator != "" {
			a.Creator = p.Creator
		}
		subject := grantSubject(a.Creator, p.ItemID)
		e := ExpiryOf(p.ExpiresAt, now, warn)
		switch {
		case p.Status == ads.PermissionRevoked || !p.RevokedAt.IsZero():
			a.Kind = PermAlertRevoked
			when := ""
			if !p.RevokedAt.IsZero() {
				when = " on " + p.RevokedAt.UTC().Format(time.DateOnly)
			}
			a.Reason = fmt.Sprintf("The %s for %s was revoked%s; %s.", what, subject, when, runs)
		case p.Status == ads.PermissionExpired || e.Passed:
			a.Kind = PermAlertExpired
			when := ""
			if !p.ExpiresAt.IsZero() {
				when = " on " + p.ExpiresAt.UTC().Format(time.DateOnly)
			}
			a.Reason = fmt.Sprintf("The %s for %s expired%s; %s.", what, subject, when, runs)
		case e.Soon:
			a.Kind = PermAlertExpiring
			a.Reason = fmt.Sprintf("The %s for %s expires %s (in %d %s); %s.", what, subject,
				p.ExpiresAt.UTC().Format(time.DateOnly), e.DaysLeft, plural(int64(e.DaysLeft), "day", "days"), runs)
		default:
			continue
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].TestID != out[j].TestID {
			return out[i].TestID < out[j].TestID
		}
		if out[i].VariantKey != out[j].VariantKey {
			return out[i].VariantKey < out[j].VariantKey
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

// bestPermission picks, among the grants matching n, the one that lasts
// longest: a live grant beats a dead one, then the later expiry (no expiry
// counts as latest).
func bestPermission(perms []ads.Permission, n PermissionNeed, now time.Time) (ads.Permission, bool) {
	var best ads.Permission
	found := false
	live := func(p ads.Permission) bool {
		return p.Status != ads.PermissionRevoked && p.Status != ads.PermissionExpired && p.RevokedAt.IsZero() &&
			!ExpiryOf(p.ExpiresAt, now, 0).Passed
	}
	later := func(a, b time.Time) bool { // a lasts longer than b
		if a.IsZero() || b.IsZero() {
			return a.IsZero() && !b.IsZero()
		}
		return a.After(b)
	}
	for _, p := range perms {
		if p.Platform != n.Platform || !grantMatches(p, n) {
			continue
		}
		switch {
		case !found:
		case live(p) != live(best):
			if !live(p) {
				continue
			}
		case !later(p.ExpiresAt, best.ExpiresAt):
			continue
		}
		best, found = p, true
	}
	return best, found
}

func grantMatches(p ads.Permission, n PermissionNeed) bool {
	switch {
	case n.PermissionID != "":
		return p.ID == n.PermissionID
	case n.ItemID != "":
		return p.ItemID == n.ItemID
	case n.Creator != "":
		return normalHandle(p.Creator) == normalHandle(n.Creator)
	}
	return false
}

func normalHandle(h string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
}

func grantName(p ads.Platform) string {
	if p == ads.TikTok {
		return "Spark Ads authorization"
	}
	return "partnership ad permission"
}

func grantSubject(creator, item string) string {
	switch {
	case creator != "" && item != "":
		return fmt.Sprintf("@%s (post %s)", normalHandle(creator), item)
	case creator != "":
		return "@" + normalHandle(creator)
	case item != "":
		return "post " + item
	}
	return "the creator"
}

// Hygiene issue kinds (HygieneIssue.Kind).
const (
	// HygieneNoAd: a declared variant has no ad running it.
	HygieneNoAd = "no_ad"
	// HygieneUntagged: a running ad has no utm_content, so its spend can't
	// be tied to revenue.
	HygieneUntagged = "untagged"
)

// DeclaredVariant is a variant from the brand's YAML with how many ads
// were matched to it.
type DeclaredVariant struct {
	TestID     string
	VariantKey string
	Platform   ads.Platform
	// Start and Ends bound the test window.
	Start, Ends ads.Date
	// Ads is the number of platform ads matched to the variant.
	Ads int
}

// HygieneIssue is a tracking problem that makes a variant impossible to
// judge.
type HygieneIssue struct {
	// Kind is HygieneNoAd or HygieneUntagged.
	Kind       string
	TestID     string
	VariantKey string
	Platform   ads.Platform
	// AdID and AdName name the untagged ad.
	AdID   string
	AdName string
	// Reason says what is wrong, for people.
	Reason string
}

// HygieneIssues reports declared variants of running tests (Start ≤ today ≤
// Ends) with no ad, and running ads (ACTIVE / ENABLE statuses) without
// utm_content.
func HygieneIssues(today ads.Date, declared []DeclaredVariant, list []ads.Ad) []HygieneIssue {
	var out []HygieneIssue
	for _, d := range declared {
		if d.Ads > 0 || today.Before(d.Start) || today.After(d.Ends) {
			continue
		}
		out = append(out, HygieneIssue{Kind: HygieneNoAd, TestID: d.TestID, VariantKey: d.VariantKey, Platform: d.Platform,
			Reason: fmt.Sprintf("Variant %s of %s is declared for %s but no ad runs it (match by ad_id, post id or utm_content).", d.VariantKey, d.TestID, d.Platform)})
	}
	for _, a := range list {
		if a.UTM.Content != "" || !adDelivering(a.Status) {
			continue
		}
		out = append(out, HygieneIssue{Kind: HygieneUntagged, Platform: a.Platform, AdID: a.ID, AdName: a.Name,
			Reason: fmt.Sprintf("%s ad %s (%q) is running without utm_content; its orders cannot be tied to a variant.", a.Platform, a.ID, a.Name)})
	}
	return out
}

// AdDelivering reports whether a platform status means the ad is live:
// Meta ACTIVE, TikTok ENABLE / AD_STATUS_DELIVERY_OK.
func AdDelivering(status string) bool { return adDelivering(status) }

func adDelivering(status string) bool {
	s := strings.ToUpper(status)
	if strings.Contains(s, "INACTIVE") || strings.Contains(s, "DISABLE") || strings.Contains(s, "PAUSE") || strings.Contains(s, "NOT_DELIVER") {
		return false
	}
	return strings.Contains(s, "ACTIVE") || strings.Contains(s, "ENABLE") || strings.Contains(s, "DELIVERY_OK")
}
