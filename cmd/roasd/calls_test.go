package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/bench"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/shopify/shopifyfake"
	"github.com/roasd/roasd/store"
)

// setupBench is the bench's synthetic brand at small scale (10 creators,
// 100 variants on Meta and TikTok, 40 days, 3,000 orders) in the sandbox,
// with a fresh database.
func setupBench(t *testing.T) (*e2e, *sandbox.Campaign) {
	t.Helper()
	return setupBenchBrand(t, 10, false)
}

// setupBenchBrand is setupBench with creators creators; unpaced lifts
// Slack's pace on both sides (the fake's limit and the sender's).
func setupBenchBrand(t *testing.T, creators int, unpaced bool) (*e2e, *sandbox.Campaign) {
	t.Helper()
	e := &e2e{dsn: pgtest.DSN(t, schema), config: t.TempDir()}
	if err := bench.WriteConfig(e.config, bench.Brand{Creators: creators, Variants: 100}); err != nil {
		t.Fatal(err)
	}
	set, err := loadConfig(e.config)
	if err != nil {
		t.Fatal(err)
	}
	camp, err := sandbox.NewScaledCampaign(set, 1, sandbox.Scale{Days: 40, Orders: 3000})
	if err != nil {
		t.Fatal(err)
	}
	if e.sb, err = sandbox.StartWith(camp, sandbox.Options{SlackUnpaced: unpaced}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.sb.Close() })
	e.vars = map[string]string{"DATABASE_URL": e.dsn, "ROASD_NOW": camp.Now.Format(time.RFC3339)}
	if unpaced {
		for _, k := range []string{"ROASD_SLACK_POST_EVERY", "ROASD_SLACK_UPDATE_EVERY", "ROASD_SLACK_HISTORY_EVERY"} {
			e.vars[k] = "0"
		}
	}
	for _, line := range e.sb.Env() {
		k, v, _ := strings.Cut(line, "=")
		e.vars[k] = v
	}
	// As in production (and in roasd bench), the daemon receives the
	// shops' bulk_operations/finish webhooks on its public listener,
	// signed with the sandbox app's client secret.
	listen := freeAddr(t)
	if err := e.sb.SubscribeBulkFinish("http://"+listen+"/webhooks/shopify", sandbox.ShopifyClientSecret); err != nil {
		t.Fatal(err)
	}
	e.vars["ROASD_LISTEN"], e.vars["ROASD_SHOPIFY_BULK_WEBHOOK"], e.vars["SHOPIFY_WEBHOOK_SECRET"] = listen, "on", sandbox.ShopifyClientSecret
	if e.db, err = store.Open(context.Background(), e.dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	return e, camp
}

// freeAddr is a loopback address whose port is free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// runCycle runs `roasd run --once` and fails the test on a non-zero exit.
func (e *e2e) runCycle(t *testing.T, what string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), e.env(&out, &errOut), []string{"run", "--once", "--config", e.config, "--log-level", "warn"}); code != 0 {
		t.Fatalf("%s: run --once exit %d\nstderr:\n%s", what, code, errOut.String())
	}
}

// endpoints counts the fakes' calls by platform, method and endpoint
// (Meta node ids and report run ids as {id}), skipping the first skip of
// each fake's calls.
func endpoints(sb *sandbox.Sandbox, skip map[string]int) map[string]int {
	out := map[string]int{}
	node := func(p string) string {
		parts := strings.Split(p, "/")
		for i, s := range parts {
			if s != "" && (strings.Trim(s, "0123456789") == "" || strings.HasPrefix(s, "act_")) {
				parts[i] = "{id}"
			}
		}
		return strings.Join(parts, "/")
	}
	for _, c := range sb.Meta.Calls()[skip["META"]:] {
		out["meta "+c.Method+" "+node(c.Path)]++
	}
	for _, c := range sb.TikTok.Calls()[skip["TIKTOK"]:] {
		out["tiktok "+c.Method+" "+strings.TrimPrefix(c.Path, "/open_api/v1.3")]++
	}
	// Webhooks the shop sent are not calls (Sandbox.Calls skips them).
	var shop []shopifyfake.Call
	for _, c := range sb.Shopify.Calls() {
		if !strings.HasPrefix(c.Op, "webhook ") {
			shop = append(shop, c)
		}
	}
	for _, c := range shop[skip["SHOPIFY"]:] {
		out["shopify "+c.Op]++
	}
	return out
}

