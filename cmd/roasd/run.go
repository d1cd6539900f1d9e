package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/web"
)

func init() {
	register(&command{
		name:    "run",
		usage:   "[--once] [--config DIR] [--listen ADDR] [--private-listen ADDR|off] [--schedule JOB=SPEC ...]",
		summary: "run the daemon (or every job once with --once)",
		help: `Loads the YAML configs, migrates DATABASE_URL, and runs the jobs on their
schedules: per account meta.permissions, meta.ads, meta.insights,
tiktok.spark, tiktok.ads, tiktok.insights, shopify.orders; per brand
reconcile, verdicts, notify.

HTTP: the public listener (--listen) serves only the webhooks
(/webhooks/shopify, HMAC-verified; /webhooks/links, bearer) and the report
API (/api/v1/*, bearer ROASD_API_TOKEN). The private listener
(--private-listen, loopback by default) serves /healthz, /readyz, /metrics
and the dashboard (log in with ROASD_API_TOKEN). With --private-listen off
everything is on --listen: the dashboard behind its login, /metrics behind
the bearer token. Webhook bodies are bounded (Shopify 1 MiB, links 1 MiB),
read at most --webhook-slots at a time (503 + Retry-After when full) and
must arrive within --body-timeout.

Config files are re-read when they change (and on SIGHUP); a broken file is
reported as file:line:col and the last good config stays in force.
SIGINT/SIGTERM stop the daemon: running jobs get a grace period, then are
cancelled and recorded as abandoned.

With --once, every job runs once and the exit code is non-zero if any job
failed: each account's syncs in order (accounts concurrently), then each
brand's reconcile, verdicts and notify. ROASD_NOW (RFC 3339) pins the jobs' clock, for replays.

With --shopify-bulk-webhook (ROASD_SHOPIFY_BULK_WEBHOOK=on) Shopify bulk
exports wait for the bulk_operations/finish webhook (subscribe the app to
it at /webhooks/shopify) and read the operation once, polling only as a
safety net (after 2 min, then 4, 8, every 10 min); with --once the public
listener then serves while the run lasts.

Environment: DATABASE_URL; META_ACCESS_TOKEN, META_APP_SECRET,
TIKTOK_ACCESS_TOKEN, SHOPIFY_ACCESS_TOKEN (or SHOPIFY_CLIENT_ID +
SHOPIFY_CLIENT_SECRET), SHOPIFY_WEBHOOK_SECRET,
SLACK_BOT_TOKEN, ROASD_API_TOKEN; META_API_URL, TIKTOK_API_URL,
SHOPIFY_API_URL, SLACK_API_URL override the platforms' base URLs ({shop}
in SHOPIFY_API_URL stands for each shop's domain, as the sandbox serves
several shops behind one URL).`,
		run: runRun,
	})
}

// runOptions are the flags of `roasd run`.
type runOptions struct {
	once   bool
	config string
	listen string
	// privateListen is the private listener's address; "" (flag value
	// "off") serves everything on listen.
	privateListen string
	// timeouts bound slow clients and idle connections on both listeners.
	timeouts web.Timeouts
	// guard bounds the public webhooks' bodies.
	guard     web.GuardOptions
	replica   string
	jitter    time.Duration
	grace     time.Duration
	reload    time.Duration
	schedules jobs.Schedules
	// now is the jobs' clock (nil: the real one); the demo runs on the
	// sandbox campaign's clock.
	now func() time.Time
	// logLevel is the minimum level logged to stderr.
	logLevel slog.Level
	// bulkWebhook says Shopify delivers bulk_operations/finish to this
	// daemon's /webhooks/shopify: exports wait for it instead of polling.
	bulkWebhook bool
}

type scheduleFlag jobs.Schedules

func (s scheduleFlag) String() string { return "" }

func (s scheduleFlag) Set(v string) error {
	name, spec, ok := strings.Cut(v, "=")
	if !ok {
		return errors.New("want JOB=SPEC, e.g. meta.insights=@every 30m")
	}
	if _, known := jobs.DefaultSchedules[name]; !known {
		return fmt.Errorf("unknown job %q", name)
	}
	if err := scheduler.ParseSpec(spec); err != nil {
		return err
	}
	s[name] = spec
	return nil
}

