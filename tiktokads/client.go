package tiktokads

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/platformhttp"
)

// DefaultBaseURL is the production API host.
const DefaultBaseURL = "https://business-api.tiktok.com"

// APIPrefix is the path prefix of every Marketing API v1.3 endpoint.
const APIPrefix = "/open_api/v1.3"

// Limits of the API the client works within.
const (
	// MaxPageSize is the largest page_size of /ad/get/, /adgroup/get/ and
	// /report/integrated/get/.
	MaxPageSize = 1000
	// MaxSparkPageSize is the largest page_size of /tt_video/list/.
	MaxSparkPageSize = 50
	// MaxReportDays is the longest date range of one report request with
	// the stat_time_day dimension; longer ranges are split.
	MaxReportDays = 30
	// maxPages stops a paging loop whose page_info never ends.
	maxPages = 10_000
)

// Options configure a Client. Only AccessToken is required.
type Options struct {
	// BaseURL is the API host (default DefaultBaseURL); a trailing
	// /open_api/v1.3 is accepted. Set it from TIKTOK_API_URL to use a fake.
	BaseURL string
	// AccessToken is sent as the Access-Token header and never logged.
	AccessToken string
	// HTTPClient, when set, is the transport retryablehttp uses (e.g. one
	// that counts calls); default a client with a 2-minute timeout.
	HTTPClient *http.Client
	// Logger receives debug lines per request and retry (default discard).
	Logger *slog.Logger
	// RetryMax is how many times a rate-limited or failed call is retried
	// (default 4; negative means never).
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the jittered exponential backoff
	// (default 1s and 1m).
	RetryWaitMin, RetryWaitMax time.Duration
	// PageSize is the page size of list and report calls (default and
	// maximum 1000; Spark post lists use at most 50).
	PageSize int
	// Now is the clock that decides whether a Spark authorization has
	// expired (default time.Now).
	Now func() time.Time
	// Pacer, when set, is waited on before every request, retries
	// included. TikTok's request quota is per developer app, shared by
	// every advertiser (tiktok-api.md §6): give all clients of the app one
	// pacer so concurrent advertiser lanes stay under it together.
	Pacer Pacer
}

// Pacer spaces requests; Wait returns when the next one may go, or
// ctx's error.
type Pacer interface {
	Wait(ctx context.Context) error
}

// pacedTransport waits on a Pacer before each round trip.
type pacedTransport struct {
	next  http.RoundTripper
	pacer Pacer
}

// RoundTrip implements http.RoundTripper.
func (t pacedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.pacer.Wait(r.Context()); err != nil {
		return nil, err
	}
	return t.next.RoundTrip(r)
}

// Client calls the TikTok Marketing API. It is safe for concurrent use.
type Client struct {
	base     string
	token    string
	log      *slog.Logger
	rc       *retryablehttp.Client
	pageSize int
	now      func() time.Time

	mu       sync.Mutex
	accounts map[string]AccountInfo
}

// AccountInfo is an advertiser's name, currency and reporting time zone.
type AccountInfo struct {
	ID       string
	Name     string
	Currency string
	// Timezone is the zone the advertiser's report days (and budget
	// midnights) are in: /advertiser/info/'s timezone, a fixed UTC offset
	// such as "Etc/GMT+8" (TikTok accounts keep no daylight saving time).
	Timezone string
	// DisplayTimezone is the region the advertiser picked, e.g.
	// "America/Los_Angeles", for display only.
	DisplayTimezone string
}

// defaultRetry is TikTok's retry budget for Options left zero.
var defaultRetry = platformhttp.Retry{Max: 4, WaitMin: time.Second, WaitMax: time.Minute}

