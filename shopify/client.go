// Package shopify syncs a shop's orders from the Shopify Admin GraphQL API
// and receives Shopify order and refund webhooks. Short syncs page the
// orders connection (incremental by updated_at, cursor-paged, honouring
// calculated-query-cost throttling); backfills and long catch-ups use a
// bulk query operation instead (StartBulkOrders, WaitBulk, BulkOrdersFile:
// Shopify exports the orders to a JSONL file, streamed back without the
// cost limit); known orders are read again by id (OrdersByID, with
// nodes(ids:)). It speaks ads.Order and knows nothing of Postgres: the
// webhook receiver writes to an OrderSink the caller provides.
package shopify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/platformhttp"
)

// DefaultAPIVersion is the Admin API version roasd is written for and asks
// for unless Options.APIVersion says otherwise: the stable version of
// 2026-10-01, supported until 2027-10-16 15:00 UTC (Shopify's 2026-10
// release notes; the jobs' version calendar warns 30 days before).
// Nothing roasd reads changed from 2025-07 through 2026-10 (orders,
// MoneyBag totals, discountCodes, customerJourneySummary visits,
// bulkOperationRunQuery and node(id) on BulkOperation); 2026-01 made
// bulk queries ungrouped by default, which a query without nested
// connections does not notice.
const DefaultAPIVersion = "2026-10"

// MaxQueryCost is Shopify's single-query cost limit.
const MaxQueryCost = 1000

// orderNodeCost is the calculated cost of one node of ordersQuery: one point
// per object selected (the order, four MoneyBags with their shopMoney, the
// refunds list, the journey summary, two visits and their utmParameters).
const orderNodeCost = 15

// MaxPageSize is the largest page of ordersQuery that stays within
// MaxQueryCost (a connection costs 2 + first × node cost).
const MaxPageSize = (MaxQueryCost - 2) / orderNodeCost

// BulkExportCalls are the fewest calls of a bulk orders export before
// the pages of what changed since it began: start it, one read that
// finds it done (after its bulk_operations/finish webhook with
// Options.BulkFinish; polling an export of unknown length takes more),
// download its file.
const BulkExportCalls = 3

// throttleRetries bounds how many THROTTLED answers one call tolerates.
const throttleRetries = 8

// Options configures a Client.
type Options struct {
	// Shop is the shop's myshopify.com domain, e.g. "glowco.myshopify.com".
	Shop string
	// BaseURL overrides the API host (default https://{Shop}), e.g. the
	// sandbox's SHOPIFY_API_URL. A "{shop}" in it is replaced by Shop, so
	// one template addresses every shop
	// ("http://127.0.0.1:4000/shops/{shop}", as the sandbox serves them).
	BaseURL string
	// AccessToken is a static Admin API access token (SHOPIFY_ACCESS_TOKEN,
	// legacy custom apps). It is sent only in the X-Shopify-Access-Token
	// header and never appears in errors or logs.
	AccessToken string
	// ClientID and ClientSecret (SHOPIFY_CLIENT_ID, SHOPIFY_CLIENT_SECRET)
	// are a Dev Dashboard app's credentials, used when AccessToken is
	// empty: the client obtains a 24-hour access token with the OAuth
	// client-credentials grant, keeps it only in memory, renews it
	// TokenRenewBefore its expiry, and after a 401 renews it once and
	// repeats the call. Neither the secret nor a token is ever logged.
	ClientID, ClientSecret string
	// Now is the clock tokens expire on (default time.Now).
	Now func() time.Time
	// APIVersion defaults to DefaultAPIVersion.
	APIVersion string
	// VersionServed, when set, is called with the version asked for and
	// the one Shopify answered with (X-Shopify-API-Version) on every
	// answer where they differ: Shopify serves the oldest supported
	// version in place of one no longer supported. The client also logs
	// the first such answer as a warning.
	VersionServed func(requested, served string)
	// HTTPClient is the transport (default a pooled client with timeouts).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// RetryMax is how many times a transport error or 5xx is retried
	// (default 4; negative means never); RetryWaitMin/Max bound the jittered backoff (default
	// 500ms and 30s) and the wait after a THROTTLED answer.
	RetryMax     int
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// PageSize is the orders page size, at most MaxPageSize (the default).
	PageSize int
	// BulkPollMin and BulkPollMax bound WaitBulk's polling: the first
	// wait is BulkPollMin (default 250ms), each next one a quarter longer,
	// up to BulkPollMax (default 5s). A poll costs one query point.
	BulkPollMin, BulkPollMax time.Duration
	// BulkFinish, when set, says the daemon receives Shopify's
	// bulk_operations/finish webhooks and hands them over here (a
	// BulkFinishes shared with the receiver's BulkFinished): WaitBulk
	// then waits for the operation's webhook and reads it once, instead
	// of polling it from BulkPollMin. Against a lost webhook it still
	// polls, first after BulkSafetyPoll (default 30s), each next wait
	// twice the last, up to 5 minutes. Nil polls as described above.
	BulkFinish BulkWaiter
	// BulkSafetyPoll is the first safety-net poll's wait with BulkFinish.
	BulkSafetyPoll time.Duration
}

