// Package shopifyfake is a faithful fake of the slice of the Shopify Admin
// GraphQL API roasd uses: the shop query, the orders connection (cursor
// paging, the updated_at search filter, sortKey UPDATED_AT) and orders by
// global id (nodes(ids:), at most 250 ids, null for another shop's) with
// calculated-query-cost throttling (extensions.cost.throttleStatus and
// THROTTLED errors); bulk query operations (bulkOperationRunQuery with its
// userErrors, one running query at a time, polling with node(id:) or
// currentBulkOperation, the JSONL result rendered in the background and
// served at a signed URL that needs no access token); plus signed order and
// refund webhooks, one delivery per subscription (SetSubscriptions,
// Deliveries, Post). Orders carry tax, shipping and a presentment currency,
// refunds their line items, shipping, tax and discrepancy, as Shopify
// reports them. GraphQL answers carry exactly the selected fields, under
// their aliases (bulk result lines are not cut down). It is written from
// Shopify's documented JSON shapes, not from roasd's client, and is served
// by `roasd sandbox`.
//
// Orders are kept in an index sorted by (updatedAt, id), rebuilt when they
// change, so a page or a bulk snapshot costs a binary search, not a scan:
// one fake serves a million orders.
//
// A Server is an http.Handler seeded from Go values, safe for concurrent
// use, with fault-injection knobs (FailNext, Latency, SetAvailable,
// FailBulk, ExpireBulk, Seed.BulkDelay) and a record of calls (Calls).
// Close removes its bulk result files. Shops serves several shops' fakes
// behind one base URL (/shops/{domain}/…), each with its own orders,
// tokens, webhooks, bulk operations and cost bucket.
//
// Files: fake.go (the server, its seed and knobs, the one request prologue
// — token, version, cost bucket, faults, recording — and the shop query),
// orders.go (the orders connection: search filter, cursors, paging),
// nodes.go (objects by global id),
// render.go (an order as the API renders it), project.go (answers cut to
// the selection), bulk.go, webhook.go, oauth.go, schema.go, version.go,
// shops.go.
package shopifyfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/roasd/roasd/ads"
)

// Shop is the shop the fake serves.
type Shop struct {
	Name string
	// Domain is the myshopify.com domain, e.g. "glowco.myshopify.com".
	Domain string
	// Currency is the shop currency (ISO 4217).
	Currency string
	// Timezone is the IANA time zone, e.g. "America/New_York".
	Timezone string
}

// Visit is one storefront session of a customer journey.
type Visit struct {
	LandingPage string
	OccurredAt  time.Time
	// UTM parameters of the session; all empty means utmParameters is null.
	Source, Medium, Campaign, Content, Term string
}

// Refund is money returned on an order. Amounts are decimal strings in the
// shop currency.
type Refund struct {
	ID        string
	CreatedAt time.Time
	// LineItems is the refunded merchandise's subtotal (after discounts,
	// before tax) and LineItemsTax its tax; Shipping and ShippingTax are
	// the refunded shipping and its tax.
	LineItems, LineItemsTax, Shipping, ShippingTax string
	// Amount is the money returned (the refund's transactions). Empty
	// means the sum of the parts above. A difference from that sum is a
	// refund discrepancy, which Shopify records as an order adjustment:
	// a refund of an Amount alone is a custom amount refunded without
	// line items.
	Amount string
}

// Order is a seeded order. Amounts are decimal strings in the shop
// currency.
type Order struct {
	// ID is the numeric order id, e.g. "1001"; its GID is
	// gid://shopify/Order/ID.
	ID          string
	Name        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CancelledAt time.Time
	// LineItems is the merchandise total before discounts
	// (total_line_items_price); Discounts the discount total.
	LineItems     string
	Discounts     string
	DiscountCodes []string
	// Tax is the order's total tax and Shipping its shipping charge
	// (before tax); both are part of the total price, not the subtotal.
	Tax, Shipping string
	// PresentmentCurrency is the currency the customer paid in when it is
	// not the shop's; PresentmentRate (a decimal, default 1) converts shop
	// money into it. Transactions are in the presentment currency.
	PresentmentCurrency, PresentmentRate string
	Refunds                              []Refund
	// FirstVisit and LastVisit make up customerJourneySummary; both nil
	// means the journey is null (e.g. an order created in the admin).
	FirstVisit, LastVisit *Visit
	// JourneyReadyAt is when Shopify finishes the customer journey: before
	// it, customerJourneySummary says ready: false and has no visits
	// (zero: ready from the start).
	JourneyReadyAt time.Time
	Test           bool
}

