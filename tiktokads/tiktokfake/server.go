package tiktokfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Prefix is the path prefix of every endpoint.
const Prefix = "/open_api/v1.3"

// Limits the server enforces, as documented by TikTok.
const (
	// MaxPageSize is the largest page_size of /ad/get/, /adgroup/get/ and
	// /report/integrated/get/.
	MaxPageSize = 1000
	// MaxSparkPageSize is the largest page_size of /tt_video/list/.
	MaxSparkPageSize = 50
	// MaxDaySpan is the longest start_date..end_date range of a report
	// broken down by stat_time_day.
	MaxDaySpan = 30
	// MaxWriteIDs is how many ids one status or budget update takes.
	MaxWriteIDs = 20
)

// TikTok return codes the fake answers with.
const (
	CodeOK           = 0
	CodeNoPermission = 40001
	CodeInvalidParam = 40002
	CodeNotFound     = 40007
	CodeRateLimited  = 40100
	CodeTokenExpired = 40102
	CodeTokenEmpty   = 40104
	CodeTokenInvalid = 40105
	CodeInternal     = 50000
)

const timeLayout = "2006-01-02 15:04:05"

// StatusClientClosed is the Status of a recorded call whose client gave up
// while the server was delaying it (Latency).
const StatusClientClosed = 499

// Call is one request the server received. The Access-Token is never
// recorded.
type Call struct {
	Method string
	// Path is the URL path, e.g. "/open_api/v1.3/ad/get/".
	Path string
	// Query is the query string as received; Body the POST body.
	Query url.Values
	Body  []byte
	// Status is the HTTP status and Code the envelope code answered.
	Status int
	Code   int
	At     time.Time
}

// fault is one queued injected failure: an HTTP status (< 1000) or a
// TikTok return code.
type fault struct{ code int }

// Server is the fake TikTok API. New(Seed{}) is ready to use; the zero
// value works too (it accepts any token and has no data). Safe for
// concurrent use.
type Server struct {
	mu      sync.Mutex
	seed    Seed
	reqs    int64
	faults  []fault
	limited int
	// second and inSecond count the calls of the current wall-clock
	// second against Seed.AppQPS.
	second   int64
	inSecond int
	latency  time.Duration
	expired  bool
	calls    []Call
}

// New returns a server holding a copy of seed. Ads and campaigns the seed
// gives no create_time or modify_time were made at the server's start.
func New(seed Seed) *Server {
	s := &Server{seed: seed.clone()}
	start := s.stamp()
	or := func(t *time.Time) {
		if t.IsZero() {
			*t = start
		}
	}
	for i := range s.seed.Advertisers {
		a := &s.seed.Advertisers[i]
		for j := range a.Ads {
			or(&a.Ads[j].CreateTime)
			or(&a.Ads[j].ModifyTime)
		}
		for j := range a.Campaigns {
			or(&a.Campaigns[j].CreateTime)
			or(&a.Campaigns[j].ModifyTime)
		}
		for j := range a.AdGroups {
			or(&a.AdGroups[j].ModifyTime)
		}
	}
	return s
}

// SetCampaignStatus sets a campaign's operation_status (ENABLE, DISABLE)
// as a person does in Ads Manager: the campaign's modify_time moves; its
// enabled ads' secondary_status follows (AD_STATUS_CAMPAIGN_DISABLE) but
// their modify_time does not. It reports whether the campaign exists.
func (s *Server) SetCampaignStatus(advertiser, id, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.advertiser(advertiser)
	if a == nil {
		return false
	}
	c := s.campaign(a, id)
	if c == nil {
		return false
	}
	c.OperationStatus, c.ModifyTime = status, s.stamp()
	return true
}

// SetAdGroupStatus is SetCampaignStatus for an ad group (its enabled ads
// report AD_STATUS_ADGROUP_DISABLE).
func (s *Server) SetAdGroupStatus(advertiser, id, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.advertiser(advertiser)
	if a == nil {
		return false
	}
	g := s.adGroup(a.ID, id)
	if g == nil {
		return false
	}
	g.OperationStatus, g.ModifyTime = status, s.stamp()
	return true
}

