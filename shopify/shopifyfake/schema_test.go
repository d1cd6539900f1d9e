package shopifyfake_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestFakeRejectsQueriesTheSchemaRefuses: a misspelled field, a field
// removed from the API and an unknown argument get Shopify's GraphQL
// error shape and no data, in a paged query and inside a bulk query.
func TestFakeRejectsQueriesTheSchemaRefuses(t *testing.T) {
	t.Parallel()
	_, call := setup(t)
	for _, tc := range []struct {
		name, query, want string
		ext               map[string]any
		path              []any
	}{
		{"misspelled", `query Orders { orders(first: 1) { nodes { id totalRefundedSett { shopMoney { amount } } } } }`,
			"Field 'totalRefundedSett' doesn't exist on type 'Order'",
			map[string]any{"code": "undefinedField", "typeName": "Order", "fieldName": "totalRefundedSett"},
			[]any{"query Orders", "orders", "nodes", "totalRefundedSett"}},
		{"removed", `{ orders(first: 1) { edges { node { id landingSite } } } }`,
			"Field 'landingSite' doesn't exist on type 'Order'",
			map[string]any{"code": "undefinedField", "typeName": "Order", "fieldName": "landingSite"},
			[]any{"query", "orders", "edges", "node", "landingSite"}},
		{"unknown argument", `{ orders(first: 1, status: "open") { nodes { id } } }`,
			"Field 'orders' doesn't accept argument 'status'",
			map[string]any{"code": "argumentNotAccepted", "name": "orders", "typeName": "Field", "argumentName": "status"},
			[]any{"query", "orders", "status"}},
		{"nested journey", `{ orders(first: 1) { nodes { customerJourneySummary { lastVisit { utm { source } } } } } }`,
			"Field 'utm' doesn't exist on type 'CustomerVisit'",
			map[string]any{"code": "undefinedField", "typeName": "CustomerVisit", "fieldName": "utm"},
			[]any{"query", "orders", "nodes", "customerJourneySummary", "lastVisit", "utm"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := call("tok", tc.query, nil)
			if status != 200 || out["data"] != nil {
				t.Fatalf("status %d data %v: want 200 and no data", status, out["data"])
			}
			errs, _ := out["errors"].([]any)
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want one", out["errors"])
			}
			e := errs[0].(map[string]any)
			if e["message"] != tc.want {
				t.Errorf("message = %q, want %q", e["message"], tc.want)
			}
			got, _ := json.Marshal(e["extensions"])
			want, _ := json.Marshal(tc.ext)
			if string(got) != string(want) {
				t.Errorf("extensions = %s, want %s", got, want)
			}
			gp, _ := json.Marshal(e["path"])
			wp, _ := json.Marshal(tc.path)
			if string(gp) != string(wp) {
				t.Errorf("path = %s, want %s", gp, wp)
			}
			if l, _ := e["locations"].([]any); len(l) != 1 {
				t.Errorf("locations = %v", e["locations"])
			}
		})
	}

	// Inside a bulk query the same mistake is a userError of the mutation.
	_, out := call("tok", `mutation { bulkOperationRunQuery(query: """{ orders { edges { node { id landingSite } } } }""") { bulkOperation { id } userErrors { field message code } } }`, nil)
	b, _ := json.Marshal(out)
	if !strings.Contains(string(b), `"message":"Invalid bulk query: Field 'landingSite' doesn't exist on type 'Order'"`) ||
		!strings.Contains(string(b), `"bulkOperation":null`) {
		t.Errorf("bulk with a removed field: %s", b)
	}
}