// Seed is the fake's initial state.
type Seed struct {
	Shop Shop
	// AccessToken is a static X-Shopify-Access-Token the fake accepts (a
	// legacy custom app's); empty with no ClientID accepts any non-empty
	// token.
	AccessToken string
	// ClientID and ClientSecret make the fake a shop with a Dev Dashboard
	// app installed: POST /admin/oauth/access_token with these and
	// grant_type=client_credentials issues an access token that expires
	// TokenTTL later on the fake's clock (default 24h, announced as
	// expires_in 86399); an expired or unknown token is answered 401.
	ClientID, ClientSecret string
	TokenTTL               time.Duration
	Orders                 []Order
	// MaximumAvailable and RestoreRate shape the cost bucket (defaults 2000
	// points and 100 points/second).
	MaximumAvailable float64
	RestoreRate      float64
	// Now is the clock (default time.Now).
	Now func() time.Time
	// BulkDelay is how long a bulk operation stays RUNNING after its file
	// is written, before it completes (default none), so clients can be
	// seen polling and resuming.
	BulkDelay time.Duration
}

// Call is one request the fake handled (or one webhook it sent).
type Call struct {
	At time.Time
	// Op is "orders", "nodes" (nodes(ids:)), "shop", "bulk"
	// (bulkOperationRunQuery), "bulk-poll"
	// (node or currentBulkOperation), "bulk-download" (a result file),
	// "unknown" or "webhook <topic>".
	Op string
	// Variables are the GraphQL variables as sent.
	Variables map[string]any
	// Status is the HTTP status returned (or received, for webhooks).
	Status int
	// Throttled reports whether the call was answered with THROTTLED.
	Throttled bool
	// RequestedCost is the calculated query cost.
	RequestedCost int
}

// Server is the fake Shopify Admin API; its zero value is not usable, call
// New.
type Server struct {
	mu        sync.Mutex
	shop      Shop
	token     string
	creds     oauthApp
	orders    map[string]*Order
	max, rate float64
	available float64
	refilled  time.Time
	now       func() time.Time
	failN     int
	failCode  int
	latency   time.Duration
	calls     []Call
	client    *http.Client
	// index is the orders sorted by (updatedAt, id); nil when an order
	// changed since it was built (see sorted).
	index []entry
	bulk  bulkState
	// subscriptions is how many deliveries each webhook event gets.
	subscriptions int
	// hooks are the subscriptions the fake delivers to on its own
	// (Subscribe); hookRetry is the wait before a failed delivery's first
	// retry.
	hooks     []Subscription
	hookRetry time.Duration
	// mount is the path the fake is served under ("" at the root,
	// "/shops/{domain}" behind Shops), for the URLs it hands out.
	mount string
}

// MaxQueryCost is the single-query cost limit; a query asking for more is
// refused with MAX_COST_EXCEEDED.
const MaxQueryCost = 1000

// MaxPageSize is the largest `first` a connection accepts.
const MaxPageSize = 250