func parseRunFlags(env *cmdEnv, args []string) (runOptions, error) {
	fs := newFlags(env, "run")
	o := runOptions{schedules: jobs.Schedules{}}
	host, _ := os.Hostname()
	fs.BoolVar(&o.once, "once", false, "run every job once and exit (non-zero if any failed)")
	fs.StringVar(&o.config, "config", envOr(env, "ROASD_CONFIG", "configs/examples"), "config file or directory ($ROASD_CONFIG)")
	fs.StringVar(&o.listen, "listen", envOr(env, "ROASD_LISTEN", "127.0.0.1:8080"), "public HTTP listen address: webhooks and the bearer API ($ROASD_LISTEN)")
	fs.StringVar(&o.privateListen, "private-listen", envOr(env, "ROASD_PRIVATE_LISTEN", defaultPrivateListen),
		"private HTTP listen address: dashboard, /metrics, /healthz, /readyz; off serves them on --listen ($ROASD_PRIVATE_LISTEN)")
	addHTTPFlags(fs, &o)
	fs.StringVar(&o.replica, "replica", envOr(env, "ROASD_REPLICA", host), "replica name used for leases; stable across restarts so a restarted daemon takes its leases back at once; give each daemon on one host its own ($ROASD_REPLICA)")
	fs.DurationVar(&o.jitter, "jitter", 30*time.Second, "random delay before each scheduled run")
	fs.DurationVar(&o.grace, "grace", 20*time.Second, "how long running jobs may finish on shutdown")
	fs.DurationVar(&o.reload, "reload-interval", 2*time.Second, "how often config files are checked for changes (a change is applied once it has held still for one interval)")
	fs.Var(scheduleFlag(o.schedules), "schedule", "JOB=SPEC cron schedule override (repeatable)")
	fs.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "minimum log level: debug, info, warn or error")
	fs.BoolVar(&o.bulkWebhook, "shopify-bulk-webhook", envBool(env, "ROASD_SHOPIFY_BULK_WEBHOOK"),
		"Shopify delivers bulk_operations/finish to --listen's /webhooks/shopify: bulk exports wait for it instead of polling (with --once the public listener serves while the run lasts) ($ROASD_SHOPIFY_BULK_WEBHOOK)")
	if err := fs.Parse(args); err != nil {
		return o, errUsage
	}
	if o.privateListen == "off" {
		o.privateListen = ""
	}
	if o.privateListen != "" && o.privateListen == o.listen && !strings.HasSuffix(o.listen, ":0") {
		fmt.Fprintln(env.stderr, "roasd run: --private-listen must differ from --listen (or be off)")
		return o, errUsage
	}
	return o, nil
}

// defaultPrivateListen is the private listener's default address.
const defaultPrivateListen = "127.0.0.1:8081"

// addHTTPFlags adds the flags bounding slow clients and webhook bodies.
func addHTTPFlags(fs *flag.FlagSet, o *runOptions) {
	fs.DurationVar(&o.timeouts.Header, "header-timeout", web.DefaultHeaderTimeout, "how long a client may take to send a request's headers")
	fs.DurationVar(&o.timeouts.Idle, "idle-timeout", web.DefaultIdleTimeout, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&o.guard.BodyTimeout, "body-timeout", web.DefaultBodyTimeout, "how long a webhook sender may take to send the body")
	fs.IntVar(&o.guard.Slots, "webhook-slots", web.DefaultBodySlots, "webhook bodies read at once; more wait a second, then get 503 + Retry-After")
}

// envBool reads key as a boolean default: on, true, yes or 1.
func envBool(env *cmdEnv, key string) bool {
	switch strings.ToLower(strings.TrimSpace(env.getenv(key))) {
	case "on", "true", "yes", "1":
		return true
	}
	return false
}

func envOr(env *cmdEnv, key, def string) string {
	if v := env.getenv(key); v != "" {
		return v
	}
	return def
}

func runRun(ctx context.Context, env *cmdEnv, args []string) error {
	o, err := parseRunFlags(env, args)
	if err != nil {
		return err
	}
	if o.now, err = pinnedClock(env); err != nil {
		return err
	}
	dsn := env.getenv("DATABASE_URL")
	if dsn == "" {
		return errors.New("DATABASE_URL is not set (roasd demo starts a private database if you just want to try roasd)")
	}
	set, err := loadConfig(o.config)
	if err != nil {
		return err
	}
	d, err := newDaemon(ctx, env, dsn, o)
	if err != nil {
		return err
	}
	defer d.close()
	if o.once {
		return d.runOnce(ctx, set)
	}
	return d.serve(ctx, set)
}

