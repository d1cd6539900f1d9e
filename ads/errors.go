package ads

import (
	"fmt"
	"strings"
	"time"
)

// ErrorKind classifies a platform API failure by what the caller should do.
type ErrorKind int

// Error kinds, append-only.
const (
	// KindUnknown is an error nothing more is known about; not retried.
	KindUnknown ErrorKind = iota
	// KindTransient is a temporary platform or network failure; retry.
	KindTransient
	// KindRateLimited means slow down; retry after RetryAfter.
	KindRateLimited
	// KindAuth is an invalid or expired token; never retried.
	KindAuth
	// KindPermission means the token lacks access to the object; never
	// retried.
	KindPermission
	// KindInvalid is a malformed request or parameter; never retried.
	KindInvalid
	// KindNotFound is a missing object; never retried.
	KindNotFound
	// KindJobFailed is an asynchronous platform job that failed or was
	// skipped.
	KindJobFailed
)

var kindNames = [...]string{"unknown", "transient", "rate limited", "auth", "permission", "invalid request", "not found", "job failed"}

// String names the kind.
func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// APIError is a failed call to a platform API, with what is needed to act
// on it. Callers branch with errors.As and Kind, never on the text.
type APIError struct {
	Platform Platform
	// Account is the ad account, advertiser or shop the call was for.
	Account string
	// Op names the call, e.g. "GET /act_1/insights" or "ad/get".
	Op         string
	HTTPStatus int
	// Code and Subcode are the platform's own error codes.
	Code    int
	Subcode int
	Message string
	// TraceID is the platform's request id (Meta fbtrace_id, TikTok
	// request_id, Shopify X-Request-Id).
	TraceID string
	Kind    ErrorKind
	// RetryAfter is how long the platform asked us to wait, when it did.
	RetryAfter time.Duration
	// Tries is how many requests the client sent for this call, its own
	// retries included (0: not counted). A call the client already
	// retried is not retried again by the job runner.
	Tries int
}

// Error names the platform, account and call, then the platform's code and
// message.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", e.Platform)
	if e.Account != "" {
		fmt.Fprintf(&b, " %s", e.Account)
	}
	if e.Op != "" {
		fmt.Fprintf(&b, " %s", e.Op)
	}
	fmt.Fprintf(&b, ": %s error", e.Kind)
	if e.Code != 0 {
		fmt.Fprintf(&b, " (code %d", e.Code)
		if e.Subcode != 0 {
			fmt.Fprintf(&b, "/%d", e.Subcode)
		}
		b.WriteString(")")
	} else if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, " [trace %s]", e.TraceID)
	}
	return b.String()
}

// Retryable reports whether trying the same call again later may succeed.
func (e *APIError) Retryable() bool {
	return e.Kind == KindTransient || e.Kind == KindRateLimited
}

// RetryAdvice tells a job runner (which knows no platform) whether to run
// a job that failed with e again — only when the failure is transient and
// the client did not already retry the call: one retry layer, not client ×
// runner — and how long the platform asked to wait first (0: the runner's
// own backoff).
func (e *APIError) RetryAdvice() (retry bool, wait time.Duration) {
	return e.Retryable() && e.Tries <= 1, e.RetryAfter
}
