package metaads

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/platformhttp"
)

// Defaults for Options fields left zero.
const (
	DefaultBaseURL = "https://graph.facebook.com"
	DefaultVersion = "v25.0"
	// DefaultPageSize is the largest page the fake serves; the Graph API
	// accepts it on every edge roasd reads.
	DefaultPageSize = 500
	// DefaultAsyncDays: insights ranges longer than this use async report
	// runs. The daemon's steady-state pulls (the default 7-day restatement
	// window and today, up to a week more after a pause) are read
	// synchronously: one call a page, with no run to create and poll.
	DefaultAsyncDays = 14
)

// Options configure a Client. Zero fields take the documented defaults.
type Options struct {
	// BaseURL is the Graph API origin (META_API_URL), default
	// "https://graph.facebook.com". A BaseURL that already ends in a
	// version path ("/v25.0") is used as is.
	BaseURL string
	// Version is the Graph API version path, default DefaultVersion.
	Version string
	// AccessToken is the system-user token (META_ACCESS_TOKEN); AppSecret
	// (META_APP_SECRET), when set, adds appsecret_proof to every call.
	AccessToken, AppSecret string
	// AppID (META_APP_ID) is the app the token was issued to; with
	// AppSecret it makes the app access token DebugToken reads the
	// token's expiry with.
	AppID string
	// HTTPClient, when set, is the transport retryablehttp uses (so the
	// daemon can count calls).
	HTTPClient *http.Client
	// Logger receives retry and paging diagnostics (default slog.Default()).
	// Secrets are redacted before logging.
	Logger *slog.Logger
	// RetryMax is the number of retries after the first attempt (default 4;
	// negative means none). RetryWaitMin/Max bound the backoff (default
	// 1s/30s); a throttle asking for a longer wait than RetryWaitMax is not
	// retried but returned as KindRateLimited with RetryAfter.
	RetryMax                   int
	RetryWaitMin, RetryWaitMax time.Duration
	// PollInterval is the wait between async report-run status reads
	// (default 2s); PollTimeout bounds one run (default 30m).
	PollInterval, PollTimeout time.Duration
	// PageSize is the limit asked of list edges (default DefaultPageSize).
	PageSize int
	// AsyncDays: insights ranges longer than this many days use async
	// report runs (default DefaultAsyncDays).
	AsyncDays int
}

// OptionsFromEnv reads META_API_URL, META_API_VERSION, META_ACCESS_TOKEN,
// META_APP_SECRET and META_APP_ID through getenv (e.g. os.Getenv).
func OptionsFromEnv(getenv func(string) string) Options {
	return Options{
		BaseURL:     getenv("META_API_URL"),
		Version:     getenv("META_API_VERSION"),
		AccessToken: getenv("META_ACCESS_TOKEN"),
		AppSecret:   getenv("META_APP_SECRET"),
		AppID:       getenv("META_APP_ID"),
	}
}

// Client calls the Meta Graph API. It is safe for concurrent use.
type Client struct {
	rc          *retryablehttp.Client
	base        string
	token       string
	proof       string
	appID       string
	appSecret   string
	log         *slog.Logger
	pageSize    int
	poll        time.Duration
	pollTimeout time.Duration
	asyncDays   int

	mu sync.Mutex
	// pauseUntil holds back calls on an ad account (the Account of call)
	// that a throttle error, or usage near the limit, asked to wait.
	pauseUntil map[string]time.Time
	usage      Usage
}

var versionSuffix = regexp.MustCompile(`/v\d+\.\d+$`)

// defaultRetry is Meta's retry budget for Options left zero.
var defaultRetry = platformhttp.Retry{Max: 4, WaitMin: time.Second, WaitMax: 30 * time.Second}