// New returns a client configured by o.
func New(o Options) *Client {
	base := strings.TrimRight(o.BaseURL, "/")
	base = strings.TrimSuffix(cmp.Or(base, DefaultBaseURL), APIPrefix)
	c := &Client{
		base:     base,
		token:    o.AccessToken,
		log:      cmp.Or(o.Logger, slog.New(slog.DiscardHandler)),
		pageSize: platformhttp.AtMost(o.PageSize, MaxPageSize),
		now:      o.Now,
		accounts: map[string]AccountInfo{},
	}
	if c.now == nil {
		c.now = time.Now
	}
	hc := platformhttp.HTTPClient(o.HTTPClient, 2*time.Minute)
	if o.Pacer != nil {
		paced := *hc
		next := paced.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		paced.Transport = pacedTransport{next: next, pacer: o.Pacer}
		hc = &paced
	}
	c.rc = platformhttp.New(platformhttp.Options{
		Platform: "tiktok", HTTPClient: hc, Logger: c.log, Redact: c.redact,
		Retry:      platformhttp.Retry{Max: o.RetryMax, WaitMin: o.RetryWaitMin, WaitMax: o.RetryWaitMax}.Or(defaultRetry),
		CheckRetry: checkRetry,
	})
	return c
}

// redact removes the access token from s.
func (c *Client) redact(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[REDACTED]")
}