func listing(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %4d %s\n", m[k], k)
	}
	return b.String()
}

// TestFirstSyncCallsNearMinimum runs the first sync of a small bench brand
// and holds each platform's calls (as its fake counted them) to at most
// 1.1× the fewest the page sizes allow for the data served, derived from
// the campaign by bench.MinimumCalls. The daemon receives the shop's
// bulk_operations/finish webhook (as in production), so however long the
// export takes it reads the operation once, after the webhook: Shopify's
// calls are exactly the minimum (start, one read, the file, the
// overlap's pages), and the webhook came through.
func TestFirstSyncCallsNearMinimum(t *testing.T) {
	t.Parallel()
	e, camp := setupBench(t)
	e.runCycle(t, "first sync")
	calls := e.sb.Calls()
	polls, hooks := 0, 0
	for _, c := range e.sb.Shopify.Calls() {
		switch c.Op {
		case "bulk-poll":
			polls++
		case "webhook bulk_operations/finish":
			if c.Status == http.StatusOK {
				hooks++
			}
		}
	}
	if polls != 1 || hooks != 1 {
		t.Errorf("shopify: the bulk export was read %d times after %d bulk_operations/finish deliveries answered 200, want 1 and 1", polls, hooks)
	}
	at, ok := bench.OrderSyncStart(e.sb.Shopify.Calls())
	if !ok {
		t.Fatal("shopify: no order sync among the calls")
	}
	for _, p := range bench.MinimumCalls(camp, calls, at) {
		if p.Minimum <= 0 || p.Calls == 0 {
			t.Errorf("%s: %d calls, minimum %d", p.Name, p.Calls, p.Minimum)
			continue
		}
		if p.Name == "shopify" && p.Calls != p.Minimum {
			t.Errorf("shopify: %d calls, want exactly the minimum %d (%s); calls made:\n%s", p.Calls, p.Minimum, p.How, listing(endpoints(e.sb, nil)))
		}
		if float64(p.Calls) > 1.1*float64(p.Minimum) {
			t.Errorf("%s: %d calls, more than 1.1× the minimum %d (%s); calls made:\n%s", p.Name, p.Calls, p.Minimum, p.How, listing(endpoints(e.sb, nil)))
		}
	}
}

// TestSteadyCycleCallsNearMinimum runs the first sync of a small bench
// brand, then cycles after the campaign moved on by two hours, a quarter
// of an hour and two hours again (sandbox.Advance: new orders whose
// journeys complete 90 minutes after them, refunds, moving stats, a
// restated day, a revoked Spark authorization): in each, every platform's
// calls are at most 1.1× the fewest that learn the change, derived by
// bench.CycleMinimum — on Shopify one page of the changed orders plus the
// re-reads by id (nodes, 66 a query) of the orders whose journey was not
// ready and whose re-read fell due, not a paging from the oldest of them.
// The jobs' clock runs on during a cycle, so the due orders are counted
// at the instant the order sync listed them (bench.JourneyChecks.Due).
// On Meta and TikTok the ads, campaigns and ad sets (ad groups) lists ask
// only for what changed since the ads sync's marks (updated_since,
// modified_after), the ads of the changed campaigns and ad sets are read
// again filtered on them, and the minimum counts the pages of those
// (bench.AdMarks).
// changedAds reads the changed ads a cycle's minimum counts on a platform.
var changedAds = regexp.MustCompile(`changed (\d+) ads/`)

