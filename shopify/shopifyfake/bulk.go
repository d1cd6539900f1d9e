package shopifyfake

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bulk operation costs: the mutation and one poll.
const (
	bulkRunCost  = 10
	bulkPollCost = 1
)

// bulkExpiry is how long a completed operation's URL stays valid.
const bulkExpiry = 7 * 24 * time.Hour

// bulkPathPrefix is where result files are served.
const bulkPathPrefix = "/bulk/"

const bulkGIDPrefix = "gid://shopify/BulkOperation/"

// bulkState is the fake's bulk query operations. Fields are guarded by
// Server.mu, except what the render goroutines read once.
type bulkState struct {
	delay time.Duration
	fail  string // errorCode the next operation fails with
	// children writes a child line (a line item, with __parentId) after
	// each order line; drop makes the next file lose its last line while
	// objectCount still counts it.
	children bool
	drop     bool
	seq      int64
	ops      map[int64]*bulkOp
	current  *bulkOp // the latest query operation
	key      []byte  // signs result URLs
	dir      string  // temp dir of result files, made on first use
	closed   bool
	stop     chan struct{}
	wg       sync.WaitGroup
}

// bulkOp is one bulk query operation. objects is updated by its render
// goroutine; the rest is guarded by Server.mu.
type bulkOp struct {
	id          int64
	query       string
	status      string
	errorCode   string
	createdAt   time.Time
	completedAt time.Time
	objects     atomic.Int64 // lines written, children included
	roots       atomic.Int64 // order lines written
	fileSize    int64
	path        string
}

// bulkOpJSON is a BulkOperation object. UnsignedInt64 fields are JSON
// strings, as Shopify sends them.
type bulkOpJSON struct {
	ID              string  `json:"id"`
	Status          string  `json:"status"`
	ErrorCode       *string `json:"errorCode"`
	CreatedAt       string  `json:"createdAt"`
	CompletedAt     *string `json:"completedAt"`
	ObjectCount     string  `json:"objectCount"`
	RootObjectCount string  `json:"rootObjectCount"`
	FileSize        *string `json:"fileSize"`
	URL             *string `json:"url"`
	PartialDataURL  *string `json:"partialDataUrl"`
	Query           string  `json:"query"`
	Type            string  `json:"type"`
}

type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    *string  `json:"code"`
}

// FailBulk makes the next bulk query operation end FAILED with errorCode
// (ACCESS_DENIED, INTERNAL_SERVER_ERROR or TIMEOUT) after rendering part
// of its file; its partialDataUrl is null.
func (s *Server) FailBulk(errorCode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bulk.fail = errorCode
}

// BulkChildLines makes bulk files carry, after each order, a child line
// (a line item with `__parentId`, as Shopify writes nested connections);
// objectCount counts them, rootObjectCount does not.
func (s *Server) BulkChildLines(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bulk.children = on
}

// DropBulkLine makes the next bulk operation's file lose its last line
// while its objectCount still counts it (a file cut short).
func (s *Server) DropBulkLine() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bulk.drop = true
}

// ExpireBulk makes every completed bulk operation EXPIRED (as seven days
// after completion): its url is null and its file is gone.
func (s *Server) ExpireBulk() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, op := range s.bulk.ops {
		if op.status == "COMPLETED" {
			op.status = "EXPIRED"
			os.Remove(op.path)
			op.path = ""
		}
	}
}

// Close stops rendering bulk operations and removes their files. The
// fake still answers afterwards, but refuses new bulk operations.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.bulk.closed {
		s.bulk.closed = true
		if s.bulk.stop != nil {
			close(s.bulk.stop)
		}
	}
	dir := s.bulk.dir
	s.mu.Unlock()
	s.bulk.wg.Wait()
	if dir == "" {
		return nil
	}
	return os.RemoveAll(dir)
}

// initBulk readies the bulk state. Caller holds s.mu.
func (s *Server) initBulk() {
	if s.bulk.ops != nil {
		return
	}
	s.bulk.ops = map[int64]*bulkOp{}
	s.bulk.stop = make(chan struct{})
	s.bulk.key = make([]byte, 32)
	rand.Read(s.bulk.key)
}

