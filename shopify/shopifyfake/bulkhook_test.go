package shopifyfake_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/shopify/shopifyfake"
)

// hookSink records the deliveries it receives, answering the first fail
// of them 500.
type hookSink struct {
	mu    sync.Mutex
	fail  int
	got   []shopifyfake.Delivery
	codes []int
	seen  chan struct{} // one per 2xx delivery
}

func newHookSink(t *testing.T, fail int) (*hookSink, string) {
	t.Helper()
	h := &hookSink{fail: fail, seen: make(chan struct{}, 16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, shopifyfake.Delivery{Topic: r.Header.Get("X-Shopify-Topic"), Header: r.Header.Clone(), Body: body})
		code := http.StatusOK
		if len(h.got) <= h.fail {
			code = http.StatusInternalServerError
		}
		h.codes = append(h.codes, code)
		h.mu.Unlock()
		w.WriteHeader(code)
		if code == http.StatusOK {
			h.seen <- struct{}{}
		}
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL + "/webhooks/shopify"
}

// TestBulkFinishWebhook: a shop subscribed to bulk_operations/finish gets
// one signed delivery when each bulk operation ends — completed or failed
// — carrying the operation's GID, its status and error code in lower case
// and the query type, with Shopify's headers; a delivery answered with an
// error is retried under the same webhook and event ids. Unsubscribed
// topics are refused.
func TestBulkFinishWebhook(t *testing.T) {
	t.Parallel()
	r := newBulkRig(t, 3, 0)
	sink, url := newHookSink(t, 2)
	r.f.SetWebhookRetry(time.Millisecond)
	if err := r.f.Subscribe(shopifyfake.Subscription{Topic: "orders/paid", URI: url, Secret: "s"}); err == nil {
		t.Error("Subscribe to a topic the fake does not deliver: nil error")
	}
	if err := r.f.Subscribe(shopifyfake.Subscription{Topic: shopifyfake.TopicBulkOperationsFinish, URI: url, Secret: "whsec"}); err != nil {
		t.Fatal(err)
	}
	op, _ := r.run(t, fmt.Sprintf(bulkOrders, ""))
	<-sink.seen
	r.f.FailBulk("ACCESS_DENIED")
	op2, _ := r.run(t, fmt.Sprintf(bulkOrders, ""))
	<-sink.seen

	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.got) != 4 {
		t.Fatalf("%d deliveries (%v), want 4: the first answered 500 twice, then ok; the second ok", len(sink.got), sink.codes)
	}
	first, retry, second := sink.got[0], sink.got[2], sink.got[3]
	for _, k := range []string{"X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Hmac-Sha256"} {
		if first.Header.Get(k) == "" || first.Header.Get(k) != retry.Header.Get(k) {
			t.Errorf("%s: %q then %q on the retry, want the same non-empty value", k, first.Header.Get(k), retry.Header.Get(k))
		}
	}
	if first.Header.Get("X-Shopify-Event-Id") == second.Header.Get("X-Shopify-Event-Id") {
		t.Error("two operations' deliveries share an event id")
	}
	for i, c := range []struct {
		d            shopifyfake.Delivery
		id, status   string
		errorCode    any
		completedSet bool
	}{{first, op["id"].(string), "completed", nil, true}, {second, op2["id"].(string), "failed", "access_denied", false}} {
		h := c.d.Header
		if got := h.Get("X-Shopify-Topic"); got != shopifyfake.TopicBulkOperationsFinish {
			t.Errorf("delivery %d: topic %q", i, got)
		}
		if got, want := h.Get("X-Shopify-Hmac-Sha256"), shopifyfake.Sign("whsec", c.d.Body); got != want {
			t.Errorf("delivery %d: signature %q, want %q", i, got, want)
		}
		if _, ok := h["X-Shopify-Shop-Domain"]; !ok || h.Get("X-Shopify-API-Version") != shopifyfake.APIVersion || h.Get("X-Shopify-Triggered-At") == "" {
			t.Errorf("delivery %d: headers %v", i, h)
		}
		var p map[string]any
		if err := json.Unmarshal(c.d.Body, &p); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
		if p["admin_graphql_api_id"] != c.id || p["status"] != c.status || p["error_code"] != c.errorCode || p["type"] != "query" {
			t.Errorf("delivery %d: payload %s, want id %s, status %s, error_code %v, type query", i, c.d.Body, c.id, c.status, c.errorCode)
		}
		if _, err := time.Parse(time.RFC3339, fmt.Sprint(p["created_at"])); err != nil {
			t.Errorf("delivery %d: created_at %v", i, p["created_at"])
		}
		if got := p["completed_at"] != nil; got != c.completedSet {
			t.Errorf("delivery %d: completed_at %v", i, p["completed_at"])
		}
	}
	// Deliveries are recorded as webhooks, not as API calls.
	r.f.Close() // waits for the operations' goroutines, deliveries included
	n := 0
	for _, c := range r.f.Calls() {
		if strings.HasPrefix(c.Op, "webhook ") {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d webhook calls recorded, want 4", n)
	}
}

// TestBulkFinishWebhookUnsubscribed: without a subscription nothing is
// delivered and the operation still completes.
func TestBulkFinishWebhookUnsubscribed(t *testing.T) {
	t.Parallel()
	r := newBulkRig(t, 2, 0)
	op, _ := r.run(t, fmt.Sprintf(bulkOrders, ""))
	for {
		st := r.call(bulkPoll, map[string]any{"id": op["id"]})["data"].(map[string]any)["node"].(map[string]any)["status"]
		if st == "COMPLETED" {
			break
		}
		if st != "CREATED" && st != "RUNNING" {
			t.Fatalf("status %v", st)
		}
		time.Sleep(time.Millisecond)
	}
	r.f.Close() // waits for the operation's goroutine, deliveries included
	for _, c := range r.f.Calls() {
		if strings.HasPrefix(c.Op, "webhook ") {
			t.Errorf("unsubscribed shop sent %s", c.Op)
		}
	}
}
