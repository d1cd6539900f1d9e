package tiktokads_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/tiktokads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestAdsPagesAtMaximumPageSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		ads       int
		pageSize  int
		wantCalls int
		wantSize  string
	}{
		{"one page", 3, 0, 1, "1000"},
		{"exactly one full page", 1000, 0, 1, "1000"},
		{"three pages", 2500, 0, 3, "1000"},
		{"small pages", 25, 10, 3, "10"},
		{"oversized option clamps to 1000", 1001, 5000, 2, "1000"},
		{"no ads", 0, 0, 1, "1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{advertiser(tc.ads, ads.MustDate("2026-03-01"), 0)}},
				func(o *tiktokads.Options) { o.PageSize = tc.pageSize })
			list, err := b.client.Ads(context.Background(), adv)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != tc.ads {
				t.Errorf("got %d ads, want %d (deleted ones included)", len(list), tc.ads)
			}
			calls := b.calls("/ad/get/")
			if len(calls) != tc.wantCalls {
				t.Errorf("got %d /ad/get/ calls, want %d", len(calls), tc.wantCalls)
			}
			for i, c := range calls {
				if got := c.Query.Get("page_size"); got != tc.wantSize {
					t.Errorf("call %d page_size = %s, want %s", i, got, tc.wantSize)
				}
				if got := c.Query.Get("filtering"); !strings.Contains(got, "STATUS_ALL") {
					t.Errorf("call %d filtering = %s, want primary_status STATUS_ALL", i, got)
				}
			}
		})
	}
}

func TestAdsMapping(t *testing.T) {
	t.Parallel()
	b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{advertiser(4, ads.MustDate("2026-03-01"), 0)}}, nil)
	b.fake.RevokeSpark("none") // unknown code: no effect
	list, err := b.client.Ads(context.Background(), adv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "ads.golden.json", got)

	// The properties the golden file must keep, spelled out.
	spark, brand := list[0], list[3]
	if spark.Kind != ads.Spark || spark.ItemID != "7345678901234567890" || spark.CreatorIdentity != "6f1c2a9e-jacq" {
		t.Errorf("spark ad = %+v, want kind spark with item and identity", spark)
	}
	if want := (ads.UTM{Source: "jacqueline", Medium: "paid_social", Campaign: "summer", Content: "hook-b"}); spark.UTM != want {
		t.Errorf("spark UTM = %+v, want %+v (landing page merged with utm_params)", spark.UTM, want)
	}
	if spark.Status != "ENABLE/AD_STATUS_DELIVERY_OK" || spark.AdSetID != "1790000000000000002" || spark.CampaignID != "1790000000000000001" {
		t.Errorf("spark ad status/parents = %q %q %q", spark.Status, spark.AdSetID, spark.CampaignID)
	}
	if brand.Kind != ads.Standard || brand.CreatorIdentity != "" || brand.UTM.Content != "var-3" {
		t.Errorf("brand ad = %+v, want standard, no creator identity, utm_content var-3", brand)
	}
	if list[2].Status != "DELETE/AD_STATUS_DELETE" {
		t.Errorf("deleted ad status = %q", list[2].Status)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update): %v", err)
	}
	if string(bytes.TrimSpace(want)) != string(bytes.TrimSpace(got)) {
		t.Errorf("%s differs from output; got:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestDayStatsSplitsRangesAtThirtyDays(t *testing.T) {
	t.Parallel()
	start := ads.MustDate("2026-01-01")
	for _, tc := range []struct {
		name       string
		from, to   string
		wantRanges [][2]string
	}{
		{"one day", "2026-01-05", "2026-01-05", [][2]string{{"2026-01-05", "2026-01-05"}}},
		{"thirty days", "2026-01-01", "2026-01-30", [][2]string{{"2026-01-01", "2026-01-30"}}},
		{"thirty-one days", "2026-01-01", "2026-01-31", [][2]string{{"2026-01-01", "2026-01-30"}, {"2026-01-31", "2026-01-31"}}},
		{"sixty-five days", "2026-01-01", "2026-03-06", [][2]string{{"2026-01-01", "2026-01-30"}, {"2026-01-31", "2026-03-01"}, {"2026-03-02", "2026-03-06"}}},
		{"empty range", "2026-01-05", "2026-01-04", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{advertiser(3, start, 70)}}, nil)
			r := ads.DateRange{From: ads.MustDate(tc.from), To: ads.MustDate(tc.to)}
			stats, err := b.client.DayStats(context.Background(), adv, r)
			if err != nil {
				t.Fatal(err)
			}
			if want := 3 * r.Days(); len(stats) != want {
				t.Errorf("got %d rows, want %d (3 ads incl. deleted × %d days)", len(stats), want, r.Days())
			}
			for _, s := range stats {
				if !r.Contains(s.Day) {
					t.Errorf("row day %s outside %s..%s", s.Day, tc.from, tc.to)
				}
			}
			var got [][2]string
			for _, c := range b.calls("/report/integrated/get/") {
				got = append(got, [2]string{c.Query.Get("start_date"), c.Query.Get("end_date")})
				if c.Code != 0 {
					t.Errorf("fake answered code %d to %v", c.Code, c.Query)
				}
			}
			if !equalRanges(got, tc.wantRanges) {
				t.Errorf("requested ranges %v, want %v", got, tc.wantRanges)
			}
		})
	}
}

