package shopifyfake_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/shopify/shopifyfake"
)

const q = `query($first: Int!, $after: String, $query: String) { orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
  pageInfo { hasNextPage endCursor } edges { cursor node { id updatedAt subtotalPriceSet { shopMoney { amount currencyCode } } } } } }`

func setup(t *testing.T) (*shopifyfake.Server, func(token string, query string, vars map[string]any) (int, map[string]any)) {
	t.Helper()
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var os []shopifyfake.Order
	for i, id := range []string{"3", "1", "2"} {
		os = append(os, shopifyfake.Order{ID: id, UpdatedAt: t0.Add(time.Duration(i) * time.Hour), LineItems: "10.00"})
	}
	f := shopifyfake.New(shopifyfake.Seed{Shop: shopifyfake.Shop{Currency: "EUR"}, AccessToken: "tok", Orders: os, MaximumAvailable: 100, RestoreRate: 1e-3})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, func(token, query string, vars map[string]any) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest("POST", srv.URL+"/admin/api/2025-07/graphql.json", bytes.NewReader(b))
		req.Header.Set("X-Shopify-Access-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
}

func TestFakeOrdersShapesAndThrottle(t *testing.T) {
	t.Parallel()
	f, call := setup(t)
	if code, _ := call("wrong", q, map[string]any{"first": 1}); code != 401 {
		t.Errorf("wrong token: status %d, want 401", code)
	}
	// 5 objects per node: node, subtotalPriceSet, shopMoney... counted by braces.
	code, out := call("tok", q, map[string]any{"first": 2, "query": "updated_at:>='2026-06-01T01:00:00Z'"})
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	orders := out["data"].(map[string]any)["orders"].(map[string]any)
	edges := orders["edges"].([]any)
	if len(edges) != 2 {
		t.Fatalf("got %d edges, want 2", len(edges))
	}
	node := edges[0].(map[string]any)["node"].(map[string]any)
	if node["id"] != "gid://shopify/Order/1" || node["subtotalPriceSet"].(map[string]any)["shopMoney"].(map[string]any)["currencyCode"] != "EUR" {
		t.Errorf("first node = %v, want order 1 (updated second) in EUR", node)
	}
	pi := orders["pageInfo"].(map[string]any)
	if pi["hasNextPage"] != false {
		t.Errorf("pageInfo = %v, want no next page after the filter", pi)
	}
	cost := out["extensions"].(map[string]any)["cost"].(map[string]any)
	if cost["requestedQueryCost"] != float64(2+2*3) || cost["actualQueryCost"] != float64(2+2*3) {
		t.Errorf("cost = %v, want requested and actual 8 (2 + 2 nodes × 3 objects)", cost)
	}
	// Bucket of 100 at a negligible restore rate: 12 pages of first:3 (cost
	// 11 each) drain it and the next is THROTTLED with the documented shape.
	var throttled map[string]any
	for range 12 {
		if _, out := call("tok", q, map[string]any{"first": 3}); out["errors"] != nil {
			throttled = out
			break
		}
	}
	if throttled == nil {
		t.Fatal("never throttled")
	}
	e := throttled["errors"].([]any)[0].(map[string]any)
	ts := throttled["extensions"].(map[string]any)["cost"].(map[string]any)["throttleStatus"].(map[string]any)
	if e["message"] != "Throttled" || e["extensions"].(map[string]any)["code"] != "THROTTLED" || ts["maximumAvailable"] != float64(100) ||
		throttled["data"] != nil {
		t.Errorf("throttled answer = %v", throttled)
	}
	calls := f.Calls()
	if !calls[len(calls)-1].Throttled || calls[0].Status != 401 {
		t.Errorf("calls not recorded: %+v", calls)
	}
}

func TestFakeLimitsAndFaults(t *testing.T) {
	t.Parallel()
	f, call := setup(t)
	_, out := call("tok", q, map[string]any{"first": 251})
	if !strings.Contains(out["errors"].([]any)[0].(map[string]any)["message"].(string), "first cannot exceed 250") {
		t.Errorf("first 251: %v", out)
	}
	heavy := strings.Replace(q, "shopMoney { amount currencyCode }", "shopMoney { amount currencyCode } presentmentMoney { amount } } j: customerJourneySummary { firstVisit { utmParameters { source } } lastVisit { utmParameters { source } } } k: totalTaxSet { shopMoney { amount }", 1)
	_, out = call("tok", heavy, map[string]any{"first": 200})
	if code := out["errors"].([]any)[0].(map[string]any)["extensions"].(map[string]any)["code"]; code != "MAX_COST_EXCEEDED" {
		t.Errorf("heavy query: %v", out)
	}
	_, out = call("tok", q, map[string]any{"first": 1, "after": "!!"})
	if out["errors"] == nil {
		t.Errorf("bad cursor accepted: %v", out)
	}
	f.FailNext(1, 502)
	if code, _ := call("tok", q, map[string]any{"first": 1}); code != 502 {
		t.Errorf("FailNext: status %d, want 502", code)
	}
	if code, _ := call("tok", q, map[string]any{"first": 1}); code != 200 {
		t.Errorf("after FailNext: status %d, want 200", code)
	}
	if err := f.Cancel("404", time.Time{}); err == nil {
		t.Error("Cancel of an unknown order: nil error")
	}
	if _, err := f.Refund("1", "ten", time.Time{}); err == nil {
		t.Error("Refund with a bad amount: nil error")
	}
}
