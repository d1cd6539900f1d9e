package shopify_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/shopify"
)

// docRequest is one GraphQL request the doc server received.
type docRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

// docShop is a tiny Admin API answering with testdata files written after
// the GraphQL Admin API reference (2026-10) and the bulk operations guide,
// not produced by shopifyfake, so the client is checked against shapes the
// fake does not emit. answer picks the file for the n-th (from 0) GraphQL
// request; /bulk/<file> serves a bulk result file.
type docShop struct {
	client *shopify.Client
	mu     sync.Mutex
	reqs   []docRequest
	// downloadTokens are the access-token headers bulk downloads carried.
	downloadTokens []string
}

func newDocShop(t *testing.T, domain string, answer func(n int, r docRequest) string) *docShop {
	t.Helper()
	d := &docShop{}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name, ok := strings.CutPrefix(r.URL.Path, "/bulk/"); ok {
			d.mu.Lock()
			d.downloadTokens = append(d.downloadTokens, r.Header.Get("X-Shopify-Access-Token"))
			d.mu.Unlock()
			http.ServeFile(w, r, filepath.Join("testdata", filepath.Base(name)))
			return
		}
		if r.URL.Path != "/admin/api/"+shopify.DefaultAPIVersion+"/graphql.json" || r.Method != http.MethodPost ||
			r.Header.Get("X-Shopify-Access-Token") != token {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			http.NotFound(w, r)
			return
		}
		var req docRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("decoding request: %v", err)
		}
		d.mu.Lock()
		n := len(d.reqs)
		d.reqs = append(d.reqs, req)
		d.mu.Unlock()
		b, err := os.ReadFile(filepath.Join("testdata", answer(n, req)))
		if err != nil {
			t.Error(err)
		}
		b = []byte(strings.ReplaceAll(string(b), "BULK_URL", srv.URL+"/bulk/docs_bulk_orders.jsonl"))
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Shopify-API-Version", shopify.DefaultAPIVersion)
		w.Header().Set("X-Request-Id", "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	d.client = shopify.New(shopify.Options{Shop: domain, BaseURL: srv.URL, AccessToken: token, RetryMax: 1,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, BulkPollMin: time.Millisecond, BulkPollMax: 2 * time.Millisecond})
	return d
}

func (d *docShop) requests() []docRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]docRequest(nil), d.reqs...)
}

const (
	docUSShop = "glowco.myshopify.com"
	docJPShop = "hanabi-jp.myshopify.com"
	// page1End is docs_orders_page1.json's pageInfo.endCursor.
	page1End = "eyJsYXN0X2lkIjo1NTAxMDAwMDAwMDAyLCJsYXN0X3ZhbHVlIjoiMjAyNi0wNi0wMiAwODowMDowMC4wMDAwMDAifQ=="
)

func usd(units string) int64 { return ads.MustMicros(units) }

// docUSOrders are the orders of docs_orders_page1.json and
// docs_orders_page2.json.
var docUSOrders = []ads.Order{
	{Shop: docUSShop, ID: "gid://shopify/Order/5501000000001", Name: "#1001",
		CreatedAt: time.Date(2026, 6, 1, 9, 12, 45, 0, time.UTC), UpdatedAt: time.Date(2026, 6, 1, 9, 14, 2, 0, time.UTC),
		Currency: "USD", Gross: usd("100"), Discounts: usd("15"), Net: usd("85"), DiscountCodes: []string{"MIA15"},
		UTM:              ads.UTM{Source: "newsletter", Medium: "email", Campaign: "june"},
		LandingPage:      "https://glowco.example/?utm_source=newsletter&utm_medium=email&utm_campaign=june",
		FirstUTM:         ads.UTM{Source: "tiktok", Medium: "paid_social", Campaign: "spring", Content: "mia-3steps"},
		FirstLandingPage: "https://glowco.example/products/serum?utm_source=tiktok&utm_medium=paid_social&utm_campaign=spring&utm_content=mia-3steps"},
	{Shop: docUSShop, ID: "gid://shopify/Order/5501000000002", Name: "#1002",
		CreatedAt: time.Date(2026, 6, 1, 22, 40, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC),
		CancelledAt: time.Date(2026, 6, 2, 7, 59, 58, 0, time.UTC), Currency: "USD", Gross: usd("40.5"), Refunded: usd("40.5"),
		RefundIDs: []string{"gid://shopify/Refund/8801000000001"}, Test: true},
	{Shop: docUSShop, ID: "gid://shopify/Order/5501000000003", Name: "#1003",
		CreatedAt: time.Date(2026, 6, 2, 15, 5, 9, 0, time.UTC), UpdatedAt: time.Date(2026, 6, 3, 11, 30, 0, 0, time.UTC),
		Currency: "USD", Gross: usd("140"), Discounts: usd("20"), Refunded: usd("35"), Net: usd("85"),
		RefundIDs: []string{"gid://shopify/Refund/8801000000002"}, DiscountCodes: []string{"JACQ20", "FREESHIP"}, JourneyPending: true},
}

