package shopifyfake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/shopify/shopifyfake"
)

// nodesQuery reads orders by global id, as a client re-reading known
// orders does: 1 + 3 objects per id (the node, subtotalPriceSet and its
// shopMoney, customerJourneySummary).
const nodesQuery = `query ByID($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { id name
  subtotalPriceSet { shopMoney { amount } } customerJourneySummary { ready } } } }`

// setupNodes serves two shops behind one URL (glowco in USD with orders 1
// and 2, hautwerk in EUR with order 3) with a bucket of max points and a
// negligible restore rate, and returns a caller for glowco.
func setupNodes(t *testing.T, max float64) (*shopifyfake.Server, func(query string, vars map[string]any) map[string]any) {
	t.Helper()
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return t0.Add(time.Hour) }
	glow := shopifyfake.New(shopifyfake.Seed{Shop: shopifyfake.Shop{Domain: "glowco.myshopify.com", Currency: "USD"}, AccessToken: "tok",
		MaximumAvailable: max, RestoreRate: 1e-6, Now: now, Orders: []shopifyfake.Order{
			{ID: "1", UpdatedAt: t0, LineItems: "10.00", FirstVisit: &shopifyfake.Visit{LandingPage: "/a"}, LastVisit: &shopifyfake.Visit{LandingPage: "/a"}},
			{ID: "2", UpdatedAt: t0, LineItems: "20.00", FirstVisit: &shopifyfake.Visit{LandingPage: "/b"}, LastVisit: &shopifyfake.Visit{LandingPage: "/b"},
				JourneyReadyAt: t0.Add(2 * time.Hour)},
		}})
	haut := shopifyfake.New(shopifyfake.Seed{Shop: shopifyfake.Shop{Domain: "hautwerk.myshopify.com", Currency: "EUR"}, AccessToken: "tok2",
		Now: now, Orders: []shopifyfake.Order{{ID: "3", UpdatedAt: t0, LineItems: "30.00"}}})
	srv := httptest.NewServer(shopifyfake.NewShops(glow, haut))
	t.Cleanup(srv.Close)
	return glow, func(query string, vars map[string]any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		url := shopifyfake.ShopURL(srv.URL)
		url = strings.ReplaceAll(url, "{shop}", "glowco.myshopify.com")
		req, _ := http.NewRequest(http.MethodPost, url+"/admin/api/2026-10/graphql.json", bytes.NewReader(b))
		req.Header.Set("X-Shopify-Access-Token", "tok")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// TestNodesReadsOrdersByID: nodes(ids:) answers the shop's orders in the
// order asked with exactly the selected fields, null for another shop's
// order, an unknown one and another type's id, and charges the calculated
// cost (4 objects per id requested, refunded to the orders returned).
func TestNodesReadsOrdersByID(t *testing.T) {
	t.Parallel()
	f, call := setupNodes(t, 2000)
	ids := []any{"gid://shopify/Order/2", "gid://shopify/Order/3", "gid://shopify/Order/1", "gid://shopify/Order/99", "gid://shopify/Product/1"}
	out := call(nodesQuery, map[string]any{"ids": ids})
	if out["errors"] != nil {
		t.Fatalf("errors: %v", out["errors"])
	}
	nodes := out["data"].(map[string]any)["nodes"].([]any)
	if len(nodes) != len(ids) {
		t.Fatalf("got %d nodes, want %d (one per id)", len(nodes), len(ids))
	}
	for i, want := range []string{"gid://shopify/Order/2", "", "gid://shopify/Order/1", "", ""} {
		if want == "" {
			if nodes[i] != nil {
				t.Errorf("nodes[%d] = %v, want null", i, nodes[i])
			}
			continue
		}
		n, _ := nodes[i].(map[string]any)
		if n["id"] != want {
			t.Errorf("nodes[%d].id = %v, want %s", i, n["id"], want)
		}
		if got := keys(n); !reflect.DeepEqual(got, []string{"customerJourneySummary", "id", "name", "subtotalPriceSet"}) {
			t.Errorf("nodes[%d] keys = %v, want only the selected fields", i, got)
		}
	}
	// Order 2's journey is not ready yet (ready at t0+2h, now t0+1h).
	if j := nodes[0].(map[string]any)["customerJourneySummary"].(map[string]any); j["ready"] != false {
		t.Errorf("order 2 journey = %v, want ready false", j)
	}
	cost := out["extensions"].(map[string]any)["cost"].(map[string]any)
	if cost["requestedQueryCost"] != float64(5*4) || cost["actualQueryCost"] != float64(2*4) {
		t.Errorf("cost = %v, want requested 20 (5 ids × 4 objects) and actual 8 (2 orders)", cost)
	}
	if ts := cost["throttleStatus"].(map[string]any); ts["currentlyAvailable"].(float64) > 2000-8+0.1 || ts["currentlyAvailable"].(float64) < 2000-8-0.1 {
		t.Errorf("bucket = %v, want 1992 left", ts)
	}
	calls := f.Calls()
	if c := calls[len(calls)-1]; c.Op != "nodes" || c.RequestedCost != 20 {
		t.Errorf("recorded call = %+v, want op nodes, cost 20", c)
	}
}

// TestNodesRefusesWhatShopifyRefuses: more than 250 ids, a malformed
// global id (as a variable and as a literal), a field Order does not have,
// a query costing more than 1,000 and a drained bucket each get Shopify's
// error shape and no data.
func TestNodesRefusesWhatShopifyRefuses(t *testing.T) {
	t.Parallel()
	gids := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = fmt.Sprintf("gid://shopify/Order/%d", i+1)
		}
		return out
	}
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		max         float64
		code, msg   string
		path        []any
	}{
		{"251 ids", `query ByID($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": gids(251)}, 2000,
			"MAX_INPUT_SIZE_EXCEEDED", "The input array size of 251 is greater than the maximum allowed of 250.", []any{"query ByID", "nodes", "ids"}},
		{"malformed id variable", nodesQuery, map[string]any{"ids": []any{"gid://shopify/Order/1", "1001"}}, 2000,
			"INVALID_VARIABLE", "Variable $ids of type [ID!]! was provided invalid value for 1 (Invalid global id '1001')", nil},
		{"malformed id literal", `{ nodes(ids: ["Order/1"]) { id } }`, nil, 2000,
			"argumentLiteralsIncompatible", "Invalid global id 'Order/1'", []any{"query", "nodes", "ids"}},
		{"missing ids", nodesQuery, map[string]any{}, 2000,
			"INVALID_VARIABLE", "Variable $ids of type [ID!]! was provided invalid value", nil},
		{"unknown field", `query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { id landingSite } } }`, map[string]any{"ids": gids(1)}, 2000,
			"undefinedField", "Field 'landingSite' doesn't exist on type 'Order'", []any{"query", "nodes", "... on Order", "landingSite"}},
		{"over the cost limit", `query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { subtotalPriceSet { shopMoney { amount } }
			totalDiscountsSet { shopMoney { amount } } } } }`, map[string]any{"ids": gids(250)}, 2000,
			"MAX_COST_EXCEEDED", "Query cost is 1250, which exceeds the single query max cost limit (1000).", nil},
		{"drained bucket", nodesQuery, map[string]any{"ids": gids(3)}, 10,
			"THROTTLED", "Throttled", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, call := setupNodes(t, tc.max)
			out := call(tc.query, tc.vars)
			if out["data"] != nil {
				t.Errorf("data = %v, want none", out["data"])
			}
			errs, _ := out["errors"].([]any)
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want one", out["errors"])
			}
			e := errs[0].(map[string]any)
			if code := e["extensions"].(map[string]any)["code"]; code != tc.code || e["message"] != tc.msg {
				t.Errorf("error = %v %q, want %s %q", code, e["message"], tc.code, tc.msg)
			}
			if tc.path != nil && !reflect.DeepEqual(e["path"], tc.path) {
				t.Errorf("path = %v, want %v", e["path"], tc.path)
			}
		})
	}
}