// Client reads one shop's orders. It is safe for concurrent use.
type Client struct {
	shop, base, endpoint string
	tok                  *tokens
	http                 *retryablehttp.Client
	log                  *slog.Logger
	pageSize             int
	waitMin, waitMax     time.Duration
	pollMin, pollMax     time.Duration
	// finish and safetyPoll: see Options.BulkFinish.
	finish     BulkWaiter
	safetyPoll time.Duration

	version       string // the Admin API version asked for
	versionServed func(requested, served string)
	servedOnce    sync.Once

	mu     sync.Mutex
	bucket throttleStatus // last reported cost bucket
	seenAt time.Time      // when bucket was reported
}

// ShopInfo is what the shop reports about itself.
type ShopInfo struct {
	Name     string
	Currency string
	// Timezone is the IANA zone name, e.g. "America/New_York".
	Timezone string
}

// ShopPlaceholder in Options.BaseURL stands for the shop's domain.
const ShopPlaceholder = "{shop}"

// ShopEnvKey is the environment variable of one shop's own secret (e.g.
// SHOPIFY_ACCESS_TOKEN_<SHOP>): prefix and the shop's name (its
// myshopify.com domain without the suffix) upper-cased, each character
// other than a letter or digit made '_' — glowco-eu.myshopify.com with
// prefix SHOPIFY_ACCESS_TOKEN_ is SHOPIFY_ACCESS_TOKEN_GLOWCO_EU.
func ShopEnvKey(prefix, shop string) string {
	name := strings.TrimSuffix(strings.ToLower(shop), ".myshopify.com")
	key := []byte(prefix)
	for _, c := range []byte(strings.ToUpper(name)) {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			c = '_'
		}
		key = append(key, c)
	}
	return string(key)
}

// defaultRetry is Shopify's retry budget for Options left zero.
var defaultRetry = platformhttp.Retry{Max: 4, WaitMin: 500 * time.Millisecond, WaitMax: 30 * time.Second}

// New returns a client for o.Shop.
func New(o Options) *Client {
	o.APIVersion = cmp.Or(o.APIVersion, DefaultAPIVersion)
	base := strings.TrimRight(strings.ReplaceAll(o.BaseURL, ShopPlaceholder, o.Shop), "/")
	base = cmp.Or(base, "https://"+o.Shop)
	o.Logger = cmp.Or(o.Logger, slog.New(slog.DiscardHandler))
	retry := platformhttp.Retry{Max: o.RetryMax, WaitMin: o.RetryWaitMin, WaitMax: o.RetryWaitMax}.Or(defaultRetry)
	pollMin := platformhttp.Positive(o.BulkPollMin, 250*time.Millisecond)
	pollMax := max(platformhttp.Positive(o.BulkPollMax, 5*time.Second), pollMin)
	if o.Now == nil {
		o.Now = time.Now
	}
	tok := &tokens{static: o.AccessToken, clientID: o.ClientID, clientSecret: o.ClientSecret, now: o.Now}
	rc := platformhttp.New(platformhttp.Options{
		Platform: "shopify", HTTPClient: o.HTTPClient, Logger: o.Logger, Redact: tok.redact, Retry: retry,
		CheckRetry: checkRetry,
	})
	return &Client{shop: o.Shop, base: base, endpoint: base + "/admin/api/" + o.APIVersion + "/graphql.json", tok: tok,
		http: rc, log: o.Logger, pageSize: platformhttp.AtMost(o.PageSize, MaxPageSize), waitMin: retry.WaitMin, waitMax: retry.WaitMax,
		pollMin: pollMin, pollMax: pollMax, finish: o.BulkFinish, safetyPoll: platformhttp.Positive(o.BulkSafetyPoll, bulkSafetyFirst),
		version: o.APIVersion, versionServed: o.VersionServed}
}

