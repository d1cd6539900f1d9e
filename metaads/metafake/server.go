package metafake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Paging limits: a list call returns DefaultLimit items unless it asks for
// more with limit, and never more than MaxLimit.
const (
	DefaultLimit = 25
	MaxLimit     = 500
)

// DefaultBusinessID keys the X-Business-Use-Case-Usage header, and is the
// business whose partnership-ads-advertisable-content is served, when the
// seed names no business.
const DefaultBusinessID = "100000000000001"

// LegacyMediaRemoved is when Meta removes
// /{ig_user}/branded_content_advertisable_medias (partnership-ads docs:
// 2026-12-01; midnight UTC, the earliest reading). From then on the fake
// answers it with Graph's "Unsupported get request" error.
var LegacyMediaRemoved = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// Limits of GET /{business_id}/partnership-ads-advertisable-content.
const (
	ContentDefaultLimit = 25
	ContentMaxLimit     = 50
)

// ReduceDataMessage is Graph's message (HTTP 500, code 1) for a page too
// large to assemble.
const ReduceDataMessage = "Please reduce the amount of data you're asking for, then retry your request"

// Call is one request the server received.
type Call struct {
	Method string
	// Path is the URL path, e.g. "/v25.0/act_1/insights".
	Path string
	// Params are the query and form parameters as received.
	Params url.Values
	// Status is the HTTP status the server answered with, and Code the
	// Graph error code of an error answer (0 for a success).
	Status int
	Code   int
	At     time.Time
	// Batched marks one operation of a batch request (POST / batch=…),
	// recorded besides the batch request itself: Meta counts each
	// operation against the limits.
	Batched bool
}

// fault is one queued injected failure.
type fault struct {
	status, code int
}

// run is an async insights report run.
type run struct {
	id, account string
	since       string
	until       string
	rows        []map[string]any
	polls       int
	runningFor  int
	outcome     string // "", "Job Failed", "Job Skipped"
	created     time.Time
}

// Server is the fake Graph API. New(Seed{}) is ready to use; the zero value
// works too (it accepts any token and has no data). Safe for concurrent use.
type Server struct {
	mu      sync.Mutex
	seed    Seed
	runs    map[string]*run
	nextRun int64
	trace   int64

	faults       []fault
	throttleN    int
	throttleWait time.Duration
	latency      time.Duration
	expired      bool
	failJobs     int
	skipJobs     int
	asyncRunning int
	reduceAbove  int
	usagePct     float64
	usageReset   time.Duration
	usageSet     bool

	calls []Call
}

// New returns a server holding a copy of seed. Ads, ad sets and campaigns
// the seed gives no updated_time were last updated at the server's start.
func New(seed Seed) *Server {
	s := &Server{seed: seed.clone()}
	start := s.now().UTC().Truncate(time.Second)
	for i := range s.seed.Accounts {
		a := &s.seed.Accounts[i]
		for j := range a.Ads {
			if a.Ads[j].UpdatedTime.IsZero() {
				a.Ads[j].UpdatedTime = start
			}
		}
		for j := range a.Campaigns {
			if a.Campaigns[j].UpdatedTime.IsZero() {
				a.Campaigns[j].UpdatedTime = start
			}
		}
		for j := range a.AdSets {
			if a.AdSets[j].UpdatedTime.IsZero() {
				a.AdSets[j].UpdatedTime = start
			}
		}
	}
	return s
}

// stamp is an updated_time for a change made now: Graph's times are to
// the second.
func (s *Server) stamp() time.Time { return s.now().UTC().Truncate(time.Second) }

// FailNext makes the next n calls (after authentication) fail with the
// HTTP status and Graph error code; code 0 sends a non-JSON body, as a
// proxy or load balancer would. Codes 1 and 2 are marked is_transient.
func (s *Server) FailNext(n, status, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status: status, code: code})
	}
}

// Throttle makes the next n calls fail with Meta's business-use-case
// rate-limit error (80000 on insights, 80002 on Instagram edges, 80004
// elsewhere), with usage headers at 100% that ask the caller to wait
// regain (rounded up to whole minutes, as Meta reports it).
func (s *Server) Throttle(n int, regain time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleN, s.throttleWait = n, regain
}