func (s *Server) signature(id int64) string {
	m := hmac.New(sha256.New, s.bulk.key)
	fmt.Fprintf(m, "bulk/%d", id)
	return hex.EncodeToString(m.Sum(nil))
}

// render renders op as the API does; the url is on the host the request
// came to. Caller holds s.mu.
func (s *Server) render(op *bulkOp, r *http.Request) bulkOpJSON {
	status := op.status
	if status == "COMPLETED" && s.now().Sub(op.completedAt) > bulkExpiry {
		status = "EXPIRED"
	}
	out := bulkOpJSON{ID: bulkGIDPrefix + strconv.FormatInt(op.id, 10), Status: status, CreatedAt: op.createdAt.UTC().Format(time.RFC3339),
		ObjectCount: strconv.FormatInt(op.objects.Load(), 10), RootObjectCount: strconv.FormatInt(op.roots.Load(), 10), Query: op.query, Type: "QUERY"}
	if op.errorCode != "" {
		out.ErrorCode = &op.errorCode
	}
	if !op.completedAt.IsZero() {
		out.CompletedAt = timeOrNil(op.completedAt)
	}
	if status == "COMPLETED" || status == "EXPIRED" {
		size := strconv.FormatInt(op.fileSize, 10)
		out.FileSize = &size
	}
	if status == "COMPLETED" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		u := fmt.Sprintf("%s://%s%s%s%d.jsonl?signature=%s", scheme, r.Host, s.mount, bulkPathPrefix, op.id, s.signature(op.id))
		out.URL = &u
	}
	return out
}

func (op *bulkOp) running() bool {
	return op.status == "CREATED" || op.status == "RUNNING" || op.status == "CANCELING"
}

var (
	bulkArgRE = regexp.MustCompile(`(?s)\bbulkOperationRunQuery\s*\(.*?\bquery\s*:\s*(\$\w+|"""(.*?)"""|"((?:[^"\\]|\\.)*)")`)
	// connRE finds a connection selection: a field (with arguments or
	// not) whose selection starts with edges or nodes.
	connRE      = regexp.MustCompile(`(?s)\b(\w+)\s*(\(([^)]*)\))?\s*\{\s*(edges|nodes)\s*\{`)
	pagingArgRE = regexp.MustCompile(`\b(first|last|after|before)\s*:`)
	queryArgRE  = regexp.MustCompile(`(?s)\bquery\s*:\s*"((?:[^"\\]|\\.)*)"`)
)

// unquote reads a GraphQL string literal's body (its escapes are JSON's).
func unquote(body string) (string, error) {
	var v string
	err := json.Unmarshal([]byte(`"`+body+`"`), &v)
	return v, err
}

func invalid(msg string) userError {
	code := "INVALID"
	return userError{Field: []string{"query"}, Message: msg, Code: &code}
}

