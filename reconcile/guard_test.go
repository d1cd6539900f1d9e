package reconcile

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
)

func TestGuards(t *testing.T) {
	t.Parallel()
	policy := GuardPolicy{ZeroOrderSpend: usd("300"), Currency: "USD"}
	tests := []struct {
		name string
		perf VariantPerf
		want []string
	}{
		{"healthy", VariantPerf{Key: "a", Spend: usd("1000"), Orders: 20, PlatformConversions: 25}, nil},
		{"zero orders under threshold", VariantPerf{Key: "a", Spend: usd("299.99"), Orders: 0, PlatformConversions: 1}, nil},
		{"zero orders past threshold", VariantPerf{Key: "a", Spend: usd("300"), Orders: 0, PlatformConversions: 2}, []string{GuardZeroOrders}},
		{"over-reported", VariantPerf{Key: "a", Spend: usd("1000"), Orders: 4, PlatformConversions: 9}, []string{GuardOverReported}},
		{"exactly k times is fine", VariantPerf{Key: "a", Spend: usd("1000"), Orders: 5, PlatformConversions: 10}, nil},
		{"few platform conversions never over-report", VariantPerf{Key: "a", Spend: usd("100"), Orders: 0, PlatformConversions: 4}, nil},
		{"both", VariantPerf{Key: "a", Spend: usd("500"), Orders: 0, PlatformConversions: 12}, []string{GuardOverReported, GuardZeroOrders}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var names []string
			for _, g := range Guards(policy, []VariantPerf{tc.perf}) {
				names = append(names, g.Name)
				if !strings.Contains(g.Reason, "a") || g.Reason == "" {
					t.Errorf("guard %s reason %q lacks the subject", g.Name, g.Reason)
				}
			}
			if !reflect.DeepEqual(names, tc.want) {
				t.Errorf("Guards(%+v) = %v, want %v", tc.perf, names, tc.want)
			}
		})
	}
	got := Guards(policy, []VariantPerf{{Key: "hook-a", Spend: usd("450"), PlatformConversions: 3}})
	want := "hook-a has spent 450.00 USD with zero store-confirmed orders (guard at 300.00 USD); the platform reports 3 conversions."
	if len(got) != 1 || got[0].Reason != want {
		t.Errorf("reason:\n got %+v\nwant %s", got, want)
	}
}

func TestPermissionAlerts(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	today := ads.DateOf(now, time.UTC)
	ends := ads.MustDate("2026-07-01")
	need := func(key, creator, item string) PermissionNeed {
		return PermissionNeed{TestID: "t1", VariantKey: key, Platform: ads.Meta, Creator: creator, ItemID: item, Ends: ends}
	}
	perm := func(creator, item string, st ads.PermissionStatus, expires, revoked time.Time) ads.Permission {
		return ads.Permission{Platform: ads.Meta, ID: "perm-" + creator + item, Creator: creator, ItemID: item, Status: st, ExpiresAt: expires, RevokedAt: revoked}
	}
	var zero time.Time
	tests := []struct {
		name  string
		perms []ads.Permission
		need  PermissionNeed
		want  string // kind, "" for no alert
	}{
		{"healthy no expiry", []ads.Permission{perm("jacq", "", ads.PermissionActive, zero, zero)}, need("a", "jacq", ""), ""},
		{"expires in 30 days", []ads.Permission{perm("jacq", "", ads.PermissionActive, now.AddDate(0, 0, 30), zero)}, need("a", "@Jacq", ""), ""},
		{"expires in 3 days", []ads.Permission{perm("jacq", "", ads.PermissionActive, now.AddDate(0, 0, 3), zero)}, need("a", "jacq", ""), PermAlertExpiring},
		{"expires in exactly 7 days", []ads.Permission{perm("jacq", "", ads.PermissionActive, now.AddDate(0, 0, 7), zero)}, need("a", "jacq", ""), PermAlertExpiring},
		{"expired by date", []ads.Permission{perm("jacq", "", ads.PermissionActive, now.Add(-time.Hour), zero)}, need("a", "jacq", ""), PermAlertExpired},
		{"expired by status", []ads.Permission{perm("jacq", "", ads.PermissionExpired, zero, zero)}, need("a", "jacq", ""), PermAlertExpired},
		{"revoked", []ads.Permission{perm("jacq", "", ads.PermissionRevoked, zero, now.AddDate(0, 0, -1))}, need("a", "jacq", ""), PermAlertRevoked},
		{"renewed grant wins over revoked one", []ads.Permission{
			perm("jacq", "", ads.PermissionRevoked, zero, now.AddDate(0, 0, -1)),
			perm("jacq", "", ads.PermissionActive, now.AddDate(0, 3, 0), zero),
		}, need("a", "jacq", ""), ""},
		{"spark by item", []ads.Permission{perm("", "item9", ads.PermissionActive, now.AddDate(0, 0, 2), zero)}, need("b", "", "item9"), PermAlertExpiring},
		{"missing", nil, need("a", "jacq", ""), PermAlertMissing},
		{"window ended: no alert", []ads.Permission{perm("jacq", "", ads.PermissionRevoked, zero, zero)},
			PermissionNeed{TestID: "t1", VariantKey: "a", Platform: ads.Meta, Creator: "jacq", Ends: ads.MustDate("2026-06-09")}, ""},
		{"other platform does not count", []ads.Permission{{Platform: ads.TikTok, Creator: "jacq", Status: ads.PermissionActive}}, need("a", "jacq", ""), PermAlertMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := PermissionAlerts(now, today, 0, tc.perms, []PermissionNeed{tc.need})
			switch {
			case tc.want == "" && len(got) != 0:
				t.Errorf("got %+v, want no alert", got)
			case tc.want != "" && (len(got) != 1 || got[0].Kind != tc.want):
				t.Errorf("got %+v, want one %s alert", got, tc.want)
			case tc.want != "" && !strings.Contains(got[0].Reason, "spend planned until 2026-07-01"):
				t.Errorf("reason %q does not say the variant still has spend planned", got[0].Reason)
			}
		})
	}
}