// APIVersion is the Admin API version the client asks for.
func (c *Client) APIVersion() string { return c.version }

// PageSize is how many orders one page of Orders and OrdersBetween asks
// for.
func (c *Client) PageSize() int { return c.pageSize }

// noteServed checks the version an answer was served with (its
// X-Shopify-API-Version header) against the one asked for.
func (c *Client) noteServed(served string) {
	if served == "" || served == c.version {
		return
	}
	c.servedOnce.Do(func() {
		c.log.Warn("shopify served another Admin API version than the one asked for (the asked-for version is no longer supported); roasd may misread the answers",
			"shop", c.shop, "requested", c.version, "served", served)
	})
	if c.versionServed != nil {
		c.versionServed(c.version, served)
	}
}

// checkRetry retries transport errors and 5xx (except 501); 429 and
// THROTTLED are handled by the cost-aware loop in do, everything else is
// final.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	return resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented, nil
}

// throttleStatus is extensions.cost.throttleStatus.
type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

type gqlResponse struct {
	Data       json.RawMessage `json:"data"`
	Errors     json.RawMessage `json:"errors"`
	Extensions struct {
		Cost *struct {
			RequestedQueryCost float64         `json:"requestedQueryCost"`
			ActualQueryCost    *float64        `json:"actualQueryCost"`
			ThrottleStatus     *throttleStatus `json:"throttleStatus"`
		} `json:"cost"`
	} `json:"extensions"`
}

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// errorsOf reads "errors", which Shopify sends as a list of GraphQL errors,
// a string, or an object of strings.
func errorsOf(raw json.RawMessage) []gqlError {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var list []gqlError
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []gqlError{{Message: s}}
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) == nil {
		var parts []string
		for k, v := range m {
			parts = append(parts, fmt.Sprintf("%s: %v", k, v))
		}
		return []gqlError{{Message: strings.Join(parts, "; ")}}
	}
	return []gqlError{{Message: string(raw)}}
}

func (c *Client) apiError(op string, status int, kind ads.ErrorKind, msg, trace string) *ads.APIError {
	msg = c.tok.redact(msg)
	return &ads.APIError{Platform: ads.Shopify, Account: c.shop, Op: op, HTTPStatus: status, Message: msg, TraceID: trace, Kind: kind}
}

func kindOfStatus(status int) ads.ErrorKind {
	switch {
	case status == http.StatusUnauthorized:
		return ads.KindAuth
	case status == http.StatusForbidden, status == http.StatusPaymentRequired, status == http.StatusLocked:
		return ads.KindPermission
	case status == http.StatusNotFound:
		return ads.KindNotFound
	case status == http.StatusTooManyRequests:
		return ads.KindRateLimited
	case status >= 500:
		return ads.KindTransient
	case status >= 400:
		return ads.KindInvalid
	}
	return ads.KindUnknown
}

func kindOfCode(code string) ads.ErrorKind {
	switch code {
	case "THROTTLED":
		return ads.KindRateLimited
	case "ACCESS_DENIED":
		return ads.KindPermission
	case "INTERNAL_SERVER_ERROR":
		return ads.KindTransient
	}
	return ads.KindInvalid
}

// observe records the bucket a response reported.
func (c *Client) observe(ts *throttleStatus) {
	if ts == nil {
		return
	}
	c.mu.Lock()
	c.bucket, c.seenAt = *ts, time.Now()
	c.mu.Unlock()
}

