package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/tiktokads"
)

// CycleFigures are one steady-state cycle: `roasd run --once` after the
// fakes' clock moved on by Advance with the data that time brings.
type CycleFigures struct {
	Name    string
	Advance time.Duration
	Change  sandbox.Change
	Wall    time.Duration
	// DaemonCPU is the daemon's user + system time; PostgresCPU the
	// cluster's (postmaster and every backend, live or exited), or -1 on
	// a server the bench did not start.
	DaemonCPU, PostgresCPU time.Duration
	// PeakRSS is the daemon's peak resident set size in this cycle.
	PeakRSS int64
	Exit    int
	Errors  string
	// APIs are the calls each fake received in this cycle against the
	// fewest that learn this change.
	APIs []Platform
	// RowsWritten counts the rows the cycle inserted or updated (by their
	// xmin), Tables the same per table; Bookkeeping is the part in
	// job_runs and reconcile_state.
	RowsWritten, Bookkeeping int64
	Tables                   string
	Slack                    int
	// Jobs are the cycle's jobs with their time, slowest first.
	Jobs string
}

// steadyCycles are the cycles after the first sync.
var steadyCycles = []struct {
	name    string
	advance time.Duration
}{
	{"no new data", 0},
	{"15 minutes later", 15 * time.Minute},
	{"one day later", 24 * time.Hour},
}

// steady runs the steady-state cycles. The first sync's rows are first
// made to look an hour old, older than the first reconcile's watermark
// (as in a daemon that has been running: the rows came in cycles before
// the last reconcile, not within its lag), then each
// cycle advances the fakes' clock and data and runs the daemon at the
// fakes' now.
func (r *Result) steady(ctx context.Context, o Options, dir, dsn string, sb *sandbox.Sandbox, db *store.DB, b *configs.Brand, pgPID int) error {
	if err := age(ctx, db); err != nil {
		return err
	}
	for _, sc := range steadyCycles {
		change, err := sb.Advance(sc.advance, o.Seed)
		if err != nil {
			return err
		}
		f := CycleFigures{Name: sc.name, Advance: sc.advance, Change: change, PostgresCPU: -1}
		calls0, slack0 := sb.Calls(), len(sb.Slack.Messages())
		var xid int64
		if err := db.SQL().GetContext(ctx, &xid, `SELECT txid_current() & 4294967295`); err != nil {
			return fmt.Errorf("reading the transaction id: %w", err)
		}
		var lastRun int64
		if err := db.SQL().GetContext(ctx, &lastRun, `SELECT coalesce(max(id), 0) FROM job_runs`); err != nil {
			return fmt.Errorf("reading job_runs: %w", err)
		}
		now := sb.Now()
		checks, err := ReadJourneyChecks(ctx, db, b, jobs.DefaultOrderOverlap)
		if err != nil {
			return err
		}
		overlapped, err := Overlapped(ctx, db, b, jobs.DefaultOrderOverlap)
		if err != nil {
			return err
		}
		marks, err := ReadAdMarks(ctx, db, b)
		if err != nil {
			return err
		}
		d, err := runDaemon(ctx, o, dir, dsn, sb, now, pgPID)
		if err != nil {
			return err
		}
		due, err := checks.Due(ctx, db, lastRun)
		if err != nil {
			return err
		}
		f.Wall, f.DaemonCPU, f.PostgresCPU, f.PeakRSS, f.Exit, f.Errors = d.wall, d.cpu, d.pgCPU, d.peakRSS, d.exit, d.errors
		f.Slack = len(sb.Slack.Messages()) - slack0
		calls := sb.Calls()
		for k := range calls {
			calls[k] -= calls0[k]
		}
		if f.APIs, err = CycleMinimum(ctx, db, b, sb, change, overlapped, due, marks, calls); err != nil {
			return err
		}
		if err := f.written(ctx, db, xid); err != nil {
			return err
		}
		var jobs []string
		if err := db.SQL().SelectContext(ctx, &jobs, `SELECT job || ' ' || to_char(extract(epoch FROM finished_at - started_at), 'FM990.00') || ' s'
			FROM job_runs WHERE id > $1 ORDER BY finished_at - started_at DESC`, lastRun); err != nil {
			return fmt.Errorf("reading the cycle's job_runs: %w", err)
		}
		f.Jobs = strings.Join(jobs, ", ")
		r.Cycles = append(r.Cycles, f)
	}
	return nil
}