// ReduceDataAbove makes list reads of ads that expand creative{…} with a
// limit above n fail as Graph does for pages too large to assemble: HTTP
// 500, code 1, ReduceDataMessage. Zero turns it off.
func (s *Server) ReduceDataAbove(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reduceAbove = n
}

// Usage sets what healthy responses report in X-Ad-Account-Usage
// (acc_id_util_pct, reset_time_duration) and the other usage headers
// (default 1% and 100 s: Meta reports a reset window even far from the
// limit).
func (s *Server) Usage(pct float64, reset time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usagePct, s.usageReset, s.usageSet = pct, reset, true
}

// Latency delays every response by d (or until the request is cancelled).
func (s *Server) Latency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// ExpireToken makes every call fail with error 190 / subcode 463 (expired
// session) until RestoreToken.
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

// FailAsyncJobs makes the next n async report runs end in "Job Failed".
func (s *Server) FailAsyncJobs(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failJobs = n
}

// SkipAsyncJobs makes the next n async report runs end in "Job Skipped".
func (s *Server) SkipAsyncJobs(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skipJobs = n
}

// AsyncRunning makes each new report run answer "Job Running" to its first
// polls status reads before it finishes (default 0: done at the first read).
func (s *Server) AsyncRunning(polls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asyncRunning = polls
}

// Calls returns the calls received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	copy(out, s.calls)
	return out
}

// ResetCalls forgets the recorded calls.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// SetInsight adds or replaces (by ad and day) an insights row of account.
func (s *Server) SetInsight(account string, in Insight) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(account)
	if a == nil {
		s.seed.Accounts = append(s.seed.Accounts, Account{ID: account})
		a = &s.seed.Accounts[len(s.seed.Accounts)-1]
	}
	in = in.clone()
	for i := range a.Insights {
		if a.Insights[i].AdID == in.AdID && a.Insights[i].Day == in.Day {
			a.Insights[i] = in
			return
		}
	}
	a.Insights = append(a.Insights, in)
}

// Restate applies fn to every insights row of account dated on or after
// from ("YYYY-MM-DD"), as Meta restates recent days, and returns how many
// rows it visited.
func (s *Server) Restate(account, from string, fn func(*Insight)) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(account)
	if a == nil {
		return 0
	}
	n := 0
	for i := range a.Insights {
		if a.Insights[i].Day >= from {
			fn(&a.Insights[i])
			n++
		}
	}
	return n
}

// AddAd adds or replaces (by id) an ad of account, as a change made in
// Ads Manager: its updated_time is the server's now unless ad sets one.
func (s *Server) AddAd(account string, ad Ad) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ad.UpdatedTime.IsZero() {
		ad.UpdatedTime = s.stamp()
	}
	a := s.account(account)
	if a == nil {
		s.seed.Accounts = append(s.seed.Accounts, Account{ID: account})
		a = &s.seed.Accounts[len(s.seed.Accounts)-1]
	}
	for i := range a.Ads {
		if a.Ads[i].ID == ad.ID {
			a.Ads[i] = ad
			return
		}
	}
	a.Ads = append(a.Ads, ad)
}

// PurgeAd removes an ad, as Meta purges deleted ads some time after their
// deletion: no edge lists it any more, whatever the status filter. It
// reports whether the ad existed.
func (s *Server) PurgeAd(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, i := s.findAd(id)
	if a == nil {
		return false
	}
	a.Ads = append(a.Ads[:i], a.Ads[i+1:]...)
	return true
}

// SetPermission adds or replaces (by id) a partnership-ad permission.
func (s *Server) SetPermission(p Permission) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p = p.clone()
	for i := range s.seed.Permissions {
		if s.seed.Permissions[i].ID == p.ID {
			s.seed.Permissions[i] = p
			return
		}
	}
	s.seed.Permissions = append(s.seed.Permissions, p)
}

// Ad returns the current state of an ad.
func (s *Server) Ad(id string) (Ad, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, i := s.findAd(id); a != nil {
		return a.Ads[i], true
	}
	return Ad{}, false
}

