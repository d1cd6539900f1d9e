package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/links"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/report"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/tiktokads"
	"github.com/roasd/roasd/web"
)

// newDeps builds the platform clients from the environment. Each client
// gets its own HTTP transport that counts calls in the metrics; those that
// judge time (TikTok's Spark expiry, Shopify's token renewal) read now,
// the jobs' one clock. bulk, when not nil, is where the webhook receiver
// hands over bulk_operations/finish deliveries: the Shopify clients then
// wait for those instead of polling their exports.
func newDeps(env *cmdEnv, db *store.DB, log *slog.Logger, m *jobs.Metrics, publicURL, claimant string, now func() time.Time, bulk *shopify.BulkFinishes) (*jobs.Deps, error) {
	httpFor := func(platform string) *http.Client {
		return &http.Client{Transport: m.Transport(platform, nil)}
	}
	d := &jobs.Deps{DB: db, Log: log, Metrics: m}
	// Actions write through clients that never re-send on their own: a
	// lost answer is read back instead (jobs.Deps.MetaWrite).
	if tok := env.getenv("META_ACCESS_TOKEN"); tok != "" {
		o := metaads.Options{
			BaseURL: env.getenv("META_API_URL"), AccessToken: tok, AppSecret: env.getenv("META_APP_SECRET"), AppID: env.getenv("META_APP_ID"),
			HTTPClient: httpFor("meta"), Logger: log.With("platform", "meta"),
		}
		d.Meta = metaads.New(o)
		o.RetryMax = -1
		d.MetaWrite = metaads.New(o)
	}
	if tok := env.getenv("TIKTOK_ACCESS_TOKEN"); tok != "" {
		// TikTok's quota is per app: one pacer for every client and
		// advertiser lane of it (ROASD_TIKTOK_QPS, default 8 — 80% of the
		// Basic tier's 10 QPS; 0 turns pacing off).
		qps := 8.0
		if v := env.getenv("ROASD_TIKTOK_QPS"); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				return nil, fmt.Errorf("ROASD_TIKTOK_QPS=%q: want a number of requests per second (0 for no pacing)", v)
			}
			qps = f
		}
		d.TikTokPacer = scheduler.NewAppPacer(qps)
		o := tiktokads.Options{
			BaseURL: env.getenv("TIKTOK_API_URL"), AccessToken: tok, Now: now,
			HTTPClient: httpFor("tiktok"), Logger: log.With("platform", "tiktok"), Pacer: d.TikTokPacer,
		}
		d.TikTok = tiktokads.New(o)
		o.RetryMax = -1
		d.TikTokWrite = tiktokads.New(o)
	}
	// Each shop's credentials: its own static token
	// (SHOPIFY_ACCESS_TOKEN_<SHOP>, a legacy custom app belongs to one
	// shop), else SHOPIFY_ACCESS_TOKEN, else a Dev Dashboard app's
	// SHOPIFY_CLIENT_ID + SHOPIFY_CLIENT_SECRET, from which each shop's
	// client obtains 24-hour tokens and renews them (one app serves every
	// shop it is installed on). A shop with none gets a client that
	// refuses every call, naming the shop (checkSecrets refuses such a
	// config at start).
	{
		clientID, clientSecret := env.getenv("SHOPIFY_CLIENT_ID"), env.getenv("SHOPIFY_CLIENT_SECRET")
		base := env.getenv("SHOPIFY_API_URL")
		hc := httpFor("shopify")
		// One client per shop, asked for by concurrent lanes (one per
		// shop in run --once, cron goroutines in the daemon).
		var mu sync.Mutex
		clients := map[string]*shopify.Client{}
		d.Shopify = func(shop string) *shopify.Client {
			mu.Lock()
			defer mu.Unlock()
			if c, ok := clients[shop]; ok {
				return c
			}
			o := shopify.Options{Shop: shop, BaseURL: base, AccessToken: shopifyToken(env, shop), ClientID: clientID, ClientSecret: clientSecret,
				HTTPClient: hc, Logger: log.With("platform", "shopify"), VersionServed: m.VersionServed("shopify"), Now: now}
			if bulk != nil {
				o.BulkFinish = bulk
			}
			c := shopify.New(o)
			clients[shop] = c
			return c
		}
	}
	slackAPI := notify.NewSlack(env.getenv("SLACK_BOT_TOKEN"), env.getenv("SLACK_API_URL"), httpFor("slack"))
	sender := notify.NewSender(slackAPI, db, log.With("platform", "slack"))
	// Slack's rates, kept by the sender itself (0 turns pacing off).
	for _, l := range []struct {
		env string
		to  *time.Duration
	}{{"ROASD_SLACK_POST_EVERY", &sender.Limits.PostEvery}, {"ROASD_SLACK_UPDATE_EVERY", &sender.Limits.UpdateEvery},
		{"ROASD_SLACK_HISTORY_EVERY", &sender.Limits.HistoryEvery}} {
		if v := env.getenv(l.env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("%s=%q: want a duration such as 1s or 1200ms (0 turns pacing off)", l.env, v)
			}
			*l.to = d
		}
	}
	sender.Dead = func(reason string) { m.AlertsDead.WithLabelValues(reason).Inc() }
	m.Outbox.Read = db.OutboxStats
	sender.Claimant = claimant
	d.Stages = []jobs.Stage{
		jobs.ReconcileStage(db),
		d.VerdictStage(strings.TrimSuffix(publicURL, "/") + "/"),
		d.DigestStage(strings.TrimSuffix(publicURL, "/") + "/"),
		jobs.NotifyStage(sender, m),
	}
	return d, nil
}