// New returns a fake seeded with seed. It panics on malformed decimal
// amounts in seed (they are Go literals).
func New(seed Seed) *Server {
	s := &Server{shop: seed.Shop, token: seed.AccessToken, orders: map[string]*Order{},
		creds: oauthApp{id: seed.ClientID, secret: seed.ClientSecret, ttl: seed.TokenTTL, issued: map[string]time.Time{}},
		max:   seed.MaximumAvailable, rate: seed.RestoreRate, now: seed.Now, client: &http.Client{Timeout: 10 * time.Second}}
	if s.max <= 0 {
		s.max = 2000
	}
	if s.rate <= 0 {
		s.rate = 100
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.shop.Currency == "" {
		s.shop.Currency = "USD"
	}
	s.available, s.refilled = s.max, s.now()
	s.bulk.delay = seed.BulkDelay
	for _, o := range seed.Orders {
		if err := s.UpsertOrder(o); err != nil {
			panic(fmt.Sprintf("shopifyfake: seed order %s: %v", o.ID, err))
		}
	}
	s.sorted() // index the seed now rather than on the first query
	return s
}

func checkAmount(s string) error {
	if s == "" {
		return nil
	}
	_, err := ads.ParseMicros(s)
	return err
}

func micros(s string) int64 {
	v, _ := ads.ParseMicros(s) // validated on the way in
	return v
}

// numericID accepts "1001" or "gid://shopify/Order/1001".
func numericID(id string) string { return strings.TrimPrefix(id, "gid://shopify/Order/") }

// UpsertOrder adds or replaces an order (a zero UpdatedAt becomes now, a
// zero CreatedAt becomes UpdatedAt).
func (s *Server) UpsertOrder(o Order) error {
	o.ID = numericID(o.ID)
	if o.ID == "" {
		return errors.New("order id is required")
	}
	for _, a := range []string{o.LineItems, o.Discounts, o.Tax, o.Shipping, o.PresentmentRate} {
		if err := checkAmount(a); err != nil {
			return err
		}
	}
	for _, r := range o.Refunds {
		if err := checkRefund(r); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.UpdatedAt.IsZero() {
		o.UpdatedAt = s.now()
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = o.UpdatedAt
	}
	if o.Name == "" {
		o.Name = "#" + o.ID
	}
	o.DiscountCodes = append([]string(nil), o.DiscountCodes...)
	o.Refunds = append([]Refund(nil), o.Refunds...)
	s.orders[o.ID] = &o
	s.index = nil
	return nil
}

// Order returns a copy of a stored order.
func (s *Server) Order(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[numericID(id)]
	if !ok {
		return Order{}, false
	}
	return *o, true
}

// Delete deletes an order (as orderDelete does): reads no longer return
// it, nodes(ids:) answers null for its id.
func (s *Server) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orders[numericID(id)]; !ok {
		return fmt.Errorf("order %s not found", id)
	}
	delete(s.orders, numericID(id))
	s.index = nil
	return nil
}

// Cancel cancels an order at `at` (now when zero), bumping its updatedAt.
func (s *Server) Cancel(id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[numericID(id)]
	if !ok {
		return fmt.Errorf("order %s not found", id)
	}
	if at.IsZero() {
		at = s.now()
	}
	// Stored orders are replaced, never changed in place: a bulk
	// operation renders its snapshot without the lock.
	c := *o
	c.CancelledAt, c.UpdatedAt = at, at
	s.orders[c.ID], s.index = &c, nil
	return nil
}

// Refund records a refund of amount (a decimal string) on an order at `at`
// (now when zero), bumping its updatedAt, and returns the refund id. It is
// a custom amount refunded without line items; RefundItems refunds line
// items, shipping and tax.
func (s *Server) Refund(id, amount string, at time.Time) (string, error) {
	if err := checkAmount(amount); err != nil || amount == "" {
		return "", fmt.Errorf("refund amount %q: want a decimal", amount)
	}
	return s.RefundItems(id, Refund{CreatedAt: at, Amount: amount})
}

// RefundItems records refund r on an order (its ID is assigned, a zero
// CreatedAt becomes now), bumping the order's updatedAt, and returns the
// refund id.
func (s *Server) RefundItems(id string, r Refund) (string, error) {
	if err := checkRefund(r); err != nil {
		return "", err
	}
	if refundTotal(r) <= 0 {
		return "", errors.New("refund of nothing")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[numericID(id)]
	if !ok {
		return "", fmt.Errorf("order %s not found", id)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now()
	}
	r.ID = fmt.Sprintf("%s%02d", o.ID, len(o.Refunds)+1)
	c := *o
	c.Refunds = append(slices.Clip(o.Refunds), r)
	c.UpdatedAt = r.CreatedAt
	s.orders[c.ID], s.index = &c, nil
	return r.ID, nil
}

func checkRefund(r Refund) error {
	for _, a := range []string{r.Amount, r.LineItems, r.LineItemsTax, r.Shipping, r.ShippingTax} {
		if err := checkAmount(a); err != nil {
			return fmt.Errorf("refund amount %q: want a decimal", a)
		}
	}
	return nil
}

// refundParts is what a refund's line items, shipping and their tax
// come to (micros).
func refundParts(r Refund) int64 {
	return micros(r.LineItems) + micros(r.LineItemsTax) + micros(r.Shipping) + micros(r.ShippingTax)
}

// refundTotal is the money a refund returns (micros).
func refundTotal(r Refund) int64 {
	if r.Amount != "" {
		return micros(r.Amount)
	}
	return refundParts(r)
}

// refundDiscrepancy is the order adjustment Shopify records for a refund:
// what its parts come to minus what was returned (positive in the
// merchant's favour, negative in the customer's).
func refundDiscrepancy(r Refund) int64 { return refundParts(r) - refundTotal(r) }

// FailNext makes the next n GraphQL requests fail with HTTP status.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, status
}

// Latency delays every response by d.
func (s *Server) Latency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetAvailable sets the points currently in the cost bucket (e.g. 0 to
// force the next query to be throttled).
func (s *Server) SetAvailable(points float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.available, s.refilled = min(points, s.max), s.now()
}

// Calls returns a copy of the calls handled so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

var graphqlPath = regexp.MustCompile(`^/admin/api/([^/]+)/graphql\.json$`)

var (
	bulkRunRE     = regexp.MustCompile(`\bbulkOperationRunQuery\s*\(`)
	currentBulkRE = regexp.MustCompile(`\bcurrentBulkOperation\b`)
	nodeRE        = regexp.MustCompile(`\bnode\s*\(\s*id\s*:`)
	nodesRE       = regexp.MustCompile(`\bnodes\s*\(\s*ids\s*:`)
	ordersRE      = regexp.MustCompile(`\borders\s*\(`)
	shopRE        = regexp.MustCompile(`\bshop\s*\{`)
)

// ServeHTTP serves POST /admin/api/{version}/graphql.json and the bulk
// operation result files (GET /bulk/{id}.jsonl?signature=..., which need
// no access token, as Shopify's signed storage URLs need none).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, bulkPathPrefix) {
		s.serveBulkFile(w, r)
		return
	}
	if r.URL.Path == tokenPath {
		s.serveToken(w, r)
		return
	}
	m := graphqlPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
		return
	}
	// The version actually served: an unsupported one falls forward.
	w.Header().Set("X-Shopify-API-Version", ServedVersion(m[1], s.now()))
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": "Method Not Allowed"})
		return
	}
	w.Header().Set("X-Request-Id", fmt.Sprintf("fake-%d", s.now().UnixNano()))
	s.mu.Lock()
	lat := s.latency
	s.mu.Unlock()
	if lat > 0 {
		select {
		case <-time.After(lat):
		case <-r.Context().Done():
			return
		}
	}
	if tok := r.Header.Get("X-Shopify-Access-Token"); !s.accepts(tok) {
		s.record(Call{Op: "unknown", Status: http.StatusUnauthorized})
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || strings.TrimSpace(req.Query) == "" {
		s.record(Call{Op: "unknown", Status: http.StatusBadRequest})
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"query": "Required parameter missing or invalid"}})
		return
	}
	op := "unknown"
	switch {
	case bulkRunRE.MatchString(req.Query):
		op = "bulk"
	case nodesRE.MatchString(req.Query):
		op = "nodes"
	case currentBulkRE.MatchString(req.Query), nodeRE.MatchString(req.Query):
		op = "bulk-poll"
	case ordersRE.MatchString(req.Query):
		op = "orders"
	case shopRE.MatchString(req.Query):
		op = "shop"
	}
	// Validate against the pinned schema first, as the Admin API does: an
	// unknown field or argument is an error with no data (HTTP 200).
	if errs := checkQuery(req.Query); errs != nil {
		s.record(Call{Op: op, Variables: req.Variables, Status: http.StatusOK})
		writeJSON(w, http.StatusOK, map[string]any{"errors": errs})
		return
	}
	s.mu.Lock()
	if s.failN > 0 {
		s.failN--
		code := s.failCode
		s.calls = append(s.calls, Call{At: s.now(), Op: op, Variables: req.Variables, Status: code})
		s.mu.Unlock()
		writeJSON(w, code, map[string]any{"errors": http.StatusText(code)})
		return
	}
	s.mu.Unlock()
	// Answers carry only the selected fields (see selectedWriter).
	sw := &selectedWriter{ResponseWriter: w}
	defer sw.flush(req.Query)
	switch op {
	case "bulk":
		s.serveBulkRun(sw, r, req.Query, req.Variables)
	case "bulk-poll":
		s.serveBulkPoll(sw, r, req.Query, req.Variables)
	case "orders":
		s.serveOrders(sw, req.Query, req.Variables)
	case "nodes":
		s.serveNodes(sw, req.Query, req.Variables)
	case "shop":
		s.serveShop(sw, req.Variables)
	default:
		s.record(Call{Op: op, Variables: req.Variables, Status: http.StatusOK})
		writeJSON(sw, http.StatusOK, map[string]any{"errors": []any{map[string]any{
			"message":    "this fake serves only the shop, orders, nodes and bulk operation queries",
			"extensions": map[string]any{"code": "undefinedField"},
		}}})
	}
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.At = s.now()
	s.calls = append(s.calls, c)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// charge takes requested points from the bucket; it returns the cost
