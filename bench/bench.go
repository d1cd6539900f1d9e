package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/pgcluster"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/store"
)

// Options configure a benchmark run. Zero fields take the large
// brand: 200 creators, 2,000 variants, 90 days, 1,000,000 orders.
type Options struct {
	Brand  Brand
	Days   int
	Orders int
	Seed   uint64
	// Runs is how many times the first sync is measured (default 1), each
	// against freshly seeded fakes and a fresh database; the table reports
	// the median wall time and the spread. The steady-state cycles run
	// after the last.
	Runs int
	// Quick skips the in-process figures (the full and one-day reconcile
	// timings and store.UpsertOrders against COPY), as the memory and
	// scale curves do: only the daemon's first sync and steady cycles are
	// measured.
	Quick bool
	// ServerURL is a PostgreSQL server URL (e.g. DATABASE_URL) on which
	// the benchmark creates and drops its own databases; empty starts a
	// private cluster from the local binaries.
	ServerURL string
	// Binary is the roasd executable run as `roasd run --once`; Exec,
	// when set, runs the daemon instead (tests, in process: no CPU or
	// RSS figures then).
	Binary string
	Exec   ExecFunc
	// Env is added to the daemon's environment (later keys win).
	Env []string
	// Log receives progress lines (nil: none).
	Log io.Writer
}

func (o *Options) defaults() {
	if o.Brand.Creators == 0 {
		o.Brand.Creators = 200
	}
	if o.Brand.Variants == 0 {
		o.Brand.Variants = 2000
	}
	if o.Days == 0 {
		o.Days = 90
	}
	if o.Orders == 0 {
		o.Orders = 1_000_000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Runs <= 0 {
		o.Runs = 1
	}
	if o.Brand.Start.IsZero() {
		// The campaign ends today, so the daemon's real clock (pinned to
		// the campaign's Now with ROASD_NOW) and the data agree.
		o.Brand.Start = ads.DateOf(time.Now(), time.UTC).AddDays(-o.Days)
	}
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, "· "+format+"\n", args...)
	}
}

// JobFigures are one job kind's totals in the full cycle, from job_runs.
type JobFigures struct {
	Job      string
	Runs     int
	Rows     int64
	APICalls int64
	Took     time.Duration
}

// Platform compares the calls a fake received with the fewest the page
// sizes allow for the data it served.
type Platform struct {
	Name    string
	Calls   int
	Minimum int
	// How explains the minimum.
	How string
}

// Result is what a run measured.
type Result struct {
	Options Options
	// Ads and DayStats are the campaign's sizes.
	Ads, DayStats, Orders int

	// CycleWall is the first sync's median wall time over FirstSyncs.
	CycleWall time.Duration
	// FirstSyncs are the first sync's runs, in order.
	FirstSyncs []RunFigures
	// CycleExit is the daemon's exit code and CycleErrors the tail of its
	// log when it was not 0 (some job failed; the rest still ran).
	CycleExit   int
	CycleErrors string
	// PeakRSS is the daemon's largest peak resident set size over the
	// first syncs, in bytes.
	PeakRSS int64
	Jobs    []JobFigures
	APIs    []Platform

	// IngestRows were written by store.UpsertOrders in IngestTook; the
	// same rows went into a scratch table with COPY in CopyTook.
	IngestRows int
	IngestTook time.Duration
	CopyTook   time.Duration
	// SyncRows and SyncTook are the shopify.orders job of the cycle
	// (a bulk export: HTTP, JSONL decoding and batched upserts).
	SyncRows int64
	SyncTook time.Duration

	// Cycles are the steady-state cycles run after the first sync: no new
	// data, 15 minutes later, one day later.
	Cycles []CycleFigures

	// Slack is what the first cycle sent to Slack.
	Slack SlackFigures

	FullReconcile    time.Duration
	FullRows         int64
	OneDayReconcile  time.Duration
	OneDayRows       int64
	ReconcileChanged ads.Date
}

