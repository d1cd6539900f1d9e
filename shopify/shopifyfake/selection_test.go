package shopifyfake_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/roasd/roasd/shopify/shopifyfake"
)

// keys are the sorted keys of a JSON object.
func keys(v any) []string {
	m, _ := v.(map[string]any)
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestAnswersCarryOnlySelectedFields checks the GraphQL execution rule the
// Admin API follows (spec.graphql.org, "Executing Selection Sets"): an
// answer holds exactly the fields the query selected, under their aliases,
// and a selected non-null list ([Refund!]!) is [] when empty, never
// missing. A fake that answers with more lets a client decode a field it
// never asked for.
func TestAnswersCarryOnlySelectedFields(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	f := shopifyfake.New(shopifyfake.Seed{Shop: shopifyfake.Shop{Currency: "USD"}, AccessToken: "tok", RestoreRate: 1e6,
		Orders: []shopifyfake.Order{
			{ID: "1", UpdatedAt: t0, LineItems: "10.00"},
			{ID: "2", UpdatedAt: t0.Add(time.Hour), LineItems: "20.00", Refunds: []shopifyfake.Refund{{ID: "9", Amount: "5.00", CreatedAt: t0.Add(2 * time.Hour)}}},
		}})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	call := func(query string) map[string]any {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{}})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/admin/api/2026-10/graphql.json", bytes.NewReader(b))
		req.Header.Set("X-Shopify-Access-Token", "tok")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		if out["errors"] != nil {
			t.Fatalf("errors: %v", out["errors"])
		}
		return out
	}
	out := call(`{ orders(first: 5, sortKey: UPDATED_AT) { pageInfo { hasNextPage } nodes { id refunds { id } total: subtotalPriceSet { shopMoney { amount } } } } }`)
	orders := out["data"].(map[string]any)["orders"].(map[string]any)
	if got := keys(orders); !reflect.DeepEqual(got, []string{"nodes", "pageInfo"}) {
		t.Errorf("orders keys = %v, want [nodes pageInfo]", got)
	}
	if got := keys(orders["pageInfo"]); !reflect.DeepEqual(got, []string{"hasNextPage"}) {
		t.Errorf("pageInfo keys = %v, want [hasNextPage]", got)
	}
	nodes := orders["nodes"].([]any)
	if len(nodes) != 2 {
		t.Fatalf("got %d nodes, want 2", len(nodes))
	}
	for _, n := range nodes {
		if got := keys(n); !reflect.DeepEqual(got, []string{"id", "refunds", "total"}) {
			t.Errorf("node keys = %v, want [id refunds total]", got)
		}
		if got := keys(n.(map[string]any)["total"].(map[string]any)["shopMoney"]); !reflect.DeepEqual(got, []string{"amount"}) {
			t.Errorf("shopMoney keys = %v, want [amount]", got)
		}
	}
	if r, ok := nodes[0].(map[string]any)["refunds"].([]any); !ok || len(r) != 0 {
		t.Errorf("refunds of an order without refunds = %#v, want []", nodes[0].(map[string]any)["refunds"])
	}
	r := nodes[1].(map[string]any)["refunds"].([]any)
	if len(r) != 1 || !reflect.DeepEqual(keys(r[0]), []string{"id"}) {
		t.Errorf("refunds = %v, want one refund with only id", r)
	}

	out = call(`mutation { bulkOperationRunQuery(query: "{ orders { edges { node { id } } } }") { bulkOperation { id status } userErrors { message } } }`)
	run := out["data"].(map[string]any)["bulkOperationRunQuery"].(map[string]any)
	if got := keys(run["bulkOperation"]); !reflect.DeepEqual(got, []string{"id", "status"}) {
		t.Errorf("bulkOperation keys = %v, want [id status]", got)
	}
	f.Close()
}