// New returns a client for o.
func New(o Options) *Client {
	o.BaseURL = cmp.Or(o.BaseURL, DefaultBaseURL)
	o.Version = cmp.Or(o.Version, DefaultVersion)
	o.Logger = cmp.Or(o.Logger, slog.Default())
	retry := platformhttp.Retry{Max: o.RetryMax, WaitMin: o.RetryWaitMin, WaitMax: o.RetryWaitMax}.Or(defaultRetry)
	base := strings.TrimRight(o.BaseURL, "/")
	if !versionSuffix.MatchString(base) {
		base += "/" + strings.Trim(o.Version, "/")
	}
	c := &Client{
		base: base, token: o.AccessToken, appID: o.AppID, appSecret: o.AppSecret, log: o.Logger,
		pageSize:    platformhttp.Positive(o.PageSize, DefaultPageSize),
		poll:        platformhttp.Positive(o.PollInterval, 2*time.Second),
		pollTimeout: platformhttp.Positive(o.PollTimeout, 30*time.Minute),
		asyncDays:   platformhttp.Positive(o.AsyncDays, DefaultAsyncDays),
		pauseUntil:  map[string]time.Time{},
	}
	if o.AppSecret != "" && o.AccessToken != "" {
		c.proof = AppSecretProof(o.AccessToken, o.AppSecret)
	}
	c.rc = platformhttp.New(platformhttp.Options{
		Platform: "meta", HTTPClient: o.HTTPClient, Logger: o.Logger, Redact: c.redact, Retry: retry,
		CheckRetry: c.checkRetry, Backoff: backoff, ErrorHandler: errorHandler,
	})
	return c
}

// AppSecretProof returns the hex HMAC-SHA256 of token keyed by appSecret,
// Meta's appsecret_proof.
func AppSecretProof(token, appSecret string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// LastUsage returns the quota usage the latest response reported.
func (c *Client) LastUsage() Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usage
}

var secretParam = regexp.MustCompile(`(access_token|input_token|appsecret_proof)=[^&\s"']*`)

// redact removes the token, the app secret and the proof from s.
func (c *Client) redact(s string) string {
	if c.token != "" {
		s = strings.ReplaceAll(s, c.token, "REDACTED")
	}
	if c.appSecret != "" {
		s = strings.ReplaceAll(s, c.appSecret, "REDACTED")
	}
	if c.proof != "" {
		s = strings.ReplaceAll(s, c.proof, "REDACTED")
	}
	return secretParam.ReplaceAllString(s, "$1=REDACTED")
}

// checkRetry retries transport errors, transient Graph errors and 5xx, and
// throttles whose wait fits within RetryWaitMax; never auth, permission or
// invalid-request errors.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return true, nil
	}
	ge, ok := parseEnvelope(body)
	if ok && isReduceData(ge) {
		// Retrying the same page size fails the same way; the pager
		// halves it instead.
		return false, nil
	}
	kind, wait := classify(resp.StatusCode, ge, ok, resp.Header)
	switch kind {
	case ads.KindTransient:
		return true, nil
	case ads.KindRateLimited:
		return wait <= c.rc.RetryWaitMax, nil
	}
	return false, nil
}

// backoff waits what the usage headers ask for, else
// platformhttp.Backoff.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if ra := retryAfter(resp.Header); ra > 0 {
			return min(max(ra, minWait), maxWait)
		}
	}
	return platformhttp.Backoff(minWait, maxWait, attempt, resp)
}

// errorHandler returns the last response so its Graph error can be parsed,
// and transport or context errors as they are (callers redact them).
func errorHandler(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, err
	}
	if resp != nil {
		return resp, nil
	}
	return nil, err
}

// NearLimitPct is the usage percentage from which the client waits before
// the next call on that ad account, though Meta has not throttled yet.
const NearLimitPct = 95