// Run generates the brand, seeds the sandbox, runs one full cycle through
// the daemon binary and measures ingestion and reconcile in process.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	if o.Binary == "" && o.Exec == nil {
		return nil, errors.New("bench: Options.Binary (the roasd executable) is required")
	}
	res := &Result{Options: o}
	dir, err := os.MkdirTemp("", "roasd-bench-")
	if err != nil {
		return nil, fmt.Errorf("creating bench dir: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := WriteConfig(dir, o.Brand); err != nil {
		return nil, err
	}
	set, err := configs.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("loading the generated config: %w", err)
	}
	brand := set.Brands[0]

	o.logf("simulating %d creators, %d variants, %d days, %d orders…", o.Brand.Creators, o.Brand.Variants, o.Days, o.Orders)
	camp, err := sandbox.NewScaledCampaign(set, o.Seed, sandbox.Scale{Days: o.Days, Orders: o.Orders})
	if err != nil {
		return nil, err
	}
	res.Ads, res.DayStats, res.Orders = len(camp.Ads), len(camp.Stats), len(camp.Orders)

	server, pgDir := o.ServerURL, ""
	if server == "" {
		o.logf("starting a private PostgreSQL cluster…")
		c, err := pgcluster.Start(ctx)
		if err != nil {
			return nil, fmt.Errorf("starting PostgreSQL: %w", err)
		}
		defer c.Stop()
		server, pgDir = c.URL("postgres"), c.Dir
	}
	pgPID := postmasterPID(pgDir)

	// Each first sync runs against freshly seeded fakes and a fresh
	// database, so every run does the same work; the last one's are kept
	// for the steady-state cycles.
	var (
		sb        *sandbox.Sandbox
		cycleDSN  string
		dropCycle = func() {}
	)
	defer func() { dropCycle() }()
	for i := range o.Runs {
		if sb != nil {
			sb.Close()
			dropCycle()
			// The fakes hold a copy of every order: let the last run's go
			// before the next run's are built.
			sb = nil
			runtime.GC()
		}
		// The Shopify fake keeps its default cost bucket (a Plus shop's
		// 1,000 points/s): the first sync is a bulk export, which the
		// bucket does not slow down. The daemon posts unpaced to a fake
		// that does not hold it to Slack's rate: the bench measures roasd,
		// and SlackPaced says how long Slack's rate makes delivery take.
		if sb, err = sandbox.StartWith(camp, sandbox.Options{SlackUnpaced: true}); err != nil {
			return nil, err
		}
		if cycleDSN, dropCycle, err = createDB(ctx, server); err != nil {
			sb.Close()
			return nil, err
		}
		// Collect the generator's garbage and hand it back to the system
		// before the daemon runs, so this process neither collects it nor
		// holds it while the daemon is measured (at 4M orders the
		// campaign and the fakes' copy are some 6 GB live; serving the
		// cycle allocates far less than another GC cycle's worth).
		debug.FreeOSMemory()
		o.logf("first sync %d/%d: %s run --once…", i+1, o.Runs, o.Binary)
		d, err := runDaemon(ctx, o, dir, cycleDSN, sb, camp.Now, pgPID)
		if err != nil {
			sb.Close()
			return nil, err
		}
		res.FirstSyncs = append(res.FirstSyncs, RunFigures{Wall: d.wall, DaemonCPU: d.cpu, PostgresCPU: d.pgCPU, PeakRSS: d.peakRSS,
			Exit: d.exit, Errors: d.errors, APIs: apiFigures(sb, camp)})
	}
	defer sb.Close()
	res.firstSyncSummary()

	db, err := store.Open(ctx, cycleDSN)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := res.jobFigures(ctx, db); err != nil {
		return nil, err
	}
	res.APIs = apiFigures(sb, camp)
	res.Slack = CountSlack(sb.Slack.Calls(), sb.Slack.Messages(), 0)

	o.logf("steady state: a cycle with no new data, 15 minutes later, one day later…")
	if err := res.steady(ctx, o, dir, cycleDSN, sb, db, brand, pgPID); err != nil {
		return nil, err
	}
	if o.Quick {
		return res, nil
	}

	o.logf("reconciling: full rebuild and one changed day…")
	if err := res.reconcile(ctx, db, brand, camp); err != nil {
		return nil, err
	}

	ingestDSN, dropIngest, err := createDB(ctx, server)
	if err != nil {
		return nil, err
	}
	defer dropIngest()
	o.logf("ingesting %d orders with store.UpsertOrders and with COPY…", len(camp.Orders))
	if err := res.ingest(ctx, ingestDSN, camp.Orders); err != nil {
		return nil, err
	}
	return res, nil
}