func equalRanges(a, b [][2]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDayStatsPagesAndConvertsValues(t *testing.T) {
	t.Parallel()
	from := ads.MustDate("2026-02-01")
	for _, tc := range []struct {
		name      string
		ads, days int
		pageSize  int
		wantCalls int
		currency  string
	}{
		{"one page", 5, 10, 0, 1, "USD"},
		{"many pages at 1000", 40, 30, 0, 2, "USD"}, // 1200 rows
		{"small pages", 3, 7, 5, 5, "USD"},          // 21 rows
		{"zero-decimal currency", 2, 2, 0, 1, "JPY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := advertiser(tc.ads, from, tc.days)
			a.Currency = tc.currency
			b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{a}}, func(o *tiktokads.Options) { o.PageSize = tc.pageSize })
			r := ads.DateRange{From: from, To: from.AddDays(tc.days - 1)}
			stats, err := b.client.DayStats(context.Background(), adv, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(stats) != tc.ads*tc.days {
				t.Errorf("got %d rows, want %d", len(stats), tc.ads*tc.days)
			}
			if n := len(b.calls("/report/integrated/get/")); n != tc.wantCalls {
				t.Errorf("got %d report calls, want %d", n, tc.wantCalls)
			}
			// Second ad, second day: spend 2.00 + 0.01, value 44.50.
			var got ads.DayStat
			for _, s := range stats {
				if s.AdID == a.Ads[1].ID && s.Day == from.AddDays(1) {
					got = s
				}
			}
			want := ads.DayStat{Platform: ads.TikTok, Account: adv, AdID: a.Ads[1].ID, Day: from.AddDays(1), Currency: tc.currency,
				Spend: 2_010_000, Impressions: 1001, Clicks: 11, Engagements: 11, Views: 501, Conversions: 1, ConversionValue: 44_500_000}
			if tc.currency == "JPY" { // TikTok sends whole yen: 2.01 → "2", 44.50 → "45"
				want.Spend, want.ConversionValue = 2_000_000, 45_000_000
			}
			if got != want {
				t.Errorf("row = %+v\nwant  %+v", got, want)
			}
		})
	}
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	type result struct {
		kind      ads.ErrorKind
		code      int
		status    int
		calls     int
		retryable bool
	}
	for _, tc := range []struct {
		name   string
		arm    func(f *tiktokfake.Server)
		advert string
		tok    string
		ok     bool
		want   result
	}{
		{name: "rate limit then success", arm: func(f *tiktokfake.Server) { f.RateLimit(2) }, ok: true, want: result{calls: 3}},
		{name: "rate limit exhausts retries", arm: func(f *tiktokfake.Server) { f.RateLimit(10) },
			want: result{kind: ads.KindRateLimited, code: 40100, status: 200, calls: 4, retryable: true}},
		{name: "server error then success", arm: func(f *tiktokfake.Server) { f.FailNext(1, 50000) }, ok: true, want: result{calls: 2}},
		{name: "51xxx exhausts retries", arm: func(f *tiktokfake.Server) { f.FailNext(9, 51021) },
			want: result{kind: ads.KindTransient, code: 51021, status: 200, calls: 4, retryable: true}},
		{name: "HTTP 503 then success", arm: func(f *tiktokfake.Server) { f.FailNext(2, 503) }, ok: true, want: result{calls: 3}},
		{name: "HTTP 502 exhausts retries", arm: func(f *tiktokfake.Server) { f.FailNext(9, 502) },
			want: result{kind: ads.KindTransient, status: 502, calls: 4, retryable: true}},
		{name: "expired token is not retried", arm: func(f *tiktokfake.Server) { f.ExpireToken() },
			want: result{kind: ads.KindAuth, code: 40102, status: 200, calls: 1}},
		{name: "wrong token is not retried", tok: "act.wrong",
			want: result{kind: ads.KindAuth, code: 40105, status: 200, calls: 1}},
		{name: "empty token is not retried", tok: "-",
			want: result{kind: ads.KindAuth, code: 40104, status: 200, calls: 1}},
		{name: "permission error is not retried", advert: "7999999999999999999",
			want: result{kind: ads.KindPermission, code: 40001, status: 200, calls: 1}},
		{name: "invalid parameter is not retried", arm: func(f *tiktokfake.Server) { f.FailNext(1, 40002) },
			want: result{kind: ads.KindInvalid, code: 40002, status: 200, calls: 1}},
		{name: "object not found", arm: func(f *tiktokfake.Server) { f.FailNext(1, 40007) },
			want: result{kind: ads.KindNotFound, code: 40007, status: 200, calls: 1}},
		{name: "HTTP 404 without envelope", arm: func(f *tiktokfake.Server) { f.FailNext(1, 404) },
			want: result{kind: ads.KindNotFound, status: 404, calls: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{advertiser(2, ads.MustDate("2026-03-01"), 0)}},
				func(o *tiktokads.Options) {
					switch tc.tok {
					case "":
					case "-":
						o.AccessToken = ""
					default:
						o.AccessToken = tc.tok
					}
				})
			if tc.arm != nil {
				tc.arm(b.fake)
			}
			advert := adv
			if tc.advert != "" {
				advert = tc.advert
			}
			_, err := b.client.Ads(context.Background(), advert)
			got := result{calls: len(b.fake.Calls())}
			if tc.ok {
				if err != nil {
					t.Fatalf("got error %v, want success", err)
				}
				if got != tc.want {
					t.Errorf("got %+v, want %+v", got, tc.want)
				}
				return
			}
			var ae *ads.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("got error %v (%T), want *ads.APIError", err, err)
			}
			got.kind, got.code, got.status, got.retryable = ae.Kind, ae.Code, ae.HTTPStatus, ae.Retryable()
			if got != tc.want {
				t.Errorf("got %+v, want %+v (error: %v)", got, tc.want, err)
			}
			if ae.Platform != ads.TikTok || ae.Account != advert || ae.Op != "GET /open_api/v1.3/ad/get/" {
				t.Errorf("error names %s %s %q, want tiktok %s GET /open_api/v1.3/ad/get/", ae.Platform, ae.Account, ae.Op, advert)
			}
			if msg := err.Error(); !strings.Contains(msg, advert) || !strings.Contains(msg, "/ad/get/") {
				t.Errorf("error text %q does not name the advertiser and the call", msg)
			}
			if ae.Code != 0 && ae.TraceID == "" {
				t.Errorf("error %v has no request_id", err)
			}
			if tiktokads.IsRetryable(err) != tc.want.retryable {
				t.Errorf("IsRetryable = %v, want %v", !tc.want.retryable, tc.want.retryable)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code, status int
		msg          string
		want         ads.ErrorKind
	}{
		{40100, 200, "", ads.KindRateLimited},
		{40133, 200, "", ads.KindRateLimited},
		{40016, 200, "", ads.KindRateLimited},
		{61000, 200, "", ads.KindRateLimited},
		{40104, 200, "", ads.KindAuth},
		{40105, 200, "", ads.KindAuth},
		{40102, 200, "", ads.KindAuth},
		{40106, 200, "", ads.KindAuth},
		{40001, 200, "", ads.KindPermission},
		{40002, 200, "start_date: invalid", ads.KindInvalid},
		{40002, 200, "Internal error, please try again later", ads.KindTransient},
		{40007, 200, "", ads.KindNotFound},
		{50000, 200, "", ads.KindTransient},
		{50002, 200, "", ads.KindTransient},
		{51021, 200, "", ads.KindTransient},
		{60001, 200, "", ads.KindTransient},
		{0, 500, "", ads.KindTransient},
		{0, 429, "", ads.KindRateLimited},
		{0, 404, "", ads.KindNotFound},
		{0, 400, "", ads.KindInvalid},
		{41999, 200, "", ads.KindUnknown},
	} {
		if got := tiktokads.Classify(tc.code, tc.status, tc.msg); got != tc.want {
			t.Errorf("Classify(%d, %d, %q) = %v, want %v", tc.code, tc.status, tc.msg, got, tc.want)
		}
	}
}

