package shopify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

type bulkBundle struct {
	fake   *shopifyfake.Server
	client *shopify.Client
	url    string // the fake's base URL
	mu     sync.Mutex
	// downloadTokens are the access-token headers the file downloads
	// carried.
	downloadTokens []string
}

// bulkSetup serves a fake behind a recorder of what the file downloads
// send.
func bulkSetup(t testing.TB, seed shopifyfake.Seed) *bulkBundle {
	t.Helper()
	seed.Shop = shopifyfake.Shop{Name: "Glowco", Domain: shopDomain, Currency: "USD", Timezone: "UTC"}
	seed.AccessToken = token
	seed.RestoreRate = 1e6
	b := &bulkBundle{fake: shopifyfake.New(seed)}
	t.Cleanup(func() { b.fake.Close() })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/bulk/") {
			b.mu.Lock()
			b.downloadTokens = append(b.downloadTokens, r.Header.Get("X-Shopify-Access-Token"))
			b.mu.Unlock()
		}
		b.fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	b.url = srv.URL
	b.client = shopify.New(shopify.Options{Shop: shopDomain, BaseURL: srv.URL, AccessToken: token, RetryMax: 2,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, BulkPollMin: time.Millisecond, BulkPollMax: 10 * time.Millisecond})
	return b
}