func TestSteadyCycleCallsNearMinimum(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := setupBench(t)
	e.runCycle(t, "first sync")
	set, err := loadConfig(e.config)
	if err != nil {
		t.Fatal(err)
	}
	reread := 0
	for i, advance := range []time.Duration{2 * time.Hour, 15 * time.Minute, 2 * time.Hour} {
		name := fmt.Sprintf("cycle %d, %v later", i+1, advance)
		change, err := e.sb.Advance(advance, 1)
		if err != nil {
			t.Fatal(err)
		}
		checks, err := bench.ReadJourneyChecks(ctx, e.db, set.Brands[0], jobs.DefaultOrderOverlap)
		if err != nil {
			t.Fatal(err)
		}
		overlapped, err := bench.Overlapped(ctx, e.db, set.Brands[0], jobs.DefaultOrderOverlap)
		if err != nil {
			t.Fatal(err)
		}
		marks, err := bench.ReadAdMarks(ctx, e.db, set.Brands[0])
		if err != nil {
			t.Fatal(err)
		}
		e.vars["ROASD_NOW"] = e.sb.Now().Format(time.RFC3339Nano)
		skip := e.sb.Calls()
		metaFrom, tiktokFrom := len(e.sb.Meta.Calls()), len(e.sb.TikTok.Calls())
		var lastRun int64
		if err := e.db.SQL().Get(&lastRun, `SELECT coalesce(max(id), 0) FROM job_runs`); err != nil {
			t.Fatal(err)
		}
		e.runCycle(t, name)
		due, err := checks.Due(ctx, e.db, lastRun)
		if err != nil {
			t.Fatal(err)
		}
		calls := e.sb.Calls()
		for k := range calls {
			calls[k] -= skip[k]
		}
		got, err := bench.CycleMinimum(ctx, e.db, set.Brands[0], e.sb, change, overlapped, due, marks, calls)
		if err != nil {
			t.Fatal(err)
		}
		// No cycle is a day after the first sync: the ads and campaigns
		// lists ask only for what changed, and the minimum counts only
		// that.
		// The re-reads of the changed parents' ads filter on them.
		for _, c := range e.sb.Meta.Calls()[metaFrom:] {
			list := strings.HasSuffix(c.Path, "/ads") || strings.HasSuffix(c.Path, "/campaigns") || strings.HasSuffix(c.Path, "/adsets")
			parents := strings.HasSuffix(c.Path, "/ads") && (strings.Contains(c.Params.Get("filtering"), `"campaign.id"`) || strings.Contains(c.Params.Get("filtering"), `"adset.id"`))
			if list && !parents && c.Params.Get("updated_since") == "" {
				t.Errorf("%s: meta %s listed everything", name, c.Path)
			}
		}
		for _, c := range e.sb.TikTok.Calls()[tiktokFrom:] {
			f := c.Query.Get("filtering")
			list := strings.HasSuffix(c.Path, "/ad/get/") || strings.HasSuffix(c.Path, "/campaign/get/") || strings.HasSuffix(c.Path, "/adgroup/get/")
			parents := strings.HasSuffix(c.Path, "/ad/get/") && (strings.Contains(f, `"campaign_ids"`) || strings.Contains(f, `"adgroup_ids"`))
			if list && !parents && !strings.Contains(f, "modified_after") {
				t.Errorf("%s: tiktok %s listed everything", name, c.Path)
			}
		}
		total := map[string]int{}
		for _, a := range e.sb.Campaign.Ads {
			total[string(a.Platform)]++
		}
		for _, p := range got[:2] {
			n := -1
			if m := changedAds.FindStringSubmatch(p.How); m != nil {
				n, _ = strconv.Atoi(m[1])
			}
			if n < 0 || n >= total[p.Name] {
				t.Errorf("%s: %s minimum does not count only the changed of its %d ads: %s", name, p.Name, total[p.Name], p.How)
			}
		}
		for _, p := range got {
			t.Logf("%s: %s: %d calls, minimum %d (%s)", name, p.Name, p.Calls, p.Minimum, p.How)
			if p.Minimum <= 0 || p.Calls == 0 {
				t.Errorf("%s: %s: %d calls, minimum %d", name, p.Name, p.Calls, p.Minimum)
				continue
			}
			if float64(p.Calls) > 1.1*float64(p.Minimum) {
				t.Errorf("%s: %s: %d calls, more than 1.1× the minimum %d (%s); calls made:\n%s", name, p.Name, p.Calls, p.Minimum, p.How, listing(endpoints(e.sb, skip)))
			}
		}
		reread += due
	}
	if reread == 0 {
		t.Error("no journey re-read fell due in any cycle: the test did not exercise them")
	}
}

