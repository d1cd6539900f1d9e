package metaads_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
)

func TestAccount(t *testing.T) {
	t.Parallel()
	b := setup(t, bigSeed(1, 1), nil)
	got, err := b.client.Account(t.Context(), "1001")
	if err != nil {
		t.Fatal(err)
	}
	want := metaads.AccountInfo{ID: testAct, Name: "Glowco US", Currency: "USD", Timezone: "America/New_York"}
	if got != want {
		t.Errorf("Account = %+v, want %+v", got, want)
	}
}

func TestAdsKindsAndCreatives(t *testing.T) {
	t.Parallel()
	b := setup(t, bigSeed(3, 0), nil)
	got, err := b.client.Ads(t.Context(), testAct)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d ads, want 3", len(got))
	}
	tests := []struct {
		kind     ads.Kind
		creator  string
		item     string
		content  string
		link     string
		campaign string
	}{
		{ads.Whitelisted, "17841499990000001", "18000000000000000", "v0", "https://glowco.com/serum", "2384000000001"},
		{ads.Dark, "", brandPage + "_900000000001", "v1", "https://glowco.com/serum?utm_source=meta&utm_content=v1", "2384000000001"},
		{ads.Standard, "", brandPage + "_800000000002", "", "", "2384000000001"},
	}
	for i, tt := range tests {
		a := got[i]
		if a.Kind != tt.kind || a.CreatorIdentity != tt.creator || a.ItemID != tt.item || a.UTM.Content != tt.content ||
			a.LinkURL != tt.link || a.CampaignID != tt.campaign || a.AdSetID != "2385000000001" || a.Status != "ACTIVE" ||
			a.Platform != ads.Meta || a.Account != testAct || a.UpdatedAt.IsZero() {
			t.Errorf("ad %d = %+v, want kind %s creator %q item %q utm_content %q link %q", i, a, tt.kind, tt.creator, tt.item, tt.content, tt.link)
		}
	}
	if got[0].UTM.Source != "jacqueline" || got[1].UTM.Source != "meta" {
		t.Errorf("utm sources = %q, %q; want url_tags to win over the link", got[0].UTM.Source, got[1].UTM.Source)
	}
}

func TestAdsPaging(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		ads       int
		pageSize  int
		wantCalls int
	}{
		{"one short page", 3, 0, 1},
		{"exact pages", 1000, 0, 2},
		{"many small pages", 103, 7, 15},
		{"page size above the cap", 1201, 5000, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bigSeed(tt.ads, 0), func(o *metaads.Options) { o.PageSize = tt.pageSize })
			got, err := b.client.Ads(t.Context(), testAct)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.ads {
				t.Fatalf("got %d ads, want %d", len(got), tt.ads)
			}
			seen := map[string]bool{}
			for _, a := range got {
				if seen[a.ID] {
					t.Fatalf("ad %s listed twice", a.ID)
				}
				seen[a.ID] = true
			}
			if n := len(b.fake.Calls()); n != tt.wantCalls {
				t.Errorf("calls = %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestDayStatsSync(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		windows   []string
		wantConv  int64
		wantValue int64
	}{
		{"configured windows", []string{"7d_click", "1d_view"}, 3, 150_000_000},
		{"one window", []string{"28d_click"}, 5, 300_000_000},
		{"default window", nil, 3, 150_000_000},
		{"window not reported falls back to value", []string{"1d_click"}, 3, 150_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bigSeed(2, 5), nil)
			r := ads.DateRange{From: day0.AddDays(1), To: day0.AddDays(3)}
			got, err := b.client.DayStats(t.Context(), testAct, r, tt.windows)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 6 {
				t.Fatalf("got %d rows, want 6", len(got))
			}
			first := got[0]
			want := ads.DayStat{Platform: ads.Meta, Account: testAct, AdID: "23851000000000000", Day: day0.AddDays(1), Currency: "USD",
				Spend: 10_010_000, Impressions: 1001, Clicks: 21, Engagements: 32, Views: 401, Conversions: tt.wantConv, ConversionValue: tt.wantValue}
			if first != want {
				t.Errorf("first row = %+v\nwant        %+v", first, want)
			}
			if n := callsTo(b.fake.Calls(), "POST", ""); n != 0 {
				t.Errorf("a 3-day range made %d async POSTs, want a sync read", n)
			}
		})
	}
}

