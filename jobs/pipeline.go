package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/tiktokads"
)

// Deps are what the jobs work with. A nil client disables that
// platform's jobs.
type Deps struct {
	DB      *store.DB
	Meta    *metaads.Client
	TikTok  *tiktokads.Client
	Shopify func(shop string) *shopify.Client
	// MetaWrite and TikTokWrite, when set, make the platform actions'
	// writes (pause, budget): clients built without retries, since a write
	// whose answer was lost is read back rather than sent again (and
	// every send counts against Meta's budget-change limit). Nil uses
	// Meta and TikTok.
	MetaWrite   *metaads.Client
	TikTokWrite *tiktokads.Client
	// TikTokPacer, when set, paces the TikTok clients' requests (the
	// app-wide quota); the daemon divides it among the live replicas.
	TikTokPacer *scheduler.AppPacer
	Log         *slog.Logger
	// Metrics, when set, receives the platform tokens' expiry.
	Metrics *Metrics
	// Stages run once per brand after the syncs, in order (reconcile,
	// verdicts, digest, notify); see BrandStages.
	Stages []Stage
	// OrderOverlap is how far before the last high-water mark each order
	// sync starts again (default DefaultOrderOverlap), so late writes are
	// not missed.
	OrderOverlap time.Duration
	// BackfillDays is how far back the first order sync reaches before the
	// brand's earliest test (default 30).
	BackfillDays int
	// BulkAfter is how far behind the job's clock an order sync's
	// high-water mark must be for it to export the orders with a Shopify
	// bulk operation instead of paging; a first sync always does. Zero
	// means the default (24h); a negative value never uses bulk (every
	// sync pages).
	BulkAfter time.Duration
}

// Stage is a per-brand job step after the syncs.
type Stage struct {
	Name string
	Run  func(ctx context.Context, brand *configs.Brand, r *scheduler.Run) error
}

// Schedules holds the cron spec of each job kind.
type Schedules map[string]string

// DefaultSchedules are the job schedules unless configured otherwise.
var DefaultSchedules = Schedules{
	"meta.permissions": "@every 6h",
	"meta.ads":         "@every 1h",
	"meta.insights":    "@every 30m",
	JobMetaToken:       "@every 24h",
	"tiktok.spark":     "@every 6h",
	"tiktok.ads":       "@every 1h",
	"tiktok.insights":  "@every 30m",
	"shopify.orders":   "@every 10m",
	"reconcile":        "@every 15m",
	"verdicts":         "@every 1h",
	StageDigest:        "@every 15m",
	"notify":           "@every 1m",
}

// Jobs builds every job of every brand in set, in the order `run --once`
// executes them: account syncs first, then the brand stages.
func Jobs(set *configs.Set, d *Deps, sched Schedules) []scheduler.Job {
	spec := func(name string) string {
		if s, ok := sched[name]; ok && s != "" {
			return s
		}
		return DefaultSchedules[name]
	}
	var syncs, stages []scheduler.Job
	for _, b := range set.Brands {
		b := b
		for _, j := range d.syncJobs(b) {
			j.Spec = spec(j.Name)
			j.Brands = []string{b.Name} // a failure holds this brand's verdicts
			syncs = append(syncs, j)
		}
		for _, j := range d.tokenJobs(b) { // holds no verdicts back: no Brands
			j.Spec = spec(j.Name)
			syncs = append(syncs, j)
		}
		for _, st := range d.Stages {
			st := st
			stages = append(stages, scheduler.Job{Name: st.Name, Scope: "brand:" + b.Name, Spec: spec(st.Name), Brands: []string{b.Name},
				Gated: st.Name == StageVerdicts, Run: func(ctx context.Context, r *scheduler.Run) error { return st.Run(ctx, b, r) }})
		}
	}
	return append(syncs, stages...)
}