// waitFor is how long until the bucket holds cost points, from the last
// reported status (zero when unknown or already enough).
func (c *Client) waitFor(cost float64) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.bucket
	if b.RestoreRate <= 0 || c.seenAt.IsZero() {
		return 0
	}
	have := math.Min(b.MaximumAvailable, b.CurrentlyAvailable+time.Since(c.seenAt).Seconds()*b.RestoreRate)
	if have >= cost {
		return 0
	}
	return time.Duration((cost - have) / b.RestoreRate * float64(time.Second))
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// do runs one GraphQL query with variables and decodes data into out. It
// waits for the cost bucket before sending (when it knows the bucket) and
// after a THROTTLED answer, up to throttleRetries times; no single wait is
// longer than the RetryWaitMax option.
func (c *Client) do(ctx context.Context, op, query string, vars map[string]any, cost float64, out any) (err error) {
	ctx, tries := platformhttp.TrackTries(ctx)
	defer func() { err = platformhttp.NoteTries(err, tries) }()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("encoding %s query: %w", op, err)
	}
	for attempt := 0; ; attempt++ {
		if w := min(c.waitFor(cost), c.waitMax); w > 0 {
			c.log.Debug("waiting for shopify query cost budget", "shop", c.shop, "op", op, "wait", w)
			if err := sleep(ctx, w); err != nil {
				return err
			}
		}
		retryAfter, err := c.authorized(ctx, op, body, out)
		var ae *ads.APIError
		if err == nil || !errors.As(err, &ae) || ae.Kind != ads.KindRateLimited || attempt >= throttleRetries {
			return err
		}
		wait := max(retryAfter, c.waitFor(cost), c.waitMin)
		wait = min(wait, c.waitMax)
		c.log.Warn("shopify throttled the query", "shop", c.shop, "op", op, "attempt", attempt+1, "wait", wait)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// authorized sends one request with the access token; when the API
// refuses a token from the client-credentials grant (401: expired or
// revoked), it renews the token once and sends the request again.
func (c *Client) authorized(ctx context.Context, op string, body []byte, out any) (time.Duration, error) {
	tok, err := c.accessToken(ctx, "")
	if err != nil {
		return 0, err
	}
	wait, err := c.once(ctx, op, tok, body, out)
	var ae *ads.APIError
	if err == nil || !c.tok.renews() || !errors.As(err, &ae) || ae.HTTPStatus != http.StatusUnauthorized {
		return wait, err
	}
	c.log.Warn("shopify refused the access token; renewing it once", "shop", c.shop, "op", op)
	if tok, err = c.accessToken(ctx, tok); err != nil {
		return 0, err
	}
	return c.once(ctx, op, tok, body, out)
}

// once sends one request (retryablehttp retries transport errors and 5xx)
// and maps the answer; for a throttled answer it returns how long the
// server asked to wait, if it did.
func (c *Client) once(ctx context.Context, op, token string, body []byte, out any) (time.Duration, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, body)
	if err != nil {
		return 0, fmt.Errorf("building shopify %s request: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Shopify-Access-Token", token)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, c.apiError(op, 0, ads.KindTransient, err.Error(), "")
	}
	defer resp.Body.Close()
	c.noteServed(resp.Header.Get("X-Shopify-API-Version"))
	trace := resp.Header.Get("X-Request-Id")
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, c.apiError(op, resp.StatusCode, ads.KindTransient, "reading response: "+err.Error(), trace)
	}
	var retryAfter time.Duration
	if s, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64); err == nil && s > 0 {
		retryAfter = time.Duration(s * float64(time.Second))
	}
	var gr gqlResponse
	jsonErr := json.Unmarshal(raw, &gr)
	if gr.Extensions.Cost != nil {
		c.observe(gr.Extensions.Cost.ThrottleStatus)
	}
	if resp.StatusCode != http.StatusOK {
		msg := http.StatusText(resp.StatusCode)
		if es := errorsOf(gr.Errors); jsonErr == nil && len(es) > 0 {
			msg = es[0].Message
		}
		e := c.apiError(op, resp.StatusCode, kindOfStatus(resp.StatusCode), msg, trace)
		e.RetryAfter = retryAfter
		return retryAfter, e
	}
	if jsonErr != nil {
		return 0, c.apiError(op, resp.StatusCode, ads.KindTransient, "decoding response: "+jsonErr.Error(), trace)
	}
	if es := errorsOf(gr.Errors); len(es) > 0 {
		e := es[0]
		kind := kindOfCode(e.Extensions.Code)
		if strings.EqualFold(e.Message, "throttled") {
			kind = ads.KindRateLimited
		}
		ae := c.apiError(op, resp.StatusCode, kind, strings.TrimSpace(e.Message), trace)
		if kind == ads.KindRateLimited {
			ae.RetryAfter = max(retryAfter, c.waitFor(gr.requested()))
		}
		return ae.RetryAfter, ae
	}
	if err := json.Unmarshal(gr.Data, out); err != nil {
		return 0, c.apiError(op, resp.StatusCode, ads.KindUnknown, "decoding data: "+err.Error(), trace)
	}
	return 0, nil
}

func (g gqlResponse) requested() float64 {
	if g.Extensions.Cost == nil {
		return 0
	}
	return g.Extensions.Cost.RequestedQueryCost
}

