package jobs

import (
	"context"
	"math"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
)

// TestMetaTokenExpiryWarnings: a 60-day system-user token's expiry is read
// with debug_token on the jobs' clock, recorded for /metrics and /readyz,
// and each brand's Slack channel is warned 14 and 3 days before it expires
// and once it has, each warning once however often the check runs.
func TestMetaTokenExpiryWarnings(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	set, err := configs.LoadExamples()
	if err != nil {
		t.Fatal(err)
	}
	glow := set.Brands[0]
	lumen := *glow
	lumen.Name, lumen.Currency, lumen.Slack.Channel = "lumen", "EUR", "#lumen-perf"
	lumen.Location, _ = time.LoadLocation("Europe/Berlin")
	lm := *glow.Accounts.Meta[0]
	lm.AdAccount = "act_2002"
	lumen.Accounts.Meta = []*configs.MetaAccount{&lm}
	brands := []*configs.Brand{glow, &lumen}

	issued := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	expires := issued.Add(60 * 24 * time.Hour)
	var mu sync.Mutex
	now := issued
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fake := metafake.New(metafake.Seed{Token: "tok", AppID: "4242", AppSecret: "s3cret", TokenExpiresAt: expires, Now: clock})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Tokens.Now = clock
	d := &Deps{DB: db, Metrics: m, Meta: metaads.New(metaads.Options{BaseURL: srv.URL, AccessToken: "tok", AppID: "4242", AppSecret: "s3cret", RetryMax: -1})}
	runner := newRunner(db, "r1")
	runner.Now = clock

	tokenAlerts := func(brand string) []string {
		t.Helper()
		list, err := db.Alerts(ctx, brand)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, a := range list {
			if a.Kind == "token" {
				keys = append(keys, a.DedupKey)
			}
		}
		return keys
	}
	steps := []struct {
		at         time.Duration // after issue
		wantAlerts int           // token alerts per brand so far
		wantLast   string        // stage of the newest alert
		wantReady  string
	}{
		{0, 0, "", "meta token: valid, expires 2026-12-31T09:00:00Z (in 60 days"},
		{46 * 24 * time.Hour, 1, "14d", "in 14 days"},
		{46*24*time.Hour + 6*time.Hour, 1, "14d", "in 13 days"},
		{57*24*time.Hour + 12*time.Hour, 2, "3d", "in 2 days"},
		{58 * 24 * time.Hour, 2, "3d", "in 2 days"},
		{60*24*time.Hour + time.Minute, 3, "expired", "meta token: EXPIRED at 2026-12-31T09:00:00Z"},
	}
	for _, st := range steps {
		mu.Lock()
		now = issued.Add(st.at)
		mu.Unlock()
		for _, b := range brands {
			for _, j := range d.tokenJobs(b) {
				if !j.AtStart || j.Name != JobMetaToken {
					t.Fatalf("token job %+v, want %s run at start", j, JobMetaToken)
				}
				if err := runner.Execute(ctx, j); err != nil {
					t.Fatalf("at +%v: %s %s: %v", st.at, j.Name, j.Scope, err)
				}
			}
		}
		for _, b := range brands {
			keys := tokenAlerts(b.Name)
			if len(keys) != st.wantAlerts || (st.wantLast != "" && !strings.HasSuffix(keys[len(keys)-1], ":"+st.wantLast)) {
				t.Errorf("at +%v brand %s: token alerts %v, want %d, the newest %q", st.at, b.Name, keys, st.wantAlerts, st.wantLast)
			}
		}
		sts, err := TokenStatuses(ctx, db)
		if err != nil || len(sts) != 1 {
			t.Fatalf("TokenStatuses = %v, %v", sts, err)
		}
		if got := sts[0].Describe(clock()); !strings.Contains(got, st.wantReady) || strings.Contains(got, "tok") && strings.Contains(got, "s3cret") {
			t.Errorf("at +%v: readiness line %q, want it to contain %q", st.at, got, st.wantReady)
		}
		want := expires.Sub(clock()).Seconds()
		if got := gauge(t, reg, "roasd_token_expiry_seconds", "meta"); math.Abs(got-want) > 1 {
			t.Errorf("at +%v: roasd_token_expiry_seconds = %v, want %v", st.at, got, want)
		}
	}
}

// gauge reads the value of name{platform} from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name, platform string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "platform" && l.GetValue() == platform {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{platform=%q}", name, platform)
	return 0
}