// pinnedClock returns the clock ROASD_NOW pins (nil when unset): replays
// and tests start it at ROASD_NOW and it runs on from there.
func pinnedClock(env *cmdEnv) (func() time.Time, error) {
	v := env.getenv("ROASD_NOW")
	if v == "" {
		return nil, nil
	}
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, fmt.Errorf("ROASD_NOW: want an RFC 3339 time such as 2026-11-19T12:00:00-05:00: %w", err)
	}
	offset := time.Until(at)
	return func() time.Time { return time.Now().Add(offset) }, nil
}

// loadConfig loads path and renders problems as file:line:col lines.
func loadConfig(path string) (*configs.Set, error) {
	set, err := configs.Load(path)
	if err != nil {
		return nil, fmt.Errorf("loading config %s:\n%w", path, err)
	}
	return set, nil
}

// daemon is the wired process: database, clients, jobs, HTTP server.
type daemon struct {
	env     *cmdEnv
	opts    runOptions
	db      *store.DB
	log     *slog.Logger
	reg     *prometheus.Registry
	metrics *jobs.Metrics
	// guard bounds the public webhooks' bodies; rejected counts what it
	// refused.
	guard    *web.BodyGuard
	rejected *prometheus.CounterVec
	runner   *scheduler.Runner
	deps     *jobs.Deps
	// bulk hands bulk_operations/finish deliveries to the Shopify
	// clients (nil without --shopify-bulk-webhook).
	bulk *shopify.BulkFinishes
	// dsn is the database's URL (for the bulk finishes' listener).
	dsn string
	// incarnation tells this process from earlier ones of the same
	// replica name (outbox claims are "replica/incarnation").
	incarnation string
	// reportURL is the base the Slack messages link to.
	reportURL string
	// bg is the work started after an approval (decided); bgStop ends it
	// at shutdown.
	bg     sync.WaitGroup
	bgCtx  context.Context
	bgStop context.CancelFunc

	mu  sync.RWMutex
	set *configs.Set
	// serving receives the HTTP servers' base URLs once they are bound.
	serving chan listening
}

// listening are the bound listeners' base URLs (private "" when off).
type listening struct{ public, private string }

func newDaemon(ctx context.Context, env *cmdEnv, dsn string, o runOptions) (*daemon, error) {
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: o.logLevel}))
	if o.now == nil {
		// One clock for every component that reads "now": jobs, clients,
		// run history and dashboard.
		o.now = time.Now
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := jobs.NewMetrics(reg)
	m.Tokens.Now = o.now
	d := &daemon{env: env, opts: o, db: db, log: log, reg: reg, metrics: m, dsn: dsn}
	d.bgCtx, d.bgStop = context.WithCancel(context.Background())
	d.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roasd_http_rejected_total", Help: "Webhook requests refused before or while their body was read, by route and reason.",
	}, []string{"route", "reason"})
	reg.MustRegister(d.rejected)
	g := o.guard
	g.Rejected = func(route, reason string) { d.rejected.WithLabelValues(route, reason).Inc() }
	d.guard = web.NewBodyGuard(g)
	// The first-sync limit is the config's (daemon.first_sync_concurrency),
	// set with each config the daemon takes (useConfig).
	d.runner = &scheduler.Runner{Rec: db, Replica: o.replica, Log: log, Metrics: m.Metrics, Now: o.now,
		FirstSyncs: scheduler.NewSlots(configs.DefaultFirstSyncConcurrency)}
	// Slack alerts link to the dashboard, on the private listener unless
	// that is off.
	dash := o.privateListen
	if dash == "" {
		dash = o.listen
	}
	public := envOr(env, "ROASD_PUBLIC_URL", "http://"+dash)
	d.incarnation = newIncarnation()
	if o.bulkWebhook {
		d.bulk = shopify.NewBulkFinishes(nil)
	}
	deps, err := newDeps(env, db, log, m, public, o.replica+"/"+d.incarnation, o.now, d.bulk)
	if err != nil {
		db.Close()
		return nil, err
	}
	d.deps = deps
	d.reportURL = strings.TrimSuffix(public, "/") + "/"
	return d, nil
}

func (d *daemon) close() {
	d.bgStop()
	d.bg.Wait()
	d.db.Close()
}