// maxLinkBody bounds one link-conversion webhook request: about 5,000
// conversions; bigger batches go in several requests or through
// `roasd import links`.
const maxLinkBody = 1 << 20

// routes mounts the public routes: the webhooks (behind the body guard)
// and the bearer-protected API.
func (d *daemon) routes() map[string]http.Handler {
	r := map[string]http.Handler{}
	if secret := d.env.getenv("SHOPIFY_WEBHOOK_SECRET"); secret != "" || d.anyShopWebhookSecret() {
		refused := d.metrics.WebhooksRefused.WithLabelValues("shopify", "unknown_shop")
		opts := []shopify.WebhookOption{shopify.OnlyShops(d.servesShop, func(string) { refused.Inc() }),
			shopify.ShopSecrets(func(shop string) string { return d.env.getenv(shopEnvKey("SHOPIFY_WEBHOOK_SECRET_", shop)) })}
		if d.bulk != nil {
			opts = append(opts, shopify.BulkFinished(bulkRelay{d}))
		}
		h := shopify.WebhookHandler(secret, d.db, d.log.With("webhook", "shopify"), opts...)
		// The guard refuses what it can before reading the body: no or a
		// malformed signature header, or a shop no brand configures (403,
		// counted like a signed delivery of that shop; the handler's own
		// check remains for a config reloaded in between).
		r["POST /webhooks/shopify"] = d.guard.Wrap(web.BodyRoute{Name: "shopify", MaxBody: shopify.MaxWebhookBody,
			Check: func(req *http.Request) *web.Refusal {
				status, msg := shopify.WebhookPrecheck(req, d.servesShop)
				if status == 0 {
					return nil
				}
				if status == http.StatusForbidden {
					refused.Inc()
				}
				return &web.Refusal{Status: status, Msg: msg}
			}}, h)
	} else {
		d.log.Warn("SHOPIFY_WEBHOOK_SECRET is not set: the Shopify webhook receiver is off")
	}
	if h, ok := d.slackInteractions(d.decided); ok {
		r["POST /slack/interactions"] = d.guard.Wrap(web.BodyRoute{Name: "slack", MaxBody: web.MaxSlackInteractionBody, Check: h.Precheck}, h)
	} else {
		d.log.Info("SLACK_SIGNING_SECRET is not set: Slack approval buttons are off (roasd actions approve still works)")
	}
	if token := d.env.getenv("ROASD_API_TOKEN"); token != "" {
		r["GET /api/v1/report"] = web.ReportHandler(report.Service{DB: d.db, Now: d.opts.now}, token)
		r["GET /api/v1/actions"] = web.ActionsHandler(d.db, token)
		r["POST /webhooks/links"] = d.guard.Wrap(web.BodyRoute{Name: "links", MaxBody: maxLinkBody,
			Check: func(req *http.Request) *web.Refusal {
				if !web.Authorized(req, token) {
					return &web.Refusal{Status: http.StatusUnauthorized, Msg: "unauthorized"}
				}
				return nil
			}}, links.Handler(token, d.db, d.linkOwner, d.log.With("webhook", "links")))
	} else {
		d.log.Warn("ROASD_API_TOKEN is not set: the report API and the link-conversion webhook are off")
	}
	return r
}