func TestSlowResponses(t *testing.T) {
	t.Parallel()
	t.Run("context deadline stops the call", func(t *testing.T) {
		t.Parallel()
		b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{advertiser(1, ads.MustDate("2026-03-01"), 0)}}, nil)
		b.fake.Latency(100 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		_, err := b.client.Ads(ctx, adv)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want context.DeadlineExceeded", err)
		}
		if !strings.Contains(err.Error(), adv) {
			t.Errorf("error %q does not name the advertiser", err)
		}
	})
	t.Run("client timeout is transient and retried", func(t *testing.T) {
		t.Parallel()
		b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{advertiser(1, ads.MustDate("2026-03-01"), 0)}},
			func(o *tiktokads.Options) {
				hc := *o.HTTPClient
				hc.Timeout = 20 * time.Millisecond
				o.HTTPClient, o.RetryMax = &hc, 1
			})
		b.fake.Latency(80 * time.Millisecond)
		_, err := b.client.Ads(context.Background(), adv)
		var ae *ads.APIError
		if !errors.As(err, &ae) || ae.Kind != ads.KindTransient {
			t.Fatalf("got %v, want a transient *ads.APIError", err)
		}
		b.srv.Close() // returns once the fake has finished both slow answers
		if n := len(b.fake.Calls()); n != 2 {
			t.Errorf("fake saw %d calls, want 2 (one retry)", n)
		}
	})
}