// newIncarnation names this process among the processes that have run
// under the same replica name.
func newIncarnation() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// releaseDeadClaims takes back at once the Slack outbox claims that earlier
// processes of this replica left when they died, so their alerts go out in
// this run rather than after the claims' lease.
func (d *daemon) releaseDeadClaims(ctx context.Context) {
	n, err := d.db.ReleaseDeadClaims(ctx, d.opts.replica, d.incarnation)
	if err != nil {
		d.log.Warn("could not release outbox claims of an earlier process", "err", err)
	} else if n > 0 {
		d.log.Warn("released outbox claims of an earlier process of this replica", "alerts", n)
	}
}

// useConfig makes set the daemon's config, with its daemon settings: the
// first-sync limit applies from the next job that asks for a slot
// (running first syncs go on).
func (d *daemon) useConfig(set *configs.Set) {
	d.mu.Lock()
	d.set = set
	d.mu.Unlock()
	d.runner.FirstSyncs.SetLimit(set.Daemon.FirstSyncConcurrency)
}

func (d *daemon) config() *configs.Set {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.set
}

// adoptLinks gives link conversions stored before they had an owner brand
// the one brand their creator works with (reconcile.SoleCreatorBrands) and
// warns about those left unowned, which no brand counts.
func (d *daemon) adoptLinks(ctx context.Context, set *configs.Set) {
	adopted, left, err := d.db.AdoptLinkConversions(ctx, reconcile.SoleCreatorBrands(set))
	switch {
	case err != nil:
		d.log.Error("adopting link conversions without a brand", "err", err)
	case left > 0:
		d.log.Warn("link conversions without a brand are counted nowhere: their creator works for several brands or none; re-import them with their brand (roasd import links --brand B)",
			"adopted", adopted, "unowned", left)
	case adopted > 0:
		d.log.Info("link conversions given their creator's brand", "adopted", adopted)
	}
}

// runOnce executes every job once (each account's syncs in order, accounts
// concurrently, then the brand stages; see scheduler.RunOnce) and fails if
// any failed.
func (d *daemon) runOnce(ctx context.Context, set *configs.Set) error {
	if err := checkSecrets(d.env, set); err != nil {
		return err
	}
	d.useConfig(set)
	if err := d.checkBulkWebhook(); err != nil {
		return err
	}
	if d.bulk != nil {
		// The exports wait for bulk_operations/finish: receive it while
		// the run lasts, on the public listener only.
		srv, err := web.New(web.Options{Addr: d.opts.listen, Routes: d.routes(), Timeouts: d.opts.timeouts, Log: d.log})
		if err != nil {
			return err
		}
		go srv.Serve()
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
		}()
		defer d.listenBulk()()
	}
	d.releaseDeadClaims(ctx)
	d.adoptLinks(ctx, set)
	// Before the jobs, so a version alert is delivered by this run's notify.
	if err := d.checkVersions(ctx); err != nil {
		return err
	}
	var failed []string
	for _, f := range scheduler.RunOnce(ctx, jobs.Jobs(set, d.deps, d.opts.schedules), d.runner.Execute) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		failed = append(failed, fmt.Sprintf("  %s %s: %v", f.Job.Name, f.Job.Scope, f.Err))
	}
	// Alerts Slack did not take stay queued for the next run; a one-shot
	// run has not done its job until they are delivered.
	for _, b := range set.Brands {
		states, err := d.db.Alerts(ctx, b.Name)
		if err != nil {
			return err
		}
		undelivered, last := 0, ""
		for _, a := range states {
			if !a.Superseded && a.Status != store.AlertSent {
				undelivered, last = undelivered+1, a.LastError
			}
		}
		if undelivered > 0 {
			failed = append(failed, fmt.Sprintf("  notify brand:%s: %d Slack alert(s) not delivered yet (last error: %s); they stay queued and are retried", b.Name, undelivered, last))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(d.env.stderr, "roasd: %d job(s) failed:\n%s\n", len(failed), strings.Join(failed, "\n"))
		return exitError{code: 1}
	}
	return nil
}

// replicaEvery is how often a daemon renews its replica lease and
// re-divides the app quotas among the live replicas.
const replicaEvery = 30 * time.Second

