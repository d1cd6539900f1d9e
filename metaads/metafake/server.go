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
	"sort"
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

// New returns a server holding a copy of seed.
func New(seed Seed) *Server {
	return &Server{seed: seed.clone()}
}

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

// AddAd adds or replaces (by id) an ad of account.
func (s *Server) AddAd(account string, ad Ad) {
	s.mu.Lock()
	defer s.mu.Unlock()
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

// MaxBatch is the most operations one Graph batch request may carry.
const MaxBatch = 50

// isBatch reports whether r is a Graph batch request: a POST to the root
// (versioned or not) with a batch parameter.
func isBatch(r *http.Request, params url.Values) bool {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	root := len(segs) == 1 && (segs[0] == "" || versionRE.MatchString(segs[0]))
	return r.Method == http.MethodPost && root && params.Has("batch")
}

// batchOp is one operation of a batch request.
type batchOp struct {
	Method      string `json:"method"`
	RelativeURL string `json:"relative_url"`
	Body        string `json:"body"`
	Name        string `json:"name"`
}

// batch serves POST / with batch=[…]: at most MaxBatch operations, each
// authenticated with the request's token and answered in order as
// {"code","headers","body"} (body a JSON string; headers dropped with
// include_headers=false). Each operation is recorded as a Call of its own
// (Batched set) and counts against the limits as a separate call would;
// the batch request itself is recorded by ServeHTTP.
func (s *Server) batch(r *http.Request, params url.Values) response {
	var ops []batchOp
	if err := json.Unmarshal([]byte(params.Get("batch")), &ops); err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, "(#100) The parameter batch must be a JSON array", "OAuthException", nil)
	}
	if len(ops) == 0 {
		return s.graphError(http.StatusBadRequest, 100, 0, "(#100) The parameter batch is required and must not be empty", "OAuthException", nil)
	}
	if len(ops) > MaxBatch {
		return s.graphError(http.StatusBadRequest, 1, 0, fmt.Sprintf("(#1) Too many requests in batch message. Maximum batch size is %d", MaxBatch), "OAuthException", nil)
	}
	if resp, ok := s.authenticate(r, params, http.Header{}); !ok {
		return resp
	}
	version := strings.Trim(r.URL.Path, "/")
	headers := params.Get("include_headers") != "false"
	out := make([]any, len(ops))
	for i, op := range ops {
		method := strings.ToUpper(op.Method)
		if method == "" {
			method = http.MethodGet
		}
		rel := strings.TrimLeft(op.RelativeURL, "/")
		if first, _, _ := strings.Cut(rel, "/"); !versionRE.MatchString(first) && version != "" {
			rel = version + "/" + rel
		}
		var body io.Reader
		if op.Body != "" {
			body = strings.NewReader(op.Body)
		}
		req, err := http.NewRequest(method, "/"+rel, body)
		if err != nil {
			out[i] = map[string]any{"code": http.StatusBadRequest, "body": string(s.graphError(http.StatusBadRequest, 100, 0, "(#100) Invalid relative_url", "OAuthException", nil).body)}
			continue
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Authorization", r.Header.Get("Authorization"))
		opParams, err := requestParams(req)
		if err != nil {
			opParams = url.Values{}
		}
		for _, k := range []string{"access_token", "appsecret_proof"} {
			if !opParams.Has(k) && params.Has(k) {
				opParams.Set(k, params.Get(k))
			}
		}
		resp := s.handle(req, opParams)
		s.calls = append(s.calls, Call{Method: method, Path: req.URL.Path, Params: cloneValues(opParams), Status: resp.status, Code: resp.code, At: time.Now(), Batched: true})
		item := map[string]any{"code": resp.status, "body": string(resp.body)}
		if headers {
			var hs []map[string]string
			for k, vs := range resp.header {
				for _, v := range vs {
					hs = append(hs, map[string]string{"name": k, "value": v})
				}
			}
			item["headers"] = hs
		}
		out[i] = item
	}
	return response{status: http.StatusOK, body: []byte(mustJSON(out))}
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
		obj, nt = map[string]any{
			"id": as.ID, "name": as.Name, "campaign_id": as.CampaignID, "status": orDefault(as.Status, "ACTIVE"),
		}, nodeAdSet
		if !s.campaignBudget(as.CampaignID) {
			// Under Advantage+ campaign budget an ad set has no budget
			// fields at all.
			obj["daily_budget"] = strconv.FormatInt(as.DailyBudget, 10)
		}
	} else if a, i := s.findCampaign(id); a != nil {
		obj, nt = campaignJSON(a.ID, a.Campaigns[i]), nodeCampaign
	} else if a, i := s.findAd(id); a != nil {
		obj, nt = adJSON(a.Ads[i]), nodeAd
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
		a.Ads[i].UpdatedTime = time.Now().UTC().Truncate(time.Second)
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
		return jsonResponse(http.StatusOK, hdr, map[string]any{"success": true})
	}
	return s.unsupported(http.MethodPost, id, hdr)
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