// syncKeys lists the brand's per-account sync jobs (name and scope) from
// its config and the clients configured, without building them: the
// verdict gate and the digest need only their names. Every account of the
// brand is synced by its own jobs (scoped by the account id or shop): one
// failing holds the brand's verdicts back, naming that account.
func (d *Deps) syncKeys(b *configs.Brand) []store.RunKey {
	var out []store.RunKey
	if d.Meta != nil {
		for _, m := range b.Accounts.Meta {
			for _, name := range []string{"meta.permissions", "meta.ads", "meta.insights"} {
				out = append(out, store.RunKey{Job: name, Scope: m.AdAccount})
			}
		}
	}
	if d.TikTok != nil {
		for _, t := range b.Accounts.TikTok {
			for _, name := range []string{"tiktok.spark", "tiktok.ads", "tiktok.insights"} {
				out = append(out, store.RunKey{Job: name, Scope: t.Advertiser})
			}
		}
	}
	if d.Shopify != nil {
		for _, s := range b.Accounts.Shopify {
			out = append(out, store.RunKey{Job: "shopify.orders", Scope: s.Shop})
		}
	}
	return out
}

// gateKeys are the jobs whose runs gate the brand's verdicts: its syncs
// and its reconcile.
func (d *Deps) gateKeys(b *configs.Brand) []store.RunKey {
	return append(d.syncKeys(b), store.RunKey{Job: StageReconcile, Scope: "brand:" + b.Name})
}

// syncJobs are the brand's per-account sync jobs (without schedules), in
// the order of syncKeys.
func (d *Deps) syncJobs(b *configs.Brand) []scheduler.Job {
	keys := d.syncKeys(b)
	out := make([]scheduler.Job, len(keys))
	for i, k := range keys {
		out[i] = scheduler.Job{Name: k.Job, Scope: k.Scope, Run: d.syncRun(b, k), FirstSync: d.firstSync(b, k)}
	}
	return out
}

// firstSync is the Job.FirstSync of the brand's sync job k: an insights
// or order sync is a first sync — the full backfill (Shopify's bulk
// export, the insights since the earliest test) — while its cursor is
// empty and the brand has a test to backfill for (on the platform, or any
// for orders). The other syncs keep no cursor (every run lists the same):
// nil, never a first sync.
func (d *Deps) firstSync(b *configs.Brand, k store.RunKey) func(context.Context) (bool, error) {
	var platform ads.Platform
	switch k.Job {
	case "meta.insights":
		platform = ads.Meta
	case "tiktok.insights":
		platform = ads.TikTok
	case "shopify.orders":
		return func(ctx context.Context) (bool, error) {
			if _, ok := earliestStart(b, ""); !ok {
				return false, nil
			}
			mark, err := d.DB.OrdersMark(ctx, k.Scope)
			return mark.IsZero(), err
		}
	default:
		return nil
	}
	return func(ctx context.Context) (bool, error) {
		if _, ok := earliestStart(b, platform); !ok {
			return false, nil
		}
		_, pulled, err := d.DB.InsightsPulled(ctx, platform, k.Scope)
		return !pulled, err
	}
}

// syncRun is the work of one of the brand's sync jobs.
func (d *Deps) syncRun(b *configs.Brand, k store.RunKey) func(ctx context.Context, r *scheduler.Run) error {
	var meta *configs.MetaAccount
	for _, m := range b.Accounts.Meta {
		if m.AdAccount == k.Scope {
			meta = m
			break
		}
	}
	adv, shop := k.Scope, k.Scope
	switch k.Job {
	case "meta.permissions":
		return func(ctx context.Context, r *scheduler.Run) error { return d.metaPermissions(ctx, b, meta, r) }
	case "meta.ads":
		return func(ctx context.Context, r *scheduler.Run) error { return d.syncAds(ctx, b, d.metaPlatform(meta), r) }
	case "meta.insights":
		return func(ctx context.Context, r *scheduler.Run) error {
			return d.syncInsights(ctx, b, d.metaPlatform(meta), r)
		}
	case "tiktok.spark":
		return func(ctx context.Context, r *scheduler.Run) error { return d.tiktokSpark(ctx, b, adv, r) }
	case "tiktok.ads":
		return func(ctx context.Context, r *scheduler.Run) error { return d.syncAds(ctx, b, d.tiktokPlatform(adv), r) }
	case "tiktok.insights":
		return func(ctx context.Context, r *scheduler.Run) error {
			return d.syncInsights(ctx, b, d.tiktokPlatform(adv), r)
		}
	case "shopify.orders":
		return func(ctx context.Context, r *scheduler.Run) error { return d.shopifyOrders(ctx, b, shop, r) }
	}
	panic("jobs: no sync job " + k.Job) // syncKeys lists only the cases above
}

