package jobs

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/tiktokads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// The action scenarios: two brands in different currencies and zones
// sharing a creator; each has a test that applies actions with three
// variants (scale, cut, refresh). glowco runs on Meta (budget step +20%)
// and TikTok (+30%); lunaskin on its own Meta account in EUR.
const (
	actMeta    = "act_1001"
	actMetaEU  = "act_2002"
	actTikTok  = "7100000000000000001"
	actToken   = "EAAactions-token"
	setScale   = "2384000000000001" // ad set of the scaled Meta variant
	setCut     = "2384000000000002"
	setRefresh = "2384000000000003"
	setEU      = "2384000000000009"
	groupDay   = "1790000000000000002" // TikTok daily ad group of the scaled variant
	groupLife  = "1790000000000000003" // TikTok lifetime ad group
)

var actStart = ads.MustDate("2026-06-01")

// faultProxy stands between a client and a fake: it passes reads through
// and, for the writes it is told to spoil, lets the fake apply the write
// and then loses the answer (a 500, a dropped connection, or the process
// dying: kill is called and the answer never comes).
type faultProxy struct {
	h    http.Handler
	mu   sync.Mutex
	mode string // "500" | "drop" | "kill" | "refuse500" (the fake never sees it)
	skip int    // writes to pass before spoiling
	left int    // writes to spoil
	kill func()
	// writes counts the writes that reached the fake.
	writes int
}

func (p *faultProxy) set(mode string, skip, n int, kill func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode, p.skip, p.left, p.kill = mode, skip, n, kill
}

func (p *faultProxy) reached() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writes
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		p.h.ServeHTTP(w, r)
		return
	}
	p.mu.Lock()
	mode, kill := "", p.kill
	switch {
	case p.skip > 0:
		p.skip--
	case p.left > 0:
		p.left--
		mode = p.mode
	}
	if mode != "refuse500" {
		p.writes++
	}
	p.mu.Unlock()
	switch mode {
	case "":
		p.h.ServeHTTP(w, r)
		return
	case "refuse500":
		http.Error(w, "upstream connect error", http.StatusInternalServerError)
		return
	}
	p.h.ServeHTTP(httptest.NewRecorder(), r) // the platform applies it
	switch mode {
	case "500":
		http.Error(w, "upstream request timeout", http.StatusInternalServerError)
	case "drop":
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	case "kill":
		kill()
		<-r.Context().Done()
	}
}

type actionRig struct {
	db        *store.DB
	meta      *metafake.Server
	tiktok    *tiktokfake.Server
	metaPx    *faultProxy
	tiktokPx  *faultProxy
	d         *Deps
	glowco    *configs.Brand
	lunaskin  *configs.Brand
	tiktokNow func() time.Time
}

func actBrands(t *testing.T) (*configs.Brand, *configs.Brand) {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	jacq := &configs.Creator{Handle: "jacqueline"}
	test := func(id string, step string, cap string, vs ...*configs.Variant) *configs.Test {
		return &configs.Test{ID: id, Creator: "jacqueline", Start: actStart, Checkpoints: []int{14, 30}, TargetROAS: 3, FloorROAS: 1,
			MinSpend: ads.MustMicros("100"), Actions: configs.ActionsApply, BudgetStep: ads.MustRate(step), MaxDailyBudget: ads.MustMicros(cap),
			Variants: vs}
	}
	v := func(key string, p ads.Platform) *configs.Variant {
		return &configs.Variant{Key: key, Platform: p, UTM: ads.UTM{Content: key}}
	}
	glowco := &configs.Brand{Name: "glowco", Currency: "USD", Timezone: "America/New_York", Location: ny,
		RestatementDays: configs.DefaultRestatementDays, RefundHorizonDays: configs.DefaultRefundHorizonDays,
		Accounts: configs.Accounts{Meta: []*configs.MetaAccount{{AdAccount: actMeta}}, TikTok: []*configs.TikTokAccount{{Advertiser: actTikTok}}},
		Slack:    configs.Slack{Channel: "#glowco"},
		Creators: []*configs.Creator{jacq},
		Tests: []*configs.Test{
			test("meta-hooks", "0.2", "1000", v("hook-a", ads.Meta), v("hook-b", ads.Meta), v("hook-c", ads.Meta)),
			test("tiktok-hooks", "0.3", "1000", v("tk-a", ads.TikTok), v("tk-b", ads.TikTok), v("tk-c", ads.TikTok)),
		}}
	lunaskin := &configs.Brand{Name: "lunaskin", Currency: "EUR", Timezone: "Europe/Berlin", Location: berlin,
		RestatementDays: configs.DefaultRestatementDays, RefundHorizonDays: configs.DefaultRefundHorizonDays,
		Accounts: configs.Accounts{Meta: []*configs.MetaAccount{{AdAccount: actMetaEU}}},
		Slack:    configs.Slack{Channel: "#luna"},
		Creators: []*configs.Creator{{Handle: "jacqueline"}},
		Tests:    []*configs.Test{test("luna-hooks", "0.2", "500", v("eu-a", ads.Meta), v("eu-b", ads.Meta), v("eu-c", ads.Meta))}}
	return glowco, lunaskin
}