const graphTime = "2006-01-02T15:04:05-0700"

// adJSON renders an ad with its creative, omitting empty fields as the
// Graph API does.
func adJSON(ad Ad) map[string]any {
	st := orDefault(ad.Status, "ACTIVE")
	out := map[string]any{
		"id": ad.ID, "name": ad.Name, "adset_id": ad.AdSetID, "campaign_id": ad.CampaignID,
		"status": st, "effective_status": orDefault(ad.EffectiveStatus, st),
	}
	if !ad.UpdatedTime.IsZero() {
		out["updated_time"] = ad.UpdatedTime.UTC().Format(graphTime)
	}
	c := ad.Creative
	cr := map[string]any{"id": orDefault(c.ID, ad.ID+"0")}
	put := func(k, v string) {
		if v != "" {
			cr[k] = v
		}
	}
	put("object_story_id", c.ObjectStoryID)
	put("effective_object_story_id", c.EffectiveObjectStoryID)
	put("instagram_user_id", c.InstagramUserID)
	put("effective_instagram_media_id", c.EffectiveInstagramMediaID)
	put("source_instagram_media_id", c.SourceInstagramMediaID)
	put("url_tags", c.URLTags)
	if c.SponsorID != "" {
		cr["instagram_branded_content"] = map[string]any{"sponsor_id": c.SponsorID}
	}
	if c.SponsorPageID != "" {
		cr["facebook_branded_content"] = map[string]any{"sponsor_page_id": c.SponsorPageID}
	}
	if c.ObjectStoryID == "" {
		spec := map[string]any{}
		if c.PageID != "" {
			spec["page_id"] = c.PageID
		}
		if c.InstagramUserID != "" {
			spec["instagram_user_id"] = c.InstagramUserID
		}
		if c.Link != "" {
			spec["link_data"] = map[string]any{"link": c.Link}
		}
		if len(spec) > 0 {
			cr["object_story_spec"] = spec
		}
	} else {
		put("link_url", c.Link)
	}
	out["creative"] = cr
	return out
}

// listAds serves GET /act_X/ads. Deleted and archived ads are left out
// unless an effective_status filter asks for them.
func (s *Server) listAds(r *http.Request, id string, params url.Values, hdr http.Header) response {
	a := s.account(id)
	if a == nil {
		return s.unsupported(http.MethodGet, id, hdr)
	}
	want, bad := s.statusFilter(params.Get("effective_status"), "effective_status", hdr)
	if bad != nil {
		return *bad
	}
	fields := params.Get("fields")
	if s.reduceAbove > 0 && strings.Contains(strings.ReplaceAll(fields, " ", ""), "creative{") {
		if n, err := strconv.Atoi(params.Get("limit")); err == nil && n > s.reduceAbove || params.Get("limit") == "" && DefaultLimit > s.reduceAbove {
			return s.graphError(http.StatusInternalServerError, 1, 0, ReduceDataMessage, "OAuthException", hdr)
		}
	}
	var objs []map[string]any
	for _, ad := range a.Ads {
		if !want(effectiveStatus(ad)) {
			continue
		}
		objs = append(objs, adJSON(ad))
	}
	items, err := projectAll(objs, nodeAd, fields)
	if err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, err.Error(), "OAuthException", hdr)
	}
	return s.page(r, items, params, hdr)
}