// extension and whether the query may run. Caller holds s.mu.
func (s *Server) charge(requested int) (bool, map[string]any) {
	now := s.now()
	if el := now.Sub(s.refilled).Seconds(); el > 0 {
		s.available = min(s.max, s.available+el*s.rate)
	}
	s.refilled = now
	ok := s.available >= float64(requested)
	if ok {
		s.available -= float64(requested)
	}
	return ok, map[string]any{"requestedQueryCost": requested, "actualQueryCost": nil,
		"throttleStatus": map[string]any{"maximumAvailable": s.max, "currentlyAvailable": s.available, "restoreRate": s.rate}}
}

// refund returns unused points after a query ran. Caller holds s.mu.
func (s *Server) refund(cost map[string]any, requested, actual int) {
	s.available = min(s.max, s.available+float64(requested-actual))
	cost["actualQueryCost"] = actual
	cost["throttleStatus"].(map[string]any)["currentlyAvailable"] = s.available
}

func throttled(cost map[string]any) map[string]any {
	return map[string]any{
		"errors": []any{map[string]any{"message": "Throttled", "extensions": map[string]any{
			"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}},
		"extensions": map[string]any{"cost": cost},
	}
}

func (s *Server) serveShop(w http.ResponseWriter, vars map[string]any) {
	s.mu.Lock()
	ok, cost := s.charge(1)
	c := Call{Op: "shop", Variables: vars, Status: http.StatusOK, Throttled: !ok, RequestedCost: 1, At: s.now()}
	s.calls = append(s.calls, c)
	if !ok {
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, throttled(cost))
		return
	}
	s.refund(cost, 1, 1)
	sh := s.shop
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"data": map[string]any{"shop": map[string]any{"name": sh.Name, "myshopifyDomain": sh.Domain,
			"currencyCode": sh.Currency, "ianaTimezone": sh.Timezone}},
		"extensions": map[string]any{"cost": cost},
	})
}

// nodeCost counts the objects selected per order node: every "{" inside the
// node selection (the node itself included), as Shopify charges 1 per
// object field and 0 per scalar.
func nodeCost(query string) int {
	m := regexp.MustCompile(`\bnodes?\s*\{`).FindStringIndex(query)
	if m == nil {
		return 1
	}
	depth, n := 0, 0
	for _, r := range query[m[1]-1:] {
		switch r {
		case '{':
			depth++
			n++
		case '}':
			depth--
		}
		if depth == 0 {
			break
		}
	}
	return n
}

// intVar reads an integer GraphQL variable (JSON numbers decode as float64).
func intVar(vars map[string]any, name string) (int, bool) {
	switch v := vars[name].(type) {
	case float64:
		return int(v), true
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	}
	return 0, false
}