// tokenJobs are the brand's credential checks: they run at start and
// daily, and do not hold verdicts back.
func (d *Deps) tokenJobs(b *configs.Brand) []scheduler.Job {
	if len(b.Accounts.Meta) > 0 && d.Meta != nil {
		m := b.Accounts.Meta[0] // one token serves all the brand's ad accounts
		return []scheduler.Job{{Name: JobMetaToken, Scope: m.AdAccount, AtStart: true, Run: func(ctx context.Context, r *scheduler.Run) error { return d.metaToken(ctx, b, r) }}}
	}
	return nil
}

// NotJudged says why the brand's tests are not judged now, one reason per
// sync job (and its reconcile) that holds them back; none means judge. A
// job holds them back when its newest finished run (by insertion order)
// did not succeed, or when it has never succeeded (never ran, or its first
// run is still running): judging then would judge missing data (or KPI
// cells older than the data), and alerts raised on it are never retracted.
func (d *Deps) NotJudged(ctx context.Context, b *configs.Brand) ([]string, error) {
	states, err := d.DB.RunStates(ctx, d.gateKeys(b))
	if err != nil {
		return nil, fmt.Errorf("reading the sync states of brand %s: %w", b.Name, err)
	}
	var out []string
	for _, st := range states {
		switch {
		case st.Finished && st.Latest.Status != store.RunOK:
			out = append(out, fmt.Sprintf("%s %s (%s)", st.Job, st.Scope, st.Latest.Status))
		case !st.EverOK && st.Waiting && !st.Running:
			out = append(out, fmt.Sprintf("%s %s (first sync waiting for a slot)", st.Job, st.Scope))
		case !st.EverOK && st.Running:
			out = append(out, fmt.Sprintf("%s %s (first run still running)", st.Job, st.Scope))
		case !st.EverOK:
			out = append(out, fmt.Sprintf("%s %s (never ran)", st.Job, st.Scope))
		}
	}
	return out, nil
}

// earliestStart is the first day any test of brand on platform starts
// ("" platform for all), or ok=false when it has none.
func earliestStart(b *configs.Brand, platform ads.Platform) (ads.Date, bool) {
	var first ads.Date
	found := false
	for _, t := range b.Tests {
		uses := platform == ""
		for _, v := range t.Variants {
			uses = uses || v.Platform == platform
		}
		if uses && (!found || t.Start.Before(first)) {
			first, found = t.Start, true
		}
	}
	return first, found
}

// pullRange is the day range an insights pull re-reads: from the earliest
// test start on first pull, else the trailing restatement window before the
// last pulled day of the account; up to today in the account's zone.
func (d *Deps) pullRange(ctx context.Context, b *configs.Brand, platform ads.Platform, account string, today ads.Date) (ads.DateRange, bool, error) {
	first, ok := earliestStart(b, platform)
	if !ok || today.Before(first) {
		return ads.DateRange{}, false, nil
	}
	from := first
	lastDay, pulled, err := d.DB.InsightsPulled(ctx, platform, account)
	if err != nil {
		return ads.DateRange{}, false, err
	}
	if pulled {
		if w := lastDay.AddDays(-b.RestatementDays); w.After(from) {
			from = w
		}
	}
	return ads.DateRange{From: from, To: today}, true, nil
}

func zoneOr(name string, fallback *time.Location) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	if fallback != nil {
		return fallback
	}
	return time.UTC
}

