package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/roasd/roasd/shopify/shopifyfake"
)

// shardedShop serves one shop's orders from several Shopify fakes, each
// holding a contiguous run of the orders in (updatedAt, id) order, so that
// a page costs the fake a scan of one shard instead of every order. Pages
// are filled across shard boundaries and the cursors are the shards' own
// (every shard is the same fake, so a cursor of one is understood by the
// next), so a client sees exactly the pages one fake would serve. Queries
// other than orders go to the first shard.
type shardedShop struct {
	shards []*shopifyfake.Server
	mu     sync.Mutex
	owner  map[string]int // end cursor → shard that produced it
	calls  atomic.Int64
}

var ordersQueryRE = regexp.MustCompile(`\borders\s*\(`)

func newShardedShop(seed shopifyfake.Seed, size int) *shardedShop {
	orders := seed.Orders
	id := func(o shopifyfake.Order) int64 {
		n, _ := strconv.ParseInt(strings.TrimPrefix(o.ID, "gid://shopify/Order/"), 10, 64)
		return n
	}
	sort.SliceStable(orders, func(i, j int) bool {
		if !orders[i].UpdatedAt.Equal(orders[j].UpdatedAt) {
			return orders[i].UpdatedAt.Before(orders[j].UpdatedAt)
		}
		return id(orders[i]) < id(orders[j])
	})
	h := &shardedShop{owner: map[string]int{}}
	for lo := 0; lo < len(orders) || lo == 0; lo += size {
		s := seed
		s.Orders = orders[lo:min(lo+size, len(orders))]
		h.shards = append(h.shards, shopifyfake.New(s))
		if len(orders) == 0 {
			break
		}
	}
	return h
}

// bufferedResponse is an http.ResponseWriter that keeps the response.
type bufferedResponse struct {
	hdr    http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.hdr }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedResponse) WriteHeader(code int) { b.status = code }

func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	for k, v := range b.hdr {
		w.Header()[k] = v
	}
	w.WriteHeader(b.status)
	w.Write(b.body.Bytes())
}

func (h *shardedShop) serve(shard int, r *http.Request, body []byte) *bufferedResponse {
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	out := &bufferedResponse{hdr: http.Header{}}
	h.shards[shard].ServeHTTP(out, req)
	if out.status == 0 {
		out.status = http.StatusOK
	}
	return out
}

func (h *shardedShop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "reading body", http.StatusBadRequest)
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if json.Unmarshal(body, &req) != nil || !ordersQueryRE.MatchString(req.Query) || req.Variables == nil {
		h.serve(0, r, body).copyTo(w)
		return
	}
	first, _ := req.Variables["first"].(float64)
	after, _ := req.Variables["after"].(string)
	shard := 0
	if after != "" {
		h.mu.Lock()
		s, ok := h.owner[after]
		h.mu.Unlock()
		if ok {
			shard = s
		}
	}
	var nodes, edges []any
	var last *bufferedResponse
	var lastDoc map[string]any
	var conn, info map[string]any
	for {
		vars := map[string]any{}
		for k, v := range req.Variables {
			vars[k] = v
		}
		vars["first"] = int(first) - len(nodes)
		if after != "" {
			vars["after"] = after
		}
		b, _ := json.Marshal(map[string]any{"query": req.Query, "variables": vars})
		last = h.serve(shard, r, b)
		lastDoc = nil
		if last.status != http.StatusOK || json.Unmarshal(last.body.Bytes(), &lastDoc) != nil || lastDoc["errors"] != nil {
			// Errors (throttling, injected faults) go back as the shard
			// answered them.
			last.copyTo(w)
			return
		}
		data, _ := lastDoc["data"].(map[string]any)
		conn, _ = data["orders"].(map[string]any)
		info, _ = conn["pageInfo"].(map[string]any)
		if conn == nil || info == nil {
			last.copyTo(w)
			return
		}
		ns, _ := conn["nodes"].([]any)
		es, _ := conn["edges"].([]any)
		nodes, edges = append(nodes, ns...), append(edges, es...)
		if end, _ := info["endCursor"].(string); end != "" {
			after = end
			h.mu.Lock()
			h.owner[end] = shard
			h.mu.Unlock()
		}
		more, _ := info["hasNextPage"].(bool)
		if more || len(nodes) >= int(first) || shard == len(h.shards)-1 {
			info["hasNextPage"] = more || shard < len(h.shards)-1
			break
		}
		shard++
	}
	if _, ok := conn["nodes"]; ok {
		conn["nodes"] = nodes
	}
	if _, ok := conn["edges"]; ok {
		conn["edges"] = edges
	}
	if after != "" {
		info["endCursor"] = after
	}
	for k, v := range last.hdr {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(lastDoc)
}
