// Package shopifyfake is a faithful fake of the slice of the Shopify Admin
// GraphQL API roasd uses: the shop query and the orders connection (cursor
// paging, the updated_at search filter, sortKey UPDATED_AT) with
// calculated-query-cost throttling (extensions.cost.throttleStatus and
// THROTTLED errors), plus signed order and refund webhooks. It is written
// from Shopify's documented JSON shapes, not from roasd's client, and is
// served by `roasd sandbox`.
//
// A Server is an http.Handler seeded from Go values, safe for concurrent
// use, with fault-injection knobs (FailNext, Latency, SetAvailable) and a
// record of calls (Calls).
package shopifyfake

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
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

// Refund is money returned on an order.
type Refund struct {
	ID        string
	CreatedAt time.Time
	// Amount is a decimal string in the shop currency, e.g. "10.00".
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
	Refunds       []Refund
	// FirstVisit and LastVisit make up customerJourneySummary; both nil
	// means the journey is null (e.g. an order created in the admin).
	FirstVisit, LastVisit *Visit
	Test                  bool
}

// Seed is the fake's initial state.
type Seed struct {
	Shop Shop
	// AccessToken is the X-Shopify-Access-Token the fake accepts; empty
	// accepts any non-empty token.
	AccessToken string
	Orders      []Order
	// MaximumAvailable and RestoreRate shape the cost bucket (defaults 2000
	// points and 100 points/second).
	MaximumAvailable float64
	RestoreRate      float64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Call is one request the fake handled (or one webhook it sent).
type Call struct {
	At time.Time
	// Op is "orders", "shop", "unknown" or "webhook <topic>".
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
		max: seed.MaximumAvailable, rate: seed.RestoreRate, now: seed.Now, client: &http.Client{Timeout: 10 * time.Second}}
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
	for _, o := range seed.Orders {
		if err := s.UpsertOrder(o); err != nil {
			panic(fmt.Sprintf("shopifyfake: seed order %s: %v", o.ID, err))
		}
	}
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
	for _, a := range []string{o.LineItems, o.Discounts} {
		if err := checkAmount(a); err != nil {
			return err
		}
	}
	for _, r := range o.Refunds {
		if err := checkAmount(r.Amount); err != nil {
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
	o.CancelledAt, o.UpdatedAt = at, at
	return nil
}

// Refund records a refund of amount (a decimal string) on an order at `at`
// (now when zero), bumping its updatedAt, and returns the refund id.
func (s *Server) Refund(id, amount string, at time.Time) (string, error) {
	if err := checkAmount(amount); err != nil || amount == "" {
		return "", fmt.Errorf("refund amount %q: want a decimal", amount)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[numericID(id)]
	if !ok {
		return "", fmt.Errorf("order %s not found", id)
	}
	if at.IsZero() {
		at = s.now()
	}
	rid := fmt.Sprintf("%s%02d", o.ID, len(o.Refunds)+1)
	o.Refunds = append(o.Refunds, Refund{ID: rid, CreatedAt: at, Amount: amount})
	o.UpdatedAt = at
	return rid, nil
}

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

var graphqlPath = regexp.MustCompile(`^/admin/api/[^/]+/graphql\.json$`)

// ServeHTTP serves POST /admin/api/{version}/graphql.json.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !graphqlPath.MatchString(r.URL.Path) {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
		return
	}
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
	tok := r.Header.Get("X-Shopify-Access-Token")
	if tok == "" || (s.token != "" && !hmac.Equal([]byte(tok), []byte(s.token))) {
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
	case regexp.MustCompile(`\borders\s*\(`).MatchString(req.Query):
		op = "orders"
	case regexp.MustCompile(`\bshop\s*\{`).MatchString(req.Query):
		op = "shop"
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
	switch op {
	case "orders":
		s.serveOrders(w, req.Query, req.Variables)
	case "shop":
		s.serveShop(w, req.Variables)
	default:
		s.record(Call{Op: op, Variables: req.Variables, Status: http.StatusOK})
		writeJSON(w, http.StatusOK, map[string]any{"errors": []any{map[string]any{
			"message":    "this fake serves only the shop and orders queries",
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

// filter is the parsed `query:` search string (updated_at comparisons).
type filter struct {
	cmp []func(time.Time) bool
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
		switch m[1] {
		case ">=":
			f.cmp = append(f.cmp, func(u time.Time) bool { return !u.Before(t) })
		case ">":
			f.cmp = append(f.cmp, func(u time.Time) bool { return u.After(t) })
		case "<=":
			f.cmp = append(f.cmp, func(u time.Time) bool { return !u.After(t) })
		case "<":
			f.cmp = append(f.cmp, func(u time.Time) bool { return u.Before(t) })
		default:
			f.cmp = append(f.cmp, func(u time.Time) bool { return u.Equal(t) })
		}
	}
	return f, nil
}

func (f filter) match(t time.Time) bool {
	for _, c := range f.cmp {
		if !c(t) {
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
	key := func(o *Order) cursor {
		id, _ := strconv.ParseInt(o.ID, 10, 64)
		if byUpdated {
			return cursor{U: o.UpdatedAt.UTC(), ID: id}
		}
		return cursor{ID: id}
	}
	less := func(a, b cursor) bool {
		if !a.U.Equal(b.U) {
			return a.U.Before(b.U)
		}
		return a.ID < b.ID
	}
	var all []*Order
	for _, o := range s.orders {
		if f.match(o.UpdatedAt) && (after == nil || less(*after, key(o))) {
			all = append(all, o)
		}
	}
	sort.Slice(all, func(i, j int) bool { return less(key(all[i]), key(all[j])) })
	page := all[:min(first, len(all))]
	edges, nodes := []any{}, []any{}
	var end any
	for _, o := range page {
		n := s.orderNode(o)
		c := encodeCursor(key(o))
		edges = append(edges, map[string]any{"cursor": c, "node": n})
		nodes = append(nodes, n)
		end = c
	}
	var start any
	if len(page) > 0 {
		start = edges[0].(map[string]any)["cursor"]
	}
	conn := map[string]any{"pageInfo": map[string]any{"hasNextPage": len(all) > len(page), "hasPreviousPage": after != nil,
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

func (s *Server) money(m int64) map[string]any {
	v := map[string]any{"amount": ads.FormatMicros(m, 2), "currencyCode": s.shop.Currency}
	return map[string]any{"shopMoney": v, "presentmentMoney": v}
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func visitJSON(v *Visit) any {
	if v == nil {
		return nil
	}
	var utm any
	if v.Source+v.Medium+v.Campaign+v.Content+v.Term != "" {
		str := func(s string) any {
			if s == "" {
				return nil
			}
			return s
		}
		utm = map[string]any{"source": str(v.Source), "medium": str(v.Medium), "campaign": str(v.Campaign),
			"content": str(v.Content), "term": str(v.Term)}
	}
	return map[string]any{"landingPage": v.LandingPage, "occurredAt": timeOrNil(v.OccurredAt), "utmParameters": utm}
}

// amounts derives the order's money fields (micros).
func amounts(o *Order) (lineItems, discounts, subtotal, refunded int64) {
	lineItems, discounts = micros(o.LineItems), micros(o.Discounts)
	for _, r := range o.Refunds {
		refunded += micros(r.Amount)
	}
	return lineItems, discounts, lineItems - discounts, refunded
}

// orderNode renders an Order object as the GraphQL Admin API does. Caller
// holds s.mu.
func (s *Server) orderNode(o *Order) map[string]any {
	_, disc, sub, ref := amounts(o)
	current := sub - ref
	if !o.CancelledAt.IsZero() {
		current = 0
	}
	codes := append([]string{}, o.DiscountCodes...)
	var journey any
	if o.FirstVisit != nil || o.LastVisit != nil {
		journey = map[string]any{"ready": true, "firstVisit": visitJSON(o.FirstVisit), "lastVisit": visitJSON(o.LastVisit)}
	}
	return map[string]any{
		"id": "gid://shopify/Order/" + o.ID, "name": o.Name,
		"createdAt": timeOrNil(o.CreatedAt), "updatedAt": timeOrNil(o.UpdatedAt), "cancelledAt": timeOrNil(o.CancelledAt),
		"currencyCode": s.shop.Currency, "test": o.Test, "discountCodes": codes,
		"subtotalPriceSet": s.money(sub), "totalDiscountsSet": s.money(disc), "totalRefundedSet": s.money(ref),
		"currentSubtotalPriceSet": s.money(max(current, 0)),
		"customerJourneySummary":  journey,
	}
}