// newActionRig seeds the platforms, the synced ads, the variant links and
// KPI cells that make the first variant of each test a scale, the second a
// cut and the third a refresh.
func newActionRig(t *testing.T, tiktokMode string) *actionRig {
	t.Helper()
	ctx := context.Background()
	rg := &actionRig{db: openDB(t)}
	rg.glowco, rg.lunaskin = actBrands(t)
	metaAd := func(id, set, status string) metafake.Ad {
		return metafake.Ad{ID: id, AdSetID: set, CampaignID: "2383000000000001", Status: status}
	}
	rg.meta = metafake.New(metafake.Seed{Token: actToken, Accounts: []metafake.Account{
		{ID: actMeta, Currency: "USD", Timezone: "America/New_York",
			AdSets: []metafake.AdSet{{ID: setScale, DailyBudget: 10000}, {ID: setCut, DailyBudget: 10000}, {ID: setRefresh, DailyBudget: 10000}},
			Ads:    []metafake.Ad{metaAd("m1", setScale, ""), metaAd("m2", setCut, ""), metaAd("m4", setCut, "PAUSED"), metaAd("m3", setRefresh, "")}},
		{ID: actMetaEU, Currency: "EUR", Timezone: "Europe/Berlin",
			AdSets: []metafake.AdSet{{ID: setEU, DailyBudget: 8000}, {ID: "2384000000000010", DailyBudget: 8000}},
			Ads:    []metafake.Ad{metaAd("e1", setEU, ""), metaAd("e2", "2384000000000010", ""), metaAd("e3", "2384000000000010", "")}},
	}})
	if tiktokMode == "" {
		tiktokMode = tiktokfake.BudgetModeTotal
	}
	rg.tiktokNow = func() time.Time { return day15 }
	rg.tiktok = tiktokfake.New(tiktokfake.Seed{Token: actToken, Now: func() time.Time { return rg.tiktokNow() }, Advertisers: []tiktokfake.Advertiser{{
		ID: actTikTok, Currency: "USD", Timezone: "America/Los_Angeles",
		AdGroups: []tiktokfake.AdGroup{{ID: groupDay, CampaignID: "1790000000000000001", BudgetMode: tiktokMode, BudgetMicros: ads.MustMicros("100")},
			{ID: groupLife, CampaignID: "1790000000000000001", BudgetMode: tiktokfake.BudgetModeTotal, BudgetMicros: ads.MustMicros("100")}},
		Ads: []tiktokfake.Ad{{ID: "k1", AdGroupID: groupDay, CampaignID: "1790000000000000001"},
			{ID: "k2", AdGroupID: groupLife, CampaignID: "1790000000000000001"}, {ID: "k3", AdGroupID: groupLife, CampaignID: "1790000000000000001"}},
	}}})
	rg.metaPx, rg.tiktokPx = &faultProxy{h: rg.meta}, &faultProxy{h: rg.tiktok}
	metaSrv, tiktokSrv := httptest.NewServer(rg.metaPx), httptest.NewServer(rg.tiktokPx)
	t.Cleanup(metaSrv.Close)
	t.Cleanup(tiktokSrv.Close)
	// As wired in cmd/roasd: reads retry, action writes never re-send.
	fast := func(n int) (int, time.Duration, time.Duration) { return n, time.Millisecond, 5 * time.Millisecond }
	mo := metaads.Options{BaseURL: metaSrv.URL, AccessToken: actToken}
	mo.RetryMax, mo.RetryWaitMin, mo.RetryWaitMax = fast(2)
	to := tiktokads.Options{BaseURL: tiktokSrv.URL, AccessToken: actToken}
	to.RetryMax, to.RetryWaitMin, to.RetryWaitMax = fast(2)
	rg.d = &Deps{DB: rg.db, Meta: metaads.New(mo), TikTok: tiktokads.New(to)}
	mo.RetryMax, to.RetryMax = -1, -1
	rg.d.MetaWrite, rg.d.TikTokWrite = metaads.New(mo), tiktokads.New(to)

	synced := func(p ads.Platform, account, id, set, status string) ads.Ad {
		return ads.Ad{Platform: p, Account: account, ID: id, AdSetID: set, Status: status}
	}
	// m4 was paused on Meta by someone after the last sync: roasd's copy
	// still says ACTIVE.
	noErr(t)(rg.db.UpsertAds(ctx, []ads.Ad{
		synced(ads.Meta, actMeta, "m1", setScale, "ACTIVE"), synced(ads.Meta, actMeta, "m2", setCut, "ACTIVE"),
		synced(ads.Meta, actMeta, "m4", setCut, "ACTIVE"), synced(ads.Meta, actMeta, "m3", setRefresh, "ACTIVE"),
		synced(ads.Meta, actMetaEU, "e1", setEU, "ACTIVE"), synced(ads.Meta, actMetaEU, "e2", "2384000000000010", "ACTIVE"),
		synced(ads.Meta, actMetaEU, "e3", "2384000000000010", "ACTIVE"),
		synced(ads.TikTok, actTikTok, "k1", groupDay, "ENABLE"), synced(ads.TikTok, actTikTok, "k2", groupLife, "ENABLE"),
		synced(ads.TikTok, actTikTok, "k3", groupLife, "ENABLE"),
	}))
	link := func(test, variant, account, ad string) store.VariantAd {
		return store.VariantAd{TestID: test, VariantKey: variant, Account: account, AdID: ad, MatchedBy: "utm_content"}
	}
	for _, l := range []struct {
		brand string
		p     ads.Platform
		links []store.VariantAd
	}{
		{"glowco", ads.Meta, []store.VariantAd{link("meta-hooks", "hook-a", actMeta, "m1"), link("meta-hooks", "hook-b", actMeta, "m2"),
			link("meta-hooks", "hook-b", actMeta, "m4"), link("meta-hooks", "hook-c", actMeta, "m3")}},
		{"glowco", ads.TikTok, []store.VariantAd{link("tiktok-hooks", "tk-a", actTikTok, "k1"), link("tiktok-hooks", "tk-b", actTikTok, "k2"),
			link("tiktok-hooks", "tk-c", actTikTok, "k3")}},
		{"lunaskin", ads.Meta, []store.VariantAd{link("luna-hooks", "eu-a", actMetaEU, "e1"), link("luna-hooks", "eu-b", actMetaEU, "e2"),
			link("luna-hooks", "eu-c", actMetaEU, "e3")}},
	} {
		if err := rg.db.ReplaceVariantAds(ctx, l.brand, l.p, "", l.links); err != nil {
			t.Fatal(err)
		}
	}
	// One day of results per variant: ROAS 6 (scale), 0.3 (cut), 2 (refresh).
	for _, c := range []struct{ brand, cur, test, p, variant, rev string }{
		{"glowco", "USD", "meta-hooks", "meta", "hook-a", "6000"}, {"glowco", "USD", "meta-hooks", "meta", "hook-b", "300"},
		{"glowco", "USD", "meta-hooks", "meta", "hook-c", "2000"},
		{"glowco", "USD", "tiktok-hooks", "tiktok", "tk-a", "6000"}, {"glowco", "USD", "tiktok-hooks", "tiktok", "tk-b", "300"},
		{"glowco", "USD", "tiktok-hooks", "tiktok", "tk-c", "2000"},
		{"lunaskin", "EUR", "luna-hooks", "meta", "eu-a", "6000"}, {"lunaskin", "EUR", "luna-hooks", "meta", "eu-b", "300"},
		{"lunaskin", "EUR", "luna-hooks", "meta", "eu-c", "2000"},
	} {
		rev := ads.MustMicros(c.rev)
		if _, err := rg.db.SQL().Exec(`INSERT INTO kpi_daily (brand, day, test_id, variant_key, creator, platform, currency, spend_micros,
			paid_revenue_micros, paid_orders, impressions) VALUES ($1, $2, $3, $4, 'jacqueline', $5, $6, $7, $8, $9, 100000)`,
			c.brand, actStart.AddDays(1).String(), c.test, c.variant, c.p, c.cur, ads.MustMicros("1000"), rev, rev/ads.MustMicros("50")); err != nil {
			t.Fatal(err)
		}
	}
	recordRuns(t, rg.d, rg.glowco, store.RunOK, day15.Add(-24*time.Hour)) // the brands were synced
	recordRuns(t, rg.d, rg.lunaskin, store.RunOK, day15.Add(-24*time.Hour))
	return rg
}

