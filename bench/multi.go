package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lib/pq"
	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/pgcluster"
	"github.com/roasd/roasd/metaads/metafake"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// TikTokAppQPS is the TikTok app quota the multi-brand bench's fake
// enforces: the Basic tier's 10 requests a second, shared by every
// advertiser (tiktok-api.md §6). The daemon paces itself with its
// default ROASD_TIKTOK_QPS.
const TikTokAppQPS = 10

// multiZones are the brands' currencies and zones, in turn: minor units of
// 2, 0 (JPY, KRW) and 3 (KWD), zones on both sides of UTC and the date
// line, with and without daylight saving.
var multiZones = []struct{ currency, zone string }{
	{"USD", "America/New_York"}, {"EUR", "Europe/Berlin"}, {"JPY", "Asia/Tokyo"}, {"GBP", "Europe/London"},
	{"KWD", "Asia/Kuwait"}, {"AUD", "Australia/Sydney"}, {"CAD", "America/Vancouver"}, {"BRL", "America/Sao_Paulo"},
	{"INR", "Asia/Kolkata"}, {"SEK", "Europe/Stockholm"}, {"MXN", "America/Mexico_City"}, {"CHF", "Europe/Zurich"},
	{"SGD", "Asia/Singapore"}, {"KRW", "Asia/Seoul"}, {"NZD", "Pacific/Auckland"}, {"PLN", "Europe/Warsaw"},
	{"ZAR", "Africa/Johannesburg"}, {"AED", "Asia/Dubai"}, {"NOK", "Europe/Oslo"}, {"HKD", "Asia/Hong_Kong"},
}

// MultiOptions configure RunMulti. Zero fields take the issue's
// multi-brand row: 20 brands × 10 creators × 100 variants, 90 days,
// 20,000 orders a brand.
type MultiOptions struct {
	Brands, Creators, Variants, Days, Orders int
	Seed                                     uint64
	// ServerURL is a PostgreSQL server on which the bench creates its
	// database; empty starts a private cluster. DSN, when set, is a
	// fresh migrated database used as it is (tests).
	ServerURL, DSN string
	// Binary is the roasd executable; Exec, when set, runs the daemon
	// instead (tests run it in process: no CPU or RSS figures then).
	Binary string
	Exec   ExecFunc
	Log    io.Writer
}