// wait holds a call on account back while a throttle on that account (or
// its usage near the limit) asks to wait. A wait longer than RetryWaitMax
// is not slept through: it fails at once as KindRateLimited with the time
// left, so the job is retried later instead of holding its lease.
func (c *Client) wait(ctx context.Context, account, op string) error {
	c.mu.Lock()
	d := time.Until(c.pauseUntil[account])
	c.mu.Unlock()
	if d <= 0 {
		return nil
	}
	if d > c.rc.RetryWaitMax {
		return &ads.APIError{Platform: ads.Meta, Account: account, Op: op, Kind: ads.KindRateLimited, RetryAfter: d,
			Message: fmt.Sprintf("ad account paused for %s after Meta throttled it", d.Round(time.Second))}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// observe records the usage headers of a response on account. A healthy
// response pauses that account only when usage is near the limit
// (NearLimitPct) or Meta names a time to regain access; a throttle error
// (throttled) pauses it for the wait the error or its headers ask for.
// Other accounts are never held back.
func (c *Client) observe(account string, h http.Header, throttled bool, wait time.Duration) {
	u := ParseUsage(h)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.usage = u
	var pause time.Duration
	switch {
	case throttled:
		pause = max(wait, u.RegainIn)
	case u.RegainIn > 0:
		pause = u.RegainIn
	case u.MaxPct >= NearLimitPct:
		pause = c.rc.RetryWaitMin
	}
	if pause <= 0 {
		return
	}
	if until := time.Now().Add(pause); until.After(c.pauseUntil[account]) {
		c.pauseUntil[account] = until
	}
}

// call performs one Graph request (with retries) and decodes a 2xx JSON
// body into out. path is relative to the versioned base, e.g.
// "act_1/insights".
func (c *Client) call(ctx context.Context, method, account, path string, params url.Values, out any) error {
	return c.callAs(ctx, c.token, c.proof, method, account, path, params, out)
}

// callAs is call with another access token and its appsecret_proof (the
// app access token of DebugToken).
func (c *Client) callAs(ctx context.Context, token, proof, method, account, path string, params url.Values, out any) (err error) {
	ctx, tries := platformhttp.TrackTries(ctx)
	defer func() { err = platformhttp.NoteTries(err, tries) }()
	op := method + " " + path
	if err := c.wait(ctx, account, op); err != nil {
		var ae *ads.APIError
		if errors.As(err, &ae) {
			return err
		}
		return fmt.Errorf("calling meta %s: %w", op, err)
	}
	p := url.Values{}
	for k, vs := range params {
		p[k] = append([]string(nil), vs...)
	}
	if proof != "" {
		p.Set("appsecret_proof", proof)
	}
	u := c.base + "/" + strings.TrimLeft(path, "/")
	var req *retryablehttp.Request
	if method == http.MethodGet {
		if len(p) > 0 {
			u += "?" + p.Encode()
		}
		req, err = retryablehttp.NewRequestWithContext(ctx, method, u, nil)
	} else {
		req, err = retryablehttp.NewRequestWithContext(ctx, method, u, strings.NewReader(p.Encode()))
		if req != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		return fmt.Errorf("building meta %s request: %s", op, c.redact(err.Error()))
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")

	resp, err := c.rc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("calling meta %s: %w", op, ctx.Err())
		}
		msg := err.Error()
		var ue *url.Error
		if errors.As(err, &ue) {
			msg = ue.Err.Error()
		}
		return &ads.APIError{Platform: ads.Meta, Account: account, Op: op, Kind: ads.KindTransient, Message: c.redact(msg)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return &ads.APIError{Platform: ads.Meta, Account: account, Op: op, HTTPStatus: resp.StatusCode, Kind: ads.KindTransient,
			Message: c.redact("reading response: " + err.Error())}
	}
	ge, hasEnv := parseEnvelope(body)
	failed := resp.StatusCode/100 != 2 || hasEnv
	kind, wait := ads.ErrorKind(0), time.Duration(0)
	if failed {
		kind, wait = classify(resp.StatusCode, ge, hasEnv, resp.Header)
	}
	c.observe(account, resp.Header, failed && kind == ads.KindRateLimited, wait)
	if failed {
		e := &ads.APIError{
			Platform: ads.Meta, Account: account, Op: op, HTTPStatus: resp.StatusCode,
			Code: ge.Code, Subcode: ge.Subcode, TraceID: ge.TraceID, Kind: kind, RetryAfter: wait,
		}
		switch {
		case hasEnv:
			e.Message = c.redact(ge.Message)
			if ge.UserMsg != "" {
				e.Message += " (" + c.redact(ge.UserMsg) + ")"
			}
		default:
			e.Message = http.StatusText(resp.StatusCode)
		}
		if kind == ads.KindAuth {
			e.Message += " — the Meta access token is invalid or expired; issue a new system-user token (META_ACCESS_TOKEN)"
		}
		if kind == ads.KindPermission {
			e.Message += " — the token lacks a permission or role on this object"
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decoding meta %s response: %w", op, err)
	}
	return nil
}

// listPage is one page of a Graph list edge.
type listPage[T any] struct {
	Data   []T `json:"data"`
	Paging struct {
		Cursors struct {
			After string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

// MinPageSize is the smallest page the client asks for when Meta answers
// "Please reduce the amount of data you're asking for": it halves the page
// size and retries the page, down to this floor.
const MinPageSize = 10

// isReduceData reports whether a Graph error asks for smaller pages
// (HTTP 500, code 1, "Please reduce the amount of data you're asking
// for").
func isReduceData(ge graphError) bool {
	return ge.Code == 1 && strings.Contains(strings.ToLower(ge.Message), "reduce the amount of data")
}

// getAll reads every page of a list edge at the client's page size,
// advancing by the after cursor while the API reports a next page.
func getAll[T any](ctx context.Context, c *Client, account, path string, params url.Values) ([]T, error) {
	var out []T
	err := eachPage(ctx, c, account, path, params, func(page []T) error {
		out = append(out, page...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachPage is getAll handing each page to fn as it arrives, so a caller
// that converts rows holds one page of raw rows at a time. An error from
// fn stops the paging and is returned as is.
func eachPage[T any](ctx context.Context, c *Client, account, path string, params url.Values, fn func([]T) error) error {
	return eachPageOf(ctx, c, account, path, params, c.pageSize, fn)
}

// eachPageOf is eachPage starting at page size limit. When Meta answers
// that a page is too much data, the page is asked again at half the size
// (and the rest follow at that size), down to MinPageSize.
func eachPageOf[T any](ctx context.Context, c *Client, account, path string, params url.Values, limit int, fn func([]T) error) error {
	p := url.Values{}
	for k, vs := range params {
		p[k] = vs
	}
	p.Set("limit", strconv.Itoa(limit))
	seen := map[string]bool{}
	for {
		var pg listPage[T]
		if err := c.call(ctx, http.MethodGet, account, path, p, &pg); err != nil {
			var ae *ads.APIError
			if errors.As(err, &ae) && ae.Code == 1 && strings.Contains(strings.ToLower(ae.Message), "reduce the amount of data") && limit > MinPageSize {
				limit = max(limit/2, MinPageSize)
				c.log.Warn("meta: page too large; halving the page size", "account", account, "path", path, "limit", limit)
				p.Set("limit", strconv.Itoa(limit))
				continue
			}
			return err
		}
		if err := fn(pg.Data); err != nil {
			return err
		}
		if pg.Paging.Next == "" || len(pg.Data) == 0 {
			return nil
		}
		after := pg.Paging.Cursors.After
		if after == "" {
			if nu, err := url.Parse(pg.Paging.Next); err == nil {
				after = nu.Query().Get("after")
			}
		}
		if after == "" || seen[after] {
			return &ads.APIError{Platform: ads.Meta, Account: account, Op: "GET " + path, Kind: ads.KindUnknown,
				Message: "paging did not advance (no new after cursor)"}
		}
		seen[after] = true
		p.Set("after", after)
	}
}

// actID normalizes an ad account id to "act_<digits>".
func actID(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "act_") {
		return s
	}
	return "act_" + s
}
