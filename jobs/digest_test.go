package jobs

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
)

// queuedAlerts returns the brand's queued alerts of kind, oldest first.
func queuedAlerts(t *testing.T, db *store.DB, brand, kind string) []notify.Alert {
	t.Helper()
	var payloads [][]byte
	if err := db.SQL().Select(&payloads, `SELECT payload FROM alert_outbox WHERE brand = $1 AND kind = $2 ORDER BY id`, brand, kind); err != nil {
		t.Fatal(err)
	}
	out := make([]notify.Alert, len(payloads))
	for i, p := range payloads {
		if err := json.Unmarshal(p, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// alertText is the text of a: title, reason, fields and context.
func alertText(t *testing.T, a notify.Alert) string {
	t.Helper()
	parts := []string{a.Title, a.Reason}
	for _, f := range a.Fields {
		parts = append(parts, f.Label+": "+f.Value)
	}
	return strings.Join(append(parts, a.Context), "\n")
}

// TestDigestWhileNotJudged: a brand whose sync keeps failing is not
// judged, yet its daily digest goes out at its time, naming the failing
// sync (job, account, since when, how many runs, the error without the
// token it carried), and showing the money spent on untagged ads
// yesterday and over the running tests' windows; a second run the same
// day queues nothing. The other brand (EUR, Berlin) gets its own digest,
// without the first brand's failure (issue 16 item c).
func TestDigestWhileNotJudged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rg := newActionRig(t, "")
	// Two ads carry UTM tags (their spend is a variant's); the others
	// carry none. Untagged spend: m3 and k3 yesterday (06-15), m3 before.
	tagged := func(p ads.Platform, account, id string) ads.Ad {
		return ads.Ad{Platform: p, Account: account, ID: id, Status: "ACTIVE", UTM: ads.UTM{Content: "hook-" + id}}
	}
	noErr(t)(rg.db.UpsertAds(ctx, []ads.Ad{tagged(ads.Meta, actMeta, "m1"), tagged(ads.Meta, actMeta, "m2"),
		tagged(ads.Meta, actMeta, "m4"), tagged(ads.TikTok, actTikTok, "k1"), tagged(ads.TikTok, actTikTok, "k2")}))
	stat := func(p ads.Platform, account, ad, day, cur, spend string) ads.DayStat {
		return ads.DayStat{Platform: p, Account: account, AdID: ad, Day: ads.MustDate(day), Currency: cur, Spend: ads.MustMicros(spend)}
	}
	noErr(t)(rg.db.UpsertDayStats(ctx, []ads.DayStat{
		stat(ads.Meta, actMeta, "m1", "2026-06-15", "USD", "999"), // tagged
		stat(ads.Meta, actMeta, "m3", "2026-06-15", "USD", "120.50"),
		stat(ads.Meta, actMeta, "m3", "2026-06-10", "USD", "80"),
		stat(ads.TikTok, actTikTok, "k3", "2026-06-15", "USD", "40"),
		stat(ads.Meta, actMetaEU, "e1", "2026-06-15", "EUR", "70"), // lunaskin's
	}))
	// meta.insights has failed twice since 07:00 New York time; its
	// error carries a token as the platform echoed it.
	for i, at := range []time.Time{day15.Add(-3 * time.Hour), day15.Add(-time.Hour)} {
		id, err := rg.db.StartRun(ctx, "meta.insights", actMeta, "r1", 1, at)
		if err != nil {
			t.Fatal(err)
		}
		text := "meta insights act_1001: GET /v25.0/act_1001/insights?access_token=EAABsecretsecretsecretsecret&fields=spend: HTTP 500 (code 2)\nmore detail"
		if i == 0 {
			text = "first failure"
		}
		if err := rg.db.FinishRun(ctx, id, store.RunFailed, 0, 0, text, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := rg.verdicts(ctx, rg.glowco, day15); err == nil || !strings.Contains(err.Error(), "not judging") {
		t.Fatalf("verdicts of a brand whose sync fails: %v, want not judging", err)
	}
	stage := rg.d.DigestStage("https://roasd.example/")
	for _, b := range []*configs.Brand{rg.glowco, rg.lunaskin} {
		if err := stage.Run(ctx, b, &scheduler.Run{Now: day15}); err != nil {
			t.Fatal(err)
		}
	}
	got := queuedAlerts(t, rg.db, "glowco", notify.KindDigest)
	if len(got) != 1 {
		t.Fatalf("%d glowco digests queued, want 1", len(got))
	}
	text := alertText(t, got[0])
	for _, want := range []string{
		"Daily digest — glowco, 2026-06-16",
		"Sync failing: meta.insights act_1001 since 2026-06-16 07:00 EDT, 2 runs — meta insights act_1001: GET /v25.0/act_1001/insights?access_token=REDACTED&fields=spend: HTTP 500 (code 2)",
		"Tests not judged since 2026-06-16 10:00 EDT",
		"Untagged spend: 160.50 USD yesterday, 240.50 USD since 2026-06-01 on ads without UTM tags (2 running, below)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("glowco digest lacks %q:\n%s", want, text)
		}
	}
	for _, leak := range []string{"EAAB", "secretsecret", "more detail"} {
		if strings.Contains(text, leak) {
			t.Errorf("glowco digest shows %q:\n%s", leak, text)
		}
	}
	luna := queuedAlerts(t, rg.db, "lunaskin", notify.KindDigest)
	if len(luna) != 1 {
		t.Fatalf("%d lunaskin digests queued, want 1", len(luna))
	}
	lt := alertText(t, luna[0])
	if strings.Contains(lt, "Sync failing") || strings.Contains(lt, "not judged") || !strings.Contains(lt, "Untagged spend: 70.00 EUR yesterday") {
		t.Errorf("lunaskin digest:\n%s\nwant no failing sync and 70.00 EUR of untagged spend", lt)
	}

	// Later the same day: nothing more is queued, and no row written.
	var xid int64
	if err := rg.db.SQL().Get(&xid, `SELECT txid_current() & 4294967295`); err != nil {
		t.Fatal(err)
	}
	if err := stage.Run(ctx, rg.glowco, &scheduler.Run{Now: day15.Add(3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var written int
	if err := rg.db.SQL().Get(&written, `SELECT (SELECT count(*) FROM alert_outbox WHERE xmin::text::bigint >= $1)
		+ (SELECT count(*) FROM sync_cursors WHERE xmin::text::bigint >= $1)`, xid); err != nil {
		t.Fatal(err)
	}
	if written != 0 {
		t.Errorf("a second digest run the same day wrote %d rows", written)
	}
}

// TestDigestTimes: the digest waits for the brand's digest time and for
// every sync's first finished run; "off" posts none; the weekly digest
// goes out on its weekday only, at the digest time (09:00 when the daily
// one is off).
func TestDigestTimes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name             string
		at, weekly       string // digest_at, weeklyWantdigest
		now              time.Time
		unsynced         bool
		want, weeklyWant int
	}{
		{"before 09:00 New York", "", "", time.Date(2026, 6, 16, 12, 59, 0, 0, time.UTC), false, 0, 0},
		{"at 09:00 New York", "", "", time.Date(2026, 6, 16, 13, 0, 0, 0, time.UTC), false, 1, 0},
		{"before 11:30", "11:30", "", time.Date(2026, 6, 16, 15, 0, 0, 0, time.UTC), false, 0, 0},
		{"off", "off", "", time.Date(2026, 6, 16, 20, 0, 0, 0, time.UTC), false, 0, 0},
		{"off, weekly on Tuesdays at 09:00", "off", "Tuesday", time.Date(2026, 6, 16, 13, 0, 0, 0, time.UTC), false, 0, 1},
		{"weekly on Mondays, a Tuesday", "", "monday", time.Date(2026, 6, 16, 13, 0, 0, 0, time.UTC), false, 1, 0},
		{"a sync never finished", "", "", time.Date(2026, 6, 16, 20, 0, 0, 0, time.UTC), true, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := openDB(t)
			glowco, _ := actBrands(t)
			glowco.Slack.DigestAt, glowco.Slack.WeeklyDigest = tc.at, tc.weekly
			d := &Deps{DB: db, Meta: metaClientForGate()} // the brand has Meta syncs
			if !tc.unsynced {
				recordRuns(t, d, glowco, store.RunOK, tc.now.Add(-time.Hour))
			} else {
				id, err := db.StartRun(ctx, StageReconcile, "brand:glowco", "r1", 1, tc.now)
				if err != nil {
					t.Fatal(err)
				}
				if err := db.FinishRun(ctx, id, store.RunOK, 0, 0, "", tc.now); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.DigestStage("").Run(ctx, glowco, &scheduler.Run{Now: tc.now}); err != nil {
				t.Fatal(err)
			}
			if got := len(queuedAlerts(t, db, "glowco", notify.KindDigest)); got != tc.want {
				t.Errorf("%d digests queued, want %d", got, tc.want)
			}
			if got := len(queuedAlerts(t, db, "glowco", notify.KindWeekly)); got != tc.weeklyWant {
				t.Errorf("%d weekly digests queued, want %d", got, tc.weeklyWant)
			}
		})
	}
}

// TestWeeklyDigest: on the brand's weeklyWantdigest day, from its digest
// time, finance gets last ISO week's spend, fees, paid and organic revenue
// and blended ROAS per creator, in the brand's currency — for each brand
// in its own zone and currency — and on other days nothing.
func TestWeeklyDigest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rg := newActionRig(t, "")
	// The rig's cells are on 06-02 (week 23) for jacqueline; add an
	// organic day with fees for ava, one on 06-08 (week 24, not
	// counted) and an unattributed spend.
	for _, c := range []struct{ brand, cur, day, test, creator, spend, fee, organic string }{
		{"glowco", "USD", "2026-06-05", "meta-hooks", "ava", "0", "150", "900"},
		{"glowco", "USD", "2026-06-08", "meta-hooks", "ava", "500", "0", "0"},
		{"glowco", "USD", "2026-06-07", "(unattributed)", "(unattributed)", "250", "0", "0"},
	} {
		if _, err := rg.db.SQL().Exec(`INSERT INTO kpi_daily (brand, day, test_id, variant_key, creator, platform, currency, spend_micros,
			flat_fee_micros, organic_revenue_micros) VALUES ($1, $2, $3, '', $4, '', $5, $6, $7, $8)`,
			c.brand, c.day, c.test, c.creator, c.cur, ads.MustMicros(c.spend), ads.MustMicros(c.fee), ads.MustMicros(c.organic)); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []*configs.Brand{rg.glowco, rg.lunaskin} {
		b.Slack.WeeklyDigest = "monday"
	}
	monday := time.Date(2026, 6, 8, 13, 30, 0, 0, time.UTC) // 09:30 New York, 15:30 Berlin
	recordRuns(t, rg.d, rg.glowco, store.RunOK, monday.Add(-time.Hour))
	recordRuns(t, rg.d, rg.lunaskin, store.RunOK, monday.Add(-time.Hour))
	stage := rg.d.DigestStage("https://roasd.example/")
	for _, now := range []time.Time{monday.AddDate(0, 0, -1), monday} {
		for _, b := range []*configs.Brand{rg.glowco, rg.lunaskin} {
			if err := stage.Run(ctx, b, &scheduler.Run{Now: now}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		brand string
		want  []string
	}{
		{"glowco", []string{
			"Weekly digest — glowco, 2026-W23 (2026-06-01 – 2026-06-07)",
			"6,250.00 USD spent and 150.00 USD in creator fees for 17,500.00 USD of revenue (16,600.00 USD paid, 900.00 USD organic): 2.73x blended ROAS.",
			"roasd report --from 2026-06-01 --to 2026-06-07 --by creator",
			"ava                      0.00 USD     150.00 USD         0.00 USD       900.00 USD   6.00x",
			"jacqueline           6,000.00 USD       0.00 USD    16,600.00 USD         0.00 USD   2.77x",
			"(unattributed)         250.00 USD",
			"TOTAL                6,250.00 USD     150.00 USD    16,600.00 USD       900.00 USD   2.73x",
		}},
		{"lunaskin", []string{"Weekly digest — lunaskin, 2026-W23", "3,000.00 EUR spent", "8,300.00 EUR paid"}},
	} {
		got := queuedAlerts(t, rg.db, tc.brand, notify.KindWeekly)
		if len(got) != 1 {
			t.Fatalf("%s: %d weekly digests, want 1 (Monday's)", tc.brand, len(got))
		}
		text := alertText(t, got[0]) + "\n" + strings.Join(got[0].Table, "\n")
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s weekly digest lacks %q:\n%s", tc.brand, w, text)
			}
		}
	}
}