// AdEffectiveStatuses are the values of an ad's effective_status.
var AdEffectiveStatuses = []string{"ACTIVE", "PAUSED", "DELETED", "PENDING_REVIEW", "DISAPPROVED", "PREAPPROVED",
	"PENDING_BILLING_INFO", "CAMPAIGN_PAUSED", "ARCHIVED", "ADSET_PAUSED", "IN_PROCESS", "WITH_ISSUES"}

func effectiveStatus(ad Ad) string {
	return orDefault(ad.EffectiveStatus, orDefault(ad.Status, "ACTIVE"))
}

// statusFilter reads a JSON array of effective statuses (the ads edge's
// effective_status, or the value of an ad.effective_status filtering
// entry). Without one, Meta leaves ARCHIVED and DELETED out.
func (s *Server) statusFilter(raw, param string, hdr http.Header) (func(string) bool, *response) {
	if raw == "" {
		return func(st string) bool { return st != "DELETED" && st != "ARCHIVED" }, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(raw), &list); err != nil || len(list) == 0 {
		r := s.invalid("Param "+param+" must be a non-empty JSON array of statuses", hdr)
		return nil, &r
	}
	set := map[string]bool{}
	for _, st := range list {
		known := false
		for _, k := range AdEffectiveStatuses {
			known = known || k == st
		}
		if !known {
			r := s.invalid(fmt.Sprintf("Param %s[%d] must be one of {%s}", param, len(set), strings.Join(AdEffectiveStatuses, ", ")), hdr)
			return nil, &r
		}
		set[st] = true
	}
	return func(st string) bool { return set[st] }, nil
}

// insightsQuery is a validated insights request.
type insightsQuery struct {
	since, until string
	fields       map[string]bool
	windows      []string
	// status keeps the rows of ads whose effective status passes (by
	// default not ARCHIVED or DELETED, as on Meta).
	status func(string) bool
}

// insightsDefaultFields are what an insights read without fields returns.
var insightsDefaultFields = []string{"date_start", "date_stop", "impressions", "spend"}

func (s *Server) parseInsights(params url.Values, hdr http.Header) (insightsQuery, *response) {
	var q insightsQuery
	if lv := params.Get("level"); lv != "ad" {
		r := s.invalid("The fake supports level=ad only", hdr)
		return q, &r
	}
	if ti := params.Get("time_increment"); ti != "1" {
		r := s.invalid("The fake supports time_increment=1 only", hdr)
		return q, &r
	}
	var tr struct{ Since, Until string }
	if err := json.Unmarshal([]byte(params.Get("time_range")), &tr); err != nil || !validDay(tr.Since) || !validDay(tr.Until) || tr.Until < tr.Since {
		r := s.invalid(`Param time_range must be {"since":"YYYY-MM-DD","until":"YYYY-MM-DD"} with since <= until`, hdr)
		return q, &r
	}
	q.since, q.until = tr.Since, tr.Until
	q.fields = map[string]bool{}
	if f := params.Get("fields"); f != "" {
		for _, x := range strings.Split(f, ",") {
			q.fields[strings.TrimSpace(x)] = true
		}
	} else {
		for _, x := range insightsDefaultFields {
			q.fields[x] = true
		}
	}
	statusJSON := ""
	if f := params.Get("filtering"); f != "" {
		var filters []struct {
			Field    string          `json:"field"`
			Operator string          `json:"operator"`
			Value    json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal([]byte(f), &filters); err != nil {
			r := s.invalid(`Param filtering must be a JSON array of {"field","operator","value"}`, hdr)
			return q, &r
		}
		for _, fl := range filters {
			if fl.Field != "ad.effective_status" {
				continue
			}
			if fl.Operator != "IN" {
				r := s.invalid("Filtering on ad.effective_status supports operator IN only", hdr)
				return q, &r
			}
			statusJSON = string(fl.Value)
		}
	}
	status, bad := s.statusFilter(statusJSON, "filtering.value", hdr)
	if bad != nil {
		return q, bad
	}
	q.status = status
	if w := params.Get("action_attribution_windows"); w != "" {
		if err := json.Unmarshal([]byte(w), &q.windows); err != nil {
			q.windows = strings.Split(strings.Trim(w, "[]"), ",")
		}
		kept := q.windows[:0]
		for _, w := range q.windows {
			w = strings.Trim(strings.TrimSpace(w), `"`)
			if gone, ok := RetiredWindows[w]; ok && !s.now().Before(gone) {
				continue // accepted, and silently not returned
			}
			kept = append(kept, w)
		}
		q.windows = kept
	}
	return q, nil
}

// RetiredWindows are the attribution windows Meta stopped returning, and
// from when (Ads Insights API metric availability update of 2025-10-16:
// 7d_view and 28d_view from 2026-01-12). Asked for after that, they are
// accepted without an error and left out of every actions entry, as Meta
// does.
var RetiredWindows = map[string]time.Time{
	"7d_view":  time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC),
	"28d_view": time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC),
}