// verdicts runs the verdicts stage of brand at now, with ctx.
func (rg *actionRig) verdicts(ctx context.Context, b *configs.Brand, now time.Time) error {
	return rg.d.VerdictStage("").Run(ctx, b, &scheduler.Run{Now: now})
}

// action returns brand's recorded action on target (fails when not one).
func (rg *actionRig) action(t *testing.T, brand, target string) store.ActionRecord {
	t.Helper()
	recs, err := rg.db.Actions(context.Background(), brand)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.ActionRecord
	for _, r := range recs {
		if r.TargetID == target {
			out = append(out, r)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%s has %d actions on %s, want 1: %+v", brand, len(out), target, out)
	}
	return out[0]
}

// actionAlerts returns the queued action alerts of brand by dedup key.
func (rg *actionRig) actionAlerts(t *testing.T, brand string) map[string]string {
	t.Helper()
	var rows []struct {
		Key     string `db:"dedup_key"`
		Payload string `db:"payload"`
	}
	if err := rg.db.SQL().Select(&rows, `SELECT dedup_key, payload FROM alert_outbox WHERE brand = $1 AND kind = 'action' ORDER BY id`, brand); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Key] = r.Payload
	}
	return out
}

func (rg *actionRig) metaBudget(t *testing.T, set string) int64 {
	t.Helper()
	for _, acct := range []string{actMeta, actMetaEU} {
		if b, err := rg.d.Meta.AdSetDailyBudget(context.Background(), acct, set); err == nil {
			return b
		}
	}
	t.Fatalf("no Meta ad set %s", set)
	return 0
}

