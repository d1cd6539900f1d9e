// Package platformhttp is the HTTP plumbing the platform clients (Meta,
// TikTok, Shopify, and Slack's transport) share: a retryablehttp logger
// that redacts every value it logs, a jittered exponential backoff that
// honours Retry-After, the defaulting of their options (Retry, Positive,
// AtMost, HTTPClient) and the retryablehttp client built from them (New).
//
// Each client keeps its own retry policy (which answers are worth a retry
// differs per platform) and its own redaction rule (which strings are
// secret); this package only makes sure both are applied the same way.
package platformhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/roasd/roasd/ads"
)

// Logger adapts l to retryablehttp's LeveledLogger. Every string, error
// and Stringer value is passed through redact before it is logged, and
// every message is prefixed with platform ("meta: …"). retryablehttp's
// errors are retries in progress (the final error reaches the caller), so
// they log at Warn; its per-request chatter logs at Debug.
func Logger(l *slog.Logger, platform string, redact func(string) string) retryablehttp.LeveledLogger {
	return leveled{log: l, prefix: platform + ": ", redact: redact}
}

type leveled struct {
	log    *slog.Logger
	prefix string
	redact func(string) string
}

func (l leveled) emit(level slog.Level, msg string, kv []any) {
	args := make([]any, len(kv))
	for i, v := range kv {
		switch x := v.(type) {
		case string:
			args[i] = l.redact(x)
		case error:
			args[i] = l.redact(x.Error())
		case fmt.Stringer:
			args[i] = l.redact(x.String())
		default:
			args[i] = v
		}
	}
	l.log.Log(context.Background(), level, l.prefix+l.redact(msg), args...)
}

func (l leveled) Error(msg string, kv ...any) { l.emit(slog.LevelWarn, msg, kv) }
func (l leveled) Warn(msg string, kv ...any)  { l.emit(slog.LevelWarn, msg, kv) }
func (l leveled) Info(msg string, kv ...any)  { l.emit(slog.LevelDebug, msg, kv) }
func (l leveled) Debug(msg string, kv ...any) { l.emit(slog.LevelDebug, msg, kv) }

// Secrets returns a redaction that replaces each non-empty secret in a
// string with "[redacted]".
func Secrets(secrets ...string) func(string) string {
	return func(s string) string {
		for _, sec := range secrets {
			if sec != "" {
				s = strings.ReplaceAll(s, sec, "[redacted]")
			}
		}
		return s
	}
}

// urlQuery matches the query of an http(s) URL inside free text.
var urlQuery = regexp.MustCompile(`(https?://[^\s?"'<>]+)\?[^\s"'<>]*`)

// URLQueries hides the query of every http(s) URL in s. Signed download
// URLs (a Shopify bulk file's, for one) carry their credential there.
func URLQueries(s string) string {
	return urlQuery.ReplaceAllString(s, "$1?[redacted]")
}

// RedactURL hides raw's query wherever it occurs in msg, for messages that
// quote a URL in pieces (as net/url errors do, escaped or not).
func RedactURL(msg, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return URLQueries(msg)
	}
	msg = strings.ReplaceAll(msg, u.RawQuery, "[redacted]")
	return URLQueries(msg)
}

// Backoff is retryablehttp's Backoff for the platforms: the server's
// Retry-After (seconds) when it sent one, capped at hi and never below lo;
// else lo doubled per attempt, capped at hi, with jitter in [d/2, d] so
// replicas and lanes do not retry in step.
func Backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s >= 0 {
			return min(max(time.Duration(s)*time.Second, lo), hi)
		}
	}
	return Jitter(lo, hi, attempt)
}

// Jitter is lo doubled attempt times, capped at hi, drawn from [d/2, d].
func Jitter(lo, hi time.Duration, attempt int) time.Duration {
	d := lo << min(max(attempt, 0), 30)
	if d <= 0 || d > hi {
		d = hi
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// triesKey carries a call's send counter in its context.
type triesKey struct{}

// TrackTries returns ctx with a counter of the HTTP requests sent under
// it (each retry is one more); CountTries increments it.
func TrackTries(ctx context.Context) (context.Context, *atomic.Int32) {
	n := new(atomic.Int32)
	return context.WithValue(ctx, triesKey{}, n), n
}

// CountTries is a retryablehttp RequestLogHook counting each request sent
// under a context from TrackTries.
func CountTries(_ retryablehttp.Logger, req *http.Request, _ int) {
	if n, ok := req.Context().Value(triesKey{}).(*atomic.Int32); ok {
		n.Add(1)
	}
}

// NoteTries records on a platform error how many requests the client sent
// for it (its own retries included), so the job runner does not repeat
// what the client already retried. Other errors pass unchanged.
func NoteTries(err error, tries *atomic.Int32) error {
	var ae *ads.APIError
	if errors.As(err, &ae) && ae.Tries == 0 {
		ae.Tries = int(tries.Load())
	}
	return err
}

// credentialRE matches credential-looking values in free text: token,
// secret, signature or password parameters and headers (access_token=…,
// client_secret: …), bearer credentials, and the shapes of Slack, Shopify
// and Meta tokens.
var credentialRE = regexp.MustCompile(`(?i)((?:access_token|[a-z_]*secret|[a-z_]*token|password|sig(?:nature)?|appsecret_proof|api_key)["']?\s*[=:]\s*["']?)[^\s&"',;)]+` +
	`|(bearer\s+)[^\s"',;)]+|xox[abprse]-[A-Za-z0-9-]+|shp(?:at|ss|ca|pa)_[A-Za-z0-9]+|EAA[A-Za-z0-9]{20,}`)

// Credentials blanks credential-looking values in recorded error text
// (job runs, Slack digests, the dashboard). The clients keep tokens out
// of their errors; this is the second line of defence for text shown to
// everyone who reads the channel or logs in.
func Credentials(s string) string {
	return credentialRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := credentialRE.FindStringSubmatch(m)
		return sub[1] + sub[2] + "REDACTED"
	})
}