func TestDayStatsAsync(t *testing.T) {
	t.Parallel()
	const nAds, days = 40, 30
	r := ads.DateRange{From: day0, To: day0.AddDays(days - 1)}
	windows := []string{"7d_click", "1d_view"}
	baseline := func(t *testing.T) []ads.DayStat {
		b := setup(t, bigSeed(nAds, days), func(o *metaads.Options) { o.AsyncDays = 1000 })
		s, err := b.client.DayStats(t.Context(), testAct, r, windows)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}(t)
	if len(baseline) != nAds*days {
		t.Fatalf("sync baseline has %d rows, want %d", len(baseline), nAds*days)
	}
	tests := []struct {
		name      string
		knobs     func(*metafake.Server)
		wantPosts int
		wantPolls int
	}{
		{"completes after polling", func(f *metafake.Server) { f.AsyncRunning(3) }, 1, 4},
		{"failed job splits the range", func(f *metafake.Server) { f.FailAsyncJobs(1) }, 3, 3},
		{"skipped job splits the range", func(f *metafake.Server) { f.SkipAsyncJobs(1) }, 3, 3},
		{"failed halves split again", func(f *metafake.Server) { f.FailAsyncJobs(3) }, 7, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bigSeed(nAds, days), nil)
			tt.knobs(b.fake)
			got, err := b.client.DayStats(t.Context(), testAct, r, windows)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(baseline) {
				t.Fatalf("got %d rows, want %d", len(got), len(baseline))
			}
			for i := range got {
				if got[i] != baseline[i] {
					t.Fatalf("row %d = %+v, want %+v", i, got[i], baseline[i])
				}
			}
			calls := b.fake.Calls()
			if n := callsTo(calls, "POST", "/"+testAct+"/insights"); n != tt.wantPosts {
				t.Errorf("report runs created = %d, want %d", n, tt.wantPosts)
			}
			polls := 0
			for _, c := range calls {
				if c.Method == "GET" && strings.Count(c.Path, "/") == 2 && !strings.Contains(c.Path, "act_") {
					polls++
				}
			}
			if polls != tt.wantPolls {
				t.Errorf("status polls = %d, want %d", polls, tt.wantPolls)
			}
		})
	}
}

func TestDayStatsAsyncJobFailure(t *testing.T) {
	t.Parallel()
	b := setup(t, bigSeed(2, 10), func(o *metaads.Options) { o.AsyncDays = 7 })
	b.fake.FailAsyncJobs(1000)
	_, err := b.client.DayStats(t.Context(), testAct, ads.DateRange{From: day0, To: day0.AddDays(9)}, nil)
	var ae *ads.APIError
	if !errors.As(err, &ae) || ae.Kind != ads.KindJobFailed || ae.Account != testAct || ae.Retryable() {
		t.Fatalf("err = %v, want a non-retryable KindJobFailed APIError for %s", err, testAct)
	}
}