func validDay(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// rows renders the insights rows of account a for q.
func (s *Server) rows(a *Account, q insightsQuery) []map[string]any {
	ads := map[string]Ad{}
	for _, ad := range a.Ads {
		ads[ad.ID] = ad
	}
	var sel []Insight
	for _, in := range a.Insights {
		if ad, ok := ads[in.AdID]; ok && q.status != nil && !q.status(effectiveStatus(ad)) {
			continue
		}
		if in.Day >= q.since && in.Day <= q.until {
			sel = append(sel, in)
		}
	}
	sort.Slice(sel, func(i, j int) bool {
		if sel[i].Day != sel[j].Day {
			return sel[i].Day < sel[j].Day
		}
		return sel[i].AdID < sel[j].AdID
	})
	want := func(f string) bool { return q.fields[f] }
	out := make([]map[string]any, 0, len(sel))
	for _, in := range sel {
		row := map[string]any{"date_start": in.Day, "date_stop": in.Day}
		ad := ads[in.AdID]
		opt := map[string]any{
			"ad_id": in.AdID, "ad_name": ad.Name, "adset_id": ad.AdSetID, "campaign_id": ad.CampaignID,
			"account_id": strings.TrimPrefix(a.ID, "act_"), "account_currency": a.Currency,
			"spend":                  formatMicros(in.SpendMicros),
			"impressions":            strconv.FormatInt(in.Impressions, 10),
			"clicks":                 strconv.FormatInt(in.Clicks, 10),
			"inline_post_engagement": strconv.FormatInt(in.InlinePostEngagement, 10),
		}
		for k, v := range opt {
			if want(k) {
				row[k] = v
			}
		}
		if want("actions") && len(in.Actions) > 0 {
			row["actions"] = actionsJSON(in.Actions, q.windows, false)
		}
		if want("action_values") && len(in.ActionValues) > 0 {
			row["action_values"] = actionsJSON(in.ActionValues, q.windows, true)
		}
		out = append(out, row)
	}
	return out
}

func actionsJSON(as []Action, windows []string, money bool) []map[string]string {
	f := func(v int64) string {
		if money {
			return formatMicros(v)
		}
		return strconv.FormatInt(v, 10)
	}
	out := make([]map[string]string, 0, len(as))
	for _, a := range as {
		m := map[string]string{"action_type": a.Type, "value": f(a.Value)}
		for _, w := range windows {
			if v, ok := a.Windows[w]; ok {
				m[w] = f(v)
			}
		}
		out = append(out, m)
	}
	return out
}

// formatMicros formats micro-units as a decimal string with at least two
// decimals ("12.34", "0.50", "1.234567").
func formatMicros(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := fmt.Sprintf("%d.%06d", v/1_000_000, v%1_000_000)
	for strings.HasSuffix(s, "0") && len(s)-strings.IndexByte(s, '.') > 3 {
		s = s[:len(s)-1]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func (s *Server) syncInsights(r *http.Request, id string, params url.Values, hdr http.Header) response {
	a := s.account(id)
	if a == nil {
		return s.unsupported(http.MethodGet, id, hdr)
	}
	q, bad := s.parseInsights(params, hdr)
	if bad != nil {
		return *bad
	}
	return s.page(r, toAny(s.rows(a, q)), params, hdr)
}

func toAny(rows []map[string]any) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}

func (s *Server) createRun(id string, params url.Values, hdr http.Header) response {
	a := s.account(id)
	if a == nil {
		return s.unsupported(http.MethodPost, id, hdr)
	}
	q, bad := s.parseInsights(params, hdr)
	if bad != nil {
		return *bad
	}
	s.nextRun++
	ru := &run{
		id: strconv.FormatInt(6_100_000_000_000_000+s.nextRun, 10), account: a.ID,
		since: q.since, until: q.until, rows: s.rows(a, q), runningFor: s.asyncRunning, created: time.Now(),
	}
	switch {
	case s.failJobs > 0:
		s.failJobs--
		ru.outcome = "Job Failed"
	case s.skipJobs > 0:
		s.skipJobs--
		ru.outcome = "Job Skipped"
	}
	if s.runs == nil {
		s.runs = map[string]*run{}
	}
	s.runs[ru.id] = ru
	return jsonResponse(http.StatusOK, hdr, map[string]any{"report_run_id": ru.id})
}

func (s *Server) runInsights(r *http.Request, id string, params url.Values, hdr http.Header) response {
	ru := s.runs[id]
	if ru == nil {
		return s.unsupported(http.MethodGet, id, hdr)
	}
	if ru.outcome != "" || ru.polls <= ru.runningFor {
		return s.invalid("The report run "+id+" has not completed", hdr)
	}
	return s.page(r, toAny(ru.rows), params, hdr)
}

// permissionType is the permission node type as this seed has it: with
// status, permission_status or both.
func (s *Server) permissionType() *nodeType {
	drop := ""
	switch s.seed.PermissionStatusField {
	case "status":
		drop = "permission_status"
	case "permission_status":
		drop = "status"
	default:
		return nodeIGPermission
	}
	nt := &nodeType{name: nodeIGPermission.name, defaults: nodeIGPermission.defaults, fields: map[string]*nodeType{}}
	for k, v := range nodeIGPermission.fields {
		if k != drop {
			nt.fields[k] = v
		}
	}
	return nt
}

func (s *Server) listPermissions(r *http.Request, ig string, params url.Values, hdr http.Header) response {
	creator := params.Get("creator_username")
	var objs []map[string]any
	for _, p := range s.seed.Permissions {
		if p.BrandIGID != ig || creator != "" && p.CreatorUsername != creator {
			continue
		}
		st := orDefault(p.Status, "PENDING")
		row := map[string]any{
			"id": p.ID, "creator_username": p.CreatorUsername, "creator_id": p.CreatorID,
			"brand_ig_user": map[string]any{"id": p.BrandIGID}, "permission_status": st, "status": st,
			"permission_type": "ACCOUNT_LEVEL",
		}
		if p.CreatorPageID != "" {
			row["creator_fb_page"] = p.CreatorPageID
		}
		if !p.CreatedTime.IsZero() {
			row["permission_created_time"] = p.CreatedTime.Unix()
		}
		objs = append(objs, row)
	}
	items, err := projectAll(objs, s.permissionType(), params.Get("fields"))
	if err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, err.Error(), "OAuthException", hdr)
	}
	return s.page(r, items, params, hdr)
}