// shareQuotas renews this replica's lease (3 × replicaEvery) and divides
// the TikTok app pacer's budget among the live replicas, so that together
// they stay under the app's quota.
func (d *daemon) shareQuotas(ctx context.Context) {
	if err := d.db.AcquireLease(ctx, store.ReplicaLeasePrefix+d.opts.replica, d.opts.replica, 3*replicaEvery); err != nil {
		d.log.Warn("renewing the replica lease", "err", err)
		return
	}
	n, err := d.db.LiveReplicas(ctx)
	if err != nil {
		d.log.Warn("counting live replicas", "err", err)
		return
	}
	if d.deps.TikTokPacer != nil {
		d.deps.TikTokPacer.SetReplicas(n)
	}
}

// serve runs the daemon until ctx is cancelled.
func (d *daemon) serve(ctx context.Context, set *configs.Set) error {
	if err := checkSecrets(d.env, set); err != nil {
		return err
	}
	if n, err := d.db.AbandonRuns(ctx, d.opts.replica, d.opts.now()); err == nil && n > 0 {
		d.log.Warn("marked runs of a previous process as abandoned", "runs", n)
	}
	d.releaseDeadClaims(ctx)
	d.adoptLinks(ctx, set)
	d.useConfig(set)
	if err := d.checkBulkWebhook(); err != nil {
		return err
	}
	defer d.listenBulk()()
	d.metrics.ConfigOK.Set(1)
	sched := scheduler.New(d.runner, d.opts.jitter)
	if err := sched.Set(jobs.Jobs(set, d.deps, d.opts.schedules)); err != nil {
		return err
	}
	servers, err := d.servers()
	if err != nil {
		return err
	}
	serveErr := make(chan error, len(servers))
	for _, srv := range servers {
		go func() { serveErr <- srv.Serve() }()
	}
	sched.Start()
	at := listening{public: servers[0].URL()}
	if len(servers) > 1 {
		at.private = servers[1].URL()
	}
	if d.serving != nil {
		d.serving <- at
	}
	d.log.Info("roasd running", "listen", at.public, "private", at.private, "brands", len(set.Brands), "replica", d.opts.replica)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	tick := time.NewTicker(d.opts.reload)
	defer tick.Stop()
	if err := d.checkVersions(ctx); err != nil {
		d.log.Error("checking API versions", "err", err)
	}
	versions := time.NewTicker(versionCheckEvery)
	defer versions.Stop()
	d.shareQuotas(ctx)
	// A stopped replica leaves the others its share at once.
	defer d.db.ReleaseLease(context.WithoutCancel(ctx), store.ReplicaLeasePrefix+d.opts.replica, d.opts.replica)
	replicas := time.NewTicker(replicaEvery)
	defer replicas.Stop()
	fp, pending := fingerprint(d.opts.config), ""
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-serveErr:
			runErr = fmt.Errorf("http server: %w", err)
			break loop
		case <-hup:
			d.reload(sched)
		case <-replicas.C:
			d.shareQuotas(ctx)
		case <-versions.C:
			if err := d.checkVersions(ctx); err != nil {
				d.log.Error("checking API versions", "err", err)
			}
		case <-tick.C:
			// A change is read once it has held still for a tick: an
			// editor (or os.WriteFile) truncates before it writes, and
			// an empty file in between is valid YAML.
			switch now := fingerprint(d.opts.config); {
			case now == fp:
				pending = ""
			case now == pending:
				fp, pending = now, ""
				d.reload(sched)
			default:
				pending = now
			}
		}
	}
	d.log.Info("shutting down", "grace", d.opts.grace)
	sched.Stop(d.opts.grace)
	d.bgStop()
	d.bg.Wait()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		srv.Shutdown(sctx)
	}
	return runErr
}

// servers binds the public listener and, unless it is off, the private
// one (in that order).
func (d *daemon) servers() ([]*web.Server, error) {
	metrics := promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{})
	public := web.Options{Addr: d.opts.listen, Routes: d.routes(), Timeouts: d.opts.timeouts, Log: d.log}
	if d.opts.privateListen == "" {
		// One listener: probes (which say nothing but ready or not),
		// metrics behind the bearer token, the dashboard behind its login.
		public.Probes, public.Ready = true, d.ready
		if token := d.env.getenv("ROASD_API_TOKEN"); token != "" {
			public.Metrics = web.RequireBearer(metrics, token)
		} else {
			d.log.Warn("ROASD_API_TOKEN is not set: /metrics is off on the public listener")
		}
		if h := d.dashboard(true); h != nil {
			public.Routes["/"] = h
		}
		d.privateAPI(public.Routes)
		srv, err := web.New(public)
		if err != nil {
			return nil, err
		}
		return []*web.Server{srv}, nil
	}
	pub, err := web.New(public)
	if err != nil {
		return nil, err
	}
	private := map[string]http.Handler{"/": d.dashboard(false)}
	d.privateAPI(private)
	priv, err := web.New(web.Options{Addr: d.opts.privateListen, Probes: true, Ready: d.ready, Details: d.readyDetails, Metrics: metrics,
		Routes: private, Timeouts: d.opts.timeouts, Log: d.log})
	if err != nil {
		pub.Close()
		return nil, err
	}
	return []*web.Server{pub, priv}, nil
}

