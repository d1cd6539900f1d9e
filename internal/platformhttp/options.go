package platformhttp

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Retry is a platform client's retry budget: how many times a call is
// retried after its first attempt, and the bounds of the backoff between
// tries. Each client states its platform's defaults once, as a Retry, and
// passes the caller's options through Or.
type Retry struct {
	// Max is the number of retries after the first attempt: zero takes
	// the default, negative means none.
	Max int
	// WaitMin and WaitMax bound the backoff: zero or negative takes the
	// default, and WaitMax is never below WaitMin.
	WaitMin, WaitMax time.Duration
}

// Or returns r with every unset field taken from def, as Retry's fields
// describe.
func (r Retry) Or(def Retry) Retry {
	switch {
	case r.Max == 0:
		r.Max = def.Max
	case r.Max < 0:
		r.Max = 0
	}
	r.WaitMin = Positive(r.WaitMin, def.WaitMin)
	r.WaitMax = max(Positive(r.WaitMax, def.WaitMax), r.WaitMin)
	return r
}

// Positive returns v, or def when v is zero or negative: how a count or
// duration option left unset takes its default.
func Positive[T ~int | ~int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// AtMost returns v when it is in (0, limit], else limit: a page size left
// unset, or larger than the platform serves, takes the largest it serves.
func AtMost(v, limit int) int {
	if v <= 0 || v > limit {
		return limit
	}
	return v
}

// HTTPClient returns hc, or when it is nil a client whose calls time out
// after timeout.
func HTTPClient(hc *http.Client, timeout time.Duration) *http.Client {
	if hc != nil {
		return hc
	}
	return &http.Client{Timeout: timeout}
}

// Options are what a platform client says about its HTTP plumbing; New
// builds the retryablehttp.Client from them.
type Options struct {
	// Platform prefixes every log line ("meta: …").
	Platform string
	// HTTPClient is the transport; nil means retryablehttp's pooled
	// client.
	HTTPClient *http.Client
	// Logger receives the retry diagnostics (nil: discarded), each value
	// passed through Redact first (nil: the identity).
	Logger *slog.Logger
	Redact func(string) string
	// Retry is the retry budget, already defaulted (Retry.Or).
	Retry Retry
	// CheckRetry is the platform's retry policy.
	CheckRetry retryablehttp.CheckRetry
	// Backoff defaults to this package's Backoff; ErrorHandler to
	// retryablehttp.PassthroughErrorHandler (the last answer reaches the
	// caller).
	Backoff      retryablehttp.Backoff
	ErrorHandler retryablehttp.ErrorHandler
}

// New returns a platform's retryablehttp.Client: o's transport, retry
// budget and policy, a redacting logger (Logger), and CountTries as its
// request hook so every call can say how many requests it sent.
func New(o Options) *retryablehttp.Client {
	rc := retryablehttp.NewClient()
	if o.HTTPClient != nil {
		rc.HTTPClient = o.HTTPClient
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Redact == nil {
		o.Redact = func(s string) string { return s }
	}
	rc.Logger = Logger(o.Logger, o.Platform, o.Redact)
	rc.RetryMax, rc.RetryWaitMin, rc.RetryWaitMax = o.Retry.Max, o.Retry.WaitMin, o.Retry.WaitMax
	rc.CheckRetry = o.CheckRetry
	rc.Backoff = o.Backoff
	if rc.Backoff == nil {
		rc.Backoff = Backoff
	}
	rc.ErrorHandler = o.ErrorHandler
	if rc.ErrorHandler == nil {
		rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	}
	rc.RequestLogHook = CountTries
	return rc
}