// TestCallBudget checks that a large account is read within 10% of the
// fewest calls the page size allows.
func TestCallBudget(t *testing.T) {
	t.Parallel()
	const nAds, days = 1200, 30
	b := setup(t, bigSeed(nAds, days), nil)
	ctx := t.Context()
	list, err := b.client.Ads(ctx, testAct)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := b.client.DayStats(ctx, testAct, ads.DateRange{From: day0, To: day0.AddDays(days - 1)}, []string{"7d_click", "1d_view"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != nAds || len(stats) != nAds*days {
		t.Fatalf("got %d ads and %d rows, want %d and %d", len(list), len(stats), nAds, nAds*days)
	}
	ceil := func(a, b int) int { return (a + b - 1) / b }
	// ads pages + insights pages + creating and polling one report run.
	minCalls := ceil(nAds, metafake.MaxLimit) + ceil(nAds*days, metafake.MaxLimit) + 2
	got := len(b.fake.Calls())
	if float64(got) > 1.1*float64(minCalls) {
		t.Errorf("calls = %d, want at most %d (minimum %d + 10%%)", got, int(1.1*float64(minCalls)), minCalls)
	}
	t.Logf("calls = %d, minimum = %d", got, minCalls)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		knobs     func(*metafake.Server)
		wantErr   bool
		kind      ads.ErrorKind
		code      int
		wantCalls int
		retryMin  time.Duration
	}{
		{"transient code 2 is retried", func(f *metafake.Server) { f.FailNext(2, 500, 2) }, false, 0, 0, 3, 0},
		{"unknown error 1 is retried", func(f *metafake.Server) { f.FailNext(1, 500, 1) }, false, 0, 0, 2, 0},
		{"bare 503 is retried", func(f *metafake.Server) { f.FailNext(1, 503, 0) }, false, 0, 0, 2, 0},
		{"5xx until retries run out", func(f *metafake.Server) { f.FailNext(10, 502, 0) }, true, ads.KindTransient, 0, 4, 0},
		{"short throttle is waited out", func(f *metafake.Server) { f.Throttle(2, 0) }, false, 0, 0, 3, 0},
		{"user limit 17 is retried", func(f *metafake.Server) { f.FailNext(1, 400, 17) }, false, 0, 0, 2, 0},
		{"calls per hour 613 is retried", func(f *metafake.Server) { f.FailNext(1, 400, 613) }, false, 0, 0, 2, 0},
		{"app limit 4 until retries run out", func(f *metafake.Server) { f.FailNext(9, 400, 4) }, true, ads.KindRateLimited, 4, 4, 0},
		{"long throttle is surfaced with its wait", func(f *metafake.Server) { f.Throttle(5, 19*time.Minute) }, true, ads.KindRateLimited, 80004, 1, 19 * time.Minute},
		{"invalid token is never retried", func(f *metafake.Server) { f.FailNext(5, 400, 190) }, true, ads.KindAuth, 190, 1, 0},
		{"expired token is never retried", func(f *metafake.Server) { f.ExpireToken() }, true, ads.KindAuth, 190, 1, 0},
		{"permission 200 is never retried", func(f *metafake.Server) { f.FailNext(5, 403, 200) }, true, ads.KindPermission, 200, 1, 0},
		{"permission 10 is never retried", func(f *metafake.Server) { f.FailNext(5, 400, 10) }, true, ads.KindPermission, 10, 1, 0},
		{"invalid parameter is never retried", func(f *metafake.Server) { f.FailNext(5, 400, 100) }, true, ads.KindInvalid, 100, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bigSeed(2, 1), nil)
			tt.knobs(b.fake)
			list, err := b.client.Ads(t.Context(), testAct)
			if n := len(b.fake.Calls()); n != tt.wantCalls {
				t.Errorf("calls = %d, want %d", n, tt.wantCalls)
			}
			if !tt.wantErr {
				if err != nil || len(list) != 2 {
					t.Fatalf("Ads = %d ads, %v; want 2 ads after retrying", len(list), err)
				}
				return
			}
			var ae *ads.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v (%T), want *ads.APIError", err, err)
			}
			if ae.Kind != tt.kind || ae.Code != tt.code || ae.Platform != ads.Meta || ae.Account != testAct || ae.Op != "GET "+testAct+"/ads" {
				t.Errorf("err = %+v, want kind %s code %d op %q", ae, tt.kind, tt.code, "GET "+testAct+"/ads")
			}
			if tt.code != 0 && ae.TraceID == "" {
				t.Errorf("err %v has no fbtrace_id", ae)
			}
			if ae.RetryAfter < tt.retryMin {
				t.Errorf("RetryAfter = %s, want at least %s", ae.RetryAfter, tt.retryMin)
			}
			if tt.kind == ads.KindAuth && !strings.Contains(ae.Error(), "META_ACCESS_TOKEN") {
				t.Errorf("auth error %q does not tell the operator what to do", ae.Error())
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t, bigSeed(1, 0), nil)
	_, err := b.client.Account(t.Context(), "act_999")
	var ae *ads.APIError
	if !errors.As(err, &ae) || ae.Kind != ads.KindNotFound || ae.Code != 100 || ae.Subcode != 33 {
		t.Fatalf("err = %v, want KindNotFound 100/33", err)
	}
	if n := len(b.fake.Calls()); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

func TestContextDeadlineWithSlowServer(t *testing.T) {
	t.Parallel()
	b := setup(t, bigSeed(1, 0), nil)
	b.fake.Latency(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := b.client.Ads(ctx, testAct)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("Ads returned after %s, want promptly at the deadline", d)
	}
}

func TestAppSecretProof(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		secret   string
		wantKind ads.ErrorKind
	}{
		{"right secret", testSecret, 0},
		{"wrong secret", "not-the-secret", ads.KindInvalid},
		{"no secret", "", ads.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seed := bigSeed(1, 0)
			seed.AppSecret = testSecret
			b := setup(t, seed, func(o *metaads.Options) { o.AppSecret = tt.secret })
			_, err := b.client.Account(t.Context(), testAct)
			var ae *ads.APIError
			switch {
			case tt.wantKind == 0 && err != nil:
				t.Fatalf("err = %v, want success", err)
			case tt.wantKind != 0 && (!errors.As(err, &ae) || ae.Kind != tt.wantKind):
				t.Fatalf("err = %v, want kind %s", err, tt.wantKind)
			}
			for _, c := range b.fake.Calls() {
				if c.Params.Has("access_token") {
					t.Errorf("call %s %s carried the token as a parameter", c.Method, c.Path)
				}
			}
		})
	}
	// Reference value from an independent HMAC-SHA256 implementation.
	if got, want := metaads.AppSecretProof("token", "secret"), "e941110e3d2bfe82621f0e3e1434730d7305d106c5f68c87165d0b27a4611a4a"; got != want {
		t.Errorf("AppSecretProof = %s, want %s", got, want)
	}
}