// Ads returns the current state of account's ads, in the order the ads
// edge lists them.
func (s *Server) Ads(account string) []Ad {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.account(account); a != nil {
		return slices.Clone(a.Ads)
	}
	return nil
}

// Campaigns returns the current state of account's campaigns.
func (s *Server) Campaigns(account string) []Campaign {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.account(account); a != nil {
		return slices.Clone(a.Campaigns)
	}
	return nil
}

// AdSet returns the current state of an ad set.
func (s *Server) AdSet(id string) (AdSet, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, i := s.findAdSet(id); a != nil {
		return a.AdSets[i], true
	}
	return AdSet{}, false
}

// now is the server's clock.
func (s *Server) now() time.Time {
	if s.seed.Now != nil {
		return s.seed.Now()
	}
	return time.Now()
}

func (s *Server) account(id string) *Account {
	for i := range s.seed.Accounts {
		if s.seed.Accounts[i].ID == id {
			return &s.seed.Accounts[i]
		}
	}
	return nil
}

func (s *Server) findAd(id string) (*Account, int) {
	for i := range s.seed.Accounts {
		for j := range s.seed.Accounts[i].Ads {
			if s.seed.Accounts[i].Ads[j].ID == id {
				return &s.seed.Accounts[i], j
			}
		}
	}
	return nil, -1
}

func (s *Server) findAdSet(id string) (*Account, int) {
	for i := range s.seed.Accounts {
		for j := range s.seed.Accounts[i].AdSets {
			if s.seed.Accounts[i].AdSets[j].ID == id {
				return &s.seed.Accounts[i], j
			}
		}
	}
	return nil, -1
}

var versionRE = regexp.MustCompile(`^v\d+\.\d+$`)

// response is what a handler produced, written after the lock is released.
type response struct {
	status int
	code   int // the Graph error code of an error answer
	header http.Header
	body   []byte
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	params, err := requestParams(r)
	if err != nil {
		s.mu.Lock()
		resp := s.graphError(http.StatusBadRequest, 100, 0, "(#100) "+err.Error(), "OAuthException", nil)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(resp.status)
		_, _ = w.Write(resp.body)
		return
	}
	s.mu.Lock()
	lat := s.latency
	s.mu.Unlock()
	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}

	s.mu.Lock()
	var resp response
	if isBatch(r, params) {
		resp = s.batch(r, params)
	} else {
		resp = s.handle(r, params)
	}
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Params: cloneValues(params), Status: resp.status, Code: resp.code, At: time.Now()})
	s.mu.Unlock()

	for k, vs := range resp.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// requestParams merges the query with the body: a form (what the Graph
// SDKs for PHP and Python post) or a JSON object (what the Node SDK
// posts), whose strings are taken as they are, numbers and booleans as
// their JSON text, and arrays and objects as JSON strings, as Graph reads
// them.
func requestParams(r *http.Request) (url.Values, error) {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/json") || r.Body == nil {
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("the request body is not a valid form: %v", err)
		}
		return r.Form, nil
	}
	params := r.URL.Query()
	dec := json.NewDecoder(io.LimitReader(r.Body, 10<<20))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil && err != io.EOF {
		return nil, fmt.Errorf("the JSON request body is not an object: %v", err)
	}
	for k, v := range body {
		switch x := v.(type) {
		case string:
			params.Set(k, x)
		case json.Number:
			params.Set(k, x.String())
		case bool:
			params.Set(k, strconv.FormatBool(x))
		case nil:
		default:
			params.Set(k, mustJSON(x))
		}
	}
	return params, nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// handle runs one request under s.mu.