func (s *Server) listMedia(r *http.Request, ig string, params url.Values, hdr http.Header) response {
	creator := params.Get("creator_username")
	var objs []map[string]any
	for _, p := range s.seed.Permissions {
		if p.BrandIGID != ig || creator != "" && p.CreatorUsername != creator {
			continue
		}
		for _, m := range p.Media {
			if orDefault(m.Platform, "INSTAGRAM") != "INSTAGRAM" {
				continue
			}
			row := map[string]any{
				"id": m.ID, "permalink": m.Permalink, "owner_id": p.CreatorID,
				"has_permission_for_partnership_ad": m.HasPermission,
			}
			if len(m.EligibilityErrors) > 0 {
				row["eligibility_errors"] = m.EligibilityErrors
			}
			objs = append(objs, row)
		}
	}
	items, err := projectAll(objs, nodeShadowMedia, params.Get("fields"))
	if err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, err.Error(), "OAuthException", hdr)
	}
	return s.page(r, items, params, hdr)
}

// advertisableContent serves GET /{business_id}/partnership-ads-
// advertisable-content: the creator posts (Instagram for ig_user_id,
// Facebook for fb_page_id) the brand is tagged in, with one
// partnership_info entry per tagged partner. Only content_id comes back
// unless fields asks for more; limit is 1–50; paging is forward only (a
// before cursor is refused) and the last page has no paging at all.
func (s *Server) advertisableContent(r *http.Request, biz string, params url.Values, hdr http.Header) response {
	want := s.seed.BusinessID
	if want == "" {
		want = DefaultBusinessID
	}
	if biz != want {
		return s.unsupported(http.MethodGet, biz, hdr)
	}
	if params.Get("before") != "" {
		return s.invalid("Param before is not supported: this edge pages forward only (use after)", hdr)
	}
	limit := ContentDefaultLimit
	if l := params.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > ContentMaxLimit {
			return s.invalid(fmt.Sprintf("Param limit must be an integer between 1 and %d", ContentMaxLimit), hdr)
		}
		limit = n
	}
	ig, page := params.Get("ig_user_id"), params.Get("fb_page_id")
	if ig == "" && page == "" {
		return s.invalid("One of ig_user_id or fb_page_id is required", hdr)
	}
	var objs []map[string]any
	for _, p := range s.seed.Permissions {
		if ig != "" && p.BrandIGID != ig && page == "" {
			continue
		}
		for _, m := range p.Media {
			platform := orDefault(m.Platform, "INSTAGRAM")
			if platform == "INSTAGRAM" && (ig == "" || p.BrandIGID != ig) || platform == "FACEBOOK" && page == "" {
				continue
			}
			eligibility := "AD_READY"
			switch {
			case len(m.EligibilityErrors) > 0:
				eligibility = "INELIGIBLE"
			case !m.HasPermission:
				eligibility = "NEEDS_ATTENTION"
			}
			author := map[string]any{"display_name": p.CreatorUsername}
			if platform == "INSTAGRAM" {
				author["ig_user_id"] = p.CreatorID
			} else if p.CreatorPageID != "" {
				author["fb_page_id"] = p.CreatorPageID
			}
			row := map[string]any{
				"content_id": m.ID, "platform": platform, "media_type": orDefault(m.MediaType, "IMAGE"),
				"post_type": orDefault(m.PostType, "FEED"), "permalink": m.Permalink, "ad_usage": orDefault(m.AdUsage, "NEVER_USED"),
				"author": author,
				"partnership_info": []any{map[string]any{
					"ad_eligibility": eligibility, "permission_status": orDefault(p.Status, "PENDING"),
					"permission_type": "ACCOUNT_LEVEL", "content_types": []string{"BRANDED_CONTENT"},
				}},
			}
			if !m.CreatedTime.IsZero() {
				row["creation_time"] = m.CreatedTime.UTC().Format(graphTime)
			}
			objs = append(objs, row)
		}
	}
	items, err := projectAll(objs, nodeAdvertisableContent, params.Get("fields"))
	if err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, err.Error(), "OAuthException", hdr)
	}
	return s.pageAt(r, items, params, hdr, limit, true)
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
