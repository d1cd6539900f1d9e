package tiktokads_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/tiktokads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const (
	adv   = "7100000000000000001"
	token = "act.5f1b9c-SECRET-token-0042"
)

// now is the fake's and the client's clock in tests.
var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// testBundle is a fake TikTok API on loopback and a client pointed at it.
type testBundle struct {
	fake   *tiktokfake.Server
	srv    *httptest.Server
	client *tiktokads.Client
}

// setup serves seed and returns a client with fast retries; tweak edits the
// client options before New.
func setup(t *testing.T, seed tiktokfake.Seed, tweak func(*tiktokads.Options)) *testBundle {
	t.Helper()
	if seed.Token == "" {
		seed.Token = token
	}
	if seed.Now == nil {
		seed.Now = func() time.Time { return now }
	}
	fake := tiktokfake.New(seed)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	o := tiktokads.Options{
		BaseURL: srv.URL, AccessToken: token, HTTPClient: srv.Client(),
		RetryMax: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		Now: func() time.Time { return now },
	}
	if tweak != nil {
		tweak(&o)
	}
	return &testBundle{fake: fake, srv: srv, client: tiktokads.New(o)}
}

// calls counts the calls the fake received on path (e.g. "/ad/get/").
func (b *testBundle) calls(path string) []tiktokfake.Call {
	var out []tiktokfake.Call
	for _, c := range b.fake.Calls() {
		if c.Path == tiktokfake.Prefix+path {
			out = append(out, c)
		}
	}
	return out
}

// advertiser returns a seeded advertiser with nAds ads (the first two
// Spark ads, one deleted brand ad) and one report row per ad per day from
// `from` for days days.
func advertiser(nAds int, from ads.Date, days int) tiktokfake.Advertiser {
	a := tiktokfake.Advertiser{ID: adv, Name: "GlowCo US", Currency: "USD", Timezone: "America/New_York",
		AdGroups: []tiktokfake.AdGroup{
			{ID: "1790000000000000002", CampaignID: "1790000000000000001", Name: "hooks", BudgetMicros: ads.MustMicros("50.00")},
			{ID: "1790000000000000003", CampaignID: "1790000000000000001", Name: "lifetime", BudgetMode: tiktokfake.BudgetModeTotal, BudgetMicros: ads.MustMicros("1000")},
			{ID: "1790000000000000004", CampaignID: "1790000000000000001", Name: "open", BudgetMode: tiktokfake.BudgetModeInfinite},
		}}
	for i := range nAds {
		ad := tiktokfake.Ad{
			ID: fmt.Sprintf("17900000000%08d", i+10), Name: fmt.Sprintf("ad-%d", i),
			AdGroupID: "1790000000000000002", CampaignID: "1790000000000000001",
			IdentityType: tiktokfake.IdentityCustomizedUser, IdentityID: "brand-identity", VideoID: fmt.Sprintf("v0900%d", i),
			LandingPageURL: fmt.Sprintf("https://glowco.example/serum?utm_source=tiktok&utm_content=var-%d", i),
			ModifyTime:     time.Date(2026, 2, 25, 11, 2, 43, 0, time.UTC),
		}
		switch i {
		case 0:
			ad.IdentityType, ad.IdentityID, ad.TikTokItemID, ad.VideoID = tiktokfake.IdentityAuthCode, "6f1c2a9e-jacq", "7345678901234567890", ""
			ad.LandingPageURL = "https://glowco.example/serum?utm_source=jacqueline&utm_campaign=summer&utm_content=hook-b"
			ad.UTMParams = map[string]string{"utm_medium": "paid_social"}
			ad.DarkPost = true
		case 1:
			ad.IdentityType, ad.IdentityID, ad.TikTokItemID, ad.VideoID = tiktokfake.IdentityAuthCode, "6f1c2a9e-mia", "7345678901234567891", ""
			ad.LandingPageURL = "https://glowco.example/serum"
		case 2:
			ad.OperationStatus = "DELETE"
		}
		a.Ads = append(a.Ads, ad)
		for d := range days {
			a.Report = append(a.Report, tiktokfake.ReportRow{
				AdID: ad.ID, Day: from.AddDays(d).String(),
				SpendMicros: int64(i+1)*1_000_000 + int64(d)*10_000, Impressions: int64(1000 + d), Clicks: int64(10 + i),
				Likes: 3, Comments: 2, Shares: 1, Follows: 1, ProfileVisits: 4, VideoPlays: int64(500 + d),
				Conversions: 2, Purchases: 1, PurchaseValueMicros: ads.MustMicros("44.50"),
			})
		}
	}
	return a
}

var _ http.Handler = (*tiktokfake.Server)(nil)