// envelope is the wrapper of every TikTok answer.
type envelope struct {
	Code      flexInt         `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
}

// peek reads the envelope code and message of a body, if it has one.
func peek(body []byte) (envelope, bool) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return envelope{}, false
	}
	return env, env.RequestID != "" || env.Code != 0 || env.Message != ""
}

// checkRetry retries transport errors, HTTP 429/5xx, and HTTP 200 answers
// whose code is a rate limit or a transient server error. The body it
// reads is put back for the caller.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil || resp == nil {
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode == http.StatusTooManyRequests ||
			(resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented), nil
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return true, nil
	}
	env, ok := peek(body)
	if !ok || env.Code == 0 {
		return false, nil
	}
	k := Classify(int(env.Code), resp.StatusCode, env.Message)
	return k == ads.KindRateLimited || k == ads.KindTransient, nil
}

// call performs one API call (with retries) and decodes data into out.
// GET parameters go in q; POST sends body as JSON.
func (c *Client) call(ctx context.Context, method, path, advertiser string, q url.Values, body any, out any) (err error) {
	ctx, tries := platformhttp.TrackTries(ctx)
	defer func() { err = platformhttp.NoteTries(err, tries) }()
	op := method + " " + APIPrefix + path
	u := c.base + APIPrefix + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var raw any
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encoding %s request: %w", op, err)
		}
		raw = b
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u, raw)
	if err != nil {
		return fmt.Errorf("building %s request: %w", op, err)
	}
	req.Header.Set("Access-Token", c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	apiErr := func(status, code int, msg, trace string, kind ads.ErrorKind) *ads.APIError {
		return &ads.APIError{Platform: ads.TikTok, Account: advertiser, Op: op, HTTPStatus: status,
			Code: code, Message: c.redact(msg), TraceID: trace, Kind: kind}
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("calling tiktok %s for advertiser %s: %w", op, advertiser, ctx.Err())
		}
		return apiErr(0, 0, err.Error(), "", ads.KindTransient)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("reading tiktok %s for advertiser %s: %w", op, advertiser, ctx.Err())
		}
		return apiErr(resp.StatusCode, 0, "reading response: "+err.Error(), "", ads.KindTransient)
	}
	env, ok := peek(data)
	if th := resp.Header.Get("X-Tt-Ads-Throttle"); th != "" {
		c.log.Warn("tiktok: answer truncated by the synchronous report cap; split the request by campaign",
			"op", op, "advertiser", advertiser, "throttle", c.redact(th))
	}
	trace := env.RequestID
	if trace == "" {
		trace = resp.Header.Get("X-Tt-Logid")
	}
	if resp.StatusCode != http.StatusOK {
		msg := env.Message
		if !ok {
			msg = strings.TrimSpace(string(data[:min(len(data), 200)]))
		}
		return apiErr(resp.StatusCode, int(env.Code), msg, trace, Classify(int(env.Code), resp.StatusCode, msg))
	}
	if !ok {
		return apiErr(resp.StatusCode, 0, "answer is not a TikTok envelope", trace, ads.KindUnknown)
	}
	if code := int(env.Code); code != 0 && code != 20001 {
		return apiErr(resp.StatusCode, code, env.Message, trace, Classify(code, resp.StatusCode, env.Message))
	}
	if out == nil || len(env.Data) == 0 || string(env.Data) == "null" {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return apiErr(resp.StatusCode, 0, "decoding data: "+err.Error(), trace, ads.KindUnknown)
	}
	return nil
}

// pageInfo is TikTok's page_info.
type pageInfo struct {
	Page        flexInt `json:"page"`
	PageSize    flexInt `json:"page_size"`
	TotalNumber flexInt `json:"total_number"`
	TotalPage   flexInt `json:"total_page"`
}

// pages GETs every page of a list endpoint at page size size, handing each
// decoded item to fn.
func pages[T any](ctx context.Context, c *Client, path, advertiser string, q url.Values, size int, fn func(T) error) error {
	for page := 1; ; page++ {
		q.Set("page", strconv.Itoa(page))
		q.Set("page_size", strconv.Itoa(size))
		var d struct {
			List     []T      `json:"list"`
			PageInfo pageInfo `json:"page_info"`
		}
		if err := c.call(ctx, http.MethodGet, path, advertiser, q, nil, &d); err != nil {
			return err
		}
		for _, it := range d.List {
			if err := fn(it); err != nil {
				return err
			}
		}
		if len(d.List) == 0 || page >= int(d.PageInfo.TotalPage) {
			return nil
		}
		if page >= maxPages {
			return fmt.Errorf("paging tiktok %s for advertiser %s: more than %d pages", path, advertiser, maxPages)
		}
	}
}

// Advertiser reads an advertiser's name, currency and time zone
// (GET /advertiser/info/), and remembers them for reports and budgets.
func (c *Client) Advertiser(ctx context.Context, advertiserID string) (AccountInfo, error) {
	q := url.Values{}
	q.Set("advertiser_ids", jsonParam([]string{advertiserID}))
	q.Set("fields", jsonParam([]string{"advertiser_id", "name", "currency", "timezone", "display_timezone"}))
	var d struct {
		List []struct {
			AdvertiserID    flexString `json:"advertiser_id"`
			Name            string     `json:"name"`
			Currency        string     `json:"currency"`
			Timezone        string     `json:"timezone"`
			DisplayTimezone string     `json:"display_timezone"`
		} `json:"list"`
	}
	if err := c.call(ctx, http.MethodGet, "/advertiser/info/", advertiserID, q, nil, &d); err != nil {
		return AccountInfo{}, err
	}
	for _, a := range d.List {
		if string(a.AdvertiserID) != advertiserID {
			continue
		}
		// Reports bucket days in timezone, not display_timezone: TikTok
		// Ads Manager has no daylight saving time, so an account created
		// in California is at UTC−8 all year ("Etc/GMT+8") while its
		// display_timezone says America/Los_Angeles
		// (ads.tiktok.com/help/article/time-zone).
		tz := a.Timezone
		if _, err := time.LoadLocation(tz); err != nil || tz == "" {
			tz = a.DisplayTimezone
		}
		info := AccountInfo{ID: advertiserID, Name: a.Name, Currency: strings.ToUpper(a.Currency), Timezone: tz, DisplayTimezone: a.DisplayTimezone}
		c.mu.Lock()
		c.accounts[advertiserID] = info
		c.mu.Unlock()
		return info, nil
	}
	return AccountInfo{}, &ads.APIError{Platform: ads.TikTok, Account: advertiserID, Op: "GET " + APIPrefix + "/advertiser/info/",
		Kind: ads.KindNotFound, Message: "advertiser not in the answer"}
}

// account returns the remembered advertiser info, reading it once.
func (c *Client) account(ctx context.Context, advertiserID string) (AccountInfo, error) {
	c.mu.Lock()
	info, ok := c.accounts[advertiserID]
	c.mu.Unlock()
	if ok {
		return info, nil
	}
	return c.Advertiser(ctx, advertiserID)
}

// IsRetryable reports whether err is a TikTok API error that may succeed
// when tried again later (rate limit or transient server error).
func IsRetryable(err error) bool {
	var ae *ads.APIError
	return errors.As(err, &ae) && ae.Retryable()
}