// createDB creates a fresh migrated database on server and returns its
// URL and a function that drops it.
func createDB(ctx context.Context, server string) (string, func(), error) {
	admin, err := store.Open(ctx, server)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "roasd_bench_" + hex.EncodeToString(b)
	if _, err := admin.SQL().ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("creating database %s: %w", name, err)
	}
	u, err := url.Parse(server)
	if err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("parsing the server URL: %w", err)
	}
	u.Path = "/" + name
	dsn := u.String()
	drop := func() {
		admin.SQL().ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
		admin.Close()
	}
	if err := store.MigrateDSN(ctx, dsn); err != nil {
		drop()
		return "", nil, err
	}
	return dsn, drop, nil
}

// daemonRun is one `roasd run --once`.
type daemonRun struct {
	wall    time.Duration
	cpu     time.Duration
	pgCPU   time.Duration // -1: not measured (a server the bench did not start)
	peakRSS int64
	exit    int
	errors  string
}

// runDaemon runs `roasd run --once` with ROASD_NOW = now and records its
// wall time, CPU time (user + system, from its rusage), the PostgreSQL
// cluster's CPU time over the same span (pgPID its postmaster, 0 when
// unknown) and the daemon's peak RSS.
func runDaemon(ctx context.Context, o Options, dir, dsn string, sb *sandbox.Sandbox, now time.Time, pgPID int) (daemonRun, error) {
	d := daemonRun{pgCPU: -1}
	// As in production, the daemon receives Shopify's webhooks: the
	// shops deliver bulk_operations/finish to its public listener
	// (signed with the sandbox app's client secret), and its exports wait
	// for that instead of polling.
	listen, err := freeAddr()
	if err != nil {
		return d, err
	}
	if err := sb.SubscribeBulkFinish("http://"+listen+"/webhooks/shopify", sandbox.ShopifyClientSecret); err != nil {
		return d, err
	}
	pg0, pgOK := pgCPU(pgPID)
	args := []string{"run", "--once", "--config", dir, "--log-level", "warn", "--listen", listen, "--shopify-bulk-webhook"}
	// The single-brand figures measure roasd, not TikTok's app quota
	// (the sandbox's fake sets none): no pacing, as before pacing existed.
	env := append(append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "DATABASE_URL=" + dsn,
		"ROASD_NOW=" + now.Format(time.RFC3339Nano), "ROASD_TIKTOK_QPS=0", "ROASD_SLACK_POST_EVERY=0", "ROASD_SLACK_UPDATE_EVERY=0",
		"SHOPIFY_WEBHOOK_SECRET=" + sandbox.ShopifyClientSecret}, sb.Env()...), o.Env...)
	var stderr bytes.Buffer
	if o.Exec != nil {
		start := time.Now()
		d.cpu = -1
		d.exit = o.Exec(ctx, args, env, &stderr)
		d.wall = time.Since(start)
		if d.exit != 0 {
			d.errors = tail(stderr.String(), 10)
		}
		return d, nil
	}
	cmd := exec.CommandContext(ctx, o.Binary, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	err = cmd.Start()
	if err == nil {
		stop := make(chan struct{})
		peak := make(chan int64)
		go func() { peak <- watchPeakRSS(cmd.Process.Pid, stop) }()
		err = cmd.Wait()
		close(stop)
		d.peakRSS = <-peak
	}
	d.wall = time.Since(start)
	if pg1, ok := pgCPU(pgPID); ok && pgOK {
		d.pgCPU = pg1 - pg0
	}
	if cmd.ProcessState != nil {
		d.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		d.exit, d.errors = ee.ExitCode(), tail(stderr.String(), 10)
	case err != nil:
		return d, fmt.Errorf("running the cycle: %w\n%s", err, tail(stderr.String(), 30))
	}
	return d, nil
}