const shopQuery = `query Shop { shop { name currencyCode ianaTimezone } }`

// Shop reads the shop's name, currency and time zone.
func (c *Client) Shop(ctx context.Context) (ShopInfo, error) {
	var d struct {
		Shop struct {
			Name         string `json:"name"`
			CurrencyCode string `json:"currencyCode"`
			IANATimezone string `json:"ianaTimezone"`
		} `json:"shop"`
	}
	if err := c.do(ctx, "shop", shopQuery, map[string]any{}, 1, &d); err != nil {
		return ShopInfo{}, fmt.Errorf("reading shop %s: %w", c.shop, err)
	}
	return ShopInfo{Name: d.Shop.Name, Currency: d.Shop.CurrencyCode, Timezone: d.Shop.IANATimezone}, nil
}

// orderFields is one order's selection, in paged and bulk queries alike
// (so a bulk JSONL line is an orderNode); orderNodeCost must match its
// object count.
const orderFields = `id name createdAt updatedAt cancelledAt currencyCode test discountCodes
      subtotalPriceSet { shopMoney { amount currencyCode } }
      totalDiscountsSet { shopMoney { amount currencyCode } }
      currentSubtotalPriceSet { shopMoney { amount currencyCode } }
      refundDiscrepancySet { shopMoney { amount currencyCode } }
      refunds { id }
      customerJourneySummary {
        ready
        firstVisit { landingPage utmParameters { source medium campaign content term } }
        lastVisit { landingPage utmParameters { source medium campaign content term } }
      }`

// ordersQuery pages through orders; arguments travel as variables.
const ordersQuery = `query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      ` + orderFields + `
    }
  }
}`

type moneyBag struct {
	ShopMoney struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	} `json:"shopMoney"`
}

type visit struct {
	LandingPage   string `json:"landingPage"`
	UTMParameters *struct {
		Source   string `json:"source"`
		Medium   string `json:"medium"`
		Campaign string `json:"campaign"`
		Content  string `json:"content"`
		Term     string `json:"term"`
	} `json:"utmParameters"`
}

// utm is the visit's UTM parameters, falling back to the landing page's
// query string when Shopify reported none.
func (v *visit) utm() (ads.UTM, string) {
	if v == nil {
		return ads.UTM{}, ""
	}
	if p := v.UTMParameters; p != nil {
		return ads.UTM{Source: p.Source, Medium: p.Medium, Campaign: p.Campaign, Content: p.Content, Term: p.Term}, v.LandingPage
	}
	return ads.ParseUTM(v.LandingPage), v.LandingPage
}

type orderNode struct {
	ID string `json:"id"`
	// ParentID is set on a bulk file's child lines (records of a nested
	// connection), never on an order.
	ParentID                string   `json:"__parentId"`
	Name                    string   `json:"name"`
	CreatedAt               string   `json:"createdAt"`
	UpdatedAt               string   `json:"updatedAt"`
	CancelledAt             *string  `json:"cancelledAt"`
	CurrencyCode            string   `json:"currencyCode"`
	Test                    bool     `json:"test"`
	DiscountCodes           []string `json:"discountCodes"`
	SubtotalPriceSet        moneyBag `json:"subtotalPriceSet"`
	TotalDiscountsSet       moneyBag `json:"totalDiscountsSet"`
	CurrentSubtotalPriceSet moneyBag `json:"currentSubtotalPriceSet"`
	RefundDiscrepancySet    moneyBag `json:"refundDiscrepancySet"`
	Refunds                 []struct {
		ID string `json:"id"`
	} `json:"refunds"`
	CustomerJourneySummary *struct {
		Ready      *bool  `json:"ready"`
		FirstVisit *visit `json:"firstVisit"`
		LastVisit  *visit `json:"lastVisit"`
	} `json:"customerJourneySummary"`
}

func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parsing %s %q: %w", field, s, err)
	}
	return t.UTC(), nil
}

func parseAmount(field, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	v, err := ads.ParseMicros(s)
	if err != nil {
		return 0, fmt.Errorf("parsing %s: %w", field, err)
	}
	return v, nil
}

// NetOf computes an order's net (product) revenue in micros: gross −
// discounts − refunded, never negative, and zero once cancelled; refunded
// must be the product part of the refunds (see ads.Order).
func NetOf(gross, discounts, refunded int64, cancelled bool) int64 {
	if cancelled {
		return 0
	}
	return max(0, gross-discounts-refunded)
}

