package shopifyfake_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/shopify/shopifyfake"
)

// TestOrdersCountWithABulkPoll checks QueryRoot.ordersCount, answered
// with a bulk poll: the orders its updated_at search matches, capped at
// limit (default 10,000, null for none) with precision AT_LEAST.
func TestOrdersCountWithABulkPoll(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var orders []shopifyfake.Order
	for i := range 12 {
		at := t0.Add(time.Duration(i) * time.Hour)
		orders = append(orders, shopifyfake.Order{ID: strconv.Itoa(1000 + i), Name: "#" + strconv.Itoa(1000+i), CreatedAt: at, UpdatedAt: at, LineItems: "10.00"})
	}
	s := shopifyfake.New(shopifyfake.Seed{Shop: shopifyfake.Shop{Name: "c", Domain: "c.myshopify.com", Currency: "USD", Timezone: "UTC"}, AccessToken: "tok", Orders: orders})
	t.Cleanup(func() { s.Close() })
	for _, tc := range []struct {
		args      string
		vars      map[string]any
		count     float64
		precision string
	}{
		{`limit: null`, nil, 12, "EXACT"},
		{`query: "updated_at:>='2026-06-01T10:00:00Z'", limit: null`, nil, 2, "EXACT"},
		{`query: $q, limit: $l`, map[string]any{"q": "updated_at:>='2026-06-01T02:00:00Z'", "l": nil}, 10, "EXACT"},
		{`query: $q, limit: 5`, map[string]any{"q": "updated_at:>='2026-06-01T02:00:00Z'"}, 5, "AT_LEAST"},
		{`query: $q`, map[string]any{"q": ""}, 12, "EXACT"},
	} {
		vars := map[string]any{"id": "gid://shopify/BulkOperation/1"}
		for k, v := range tc.vars {
			vars[k] = v
		}
		defs := "$id: ID!"
		if strings.Contains(tc.args, "$q") {
			defs += ", $q: String"
		}
		if strings.Contains(tc.args, "$l") {
			defs += ", $l: Int"
		}
		q := `query(` + defs + `) { node(id: $id) { id } ordersCount(` + tc.args + `) { count precision } }`
		body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
		req := httptest.NewRequest(http.MethodPost, "/admin/api/"+shopifyfake.SchemaVersion+"/graphql.json", bytes.NewReader(body))
		req.Header.Set("X-Shopify-Access-Token", "tok")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		var out struct {
			Data struct {
				OrdersCount map[string]any `json:"ordersCount"`
			} `json:"data"`
			Errors any `json:"errors"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Errors != nil {
			t.Errorf("%s: %v %s", tc.args, err, w.Body.String())
			continue
		}
		if c := out.Data.OrdersCount; c["count"] != tc.count || c["precision"] != tc.precision {
			t.Errorf("%s: ordersCount %v, want %v %s", tc.args, c, tc.count, tc.precision)
		}
	}
}
