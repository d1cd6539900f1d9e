package shopify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

// BenchmarkBulkOrdersFile downloads and decodes a bulk export of 20,000
// orders with customer journeys (the first sync's hot path).
func BenchmarkBulkOrdersFile(b *testing.B) {
	const n = 20000
	orders := make([]shopifyfake.Order, n)
	for i := range orders {
		at := base.Add(time.Duration(i) * time.Second)
		v := &shopifyfake.Visit{LandingPage: fmt.Sprintf("https://glowco.example/products/serum?utm_source=tiktok&utm_content=v%d", i%400),
			OccurredAt: at.Add(-time.Hour), Source: "tiktok", Medium: "paid_social", Campaign: "spf-routine", Content: fmt.Sprintf("v%d", i%400)}
		orders[i] = shopifyfake.Order{ID: fmt.Sprint(1000 + i), CreatedAt: at, UpdatedAt: at, LineItems: "84.00", Discounts: "12.60",
			DiscountCodes: []string{"JACQ15"}, FirstVisit: v, LastVisit: v}
	}
	bb := bulkSetup(b, shopifyfake.Seed{Orders: orders})
	ctx := context.Background()
	started, err := bb.client.StartBulkOrders(ctx, time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	op, err := bb.client.WaitBulk(ctx, started.ID)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(op.FileSize)
	b.ResetTimer()
	for b.Loop() {
		got, err := bb.client.BulkOrdersFile(ctx, op, 10000, func([]ads.Order) error { return nil })
		if err != nil || got != n {
			b.Fatalf("read %d orders, err %v", got, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "orders/s")
}
