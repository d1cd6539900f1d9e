package store_test

import (
	"context"
	"strings"
	"testing"
)

func TestAnalyzeRefreshesStatistics(t *testing.T) {
	t.Parallel()
	db := openDB(t, template)
	ctx := context.Background()
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO link_conversions (source, conversion_id, amount_micros, currency, at)
		SELECT 'bench', g::text, 1000000, 'USD', now() FROM generate_series(1, 2000) g`); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := db.SQL().GetContext(ctx, &n, `SELECT coalesce(sum(reltuples), 0)::int FROM pg_class WHERE relname = 'link_conversions'`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := db.Analyze(ctx, "link_conversions"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2000 {
		t.Errorf("planner rows of link_conversions after Analyze = %d, want 2000", n)
	}
	if err := db.Analyze(ctx, "link_conversions; DROP TABLE orders"); err == nil || !strings.Contains(err.Error(), "not a table roasd analyzes") {
		t.Errorf("Analyze of an unknown table: err = %v", err)
	}
}
