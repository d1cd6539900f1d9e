package scheduler

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the runner's Prometheus series: job runs, rows and platform
// API calls. A nil *Metrics records nothing. The jobs' own series
// (alerts, tokens, versions…) are jobs.Metrics, which embeds this.
type Metrics struct {
	JobDuration  *prometheus.HistogramVec
	JobRuns      *prometheus.CounterVec
	RowsIngested *prometheus.CounterVec
	APICalls     *prometheus.CounterVec
	APIErrors    *prometheus.CounterVec
}

// NewMetrics creates the runner's series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		JobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "roasd_job_duration_seconds", Help: "Duration of job attempts.",
			Buckets: prometheus.ExponentialBuckets(0.01, 3, 10),
		}, []string{"job", "status"}),
		JobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roasd_job_runs_total", Help: "Job attempts by outcome.",
		}, []string{"job", "status"}),
		RowsIngested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roasd_rows_ingested_total", Help: "Rows written (inserted or changed) by jobs.",
		}, []string{"job"}),
		APICalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roasd_api_calls_total", Help: "HTTP calls to platform APIs.",
		}, []string{"platform", "code"}),
		APIErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roasd_api_errors_total", Help: "Platform API calls that failed at the transport or with HTTP >= 400.",
		}, []string{"platform"}),
	}
	reg.MustRegister(m.JobDuration, m.JobRuns, m.RowsIngested, m.APICalls, m.APIErrors)
	return m
}

func (m *Metrics) observeRun(job, status string, d time.Duration, rows int64) {
	if m == nil {
		return
	}
	m.JobDuration.WithLabelValues(job, status).Observe(d.Seconds())
	m.JobRuns.WithLabelValues(job, status).Inc()
	m.RowsIngested.WithLabelValues(job).Add(float64(rows))
}

// Transport wraps base (nil = http.DefaultTransport) so every request to a
// platform API is counted in the metrics and charged to the job run carried
// by the request's context.
func (m *Metrics) Transport(platform string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return countingTransport{platform: platform, base: base, m: m}
}

type countingTransport struct {
	platform string
	base     http.RoundTripper
	m        *Metrics
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if r := runFrom(req.Context()); r != nil {
		r.calls.Add(1)
	}
	resp, err := t.base.RoundTrip(req)
	if t.m != nil {
		code := "error"
		if err == nil {
			code = strconv.Itoa(resp.StatusCode)
		}
		t.m.APICalls.WithLabelValues(t.platform, code).Inc()
		if err != nil || resp.StatusCode >= 400 {
			t.m.APIErrors.WithLabelValues(t.platform).Inc()
		}
	}
	return resp, err
}
