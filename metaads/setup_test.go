package metaads_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const (
	testToken  = "EAAtestTOKENsecret123456789"
	testSecret = "app-secret-xyz"
	testAct    = "act_1001"
	brandIG    = "17841400000000001"
	brandPage  = "1122334455"
)

// lockedBuffer is a concurrency-safe log sink.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testBundle is what a client test works with.
type testBundle struct {
	fake   *metafake.Server
	srv    *httptest.Server
	client *metaads.Client
	logs   *lockedBuffer
}

// setup starts the fake with seed on an httptest server and a client with
// fast retry and poll timings; tweak adjusts the options.
func setup(t *testing.T, seed metafake.Seed, tweak func(*metaads.Options)) *testBundle {
	t.Helper()
	if seed.Token == "" {
		seed.Token = testToken
	}
	fake := metafake.New(seed)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	logs := &lockedBuffer{}
	o := metaads.Options{
		BaseURL: srv.URL, AccessToken: testToken, AppSecret: seed.AppSecret,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RetryMax:     3,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond,
		PollInterval: time.Millisecond,
	}
	if tweak != nil {
		tweak(&o)
	}
	return &testBundle{fake: fake, srv: srv, client: metaads.New(o), logs: logs}
}

var day0 = ads.MustDate("2026-06-01")

// bigSeed builds an account with nAds ads (a mix of whitelisted, dark and
// standard creatives) and insights for each ad on days days from day0.
func bigSeed(nAds, days int) metafake.Seed {
	a := metafake.Account{ID: testAct, Name: "Glowco US", Currency: "USD", Timezone: "America/New_York",
		AdSets: []metafake.AdSet{{ID: "2385000000001", CampaignID: "2384000000001", Name: "hooks", DailyBudget: 5000}}}
	for i := range nAds {
		id := fmt.Sprintf("23851%012d", i)
		cr := metafake.Creative{ID: fmt.Sprintf("23852%012d", i), PageID: brandPage}
		switch i % 3 {
		case 0: // partnership ad run as the creator
			cr.InstagramUserID = "17841499990000001"
			cr.SponsorID = brandIG
			cr.EffectiveInstagramMediaID = fmt.Sprintf("18000%012d", i)
			cr.URLTags = fmt.Sprintf("utm_source=jacqueline&utm_campaign=summer&utm_content=v%d", i)
			cr.Link = "https://glowco.com/serum"
		case 1: // dark post built from object_story_spec
			cr.EffectiveObjectStoryID = brandPage + fmt.Sprintf("_9%011d", i)
			cr.Link = fmt.Sprintf("https://glowco.com/serum?utm_source=meta&utm_content=v%d", i)
		default: // boosted published post
			cr.ObjectStoryID = brandPage + fmt.Sprintf("_8%011d", i)
			cr.EffectiveObjectStoryID = cr.ObjectStoryID
		}
		a.Ads = append(a.Ads, metafake.Ad{ID: id, Name: fmt.Sprintf("ad %d", i), AdSetID: "2385000000001",
			CampaignID: "2384000000001", Creative: cr, UpdatedTime: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)})
		for d := range days {
			a.Insights = append(a.Insights, insight(id, day0.AddDays(d).String(), int64(i+d)))
		}
	}
	return metafake.Seed{Token: testToken, Accounts: []metafake.Account{a}}
}

// insight is a deterministic insights row whose numbers derive from n.
func insight(adID, day string, n int64) metafake.Insight {
	return metafake.Insight{
		AdID: adID, Day: day,
		SpendMicros: 10_000_000 + n*10_000, Impressions: 1000 + n, Clicks: 20 + n%7, InlinePostEngagement: 30 + n%5,
		Actions: []metafake.Action{
			{Type: "post_engagement", Value: 31 + n%5},
			{Type: "video_view", Value: 400 + n},
			{Type: "omni_purchase", Value: 3, Windows: map[string]int64{"7d_click": 2, "1d_view": 1, "28d_click": 5}},
			{Type: "offsite_conversion.fb_pixel_purchase", Value: 9},
		},
		ActionValues: []metafake.Action{
			{Type: "omni_purchase", Value: 150_000_000, Windows: map[string]int64{"7d_click": 100_500_000, "1d_view": 49_500_000, "28d_click": 300_000_000}},
		},
	}
}

// callsTo counts recorded calls whose method and path match.
func callsTo(calls []metafake.Call, method, suffix string) int {
	n := 0
	for _, c := range calls {
		if c.Method == method && (suffix == "" || len(c.Path) >= len(suffix) && c.Path[len(c.Path)-len(suffix):] == suffix) {
			n++
		}
	}
	return n
}
