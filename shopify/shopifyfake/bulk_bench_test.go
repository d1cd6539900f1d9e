package shopifyfake_test

import (
	"fmt"
	"testing"
)

// BenchmarkBulkRender renders a bulk export of 20,000 orders: the time a
// first sync waits for the fake before it can download.
func BenchmarkBulkRender(b *testing.B) {
	const n = 20000
	r := newBulkRig(b, n, 0)
	inner := fmt.Sprintf(bulkOrders, "")
	for b.Loop() {
		op, errs := r.run(b, inner)
		if len(errs) > 0 || op == nil {
			b.Fatalf("bulk run: %v", errs)
		}
		if done := r.wait(b, op["id"].(string)); done["status"] != "COMPLETED" {
			b.Fatalf("operation ended %v", done["status"])
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "orders/s")
}
