package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/shopify"
)

// TestPinnedVersionsAreInTheCalendar: each pinned version has published
// dates, and the calendar keeps Meta's Marketing API end (not the Graph
// API's, years later).
func TestPinnedVersionsAreInTheCalendar(t *testing.T) {
	t.Parallel()
	want := map[ads.Platform]struct {
		version string
		eol     time.Time
	}{
		ads.Meta:    {metaads.DefaultVersion, time.Date(2027, 2, 23, 0, 0, 0, 0, time.UTC)},
		ads.Shopify: {shopify.DefaultAPIVersion, time.Date(2027, 10, 16, 15, 0, 0, 0, time.UTC)},
	}
	pins := PinnedVersions()
	if len(pins) != len(want) {
		t.Fatalf("pins %v", pins)
	}
	for _, p := range pins {
		w := want[p.Platform]
		if p.Version != w.version || !p.EndOfLife.Equal(w.eol) || p.Source == "" {
			t.Errorf("%s pinned %s ending %s (source %q), want %s ending %s with a source", p.Platform, p.Version, p.EndOfLife, p.Source, w.version, w.eol)
		}
	}
}

// TestCheckVersionsWarnsOnceThirtyDaysBefore: 31 days before Meta's v25.0
// end of life nothing is said; from 30 days before, a warning is logged
// and exactly one Slack alert is queued for the version — to the first
// brand (by name) that uses Meta — however often the check runs, on
// however many days. The gauge follows the jobs' clock.
func TestCheckVersionsWarnsOnceThirtyDaysBefore(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	set := &configs.Set{Brands: []*configs.Brand{
		{Name: "zeta", Currency: "EUR", Slack: configs.Slack{Channel: "#zeta"}, Accounts: configs.Accounts{Meta: []*configs.MetaAccount{{AdAccount: "act_9"}}}},
		{Name: "acme", Currency: "USD", Slack: configs.Slack{Channel: "#acme"}, Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: "acme.myshopify.com"}}}},
	}}
	eol := time.Date(2027, 2, 23, 0, 0, 0, 0, time.UTC)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	gauge := func() float64 {
		t.Helper()
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() != "roasd_api_version_days_to_end_of_life" {
				continue
			}
			for _, mt := range f.GetMetric() {
				labels := map[string]string{}
				for _, l := range mt.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["platform"] == "meta" && labels["version"] == metaads.DefaultVersion && labels["end_of_life"] == "2027-02-23" {
					return mt.GetGauge().GetValue()
				}
			}
		}
		return -999
	}

	if err := CheckVersions(ctx, db, set, eol.AddDate(0, 0, -31), log, m); err != nil {
		t.Fatal(err)
	}
	if got := gauge(); got != 31 {
		t.Errorf("gauge %v 31 days before, want 31", got)
	}
	if logs.Len() != 0 {
		t.Errorf("warned 31 days before:\n%s", logs.String())
	}
	for _, at := range []time.Time{eol.AddDate(0, 0, -30), eol.AddDate(0, 0, -30).Add(time.Hour), eol.AddDate(0, 0, -2)} {
		if err := CheckVersions(ctx, db, set, at, log, m); err != nil {
			t.Fatal(err)
		}
	}
	if got := gauge(); got != 2 {
		t.Errorf("gauge %v two days before, want 2", got)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 3 || !strings.Contains(logs.String(), "version="+metaads.DefaultVersion) {
		t.Errorf("%d warnings, want one per check:\n%s", n, logs.String())
	}
	zeta, err := db.Alerts(ctx, "zeta")
	if err != nil {
		t.Fatal(err)
	}
	acme, err := db.Alerts(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(zeta) != 1 || len(acme) != 0 || zeta[0].Kind != "version" || zeta[0].DedupKey != "version:meta:"+metaads.DefaultVersion+":2027-02-23" {
		t.Errorf("alerts zeta %+v, acme %+v; want one version alert, to zeta (the brand on Meta)", zeta, acme)
	}
}

// TestVersionStatusDaysLeft counts whole days, negative once past.
func TestVersionStatusDaysLeft(t *testing.T) {
	t.Parallel()
	eol := time.Date(2027, 2, 23, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		days int
		warn bool
	}{
		{eol.AddDate(0, 0, -31).Add(-time.Minute), 31, false},
		{eol.AddDate(0, 0, -30), 30, true},
		{eol.Add(-time.Hour), 0, true},
		{eol.Add(time.Hour), -1, true},
	} {
		for _, s := range VersionStatuses(tc.at) {
			if s.Platform == ads.Meta && (s.DaysLeft != tc.days || s.Warn != tc.warn) {
				t.Errorf("at %s: %d days, warn %v; want %d, %v", tc.at, s.DaysLeft, s.Warn, tc.days, tc.warn)
			}
		}
	}
}
