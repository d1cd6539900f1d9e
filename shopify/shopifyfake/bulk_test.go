package shopifyfake_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/shopify/shopifyfake"
)

const bulkRun = `mutation run($query: String!) { bulkOperationRunQuery(query: $query) {
  bulkOperation { id status } userErrors { field message code } } }`

const bulkPoll = `query poll($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode objectCount fileSize url partialDataUrl } } }`

const bulkOrders = `{ orders(query: %q, sortKey: UPDATED_AT) { edges { node { id name createdAt updatedAt cancelledAt currencyCode test discountCodes
  subtotalPriceSet { shopMoney { amount currencyCode } } totalDiscountsSet { shopMoney { amount currencyCode } }
  totalRefundedSet { shopMoney { amount currencyCode } } currentSubtotalPriceSet { shopMoney { amount currencyCode } }
  customerJourneySummary { firstVisit { landingPage utmParameters { source medium campaign content term } }
    lastVisit { landingPage utmParameters { source medium campaign content term } } } } } } }`

var t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

type bulkRig struct {
	f    *shopifyfake.Server
	srv  *httptest.Server
	call func(query string, vars map[string]any) map[string]any
}

func newBulkRig(t testing.TB, n int, delay time.Duration) *bulkRig {
	t.Helper()
	var os []shopifyfake.Order
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Hour)
		os = append(os, shopifyfake.Order{ID: fmt.Sprint(100 + i), CreatedAt: at, UpdatedAt: at, LineItems: "20.00", Discounts: "5.00",
			DiscountCodes: []string{"JACQ15"}, LastVisit: &shopifyfake.Visit{LandingPage: "/?utm_content=hook-a&x=<b>", Content: "hook-a"}})
	}
	f := shopifyfake.New(shopifyfake.Seed{Shop: shopifyfake.Shop{Currency: "USD"}, AccessToken: "tok", Orders: os, RestoreRate: 1e6, BulkDelay: delay})
	t.Cleanup(func() { f.Close() })
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &bulkRig{f: f, srv: srv, call: func(query string, vars map[string]any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest("POST", srv.URL+"/admin/api/2025-07/graphql.json", bytes.NewReader(b))
		req.Header.Set("X-Shopify-Access-Token", "tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}}
}

func (r *bulkRig) run(t testing.TB, inner string) (op map[string]any, userErrors []any) {
	t.Helper()
	out := r.call(bulkRun, map[string]any{"query": inner})
	p, ok := out["data"].(map[string]any)["bulkOperationRunQuery"].(map[string]any)
	if !ok {
		t.Fatalf("no payload: %v", out)
	}
	op, _ = p["bulkOperation"].(map[string]any)
	return op, p["userErrors"].([]any)
}

// wait polls op until its status is not CREATED or RUNNING.
func (r *bulkRig) wait(t testing.TB, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		node, _ := r.call(bulkPoll, map[string]any{"id": id})["data"].(map[string]any)["node"].(map[string]any)
		if node == nil {
			t.Fatalf("node(id: %s) is null", id)
		}
		if s := node["status"]; s != "CREATED" && s != "RUNNING" {
			return node
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("operation %s never finished", id)
	return nil
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// keysOf lists an object's keys, nested objects as key{...}.
func keysOf(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	var ks []string
	for k, x := range m {
		if sub := keysOf(x); sub != "" {
			k += "{" + sub + "}"
		}
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

func TestFakeBulkQueryLifecycle(t *testing.T) {
	t.Parallel()
	r := newBulkRig(t, 5, 80*time.Millisecond)
	op, ue := r.run(t, fmt.Sprintf(bulkOrders, "updated_at:>='2026-06-01T02:00:00Z'"))
	if len(ue) != 0 || op == nil || op["status"] != "CREATED" {
		t.Fatalf("run: op %v, userErrors %v", op, ue)
	}
	id := op["id"].(string)
	// One bulk query at a time: the second names the running one.
	second, ue := r.run(t, fmt.Sprintf(bulkOrders, ""))
	if second != nil || len(ue) != 1 {
		t.Fatalf("second run while one runs: op %v, userErrors %v", second, ue)
	}
	if e := ue[0].(map[string]any); e["code"] != "OPERATION_IN_PROGRESS" || !strings.Contains(e["message"].(string), id) {
		t.Errorf("in-progress userError = %v, want OPERATION_IN_PROGRESS naming %s", e, id)
	}
	done := r.wait(t, id)
	if done["status"] != "COMPLETED" || done["objectCount"] != "3" || done["url"] == nil || done["partialDataUrl"] != nil || done["errorCode"] != nil {
		t.Fatalf("completed op = %v", done)
	}
	cur := r.call(`{ currentBulkOperation { id status type } }`, nil)["data"].(map[string]any)["currentBulkOperation"].(map[string]any)
	if cur["id"] != id || cur["status"] != "COMPLETED" || cur["type"] != "QUERY" {
		t.Errorf("currentBulkOperation = %v", cur)
	}
	if n := r.call(bulkPoll, map[string]any{"id": "gid://shopify/BulkOperation/999"})["data"].(map[string]any)["node"]; n != nil {
		t.Errorf("unknown operation: node = %v, want null", n)
	}

	// The file needs no token; its lines are Order nodes, oldest first.
	url := done["url"].(string)
	code, body := get(t, url)
	if code != 200 {
		t.Fatalf("download: %d %s", code, body)
	}
	if fmt.Sprint(len(body)) != done["fileSize"] {
		t.Errorf("file is %d bytes, fileSize says %v", len(body), done["fileSize"])
	}
	var ids []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var n map[string]any
		if err := json.Unmarshal(sc.Bytes(), &n); err != nil {
			t.Fatalf("line %d: %v", len(ids)+1, err)
		}
		ids = append(ids, n["id"].(string))
		const want = "cancelledAt createdAt currencyCode currentSubtotalPriceSet{shopMoney{amount currencyCode}} " +
			"customerJourneySummary{firstVisit lastVisit{landingPage utmParameters{campaign content medium source term}}} discountCodes id name " +
			"subtotalPriceSet{shopMoney{amount currencyCode}} test " +
			"totalDiscountsSet{shopMoney{amount currencyCode}} " +
			"totalRefundedSet{shopMoney{amount currencyCode}} updatedAt"
		if got := keysOf(n); got != want {
			t.Errorf("line %d keys:\n got %s\nwant %s", len(ids), got, want)
		}
		if sub := n["subtotalPriceSet"].(map[string]any)["shopMoney"].(map[string]any); sub["amount"] != "15.00" || sub["currencyCode"] != "USD" {
			t.Errorf("subtotal = %v", sub)
		}
	}
	if want := []string{"gid://shopify/Order/102", "gid://shopify/Order/103", "gid://shopify/Order/104"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("file orders = %v, want %v (the filter honoured)", ids, want)
	}
	if !bytes.Contains(body, []byte("x=<b>")) {
		t.Errorf("landing page HTML-escaped in the file: %s", body)
	}
	if code, _ := get(t, strings.Replace(url, "signature=", "signature=0", 1)); code != http.StatusForbidden {
		t.Errorf("bad signature: status %d, want 403", code)
	}
	var ops []string
	for _, c := range r.f.Calls() {
		ops = append(ops, c.Op)
	}
	for _, want := range []string{"bulk", "bulk-poll", "bulk-download"} {
		if !slices.Contains(ops, want) {
			t.Errorf("calls %v lack %q", ops, want)
		}
	}

	// Expired: no url, and the old one is refused.
	r.f.ExpireBulk()
	if got := r.wait(t, id); got["status"] != "EXPIRED" || got["url"] != nil {
		t.Errorf("expired op = %v", got)
	}
	if code, _ := get(t, url); code != http.StatusForbidden {
		t.Errorf("expired url: status %d, want 403", code)
	}
}

func TestFakeBulkRejectsQueries(t *testing.T) {
	t.Parallel()
	r := newBulkRig(t, 2, 0)
	for _, tc := range []struct{ name, inner, want string }{
		{"no connection", `{ shop { name } }`, "at least one connection"},
		{"first", `{ orders(first: 10) { edges { node { id } } } }`, "pagination arguments"},
		{"after", `{ orders(after: "x") { edges { node { id } } } }`, "pagination arguments"},
		{"bad filter", `{ orders(query: "updated_at:>='2026-13-45'") { edges { node { id } } } }`, "updated_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op, ue := r.run(t, tc.inner)
			if op != nil || len(ue) != 1 {
				t.Fatalf("op %v, userErrors %v", op, ue)
			}
			e := ue[0].(map[string]any)
			if e["code"] != "INVALID" || !strings.Contains(e["message"].(string), tc.want) || !reflect.DeepEqual(e["field"], []any{"query"}) {
				t.Errorf("userError = %v, want INVALID on query mentioning %q", e, tc.want)
			}
		})
	}
	// The query inline, as a block string, works as well as a variable.
	out := r.call(`mutation { bulkOperationRunQuery(query: """{ orders { edges { node { id } } } }""") { bulkOperation { id } userErrors { message } } }`, nil)
	if p := out["data"].(map[string]any)["bulkOperationRunQuery"].(map[string]any); p["bulkOperation"] == nil {
		t.Errorf("inline query refused: %v", p)
	}
}

func TestFakeBulkFailure(t *testing.T) {
	t.Parallel()
	r := newBulkRig(t, 10, 0)
	r.f.FailBulk("TIMEOUT")
	op, ue := r.run(t, fmt.Sprintf(bulkOrders, ""))
	if len(ue) != 0 {
		t.Fatalf("userErrors %v", ue)
	}
	got := r.wait(t, op["id"].(string))
	if got["status"] != "FAILED" || got["errorCode"] != "TIMEOUT" || got["url"] != nil || got["partialDataUrl"] != nil {
		t.Errorf("failed op = %v", got)
	}
	// A failed operation does not block the next, which succeeds.
	op, ue = r.run(t, fmt.Sprintf(bulkOrders, ""))
	if len(ue) != 0 {
		t.Fatalf("after a failure: userErrors %v", ue)
	}
	if got := r.wait(t, op["id"].(string)); got["status"] != "COMPLETED" || got["objectCount"] != "10" {
		t.Errorf("next op = %v", got)
	}
	// Close removes the files.
	url := r.wait(t, op["id"].(string))["url"].(string)
	r.f.Close()
	if code, _ := get(t, url); code != http.StatusNotFound {
		t.Errorf("after Close: status %d, want 404", code)
	}
}

// TestFakePagingIndex pages through orders sharing timestamps under
// several filters and compares with a plain scan, so the binary-searched
// index serves exactly what a scan would.
func TestFakePagingIndex(t *testing.T) {
	t.Parallel()
	var os []shopifyfake.Order
	for i := range 40 {
		at := t0.Add(time.Duration(i/4) * time.Minute) // four orders per minute
		os = append(os, shopifyfake.Order{ID: fmt.Sprint(1000 - i), UpdatedAt: at, LineItems: "1.00"})
	}
	f := shopifyfake.New(shopifyfake.Seed{AccessToken: "tok", Orders: os, RestoreRate: 1e6})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	// Changing an order moves it to the end of the index.
	if err := f.Cancel("1000", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ts := func(m int) string { return t0.Add(time.Duration(m) * time.Minute).Format(time.RFC3339) }
	for _, filter := range []string{"", "updated_at:>='" + ts(3) + "'", "updated_at:>'" + ts(3) + "'",
		"updated_at:>='" + ts(2) + "' updated_at:<'" + ts(5) + "'", "updated_at:<='" + ts(1) + "'", "updated_at:'" + ts(7) + "'",
		"updated_at:>='" + ts(99) + "'"} {
		var got []string
		vars := map[string]any{"first": 3, "query": filter}
		for range 50 {
			b, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
			req, _ := http.NewRequest("POST", srv.URL+"/admin/api/2025-07/graphql.json", bytes.NewReader(b))
			req.Header.Set("X-Shopify-Access-Token", "tok")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var out struct {
				Data struct {
					Orders struct {
						PageInfo struct {
							HasNextPage bool   `json:"hasNextPage"`
							EndCursor   string `json:"endCursor"`
						} `json:"pageInfo"`
						Edges []struct {
							Node struct {
								ID string `json:"id"`
							} `json:"node"`
						} `json:"edges"`
					} `json:"orders"`
				} `json:"data"`
			}
			json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			for _, e := range out.Data.Orders.Edges {
				got = append(got, strings.TrimPrefix(e.Node.ID, "gid://shopify/Order/"))
			}
			if !out.Data.Orders.PageInfo.HasNextPage {
				break
			}
			vars["after"] = out.Data.Orders.PageInfo.EndCursor
		}
		// The scan: every order matching, sorted by (updatedAt, id).
		type row struct {
			u  time.Time
			id string
		}
		var rows []row
		for _, o := range os {
			cur, _ := f.Order(o.ID)
			if matches(t, filter, cur.UpdatedAt) {
				rows = append(rows, row{cur.UpdatedAt, cur.ID})
			}
		}
		sort.Slice(rows, func(i, j int) bool {
			if !rows[i].u.Equal(rows[j].u) {
				return rows[i].u.Before(rows[j].u)
			}
			return rows[i].id < rows[j].id
		})
		var want []string
		for _, r := range rows {
			want = append(want, r.id)
		}
		if !slices.Equal(got, want) {
			t.Errorf("filter %q:\n got %v\nwant %v", filter, got, want)
		}
	}
}

// matches evaluates the test's filters by hand.
func matches(t *testing.T, filter string, u time.Time) bool {
	t.Helper()
	for _, term := range strings.Fields(filter) {
		v := strings.TrimPrefix(term, "updated_at:")
		op := ""
		for _, o := range []string{">=", "<=", ">", "<"} {
			if strings.HasPrefix(v, o) {
				op = o
				break
			}
		}
		v = strings.Trim(strings.TrimPrefix(v, op), "'")
		at, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.Fatalf("test filter %q: %v", term, err)
		}
		ok := map[string]bool{">=": !u.Before(at), ">": u.After(at), "<=": !u.After(at), "<": u.Before(at), "": u.Equal(at)}[op]
		if !ok {
			return false
		}
	}
	return true
}