// serveBulkRun serves the bulkOperationRunQuery mutation: it checks the
// query as Shopify does (userErrors), snapshots the matching orders and
// renders them to a JSONL file in the background.
func (s *Server) serveBulkRun(w http.ResponseWriter, r *http.Request, query string, vars map[string]any) {
	m := bulkArgRE.FindStringSubmatch(query)
	var inner string
	switch {
	case m == nil:
		s.record(Call{Op: "bulk", Variables: vars, Status: http.StatusOK})
		writeJSON(w, http.StatusOK, gqlError("Field 'bulkOperationRunQuery' is missing required arguments: query", "missingRequiredArguments"))
		return
	case strings.HasPrefix(m[1], "$"):
		v, ok := vars[m[1][1:]].(string)
		if !ok {
			s.record(Call{Op: "bulk", Variables: vars, Status: http.StatusOK})
			writeJSON(w, http.StatusOK, gqlError(fmt.Sprintf("Variable %s of type String! was provided invalid value", m[1]), "INVALID_VARIABLE"))
			return
		}
		inner = v
	case strings.HasPrefix(m[1], `"""`):
		inner = m[2]
	default:
		v, err := unquote(m[3])
		if err != nil {
			s.record(Call{Op: "bulk", Variables: vars, Status: http.StatusOK})
			writeJSON(w, http.StatusOK, gqlError("Parse error on bad string literal", "parseError"))
			return
		}
		inner = v
	}
	inner = strings.TrimSpace(inner)

	// Check the inner query before charging, as userErrors.
	var uerrs []userError
	var f filter
	c := connRE.FindStringSubmatch(inner)
	switch {
	case checkQuery(inner) != nil:
		uerrs = append(uerrs, invalid("Invalid bulk query: "+queryErrorMessage(checkQuery(inner))))
	case c == nil:
		uerrs = append(uerrs, invalid("Bulk queries must contain at least one connection."))
	case c[1] != "orders":
		uerrs = append(uerrs, invalid(fmt.Sprintf("This fake serves bulk queries of the orders connection only, not %q.", c[1])))
	case pagingArgRE.MatchString(c[3]):
		uerrs = append(uerrs, invalid("Bulk queries cannot use pagination arguments (first, last, after, before) on connections."))
	default:
		if qa := queryArgRE.FindStringSubmatch(c[3]); qa != nil {
			q, err := unquote(qa[1])
			if err == nil {
				f, err = parseFilter(q)
			}
			if err != nil {
				uerrs = append(uerrs, invalid("Invalid search query: "+err.Error()))
			}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.initBulk()
	ok, cost := s.charge(bulkRunCost)
	s.calls = append(s.calls, Call{At: s.now(), Op: "bulk", Variables: vars, Status: http.StatusOK, Throttled: !ok, RequestedCost: bulkRunCost})
	if !ok {
		writeJSON(w, http.StatusOK, throttled(cost))
		return
	}
	s.refund(cost, bulkRunCost, bulkRunCost)
	if cur := s.bulk.current; len(uerrs) == 0 && cur != nil && cur.running() {
		code := "OPERATION_IN_PROGRESS"
		uerrs = append(uerrs, userError{Message: fmt.Sprintf("A bulk query operation for this app and shop is already in progress: %s%d.", bulkGIDPrefix, cur.id), Code: &code})
	}
	if len(uerrs) == 0 && s.bulk.closed {
		code := "LIMIT_REACHED"
		uerrs = append(uerrs, userError{Message: "The shop is closed for bulk operations.", Code: &code})
	}
	payload := map[string]any{"bulkOperation": nil, "userErrors": uerrs}
	if len(uerrs) == 0 {
		s.bulk.seq++
		op := &bulkOp{id: s.bulk.seq, query: inner, status: "CREATED", createdAt: s.now()}
		s.bulk.ops[op.id], s.bulk.current = op, op
		fail := s.bulk.fail
		s.bulk.fail = ""
		shape := fileShape{children: s.bulk.children, drop: s.bulk.drop}
		s.bulk.drop = false
		snap := s.matching(f, nil)
		s.bulk.wg.Add(1)
		sel := selectionOf(inner)
		sel.now = op.createdAt // the export is a snapshot as of its creation
		go s.runBulk(op, snap, s.shop.Currency, sel, fail, shape)
		payload["bulkOperation"] = s.render(op, r)
		payload["userErrors"] = []userError{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"bulkOperationRunQuery": payload}, "extensions": map[string]any{"cost": cost}})
}

// bulkDir is the temp dir of result files. Caller holds s.mu.
func (s *Server) bulkDir() (string, error) {
	if s.bulk.dir == "" {
		d, err := os.MkdirTemp("", "shopifyfake-bulk-")
		if err != nil {
			return "", err
		}
		s.bulk.dir = d
	}
	return s.bulk.dir, nil
}

// fileShape is how an operation's file deviates from one order a line.
type fileShape struct{ children, drop bool }

// childLine is a nested connection's record in a bulk file.
type childLine struct {
	ID       string `json:"id"`
	ParentID string `json:"__parentId"`
}

// runBulk renders snap (orders that are never modified in place) to op's
// JSONL file, one order per line, then completes op after the configured
// delay, or fails it with fail after rendering half.
func (s *Server) runBulk(op *bulkOp, snap []entry, currency string, sel selection, fail string, shape fileShape) {
	defer s.bulk.wg.Done()
	s.mu.Lock()
	op.status = "RUNNING"
	dir, err := s.bulkDir()
	delay, stop := s.bulk.delay, s.bulk.stop
	s.mu.Unlock()
	finish := func(status, code, path string, size int64) {
		s.mu.Lock()
		op.status, op.errorCode = status, code
		if status == "COMPLETED" {
			op.completedAt, op.path, op.fileSize = s.now(), path, size
		}
		s.mu.Unlock()
		if status != "CANCELED" { // canceled only when the fake closes
			s.bulkFinished(op, stop)
		}
	}
	if err != nil {
		finish("FAILED", "INTERNAL_SERVER_ERROR", "", 0)
		return
	}
	file, err := os.CreateTemp(dir, fmt.Sprintf("op-%d-*.jsonl", op.id))
	if err != nil {
		finish("FAILED", "INTERNAL_SERVER_ERROR", "", 0)
		return
	}
	path := file.Name()
	bw := bufio.NewWriterSize(file, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := len(snap)
	if fail != "" {
		n /= 2
	}
	var lines int64
	for i, e := range snap[:n] {
		if i%1024 == 0 {
			select {
			case <-stop:
				file.Close()
				os.Remove(path)
				finish("CANCELED", "", "", 0)
				return
			default:
			}
			op.roots.Store(int64(i))
			op.objects.Store(lines)
		}
		last := shape.drop && i == n-1
		node := renderOrder(e.o, currency, sel)
		if !last {
			if err = enc.Encode(&node); err != nil {
				break
			}
		}
		lines++
		if shape.children {
			child := childLine{ID: fmt.Sprintf("gid://shopify/LineItem/%d", 9_000_000+i), ParentID: node.ID}
			if err = enc.Encode(&child); err != nil {
				break
			}
			lines++
		}
	}
	op.roots.Store(int64(n))
	op.objects.Store(lines)
	if err == nil {
		err = bw.Flush()
	}
	var size int64
	if st, serr := file.Stat(); serr == nil {
		size = st.Size()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		finish("FAILED", "INTERNAL_SERVER_ERROR", "", 0)
		return
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
		}
	}
	if fail != "" {
		os.Remove(path)
		finish("FAILED", fail, "", 0)
		return
	}
	finish("COMPLETED", "", path, size)
}

var nodeArgRE = regexp.MustCompile(`\bnode\s*\(\s*id\s*:\s*(\$\w+|"([^"]*)")`)

// serveBulkPoll serves node(id:) for a BulkOperation and
// currentBulkOperation.
func (s *Server) serveBulkPoll(w http.ResponseWriter, r *http.Request, query string, vars map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initBulk()
	ok, cost := s.charge(bulkPollCost)
	s.calls = append(s.calls, Call{At: s.now(), Op: "bulk-poll", Variables: vars, Status: http.StatusOK, Throttled: !ok, RequestedCost: bulkPollCost})
	if !ok {
		writeJSON(w, http.StatusOK, throttled(cost))
		return
	}
	s.refund(cost, bulkPollCost, bulkPollCost)
	data := map[string]any{}
	if m := nodeArgRE.FindStringSubmatch(query); m != nil {
		id := m[2]
		if strings.HasPrefix(m[1], "$") {
			id, _ = vars[m[1][1:]].(string)
		}
		var node any
		if n, err := strconv.ParseInt(strings.TrimPrefix(id, bulkGIDPrefix), 10, 64); err == nil && strings.HasPrefix(id, bulkGIDPrefix) {
			if op, ok := s.bulk.ops[n]; ok {
				node = s.render(op, r)
			}
		}
		data["node"] = node
	}
	if ordersCountRE.MatchString(query) {
		c, err := s.ordersCount(query, vars)
		if err != nil {
			writeJSON(w, http.StatusOK, map[string]any{"errors": []any{map[string]any{"message": err.Error(), "extensions": map[string]any{"code": "argumentLiteralsIncompatible"}}}})
			return
		}
		data["ordersCount"] = c
	}
	if currentBulkRE.MatchString(query) {
		var cur any
		if s.bulk.current != nil {
			cur = s.render(s.bulk.current, r)
		}
		data["currentBulkOperation"] = cur
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "extensions": map[string]any{"cost": cost}})
}

