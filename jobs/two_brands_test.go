package jobs

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/tiktokads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// TestTwoBrandsPipeline runs the whole pipeline (syncs, reconcile,
// verdicts) through RunOnce for two brands sharing a creator: glowco (USD,
// New York) and lunaskin (JPY, Tokyo) on their own Meta accounts, TikTok
// advertisers and channels. lunaskin's TikTok advertiser fails. It checks
// that nothing leaks or blocks across them: before any sync neither is
// judged (item 4); lunaskin's failure withholds only lunaskin's verdicts and
// names lunaskin (item 3); glowco's channel hears only of glowco's untagged
// ad (item 1); glowco's link conversion of the shared creator is in
// glowco's ledger only (item 2); and once lunaskin syncs, its Slack money
// is in yen (item 6).
func TestTwoBrandsPipeline(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	glowco, lunaskin := actBrands(t)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	const actTikTokJP = "7100000000000000009"
	lunaskin.Currency, lunaskin.Timezone, lunaskin.Location = "JPY", "Asia/Tokyo", tokyo
	lunaskin.Accounts.TikTok = []*configs.TikTokAccount{{Advertiser: actTikTokJP}} // the fake does not know it: its syncs fail
	for _, tt := range append(glowco.Tests, lunaskin.Tests...) {
		tt.Actions = configs.ActionsAlert
	}
	day := actStart.AddDays(3)
	now := day.In(tokyo).Add(20 * time.Hour) // the 4th day everywhere
	glowco.Slack.DigestAt = "06:00"          // now is 07:00 in New York

	ad := func(id, utm string) metafake.Ad {
		cr := metafake.Creative{ID: "c" + id}
		if utm != "" {
			cr.URLTags = "utm_content=" + utm
		}
		return metafake.Ad{ID: id, Name: id, AdSetID: "s" + id, CampaignID: "k" + id, Status: "ACTIVE", Creative: cr}
	}
	meta := metafake.New(metafake.Seed{Token: actToken, Accounts: []metafake.Account{
		{ID: actMeta, Currency: "USD", Timezone: "America/New_York", Ads: []metafake.Ad{ad("m1", "hook-a"), ad("us-untagged", "")}},
		{ID: actMetaEU, Currency: "JPY", Timezone: "Asia/Tokyo", Ads: []metafake.Ad{ad("e1", "eu-a"), ad("eu-untagged", "")},
			Insights: []metafake.Insight{{AdID: "e1", Day: actStart.AddDays(1).String(), SpendMicros: ads.MustMicros("123456"), Impressions: 1000}}},
	}})
	metaSrv := httptest.NewServer(meta)
	defer metaSrv.Close()
	tk := tiktokfake.New(tiktokfake.Seed{Token: actToken, Advertisers: []tiktokfake.Advertiser{{ID: actTikTok, Currency: "USD", Timezone: "America/New_York"}}})
	tkSrv := httptest.NewServer(tk)
	defer tkSrv.Close()
	d := &Deps{DB: db,
		Meta:   metaads.New(metaads.Options{BaseURL: metaSrv.URL, AccessToken: actToken, RetryMax: -1}),
		TikTok: tiktokads.New(tiktokads.Options{BaseURL: tkSrv.URL, AccessToken: actToken, RetryMax: -1})}
	d.Stages = []Stage{ReconcileStage(db), d.VerdictStage(""), d.DigestStage("")}
	set := &configs.Set{Brands: []*configs.Brand{glowco, lunaskin}}
	runner := &scheduler.Runner{Rec: db, Replica: "r1", Attempts: 1, Now: func() time.Time { return now }}
	noErr(t)(db.UpsertLinkConversions(ctx, []ads.LinkConversion{{Source: "impact", ID: "L1", Creator: "jacqueline",
		Amount: ads.MustMicros("80"), Currency: "USD", At: actStart.AddDays(1).In(time.UTC).Add(15 * time.Hour), Brand: "glowco"}}))
	lunaskin.FXRates = append(lunaskin.FXRates, configs.FXRate{From: "USD", To: "JPY", Rate: ads.MustRate("150"), Since: actStart.AddDays(-60)})

	// Item 4: nothing synced yet, so nobody is judged.
	for _, b := range set.Brands {
		if err := d.VerdictStage("").Run(ctx, b, &scheduler.Run{Now: now}); err == nil || !strings.Contains(err.Error(), "never ran") {
			t.Fatalf("%s judged on a fresh database: %v", b.Name, err)
		}
	}

	failed := scheduler.RunOnce(ctx, Jobs(set, d, nil), runner.Execute)
	var glowcoFailed, lunaFailed []string
	for _, f := range failed {
		if strings.Contains(strings.Join(f.Job.Brands, ","), "glowco") {
			glowcoFailed = append(glowcoFailed, f.Job.Key()+": "+f.Err.Error())
		} else {
			lunaFailed = append(lunaFailed, f.Job.Key()+": "+f.Err.Error())
		}
	}
	// Item 3: glowco is judged; lunaskin's verdicts wait, named as its own.
	if len(glowcoFailed) != 0 {
		t.Errorf("glowco's jobs failed: %v (lunaskin's failure must not withhold glowco)", glowcoFailed)
	}
	found := false
	for _, f := range lunaFailed {
		if strings.HasPrefix(f, StageVerdicts+":brand:lunaskin: not judging brand lunaskin") && strings.Contains(f, actTikTokJP) {
			found = true
		}
	}
	if !found {
		t.Errorf("lunaskin's failures %v lack its withheld verdicts naming lunaskin and its advertiser", lunaFailed)
	}

	// Item 1: each channel hears only of its own untagged ad (listed in
	// its digest, which lunaskin gets too, unjudged, naming its failing
	// sync).
	hygiene := func(brand string) (own, other []string) {
		for _, a := range outbox(t, d, brand) {
			if a.Kind != "digest" {
				continue
			}
			p := a.Payload
			if strings.Contains(p, "us-untagged") {
				own = append(own, "us-untagged")
			}
			if strings.Contains(p, "eu-untagged") {
				other = append(other, "eu-untagged")
			}
		}
		return own, other
	}
	if own, other := hygiene("glowco"); len(own) == 0 || len(other) != 0 {
		t.Errorf("glowco's untagged-ad alerts: own %v, lunaskin's %v; want its own only", own, other)
	}
	if other, own := hygiene("lunaskin"); len(own) == 0 || len(other) != 0 {
		t.Errorf("lunaskin's untagged-ad alerts: own %v, glowco's %v; want its own only", own, other)
	}
	for _, a := range outbox(t, d, "lunaskin") {
		if a.Kind == "digest" && !strings.Contains(a.Payload, "Sync failing: tiktok.") {
			t.Errorf("lunaskin's digest does not name its failing TikTok sync: %s", a.Payload)
		}
	}

	// Item 2: the shared creator's conversion is glowco's alone.
	for brand, want := range map[string]int{"glowco": 1, "lunaskin": 0} {
		rows, err := db.Ledger(ctx, brand, actStart.AddDays(-10), actStart.AddDays(10))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range rows {
			if r.Source == "link" {
				n++
			}
		}
		if n != want {
			t.Errorf("%s's ledger has %d link rows, want %d", brand, n, want)
		}
	}

	// Item 6: lunaskin drops its TikTok advertiser and syncs; its guard
	// (spend without store orders) speaks yen, to the yen.
	lunaskin.Accounts.TikTok = nil
	for _, tt := range lunaskin.Tests {
		for _, v := range tt.Variants {
			v.Platform = ads.Meta
		}
	}
	if failed := scheduler.RunOnce(ctx, Jobs(&configs.Set{Brands: []*configs.Brand{lunaskin}}, d, nil), runner.Execute); len(failed) != 0 {
		t.Fatalf("lunaskin after dropping TikTok: %+v", failed)
	}
	list := outbox(t, d, "lunaskin")
	yen := false
	for _, a := range list {
		p := a.Payload
		if strings.Contains(p, "123,456 JPY") {
			yen = true
		}
		if strings.Contains(p, "123456.00 JPY") || strings.Contains(p, "us-untagged") {
			t.Errorf("lunaskin's alert %s shows money with cents or glowco's ad: %s", a.DedupKey, p)
		}
	}
	if !yen {
		t.Errorf("no lunaskin alert shows its spend as 123,456 JPY: %d alerts", len(list))
	}
}

// queued is an outbox row as the test reads it.
type queued struct {
	DedupKey string `db:"dedup_key"`
	Kind     string `db:"kind"`
	Payload  string `db:"payload"`
}

// outbox lists brand's queued alerts.
func outbox(t *testing.T, d *Deps, brand string) []queued {
	t.Helper()
	var out []queued
	if err := d.DB.SQL().Select(&out, `SELECT dedup_key, kind, payload::text AS payload FROM alert_outbox WHERE brand = $1 ORDER BY id`, brand); err != nil {
		t.Fatal(err)
	}
	return out
}