func (o *MultiOptions) defaults() {
	if o.Brands <= 0 {
		o.Brands = 20
	}
	if o.Creators <= 0 {
		o.Creators = 10
	}
	if o.Variants <= 0 {
		o.Variants = 100
	}
	if o.Days <= 0 {
		o.Days = 90
	}
	if o.Orders <= 0 {
		o.Orders = 20_000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// BrandFigures are one brand's share of a multi-brand cycle.
type BrandFigures struct {
	Brand, Currency, Zone string
	Ads, Orders           int
	// LedgerRows and KPIRows are the brand's rows after the first sync;
	// SlackPosts the messages in its channel.
	LedgerRows, KPIRows, SlackPosts int
	// What leaked in from other brands (zero when the brands are kept
	// apart): the brand's KPI rows in another currency or of another
	// brand's creator, its ledger rows of an order from another shop, and
	// the posts in its channel that name another brand's creator.
	ForeignKPIs, ForeignLedger, ForeignPosts int
}

// QuotaErrors count the answers the fakes gave for exceeding a quota:
// TikTok's 40100 (the app's QPS), Meta's throttling errors (4, 17, 32,
// 613, 80000–80014) and Shopify's THROTTLED.
type QuotaErrors struct{ TikTok, Meta, Shopify int }

// Total is the sum of the three.
func (q QuotaErrors) Total() int { return q.TikTok + q.Meta + q.Shopify }

// MultiCycle is one `roasd run --once` over every brand.
type MultiCycle struct {
	Name                         string
	Wall, DaemonCPU, PostgresCPU time.Duration
	PeakRSS                      int64
	Exit                         int
	Errors                       string
	// Calls and Minimum are per platform (META, TIKTOK, SHOPIFY, SLACK;
	// no minimum for Slack).
	Calls, Minimum map[string]int
	Quota          QuotaErrors
	SlackPosts     int
}

// MultiResult is what RunMulti measured.
type MultiResult struct {
	Options MultiOptions
	Brands  []BrandFigures
	// First is the first sync of every brand; Quarter the cycle 15
	// minutes later.
	First, Quarter MultiCycle
	// FirstSyncConcurrency is the daemon's daemon.first_sync_concurrency
	// (the bench writes no daemon settings: the default), and
	// FirstSyncBrands the most brands whose first syncs (insights and
	// order syncs) ran at once in the first cycle, from the run history.
	FirstSyncConcurrency, FirstSyncBrands int
}

// MultiBrands are the brands RunMulti generates: brand01…, each with its
// own accounts, creators, currency and zone.
func MultiBrands(o MultiOptions) []Brand {
	o.defaults()
	start := ads.DateOf(time.Now(), time.UTC).AddDays(-o.Days)
	var out []Brand
	for k := 1; k <= o.Brands; k++ {
		z := multiZones[(k-1)%len(multiZones)]
		out = append(out, Brand{Name: fmt.Sprintf("brand%02d", k), Index: k, Creators: o.Creators, Variants: o.Variants,
			Start: start, Currency: z.currency, Timezone: z.zone})
	}
	return out
}

// RunMulti benchmarks several brands in one daemon: it writes their
// configuration, seeds one set of fakes with every brand's campaign (one
// Meta app, one TikTok app whose quota TikTokAppQPS every advertiser
// shares, every shop behind one Shopify base URL, one Slack workspace),
// runs the first sync and a cycle 15 minutes later, and reports their
// time, API calls, quota errors and each brand's rows and Slack posts.
func RunMulti(ctx context.Context, o MultiOptions) (*MultiResult, error) {
	o.defaults()
	if o.Binary == "" && o.Exec == nil {
		return nil, errors.New("bench: MultiOptions.Binary (the roasd executable) is required")
	}
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, "· "+format+"\n", args...)
		}
	}
	res := &MultiResult{Options: o}
	dir, err := os.MkdirTemp("", "roasd-bench-multi-")
	if err != nil {
		return nil, fmt.Errorf("creating bench dir: %w", err)
	}
	defer os.RemoveAll(dir)
	for _, b := range MultiBrands(o) {
		if err := WriteConfig(dir, b); err != nil {
			return nil, err
		}
	}
	set, err := configs.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("loading the generated config: %w", err)
	}
	res.FirstSyncConcurrency = set.Daemon.FirstSyncConcurrency
	logf("simulating %d brands × %d creators × %d variants, %d days, %d orders each…", o.Brands, o.Creators, o.Variants, o.Days, o.Orders)
	camps, err := sandbox.NewScaledCampaigns(set, o.Seed, sandbox.Scale{Days: o.Days, Orders: o.Orders})
	if err != nil {
		return nil, err
	}
	sb, err := sandbox.StartAll(camps, sandbox.Options{SlackUnpaced: true, TikTokAppQPS: TikTokAppQPS})
	if err != nil {
		return nil, err
	}
	defer sb.Close()

	dsn, pgPID := o.DSN, 0
	if dsn == "" {
		server, pgDir := o.ServerURL, ""
		if server == "" {
			logf("starting a private PostgreSQL cluster…")
			c, err := pgcluster.Start(ctx)
			if err != nil {
				return nil, fmt.Errorf("starting PostgreSQL: %w", err)
			}
			defer c.Stop()
			server, pgDir = c.URL("postgres"), c.Dir
		}
		pgPID = postmasterPID(pgDir)
		var drop func()
		if dsn, drop, err = createDB(ctx, server); err != nil {
			return nil, err
		}
		defer drop()
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()

	runtime.GC()
	logf("first sync of %d brands: run --once…", o.Brands)
	if res.First, err = multiCycle(ctx, o, dir, dsn, sb, pgPID, "first sync", minimumFirst(camps)); err != nil {
		return nil, err
	}
	if err := res.brandFigures(ctx, db, sb, camps); err != nil {
		return nil, err
	}
	if res.FirstSyncBrands, err = firstSyncBrands(ctx, db, set); err != nil {
		return nil, err
	}
	if err := age(ctx, db); err != nil {
		return nil, err
	}
	if _, err := sb.AdvanceAll(15*time.Minute, o.Seed); err != nil {
		return nil, err
	}
	logf("15 minutes later: run --once…")
	if res.Quarter, err = multiCycle(ctx, o, dir, dsn, sb, pgPID, "15 minutes later", nil); err != nil {
		return nil, err
	}
	return res, nil
}

// minimumFirst sums each brand's first-sync minimum (MinimumCalls) per
// platform; the Meta token is checked once for all brands.
func minimumFirst(camps []*sandbox.Campaign) map[string]int {
	out := map[string]int{}
	for _, c := range camps {
		for _, p := range MinimumCalls(c, nil, time.Time{}) {
			out[strings.ToUpper(p.Name)] += p.Minimum
		}
	}
	if len(camps) > 1 {
		out["META"] -= len(camps) - 1
	}
	return out
}