var (
	ordersCountRE = regexp.MustCompile(`\bordersCount\s*\(`)
	// countArgRE finds ordersCount's query and limit arguments, each a
	// variable or a literal (limit: null lifts the default 10,000 cap).
	countQueryRE = regexp.MustCompile(`\bordersCount\s*\([^)]*\bquery\s*:\s*(\$\w+|"((?:[^"\\]|\\.)*)")`)
	countLimitRE = regexp.MustCompile(`\bordersCount\s*\([^)]*\blimit\s*:\s*(\$\w+|null|\d+)`)
)

// ordersCount answers QueryRoot.ordersCount: the orders matching the
// query's updated_at terms, capped at limit (default 10,000; null for
// none) with precision AT_LEAST when the cap is reached, as Shopify
// counts since 2025-07. Caller holds s.mu.
func (s *Server) ordersCount(query string, vars map[string]any) (map[string]any, error) {
	q := ""
	if m := countQueryRE.FindStringSubmatch(query); m != nil {
		if strings.HasPrefix(m[1], "$") {
			q, _ = vars[m[1][1:]].(string)
		} else if err := json.Unmarshal([]byte(`"`+m[2]+`"`), &q); err != nil {
			return nil, fmt.Errorf("ordersCount: bad query literal: %w", err)
		}
	}
	limit := int64(10000)
	if m := countLimitRE.FindStringSubmatch(query); m != nil {
		v := m[1]
		if strings.HasPrefix(v, "$") {
			switch x := vars[v[1:]].(type) {
			case nil:
				v = "null"
			case float64:
				v = strconv.FormatInt(int64(x), 10)
			}
		}
		if v == "null" {
			limit = -1
		} else if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			limit = n
		}
	}
	f, err := parseFilter(q)
	if err != nil {
		return nil, err
	}
	n := int64(len(s.matching(f, nil)))
	precision := "EXACT"
	if limit >= 0 && n >= limit {
		n, precision = limit, "AT_LEAST"
	}
	return map[string]any{"count": n, "precision": precision}, nil
}