// age makes the source rows look an hour old and vacuums them.
func age(ctx context.Context, db *store.DB) error {
	for _, t := range []string{"orders", "ad_day_stats", "link_conversions", "ads", "permissions"} {
		if _, err := db.SQL().ExecContext(ctx, `UPDATE `+t+` SET changed_at = changed_at - interval '1 hour'`); err != nil {
			return fmt.Errorf("ageing %s: %w", t, err)
		}
		// The ageing left a dead copy of every row; a daemon that has been
		// running would have had them vacuumed.
		if _, err := db.SQL().ExecContext(ctx, `VACUUM ANALYZE `+t); err != nil {
			return fmt.Errorf("vacuuming %s: %w", t, err)
		}
	}
	return nil
}

// written counts the rows transactions from xid on inserted or updated,
// by their xmin (the bench's databases are fresh: far from wraparound).
func (f *CycleFigures) written(ctx context.Context, db *store.DB, xid int64) error {
	var tables []string
	if err := db.SQL().SelectContext(ctx, &tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`); err != nil {
		return fmt.Errorf("listing tables: %w", err)
	}
	var parts []string
	for _, t := range tables {
		var n int64
		if err := db.SQL().GetContext(ctx, &n, `SELECT count(*) FROM `+t+` WHERE xmin::text::bigint >= $1`, xid); err != nil {
			return fmt.Errorf("counting rows written to %s: %w", t, err)
		}
		if n == 0 {
			continue
		}
		f.RowsWritten += n
		if t == "job_runs" || t == "reconcile_state" {
			f.Bookkeeping += n
		}
		parts = append(parts, fmt.Sprintf("%s %d", t, n))
	}
	f.Tables = strings.Join(parts, ", ")
	return nil
}

// CycleMinimum pairs a cycle's calls with the fewest that learn its
// change, derived from the stored data and the page sizes: the ads and
// campaigns changed since the ads sync's marks before the cycle (marks,
// see AdMarks; all of them in the daily full list), each list by its
// count over its page size and at least one call, and outside a full list
// the changed ad sets (ad groups) and the ads of the changed campaigns
// and ad sets, which the sync reads again, every other list edge
// read once (permissions, eligible content, Spark posts — each by its
// count over its page size), the account once per
// platform, the start-up token check, the restatement window's rows once
// (Meta synchronously, 500 a page; TikTok in one range, 1,000 a page),
// one authorization per new Spark code (none after the first sync), and
// on Shopify the shop's changed orders (new orders and refunds) plus the
// orders the sync's overlap reads again on purpose (overlapped, see
// Overlapped; Shopify's counterpart of the restatement window) over the
// largest orders page, or a bulk export when that is fewer (bulkMinimum:
// start, poll, download, then the pages of the orders updated within the
// sync's overlap before the export began), plus the re-reads by id of the orders whose
// journey was not ready and whose re-read fell due during the cycle (due,
// see JourneyChecks.Due), at most shopify.MaxIDsPerQuery a query.
func CycleMinimum(ctx context.Context, db *store.DB, b *configs.Brand, sb *sandbox.Sandbox, ch sandbox.Change, overlapped, due int, marks AdMarks, calls map[string]int) ([]Platform, error) {
	c := sb.Campaign
	var metaPerms int
	lists := marks.lists(sb)
	for _, p := range c.Permissions {
		if p.Platform == ads.Meta {
			metaPerms++
		}
	}
	today := ads.DateOf(sb.Now(), b.Location)
	from := today.AddDays(-b.RestatementDays)
	window := map[string]int{}
	rows, err := db.SQL().QueryContext(ctx, `SELECT platform, count(*) FROM ad_day_stats WHERE day >= $1 GROUP BY platform`, from.String())
	if err != nil {
		return nil, fmt.Errorf("counting the restatement window's rows: %w", err)
	}
	for rows.Next() {
		var p string
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			rows.Close()
			return nil, err
		}
		window[p] = n
	}
	rows.Close()
	posts := len(c.SparkCodes) + len(c.Bound)
	changed := ch.Orders + ch.Refunds
	shop, shopHow := max(1, ceilDiv(changed+overlapped, shopify.MaxPageSize)), fmt.Sprintf("(%d changed orders + %d in the overlap)/%d", changed, overlapped, shopify.MaxPageSize)
	// An export's catch-up pages read the orders updated within the
	// overlap before it began, on the shop's clock: when the cycle's
	// order sync first called it.
	exportOverlap := 0
	for _, shop := range b.Shops() {
		at := sb.Now()
		if srv := sb.Shops.Shop(shop); srv != nil {
			if t, ok := OrderSyncStart(srv.Calls()); ok {
				at = t
			}
		}
		n, err := updatedSince(ctx, db, shop, at.Add(-jobs.DefaultOrderOverlap))
		if err != nil {
			return nil, err
		}
		exportOverlap += n
	}
	if bulk := bulkMinimum(exportOverlap); shop > bulk {
		shop, shopHow = bulk, fmt.Sprintf("bulk export for %d changed orders: start + poll + download + %d orders in the overlap before it/%d (paging would take %d)",
			changed, exportOverlap, shopify.MaxPageSize, shop)
	}
	if due > 0 {
		shop += ceilDiv(due, shopify.MaxIDsPerQuery)
		shopHow += fmt.Sprintf(" + %d due journey re-reads/%d", due, shopify.MaxIDsPerQuery)
	}
	metaMin := 1 + 1 + lists.meta.pages + max(1, ceilDiv(window["meta"], metaPage)) +
		max(1, ceilDiv(metaPerms, metaPage)) + max(1, ceilDiv(metaPerms, metaContentPage))
	ttMin := 1 + lists.tiktok.pages + max(1, ceilDiv(window["tiktok"], tiktokPage)) +
		max(1, ceilDiv(posts, tiktokSparkPage))
	return []Platform{
		{Name: "meta", Calls: calls["META"], Minimum: metaMin,
			How: fmt.Sprintf("token + account + %s + %d window rows/%d + permissions + media", lists.meta.how, window["meta"], metaPage)},
		{Name: "tiktok", Calls: calls["TIKTOK"], Minimum: ttMin,
			How: fmt.Sprintf("advertiser + %s + %d window rows/%d + %d posts/%d", lists.tiktok.how, window["tiktok"], tiktokPage, posts, tiktokSparkPage)},
		{Name: "shopify", Calls: calls["SHOPIFY"], Minimum: shop, How: shopHow},
	}, nil
}

// AdMarks are, before a cycle, the ads sync's marks (store.AdListMarks)
// of b's first Meta ad account and first TikTok advertiser, the accounts
// the sandbox simulates: CycleMinimum derives from them which ads and
// campaigns the cycle's lists had to read.
type AdMarks struct {
	meta, tiktok       store.AdListMarks
	metaAct, tiktokAdv string
}

// ReadAdMarks reads b's AdMarks before a cycle.
func ReadAdMarks(ctx context.Context, db *store.DB, b *configs.Brand) (AdMarks, error) {
	var m AdMarks
	var err error
	if len(b.Accounts.Meta) > 0 {
		m.metaAct = b.Accounts.Meta[0].AdAccount
		if m.meta, err = db.AdListMarks(ctx, ads.Meta, m.metaAct); err != nil {
			return m, err
		}
	}
	if len(b.Accounts.TikTok) > 0 {
		m.tiktokAdv = b.Accounts.TikTok[0].Advertiser
		if m.tiktok, err = db.AdListMarks(ctx, ads.TikTok, m.tiktokAdv); err != nil {
			return m, err
		}
	}
	return m, nil
}

// adLists are a cycle's fewest ads, campaigns and ad sets list calls on
// a platform, and how they were counted.
type adLists struct {
	pages int
	how   string
}

// listItem is an object of an ads sync's lists as the fakes hold it: its
// id, its parents (an ad's campaign and ad set, an ad set's campaign) and
// its updated_time / modify_time.
type listItem struct {
	id, campaign, adSet string
	at                  time.Time
}

// lists derives the fewest ads, campaigns and ad sets list calls of the
// cycle from the fakes' objects and the marks before it: with no full
// list yet, or jobs.FullAdListEvery after the last (on the fakes' clock,
// which the cycle's jobs' clock follows), every ad and campaign; otherwise
// those changed since the mark less jobs.DefaultAdOverlap (the second of
// that instant included, as the clients ask), the ad sets (ad groups)
// changed since the campaigns' mark (they share it), and every
// ad of the changed campaigns and of the changed ad sets outside them,
// which the sync reads again (at most maxIDs parents a call) — each list
// at least one call, to learn that nothing changed.
func (m AdMarks) lists(sb *sandbox.Sandbox) struct{ meta, tiktok adLists } {
	now := sb.Now()
	count := func(mk store.AdListMarks, page, maxIDs int, adsOf, camps, sets []listItem) adLists {
		full := mk.Full.IsZero() || !now.Before(mk.Full.Add(jobs.FullAdListEvery))
		changed := func(objs []listItem, mark time.Time) []listItem {
			if full || mark.IsZero() {
				return objs
			}
			from := mark.Add(-jobs.DefaultAdOverlap).Truncate(time.Second)
			var out []listItem
			for _, o := range objs {
				if !o.at.Before(from) {
					out = append(out, o)
				}
			}
			return out
		}
		a, c := changed(adsOf, mk.Ads), changed(camps, mk.Campaigns)
		if full {
			return adLists{pages: max(1, ceilDiv(len(a), page)) + max(1, ceilDiv(len(c), page)),
				how: fmt.Sprintf("all (a full list) %d ads/%d + %d campaigns/%d", len(a), page, len(c), page)}
		}
		ss := changed(sets, mk.Campaigns)
		byCamp, bySet := map[string]bool{}, map[string]bool{}
		for _, o := range c {
			byCamp[o.id] = true
		}
		for _, o := range ss {
			if !byCamp[o.campaign] {
				bySet[o.id] = true
			}
		}
		underCamps, underSets := 0, 0
		for _, o := range adsOf {
			switch {
			case byCamp[o.campaign]:
				underCamps++
			case bySet[o.adSet]:
				underSets++
			}
		}
		again := func(parents, n int) int {
			if parents == 0 {
				return 0
			}
			return max(ceilDiv(parents, maxIDs), ceilDiv(n, page))
		}
		return adLists{pages: max(1, ceilDiv(len(a), page)) + max(1, ceilDiv(len(c), page)) + max(1, ceilDiv(len(ss), page)) +
			again(len(byCamp), underCamps) + again(len(bySet), underSets),
			how: fmt.Sprintf("changed %d ads/%d + %d campaigns/%d + %d ad sets/%d + the %d ads of %d changed campaigns and %d of %d ad sets outside them",
				len(a), page, len(c), page, len(ss), page, underCamps, len(byCamp), underSets, len(bySet))}
	}
	var out struct{ meta, tiktok adLists }
	if m.metaAct != "" {
		var as, cs, ss []listItem
		for _, a := range sb.Meta.Ads(m.metaAct) {
			as = append(as, listItem{id: a.ID, campaign: a.CampaignID, adSet: a.AdSetID, at: a.UpdatedTime})
		}
		for _, c := range sb.Meta.Campaigns(m.metaAct) {
			cs = append(cs, listItem{id: c.ID, at: c.UpdatedTime})
		}
		for _, s := range sb.Meta.AdSets(m.metaAct) {
			ss = append(ss, listItem{id: s.ID, campaign: s.CampaignID, at: s.UpdatedTime})
		}
		out.meta = count(m.meta, metaPage, metaads.MaxParentIDs, as, cs, ss)
	}
	if m.tiktokAdv != "" {
		var as, cs, ss []listItem
		for _, a := range sb.TikTok.Ads(m.tiktokAdv) {
			as = append(as, listItem{id: a.ID, campaign: a.CampaignID, adSet: a.AdGroupID, at: a.ModifyTime})
		}
		for _, c := range sb.TikTok.Campaigns(m.tiktokAdv) {
			cs = append(cs, listItem{id: c.ID, at: c.ModifyTime})
		}
		for _, g := range sb.TikTok.AdGroups(m.tiktokAdv) {
			ss = append(ss, listItem{id: g.ID, campaign: g.CampaignID, at: g.ModifyTime})
		}
		out.tiktok = count(m.tiktok, tiktokPage, tiktokads.MaxParentIDs, as, cs, ss)
	}
	return out
}

// JourneyChecks are, before a cycle, the next re-reads by id of the
// orders of b's shops whose journey was not ready at their last read
// (store.DueJourneys lists those that are due), and each shop's first
// instant its next order sync pages again (its high-water mark less
// overlap): Due counts after the cycle those it had to make.
type JourneyChecks struct {
	checks []journeyCheck
	since  map[string]time.Time
}

type journeyCheck struct {
	Shop string    `db:"shop"`
	ID   string    `db:"order_id"`
	At   time.Time `db:"journey_check_at"`
}

// ReadJourneyChecks reads b's JourneyChecks before a cycle.
func ReadJourneyChecks(ctx context.Context, db *store.DB, b *configs.Brand, overlap time.Duration) (*JourneyChecks, error) {
	jc := &JourneyChecks{since: map[string]time.Time{}}
	for _, shop := range b.Shops() {
		mark, err := db.OrdersMark(ctx, shop)
		if err != nil {
			return nil, err
		}
		if !mark.IsZero() {
			jc.since[shop] = mark.Add(-overlap)
		}
		var cs []journeyCheck
		if err := db.SQL().SelectContext(ctx, &cs, `SELECT shop, order_id, journey_check_at FROM orders
			WHERE shop = $1 AND journey_pending AND journey_check_at < 'infinity'`, shop); err != nil {
			return nil, fmt.Errorf("reading shop %s's journey re-reads: %w", shop, err)
		}
		jc.checks = append(jc.checks, cs...)
	}
	return jc, nil
}

// Due counts the re-reads by id the cycle's order syncs had to make: the
// checks due at the instant each shop's sync listed them — the start of
// its last shopify.orders run after job run lastRun, on the daemon's
// clock, which starts at the cycle's now and runs on (the fakes' clock
// does not: a check a few milliseconds after the cycle's now is due to a
// sync that starts later) — less the orders the sync's pages read anyway
// (updated, after the cycle, at or after the first instant it paged: the
// overlap's orders and the changed ones).
func (jc *JourneyChecks) Due(ctx context.Context, db *store.DB, lastRun int64) (int, error) {
	var runs []struct {
		Shop string    `db:"scope"`
		At   time.Time `db:"at"`
	}
	if err := db.SQL().SelectContext(ctx, &runs, `SELECT scope, max(started_at) AS at FROM job_runs
		WHERE id > $1 AND job = 'shopify.orders' GROUP BY scope`, lastRun); err != nil {
		return 0, fmt.Errorf("reading the cycle's order syncs: %w", err)
	}
	listed := map[string]time.Time{}
	for _, r := range runs {
		listed[r.Shop] = r.At
	}
	due := map[string][]string{}
	for _, c := range jc.checks {
		if at, ok := listed[c.Shop]; ok && !c.At.After(at) {
			due[c.Shop] = append(due[c.Shop], c.ID)
		}
	}
	total := 0
	for shop, ids := range due {
		since, ok := jc.since[shop]
		if !ok {
			total += len(ids)
			continue
		}
		var n int
		if err := db.SQL().GetContext(ctx, &n, `SELECT count(*) FROM orders WHERE shop = $1 AND order_id = ANY($2) AND updated_at < $3`,
			shop, pq.StringArray(ids), since); err != nil {
			return 0, fmt.Errorf("counting shop %s's due journey re-reads: %w", shop, err)
		}
		total += n
	}
	return total, nil
}

// Overlapped counts the orders of b's shops updated within overlap before
// their shop's high-water mark: the next order sync reads them again on
// purpose (jobs.DefaultOrderOverlap).
func Overlapped(ctx context.Context, db *store.DB, b *configs.Brand, overlap time.Duration) (int, error) {
	total := 0
	for _, shop := range b.Shops() {
		mark, err := db.OrdersMark(ctx, shop)
		if err != nil || mark.IsZero() {
			return 0, err
		}
		var n int
		if err := db.SQL().GetContext(ctx, &n, `SELECT count(*) FROM orders WHERE shop = $1 AND updated_at >= $2`, shop, mark.Add(-overlap)); err != nil {
			return 0, fmt.Errorf("counting shop %s's orders in the overlap: %w", shop, err)
		}
		total += n
	}
	return total, nil
}

// updatedSince counts shop's orders updated at or after at.
func updatedSince(ctx context.Context, db *store.DB, shop string, at time.Time) (int, error) {
	var n int
	if err := db.SQL().GetContext(ctx, &n, `SELECT count(*) FROM orders WHERE shop = $1 AND updated_at >= $2`, shop, at); err != nil {
		return 0, fmt.Errorf("counting shop %s's orders updated since %s: %w", shop, at.Format(time.RFC3339), err)
	}
	return n, nil
}

// OrderSyncStart is when, on the shop fake's clock (which runs on, unlike
// the sandbox's Now), the last order sync among calls made its first
// call: the start of its export (bulk, polls, download) or else its first
// orders page, before its re-reads by id. The webhooks the fake sent are
// not calls of the sync.
func OrderSyncStart(calls []shopifyfake.Call) (time.Time, bool) {
	calls = slices.DeleteFunc(slices.Clone(calls), func(c shopifyfake.Call) bool { return strings.HasPrefix(c.Op, "webhook ") })
	i := len(calls) - 1
	for i >= 0 && calls[i].Op == "nodes" {
		i--
	}
	for i >= 0 && calls[i].Op == "orders" && calls[i].Variables["after"] != nil {
		i--
	}
	if i < 0 || calls[i].Op != "orders" {
		return time.Time{}, false
	}
	start := calls[i].At
	if i--; i < 0 || calls[i].Op != "bulk-download" {
		return start, true
	}
	for ; i >= 0 && (calls[i].Op == "bulk-download" || calls[i].Op == "bulk-poll"); i-- {
		start = calls[i].At
	}
	if i >= 0 && calls[i].Op == "bulk" {
		start = calls[i].At
	}
	return start, true
}

// postmasterPID is the PID in a private cluster's postmaster.pid (0 when
// dir is empty or unreadable).
func postmasterPID(dir string) int {
	if dir == "" {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return pid
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on
// Linux's supported architectures).
const clockTicks = 100

// pgCPU is the CPU time the cluster used so far: the postmaster's own and
// its exited children's (utime, stime, cutime, cstime) plus its live
// children's (utime, stime), from /proc.
func pgCPU(pid int) (time.Duration, bool) {
	if pid <= 0 {
		return 0, false
	}
	fields, ok := procStat(pid)
	if !ok {
		return 0, false
	}
	ticks := fields[13] + fields[14] + fields[15] + fields[16]
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if p, err := strconv.Atoi(e.Name()); err == nil {
			if f, ok := procStat(p); ok && int(f[3]) == pid {
				ticks += f[13] + f[14]
			}
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks, true
}

// procStat reads /proc/<pid>/stat as numbers, indexed as proc(5) numbers
// its fields less one (fields[3] is ppid, [13] utime, [14] stime, [15]
// cutime, [16] cstime); the name and state fields are zero.
func procStat(pid int) ([]int64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, false
	}
	rest := strings.Fields(s[i+1:])
	out := make([]int64, 2, 2+len(rest))
	for _, f := range rest {
		n, _ := strconv.ParseInt(f, 10, 64)
		out = append(out, n)
	}
	if len(out) < 17 {
		return nil, false
	}
	return out, true
}