func (s *Server) handle(r *http.Request, params url.Values) response {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) > 0 && versionRE.MatchString(segs[0]) {
		segs = segs[1:]
	}
	if len(segs) == 0 || segs[0] == "" {
		return s.graphError(http.StatusBadRequest, 100, 0, "(#100) Missing object id", "GraphMethodException", nil)
	}
	hdr := s.usageHeaders(segs, false)

	if len(segs) == 1 && segs[0] == "debug_token" && r.Method == http.MethodGet {
		return s.debugToken(r, params, hdr)
	}
	if resp, ok := s.authenticate(r, params, hdr); !ok {
		return resp
	}
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		return s.injected(f, hdr)
	}
	if s.throttleN > 0 {
		s.throttleN--
		return s.throttled(segs)
	}

	switch {
	case len(segs) == 1 && r.Method == http.MethodGet:
		return s.getObject(segs[0], params, hdr)
	case len(segs) == 1 && r.Method == http.MethodPost:
		return s.postObject(segs[0], params, hdr)
	case len(segs) == 2 && segs[1] == "ads" && r.Method == http.MethodGet:
		return s.listAds(r, segs[0], params, hdr)
	case len(segs) == 2 && segs[1] == "campaigns" && r.Method == http.MethodGet:
		return s.listCampaigns(r, segs[0], params, hdr)
	case len(segs) == 2 && segs[1] == "adsets" && r.Method == http.MethodGet:
		return s.listAdSets(r, segs[0], params, hdr)
	case len(segs) == 2 && segs[1] == "insights" && r.Method == http.MethodGet:
		if strings.HasPrefix(segs[0], "act_") {
			return s.syncInsights(r, segs[0], params, hdr)
		}
		return s.runInsights(r, segs[0], params, hdr)
	case len(segs) == 2 && segs[1] == "insights" && r.Method == http.MethodPost:
		return s.createRun(segs[0], params, hdr)
	case len(segs) == 2 && segs[1] == "branded_content_ad_permissions" && r.Method == http.MethodGet:
		return s.listPermissions(r, segs[0], params, hdr)
	case len(segs) == 2 && segs[1] == "branded_content_advertisable_medias" && r.Method == http.MethodGet:
		if !s.now().Before(LegacyMediaRemoved) {
			return s.unsupported(r.Method, segs[0], hdr)
		}
		return s.listMedia(r, segs[0], params, hdr)
	case len(segs) == 2 && segs[1] == "partnership-ads-advertisable-content" && r.Method == http.MethodGet:
		return s.advertisableContent(r, segs[0], params, hdr)
	}
	return s.unsupported(r.Method, segs[0], hdr)
}

// authenticate checks the token (Authorization header or access_token
// parameter) and, with an app secret, the appsecret_proof.
func (s *Server) authenticate(r *http.Request, params url.Values, hdr http.Header) (response, bool) {
	token := params.Get("access_token")
	if h := r.Header.Get("Authorization"); h != "" {
		for _, p := range []string{"Bearer ", "OAuth "} {
			if strings.HasPrefix(h, p) {
				token = strings.TrimSpace(h[len(p):])
			}
		}
	}
	switch {
	case token == "":
		return s.graphError(http.StatusBadRequest, 104, 0, "An access token is required to request this resource.", "OAuthException", hdr), false
	case s.seed.Token != "" && token != s.seed.Token:
		return s.graphError(http.StatusBadRequest, 190, 0, "Invalid OAuth access token - Cannot parse access token", "OAuthException", hdr), false
	case s.expired:
		return s.graphError(http.StatusBadRequest, 190, 463, "Error validating access token: Session has expired on Monday, 01-Jun-26 00:00:00 PDT. The current time is later.", "OAuthException", hdr), false
	case s.tokenExpired():
		return s.graphError(http.StatusBadRequest, 190, 463, s.expiredMessage(), "OAuthException", hdr), false
	}
	if s.seed.AppSecret != "" {
		proof := params.Get("appsecret_proof")
		if proof == "" {
			return s.graphError(http.StatusBadRequest, 100, 0, "API calls from the server require an appsecret_proof argument", "GraphMethodException", hdr), false
		}
		m := hmac.New(sha256.New, []byte(s.seed.AppSecret))
		m.Write([]byte(token))
		if !hmac.Equal([]byte(proof), []byte(hex.EncodeToString(m.Sum(nil)))) {
			return s.graphError(http.StatusBadRequest, 100, 0, "Invalid appsecret_proof provided in the API argument", "GraphMethodException", hdr), false
		}
	}
	return response{}, true
}