func (rg *actionRig) metaStatus(t *testing.T, ad string) string {
	t.Helper()
	st, err := rg.d.Meta.AdStatus(context.Background(), actMeta, ad)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// dbState is what a rerun must leave unchanged.
func (rg *actionRig) dbState(t *testing.T) string {
	t.Helper()
	var rows []string
	if err := rg.db.SQL().Select(&rows, `
		SELECT concat_ws('|', id, checkpoint, target_id, status, before_value, after_value, target_value, sends, note) FROM platform_actions
		UNION ALL SELECT concat_ws('|', 'alert', dedup_key) FROM alert_outbox WHERE kind = 'action'
		UNION ALL SELECT concat_ws('|', 'log', count(*)) FROM platform_action_log
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

var (
	day15 = time.Date(2026, 6, 16, 14, 0, 0, 0, time.UTC) // the 14d checkpoint is due
	day31 = time.Date(2026, 7, 2, 14, 0, 0, 0, time.UTC)  // 14d and 30d are due
)

// TestActionKilledMidwayIsReadBackAndAnnouncedOnce kills the run between
// the platform applying a pause and roasd recording it: the next run
// sweeps the claimed row into a read-back, finishes it once without
// pausing again, and delivers its alert; the alert of the action finished
// before the kill is kept.
func TestActionKilledMidwayIsReadBackAndAnnouncedOnce(t *testing.T) {
	t.Parallel()
	rg := newActionRig(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// glowco meta-hooks plans: raise setScale (hook-a), pause m2 and m4
	// (hook-b). The process dies while the pause of m2 is in flight.
	rg.metaPx.set("kill", 1, 1, cancel)
	if err := rg.verdicts(ctx, rg.glowco, day15); err == nil {
		t.Fatal("the killed run reported success")
	}
	if st := rg.metaStatus(t, "m2"); st != "PAUSED" {
		t.Fatalf("m2 is %s on Meta, want PAUSED (the platform applied it before the kill)", st)
	}
	if a := rg.action(t, "glowco", "m2"); a.Status != store.ActionClaimed || a.Sends != 1 {
		t.Fatalf("after the kill m2's action is %s with %d sends, want claimed with 1", a.Status, a.Sends)
	}
	if a := rg.action(t, "glowco", setScale); a.Status != store.ActionApplied {
		t.Fatalf("the raise finished before the kill is %s, want applied", a.Status)
	}
	if _, ok := rg.actionAlerts(t, "glowco")["action:glowco:meta-hooks:hook-a:set_budget:"+setScale+":14d:applied"]; !ok {
		t.Errorf("the alert of the action finished before the kill is lost: %v", rg.actionAlerts(t, "glowco"))
	}

	writes := rg.metaPx.reached()
	for range 2 {
		if err := rg.verdicts(context.Background(), rg.glowco, day15.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	a := rg.action(t, "glowco", "m2")
	if a.Status != store.ActionApplied || a.Sends != 1 || a.Before != "ACTIVE" || a.After != "PAUSED" || !strings.Contains(a.Note, "read back") {
		t.Errorf("swept action = %+v, want applied once, ACTIVE → PAUSED, noted as read back", a)
	}
	if a := rg.action(t, "glowco", "m4"); a.Status != store.ActionAlready || a.Sends != 0 || a.Before != "PAUSED" {
		t.Errorf("m4 (paused by someone) = %+v, want already, nothing sent, before PAUSED", a)
	}
	metaWrites := 0
	for _, c := range rg.meta.Calls() {
		if c.Method == http.MethodPost && strings.HasSuffix(c.Path, "/m2") {
			metaWrites++
		}
	}
	if got := rg.metaPx.reached() - writes; got != 0 || metaWrites != 1 {
		t.Errorf("after the kill %d more writes reached Meta, m2 was written %d times; want 0 and 1", got, metaWrites)
	}
	alerts := rg.actionAlerts(t, "glowco")
	for _, k := range []string{"action:glowco:meta-hooks:hook-b:pause_ad:m2:14d:applied", "action:glowco:meta-hooks:hook-b:pause_ad:m4:14d:already",
		"action:glowco:meta-hooks:hook-a:set_budget:" + setScale + ":14d:applied"} {
		if _, ok := alerts[k]; !ok {
			t.Errorf("alert %s not queued; queued: %v", k, alerts)
		}
	}
}

// TestLostAnswerAfterBudgetRaise loses the platform's answer after it
// applied a raise (a 500, or a dropped connection): the raise is read back
// and recorded once, and reruns never raise again.
func TestLostAnswerAfterBudgetRaise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, mode string
		tiktok     bool
		set        string
		want       int64 // minor units after any number of runs
	}{
		{"meta 500", "500", false, setScale, 12000},
		{"meta dropped connection", "drop", false, setScale, 12000},
		{"tiktok lifetime 500", "500", true, groupLife, 13000},
		{"tiktok daily 500", "500", true, groupDay, 13000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mode := tiktokfake.BudgetModeTotal
			if tc.set == groupDay {
				mode = tiktokfake.BudgetModeDay
			}
			rg := newActionRig(t, mode)
			if tc.tiktok {
				// tk-a (ad group tc.set) is scaled; every write's answer is lost.
				rg.tiktokPx.set(tc.mode, 0, 100, nil)
				if tc.set == groupLife {
					// Move the scaled variant's ad into the lifetime group.
					noErr(t)(rg.db.UpsertAds(context.Background(), []ads.Ad{{Platform: ads.TikTok, Account: actTikTok, ID: "k1", AdSetID: groupLife, Status: "ENABLE"}}))
					noErr(t)(rg.db.UpsertAds(context.Background(), []ads.Ad{{Platform: ads.TikTok, Account: actTikTok, ID: "k2", AdSetID: groupDay, Status: "ENABLE"},
						{Platform: ads.TikTok, Account: actTikTok, ID: "k3", AdSetID: groupDay, Status: "ENABLE"}}))
				}
			} else {
				rg.metaPx.set(tc.mode, 0, 100, nil)
			}
			var first string
			for i := range 3 {
				for _, b := range []*configs.Brand{rg.glowco, rg.lunaskin} {
					if err := rg.verdicts(context.Background(), b, day15.Add(time.Duration(i)*time.Hour)); err != nil {
						t.Fatalf("run %d of %s: %v", i, b.Name, err)
					}
				}
				if i == 0 {
					first = rg.dbState(t)
				} else if got := rg.dbState(t); got != first {
					t.Errorf("run %d changed the database:\n%s\nwant\n%s", i, got, first)
				}
			}
			a := rg.action(t, "glowco", tc.set)
			if a.Status != store.ActionApplied || a.Sends != 1 || a.Target != itoa(tc.want) || !strings.Contains(a.Note, "answer was lost") {
				t.Errorf("action = %+v, want applied after one send to %d, noted as a lost answer", a, tc.want)
			}
			writes := 0
			for _, c := range rg.meta.Calls() {
				if c.Method == http.MethodPost && strings.HasSuffix(c.Path, "/"+tc.set) {
					writes++
				}
			}
			for _, c := range rg.tiktok.Calls() {
				if strings.HasSuffix(c.Path, "/adgroup/budget/update/") && strings.Contains(string(c.Body), tc.set) {
					writes++
				}
			}
			if writes != 1 {
				t.Errorf("the budget was written %d times, want once (a lost answer is read back, not re-sent)", writes)
			}
			if tc.tiktok {
				st, err := rg.d.TikTok.AdGroupBudgetInfo(context.Background(), actTikTok, tc.set)
				got := max(st.Budget, st.Scheduled)
				if err != nil || got != tc.want*10_000 {
					t.Errorf("TikTok budget %+v, %v; want %d", st, err, tc.want*10_000)
				}
			} else if got := rg.metaBudget(t, tc.set); got != tc.want {
				t.Errorf("Meta budget %d, want %d", got, tc.want)
			}
			// The other brand, in EUR, raised its own ad set once.
			if got := rg.metaBudget(t, setEU); got != 9600 {
				t.Errorf("lunaskin's budget %d, want 9600", got)
			}
			if n := len(rg.actionAlerts(t, "glowco")); n == 0 {
				t.Error("no action alert queued")
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestCatchUpRunTakesOneStep runs the verdicts for the first time after
// both checkpoints are due: one +20% raise (not +44%), m2 paused once, m4
// (paused by someone after the last sync) recorded truthfully as already
// paused, nothing acted for the 14d checkpoint separately.
func TestCatchUpRunTakesOneStep(t *testing.T) {
	t.Parallel()
	rg := newActionRig(t, "")
	for i := range 2 {
		if err := rg.verdicts(context.Background(), rg.glowco, day31.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if got := rg.metaBudget(t, setScale); got != 12000 {
		t.Errorf("budget after the catch-up run %d, want 12000 (one +20%% step)", got)
	}
	pauses := map[string]int{}
	for _, c := range rg.meta.Calls() {
		if c.Method == http.MethodPost {
			pauses[c.Path[strings.LastIndex(c.Path, "/")+1:]]++
		}
	}
	if pauses["m2"] != 1 || pauses["m4"] != 0 || pauses[setScale] != 1 {
		t.Errorf("writes per object %v, want m2 once, m4 never, the ad set once", pauses)
	}
	recs, err := rg.db.Actions(context.Background(), "glowco")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Checkpoint != "30d" {
			t.Errorf("action %+v recorded for checkpoint %s, want only 30d", r, r.Checkpoint)
		}
	}
	if a := rg.action(t, "glowco", "m2"); a.Status != store.ActionApplied || a.Before != "ACTIVE" || a.After != "PAUSED" || !strings.Contains(a.Reason, "14d") {
		t.Errorf("m2 = %+v, want applied ACTIVE → PAUSED, saying it covers 14d", a)
	}
	if a := rg.action(t, "glowco", "m4"); a.Status != store.ActionAlready || a.Before != "PAUSED" || a.After != "PAUSED" {
		t.Errorf("m4 = %+v, want already, PAUSED before and after", a)
	}
	if a := rg.action(t, "glowco", setScale); a.Before != "10000" || a.After != "12000" || a.Currency != "USD" {
		t.Errorf("raise = %+v, want 10000 → 12000 USD minor units", a)
	}
}

// TestBudgetGuardrailsPerAdSet checks the per-ad-set limits: Meta's 4
// budget writes per hour (writes whose answers were lost count), and one
// raise per ad set per day in the brand's zone even when two tests scale
// variants in the same ad set.
func TestBudgetGuardrailsPerAdSet(t *testing.T) {
	t.Parallel()
	t.Run("meta 4 writes per hour", func(t *testing.T) {
		t.Parallel()
		rg := newActionRig(t, "")
		rg.metaPx.set("refuse500", 0, 100, nil) // Meta fails every write without applying it
		for i := range 6 {
			rg.verdicts(context.Background(), rg.glowco, day15.Add(time.Duration(i)*time.Minute))
		}
		sends, err := rg.db.ActionSends(context.Background(), "meta", setScale, "set_budget", day15.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		a := rg.action(t, "glowco", setScale)
		if sends != MetaBudgetWritesPerHour || a.Status != store.ActionPending || !strings.Contains(a.Note, "Meta allows 4") {
			t.Errorf("after 6 runs in an hour: %d budget writes, action %+v; want 4 and pending, deferred by Meta's limit", sends, a)
		}
		rg.metaPx.set("", 0, 0, nil)
		if err := rg.verdicts(context.Background(), rg.glowco, day15.Add(61*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if a := rg.action(t, "glowco", setScale); a.Status != store.ActionApplied || rg.metaBudget(t, setScale) != 12000 {
			t.Errorf("an hour later: %+v, budget %d; want applied at 12000", a, rg.metaBudget(t, setScale))
		}
	})
	t.Run("one raise per ad set per day", func(t *testing.T) {
		t.Parallel()
		rg := newActionRig(t, "")
		// A second test scales a variant whose ad runs in the same ad set.
		second := *rg.glowco.Tests[0]
		second.ID, second.Variants = "meta-hooks-2", []*configs.Variant{{Key: "hook-x", Platform: ads.Meta}, {Key: "hook-y", Platform: ads.Meta}, {Key: "hook-z", Platform: ads.Meta}}
		rg.glowco.Tests = append(rg.glowco.Tests, &second)
		noErr(t)(rg.db.UpsertAds(context.Background(), []ads.Ad{{Platform: ads.Meta, Account: actMeta, ID: "m5", AdSetID: setScale, Status: "ACTIVE"}}))
		links := []store.VariantAd{{TestID: "meta-hooks", VariantKey: "hook-a", Account: actMeta, AdID: "m1"}, {TestID: "meta-hooks", VariantKey: "hook-b", Account: actMeta, AdID: "m2"},
			{TestID: "meta-hooks", VariantKey: "hook-b", Account: actMeta, AdID: "m4"}, {TestID: "meta-hooks", VariantKey: "hook-c", Account: actMeta, AdID: "m3"},
			{TestID: "meta-hooks-2", VariantKey: "hook-x", Account: actMeta, AdID: "m5"}}
		if err := rg.db.ReplaceVariantAds(context.Background(), "glowco", ads.Meta, "", links); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ v, rev string }{{"hook-x", "6000"}, {"hook-y", "300"}, {"hook-z", "2000"}} {
			rev := ads.MustMicros(c.rev)
			if _, err := rg.db.SQL().Exec(`INSERT INTO kpi_daily (brand, day, test_id, variant_key, creator, platform, currency, spend_micros,
				paid_revenue_micros, paid_orders, impressions) VALUES ('glowco', $1, 'meta-hooks-2', $2, 'jacqueline', 'meta', 'USD', $3, $4, $5, 100000)`,
				actStart.AddDays(1).String(), c.v, ads.MustMicros("1000"), rev, rev/ads.MustMicros("50")); err != nil {
				t.Fatal(err)
			}
		}
		if err := rg.verdicts(context.Background(), rg.glowco, day15); err != nil {
			t.Fatal(err)
		}
		if got := rg.metaBudget(t, setScale); got != 12000 {
			t.Fatalf("budget after one day %d, want 12000 (one raise)", got)
		}
		recs, _ := rg.db.Actions(context.Background(), "glowco")
		var deferred store.ActionRecord
		for _, r := range recs {
			if r.TargetID == setScale && r.Status == store.ActionPending {
				deferred = r
			}
		}
		if !strings.Contains(deferred.Note, "deferred to tomorrow") || deferred.Target != "14400" {
			t.Fatalf("the second test's raise = %+v, want pending to 14400, deferred to tomorrow", deferred)
		}
		// Later the same day: still one raise. The next day: the second one.
		if err := rg.verdicts(context.Background(), rg.glowco, day15.Add(5*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := rg.metaBudget(t, setScale); got != 12000 {
			t.Errorf("budget later the same day %d, want 12000", got)
		}
		if err := rg.verdicts(context.Background(), rg.glowco, day15.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := rg.metaBudget(t, setScale); got != 14400 {
			t.Errorf("budget the next day %d, want 14400", got)
		}
	})
}

// TestTikTokDailyBudgetIsScheduled raises a BUDGET_MODE_DAY ad group:
// roasd sends scheduled_budget (TikTok refuses budget on it), records and
// announces when the change takes effect, and reads a scheduled budget
// equal to the target as reached.
func TestTikTokDailyBudgetIsScheduled(t *testing.T) {
	t.Parallel()
	rg := newActionRig(t, tiktokfake.BudgetModeDay)
	for i := range 2 {
		if err := rg.verdicts(context.Background(), rg.glowco, day15.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	a := rg.action(t, "glowco", groupDay)
	// day15 is 07:00 on 2026-06-16 in Los Angeles (PDT); the advertiser's
	// zone is TikTok's fixed offset for it, Etc/GMT+8 (UTC−8, no daylight
	// saving time), where it is 06:00.
	if a.Status != store.ActionApplied || a.Target != "13000" || a.EffectiveFrom != "2026-06-17 00:00 Etc/GMT+8" || a.Sends != 1 {
		t.Errorf("action = %+v, want applied to 13000 once, effective 2026-06-17 00:00 Etc/GMT+8", a)
	}
	g, _ := rg.tiktok.AdGroup(actTikTok, groupDay)
	if g.BudgetMicros != ads.MustMicros("100") || g.ScheduledBudgetMicros != ads.MustMicros("130") {
		t.Errorf("ad group %+v, want 100 in force and 130 scheduled", g)
	}
	var sent map[string]any
	for _, c := range rg.tiktok.Calls() {
		if strings.HasSuffix(c.Path, "/adgroup/budget/update/") {
			json.Unmarshal(c.Body, &sent)
		}
	}
	if _, ok := sent["scheduled_budget"]; !ok || sent["budget"] != nil {
		t.Errorf("sent %v, want scheduled_budget only", sent)
	}
	alert := rg.actionAlerts(t, "glowco")["action:glowco:tiktok-hooks:tk-a:set_budget:"+groupDay+":14d:applied"]
	if !strings.Contains(alert, "2026-06-17 00:00 Etc/GMT+8") || !strings.Contains(alert, "Scheduled daily budget") {
		t.Errorf("alert %s does not say when the budget takes effect", alert)
	}
}

// TestClaimedRowsFromBeforeTargetsAreSettled: rows left claimed by the old
// code (issue 14 item 1) are finished by the next run: a pause (whose
// target migration 0011 fills in) is read and carried out, a budget raise
// with no recorded target is settled as failed without a write; both are
// announced.
func TestClaimedRowsFromBeforeTargetsAreSettled(t *testing.T) {
	t.Parallel()
	rg := newActionRig(t, "")
	for _, r := range []struct{ action, target, value string }{{"pause_ad", "m2", "PAUSED"}, {"set_budget", setScale, ""}} {
		if _, err := rg.db.SQL().Exec(`INSERT INTO platform_actions (brand, test_id, variant_key, platform, account, action, target_id, checkpoint,
			status, claimed_at, target_value) VALUES ('glowco', 'meta-hooks', 'hook-x', 'meta', $1, $2, $3, '14d', 'claimed', $4, $5)`,
			actMeta, r.action, r.target, day15.Add(-24*time.Hour), r.value); err != nil {
			t.Fatal(err)
		}
	}
	err := rg.verdicts(context.Background(), rg.glowco, day15)
	if err == nil || !strings.Contains(err.Error(), "recorded no target") {
		t.Errorf("run error %v, want it to name the budget row it could not finish", err)
	}
	recs, _ := rg.db.Actions(context.Background(), "glowco")
	got := map[string]string{}
	for _, r := range recs {
		if r.VariantKey == "hook-x" {
			got[r.TargetID] = r.Status
		}
	}
	if got["m2"] != store.ActionApplied || got[setScale] != store.ActionFailed {
		t.Errorf("legacy rows settled as %v, want m2 applied and the budget failed", got)
	}
	alerts := rg.actionAlerts(t, "glowco")
	for _, k := range []string{"action:glowco:meta-hooks:hook-x:pause_ad:m2:14d:applied", "action:glowco:meta-hooks:hook-x:set_budget:" + setScale + ":14d:failed"} {
		if _, ok := alerts[k]; !ok {
			t.Errorf("alert %s not queued", k)
		}
	}
	for _, c := range rg.meta.Calls() {
		if c.Method == http.MethodPost && strings.HasSuffix(c.Path, "/"+setScale) && c.Params.Get("daily_budget") != "12000" {
			t.Errorf("wrote %v to the ad set without a target", c.Params)
		}
	}
}

// TestOpenActionsSettleWhileVerdictsWait: a brand whose sync failed is not
// judged, but an action left open by a dead run is still read back and
// announced.
func TestOpenActionsSettleWhileVerdictsWait(t *testing.T) {
	t.Parallel()
	rg := newActionRig(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rg.metaPx.set("kill", 1, 1, cancel) // dies while pausing m2
	rg.verdicts(ctx, rg.glowco, day15)
	id, err := rg.db.StartRun(context.Background(), "meta.ads", actMeta, "r1", 1, day15)
	if err != nil {
		t.Fatal(err)
	}
	if err := rg.db.FinishRun(context.Background(), id, store.RunFailed, 0, 0, "boom", day15.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	err = rg.verdicts(context.Background(), rg.glowco, day15.Add(time.Hour))
	if err == nil || !strings.Contains(err.Error(), "not judging") {
		t.Fatalf("run error %v, want the brand not judged", err)
	}
	if a := rg.action(t, "glowco", "m2"); a.Status != store.ActionApplied || a.Sends != 1 {
		t.Errorf("m2 = %+v, want applied (read back) while verdicts wait", a)
	}
	if _, ok := rg.actionAlerts(t, "glowco")["action:glowco:meta-hooks:hook-b:pause_ad:m2:14d:applied"]; !ok {
		t.Error("the settled pause was not announced")
	}
}