// metaPermissions stores the brand's partnership-ad permissions, then the
// creator media it may run. The permissions are stored first and stay
// stored when the media can't be read: that failure is recorded on the run
// as a warning (the run stays ok, so the brand's verdicts are not
// withheld) and announced in Slack once per failure episode.
func (d *Deps) metaPermissions(ctx context.Context, b *configs.Brand, m *configs.MetaAccount, r *scheduler.Run) error {
	perms, err := d.Meta.Permissions(ctx, m.AdAccount, m.Page, m.Instagram)
	if err != nil {
		return fmt.Errorf("syncing meta permissions: %w", err)
	}
	n, err := d.DB.UpsertPermissions(ctx, perms)
	r.AddRows(n)
	if err != nil {
		return err
	}
	media, mediaErr := d.Meta.EligibleMedia(ctx, metaads.MediaQuery{AdAccount: m.AdAccount, Business: m.Business,
		Page: m.Page, Instagram: m.Instagram, Now: r.Now}, perms)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if mediaErr == nil {
		n, err := d.DB.UpsertPermissions(ctx, media)
		r.AddRows(n)
		if err != nil {
			return err
		}
	}
	return d.mediaOutcome(ctx, b, m, r, mediaErr)
}

// mediaOutcome records an eligible-media failure as a warning of the run
// and queues one Slack alert per failure episode (the episode is named by
// the first failing run's time, kept in the store until a read works).
func (d *Deps) mediaOutcome(ctx context.Context, b *configs.Brand, m *configs.MetaAccount, r *scheduler.Run, mediaErr error) error {
	act := m.AdAccount
	since, err := d.DB.MediaFailingSince(ctx, act)
	if err != nil {
		return err
	}
	if mediaErr == nil {
		if since.IsZero() {
			return nil
		}
		return d.DB.SetMediaFailingSince(ctx, act, time.Time{})
	}
	r.Warn(fmt.Errorf("listing eligible partnership-ad media (permissions were stored): %w", mediaErr))
	if since.IsZero() {
		since = r.Now.Truncate(time.Second)
		if err := d.DB.SetMediaFailingSince(ctx, act, since); err != nil {
			return err
		}
	}
	problem := mediaErr.Error()
	if errors.Is(mediaErr, metaads.ErrNoBusiness) {
		problem = "Set accounts.meta.business (the Meta business id that owns the brand's Page and Instagram account): " + problem
	}
	alert := notify.SyncAlert(notify.Target{Brand: b.Name, Channel: b.Slack.Channel, Currency: b.Currency}, ads.Meta, act,
		"eligible partnership-ad media", since.UTC().Format(time.RFC3339),
		problem+". Partnership-ad permissions are still synced and verdicts go on; which creator posts the brand may run is not updated.")
	row, err := alert.Row()
	if err != nil {
		return err
	}
	_, err = d.DB.EnqueueAlerts(ctx, []store.OutboxRow{row})
	return err
}

func links(brand, account string, ms []reconcile.VariantMatch) []store.VariantAd {
	out := make([]store.VariantAd, len(ms))
	for i, m := range ms {
		out[i] = store.VariantAd{Brand: brand, TestID: m.TestID, VariantKey: m.VariantKey, Platform: m.Ad.Platform, Account: account, AdID: m.Ad.ID, MatchedBy: m.MatchedBy}
	}
	return out
}

// storedAccount is the ad account as its ads job last recorded it (the
// insights jobs need only its time zone, so they do not read it from the
// platform again); ok is false until an ads job has run.
func (d *Deps) storedAccount(ctx context.Context, p ads.Platform, id string) (store.Account, bool, error) {
	list, err := d.DB.Accounts(ctx)
	if err != nil {
		return store.Account{}, false, err
	}
	for _, a := range list {
		if a.Platform == p && a.ID == id && a.Timezone != "" {
			return a, true, nil
		}
	}
	return store.Account{}, false, nil
}