// TestExpiryOf: the one expiry rule the alerts and the dashboard share.
func TestExpiryOf(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	var zero time.Time
	tests := []struct {
		name    string
		expires time.Time
		warn    time.Duration
		want    Expiry
	}{
		{"no expiry", zero, 0, Expiry{}},
		{"in 30 days", now.AddDate(0, 0, 30), 0, Expiry{Known: true, DaysLeft: 30}},
		{"in 8 days", now.AddDate(0, 0, 8), 0, Expiry{Known: true, DaysLeft: 8}},
		{"in exactly 7 days: soon (default window)", now.AddDate(0, 0, 7), 0, Expiry{Known: true, DaysLeft: 7, Soon: true}},
		{"in 7 days with a 3-day window", now.AddDate(0, 0, 7), 3 * 24 * time.Hour, Expiry{Known: true, DaysLeft: 7}},
		{"in 36 hours: 1 whole day", now.Add(36 * time.Hour), 0, Expiry{Known: true, DaysLeft: 1, Soon: true}},
		{"in an hour: 0 days", now.Add(time.Hour), 0, Expiry{Known: true, DaysLeft: 0, Soon: true}},
		{"now: passed", now, 0, Expiry{Known: true, DaysLeft: 0, Passed: true}},
		{"an hour ago: day −1", now.Add(-time.Hour), 0, Expiry{Known: true, DaysLeft: -1, Passed: true}},
		{"3 days ago", now.AddDate(0, 0, -3), 0, Expiry{Known: true, DaysLeft: -3, Passed: true}},
	}
	for _, tc := range tests {
		if got := ExpiryOf(tc.expires, now, tc.warn); got != tc.want {
			t.Errorf("%s: ExpiryOf = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestHygieneIssues(t *testing.T) {
	t.Parallel()
	today := ads.MustDate("2026-06-10")
	declared := []DeclaredVariant{
		{TestID: "t1", VariantKey: "has-ad", Platform: ads.Meta, Start: ads.MustDate("2026-06-01"), Ends: ads.MustDate("2026-07-01"), Ads: 1},
		{TestID: "t1", VariantKey: "no-ad", Platform: ads.TikTok, Start: ads.MustDate("2026-06-01"), Ends: ads.MustDate("2026-07-01")},
		{TestID: "t2", VariantKey: "not-started", Platform: ads.Meta, Start: ads.MustDate("2026-06-20"), Ends: ads.MustDate("2026-07-20")},
	}
	list := []ads.Ad{
		{Platform: ads.Meta, ID: "1", Status: "ACTIVE", UTM: ads.UTM{Content: "hook-a"}},
		{Platform: ads.Meta, ID: "2", Name: "untagged", Status: "ACTIVE"},
		{Platform: ads.TikTok, ID: "3", Status: "ENABLE"},
		{Platform: ads.TikTok, ID: "4", Status: "DISABLE"},
		{Platform: ads.Meta, ID: "5", Status: "PAUSED"},
		{Platform: ads.Meta, ID: "6", Status: "INACTIVE"},
	}
	var got []string
	for _, h := range HygieneIssues(today, declared, list) {
		got = append(got, h.Kind+":"+h.VariantKey+h.AdID)
		if h.Reason == "" {
			t.Errorf("%+v has no reason", h)
		}
	}
	want := []string{"no_ad:no-ad", "untagged:2", "untagged:3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("HygieneIssues = %v, want %v", got, want)
	}
}