// multiCycle runs the daemon once and counts what the fakes saw during
// it.
func multiCycle(ctx context.Context, o MultiOptions, dir, dsn string, sb *sandbox.Sandbox, pgPID int, name string, minimum map[string]int) (MultiCycle, error) {
	calls0, q0, slack0 := sb.Calls(), quotaErrors(sb), len(sb.Slack.Messages())
	ro := Options{Binary: o.Binary, Exec: o.Exec,
		// The app quota is the fake's; the daemon paces TikTok with its
		// default budget, as in production.
		Env: []string{"ROASD_TIKTOK_QPS=8"}}
	d, err := runDaemon(ctx, ro, dir, dsn, sb, sb.Now(), pgPID)
	if err != nil {
		return MultiCycle{}, err
	}
	f := MultiCycle{Name: name, Wall: d.wall, DaemonCPU: d.cpu, PostgresCPU: d.pgCPU, PeakRSS: d.peakRSS, Exit: d.exit, Errors: d.errors,
		Calls: sb.Calls(), Minimum: minimum, SlackPosts: len(sb.Slack.Messages()) - slack0}
	for k := range f.Calls {
		f.Calls[k] -= calls0[k]
	}
	q := quotaErrors(sb)
	f.Quota = QuotaErrors{TikTok: q.TikTok - q0.TikTok, Meta: q.Meta - q0.Meta, Shopify: q.Shopify - q0.Shopify}
	return f, nil
}

// firstSyncBrands is the most brands of set whose first syncs — the
// insights and order syncs, every run of which is a first sync before a
// second cycle — ran at the same time, from their runs' start and finish
// (the jobs' clock runs in real time from ROASD_NOW).
func firstSyncBrands(ctx context.Context, db *store.DB, set *configs.Set) (int, error) {
	brandOf := map[string]string{}
	for _, b := range set.Brands {
		for _, a := range append(append(b.AdAccounts(ads.Meta), b.AdAccounts(ads.TikTok)...), b.Shops()...) {
			brandOf[a] = b.Name
		}
	}
	var runs []struct {
		Scope  string    `db:"scope"`
		Start  time.Time `db:"started_at"`
		Finish time.Time `db:"finished_at"`
	}
	if err := db.SQL().SelectContext(ctx, &runs, `SELECT scope, started_at, COALESCE(finished_at, started_at) AS finished_at
		FROM job_runs WHERE job IN ('meta.insights', 'tiktok.insights', 'shopify.orders')`); err != nil {
		return 0, fmt.Errorf("reading the first syncs' runs: %w", err)
	}
	type event struct {
		at    time.Time
		brand string
		delta int
	}
	var events []event
	for _, r := range runs {
		events = append(events, event{r.Start, brandOf[r.Scope], 1}, event{r.Finish, brandOf[r.Scope], -1})
	}
	// At the same instant a run that ends goes before one that starts.
	sort.Slice(events, func(i, j int) bool {
		if !events[i].at.Equal(events[j].at) {
			return events[i].at.Before(events[j].at)
		}
		return events[i].delta < events[j].delta
	})
	in, most := map[string]int{}, 0
	for _, e := range events {
		if in[e.brand] += e.delta; in[e.brand] == 0 {
			delete(in, e.brand)
		}
		most = max(most, len(in))
	}
	return most, nil
}

// quotaErrors counts the quota answers the fakes gave so far.
func quotaErrors(sb *sandbox.Sandbox) QuotaErrors {
	var q QuotaErrors
	for _, c := range sb.TikTok.Calls() {
		if c.Code == tiktokfake.CodeRateLimited {
			q.TikTok++
		}
	}
	for _, c := range sb.Meta.Calls() {
		if metafake.IsThrottle(c.Code) {
			q.Meta++
		}
	}
	for _, c := range sb.Shops.Calls() {
		if c.Throttled {
			q.Shopify++
		}
	}
	return q
}