// PurgeAd removes an ad of advertiser, as a deleted ad purged from
// TikTok's lists: /ad/get/ no longer returns it, even with STATUS_ALL. It
// reports whether the ad existed.
func (s *Server) PurgeAd(advertiser, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.advertiser(advertiser)
	if a == nil {
		return false
	}
	for i := range a.Ads {
		if a.Ads[i].ID == id {
			a.Ads = append(a.Ads[:i], a.Ads[i+1:]...)
			return true
		}
	}
	return false
}

// stamp is a modify_time for a change made now: TikTok's times are to the
// second, in UTC.
func (s *Server) stamp() time.Time { return s.now().UTC().Truncate(time.Second) }

// SetAd adds or replaces (by id) an ad of advertiser, as a change made in
// Ads Manager: its modify_time is the server's now unless ad sets one.
// It reports whether the advertiser is known.
func (s *Server) SetAd(advertiser string, ad Ad) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.advertiser(advertiser)
	if a == nil {
		return false
	}
	if ad.ModifyTime.IsZero() {
		ad.ModifyTime = s.stamp()
	}
	if ad.CreateTime.IsZero() {
		ad.CreateTime = ad.ModifyTime
	}
	for i := range a.Ads {
		if a.Ads[i].ID == ad.ID {
			a.Ads[i] = ad
			return true
		}
	}
	a.Ads = append(a.Ads, ad)
	return true
}

// RateLimit makes the next n calls (after authentication) answer 40100,
// TikTok's "request too frequent" code, inside an HTTP 200.
func (s *Server) RateLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited = n
}

// FailNext makes the next n calls (after authentication and rate limits)
// fail with code: a value below 1000 is an HTTP status sent with a
// non-JSON body (as a load balancer would), anything else a TikTok return
// code inside an HTTP 200 envelope (e.g. 50000, 40002).
func (s *Server) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{code: code})
	}
}

// Latency delays every response by d (or until the request is cancelled).
func (s *Server) Latency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// ExpireToken makes every call fail with 40102 (access token expired) until
// RestoreToken.
func (s *Server) ExpireToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expired = true
}

// RestoreToken undoes ExpireToken.
func (s *Server) RestoreToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expired = false
}

// ExpireSpark ends the authorization of the post with that code now; its
// ads turn AD_STATUS_ASSET_AUTHORIZATION_LOST. It reports whether the code
// is known.
func (s *Server) ExpireSpark(code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.spark(code)
	if p == nil {
		return false
	}
	p.AuthStatus = AuthExpired
	p.AuthEnd = s.now().Add(-time.Second)
	s.markItemAds(p, "AD_STATUS_ASSET_AUTHORIZATION_LOST")
	return true
}

// RevokeSpark records that the creator revoked the authorization of the
// post with that code; its ads turn
// AD_STATUS_CREATOR_AUTHORIZATION_REVOKED. It reports whether the code is
// known.
func (s *Server) RevokeSpark(code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.spark(code)
	if p == nil {
		return false
	}
	p.AuthStatus = AuthRevoked
	s.markItemAds(p, "AD_STATUS_CREATOR_AUTHORIZATION_REVOKED")
	return true
}

func (s *Server) markItemAds(p *SparkPost, status string) {
	a := s.advertiser(p.Advertiser)
	if a == nil {
		return
	}
	for i := range a.Ads {
		if a.Ads[i].TikTokItemID == p.ItemID && a.Ads[i].OperationStatus != "DELETE" {
			a.Ads[i].SecondaryStatus = status
		}
	}
}

// SetReport adds or replaces (by ad and day) a report row of advertiser,
// creating the advertiser when unknown.
func (s *Server) SetReport(advertiser string, r ReportRow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.advertiser(advertiser)
	if a == nil {
		s.seed.Advertisers = append(s.seed.Advertisers, Advertiser{ID: advertiser, Currency: "USD", Timezone: "UTC"})
		a = &s.seed.Advertisers[len(s.seed.Advertisers)-1]
	}
	for i := range a.Report {
		if a.Report[i].AdID == r.AdID && a.Report[i].Day == r.Day {
			a.Report[i] = r
			return
		}
	}
	a.Report = append(a.Report, r)
}