// TestNoNewDataCycle runs a cycle right after the first sync, with no new
// data on any platform: it makes only the calls needed to learn that
// (listed below: one page of each list edge, the restatement window's
// report, the shop's changes since its high-water mark, and the start-up
// token check), writes no row but its own bookkeeping (job_runs, the
// reconcile watermark, the token check's record) and posts nothing.
func TestNoNewDataCycle(t *testing.T) {
	t.Parallel()
	e, _ := setupBench(t)
	e.runCycle(t, "first sync")
	skip := e.sb.Calls()
	msgs := len(e.sb.Slack.Messages())
	var xid int64
	if err := e.db.SQL().Get(&xid, `SELECT txid_current() & 4294967295`); err != nil {
		t.Fatal(err)
	}
	e.runCycle(t, "no new data")
	want := map[string]int{
		"meta GET /v25.0/debug_token":                               1, // meta.token, at start
		"meta GET /v25.0/{id}":                                      1, // the ad account (currency, zone)
		"meta GET /v25.0/{id}/ads":                                  2, // changed ads; the ads of the overlap's campaign
		"meta GET /v25.0/{id}/campaigns":                            1,
		"meta GET /v25.0/{id}/adsets":                               1,
		"meta GET /v25.0/{id}/insights":                             1, // restatement window, synchronous
		"meta GET /v25.0/{id}/branded_content_ad_permissions":       1,
		"meta GET /v25.0/{id}/partnership-ads-advertisable-content": 1,
		"tiktok GET /advertiser/info/":                              1,
		"tiktok GET /ad/get/":                                       2, // changed ads; the ads of the overlap's campaign
		"tiktok GET /campaign/get/":                                 1,
		"tiktok GET /adgroup/get/":                                  1,
		"tiktok GET /report/integrated/get/":                        1,
		"tiktok GET /tt_video/list/":                                1, // no new code: nothing to authorize
		"shopify orders":                                            1, // changes since the high-water mark
	}
	if got := endpoints(e.sb, skip); !reflect.DeepEqual(got, want) {
		t.Errorf("calls of a cycle with no new data:\n%swant:\n%s", listing(got), listing(want))
	}
	if n := len(e.sb.Slack.Messages()) - msgs; n != 0 {
		t.Errorf("a cycle with no new data posted %d Slack messages", n)
	}
	w := written(t, e, xid)
	delete(w, "job_runs")
	delete(w, "reconcile_state")
	var cursors []string
	if err := e.db.SQL().Select(&cursors, `SELECT name FROM sync_cursors WHERE xmin::text::bigint >= $1 AND name NOT LIKE 'token:%'`, xid); err != nil {
		t.Fatal(err)
	}
	if len(cursors) == 0 {
		delete(w, "sync_cursors")
	}
	if len(w) != 0 {
		t.Errorf("a cycle with no new data wrote rows: %v (cursors %v)", w, cursors)
	}
}

// written counts, per table, the rows that transactions from xid on
// inserted or updated (their xmin), in a database far from xid
// wraparound, as a fresh test database is.
func written(t *testing.T, e *e2e, xid int64) map[string]int {
	t.Helper()
	var tables []string
	if err := e.db.SQL().Select(&tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, tb := range tables {
		var n int
		if err := e.db.SQL().Get(&n, `SELECT count(*) FROM `+tb+` WHERE xmin::text::bigint >= $1`, xid); err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		if n > 0 {
			out[tb] = n
		}
	}
	return out
}