var faultMessages = map[int]struct{ msg, typ string }{
	1:   {"An unknown error occurred", "OAuthException"},
	2:   {"An unexpected error has occurred. Please retry your request later.", "OAuthException"},
	4:   {"(#4) Application request limit reached", "OAuthException"},
	10:  {"(#10) Application does not have permission for this action", "OAuthException"},
	17:  {"(#17) User request limit reached", "OAuthException"},
	32:  {"(#32) Page request limit reached", "OAuthException"},
	100: {"(#100) Invalid parameter", "OAuthException"},
	190: {"Invalid OAuth access token - Cannot parse access token", "OAuthException"},
	200: {"(#200) Requires ads_management permission to manage the object", "OAuthException"},
	613: {"(#613) Calls to this api have exceeded the rate limit.", "OAuthException"},
}

func (s *Server) injected(f fault, hdr http.Header) response {
	if f.code == 0 {
		h := http.Header{"Content-Type": {"text/html"}}
		return response{status: f.status, header: h, body: []byte("<html><body>" + http.StatusText(f.status) + "</body></html>")}
	}
	m, ok := faultMessages[f.code]
	if !ok {
		m.msg, m.typ = fmt.Sprintf("(#%d) Injected error", f.code), "OAuthException"
	}
	return s.graphError(f.status, f.code, throttleSubcodes[f.code], m.msg, m.typ, hdr)
}

// IsThrottle reports whether code is one of Graph's rate-limit errors: 4
// (app), 17 (user), 32 (page), 613 (custom), 80000–80014 (business use
// case).
func IsThrottle(code int) bool {
	switch {
	case code == 4, code == 17, code == 32, code == 613:
		return true
	}
	return code >= 80000 && code <= 80014
}

// throttleSubcodes are the subcodes Meta sends with its throttle codes.
var throttleSubcodes = map[int]int{17: 2446079, 613: 1487742}

// throttled answers with the business-use-case limit error of the edge.
func (s *Server) throttled(segs []string) response {
	hdr := s.usageHeaders(segs, true)
	code, msg := 80004, "There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management."
	switch {
	case len(segs) == 2 && segs[1] == "insights", len(segs) == 1 && !strings.HasPrefix(segs[0], "act_") && s.runs[segs[0]] != nil:
		code, msg = 80000, "There have been too many calls from this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-insights."
	case len(segs) == 2 && strings.HasPrefix(segs[1], "branded_content"):
		code, msg = 80002, "There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
	}
	return s.graphErrorT(http.StatusBadRequest, code, 2446079, msg, "OAuthException", true, hdr)
}

