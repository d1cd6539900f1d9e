package shopify_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

const otherShop = "hautwerk.myshopify.com"

func finishBody(id string) []byte {
	return []byte(`{"admin_graphql_api_id":"` + id + `","completed_at":"2026-11-20T10:00:00-05:00","created_at":"2026-11-20T09:59:00-05:00","error_code":null,"status":"completed","type":"query"}`)
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestBulkFinishReceiver: bulk_operations/finish deliveries are verified
// with their shop's own secret like every topic (a bad signature or
// another shop's secret is 401 and tells nobody); a verified one wakes the
// waiter of that shop's operation, and one nobody waits for yet is
// acknowledged and kept, so a waiter registering after it does not miss
// it; the same operation id of another shop is another operation. A
// payload naming no bulk operation is 400. Without BulkFinished the topic
// is acknowledged and ignored.
func TestBulkFinishReceiver(t *testing.T) {
	t.Parallel()
	const glowSecret, hautSecret = "whsec_glow", "whsec_haut"
	n := shopify.NewBulkFinishes(nil)
	h := shopify.WebhookHandler("", nil, slog.New(slog.DiscardHandler), shopify.BulkFinished(n),
		shopify.ShopSecrets(func(shop string) string {
			return map[string]string{shopDomain: glowSecret, otherShop: hautSecret}[shop]
		}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	plain := httptest.NewServer(shopify.WebhookHandler(glowSecret, nil, slog.New(slog.DiscardHandler)))
	t.Cleanup(plain.Close)

	const op1, op2, op3 = "gid://shopify/BulkOperation/1", "gid://shopify/BulkOperation/2", "gid://shopify/BulkOperation/3"
	waiting, stop := n.Wait(shopDomain, op1)
	defer stop()
	hautWaiting, hautStop := n.Wait(otherShop, op1)
	defer hautStop()
	hdr := func(shop, key string, body []byte) map[string]string {
		m := headers(shopify.TopicBulkOperationsFinish, "wh-"+shop, body, key)
		m["X-Shopify-Shop-Domain"] = shop
		return m
	}
	for _, tc := range []struct {
		name   string
		url    string
		shop   string
		key    string
		body   []byte
		status int
		waited bool
	}{
		{"bad signature", srv.URL, shopDomain, "wrong", finishBody(op1), http.StatusUnauthorized, false},
		{"signed with the other shop's secret", srv.URL, shopDomain, hautSecret, finishBody(op1), http.StatusUnauthorized, false},
		{"not a bulk operation", srv.URL, shopDomain, glowSecret, finishBody("gid://shopify/Order/1"), http.StatusBadRequest, false},
		{"no receiver of the topic", plain.URL, shopDomain, glowSecret, finishBody(op1), http.StatusOK, false},
		{"an operation nobody waits for yet", srv.URL, shopDomain, glowSecret, finishBody(op2), http.StatusOK, false},
		{"the awaited operation", srv.URL, shopDomain, glowSecret, finishBody(op1), http.StatusOK, true},
		{"redelivered", srv.URL, shopDomain, glowSecret, finishBody(op1), http.StatusOK, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wasClosed := closed(waiting)
			status, waited := post(t, tc.url, tc.body, hdr(tc.shop, tc.key, tc.body))
			if status != tc.status || waited != tc.waited {
				t.Errorf("status %d, waited %v; want %d, %v", status, waited, tc.status, tc.waited)
			}
			if tc.status != http.StatusOK || tc.url == plain.URL {
				if !wasClosed && closed(waiting) {
					t.Error("a refused or ignored delivery woke the waiter")
				}
			}
		})
	}
	if !closed(waiting) {
		t.Error("the waiter of op 1 was not woken")
	}
	if closed(hautWaiting) {
		t.Error("glowco's op 1 woke hautwerk's op 1")
	}
	// The early finish of op 2 is there for a waiter that comes after.
	early, earlyStop := n.Wait(shopDomain, op2)
	defer earlyStop()
	if !closed(early) {
		t.Error("op 2 finished before its waiter registered, and the waiter did not see it")
	}
	later, laterStop := n.Wait(strings.ToUpper(shopDomain), op3)
	defer laterStop()
	if closed(later) {
		t.Error("op 3 never finished but its waiter was woken")
	}
	// hautwerk, with its own secret, wakes its own waiter.
	b := finishBody(op1)
	if status, waited := post(t, srv.URL, b, hdr(otherShop, hautSecret, b)); status != http.StatusOK || !waited || !closed(hautWaiting) {
		t.Errorf("hautwerk's delivery: status %d, waited %v, woken %v", status, waited, closed(hautWaiting))
	}
}

// TestBulkFinishesKeep: a finish nobody waits for is kept an hour, then
// forgotten (on the fake clock); a waiter's done forgets its operation.
func TestBulkFinishesKeep(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	n := shopify.NewBulkFinishes(func() time.Time { return now })
	n.Finished(shopDomain, "gid://shopify/BulkOperation/1")
	now = now.Add(59 * time.Minute)
	if ch, done := n.Wait(shopDomain, "gid://shopify/BulkOperation/1"); !closed(ch) {
		t.Error("a finish 59 minutes old was forgotten")
	} else {
		done()
	}
	n.Finished(shopDomain, "gid://shopify/BulkOperation/2")
	now = now.Add(61 * time.Minute)
	n.Finished(shopDomain, "gid://shopify/BulkOperation/3") // prunes
	if ch, done := n.Wait(shopDomain, "gid://shopify/BulkOperation/2"); closed(ch) {
		t.Error("a finish 61 minutes old was kept")
	} else {
		done()
	}
}

// hookRig is a fake shop subscribed to bulk_operations/finish at a
// receiver that hands finishes to the client's BulkFinishes; gate, when
// set, holds each delivery until it is closed.
type hookRig struct {
	b        *bulkBundle
	finishes *shopify.BulkFinishes
	client   *shopify.Client
	mu       sync.Mutex
	gate     chan struct{}
	handled  chan int // status of each delivery handled
}

// registering wraps a BulkWaiter and closes registered on the first Wait.
type registering struct {
	shopify.BulkWaiter
	once       sync.Once
	registered chan struct{}
}

func (r *registering) Wait(shop, id string) (<-chan struct{}, func()) {
	ch, done := r.BulkWaiter.Wait(shop, id)
	r.once.Do(func() { close(r.registered) })
	return ch, done
}

func newHookRig(t *testing.T, seed shopifyfake.Seed, safety time.Duration, receiverDown bool, waiter func(shopify.BulkWaiter) shopify.BulkWaiter) *hookRig {
	t.Helper()
	r := &hookRig{b: bulkSetup(t, seed), finishes: shopify.NewBulkFinishes(nil), handled: make(chan int, 32)}
	h := shopify.WebhookHandler(secret, nil, slog.New(slog.DiscardHandler), shopify.BulkFinished(r.finishes))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		gate := r.gate
		r.mu.Unlock()
		if gate != nil {
			<-gate
		}
		if receiverDown {
			http.Error(w, "down", http.StatusServiceUnavailable)
			r.handled <- http.StatusServiceUnavailable
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		r.handled <- rec.Code
	}))
	t.Cleanup(srv.Close)
	r.b.fake.SetWebhookRetry(time.Millisecond)
	if err := r.b.fake.Subscribe(shopifyfake.Subscription{Topic: shopify.TopicBulkOperationsFinish, URI: srv.URL, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	var w shopify.BulkWaiter = r.finishes
	if waiter != nil {
		w = waiter(w)
	}
	r.client = shopify.New(shopify.Options{Shop: shopDomain, BaseURL: r.b.url, AccessToken: token, RetryMax: 2,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, BulkPollMin: time.Millisecond, BulkPollMax: 10 * time.Millisecond,
		BulkFinish: w, BulkSafetyPoll: safety})
	return r
}

func (r *hookRig) polls() int {
	n := 0
	for _, c := range r.b.fake.Calls() {
		if c.Op == "bulk-poll" {
			n++
		}
	}
	return n
}

// TestWaitBulkWebhookCutsWaitShort: with the daemon receiving
// bulk_operations/finish, WaitBulkOrders waits for the webhook (the
// safety poll is an hour away) and reads the operation exactly once,
// without the learning poll: start, one read, the file. A failed export
// is reported the same way, from its one read.
func TestWaitBulkWebhookCutsWaitShort(t *testing.T) {
	t.Parallel()
	reg := &registering{registered: make(chan struct{})}
	r := newHookRig(t, shopifyfake.Seed{Orders: seedOrders(300)}, time.Hour, false, func(w shopify.BulkWaiter) shopify.BulkWaiter {
		reg.BulkWaiter = w
		return reg
	})
	// Deliveries wait until the client waits: the webhook arrives during
	// the wait, not before it.
	r.gate = reg.registered
	ctx := context.Background()
	op, err := r.client.StartBulkOrders(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	done, err := r.client.WaitBulkOrders(ctx, op.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != shopify.BulkCompleted || done.URL == "" {
		t.Fatalf("waited for %+v", done)
	}
	if n := r.polls(); n != 1 {
		t.Errorf("%d reads of the operation, want 1 (after its webhook)", n)
	}
	got, err := r.client.BulkOrdersFile(ctx, done, 100, func([]ads.Order) error { return nil })
	if err != nil || got != 300 {
		t.Errorf("file: %d orders, %v", got, err)
	}

	r.b.fake.FailBulk("ACCESS_DENIED")
	op, err = r.client.StartBulkOrders(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.client.WaitBulkOrders(ctx, op.ID, time.Time{})
	var ae *ads.APIError
	if !errors.As(err, &ae) || ae.Kind != ads.KindJobFailed || !strings.Contains(err.Error(), "ACCESS_DENIED") {
		t.Errorf("failed export: %v, want KindJobFailed naming ACCESS_DENIED", err)
	}
	if n := r.polls(); n != 2 {
		t.Errorf("%d reads in all, want 2 (one per export)", n)
	}
}

// TestWaitBulkWebhookBeforeWait: a webhook that arrives before the client
// waits (the export ended before StartBulkOrders' answer was acted on) is
// not lost: the wait reads the operation once and returns.
func TestWaitBulkWebhookBeforeWait(t *testing.T) {
	t.Parallel()
	r := newHookRig(t, shopifyfake.Seed{Orders: seedOrders(50)}, time.Hour, false, nil)
	ctx := context.Background()
	op, err := r.client.StartBulkOrders(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if code := <-r.handled; code != http.StatusOK {
		t.Fatalf("delivery answered %d", code)
	}
	done, err := r.client.WaitBulkOrders(ctx, op.ID, time.Time{})
	if err != nil || done.Status != shopify.BulkCompleted {
		t.Fatalf("waited for %+v, %v", done, err)
	}
	if n := r.polls(); n != 1 {
		t.Errorf("%d reads of the operation, want 1", n)
	}
}

// TestWaitBulkLostWebhook: when no webhook gets through (the receiver
// answers 503 to every try), the safety poll finds the export done and
// the wait returns it.
func TestWaitBulkLostWebhook(t *testing.T) {
	t.Parallel()
	r := newHookRig(t, shopifyfake.Seed{Orders: seedOrders(50)}, time.Millisecond, true, nil)
	ctx := context.Background()
	op, err := r.client.StartBulkOrders(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	done, err := r.client.WaitBulkOrders(ctx, op.ID, time.Time{})
	if err != nil || done.Status != shopify.BulkCompleted || done.URL == "" {
		t.Fatalf("waited for %+v, %v", done, err)
	}
	if r.polls() == 0 {
		t.Error("no safety poll")
	}
	for _, c := range r.b.fake.Calls() {
		if c.Op == "bulk-poll" {
			if _, counted := c.Variables["orders"]; counted {
				t.Error("a safety poll counted the orders (the learning poll is not needed with webhooks)")
			}
		}
	}
}