// Restate applies fn to every report row of advertiser dated on or after
// from ("YYYY-MM-DD"), as TikTok restates recent days, and returns how
// many rows it visited.
func (s *Server) Restate(advertiser, from string, fn func(*ReportRow)) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.advertiser(advertiser)
	if a == nil {
		return 0
	}
	n := 0
	for i := range a.Report {
		if a.Report[i].Day >= from {
			fn(&a.Report[i])
			n++
		}
	}
	return n
}

// Ad returns the current state of an ad.
func (s *Server) Ad(advertiser, adID string) (Ad, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ad := s.ad(advertiser, adID); ad != nil {
		return *ad, true
	}
	return Ad{}, false
}

// Ads returns the current state of advertiser's ads, deleted ones
// included.
func (s *Server) Ads(advertiser string) []Ad {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.advertiser(advertiser); a != nil {
		return slices.Clone(a.Ads)
	}
	return nil
}

// Campaigns returns the current state of advertiser's campaigns.
func (s *Server) Campaigns(advertiser string) []Campaign {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.advertiser(advertiser); a != nil {
		return slices.Clone(a.Campaigns)
	}
	return nil
}

// AdGroups returns the current state of advertiser's ad groups.
func (s *Server) AdGroups(advertiser string) []AdGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.advertiser(advertiser); a != nil {
		return slices.Clone(a.AdGroups)
	}
	return nil
}

// AdGroup returns the current state of an ad group.
func (s *Server) AdGroup(advertiser, adGroupID string) (AdGroup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.adGroup(advertiser, adGroupID); g != nil {
		return *g, true
	}
	return AdGroup{}, false
}

// Spark returns the current state of the post with that code.
func (s *Server) Spark(code string) (SparkPost, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.spark(code); p != nil {
		return *p, true
	}
	return SparkPost{}, false
}

// Calls returns the calls received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// ResetCalls forgets the recorded calls.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

func (s *Server) now() time.Time {
	if s.seed.Now != nil {
		return s.seed.Now()
	}
	return time.Now()
}

func (s *Server) advertiser(id string) *Advertiser {
	for i := range s.seed.Advertisers {
		if s.seed.Advertisers[i].ID == id {
			return &s.seed.Advertisers[i]
		}
	}
	return nil
}

func (s *Server) ad(adv, id string) *Ad {
	a := s.advertiser(adv)
	if a == nil {
		return nil
	}
	for i := range a.Ads {
		if a.Ads[i].ID == id {
			return &a.Ads[i]
		}
	}
	return nil
}

func (s *Server) adGroup(adv, id string) *AdGroup {
	a := s.advertiser(adv)
	if a == nil {
		return nil
	}
	for i := range a.AdGroups {
		if a.AdGroups[i].ID == id {
			return &a.AdGroups[i]
		}
	}
	return nil
}

func (s *Server) spark(code string) *SparkPost {
	for i := range s.seed.SparkPosts {
		if s.seed.SparkPosts[i].AuthCode == code {
			return &s.seed.SparkPosts[i]
		}
	}
	return nil
}

// apiError is a non-zero envelope code with its message.
type apiError struct {
	code int
	msg  string
}

func invalid(format string, args ...any) *apiError {
	return &apiError{code: CodeInvalidParam, msg: fmt.Sprintf(format, args...)}
}

// request is what a handler sees: parameters from the query string (GET)
// or the JSON body (POST).
type request struct {
	method string
	query  url.Values
	body   map[string]json.RawMessage
}

type handler func(s *Server, r *request) (any, *apiError)

type route struct {
	method string
	h      handler
}