// sparkItems maps each Spark code of b's variants to the post it
// authorized, for the codes applied so far.
func sparkItems(ctx context.Context, db *store.DB, b *configs.Brand) (map[string]string, error) {
	items := map[string]string{}
	for _, t := range b.Tests {
		for _, v := range t.Variants {
			if v.SparkCode == "" {
				continue
			}
			item, err := db.SparkItem(ctx, v.SparkCode)
			if err != nil {
				return nil, err
			}
			if item != "" {
				items[v.SparkCode] = item
			}
		}
	}
	return items, nil
}

func (d *Deps) tiktokSpark(ctx context.Context, b *configs.Brand, adv string, r *scheduler.Run) error {
	// A code applied before is known by the post it authorized; its
	// status comes from the Spark post listing. The new ones are applied,
	// and found in that same listing. A brand with several advertisers
	// applies its codes to the first one it lists (a code authorizes a
	// post once); the others' jobs list their Spark posts only.
	var codes []string
	where := map[string]string{}
	applies := adv == b.AdAccounts(ads.TikTok)[0]
	for _, t := range b.Tests {
		for _, v := range t.Variants {
			if !applies || v.Platform != ads.TikTok || v.SparkCode == "" || where[v.SparkCode] != "" {
				continue
			}
			if item, err := d.DB.SparkItem(ctx, v.SparkCode); err != nil {
				return err
			} else if item != "" {
				continue
			}
			codes = append(codes, v.SparkCode)
			where[v.SparkCode] = t.ID + "/" + v.Key
		}
	}
	res, err := d.TikTok.SyncSpark(ctx, adv, codes)
	if err != nil {
		return fmt.Errorf("listing spark posts: %w", err)
	}
	// One bad code must not hide the others' status: go on and fail the
	// job at the end, naming every code that failed.
	var codeErrs []error
	for _, code := range codes {
		if item := res.Items[code]; item != "" {
			if err := d.DB.SetSparkItem(ctx, code, item); err != nil {
				return err
			}
		}
		if err := res.CodeErrs[code]; err != nil {
			codeErrs = append(codeErrs, fmt.Errorf("authorizing spark code of %s: %w", where[code], err))
		}
	}
	n, err := d.DB.UpsertPermissions(ctx, res.Posts)
	r.AddRows(n)
	if err != nil {
		return err
	}
	return errors.Join(codeErrs...)
}

// DefaultOrderOverlap is how far before its high-water mark an order sync
// reads again by default: an order written just before the last sync but
// not yet in Shopify's search index then is read by the next. A few
// minutes is what integrations allow for the index's lag; the signed
// webhooks bring most orders sooner still. Each sync pays for it by
// re-reading the orders updated in that span (bench.CycleMinimum counts
// them).
const DefaultOrderOverlap = 5 * time.Minute

// backfillWindow is the span of one bounded query when an order sync has
// far to catch up.
const backfillWindow = 30 * 24 * time.Hour