// TestTokenNeverAppears drives every failure path with a server that echoes
// the token back, and checks errors and debug logs for it.
func TestTokenNeverAppears(t *testing.T) {
	t.Parallel()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("Access-Token")
		switch {
		case strings.Contains(r.URL.Path, "/ad/get/"):
			w.Write([]byte(`{"code":40105,"message":"Access token ` + tok + ` is incorrect","request_id":"r1","data":{}}`))
		case strings.Contains(r.URL.Path, "/report/"):
			w.Write([]byte(`{"code":40100,"message":"too many calls for ` + tok + `","request_id":"r2","data":{}}`))
		default:
			http.Error(w, "bad gateway for "+tok, http.StatusBadGateway)
		}
	}))
	t.Cleanup(echo.Close)
	var logs bytes.Buffer
	c := tiktokads.New(tiktokads.Options{
		BaseURL: echo.URL, AccessToken: token, HTTPClient: echo.Client(),
		Logger:   slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RetryMax: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond,
	})
	dead := tiktokads.New(tiktokads.Options{
		BaseURL: "http://127.0.0.1:1", AccessToken: token,
		Logger:   slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RetryMax: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond,
	})
	ctx := context.Background()
	var errs []error
	_, err := c.Ads(ctx, adv)
	errs = append(errs, err)
	_, err = c.Advertiser(ctx, adv)
	errs = append(errs, err)
	_, err = c.SparkPosts(ctx, adv)
	errs = append(errs, err)
	errs = append(errs, c.DisableAd(ctx, adv, "1"))
	_, err = dead.Ads(ctx, adv)
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d succeeded, want an error", i)
		}
		if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error %d leaks the token: %v", i, err)
		}
		var ae *ads.APIError
		if errors.As(err, &ae) && strings.Contains(ae.Message, "SECRET") {
			t.Errorf("APIError.Message %d leaks the token: %q", i, ae.Message)
		}
	}
	if logs.Len() == 0 {
		t.Fatal("no debug logs written; the leak check would be vacuous")
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Errorf("logs leak the token:\n%s", logs.String())
	}
	if !strings.Contains(errs[0].Error(), "[REDACTED]") {
		t.Errorf("echoed token not redacted in %q", errs[0])
	}
}