// privateAPI mounts the private API on routes: POST /api/v1/close
// (bearer ROASD_API_TOKEN; off without it), on the jobs' clock.
func (d *daemon) privateAPI(routes map[string]http.Handler) {
	if token := d.env.getenv("ROASD_API_TOKEN"); token != "" {
		routes["POST /api/v1/close"] = web.CloseHandler(d.db, token, d.opts.now)
	}
}

// slackInteractions is the Slack interactivity endpoint (approval
// buttons), calling decided after a decision; ok is false without
// SLACK_SIGNING_SECRET.
func (d *daemon) slackInteractions(decided func(string)) (h web.SlackInteractions, ok bool) {
	secret := d.env.getenv("SLACK_SIGNING_SECRET")
	if secret == "" {
		return h, false
	}
	api := notify.NewSlack(d.env.getenv("SLACK_BOT_TOKEN"), d.env.getenv("SLACK_API_URL"), &http.Client{Transport: d.metrics.Transport("slack", nil)})
	approvers := notify.Approvers{API: api}
	return web.SlackInteractions{Secret: secret, Now: d.opts.now, Approval: d.db, Members: approvers.Members, Ephemeral: approvers.Ephemeral,
		Decided: decided, Log: d.log.With("webhook", "slack")}, true
}

// dashboard is the dashboard behind its login form (ROASD_API_TOKEN);
// nil when there is no token and onPublic says it would be served on the
// public listener. Without a token on the private listener it is served
// without login.
func (d *daemon) dashboard(onPublic bool) http.Handler {
	h := d.dashboardHandler()
	token := d.env.getenv("ROASD_API_TOKEN")
	switch {
	case token != "":
		return web.RequireLogin(h, token, d.log.With("component", "dashboard"))
	case onPublic:
		d.log.Warn("ROASD_API_TOKEN is not set: the dashboard (which needs it to log in) is off on the public listener")
		return nil
	default:
		d.log.Warn("ROASD_API_TOKEN is not set: the dashboard on the private listener has no login")
		return h
	}
}

// dashboardHandler is the dashboard itself, without its login.
func (d *daemon) dashboardHandler() *web.DashboardHandler {
	return web.Dashboard(d.db, d.config, d.log.With("component", "dashboard")).WithClock(d.opts.now).WithGate(d.notJudged)
}

// servesShop reports whether a brand of the config in force names shop
// (a lower-case myshopify.com domain) as its Shopify shop.
func (d *daemon) servesShop(shop string) bool {
	set := d.config()
	if set == nil {
		return false
	}
	for _, b := range set.Brands {
		if b.HasShop(shop) {
			return true
		}
	}
	return false
}

// anyShopWebhookSecret reports whether a shop of the config in force has
// its own webhook secret (SHOPIFY_WEBHOOK_SECRET_<SHOP>).
func (d *daemon) anyShopWebhookSecret() bool {
	set := d.config()
	if set == nil {
		return false
	}
	for _, b := range set.Brands {
		for _, shop := range b.Shops() {
			if d.env.getenv(shopEnvKey("SHOPIFY_WEBHOOK_SECRET_", shop)) != "" {
				return true
			}
		}
	}
	return false
}

// bulkRelay hands a bulk_operations/finish delivery to this daemon's
// waiters and, through the database, to every other replica's (Shopify's
// delivery may reach any replica behind the load balancer, while one
// replica's job waits for the export).
type bulkRelay struct{ d *daemon }

// Finished implements shopify.BulkNotifier.
func (r bulkRelay) Finished(shop, id string) bool {
	waited := r.d.bulk.Finished(shop, id)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.d.db.NotifyBulkFinished(ctx, shop, id); err != nil {
		r.d.log.Warn("telling the other replicas a shopify bulk operation finished", "shop", shop, "op", id, "err", err)
	}
	return waited
}