// productRefunded is the product part of an order's refunds, in [0,
// subtotal]: the line items no longer in the current subtotal (refunded or
// removed, after their discounts) plus the refund discrepancy, which
// Shopify reports positive in the merchant's favour (less returned than
// the refunded lines, shipping and tax come to) and negative in the
// customer's (a custom amount returned on the goods).
func productRefunded(subtotal, current, discrepancy int64) int64 {
	return min(max(0, subtotal-current-discrepancy), max(subtotal, 0))
}

// order converts a GraphQL Order node, all in shop money. Gross is the
// merchandise subtotal before discounts (subtotalPriceSet +
// totalDiscountsSet); Refunded is the product part of the refunds,
// from currentSubtotalPriceSet and refundDiscrepancySet: totalRefundedSet
// would count refunded tax and shipping too.
func (n orderNode) order(shop string) (ads.Order, error) {
	o := ads.Order{Shop: shop, ID: n.ID, Name: n.Name, Currency: n.SubtotalPriceSet.ShopMoney.CurrencyCode, Test: n.Test}
	if o.Currency == "" {
		o.Currency = n.CurrencyCode
	}
	var err error
	if o.CreatedAt, err = parseTime("createdAt", n.CreatedAt); err != nil {
		return o, err
	}
	if o.UpdatedAt, err = parseTime("updatedAt", n.UpdatedAt); err != nil {
		return o, err
	}
	if n.CancelledAt != nil && *n.CancelledAt != "" {
		if o.CancelledAt, err = parseTime("cancelledAt", *n.CancelledAt); err != nil {
			return o, err
		}
	}
	sub, err := parseAmount("subtotalPriceSet", n.SubtotalPriceSet.ShopMoney.Amount)
	if err != nil {
		return o, err
	}
	if o.Discounts, err = parseAmount("totalDiscountsSet", n.TotalDiscountsSet.ShopMoney.Amount); err != nil {
		return o, err
	}
	current := sub
	if a := n.CurrentSubtotalPriceSet.ShopMoney.Amount; a != "" {
		if current, err = parseAmount("currentSubtotalPriceSet", a); err != nil {
			return o, err
		}
	}
	discrepancy, err := parseAmount("refundDiscrepancySet", n.RefundDiscrepancySet.ShopMoney.Amount)
	if err != nil {
		return o, err
	}
	o.Refunded = productRefunded(sub, current, discrepancy)
	o.Gross = sub + o.Discounts
	o.Net = NetOf(o.Gross, o.Discounts, o.Refunded, o.Cancelled())
	for _, r := range n.Refunds {
		o.RefundIDs = append(o.RefundIDs, r.ID)
	}
	if len(n.DiscountCodes) > 0 {
		o.DiscountCodes = append([]string(nil), n.DiscountCodes...)
	}
	if j := n.CustomerJourneySummary; j != nil {
		o.UTM, o.LandingPage = j.LastVisit.utm()
		o.FirstUTM, o.FirstLandingPage = j.FirstVisit.utm()
		o.JourneyPending = j.Ready != nil && !*j.Ready
	}
	return o, nil
}

// UpdatedFilter is the orders search filter for orders updated at or after
// t (whole seconds, rounded down so nothing is skipped).
func UpdatedFilter(t time.Time) string {
	return fmt.Sprintf("updated_at:>='%s'", t.UTC().Truncate(time.Second).Format(time.RFC3339))
}

// Orders streams every order updated at or after updatedSince (all orders
// when zero), oldest update first, to fn one page at a time, and returns the
// newest updatedAt seen (zero when there was none). Pages are as large as
// the query cost limit allows; the client waits for the cost bucket instead
// of failing when Shopify throttles. The caller stores each page and keeps
// highWater as the next cursor, re-reading an overlap before it. An error
// from fn stops the sync and is returned as is.
func (c *Client) Orders(ctx context.Context, updatedSince time.Time, fn func([]ads.Order) error) (highWater time.Time, err error) {
	return c.OrdersBetween(ctx, updatedSince, time.Time{}, fn)
}