// usageHeaders builds Meta's usage headers for a call on segs; full means
// the limit is reached.
func (s *Server) usageHeaders(segs []string, full bool) http.Header {
	biz := s.seed.BusinessID
	if biz == "" {
		biz = DefaultBusinessID
	}
	typ := "ads_management"
	insights := len(segs) == 2 && segs[1] == "insights" || (len(segs) >= 1 && s.runs[segs[0]] != nil)
	if insights {
		typ = "ads_insights"
	}
	if len(segs) == 2 && strings.HasPrefix(segs[1], "branded_content") {
		typ = "instagram"
	}
	pct, regain := 1.0, 0
	reset := 100 * time.Second
	if s.usageSet {
		pct, reset = s.usagePct, s.usageReset
	}
	if full {
		pct = 100
		regain = int((s.throttleWait + time.Minute - 1) / time.Minute)
		reset = s.throttleWait
	}
	buc := map[string][]map[string]any{biz: {{
		"type": typ, "call_count": pct, "total_cputime": pct, "total_time": pct,
		"estimated_time_to_regain_access": regain, "ads_api_access_tier": "standard_access",
	}}}
	h := http.Header{}
	h.Set("X-Business-Use-Case-Usage", mustJSON(buc))
	h.Set("X-App-Usage", mustJSON(map[string]float64{"call_count": pct, "total_cputime": pct, "total_time": pct}))
	if len(segs) >= 1 && strings.HasPrefix(segs[0], "act_") {
		h.Set("X-Ad-Account-Usage", mustJSON(map[string]any{"acc_id_util_pct": pct, "reset_time_duration": int(reset / time.Second), "ads_api_access_tier": "standard_access"}))
	}
	if insights {
		h.Set("X-FB-Ads-Insights-Throttle", mustJSON(map[string]any{"app_id_util_pct": pct, "acc_id_util_pct": pct, "ads_api_access_tier": "standard_access"}))
	}
	return h
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (s *Server) graphError(status, code, sub int, msg, typ string, hdr http.Header) response {
	transient := false
	switch code {
	case 1, 2, 4, 17, 32, 613:
		transient = true
	}
	return s.graphErrorT(status, code, sub, msg, typ, transient, hdr)
}

func (s *Server) graphErrorT(status, code, sub int, msg, typ string, transient bool, hdr http.Header) response {
	s.trace++
	e := map[string]any{"message": msg, "type": typ, "code": code, "is_transient": transient,
		"fbtrace_id": fmt.Sprintf("AfakeTrace%06d", s.trace)}
	if sub != 0 {
		e["error_subcode"] = sub
	}
	resp := jsonResponse(status, hdr, map[string]any{"error": e})
	resp.code = code
	return resp
}

func jsonResponse(status int, hdr http.Header, v any) response {
	if hdr == nil {
		hdr = http.Header{}
	}
	return response{status: status, header: hdr, body: []byte(mustJSON(v))}
}

func (s *Server) unsupported(method, id string, hdr http.Header) response {
	verb := "get"
	if method == http.MethodPost {
		verb = "post"
	}
	return s.graphError(http.StatusBadRequest, 100, 33, fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api", verb, id), "GraphMethodException", hdr)
}

func (s *Server) invalid(msg string, hdr http.Header) response {
	return s.graphError(http.StatusBadRequest, 100, 0, "(#100) "+msg, "OAuthException", hdr)
}

// getObject reads a node: ad account, report run, ad set or ad. Only the
// requested fields (plus id) are returned; without fields, only id.
func (s *Server) getObject(id string, params url.Values, hdr http.Header) response {
	var (
		obj map[string]any
		nt  *nodeType
	)
	if a := s.account(id); a != nil {
		obj, nt = map[string]any{
			"id": a.ID, "account_id": strings.TrimPrefix(a.ID, "act_"), "name": a.Name,
			"currency": a.Currency, "timezone_name": a.Timezone,
		}, nodeAdAccount
	} else if ru := s.runs[id]; ru != nil {
		ru.polls++
		status, pct := "Job Completed", 100
		switch {
		case ru.polls <= ru.runningFor:
			status, pct = "Job Running", ru.polls*100/(ru.runningFor+1)
		case ru.outcome != "":
			status, pct = ru.outcome, 0
		}
		obj, nt = map[string]any{
			"id": ru.id, "account_id": strings.TrimPrefix(ru.account, "act_"),
			"async_status": status, "async_percent_completion": pct,
			"date_start": ru.since, "date_stop": ru.until,
			"time_ref": ru.created.Unix(), "is_running": status == "Job Running",
		}, nodeAdReportRun
		if ru.outcome == "Job Failed" && ru.polls > ru.runningFor {
			// Since v25.0 a failed run says why.
			obj["error_code"] = -2
			obj["error_subcode"] = 2490547
			obj["error_message"] = "The report job failed: the requested range and breakdowns produce too much data."
			obj["error_user_title"] = "Report too large"
			obj["error_user_msg"] = "Request a shorter date range or fewer fields."
		}
	} else if a, i := s.findAdSet(id); a != nil {
		as := a.AdSets[i]
		obj, nt = adSetJSON(as, pausedOf(a)), nodeAdSet
		if !s.campaignBudget(as.CampaignID) {
			// Under Advantage+ campaign budget an ad set has no budget
			// fields at all.
			obj["daily_budget"] = strconv.FormatInt(as.DailyBudget, 10)
		}
	} else if a, i := s.findCampaign(id); a != nil {
		obj, nt = campaignJSON(a.ID, a.Campaigns[i]), nodeCampaign
	} else if a, i := s.findAd(id); a != nil {
		obj, nt = adJSON(a.Ads[i]), nodeAd
		obj["effective_status"] = derivedStatus(a, a.Ads[i])
	} else {
		return s.unsupported(http.MethodGet, id, hdr)
	}
	spec, err := parseFields(params.Get("fields"))
	if err != nil {
		return s.invalid("Syntax error in fields: "+err.Error(), hdr)
	}
	out, err := project(obj, nt, spec)
	if err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, err.Error(), "OAuthException", hdr)
	}
	return jsonResponse(http.StatusOK, hdr, out)
}