// listenBulk makes the finishes other replicas received (bulkRelay) wake
// this daemon's waiters, until the returned function is called. Without
// it (the listener could not connect) only this daemon's own deliveries
// do, and the waiters' safety polls find the rest.
func (d *daemon) listenBulk() func() {
	if d.bulk == nil {
		return func() {}
	}
	l, err := store.ListenBulkFinished(d.dsn, func(shop, id string) { d.bulk.Finished(shop, id) })
	if err != nil {
		d.log.Warn("not listening for the bulk operation finishes other replicas receive", "err", err)
		return func() {}
	}
	return func() { l.Close() }
}

// checkBulkWebhook refuses --shopify-bulk-webhook without the Shopify
// webhook receiver: the exports would wait for webhooks nobody accepts
// (and fall back to the safety polls, minutes late).
func (d *daemon) checkBulkWebhook() error {
	if d.bulk == nil || d.env.getenv("SHOPIFY_WEBHOOK_SECRET") != "" || d.anyShopWebhookSecret() {
		return nil
	}
	return errors.New("--shopify-bulk-webhook (ROASD_SHOPIFY_BULK_WEBHOOK) needs the Shopify webhook receiver: set SHOPIFY_WEBHOOK_SECRET (or SHOPIFY_WEBHOOK_SECRET_<SHOP>)")
}

// shopifyTokenKey is the environment variable holding shop's own static
// Admin API token (see shopEnvKey): glowco-eu.myshopify.com →
// SHOPIFY_ACCESS_TOKEN_GLOWCO_EU.
func shopifyTokenKey(shop string) string { return shopEnvKey("SHOPIFY_ACCESS_TOKEN_", shop) }

// shopEnvKey is the environment variable of one shop's own secret (see
// shopify.ShopEnvKey).
func shopEnvKey(prefix, shop string) string { return shopify.ShopEnvKey(prefix, shop) }

// shopifyToken is shop's static Admin API token: its own
// (shopifyTokenKey), else SHOPIFY_ACCESS_TOKEN; "" when neither is set
// (the client-credentials app, if any, serves the shop).
func shopifyToken(env *cmdEnv, shop string) string {
	if tok := env.getenv(shopifyTokenKey(shop)); tok != "" {
		return tok
	}
	return env.getenv("SHOPIFY_ACCESS_TOKEN")
}

// linkOwner attributes posted link conversions to their brands with the
// current config (see reconcile.LinkOwner); defaultBrand is the post's
// "brand" parameter.
func (d *daemon) linkOwner(defaultBrand string) links.Owner {
	set := d.config()
	if set == nil {
		return func(*ads.LinkConversion) error {
			return errors.New("no config loaded: cannot attribute the conversion to a brand")
		}
	}
	return reconcile.LinkOwner(set, defaultBrand)
}

// checkSecrets fails when a configured platform has no token in the
// environment, naming each missing variable.
func checkSecrets(env *cmdEnv, set *configs.Set) error {
	var missing []string
	need := func(brand, what, key string) {
		if env.getenv(key) == "" {
			missing = append(missing, fmt.Sprintf("brand %s has %s but %s is not set", brand, what, key))
		}
	}
	for _, b := range set.Brands {
		if len(b.Accounts.Meta) > 0 {
			need(b.Name, "a Meta ad account", "META_ACCESS_TOKEN")
		}
		if len(b.Accounts.TikTok) > 0 {
			need(b.Name, "a TikTok advertiser", "TIKTOK_ACCESS_TOKEN")
		}
		for _, shop := range b.Shops() {
			if shopifyToken(env, shop) == "" && (env.getenv("SHOPIFY_CLIENT_ID") == "" || env.getenv("SHOPIFY_CLIENT_SECRET") == "") {
				missing = append(missing, fmt.Sprintf("brand %s has the Shopify shop %s but neither %s, SHOPIFY_ACCESS_TOKEN nor SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET are set",
					b.Name, shop, shopifyTokenKey(shop)))
			}
		}
		if b.Slack.Channel != "" {
			need(b.Name, "a Slack channel", "SLACK_BOT_TOKEN")
		}
	}
	if len(missing) > 0 {
		return errors.New("missing secrets in the environment:\n  " + strings.Join(missing, "\n  "))
	}
	return nil
}
