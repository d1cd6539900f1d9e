package jobs

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
)

// Metrics are roasd's Prometheus series: the runner's (scheduler.Metrics,
// embedded) and the jobs' own. A nil *Metrics records nothing.
type Metrics struct {
	*scheduler.Metrics
	AlertsSent prometheus.Counter
	// AlertsDead counts outbox rows given up on, by reason (Slack's error
	// code for a permanent refusal, "attempts" when retries ran out).
	AlertsDead *prometheus.CounterVec
	// Outbox is the Slack outbox's backlog (size and age) and dead rows,
	// read at scrape time.
	Outbox   *OutboxGauges
	ConfigOK prometheus.Gauge
	// APIVersionDaysLeft is, per pinned API version, the days until its
	// published end of life (labels platform, version, end_of_life).
	APIVersionDaysLeft *prometheus.GaugeVec
	// APIVersionServed counts answers served with another API version
	// than the one asked for (Shopify's fall-forward).
	APIVersionServed *prometheus.CounterVec
	// JourneyUnready is roasd_shopify_orders_journey_unready{state}: orders
	// attributed from a customer journey Shopify did not call ready yet
	// ("attributed": ever; "pending": still waiting), as of the last sync.
	JourneyUnready *prometheus.GaugeVec
	// Tokens is roasd_token_expiry_seconds{platform}: seconds until each
	// platform's access token expires, on the jobs' clock.
	Tokens *TokenExpiry
	// WebhooksRefused counts webhook deliveries refused (not stored), by
	// platform and reason (e.g. unknown_shop: correctly signed, or naming
	// the shop in a header, refused before the body is read).
	WebhooksRefused *prometheus.CounterVec
}

// TokenExpiry collects roasd_token_expiry_seconds{platform}: how many
// seconds the platform's access token has left at scrape time on Now
// (negative once expired, +Inf for a token that never expires). A
// platform appears once its token's expiry was read.
type TokenExpiry struct {
	// Now is the clock (nil: time.Now); the daemon sets the jobs' clock.
	Now  func() time.Time
	desc *prometheus.Desc
	mu   sync.Mutex
	at   map[string]time.Time
}

// Set records when platform's token expires (zero: never).
func (t *TokenExpiry) Set(platform string, expires time.Time) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.at[platform] = expires
}

// Describe implements prometheus.Collector.
func (t *TokenExpiry) Describe(ch chan<- *prometheus.Desc) { ch <- t.desc }

// Collect implements prometheus.Collector.
func (t *TokenExpiry) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	if t.Now != nil {
		now = t.Now()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for p, at := range t.at {
		left := math.Inf(1)
		if !at.IsZero() {
			left = at.Sub(now).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(t.desc, prometheus.GaugeValue, left, p)
	}
}

// OutboxGauges collects roasd_alerts_backlog, roasd_alerts_backlog_age_seconds
// and roasd_alerts_dead from Read at scrape time. Until Read is set it
// collects nothing.
type OutboxGauges struct {
	// Read returns the outbox figures (the daemon sets store's
	// OutboxStats).
	Read               func(ctx context.Context) (store.OutboxStats, error)
	backlog, age, dead *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (o *OutboxGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- o.backlog
	ch <- o.age
	ch <- o.dead
}

// Collect implements prometheus.Collector.
func (o *OutboxGauges) Collect(ch chan<- prometheus.Metric) {
	if o.Read == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := o.Read(ctx)
	if err != nil {
		return
	}
	age := 0.0
	if !st.Oldest.IsZero() {
		age = max(time.Since(st.Oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(o.backlog, prometheus.GaugeValue, float64(st.Backlog))
	ch <- prometheus.MustNewConstMetric(o.age, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(o.dead, prometheus.GaugeValue, float64(st.Dead))
}

// NewMetrics creates the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Metrics: scheduler.NewMetrics(reg),
		AlertsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roasd_alerts_sent_total", Help: "Slack messages posted or updated.",
		}),
		AlertsDead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roasd_alerts_dead_total", Help: "Slack alerts given up on, by reason (Slack's error code, or attempts).",
		}, []string{"reason"}),
		Outbox: &OutboxGauges{
			backlog: prometheus.NewDesc("roasd_alerts_backlog", "Slack alerts queued and not yet delivered.", nil, nil),
			age:     prometheus.NewDesc("roasd_alerts_backlog_age_seconds", "Age of the oldest Slack alert not yet delivered (0: none).", nil, nil),
			dead:    prometheus.NewDesc("roasd_alerts_dead", "Slack alerts given up on (in the outbox).", nil, nil),
		},
		ConfigOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "roasd_config_last_reload_successful", Help: "1 when the last config (re)load succeeded.",
		}),
		APIVersionDaysLeft: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "roasd_api_version_days_to_end_of_life",
			Help: "Days until the pinned platform API version's published end of life (on the jobs' clock).",
		}, []string{"platform", "version", "end_of_life"}),
		APIVersionServed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roasd_api_version_served_other_total",
			Help: "Platform answers served with another API version than the one asked for.",
		}, []string{"platform", "requested", "served"}),
		Tokens: &TokenExpiry{at: map[string]time.Time{}, desc: prometheus.NewDesc("roasd_token_expiry_seconds",
			"Seconds until the platform's access token expires (+Inf: never; negative: expired), as last read.", []string{"platform"}, nil)},
		JourneyUnready: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "roasd_shopify_orders_journey_unready",
			Help: "Orders attributed before their Shopify customer journey was ready (state=attributed: ever; pending: still not ready), as of the last order sync.",
		}, []string{"state"}),
		WebhooksRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roasd_webhooks_refused_total", Help: "Webhook deliveries of a shop no brand configures (or otherwise refused after the signature check), not stored.",
		}, []string{"platform", "reason"}),
	}
	reg.MustRegister(m.AlertsSent, m.AlertsDead, m.Outbox, m.ConfigOK,
		m.APIVersionDaysLeft, m.APIVersionServed, m.Tokens, m.WebhooksRefused, m.JourneyUnready)
	return m
}

// observeVersion sets the days-left gauge of a pinned version with a
// published end of life.
func (m *Metrics) observeVersion(s VersionStatus) {
	if m == nil || s.EndOfLife.IsZero() {
		return
	}
	m.APIVersionDaysLeft.WithLabelValues(string(s.Platform), s.Version, s.EndOfLife.UTC().Format("2006-01-02")).Set(float64(s.DaysLeft))
}

// VersionServed counts an answer of platform served with version served
// instead of requested (wire it to shopify.Options.VersionServed).
func (m *Metrics) VersionServed(platform string) func(requested, served string) {
	return func(requested, served string) {
		if m != nil {
			m.APIVersionServed.WithLabelValues(platform, requested, served).Inc()
		}
	}
}