// freeAddr is a loopback address with a port free right now, for the
// daemon's public listener (the shops must know where to deliver before
// the daemon binds it).
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port for the daemon: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// watchPeakRSS reads the process's VmHWM (peak resident set) from
// /proc/<pid>/status every 20 ms until stop is closed and returns the last
// value read, in bytes. The rusage Maxrss of an exec'd child is no measure:
// Linux carries the parent's peak into the child's maxrss across the
// vfork+exec Go uses, so a daemon started by this (large) process would be
// charged this process's memory.
func watchPeakRSS(pid int, stop <-chan struct{}) int64 {
	var last int64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if kb, ok := vmHWM(pid); ok {
			last = kb * 1024
		}
		select {
		case <-stop:
			return last
		case <-tick.C:
		}
	}
}

// vmHWM is the VmHWM line of /proc/<pid>/status, in kB.
func vmHWM(pid int) (int64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (r *Result) jobFigures(ctx context.Context, db *store.DB) error {
	rows, err := db.SQL().QueryContext(ctx, `SELECT job, count(*), sum(rows), sum(api_calls),
		sum(extract(epoch FROM finished_at - started_at)) FROM job_runs GROUP BY job ORDER BY min(id)`)
	if err != nil {
		return fmt.Errorf("reading job_runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var j JobFigures
		var secs float64
		if err := rows.Scan(&j.Job, &j.Runs, &j.Rows, &j.APICalls, &secs); err != nil {
			return fmt.Errorf("reading job_runs: %w", err)
		}
		j.Took = time.Duration(secs * float64(time.Second))
		r.Jobs = append(r.Jobs, j)
		if j.Job == "shopify.orders" {
			r.SyncRows, r.SyncTook = j.Rows, j.Took
		}
	}
	return rows.Err()
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// apiFigures compares the fakes' call counts with the minimum the
// platforms' page sizes allow for the campaign's data, the export's
// overlap read on the shop fake's clock when the first sync began it.
func apiFigures(sb *sandbox.Sandbox, c *sandbox.Campaign) []Platform {
	at, _ := OrderSyncStart(sb.Shops.Calls())
	return MinimumCalls(c, sb.Calls(), at)
}

// Page sizes the minimum is derived from: the largest page each list
// edge serves.
const (
	metaPage        = 500 // Graph list edges and async insights results (metaads.DefaultPageSize)
	metaContentPage = 50  // partnership-ads-advertisable-content (metaads.ContentPageSize)
	tiktokPage      = 1000
	tiktokSparkPage = 50
	tiktokRangeDays = 30 // the longest date range one TikTok report call covers
)

// bulkMinimum is a Shopify bulk export's fewest calls
// (shopify.BulkExportCalls: start, one poll, the file) plus the pages of
// what its order sync reads after it: the overlapped orders, updated
// within jobs.DefaultOrderOverlap before the export began (at least one
// page, which also learns that nothing changed since).
func bulkMinimum(overlapped int) int {
	return shopify.BulkExportCalls + max(1, ceilDiv(overlapped, shopify.MaxPageSize))
}

// MinimumCalls derives, from the campaign's data and the platforms' page
// sizes, the fewest calls a first sync of c needs on each platform, and
// pairs each with calls[META|TIKTOK|SHOPIFY] (the fakes' counts):
//
//   - Meta: the token check, the ad account, campaigns/500, ads/500, one
//     async insights run (create and one poll; none for a range of at
//     most metaads.DefaultAsyncDays, read synchronously) and its rows/500, the
//     permission edge (creators/500) and the business's advertisable
//     content/50;
//   - TikTok: the advertiser, campaigns/1000, ads/1000, per report range
//     of at most 30 days its rows/1000 (at least one page), one
//     authorization per Spark code and the Spark post list/50;
//   - Shopify: the fewer of paging every order and a bulk export
//     (bulkMinimum: start, one poll, download, then the pages of the
//     orders updated within the sync's overlap before exportAt, when the
//     export began on the shop fake's clock, which runs on while the
//     campaign's now stands still (zero: the campaign's now);
//     a first sync has no order stored, so no journey re-read is due;
//     CycleMinimum counts those of a later cycle).
func MinimumCalls(c *sandbox.Campaign, calls map[string]int, exportAt time.Time) []Platform {
	var metaAds, ttAds, metaStats, ttStats, metaPerms int
	metaCamps, ttCamps := map[string]bool{}, map[string]bool{}
	for _, a := range c.Ads {
		if a.Platform == ads.Meta {
			metaAds++
			metaCamps[a.CampaignID] = true
		} else {
			ttAds++
			ttCamps[a.CampaignID] = true
		}
	}
	var first, last ads.Date
	for _, s := range c.Stats {
		if s.Platform == ads.Meta {
			metaStats++
			continue
		}
		ttStats++
		if first.IsZero() || s.Day.Before(first) {
			first = s.Day
		}
		if last.IsZero() || last.Before(s.Day) {
			last = s.Day
		}
	}
	// TikTok reports one range of at most 30 days per call: each range's
	// rows are paged on their own.
	ttRanges, ttReportPages := 0, 0
	if ttStats > 0 {
		perRange := map[int]int{}
		for _, s := range c.Stats {
			if s.Platform == ads.TikTok {
				perRange[s.Day.Sub(first)/tiktokRangeDays]++
			}
		}
		ttRanges = last.Sub(first)/tiktokRangeDays + 1
		for i := range ttRanges {
			ttReportPages += max(1, ceilDiv(perRange[i], tiktokPage))
		}
	}
	for _, p := range c.Permissions {
		if p.Platform == ads.Meta {
			metaPerms++
		}
	}
	codes := len(c.SparkCodes)
	posts := codes + len(c.Bound)
	// Meta answers a long insights range only through an async report
	// run (create, poll, then its rows); a short one synchronously.
	metaRun, metaRunHow := 0, "synchronously"
	if c.Days > metaads.DefaultAsyncDays {
		metaRun, metaRunHow = 2, "async run (create, poll) +"
	}
	metaMin := 1 + 1 + ceilDiv(len(metaCamps), metaPage) + ceilDiv(metaAds, metaPage) + metaRun + max(1, ceilDiv(metaStats, metaPage)) +
		max(1, ceilDiv(metaPerms, metaPage)) + max(1, ceilDiv(metaPerms, metaContentPage))
	ttMin := 1 + ceilDiv(len(ttCamps), tiktokPage) + ceilDiv(ttAds, tiktokPage) + ttReportPages + codes + max(1, ceilDiv(posts, tiktokSparkPage))
	// Shopify: the fewer of paging every order and a bulk export (start,
	// one poll, download, then the pages of what changed since it began
	// less the sync's overlap: the orders updated within
	// jobs.DefaultOrderOverlap before the export, read again on purpose).
	pages := max(1, ceilDiv(len(c.Orders), shopify.MaxPageSize))
	shopMin, shopHow := pages, fmt.Sprintf("%d orders/%d a page", len(c.Orders), shopify.MaxPageSize)
	if exportAt.IsZero() {
		exportAt = c.Now
	}
	overlapped := 0
	for _, o := range c.Orders {
		if !o.UpdatedAt.Before(exportAt.Add(-jobs.DefaultOrderOverlap)) {
			overlapped++
		}
	}
	if bulk := bulkMinimum(overlapped); pages > bulk {
		shopMin, shopHow = bulk, fmt.Sprintf("bulk export: start + poll + download + changes since (%d orders in the overlap/%d; paging would take %d pages of %d)", overlapped, shopify.MaxPageSize, pages, shopify.MaxPageSize)
	}
	return []Platform{
		{Name: "meta", Calls: calls["META"], Minimum: metaMin,
			How: fmt.Sprintf("token + account + %d campaigns/%d + %d ads/%d + %s %d rows/%d + %d permissions/%d + %d media/%d",
				len(metaCamps), metaPage, metaAds, metaPage, metaRunHow, metaStats, metaPage, metaPerms, metaPage, metaPerms, metaContentPage)},
		{Name: "tiktok", Calls: calls["TIKTOK"], Minimum: ttMin,
			How: fmt.Sprintf("advertiser + %d campaigns/%d + %d ads/%d + %d rows/%d in %d ranges of ≤%d days (%d pages) + %d codes + %d posts/%d",
				len(ttCamps), tiktokPage, ttAds, tiktokPage, ttStats, tiktokPage, ttRanges, tiktokRangeDays, ttReportPages, codes, posts, tiktokSparkPage)},
		{Name: "shopify", Calls: calls["SHOPIFY"], Minimum: shopMin, How: shopHow},
	}
}

// reconcile times a full rebuild, then a rebuild after one day changed.
// The cycle just wrote every source row, so first the rows are made to
// look an hour old (as they would be in a daemon that has been running):
// otherwise every day is "changed since the watermark".
func (r *Result) reconcile(ctx context.Context, db *store.DB, b *configs.Brand, c *sandbox.Campaign) error {
	if err := age(ctx, db); err != nil {
		return err
	}
	// This process holds the whole campaign (and the sandbox's copy of
	// it); collect first so the timings are the reconcile's, not a
	// collection of the harness's heap that a daemon would not have.
	runtime.GC()
	start := time.Now()
	n, err := reconcileBrand(ctx, db, b, c.Now, true)
	r.FullReconcile, r.FullRows = time.Since(start), n
	if err != nil {
		return fmt.Errorf("full reconcile: %w", err)
	}
	// One day changes: the platforms restate its stats and a few of its
	// orders get refunds.
	day := c.Today.AddDays(-3)
	r.ReconcileChanged = day
	var stats []ads.DayStat
	for _, s := range c.Stats {
		if s.Day == day {
			s.Conversions++
			s.ConversionValue += 52_400_000
			stats = append(stats, s)
		}
	}
	if _, err := db.UpsertDayStats(ctx, stats); err != nil {
		return err
	}
	var orders []ads.Order
	for _, o := range c.Orders {
		if ads.DateOf(o.CreatedAt, b.Location) == day && o.Net > 10_000_000 && len(orders) < 25 {
			o.UpdatedAt = c.Now.Add(time.Minute)
			o.Refunded += 10_000_000
			o.Net -= 10_000_000
			orders = append(orders, o)
		}
	}
	if _, err := db.UpsertOrders(ctx, orders); err != nil {
		return err
	}
	runtime.GC()
	start = time.Now()
	n, err = reconcileBrand(ctx, db, b, c.Now, false)
	r.OneDayReconcile, r.OneDayRows = time.Since(start), n
	if err != nil {
		return fmt.Errorf("one-day reconcile: %w", err)
	}
	return nil
}

// ingest writes the same orders through store.UpsertOrders and with a
// plain COPY into a scratch copy of the orders table.
func (r *Result) ingest(ctx context.Context, dsn string, orders []ads.Order) error {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	r.IngestRows = len(orders)
	const chunk = 50_000 // what one call is handed; the store batches 5,000 per statement
	start := time.Now()
	for lo := 0; lo < len(orders); lo += chunk {
		if _, err := db.UpsertOrders(ctx, orders[lo:min(lo+chunk, len(orders))]); err != nil {
			return err
		}
	}
	r.IngestTook = time.Since(start)
	took, err := copyOrders(ctx, db, orders)
	r.CopyTook = took
	return err
}

// SlackFigures are a cycle's messages and Slack Web API calls, and how
// long Slack's rates (notify.DefaultLimits: one post a second per channel,
// chat.update and history reads about 50 a minute) make their delivery.
type SlackFigures struct {
	Messages int
	// Calls counts Web API calls by method.
	Calls map[string]int
	Paced time.Duration
	// Tables, Replies, Digests and Other split Messages: checkpoint
	// tables, replies in a thread, daily and weekly digests, and the
	// other top-level messages (untagged ads, sync, token and version
	// warnings).
	Tables, Replies, Digests, Other int
	// TestsChanged counts the tests whose checkpoint table was posted or
	// edited in the cycle.
	TestsChanged int
}

// Goal is what issue 16 allows a cycle to post: one message per test
// with a change plus one digest per brand.
func (f SlackFigures) Goal() int { return f.TestsChanged + f.Digests }

// CountSlack measures a cycle from the Slack fake's calls made in it and
// its messages: messages[from:] were posted in the cycle, the earlier ones
// before it (an edit of one of those is a change, not a message).
func CountSlack(calls []slackfake.Call, messages []slackfake.Message, from int) SlackFigures {
	f := SlackFigures{Calls: map[string]int{}}
	posts := map[string]int{}    // by channel id
	changed := map[string]bool{} // brand:test
	for _, m := range messages[from:] {
		f.Messages++
		posts[m.Channel]++
		key := dedupKey(m)
		switch {
		case m.ThreadTS != "" && m.ThreadTS != m.TS:
			f.Replies++
		case strings.HasPrefix(key, "checkpoint:"):
			f.Tables++
			test, _ := checkpointTest(m)
			changed[test] = true
		case strings.HasPrefix(key, "digest:"), strings.HasPrefix(key, "weekly:"):
			f.Digests++
		default:
			f.Other++
		}
	}
	byTS := map[string]slackfake.Message{}
	for _, m := range messages {
		byTS[m.Channel+" "+m.TS] = m
	}
	var updates, reads int
	for _, c := range calls {
		f.Calls[c.Method]++
		switch c.Method {
		case "chat.update":
			updates++
			if m, ok := byTS[c.Params.Get("channel")+" "+c.Params.Get("ts")]; ok && c.Error == "" {
				if test, ok := checkpointTest(m); ok {
					changed[test] = true
				}
			}
		case "conversations.history", "conversations.replies":
			reads++
		}
	}
	f.TestsChanged = len(changed)
	// Channels are paced apart, updates and reads per workspace: the
	// slowest of them bounds the delivery.
	l := notify.DefaultLimits
	f.Paced = max(time.Duration(updates)*l.UpdateEvery, time.Duration(reads)*l.HistoryEvery)
	for _, n := range posts {
		f.Paced = max(f.Paced, time.Duration(n)*l.PostEvery)
	}
	return f
}

// RunFigures are one measured first sync: its wall time, the daemon's and
// the PostgreSQL cluster's CPU time (-1 when the server is not the
// bench's own), the daemon's peak RSS and the API calls against their
// minimum.
type RunFigures struct {
	Wall, DaemonCPU, PostgresCPU time.Duration
	PeakRSS                      int64
	Exit                         int
	Errors                       string
	APIs                         []Platform
}

// firstSyncSummary sets the headline first-sync figures from the runs:
// the median wall time, the largest peak RSS and the first failed run's
// exit code and log.
func (r *Result) firstSyncSummary() {
	walls := make([]time.Duration, 0, len(r.FirstSyncs))
	for _, f := range r.FirstSyncs {
		walls = append(walls, f.Wall)
		r.PeakRSS = max(r.PeakRSS, f.PeakRSS)
		if f.Exit != 0 && r.CycleExit == 0 {
			r.CycleExit, r.CycleErrors = f.Exit, f.Errors
		}
	}
	r.CycleWall, _, _ = Spread(walls)
}

// Spread is the median of ds and their smallest and largest value (the
// mean of the middle two for an even count; zeros for none).
func Spread(ds []time.Duration) (median, lo, hi time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	median = s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return median, s[0], s[n-1]
}

// ExecFunc runs `roasd args…` with the environment env (KEY=VALUE, later
// keys win) and returns its exit code, writing its log to stderr.
type ExecFunc func(ctx context.Context, args, env []string, stderr io.Writer) int

// dedupKey is the roasd dedup key in a message's metadata ("" for none).
func dedupKey(m slackfake.Message) string { return metadataKey(m.Metadata) }

func metadataKey(raw []byte) string {
	var md struct {
		EventPayload struct {
			DedupKey string `json:"dedup_key"`
		} `json:"event_payload"`
	}
	if json.Unmarshal(raw, &md) != nil {
		return ""
	}
	return md.EventPayload.DedupKey
}

// checkpointTest is the test of a checkpoint table message
// ("checkpoint:<brand>:<test>:<checkpoint>:<hash>").
func checkpointTest(m slackfake.Message) (string, bool) {
	parts := strings.Split(dedupKey(m), ":")
	if len(parts) < 4 || parts[0] != "checkpoint" {
		return "", false
	}
	return parts[1] + ":" + parts[2], true
}