func (d *Deps) shopifyOrders(ctx context.Context, b *configs.Brand, shop string, r *scheduler.Run) error {
	mark, err := d.DB.OrdersMark(ctx, shop)
	if err != nil {
		return err
	}
	overlap := d.OrderOverlap
	if overlap <= 0 {
		overlap = DefaultOrderOverlap
	}
	firstSync := mark.IsZero()
	var since time.Time
	if !firstSync {
		since = mark.Add(-overlap)
	} else if first, ok := earliestStart(b, ""); ok {
		back := d.BackfillDays
		if back <= 0 {
			back = 30
		}
		since = first.AddDays(-back).In(b.Location)
	}
	exported, err := d.useBulk(ctx, shop, firstSync, since, mark, r.Now)
	if err != nil {
		return err
	}
	// The orders read with a journey not ready yet (see rereadJourneys),
	// by the export and the pages alike.
	var pending []string
	if exported {
		if pending, err = d.shopifyBulkOrders(ctx, b, shop, r, since, mark); err != nil {
			return err
		}
		// An export is a snapshot as of its creation, which may be long
		// past (an export resumed after a restart, or one that ran for
		// hours): page through what changed since, so that this sync ends
		// as current as any other.
		if mark, err = d.DB.OrdersMark(ctx, shop); err != nil {
			return err
		}
		since = mark.Add(-overlap)
	}
	// Orders arrive oldest update first, so the high-water mark advances
	// with every stored batch: an interrupted backfill resumes where it
	// stopped. Pages (at most 66 orders, Shopify's cost limit) are written
	// in batches of orderBatch rows; a long catch-up is split into bounded
	// windows.
	var buf []ads.Order
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		n, err := d.DB.UpsertOrders(ctx, buf)
		r.AddRows(n)
		if err != nil {
			return err
		}
		for _, o := range buf {
			if o.UpdatedAt.After(mark) {
				mark = o.UpdatedAt
			}
		}
		buf = buf[:0]
		return d.DB.SetOrdersMark(ctx, shop, mark)
	}
	save := func(page []ads.Order) error {
		for _, o := range page {
			if o.JourneyPending {
				pending = append(pending, o.ID)
			}
		}
		buf = append(buf, page...)
		if len(buf) < orderBatch {
			return nil
		}
		return flush()
	}
	client := d.Shopify(shop)
	for from := since; ; {
		until := time.Time{}
		if !from.IsZero() && r.Now.Sub(from) > backfillWindow {
			until = from.Add(backfillWindow)
		}
		_, err := client.OrdersBetween(ctx, from, until, save)
		// Keep what was read before a failure.
		if ferr := flush(); err == nil {
			err = ferr
		}
		if err != nil {
			return fmt.Errorf("syncing shopify orders updated %s..%s: %w", from.Format(time.RFC3339), fmtOpen(until), err)
		}
		if until.IsZero() {
			if err := d.rereadJourneys(ctx, shop, r, pending); err != nil {
				return err
			}
			return d.countUnready(ctx)
		}
		from = until
	}
}

// rereadJourneys reads again, by id, shop's orders whose customer journey
// was not ready at their last read and whose re-read is due (issue 22
// item 4; each order backs off on its own, store.ScheduleJourneys) — all
// but those the sync has just read (paged): the high-water mark stays
// where it is. The re-read stores each order as the sync does, so a ready
// journey replaces the attribution; an order Shopify no longer returns
// stops being pending. Then the next re-read of every order still pending
// is scheduled.
func (d *Deps) rereadJourneys(ctx context.Context, shop string, r *scheduler.Run, paged []string) error {
	due, err := d.DB.DueJourneys(ctx, shop, r.Now)
	if err != nil {
		return err
	}
	read := make(map[string]bool, len(paged))
	for _, id := range paged {
		read[id] = true
	}
	var ids []string
	for _, id := range due {
		if !read[id] {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		missing, err := d.Shopify(shop).OrdersByID(ctx, ids, func(os []ads.Order) error {
			n, err := d.DB.UpsertOrders(ctx, os)
			r.AddRows(n)
			return err
		})
		if err != nil {
			return fmt.Errorf("re-reading %d shopify orders whose journey was not ready: %w", len(ids), err)
		}
		n, err := d.DB.DropJourneys(ctx, shop, missing)
		r.AddRows(n)
		if err != nil {
			return err
		}
	}
	n, err := d.DB.ScheduleJourneys(ctx, shop, append(paged, ids...), r.Now)
	r.AddRows(n)
	return err
}

// countUnready updates roasd_shopify_orders_journey_unready.
func (d *Deps) countUnready(ctx context.Context) error {
	if d.Metrics == nil || d.Metrics.JourneyUnready == nil {
		return nil
	}
	total, pending, err := d.DB.AttributedUnready(ctx)
	if err != nil {
		return err
	}
	d.Metrics.JourneyUnready.WithLabelValues("attributed").Set(float64(total))
	d.Metrics.JourneyUnready.WithLabelValues("pending").Set(float64(pending))
	return nil
}

// orderBatch is how many synced orders are written to the store at once.
const orderBatch = 10000

func fmtOpen(t time.Time) string {
	if t.IsZero() {
		return "now"
	}
	return t.Format(time.RFC3339)
}