// Shape: QueryRoot.orders (shopify.dev/docs/api/admin-graphql/2026-10/queries/orders)
// selected with nodes and pageInfo {hasNextPage endCursor}; Order fields
// cancelledAt (null or DateTime), test, discountCodes [String!]!, MoneyBag
// shopMoney {amount: Decimal as a string like "85.0", currencyCode},
// refunds [Refund!]!, customerJourneySummary (nullable) with ready and
// firstVisit/lastVisit (nullable CustomerVisit: landingPage URL,
// utmParameters nullable, its fields nullable); extensions.cost with
// throttleStatus (see shopify.dev/docs/api/usage/limits).
func TestDocShapeOrdersPages(t *testing.T) {
	t.Parallel()
	d := newDocShop(t, docUSShop, func(n int, r docRequest) string {
		if r.Variables["after"] == page1End {
			return "docs_orders_page2.json"
		}
		return "docs_orders_page1.json"
	})
	var got []ads.Order
	hw, err := d.client.Orders(t.Context(), time.Time{}, func(b []ads.Order) error {
		got = append(got, b...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, docUSOrders) {
		t.Errorf("Orders =\n%+v\nwant\n%+v", got, docUSOrders)
	}
	if want := time.Date(2026, 6, 3, 11, 30, 0, 0, time.UTC); !hw.Equal(want) {
		t.Errorf("high water = %v, want %v", hw, want)
	}
	if reqs := d.requests(); len(reqs) != 2 || reqs[1].Variables["after"] != page1End {
		t.Errorf("requests = %+v, want two, the second after page 1's endCursor", reqs)
	}
}

// Shape: a THROTTLED answer (shopify.dev/docs/api/usage/limits#rate-limits):
// HTTP 200, errors[{message "Throttled", extensions.code THROTTLED}],
// extensions.cost with actualQueryCost null and throttleStatus.
func TestDocShapeThrottled(t *testing.T) {
	t.Parallel()
	t.Run("then answered", func(t *testing.T) {
		t.Parallel()
		d := newDocShop(t, docUSShop, func(n int, r docRequest) string {
			if n == 0 {
				return "docs_throttled.json"
			}
			return "docs_orders_page2.json"
		})
		var got []ads.Order
		if _, err := d.client.Orders(t.Context(), time.Time{}, func(b []ads.Order) error {
			got = append(got, b...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(d.requests()) != 2 || !reflect.DeepEqual(got, docUSOrders[2:]) {
			t.Errorf("after THROTTLED: %d requests, orders %+v; want 2 requests and #1003", len(d.requests()), got)
		}
	})
	t.Run("always", func(t *testing.T) {
		t.Parallel()
		d := newDocShop(t, docUSShop, func(int, docRequest) string { return "docs_throttled.json" })
		_, err := d.client.Orders(t.Context(), time.Time{}, func([]ads.Order) error { return nil })
		var ae *ads.APIError
		if !errors.As(err, &ae) || ae.Kind != ads.KindRateLimited || ae.Message != "Throttled" || ae.Platform != ads.Shopify ||
			ae.Account != docUSShop || ae.TraceID != "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5" || !ae.Retryable() {
			t.Errorf("err = %+v, want a retryable rate-limit APIError", err)
		}
	})
}

// Shape: bulkOperationRunQuery (shopify.dev/docs/api/admin-graphql/2026-10/mutations/bulkOperationRunQuery):
// bulkOperation (BulkOperation: objectCount UnsignedInt64 as a string,
// fileSize/url/completedAt/errorCode null while it runs) or null with
// userErrors [BulkOperationUserError {field [String!] or null, message,
// code: INVALID, LIMIT_REACHED ("try again later"), OPERATION_IN_PROGRESS}].
func TestDocShapeBulkRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		check func(t *testing.T, op shopify.BulkOperation, err error)
	}{
		{"docs_bulk_run_created.json", func(t *testing.T, op shopify.BulkOperation, err error) {
			want := shopify.BulkOperation{ID: "gid://shopify/BulkOperation/7205000000001", Status: shopify.BulkCreated,
				CreatedAt: time.Date(2026, 6, 3, 12, 0, 0, 0, time.UTC), Query: "{ orders { edges { node { id } } } }"}
			if err != nil || op != want {
				t.Errorf("StartBulkOrders = %+v, %v\nwant %+v", op, err, want)
			}
		}},
		{"docs_bulk_run_invalid.json", func(t *testing.T, op shopify.BulkOperation, err error) {
			var ae *ads.APIError
			if !errors.As(err, &ae) || ae.Kind != ads.KindInvalid || !strings.HasPrefix(ae.Message, "INVALID: Invalid bulk query") || ae.Retryable() {
				t.Errorf("err = %v, want a final KindInvalid naming INVALID", err)
			}
		}},
		{"docs_bulk_run_operation_in_progress.json", func(t *testing.T, op shopify.BulkOperation, err error) {
			if !errors.Is(err, shopify.ErrBulkInProgress) || op.ID != "gid://shopify/BulkOperation/7205000000000" {
				t.Errorf("StartBulkOrders = %+v, %v; want ErrBulkInProgress naming the running operation", op, err)
			}
		}},
		// LIMIT_REACHED is documented as "Bulk operations limit reached.
		// Please try again later.": a wait, not a malformed request.
		{"docs_bulk_run_limit_reached.json", func(t *testing.T, op shopify.BulkOperation, err error) {
			var ae *ads.APIError
			if !errors.As(err, &ae) || ae.Kind != ads.KindRateLimited || !ae.Retryable() || !strings.Contains(ae.Message, "LIMIT_REACHED") {
				t.Errorf("err = %v, want a retryable KindRateLimited naming LIMIT_REACHED", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			d := newDocShop(t, docUSShop, func(int, docRequest) string { return tt.file })
			op, err := d.client.StartBulkOrders(t.Context(), time.Time{})
			tt.check(t, op, err)
		})
	}
}

// Shape: node(id:) on a BulkOperation (shopify.dev/docs/api/admin-graphql/2026-10/objects/BulkOperation):
// COMPLETED with objectCount and fileSize as strings and a url; FAILED
// with errorCode ACCESS_DENIED and url null. Then the result file
// (shopify.dev/docs/api/usage/bulk-operations/queries): one JSON object
// per line, the order's selected fields at top level, lists inline.
func TestDocShapeBulkFile(t *testing.T) {
	t.Parallel()
	d := newDocShop(t, docJPShop, func(int, docRequest) string { return "docs_bulk_node_completed.json" })
	op, err := d.client.WaitBulk(t.Context(), "gid://shopify/BulkOperation/7205000000001")
	if err != nil {
		t.Fatal(err)
	}
	if op.Status != shopify.BulkCompleted || op.ObjectCount != 3 || op.FileSize != 2417 || !strings.HasSuffix(op.URL, "/bulk/docs_bulk_orders.jsonl") ||
		!op.CompletedAt.Equal(time.Date(2026, 6, 3, 12, 0, 41, 0, time.UTC)) || op.ErrorCode != "" {
		t.Errorf("WaitBulk = %+v", op)
	}
	var got []ads.Order
	n, err := d.client.BulkOrdersFile(t.Context(), op, 2, func(b []ads.Order) error {
		got = append(got, b...)
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("BulkOrdersFile = %d, %v; want 3 orders", n, err)
	}
	jpy := func(units string) int64 { return ads.MustMicros(units) }
	tiktok := ads.UTM{Source: "tiktok", Content: "mia-3steps"}
	landing := "https://hanabi.example.jp/serum?utm_source=tiktok&utm_content=mia-3steps"
	want := []ads.Order{
		{Shop: docJPShop, ID: "gid://shopify/Order/6601000000001", Name: "#2001",
			CreatedAt: time.Date(2026, 5, 30, 3, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 5, 30, 3, 0, 5, 0, time.UTC),
			Currency: "JPY", Gross: jpy("4800"), Discounts: jpy("480"), Net: jpy("4320"), DiscountCodes: []string{"HANABI10"},
			UTM: tiktok, LandingPage: landing, FirstUTM: tiktok, FirstLandingPage: landing},
		{Shop: docJPShop, ID: "gid://shopify/Order/6601000000002", Name: "#2002",
			CreatedAt: time.Date(2026, 5, 31, 14, 20, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 6, 1, 1, 0, 0, 0, time.UTC),
			Currency: "JPY", Gross: jpy("9800"), Refunded: jpy("4900"), Net: jpy("4900"), RefundIDs: []string{"gid://shopify/Refund/9901000000001"}},
		{Shop: docJPShop, ID: "gid://shopify/Order/6601000000003", Name: "#2003",
			CreatedAt: time.Date(2026, 6, 2, 6, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 6, 2, 6, 0, 1, 0, time.UTC),
			Currency: "JPY", Gross: jpy("2200"), Net: jpy("2200")},
	}
	if !reflect.DeepEqual(byID(got), want) {
		t.Errorf("BulkOrdersFile =\n%+v\nwant\n%+v", byID(got), want)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.downloadTokens) != 1 || d.downloadTokens[0] != "" {
		t.Errorf("download access tokens = %q, want one download without a token", d.downloadTokens)
	}
}

// Shape: a FAILED BulkOperation (errorCode ACCESS_DENIED, url null).
func TestDocShapeBulkFailed(t *testing.T) {
	t.Parallel()
	d := newDocShop(t, docJPShop, func(int, docRequest) string { return "docs_bulk_node_failed.json" })
	op, err := d.client.WaitBulk(t.Context(), "gid://shopify/BulkOperation/7205000000002")
	var ae *ads.APIError
	if !errors.As(err, &ae) || ae.Kind != ads.KindJobFailed || !strings.Contains(ae.Message, "FAILED (ACCESS_DENIED)") {
		t.Errorf("WaitBulk err = %v, want KindJobFailed naming FAILED (ACCESS_DENIED)", err)
	}
	if op.Status != shopify.BulkFailed || op.ErrorCode != "ACCESS_DENIED" || op.URL != "" || op.FileSize != 0 {
		t.Errorf("WaitBulk op = %+v", op)
	}
}
