package main

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/shopify"
)

// TestShopifyClientsFromConcurrentLanes: lanes of several shops ask for
// their clients at once (run --once runs one lane per shop); each shop
// gets one client, and under -race the cache shows no race (it was an
// unlocked map: "concurrent map writes").
func TestShopifyClientsFromConcurrentLanes(t *testing.T) {
	t.Parallel()
	env := &cmdEnv{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string {
		return map[string]string{"SHOPIFY_ACCESS_TOKEN": "shpat_test", "SHOPIFY_API_URL": "http://127.0.0.1:1"}[k]
	}}
	m := scheduler.NewMetrics(prometheus.NewRegistry())
	d, err := newDeps(env, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), m, "http://127.0.0.1:8081/", "test/1", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	shops := []string{"a.myshopify.com", "b.myshopify.com", "c.myshopify.com", "d.myshopify.com"}
	got := make([][]*shopify.Client, len(shops))
	var wg sync.WaitGroup
	for i, shop := range shops {
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := d.Shopify(shop)
				_ = c
			}()
		}
		got[i] = append(got[i], d.Shopify(shop))
	}
	wg.Wait()
	for i, shop := range shops {
		if again := d.Shopify(shop); again != got[i][0] {
			t.Errorf("shop %s got two clients", shop)
		}
	}
}