var routes = map[string]route{
	"/advertiser/info/":       {http.MethodGet, (*Server).advertiserInfo},
	"/tt_video/authorize/":    {http.MethodPost, (*Server).sparkAuthorize},
	"/tt_video/info/":         {http.MethodGet, (*Server).sparkInfo},
	"/tt_video/list/":         {http.MethodGet, (*Server).sparkList},
	"/ad/get/":                {http.MethodGet, (*Server).adGet},
	"/adgroup/get/":           {http.MethodGet, (*Server).adGroupGet},
	"/campaign/get/":          {http.MethodGet, (*Server).campaignGet},
	"/report/integrated/get/": {http.MethodGet, (*Server).report},
	"/ad/status/update/":      {http.MethodPost, (*Server).adStatusUpdate},
	"/adgroup/budget/update/": {http.MethodPost, (*Server).adGroupBudgetUpdate},
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	lat := s.latency
	s.mu.Unlock()
	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-r.Context().Done():
			t.Stop()
			s.mu.Lock()
			defer s.mu.Unlock()
			s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body,
				Status: StatusClientClosed, At: s.now()})
			return
		case <-t.C:
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	call := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body, At: s.now()}
	defer func() { s.calls = append(s.calls, call) }()

	rt, ok := routes[strings.TrimPrefix(r.URL.Path, Prefix)]
	if !ok || !strings.HasPrefix(r.URL.Path, Prefix+"/") {
		call.Status = http.StatusNotFound
		http.NotFound(w, r)
		return
	}
	if r.Method != rt.method {
		call.Status = http.StatusMethodNotAllowed
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	call.Status = http.StatusOK
	reply := func(data any, e *apiError) {
		env := map[string]any{"code": 0, "message": "OK", "request_id": s.requestID(), "data": data}
		if e != nil {
			env["code"], env["message"], env["data"] = e.code, e.msg, map[string]any{}
			call.Code = e.code
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Tt-Logid", env["request_id"].(string))
		_ = json.NewEncoder(w).Encode(env)
	}

	tok := r.Header.Get("Access-Token")
	switch {
	case tok == "":
		reply(nil, &apiError{CodeTokenEmpty, "Access token is null."})
		return
	case s.seed.Token != "" && tok != s.seed.Token:
		reply(nil, &apiError{CodeTokenInvalid, "Access token is incorrect or has been revoked."})
		return
	case s.expired:
		reply(nil, &apiError{CodeTokenExpired, "Access token has expired."})
		return
	}
	if s.limited > 0 {
		s.limited--
		reply(nil, &apiError{CodeRateLimited, "Request too frequent. Please try again later."})
		return
	}
	if q := s.seed.AppQPS; q > 0 {
		if sec := time.Now().Unix(); sec != s.second {
			s.second, s.inSecond = sec, 0
		}
		s.inSecond++
		if s.inSecond > q {
			reply(nil, &apiError{CodeRateLimited, "Due to too many requests, requests from App [7012000000000000001] are temporarily restricted."})
			return
		}
	}
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		if f.code < 1000 {
			call.Status = f.code
			http.Error(w, http.StatusText(f.code), f.code)
			return
		}
		reply(nil, &apiError{f.code, faultMessage(f.code)})
		return
	}

	req := &request{method: r.Method, query: r.URL.Query()}
	if r.Method == http.MethodPost {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			reply(nil, invalid("Content-Type must be application/json"))
			return
		}
		if err := json.Unmarshal(body, &req.body); err != nil {
			reply(nil, invalid("request body is not a JSON object"))
			return
		}
	}
	data, e := rt.h(s, req)
	reply(data, e)
}

func faultMessage(code int) string {
	switch {
	case code == CodeRateLimited:
		return "Request too frequent. Please try again later."
	case code >= 50000:
		return "Internal service error. Please try again later."
	case code == CodeNoPermission:
		return "No permission to operate this advertiser."
	}
	return "Injected failure."
}

// requestID mimics TikTok's request ids: a timestamp then hex digits.
func (s *Server) requestID() string {
	s.reqs++
	return s.now().UTC().Format("20060102150405") + fmt.Sprintf("%018X", s.reqs)
}

// str reads a scalar parameter.
func (r *request) str(name string) string {
	if r.method == http.MethodGet {
		return r.query.Get(name)
	}
	raw, ok := r.body[name]
	if !ok {
		return ""
	}
	var v string
	if json.Unmarshal(raw, &v) == nil {
		return v
	}
	return strings.Trim(string(raw), `"`)
}

// decode reads a structured parameter: a JSON-encoded string in a GET
// query, a JSON value in a POST body. ok is false when it is absent.
func (r *request) decode(name string, v any) (ok bool, e *apiError) {
	var raw []byte
	if r.method == http.MethodGet {
		s := r.query.Get(name)
		if s == "" {
			return false, nil
		}
		raw = []byte(s)
	} else {
		b, present := r.body[name]
		if !present || string(b) == "null" {
			return false, nil
		}
		raw = b
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return false, invalid("%s: invalid JSON value", name)
	}
	return true, nil
}

