// Package shopifyfake is a faithful fake of the slice of the Shopify Admin
// GraphQL API roasd uses: the shop query and the orders connection (cursor
// paging, the updated_at search filter, sortKey UPDATED_AT) with
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
package shopifyfake

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
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
	// Op is "orders", "shop", "bulk" (bulkOperationRunQuery), "bulk-poll"
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
	case "shop":
		s.serveShop(sw, req.Variables)
	default:
		s.record(Call{Op: op, Variables: req.Variables, Status: http.StatusOK})
		writeJSON(sw, http.StatusOK, map[string]any{"errors": []any{map[string]any{
			"message":    "this fake serves only the shop, orders and bulk operation queries",
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

// filter is the parsed `query:` search string: updated_at comparisons,
// all of which must hold.
type filter struct {
	terms []term
}

// term is one comparison: op is ">=", ">", "<=", "<" or "" (equal).
type term struct {
	op string
	t  time.Time
}

var updatedTerm = regexp.MustCompile(`updated_at:(>=|<=|>|<)?\s*['"]?([0-9T:.+\-Z ]+?)['"]?(\s|$)`)

func parseFilter(q string) (filter, error) {
	var f filter
	for _, m := range updatedTerm.FindAllStringSubmatch(q, -1) {
		v := strings.TrimSpace(m[2])
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			if t, err = time.Parse("2006-01-02", v); err != nil {
				return f, fmt.Errorf("invalid updated_at value %q", v)
			}
		}
		f.terms = append(f.terms, term{op: m[1], t: t})
	}
	return f, nil
}

func (f filter) match(u time.Time) bool {
	for _, tm := range f.terms {
		var ok bool
		switch tm.op {
		case ">=":
			ok = !u.Before(tm.t)
		case ">":
			ok = u.After(tm.t)
		case "<=":
			ok = !u.After(tm.t)
		case "<":
			ok = u.Before(tm.t)
		default:
			ok = u.Equal(tm.t)
		}
		if !ok {
			return false
		}
	}
	return true
}

// cursor is the opaque position after a node in the chosen sort order.
type cursor struct {
	U  time.Time `json:"u"`
	ID int64     `json:"id"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.StdEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	return c, err
}

func gqlError(msg, code string) map[string]any {
	return map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": code}}}}
}

// entry is an order in the (updatedAt, id) index.
type entry struct {
	u  time.Time
	ns int64 // u in Unix nanoseconds, for a fast sort
	id int64
	o  *Order
}

func (e entry) key() cursor { return cursor{U: e.u, ID: e.id} }

func less(a, b cursor) bool {
	if !a.U.Equal(b.U) {
		return a.U.Before(b.U)
	}
	return a.ID < b.ID
}

// sorted returns the orders sorted by (updatedAt, id), rebuilding the index
// when an order changed since it was built. The slice is never modified
// afterwards (a rebuild makes a new one), so callers may keep it. Caller
// holds s.mu.
func (s *Server) sorted() []entry {
	if s.index != nil {
		return s.index
	}
	idx := make([]entry, 0, len(s.orders))
	for _, o := range s.orders {
		id, _ := strconv.ParseInt(o.ID, 10, 64)
		u := o.UpdatedAt.UTC()
		idx = append(idx, entry{u: u, ns: u.UnixNano(), id: id, o: o})
	}
	slices.SortFunc(idx, func(a, b entry) int {
		if c := cmp.Compare(a.ns, b.ns); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	s.index = idx
	return idx
}

// matching returns the run of the index that f matches and that comes
// after `after` (when not nil): the filter's terms are all updated_at
// comparisons, so the matches are contiguous in updatedAt order and found
// by binary search. Caller holds s.mu.
func (s *Server) matching(f filter, after *cursor) []entry {
	idx := s.sorted()
	lo := 0
	for _, tm := range f.terms {
		var i int
		switch tm.op {
		case ">=", "":
			i = sort.Search(len(idx), func(i int) bool { return !idx[i].u.Before(tm.t) })
		case ">":
			i = sort.Search(len(idx), func(i int) bool { return idx[i].u.After(tm.t) })
		default:
			continue
		}
		lo = max(lo, i)
	}
	if after != nil {
		lo = max(lo, sort.Search(len(idx), func(i int) bool { return less(*after, idx[i].key()) }))
	}
	hi := len(idx)
	for _, tm := range f.terms {
		switch tm.op {
		case "<=", "":
			hi = min(hi, sort.Search(len(idx), func(i int) bool { return idx[i].u.After(tm.t) }))
		case "<":
			hi = min(hi, sort.Search(len(idx), func(i int) bool { return !idx[i].u.Before(tm.t) }))
		}
	}
	return idx[lo:max(hi, lo)]
}

// edge is a connection edge.
type edge struct {
	Cursor string     `json:"cursor"`
	Node   *orderJSON `json:"node"`
}

func (s *Server) serveOrders(w http.ResponseWriter, query string, vars map[string]any) {
	first, ok := intVar(vars, "first")
	if !ok {
		if m := regexp.MustCompile(`\borders\s*\([^)]*\bfirst:\s*(\d+)`).FindStringSubmatch(query); m != nil {
			first, _ = strconv.Atoi(m[1])
		} else {
			s.record(Call{Op: "orders", Variables: vars, Status: http.StatusOK})
			writeJSON(w, http.StatusOK, gqlError("you must provide one of first or last", "argumentLiteralsIncompatible"))
			return
		}
	}
	if first < 0 || first > MaxPageSize {
		s.record(Call{Op: "orders", Variables: vars, Status: http.StatusOK})
		writeJSON(w, http.StatusOK, gqlError(fmt.Sprintf("first cannot exceed %d. To query larger amounts of data with fewer limits, bulk operations should be used instead.", MaxPageSize), "argumentLiteralsIncompatible"))
		return
	}
	per := nodeCost(query)
	requested := 2 + first*per
	if requested > MaxQueryCost {
		s.record(Call{Op: "orders", Variables: vars, Status: http.StatusOK, RequestedCost: requested})
		writeJSON(w, http.StatusOK, map[string]any{"errors": []any{map[string]any{
			"message":    fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).", requested, MaxQueryCost),
			"extensions": map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MaxQueryCost},
		}}})
		return
	}
	q, _ := vars["query"].(string)
	f, err := parseFilter(q)
	if err != nil {
		s.record(Call{Op: "orders", Variables: vars, Status: http.StatusOK})
		writeJSON(w, http.StatusOK, gqlError(err.Error(), "BAD_REQUEST"))
		return
	}
	var after *cursor
	if a, _ := vars["after"].(string); a != "" {
		c, err := decodeCursor(a)
		if err != nil {
			s.record(Call{Op: "orders", Variables: vars, Status: http.StatusOK})
			writeJSON(w, http.StatusOK, gqlError("Invalid cursor for current pagination sort.", "BAD_REQUEST"))
			return
		}
		after = &c
	}
	sortKey, _ := vars["sortKey"].(string)
	if sortKey == "" && regexp.MustCompile(`sortKey:\s*UPDATED_AT`).MatchString(query) {
		sortKey = "UPDATED_AT"
	}
	byUpdated := sortKey == "UPDATED_AT"

	s.mu.Lock()
	defer s.mu.Unlock()
	ok, cost := s.charge(requested)
	s.calls = append(s.calls, Call{At: s.now(), Op: "orders", Variables: vars, Status: http.StatusOK, Throttled: !ok, RequestedCost: requested})
	if !ok {
		writeJSON(w, http.StatusOK, throttled(cost))
		return
	}
	var page []entry
	more := false
	if byUpdated {
		run := s.matching(f, after)
		page, more = run[:min(first, len(run))], len(run) > first
	} else {
		// By id: a rare sort for this fake's clients, served by a scan.
		var all []entry
		for _, e := range s.sorted() {
			k := cursor{ID: e.id}
			if f.match(e.u) && (after == nil || less(*after, k)) {
				all = append(all, entry{id: e.id, o: e.o})
			}
		}
		slices.SortFunc(all, func(a, b entry) int { return cmp.Compare(a.id, b.id) })
		page, more = all[:min(first, len(all))], len(all) > first
	}
	edges, nodes := make([]edge, 0, len(page)), make([]orderJSON, 0, len(page))
	var start, end any
	sel := selectionOf(query)
	sel.now = s.now()
	for i, e := range page {
		n := renderOrder(e.o, s.shop.Currency, sel)
		c := encodeCursor(e.key())
		nodes = append(nodes, n)
		edges = append(edges, edge{Cursor: c, Node: &nodes[len(nodes)-1]})
		if i == 0 {
			start = c
		}
		end = c
	}
	conn := map[string]any{"pageInfo": map[string]any{"hasNextPage": more, "hasPreviousPage": after != nil,
		"startCursor": start, "endCursor": end}}
	if strings.Contains(query, "edges") {
		conn["edges"] = edges
	}
	if regexp.MustCompile(`\bnodes\s*\{`).MatchString(query) {
		conn["nodes"] = nodes
	}
	s.refund(cost, requested, 2+len(page)*per)
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"orders": conn}, "extensions": map[string]any{"cost": cost}})
}

// money is a MoneyBag's amount.
type money struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

// moneyBag is a MoneyBag: shop money and, when selected, presentment
// money (the customer's currency, see Order.PresentmentCurrency).
type moneyBag struct {
	ShopMoney        money  `json:"shopMoney"`
	PresentmentMoney *money `json:"presentmentMoney,omitempty"`
}

// presentment converts shop money into an order's presentment currency.
type presentment struct {
	currency string
	rate     int64 // micros of presentment money per unit of shop money
}

func presentmentOf(o *Order, shopCurrency string) presentment {
	p := presentment{currency: shopCurrency, rate: 1_000_000}
	if o.PresentmentCurrency != "" {
		p.currency = o.PresentmentCurrency
	}
	if o.PresentmentRate != "" {
		p.rate = micros(o.PresentmentRate)
	}
	return p
}

// of converts m shop micros to presentment micros, rounded to the cent.
func (p presentment) of(m int64) int64 {
	v := new(big.Int).Mul(big.NewInt(m), big.NewInt(p.rate))
	v.Quo(v, big.NewInt(1_000_000))
	c := v.Int64()
	return (c + 5_000) / 10_000 * 10_000
}

type utmJSON struct {
	Source   *string `json:"source"`
	Medium   *string `json:"medium"`
	Campaign *string `json:"campaign"`
	Content  *string `json:"content"`
	Term     *string `json:"term"`
}

type visitJSON struct {
	LandingPage string `json:"landingPage"`
	// OccurredAt is nil when not selected, else a *string (null or not).
	OccurredAt    any      `json:"occurredAt,omitempty"`
	UTMParameters *utmJSON `json:"utmParameters"`
}

type journeyJSON struct {
	Ready      *bool      `json:"ready,omitempty"`
	FirstVisit *visitJSON `json:"firstVisit"`
	LastVisit  *visitJSON `json:"lastVisit"`
}

// orderJSON is an Order object as the GraphQL Admin API renders it (the
// fields roasd's and similar clients select). Money is in the shop
// currency (shopMoney) and the customer's (presentmentMoney).
type orderJSON struct {
	ID                       string       `json:"id"`
	Name                     string       `json:"name"`
	CreatedAt                *string      `json:"createdAt"`
	UpdatedAt                *string      `json:"updatedAt"`
	CancelledAt              *string      `json:"cancelledAt"`
	CurrencyCode             string       `json:"currencyCode"`
	Test                     bool         `json:"test"`
	DiscountCodes            []string     `json:"discountCodes"`
	SubtotalPriceSet         moneyBag     `json:"subtotalPriceSet"`
	TotalDiscountsSet        moneyBag     `json:"totalDiscountsSet"`
	TotalRefundedSet         moneyBag     `json:"totalRefundedSet"`
	CurrentSubtotalPriceSet  moneyBag     `json:"currentSubtotalPriceSet"`
	CustomerJourneySummary   *journeyJSON `json:"customerJourneySummary"`
	PresentmentCurrencyCode  string       `json:"presentmentCurrencyCode,omitempty"`
	TotalTaxSet              *moneyBag    `json:"totalTaxSet,omitempty"`
	TotalShippingPriceSet    *moneyBag    `json:"totalShippingPriceSet,omitempty"`
	TotalPriceSet            *moneyBag    `json:"totalPriceSet,omitempty"`
	TotalRefundedShippingSet *moneyBag    `json:"totalRefundedShippingSet,omitempty"`
	RefundDiscrepancySet     *moneyBag    `json:"refundDiscrepancySet,omitempty"`
	// Refunds is nil when not selected, else the list, [] when empty
	// ([Refund!]! is never null).
	Refunds *[]refundJSON `json:"refunds,omitempty"`
}

// refundJSON is a Refund object in an order's refunds list.
type refundJSON struct {
	ID               string   `json:"id"`
	CreatedAt        *string  `json:"createdAt"`
	TotalRefundedSet moneyBag `json:"totalRefundedSet"`
}

// selection says which optional fields a query selected: the fake renders
// every field of orderJSON that is not omitempty, and these only when
// named.
type selection struct {
	presentment, occurredAt, ready                      bool
	presentmentCode, tax, shipping, price, refundedShip bool
	discrepancy, refunds                                bool
	// now is the time the orders are read at (journey readiness).
	now time.Time
}

// selects reports whether query names field as a whole word.
func selects(query, field string) bool {
	word := func(b byte) bool {
		return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
	}
	for i := 0; ; {
		j := strings.Index(query[i:], field)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(field)
		if (j == 0 || !word(query[j-1])) && (end == len(query) || !word(query[end])) {
			return true
		}
		i = j + 1
	}
}

func selectionOf(query string) selection {
	has := func(f string) bool { return selects(query, f) }
	return selection{presentment: has("presentmentMoney"), occurredAt: has("occurredAt"), ready: has("ready"),
		presentmentCode: has("presentmentCurrencyCode"), tax: has("totalTaxSet"), shipping: has("totalShippingPriceSet"),
		price: has("totalPriceSet"), refundedShip: has("totalRefundedShippingSet"), discrepancy: has("refundDiscrepancySet"),
		refunds: has("refunds")}
}

func (sel selection) moneyOf(m int64, currency string, p presentment) moneyBag {
	b := moneyBag{ShopMoney: money{Amount: ads.FormatMicros(m, 2), CurrencyCode: currency}}
	if sel.presentment {
		b.PresentmentMoney = &money{Amount: ads.FormatMicros(p.of(m), 2), CurrencyCode: p.currency}
	}
	return b
}

func timeOrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (sel selection) visitOf(v *Visit) *visitJSON {
	if v == nil {
		return nil
	}
	out := &visitJSON{LandingPage: v.LandingPage}
	if sel.occurredAt {
		out.OccurredAt = timeOrNil(v.OccurredAt)
	}
	if v.Source+v.Medium+v.Campaign+v.Content+v.Term != "" {
		out.UTMParameters = &utmJSON{Source: strOrNil(v.Source), Medium: strOrNil(v.Medium), Campaign: strOrNil(v.Campaign),
			Content: strOrNil(v.Content), Term: strOrNil(v.Term)}
	}
	return out
}

// totals are an order's money fields (micros of the shop currency).
type totals struct {
	lineItems, discounts, subtotal, tax, shipping, price int64
	// refunded is the money returned; refundedItems, refundedShipping the
	// refunded line items' and shipping's subtotals; discrepancy the sum
	// of the refunds' discrepancies (see refundDiscrepancy).
	refunded, refundedItems, refundedShipping, discrepancy int64
}

// amounts derives the order's money fields.
func amounts(o *Order) totals {
	t := totals{lineItems: micros(o.LineItems), discounts: micros(o.Discounts), tax: micros(o.Tax), shipping: micros(o.Shipping)}
	t.subtotal = t.lineItems - t.discounts
	t.price = t.subtotal + t.tax + t.shipping
	for _, r := range o.Refunds {
		t.refunded += refundTotal(r)
		t.refundedItems += micros(r.LineItems)
		t.refundedShipping += micros(r.Shipping)
		t.discrepancy += refundDiscrepancy(r)
	}
	return t
}

// renderOrder renders an Order object as the GraphQL Admin API does:
// currentSubtotalPriceSet drops refunded line items (not refunded
// shipping, tax or discrepancies); totalRefundedSet is all money returned.
// Stored orders are never modified in place (see UpsertOrder), so it needs
// no lock.
func renderOrder(o *Order, currency string, sel selection) orderJSON {
	t := amounts(o)
	p := presentmentOf(o, currency)
	codes := o.DiscountCodes
	if codes == nil {
		codes = []string{}
	}
	m := func(v int64) moneyBag { return sel.moneyOf(v, currency, p) }
	opt := func(on bool, v int64) *moneyBag {
		if !on {
			return nil
		}
		b := m(v)
		return &b
	}
	n := orderJSON{
		ID: "gid://shopify/Order/" + o.ID, Name: o.Name,
		CreatedAt: timeOrNil(o.CreatedAt), UpdatedAt: timeOrNil(o.UpdatedAt), CancelledAt: timeOrNil(o.CancelledAt),
		CurrencyCode: currency, Test: o.Test, DiscountCodes: codes,
		SubtotalPriceSet: m(t.subtotal), TotalDiscountsSet: m(t.discounts), TotalRefundedSet: m(t.refunded),
		CurrentSubtotalPriceSet: m(max(t.subtotal-t.refundedItems, 0)),
		TotalTaxSet:             opt(sel.tax, t.tax), TotalShippingPriceSet: opt(sel.shipping, t.shipping),
		TotalPriceSet: opt(sel.price, t.price), TotalRefundedShippingSet: opt(sel.refundedShip, t.refundedShipping),
		RefundDiscrepancySet: opt(sel.discrepancy, t.discrepancy),
	}
	if sel.presentmentCode {
		n.PresentmentCurrencyCode = p.currency
	}
	if sel.refunds {
		rs := []refundJSON{}
		for _, r := range o.Refunds {
			rs = append(rs, refundJSON{ID: "gid://shopify/Refund/" + r.ID, CreatedAt: timeOrNil(r.CreatedAt),
				TotalRefundedSet: m(refundTotal(r))})
		}
		n.Refunds = &rs
	}
	if o.FirstVisit != nil || o.LastVisit != nil {
		j := &journeyJSON{FirstVisit: sel.visitOf(o.FirstVisit), LastVisit: sel.visitOf(o.LastVisit)}
		ready := !sel.now.Before(o.JourneyReadyAt)
		if !ready {
			// Shopify is still completing the journey: no visits yet.
			j.FirstVisit, j.LastVisit = nil, nil
		}
		if sel.ready {
			j.Ready = &ready
		}
		n.CustomerJourneySummary = j
	}
	return n
}