var bulkFileRE = regexp.MustCompile(`^/bulk/(\d+)\.jsonl$`)

// serveBulkFile serves a completed operation's JSONL file to anyone with
// its signed URL (no access token), like a signed storage URL.
func (s *Server) serveBulkFile(w http.ResponseWriter, r *http.Request) {
	denied := func(status int, code, msg string) {
		s.record(Call{Op: "bulk-download", Status: status})
		w.Header().Set("Content-Type", "application/xml; charset=UTF-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<?xml version='1.0' encoding='UTF-8'?><Error><Code>%s</Code><Message>%s</Message></Error>\n", code, msg)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		denied(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
		return
	}
	m := bulkFileRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		denied(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	s.mu.Lock()
	s.initBulk()
	good := hmac.Equal([]byte(r.URL.Query().Get("signature")), []byte(s.signature(id)))
	op := s.bulk.ops[id]
	var path string
	expired := false
	if op != nil {
		path = op.path
		expired = op.status == "EXPIRED" || (op.status == "COMPLETED" && s.now().Sub(op.completedAt) > bulkExpiry)
	}
	s.mu.Unlock()
	switch {
	case !good:
		denied(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return
	case expired:
		denied(http.StatusForbidden, "ExpiredToken", "Request has expired.")
		return
	case path == "":
		denied(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	f, err := os.Open(path)
	if err != nil {
		denied(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		denied(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	}
	s.record(Call{Op: "bulk-download", Status: http.StatusOK})
	w.Header().Set("Content-Type", "application/jsonl")
	http.ServeContent(w, r, "", st.ModTime(), f)
}