// postObject updates an ad's status or an ad set's budget/status.
func (s *Server) postObject(id string, params url.Values, hdr http.Header) response {
	validStatus := func(st string) bool {
		switch st {
		case "ACTIVE", "PAUSED", "DELETED", "ARCHIVED":
			return true
		}
		return false
	}
	if a, i := s.findAd(id); a != nil {
		st := params.Get("status")
		if st == "" || !validStatus(st) {
			return s.invalid("Param status must be one of {ACTIVE, PAUSED, DELETED, ARCHIVED}", hdr)
		}
		a.Ads[i].Status, a.Ads[i].EffectiveStatus = st, st
		a.Ads[i].UpdatedTime = s.stamp()
		return jsonResponse(http.StatusOK, hdr, map[string]any{"success": true})
	}
	if a, i := s.findCampaign(id); a != nil {
		return s.postCampaign(a, i, params, hdr)
	}
	if a, i := s.findAdSet(id); a != nil {
		if (params.Get("daily_budget") != "" || params.Get("lifetime_budget") != "") && s.campaignBudget(a.AdSets[i].CampaignID) {
			return s.budgetConflict(hdr)
		}
		if v := params.Get("daily_budget"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return s.invalid("Param daily_budget must be a positive integer in the currency's minor units", hdr)
			}
			if a.AdSets[i].DailyBudget == 0 {
				return s.invalid("This ad set uses a lifetime budget; daily_budget cannot be set", hdr)
			}
			a.AdSets[i].DailyBudget = n
		}
		if st := params.Get("status"); st != "" {
			if !validStatus(st) {
				return s.invalid("Param status must be one of {ACTIVE, PAUSED, DELETED, ARCHIVED}", hdr)
			}
			a.AdSets[i].Status = st
		}
		a.AdSets[i].UpdatedTime = s.stamp()
		return jsonResponse(http.StatusOK, hdr, map[string]any{"success": true})
	}
	return s.unsupported(http.MethodPost, id, hdr)
}

func requestScheme(r *http.Request) string {
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		return p
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// page answers with one page of items as {"data","paging"}. Cursors are
// base64 positions; next is an absolute URL on the request's own host.
func (s *Server) page(r *http.Request, items []any, params url.Values, hdr http.Header) response {
	limit := DefaultLimit
	if l := params.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			return s.invalid("Param limit must be a positive integer", hdr)
		}
		limit = min(n, MaxLimit)
	}
	return s.pageAt(r, items, params, hdr, limit, false)
}

// pageAt answers with the page of limit items after the after cursor.
// forwardOnly pages (partnership-ads-advertisable-content) carry only an
// after cursor, and the last page carries no paging at all.
func (s *Server) pageAt(r *http.Request, items []any, params url.Values, hdr http.Header, limit int, forwardOnly bool) response {
	start := 0
	if c := params.Get("after"); c != "" {
		n, ok := decodeCursor(c)
		if !ok {
			return s.invalid("Param after is not a valid cursor", hdr)
		}
		start = n + 1
	}
	start = min(start, len(items))
	end := min(start+limit, len(items))
	body := map[string]any{"data": append([]any{}, items[start:end]...)}
	if start < end && (!forwardOnly || end < len(items)) {
		cursors := map[string]string{"before": encodeCursor(start), "after": encodeCursor(end - 1)}
		if forwardOnly {
			delete(cursors, "before")
		}
		paging := map[string]any{"cursors": cursors}
		if end < len(items) {
			q := cloneValues(params)
			q.Del("before")
			q.Set("after", encodeCursor(end-1))
			q.Set("limit", strconv.Itoa(limit))
			paging["next"] = (&url.URL{Scheme: requestScheme(r), Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}).String()
		}
		body["paging"] = paging
	}
	return jsonResponse(http.StatusOK, hdr, body)
}

func encodeCursor(i int) string {
	return base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(i)))
}

func decodeCursor(c string) (int, bool) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(string(b))
	return n, err == nil && n >= 0
}