func byID(os []ads.Order) []ads.Order {
	out := slices.Clone(os)
	slices.SortFunc(out, func(a, b ads.Order) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func TestBulkOrdersEndToEnd(t *testing.T) {
	t.Parallel()
	seed := seedOrders(2500)
	// Two refunds with tax and shipping: the export carries the refund ids
	// and the same product part as the pages.
	seed[2000].Tax, seed[2000].Shipping = "6.80", "5.00"
	seed[2000].Refunds = []shopifyfake.Refund{{ID: "7", CreatedAt: seed[2000].UpdatedAt, LineItems: "16.50", LineItemsTax: "1.32",
		Shipping: "3.95"}, {ID: "8", CreatedAt: seed[2000].UpdatedAt, Amount: "10.00"}}
	b := bulkSetup(t, shopifyfake.Seed{Orders: seed})
	ctx := context.Background()
	since := base.Add(100 * time.Minute)

	started, err := b.client.StartBulkOrders(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(started.ID, "gid://shopify/BulkOperation/") || started.Status != shopify.BulkCreated || started.CreatedAt.IsZero() {
		t.Fatalf("started = %+v", started)
	}
	if started.Query != shopify.BulkOrdersQuery(since) {
		t.Errorf("operation query = %q, want the one sent", started.Query)
	}
	op, err := b.client.WaitBulk(ctx, started.ID)
	if err != nil {
		t.Fatal(err)
	}
	if op.Status != shopify.BulkCompleted || op.ObjectCount != 2400 || op.FileSize <= 0 || op.URL == "" || op.CompletedAt.IsZero() {
		t.Fatalf("completed = %+v", op)
	}
	var got []ads.Order
	var sizes []int
	n, err := b.client.BulkOrdersFile(ctx, op, 1000, func(batch []ads.Order) error {
		sizes = append(sizes, len(batch))
		got = append(got, batch...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2400 || !reflect.DeepEqual(sizes, []int{1000, 1000, 400}) {
		t.Errorf("delivered %d orders in batches %v, want 2400 in 1000+1000+400", n, sizes)
	}
	// The same orders, converted the same way, as the paged sync reads.
	var paged []ads.Order
	if _, err := b.client.Orders(ctx, since, func(p []ads.Order) error { paged = append(paged, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(byID(got), byID(paged)) {
		t.Errorf("bulk orders differ from paged ones (%d vs %d)", len(got), len(paged))
	}
	for _, o := range got {
		if o.ID == "gid://shopify/Order/3000" && (o.Refunded != ads.MustMicros("26.50") || o.Net != ads.MustMicros("58.50") ||
			!reflect.DeepEqual(o.RefundIDs, []string{"gid://shopify/Refund/7", "gid://shopify/Refund/8"})) {
			t.Errorf("refunded order from the export: refunded %d net %d refunds %v, want 26.50, 58.50 and refunds 7 and 8",
				o.Refunded, o.Net, o.RefundIDs)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.downloadTokens) != 1 || b.downloadTokens[0] != "" {
		t.Errorf("downloads sent tokens %q, want one download without a token", b.downloadTokens)
	}
	// Cost: one mutation at 10 points, polls at 1.
	for _, c := range b.fake.Calls() {
		if want := map[string]int{"bulk": 10, "bulk-poll": 1}[c.Op]; want != 0 && c.RequestedCost != want {
			t.Errorf("%s cost %d, want %d", c.Op, c.RequestedCost, want)
		}
	}
}

func TestBulkInProgressNamesTheRunningOperation(t *testing.T) {
	t.Parallel()
	b := bulkSetup(t, shopifyfake.Seed{Orders: seedOrders(10), BulkDelay: 100 * time.Millisecond})
	ctx := context.Background()
	first, err := b.client.StartBulkOrders(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	running, err := b.client.StartBulkOrders(ctx, time.Time{})
	if !errors.Is(err, shopify.ErrBulkInProgress) {
		t.Fatalf("second start: %v, want ErrBulkInProgress", err)
	}
	if running.ID != first.ID {
		t.Errorf("running op = %q, want %q", running.ID, first.ID)
	}
	if op, err := b.client.WaitBulk(ctx, running.ID); err != nil || op.ObjectCount != 10 {
		t.Errorf("waiting on the running op: %+v, %v", op, err)
	}
}

func TestBulkFailuresAreAPIErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		code   string
		expire bool
		want   string
	}{
		{"failed timeout", "TIMEOUT", false, "FAILED (TIMEOUT)"},
		{"failed access denied", "ACCESS_DENIED", false, "FAILED (ACCESS_DENIED)"},
		{"expired", "", true, "ended EXPIRED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := bulkSetup(t, shopifyfake.Seed{Orders: seedOrders(20)})
			ctx := context.Background()
			if tc.code != "" {
				b.fake.FailBulk(tc.code)
			}
			op, err := b.client.StartBulkOrders(ctx, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.expire {
				if _, err := b.client.WaitBulk(ctx, op.ID); err != nil {
					t.Fatal(err)
				}
				b.fake.ExpireBulk()
			}
			got, err := b.client.WaitBulk(ctx, op.ID)
			var ae *ads.APIError
			if !errors.As(err, &ae) || ae.Platform != ads.Shopify || ae.Account != shopDomain || ae.Op != "bulk" || ae.Kind != ads.KindJobFailed {
				t.Fatalf("WaitBulk error = %#v, want a Shopify bulk job-failed APIError", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), op.ID) {
				t.Errorf("error %q does not say %q and the op id", err, tc.want)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error leaks the token: %v", err)
			}
			if got.ID != op.ID || got.URL != "" {
				t.Errorf("returned op = %+v", got)
			}
			if _, err := b.client.BulkOrdersFile(ctx, got, 10, func([]ads.Order) error { return nil }); err == nil {
				t.Error("BulkOrdersFile of an unfinished op: nil error")
			}
		})
	}
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		b := bulkSetup(t, shopifyfake.Seed{})
		_, err := b.client.BulkOperation(context.Background(), "gid://shopify/BulkOperation/42")
		var ae *ads.APIError
		if !errors.As(err, &ae) || ae.Kind != ads.KindNotFound {
			t.Errorf("unknown op: %v, want KindNotFound", err)
		}
	})
}

// fileServer serves body at /f.jsonl to requests signed "secret-sig",
// after failing the first `fail` requests with 503.
func fileServer(t *testing.T, body string, fail int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= int64(fail) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.URL.Query().Get("signature") != "secret-sig" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, "<Error><Code>SignatureDoesNotMatch</Code></Error>")
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func line(id int, amount string) string {
	return fmt.Sprintf(`{"id":"gid://shopify/Order/%d","name":"#%d","createdAt":"2026-06-01T00:00:00Z","updatedAt":"2026-06-01T00:00:00Z","cancelledAt":null,"currencyCode":"USD","test":false,"discountCodes":[],"subtotalPriceSet":{"shopMoney":{"amount":%q,"currencyCode":"USD"}},"totalDiscountsSet":{"shopMoney":{"amount":"0.00","currencyCode":"USD"}},"totalRefundedSet":{"shopMoney":{"amount":"0.00","currencyCode":"USD"}},"currentSubtotalPriceSet":{"shopMoney":{"amount":"10.00","currencyCode":"USD"}},"customerJourneySummary":null}`+"\n", id, id, amount)
}

func TestBulkOrdersFileErrors(t *testing.T) {
	t.Parallel()
	good := line(1, "10.00") + line(2, "10.00")
	for _, tc := range []struct {
		name      string
		body      string
		fail      int
		sig       string
		delivered int64
		want      string // "" for success
		count     int64  // the operation's objectCount (0: not known)
	}{
		{"retried 503s before the body", good + line(3, "1"), 2, "secret-sig", 3, "", 0},
		{"malformed line", good + `{"id": "gid://shopify/Order/3", "name": ` + "\n" + line(4, "1"), 0, "secret-sig", 2, "line 3", 0},
		{"bad amount", good + line(3, "ten") + line(4, "1"), 0, "secret-sig", 2, "line 3", 0},
		{"not an order", good + `{"name":"#3"}` + "\n", 0, "secret-sig", 2, "line 3", 0},
		{"child lines skipped", good + `{"id":"gid://shopify/LineItem/9","__parentId":"gid://shopify/Order/2"}` + "\n" + line(3, "1"), 0, "secret-sig", 3, "", 4},
		{"objectCount matches", good, 0, "secret-sig", 2, "", 2},
		{"fewer lines than objectCount", good, 0, "secret-sig", 2, "objectCount is 3", 3},
		{"more lines than objectCount", good + line(3, "1"), 0, "secret-sig", 3, "objectCount is 2", 2},
		{"blank lines and no final newline", good + "\n" + strings.TrimSuffix(line(3, "1"), "\n"), 0, "secret-sig", 3, "", 0},
		{"bad signature", good, 0, "wrong-sig", 0, "SignatureDoesNotMatch", 0},
		{"5xx past the retries", good, 10, "secret-sig", 0, "Service Unavailable", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := fileServer(t, tc.body, tc.fail)
			// Everything the client logs, down to Debug: the retries of
			// a download name its URL, whose query is the signature.
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c := shopify.New(shopify.Options{Shop: shopDomain, AccessToken: token, RetryMax: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond,
				Logger: log})
			op := shopify.BulkOperation{ID: "gid://shopify/BulkOperation/7", Status: shopify.BulkCompleted, URL: srv.URL + "/f.jsonl?signature=" + tc.sig,
				ObjectCount: tc.count}
			var got []string
			n, err := c.BulkOrdersFile(context.Background(), op, 1, func(b []ads.Order) error {
				for _, o := range b {
					got = append(got, o.ID)
				}
				return nil
			})
			if n != tc.delivered || int64(len(got)) != n {
				t.Errorf("delivered %d (%v), want %d", n, got, tc.delivered)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error = %v, want one mentioning %q", err, tc.want)
			}
			if err != nil && (strings.Contains(err.Error(), tc.sig) || strings.Contains(err.Error(), token)) {
				t.Errorf("error leaks the signature or token: %v", err)
			}
			if strings.Contains(logs.String(), tc.sig) || strings.Contains(logs.String(), token) {
				t.Errorf("log leaks the signature or token:\n%s", logs.String())
			}
			if tc.fail > 0 && !strings.Contains(logs.String(), "[redacted]") {
				t.Errorf("retries were not logged (the leak check saw nothing):\n%s", logs.String())
			}
		})
	}
}

// TestBulkChildLinesAndObjectCount: a file with child lines (records of a
// nested connection, as Shopify writes them) delivers the same orders, and
// a file cut short of its objectCount fails loudly after delivering what
// it has.
func TestBulkChildLinesAndObjectCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	export := func(b *bulkBundle) (shopify.BulkOperation, []ads.Order, error) {
		t.Helper()
		started, err := b.client.StartBulkOrders(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		op, err := b.client.WaitBulk(ctx, started.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []ads.Order
		_, err = b.client.BulkOrdersFile(ctx, op, 100, func(batch []ads.Order) error { got = append(got, batch...); return nil })
		return op, got, err
	}
	plain := bulkSetup(t, shopifyfake.Seed{Orders: seedOrders(300)})
	_, want, err := export(plain)
	if err != nil || len(want) != 300 {
		t.Fatalf("plain export: %d orders, %v", len(want), err)
	}

	kids := bulkSetup(t, shopifyfake.Seed{Orders: seedOrders(300)})
	kids.fake.BulkChildLines(true)
	op, got, err := export(kids)
	if err != nil {
		t.Fatalf("export with child lines: %v", err)
	}
	if op.ObjectCount != 600 {
		t.Errorf("objectCount = %d, want 600 (orders and their child lines)", op.ObjectCount)
	}
	if !reflect.DeepEqual(byID(got), byID(want)) {
		t.Errorf("orders with child lines differ from the plain export (%d vs %d)", len(got), len(want))
	}

	short := bulkSetup(t, shopifyfake.Seed{Orders: seedOrders(300)})
	short.fake.DropBulkLine()
	op, got, err = export(short)
	if err == nil || !strings.Contains(err.Error(), "objectCount is 300") || !strings.Contains(err.Error(), op.ID) {
		t.Fatalf("export cut short: err = %v, want one naming the operation and its objectCount", err)
	}
	if len(got) != 299 {
		t.Errorf("delivered %d orders of a file cut short, want the 299 it has", len(got))
	}
}

func TestBulkCancellation(t *testing.T) {
	t.Parallel()
	b := bulkSetup(t, shopifyfake.Seed{Orders: seedOrders(3000), BulkDelay: time.Minute})
	op, err := b.client.StartBulkOrders(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := b.client.WaitBulk(ctx, op.ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitBulk past the deadline: %v, want DeadlineExceeded", err)
	}

	// An error from fn stops the download and comes back as is.
	b2 := bulkSetup(t, shopifyfake.Seed{Orders: seedOrders(3000)})
	op, err = b2.client.StartBulkOrders(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if op, err = b2.client.WaitBulk(context.Background(), op.ID); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("database down")
	calls := 0
	n, err := b2.client.BulkOrdersFile(context.Background(), op, 100, func([]ads.Order) error { calls++; return stop })
	if !errors.Is(err, stop) || n != 0 || calls != 1 {
		t.Errorf("fn error: n=%d calls=%d err=%v, want 0, 1, the error", n, calls, err)
	}
	// A cancelled context stops it too.
	ctx2, cancel2 := context.WithCancel(context.Background())
	n, err = b2.client.BulkOrdersFile(ctx2, op, 100, func([]ads.Order) error { cancel2(); return nil })
	if !errors.Is(err, context.Canceled) || n >= 3000 {
		t.Errorf("cancelled: n=%d err=%v, want fewer than 3000 and context.Canceled", n, err)
	}
}

// TestWaitBulkOrdersCountsOnTheFirstPoll checks that WaitBulkOrders asks
// for the export's order count with its first poll (one request: no call
// of its own) and only then, and still returns the completed operation.
func TestWaitBulkOrdersCountsOnTheFirstPoll(t *testing.T) {
	t.Parallel()
	b := bulkSetup(t, shopifyfake.Seed{Orders: seedOrders(2500), BulkDelay: 30 * time.Millisecond})
	ctx := context.Background()
	since := base.Add(100 * time.Minute)
	started, err := b.client.StartBulkOrders(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	op, err := b.client.WaitBulkOrders(ctx, started.ID, since)
	if err != nil {
		t.Fatal(err)
	}
	if op.Status != shopify.BulkCompleted || op.ObjectCount != 2400 || op.URL == "" {
		t.Fatalf("completed = %+v", op)
	}
	var polls []shopifyfake.Call
	for _, c := range b.fake.Calls() {
		if c.Op == "bulk-poll" {
			polls = append(polls, c)
		}
	}
	if len(polls) == 0 {
		t.Fatal("no poll")
	}
	if got := polls[0].Variables["orders"]; got != shopify.UpdatedFilter(since) {
		t.Errorf("first poll counted orders %v, want %q", got, shopify.UpdatedFilter(since))
	}
	for i, c := range polls[1:] {
		if _, ok := c.Variables["orders"]; ok {
			t.Errorf("poll %d counted the orders again", i+2)
		}
	}
}
