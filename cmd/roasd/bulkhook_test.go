package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

// TestBulkFinishReachesOtherReplica: two replicas with
// --shopify-bulk-webhook on one database; Shopify delivers
// bulk_operations/finish to replica A (the load balancer's choice) while
// replica B waits for the export: B is woken through the database and
// reads the operation once (its safety poll is an hour away).
func TestBulkFinishReachesOtherReplica(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	e.vars["ROASD_SHOPIFY_BULK_WEBHOOK"] = "on"
	set, err := loadConfig(e.config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ds [2]*daemon
	for i, name := range []string{"a", "b"} {
		o, err := parseRunFlags(e.env(io.Discard, io.Discard), []string{"--config", e.config, "--replica", name, "--log-level", "error"})
		if err != nil {
			t.Fatal(err)
		}
		if !o.bulkWebhook {
			t.Fatal("ROASD_SHOPIFY_BULK_WEBHOOK=on did not set --shopify-bulk-webhook")
		}
		if ds[i], err = newDaemon(ctx, e.env(io.Discard, io.Discard), e.dsn, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ds[i].close)
		ds[i].useConfig(set)
		if err := ds[i].checkBulkWebhook(); err != nil {
			t.Fatal(err)
		}
	}
	a, b := ds[0], ds[1]
	mux := http.NewServeMux()
	for p, h := range a.routes() {
		mux.Handle(p, h)
	}
	srvA := httptest.NewServer(mux)
	t.Cleanup(srvA.Close)
	stop := b.listenBulk()
	t.Cleanup(stop)

	shop := set.Brands[0].Accounts.Shopify[0].Shop
	fake := e.sb.Shops.Shop(shop)
	if err := fake.Subscribe(shopifyfake.Subscription{Topic: shopify.TopicBulkOperationsFinish, URI: srvA.URL + "/webhooks/shopify", Secret: "whsec"}); err != nil {
		t.Fatal(err)
	}
	c := shopify.New(shopify.Options{Shop: shop, BaseURL: e.vars["SHOPIFY_API_URL"], AccessToken: sandbox.ShopifyToken,
		Logger: slog.New(slog.DiscardHandler), BulkFinish: b.bulk, BulkSafetyPoll: time.Hour})
	before := len(fake.Calls())
	op, err := c.StartBulkOrders(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// A guard against hanging for the hour, not a measured duration.
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	done, err := c.WaitBulkOrders(wctx, op.ID, time.Time{})
	if err != nil || done.Status != shopify.BulkCompleted {
		t.Fatalf("replica b waited for %+v, %v", done, err)
	}
	// The fake records its delivery once it has read replica a's answer,
	// which may come after b woke.
	for {
		polls, hooks := 0, 0
		for _, call := range fake.Calls()[before:] {
			switch call.Op {
			case "bulk-poll":
				polls++
			case "webhook " + shopify.TopicBulkOperationsFinish:
				hooks++
				if call.Status != http.StatusOK {
					t.Fatalf("replica a answered the delivery %d", call.Status)
				}
			}
		}
		if hooks == 0 {
			time.Sleep(time.Millisecond)
			continue
		}
		if polls != 1 || hooks != 1 {
			t.Errorf("%d reads after %d deliveries to replica a, want 1 and 1", polls, hooks)
		}
		break
	}
}