// reload re-reads the config; on problems it keeps the last good config.
func (d *daemon) reload(sched *scheduler.Scheduler) {
	set, err := configs.Load(d.opts.config)
	if err == nil {
		err = checkSecrets(d.env, set)
	}
	if err != nil {
		d.metrics.ConfigOK.Set(0)
		d.log.Error("config reload failed; keeping the last good config", "path", d.opts.config, "problems", err.Error())
		return
	}
	if err := sched.Set(jobs.Jobs(set, d.deps, d.opts.schedules)); err != nil {
		d.metrics.ConfigOK.Set(0)
		d.log.Error("config reload failed; keeping the last good config", "err", err)
		return
	}
	d.useConfig(set)
	d.metrics.ConfigOK.Set(1)
	d.log.Info("config reloaded", "path", d.opts.config, "brands", len(set.Brands))
}

func (d *daemon) ready(ctx context.Context) error {
	if d.config() == nil {
		return errors.New("no config loaded")
	}
	return d.db.Ping(ctx)
}

// notJudged says why brand's tests are not being judged now (none: they
// are), for the dashboard.
func (d *daemon) notJudged(ctx context.Context, brand string) ([]string, error) {
	set := d.config()
	if set == nil {
		return nil, nil
	}
	for _, b := range set.Brands {
		if b.Name == brand {
			return d.deps.NotJudged(ctx, b)
		}
	}
	return nil, nil
}

// readyDetails are the platform tokens' validity and expiry as last read
// (no secrets), for /readyz.
func (d *daemon) readyDetails(ctx context.Context) []string {
	now := time.Now()
	if d.opts.now != nil {
		now = d.opts.now()
	}
	sts, err := jobs.TokenStatuses(ctx, d.db)
	if err != nil {
		return []string{"token expiry: " + err.Error()}
	}
	var out []string
	for _, st := range sts {
		d.metrics.Tokens.Set(st.Platform, st.ExpiresAt) // also on replicas that did not read it
		out = append(out, st.Describe(now))
	}
	if len(sts) == 0 && d.deps.Meta != nil {
		out = append(out, "meta token: expiry not read yet")
	}
	if set := d.config(); set != nil {
		for _, b := range set.Brands {
			why, err := d.deps.NotJudged(ctx, b)
			switch {
			case err != nil:
				out = append(out, fmt.Sprintf("brand %s: %v", b.Name, err))
			case len(why) > 0:
				out = append(out, fmt.Sprintf("brand %s not judged until its data is complete: %s", b.Name, strings.Join(why, ", ")))
			}
		}
	}
	if st, err := d.db.OutboxStats(ctx); err != nil {
		out = append(out, "slack outbox: "+err.Error())
	} else if st.Dead > 0 {
		out = append(out, fmt.Sprintf("slack: %d alert(s) given up on, Slack refused them (latest: %s); see roasd_alerts_dead_total", st.Dead, st.LastDead))
	}
	return out
}

// fingerprint summarises the names, sizes and mtimes of the config files.
func fingerprint(path string) string {
	var parts []string
	add := func(p string) {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			parts = append(parts, fmt.Sprintf("%s:%d:%d", p, st.Size(), st.ModTime().UnixNano()))
		}
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		entries, _ := os.ReadDir(path)
		for _, e := range entries {
			add(path + "/" + e.Name())
		}
	} else {
		add(path)
	}
	sort.Strings(parts)
	return strings.Join(parts, "|")
}

// versionCheckEvery is how often the daemon compares the pinned API
// versions with their end of life.
const versionCheckEvery = time.Hour

// checkVersions warns (log, metrics, one Slack alert per version) about
// pinned API versions near their end of life, on the jobs' clock.
func (d *daemon) checkVersions(ctx context.Context) error {
	return jobs.CheckVersions(ctx, d.db, d.config(), d.opts.now(), d.log, d.metrics)
}