func TestAdvertiserInfo(t *testing.T) {
	t.Parallel()
	b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{advertiser(1, ads.MustDate("2026-03-01"), 0)}}, nil)
	got, err := b.client.Advertiser(context.Background(), adv)
	if err != nil {
		t.Fatal(err)
	}
	want := tiktokads.AccountInfo{ID: adv, Name: "GlowCo US", Currency: "USD", Timezone: "Etc/GMT+5", DisplayTimezone: "America/New_York"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	c := b.calls("/advertiser/info/")
	if len(c) != 1 || c[0].Query.Get("advertiser_ids") != `["`+adv+`"]` {
		t.Errorf("advertiser_ids sent as %v, want a JSON array string", c)
	}
}

func TestActions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("disable ad", func(t *testing.T) {
		t.Parallel()
		b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{advertiser(2, ads.MustDate("2026-03-01"), 0)}}, nil)
		id := "1790000000000000010"
		for range 2 { // repeating is harmless
			if err := b.client.DisableAd(ctx, adv, id); err != nil {
				t.Fatal(err)
			}
		}
		ad, _ := b.fake.Ad(adv, id)
		if ad.OperationStatus != "DISABLE" {
			t.Errorf("ad status %q, want DISABLE", ad.OperationStatus)
		}
		var body map[string]any
		json.Unmarshal(b.calls("/ad/status/update/")[0].Body, &body)
		if body["advertiser_id"] != adv || body["operation_status"] != "DISABLE" {
			t.Errorf("sent %v", body)
		}
		err := b.client.DisableAd(ctx, adv, "1790000000000009999")
		var ae *ads.APIError
		if !errors.As(err, &ae) || ae.Kind != ads.KindNotFound || ae.Op != "POST /open_api/v1.3/ad/status/update/" {
			t.Errorf("disabling an unknown ad: got %v, want a not-found APIError on the call", err)
		}
	})
	for _, tc := range []struct {
		name     string
		currency string
		group    string
		read     int64
		set      int64
		// want is the budget in force after the update, wantScheduled the
		// daily budget TikTok will apply from the next day.
		want, wantScheduled int64
		wantKind            ads.ErrorKind
	}{
		{"daily USD is scheduled", "USD", "1790000000000000002", 50_000_000, 60_125_000, 50_000_000, 60_130_000, 0},
		{"lifetime USD is immediate", "USD", "1790000000000000003", 1000_000_000, 1200_000_000, 1200_000_000, 0, 0},
		{"daily JPY rounds to yen", "JPY", "1790000000000000002", 50_000_000, 2000_400_000, 50_000_000, 2000_000_000, 0},
		{"unlimited budget cannot be set", "USD", "1790000000000000004", 0, 60_000_000, 0, 0, ads.KindInvalid},
	} {
		t.Run("budget "+tc.name, func(t *testing.T) {
			t.Parallel()
			a := advertiser(1, ads.MustDate("2026-03-01"), 0)
			a.Currency = tc.currency
			b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{a}}, nil)
			got, err := b.client.AdGroupBudget(ctx, adv, tc.group)
			if err != nil || got != tc.read {
				t.Fatalf("AdGroupBudget = %d, %v; want %d", got, err, tc.read)
			}
			scheduled, err := b.client.SetAdGroupBudget(ctx, adv, tc.group, tc.set)
			if tc.wantKind != 0 {
				var ae *ads.APIError
				if !errors.As(err, &ae) || ae.Kind != tc.wantKind {
					t.Fatalf("SetAdGroupBudget: got %v, want kind %v", err, tc.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st, err := b.client.AdGroupBudgetInfo(ctx, adv, tc.group)
			if err != nil || st.Budget != tc.want || st.Scheduled != tc.wantScheduled || scheduled != (tc.wantScheduled != 0) {
				t.Errorf("after set: %+v (scheduled %v), %v; want budget %d, scheduled %d", st, scheduled, err, tc.want, tc.wantScheduled)
			}
		})
	}
	t.Run("budget[] on a daily ad group is refused", func(t *testing.T) {
		t.Parallel()
		b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{advertiser(1, ads.MustDate("2026-03-01"), 0)}}, nil)
		body := `{"advertiser_id":"` + adv + `","budget":[{"adgroup_id":"1790000000000000002","budget":60.00}]}`
		req, _ := http.NewRequest(http.MethodPost, b.srv.URL+tiktokfake.Prefix+"/adgroup/budget/update/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Access-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var env struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		json.NewDecoder(resp.Body).Decode(&env)
		if env.Code != tiktokfake.CodeInvalidParam || !strings.Contains(env.Message, "scheduled_budget") {
			t.Errorf("budget[] on a daily group answered %d %q, want 40002 naming scheduled_budget", env.Code, env.Message)
		}
		if g, _ := b.fake.AdGroup(adv, "1790000000000000002"); g.BudgetMicros != 50_000_000 {
			t.Errorf("refused update changed the budget to %d", g.BudgetMicros)
		}
	})
	t.Run("a scheduled daily budget takes effect at midnight in the advertiser zone", func(t *testing.T) {
		t.Parallel()
		var clock atomic.Int64
		clock.Store(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC).Unix())
		a := advertiser(1, ads.MustDate("2026-03-01"), 0)
		a.Timezone = "America/Los_Angeles"
		b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{a}, Now: func() time.Time { return time.Unix(clock.Load(), 0) }}, nil)
		if _, err := b.client.SetAdGroupBudget(ctx, adv, "1790000000000000002", 65_000_000); err != nil {
			t.Fatal(err)
		}
		clock.Store(time.Date(2026, 3, 11, 6, 59, 0, 0, time.UTC).Unix()) // 23:59 in Los Angeles (PDT)
		if st, _ := b.client.AdGroupBudgetInfo(ctx, adv, "1790000000000000002"); st.Budget != 50_000_000 || st.Scheduled != 65_000_000 {
			t.Errorf("before midnight: %+v", st)
		}
		clock.Store(time.Date(2026, 3, 11, 7, 0, 0, 0, time.UTC).Unix())
		if st, _ := b.client.AdGroupBudgetInfo(ctx, adv, "1790000000000000002"); st.Budget != 65_000_000 || st.Scheduled != 0 {
			t.Errorf("after midnight: %+v", st)
		}
	})
	t.Run("unknown ad group", func(t *testing.T) {
		t.Parallel()
		b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{advertiser(1, ads.MustDate("2026-03-01"), 0)}}, nil)
		_, err := b.client.AdGroupBudget(ctx, adv, "42")
		var ae *ads.APIError
		if !errors.As(err, &ae) || ae.Kind != ads.KindNotFound {
			t.Errorf("got %v, want not found", err)
		}
		if _, err := b.client.SetAdGroupBudget(ctx, adv, "1790000000000000002", 0); err == nil {
			t.Error("setting a zero budget succeeded")
		}
	})
}