// TestSecretsNeverLeak proves the token and the appsecret_proof appear in no
// error text and no log line, whatever fails.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	proof := metaads.AppSecretProof(testToken, testSecret)
	faults := []struct {
		name  string
		knobs func(*metafake.Server)
	}{
		{"transient", func(f *metafake.Server) { f.FailNext(10, 500, 2) }},
		{"bare 5xx", func(f *metafake.Server) { f.FailNext(10, 502, 0) }},
		{"throttle", func(f *metafake.Server) { f.Throttle(10, time.Hour) }},
		{"auth", func(f *metafake.Server) { f.ExpireToken() }},
		{"permission", func(f *metafake.Server) { f.FailNext(1, 403, 200) }},
		{"job failed", func(f *metafake.Server) { f.FailAsyncJobs(1000) }},
	}
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seed := bigSeed(2, 10)
			seed.AppSecret = testSecret
			// Ten days through an async run (the job-failed fault).
			b := setup(t, seed, func(o *metaads.Options) { o.AsyncDays = 7 })
			tt.knobs(b.fake)
			_, err := b.client.DayStats(t.Context(), testAct, ads.DateRange{From: day0, To: day0.AddDays(9)}, nil)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, secret := range []string{testToken, proof, testSecret} {
				if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
					t.Errorf("error %q contains a secret", err)
				}
				if strings.Contains(b.logs.String(), secret) {
					t.Errorf("logs contain a secret:\n%s", b.logs.String())
				}
			}
		})
	}
	t.Run("transport failure", func(t *testing.T) {
		t.Parallel()
		seed := bigSeed(1, 0)
		seed.AppSecret = testSecret
		b := setup(t, seed, nil)
		b.srv.Close()
		_, err := b.client.Ads(t.Context(), testAct)
		var ae *ads.APIError
		if !errors.As(err, &ae) || ae.Kind != ads.KindTransient {
			t.Fatalf("err = %v, want KindTransient", err)
		}
		if !strings.Contains(b.logs.String(), "appsecret_proof=REDACTED") {
			t.Errorf("logs do not show the redacted URL; logs:\n%s", b.logs.String())
		}
		for _, secret := range []string{testToken, proof} {
			if strings.Contains(err.Error(), secret) || strings.Contains(b.logs.String(), secret) {
				t.Errorf("secret leaked: err %q logs:\n%s", err, b.logs.String())
			}
		}
	})
}

func TestPauseAndBudget(t *testing.T) {
	t.Parallel()
	seed := bigSeed(2, 0)
	seed.Accounts[0].AdSets = append(seed.Accounts[0].AdSets, metafake.AdSet{ID: "2385000000009", Name: "lifetime"})
	b := setup(t, seed, nil)
	ctx := t.Context()
	adID := seed.Accounts[0].Ads[1].ID
	if err := b.client.PauseAd(ctx, testAct, adID); err != nil {
		t.Fatal(err)
	}
	if ad, _ := b.fake.Ad(adID); ad.Status != "PAUSED" || ad.EffectiveStatus != "PAUSED" {
		t.Errorf("ad after PauseAd = %+v, want PAUSED", ad)
	}
	list, err := b.client.Ads(ctx, testAct)
	if err != nil {
		t.Fatal(err)
	}
	if list[1].Status != "PAUSED" || list[0].Status != "ACTIVE" {
		t.Errorf("statuses = %s, %s; want ACTIVE, PAUSED", list[0].Status, list[1].Status)
	}

	got, err := b.client.AdSetDailyBudget(ctx, testAct, "2385000000001")
	if err != nil || got != 5000 {
		t.Fatalf("AdSetDailyBudget = %d, %v; want 5000", got, err)
	}
	if err := b.client.SetAdSetDailyBudget(ctx, testAct, "2385000000001", 6000); err != nil {
		t.Fatal(err)
	}
	if got, err := b.client.AdSetDailyBudget(ctx, testAct, "2385000000001"); err != nil || got != 6000 {
		t.Errorf("budget after change = %d, %v; want 6000", got, err)
	}
	if _, err := b.client.AdSetDailyBudget(ctx, testAct, "2385000000009"); !errors.Is(err, metaads.ErrNoDailyBudget) {
		t.Errorf("lifetime-budget ad set: err = %v, want ErrNoDailyBudget", err)
	}
	if err := b.client.SetAdSetDailyBudget(ctx, testAct, "2385000000001", 0); err == nil {
		t.Error("SetAdSetDailyBudget(0) succeeded, want an error")
	}
	var ae *ads.APIError
	if err := b.client.PauseAd(ctx, testAct, "404"); !errors.As(err, &ae) || ae.Kind != ads.KindNotFound || ae.Op != "POST 404" {
		t.Errorf("pausing a missing ad: err = %v, want KindNotFound on POST 404", err)
	}
}