// paging reads page and page_size (default 10, or def) within 1..max.
func (r *request) paging(def, max int) (page, size int, e *apiError) {
	page, size = 1, def
	if p := r.str("page"); p != "" {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 {
			return 0, 0, invalid("page: must be an integer >= 1")
		}
		page = v
	}
	if p := r.str("page_size"); p != "" {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 || v > max {
			return 0, 0, invalid("page_size: must be an integer between 1 and %d", max)
		}
		size = v
	}
	return page, size, nil
}

// pageOf slices n items to one page and describes it.
func pageOf(n, page, size int) (lo, hi int, info map[string]any) {
	total := (n + size - 1) / size
	lo = min((page-1)*size, n)
	hi = min(lo+size, n)
	return lo, hi, map[string]any{"page": page, "page_size": size, "total_number": n, "total_page": total}
}

// owned checks the advertiser_id parameter against the seed.
func (s *Server) owned(r *request) (*Advertiser, *apiError) {
	id := r.str("advertiser_id")
	if id == "" {
		return nil, invalid("advertiser_id: field is required")
	}
	a := s.advertiser(id)
	if a == nil {
		return nil, &apiError{CodeNoPermission, fmt.Sprintf("No permission to operate advertiser %s, or it does not exist.", id)}
	}
	return a, nil
}

func fmtTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// fields picks the requested keys of an object (all when want is empty).
func fields(obj map[string]any, want []string) map[string]any {
	if len(want) == 0 {
		return obj
	}
	out := map[string]any{}
	for _, f := range want {
		if v, ok := obj[f]; ok {
			out[f] = v
		}
	}
	return out
}

// exponent is the number of decimals of a currency's minor unit.
func exponent(currency string) int {
	switch strings.ToUpper(currency) {
	case "JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX", "HUF":
		return 0
	case "BHD", "KWD", "JOD", "OMR", "TND", "IQD", "LYD":
		return 3
	}
	return 2
}

// decimal formats micro-units with the currency's decimals (half away from
// zero), as TikTok formats money.
func decimal(micros int64, currency string) string {
	e := exponent(currency)
	unit := int64(1)
	for range 6 - e {
		unit *= 10
	}
	neg := micros < 0
	if neg {
		micros = -micros
	}
	q, rem := micros/unit, micros%unit
	if 2*rem >= unit {
		q++
	}
	s := strconv.FormatInt(q, 10)
	if e > 0 {
		for len(s) <= e {
			s = "0" + s
		}
		s = s[:len(s)-e] + "." + s[len(s)-e:]
	}
	if neg && q != 0 {
		s = "-" + s
	}
	return s
}

// parseAmount reads a JSON number in major units into micro-units,
// rejecting more decimals than the currency has.
func parseAmount(n json.Number, currency string) (int64, bool) {
	s := n.String()
	if strings.ContainsAny(s, "eE-") {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	if len(frac) > exponent(currency) {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1<<40 {
		return 0, false
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt((frac + "000000")[:6], 10, 64)
	}
	return w*1_000_000 + f, true
}

func (s *Server) advertiserInfo(r *request) (any, *apiError) {
	var ids []string
	if ok, e := r.decode("advertiser_ids", &ids); e != nil || !ok || len(ids) == 0 || len(ids) > 100 {
		if e != nil {
			return nil, e
		}
		return nil, invalid("advertiser_ids: must be a JSON array of 1-100 advertiser ids")
	}
	var want []string
	if _, e := r.decode("fields", &want); e != nil {
		return nil, e
	}
	list := []any{}
	for _, id := range ids {
		a := s.advertiser(id)
		if a == nil {
			return nil, &apiError{CodeNoPermission, fmt.Sprintf("No permission to operate advertiser %s, or it does not exist.", id)}
		}
		list = append(list, fields(map[string]any{
			"advertiser_id": a.ID, "name": a.Name, "currency": a.Currency,
			"timezone": accountZone(a.Timezone), "display_timezone": a.Timezone,
			"status": "STATUS_ENABLE", "role": "ROLE_ADVERTISER", "advertiser_account_type": "AUCTION",
		}, want))
	}
	return map[string]any{"list": list}, nil
}