// brandFigures reads each brand's rows and Slack posts.
func (r *MultiResult) brandFigures(ctx context.Context, db *store.DB, sb *sandbox.Sandbox, camps []*sandbox.Campaign) error {
	posts := map[string]int{}
	for _, m := range sb.Slack.Messages() {
		posts[m.Channel]++
	}
	// Every brand's creators are b<NN>cr…: a brand's rows and posts name
	// only its own.
	prefix := map[string]string{}
	for _, b := range MultiBrands(r.Options) {
		prefix[b.name()] = b.handle(0)[:len("b00cr")]
	}
	for _, c := range camps {
		b := c.Brand
		f := BrandFigures{Brand: b.Name, Currency: b.Currency, Zone: b.Timezone, Ads: len(c.Ads), Orders: len(c.Orders)}
		if err := db.SQL().GetContext(ctx, &f.ForeignKPIs, `SELECT count(*) FROM kpi_daily
			WHERE brand = $1 AND (currency <> $2 OR (creator NOT IN ('', '(unattributed)') AND creator NOT LIKE $3 || '%'))`,
			b.Name, b.Currency, prefix[b.Name]); err != nil {
			return fmt.Errorf("checking brand %s's KPIs for other brands': %w", b.Name, err)
		}
		if err := db.SQL().GetContext(ctx, &f.ForeignLedger, `SELECT count(*) FROM ledger l WHERE brand = $1 AND source = 'order'
			AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.shop = ANY($2::text[]) AND o.order_id = l.source_id)`,
			b.Name, pq.Array(b.Shops())); err != nil {
			return fmt.Errorf("checking brand %s's ledger for other shops' orders: %w", b.Name, err)
		}
		channel := sb.Slack.AddChannel(b.Slack.Channel)
		for _, m := range sb.Slack.Messages() {
			if m.Channel != channel {
				continue
			}
			for other, p := range prefix {
				if other != b.Name && (strings.Contains(m.Text, p) || strings.Contains(string(m.Blocks), p)) {
					f.ForeignPosts++
					break
				}
			}
		}
		if err := db.SQL().GetContext(ctx, &f.LedgerRows, `SELECT count(*) FROM ledger WHERE brand = $1`, b.Name); err != nil {
			return fmt.Errorf("counting brand %s's ledger: %w", b.Name, err)
		}
		if err := db.SQL().GetContext(ctx, &f.KPIRows, `SELECT count(*) FROM kpi_daily WHERE brand = $1`, b.Name); err != nil {
			return fmt.Errorf("counting brand %s's KPIs: %w", b.Name, err)
		}
		f.SlackPosts = posts[channel]
		r.Brands = append(r.Brands, f)
	}
	sort.Slice(r.Brands, func(i, j int) bool { return r.Brands[i].Brand < r.Brands[j].Brand })
	return nil
}

// WriteTable prints the multi-brand row: each cycle's time, API calls
// against the minimum and quota errors, then each brand's share.
func (r *MultiResult) WriteTable(w io.Writer) {
	o := r.Options
	fmt.Fprintf(w, "roasd bench --brands — %d brands × %d creators × %d variants, %d days, %d orders each; one TikTok app (quota %d QPS, daemon paced at 8), one Meta app, every shop behind one Shopify URL\n\n",
		o.Brands, o.Creators, o.Variants, o.Days, o.Orders, TikTokAppQPS)
	fmt.Fprintf(w, "first syncs: daemon.first_sync_concurrency %d (the default is %d); at most %d brands' first syncs ran at once\n\n",
		r.FirstSyncConcurrency, configs.DefaultFirstSyncConcurrency, r.FirstSyncBrands)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "cycle\twall\tdaemon CPU\tPostgres CPU\tpeak RSS\tmeta calls/min\ttiktok calls/min\tshopify calls/min\tslack calls\tquota errors (tiktok 40100/meta throttle/shopify THROTTLED)\tSlack posts\texit")
	for _, c := range []MultiCycle{r.First, r.Quarter} {
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%d MB", c.Name, secs(c.Wall), cpu(c.DaemonCPU), cpu(c.PostgresCPU), c.PeakRSS>>20)
		for _, p := range []string{"META", "TIKTOK", "SHOPIFY"} {
			if m, ok := c.Minimum[p]; ok {
				row += fmt.Sprintf("\t%d/%d", c.Calls[p], m)
			} else {
				row += fmt.Sprintf("\t%d", c.Calls[p])
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d (%d/%d/%d)\t%d\t%d\n", row, c.Calls["SLACK"], c.Quota.Total(), c.Quota.TikTok, c.Quota.Meta, c.Quota.Shopify, c.SlackPosts, c.Exit)
	}
	tw.Flush()
	for _, c := range []MultiCycle{r.First, r.Quarter} {
		if c.Exit != 0 {
			fmt.Fprintf(w, "WARNING: %s exited %d: %s\n", c.Name, c.Exit, c.Errors)
		}
	}
	fmt.Fprintln(w, "\nBy brand (after the first sync)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "brand\tcurrency\tzone\tads\torders\tledger rows\tkpi rows\tSlack posts\tother brands' rows/posts")
	for _, b := range r.Brands {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", b.Brand, b.Currency, b.Zone, b.Ads, b.Orders, b.LedgerRows, b.KPIRows, b.SlackPosts, b.Foreign())
	}
	tw.Flush()
}

// Foreign is the sum of what leaked in from other brands.
func (b BrandFigures) Foreign() int { return b.ForeignKPIs + b.ForeignLedger + b.ForeignPosts }