// TestAdvertiserZoneIsTheReportingZone: TikTok reports bucket days in the
// advertiser's timezone (a fixed offset, no daylight saving time), not in
// display_timezone. At 2026-07-01 07:30 UTC it is already July 1 in
// Los Angeles (PDT, UTC−7) but still June 30 for an "Etc/GMT+8" account.
func TestAdvertiserZoneIsTheReportingZone(t *testing.T) {
	t.Parallel()
	a := advertiser(1, ads.MustDate("2026-06-01"), 0)
	a.Timezone = "America/Los_Angeles"
	b := setup(t, tiktokfake.Seed{Advertisers: []tiktokfake.Advertiser{a}}, nil)
	info, err := b.client.Advertiser(context.Background(), adv)
	if err != nil {
		t.Fatal(err)
	}
	if info.Timezone != "Etc/GMT+8" || info.DisplayTimezone != "America/Los_Angeles" {
		t.Fatalf("zones %q / %q, want Etc/GMT+8 for reports and America/Los_Angeles for display", info.Timezone, info.DisplayTimezone)
	}
	loc, err := time.LoadLocation(info.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	if d := ads.DateOf(time.Date(2026, 7, 1, 7, 30, 0, 0, time.UTC), loc); d != ads.MustDate("2026-06-30") {
		t.Errorf("account day %s, want 2026-06-30", d)
	}
}