// OrdersBetween is Orders limited to orders updated before until (no upper
// bound when zero). A backfill splits its range into windows with it, so
// each window is a bounded query that can be retried or resumed on its own.
func (c *Client) OrdersBetween(ctx context.Context, updatedSince, until time.Time, fn func([]ads.Order) error) (highWater time.Time, err error) {
	vars := map[string]any{"first": c.pageSize}
	var terms []string
	if !updatedSince.IsZero() {
		terms = append(terms, UpdatedFilter(updatedSince))
	}
	if !until.IsZero() {
		// Rounded up to whole seconds so the next window's ">=" meets it.
		terms = append(terms, fmt.Sprintf("updated_at:<'%s'", until.UTC().Add(time.Second-1).Truncate(time.Second).Format(time.RFC3339)))
	}
	if len(terms) > 0 {
		vars["query"] = strings.Join(terms, " ")
	}
	cost := float64(2 + c.pageSize*orderNodeCost)
	for page := 1; ; page++ {
		var d struct {
			Orders struct {
				PageInfo struct {
					HasNextPage bool    `json:"hasNextPage"`
					EndCursor   *string `json:"endCursor"`
				} `json:"pageInfo"`
				Nodes []orderNode `json:"nodes"`
			} `json:"orders"`
		}
		if err := c.do(ctx, "orders", ordersQuery, vars, cost, &d); err != nil {
			return highWater, fmt.Errorf("reading orders page %d of %s: %w", page, c.shop, err)
		}
		batch := make([]ads.Order, 0, len(d.Orders.Nodes))
		for _, n := range d.Orders.Nodes {
			o, err := n.order(c.shop)
			if err != nil {
				return highWater, fmt.Errorf("reading order %s of %s: %w", n.ID, c.shop, err)
			}
			batch = append(batch, o)
		}
		if len(batch) > 0 {
			if err := fn(batch); err != nil {
				return highWater, err
			}
			for _, o := range batch {
				if o.UpdatedAt.After(highWater) {
					highWater = o.UpdatedAt
				}
			}
		}
		end := d.Orders.PageInfo.EndCursor
		if !d.Orders.PageInfo.HasNextPage || end == nil || *end == "" {
			return highWater, nil
		}
		vars["after"] = *end
	}
}

// MaxIDsPerQuery is how many orders OrdersByID reads in one query: the
// most whose calculated cost (orderNodeCost each, one per id of
// nodes(ids:)) stays within MaxQueryCost, and never more than the 250
// items Shopify accepts in an input array.
const MaxIDsPerQuery = min(250, MaxQueryCost/orderNodeCost)

// ordersByIDQuery reads orders by global id, with the selection of the
// order sync.
const ordersByIDQuery = `query OrdersByID($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Order {
      ` + orderFields + `
    }
  }
}`

// OrdersByID reads the orders with the given global ids
// ("gid://shopify/Order/…", as ads.Order.ID) with nodes(ids:), at most
// MaxIDsPerQuery per query, decoded as the order sync decodes them, and
// passes each query's orders to fn. It returns the ids Shopify answered
// null for: deleted orders, or orders the app can no longer see. An
// error from fn stops the read and is returned as is.
func (c *Client) OrdersByID(ctx context.Context, ids []string, fn func([]ads.Order) error) (missing []string, err error) {
	for lo := 0; lo < len(ids); lo += MaxIDsPerQuery {
		chunk := ids[lo:min(lo+MaxIDsPerQuery, len(ids))]
		var d struct {
			Nodes []*orderNode `json:"nodes"`
		}
		if err := c.do(ctx, "orders-by-id", ordersByIDQuery, map[string]any{"ids": chunk}, float64(len(chunk)*orderNodeCost), &d); err != nil {
			return missing, fmt.Errorf("reading %d orders of %s by id: %w", len(chunk), c.shop, err)
		}
		if len(d.Nodes) != len(chunk) {
			return missing, c.apiError("orders-by-id", http.StatusOK, ads.KindUnknown,
				fmt.Sprintf("asked for %d orders by id, got %d nodes", len(chunk), len(d.Nodes)), "")
		}
		batch := make([]ads.Order, 0, len(chunk))
		for i, n := range d.Nodes {
			if n == nil || n.ID == "" {
				missing = append(missing, chunk[i])
				continue
			}
			o, err := n.order(c.shop)
			if err != nil {
				return missing, fmt.Errorf("reading order %s of %s: %w", n.ID, c.shop, err)
			}
			batch = append(batch, o)
		}
		if len(batch) > 0 {
			if err := fn(batch); err != nil {
				return missing, err
			}
		}
	}
	return missing, nil
}
