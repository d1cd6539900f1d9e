package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/store"
)

// TestCursorAccessorsKeepTheStoredNames: each typed cursor accessor reads
// a value written under the name earlier versions built by hand (so an
// existing database keeps its high-water marks, export ids and episodes),
// and writes under that same name.
func TestCursorAccessorsKeepTheStoredNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	const shop, act, adv, brand, code = "glowco.myshopify.com", "act_1234567890", "7000000000000000000", "glowco", "spark-code-1"
	h := sha256.Sum256([]byte(code))
	at := time.Date(2026, 6, 20, 10, 0, 0, 123456789, time.UTC)
	day := ads.Date{Year: 2026, Month: time.June, Day: 19}
	show := func(v any, ok bool, err error) string { return fmt.Sprintf("%v %v %v", v, ok, err) }
	for _, tc := range []struct {
		name, old, value string // the old name and a value stored under it
		read             func() string
		want             string
		write            func() error
		written          string // the value write leaves under the old name
	}{
		{"orders mark", "shopify.orders:" + shop, "2026-06-20T10:00:00.123456789Z",
			func() string { v, err := db.OrdersMark(ctx, shop); return show(v.Format(time.RFC3339Nano), true, err) }, "2026-06-20T10:00:00.123456789Z true <nil>",
			func() error { return db.SetOrdersMark(ctx, shop, at.Add(time.Hour)) }, "2026-06-20T11:00:00.123456789Z"},
		{"bulk export", "shopify.bulk:" + shop, "gid://shopify/BulkOperation/1",
			func() string { v, err := db.BulkOrdersOp(ctx, shop); return show(v, true, err) }, "gid://shopify/BulkOperation/1 true <nil>",
			func() error { return db.SetBulkOrdersOp(ctx, shop, "") }, ""},
		{"meta insights", "meta.insights:" + act, "2026-06-19",
			func() string { return show(db.InsightsPulled(ctx, ads.Meta, act)) }, "2026-06-19 true <nil>",
			func() error { return db.SetInsightsPulled(ctx, ads.Meta, act, day.AddDays(1)) }, "2026-06-20"},
		{"tiktok insights", "tiktok.insights:" + adv, "2026-06-18",
			func() string { return show(db.InsightsPulled(ctx, ads.TikTok, adv)) }, "2026-06-18 true <nil>",
			func() error { return db.SetInsightsPulled(ctx, ads.TikTok, adv, day) }, "2026-06-19"},
		{"spark item", "tiktok.spark_item:" + hex.EncodeToString(h[:12]), "7100000000000000001",
			func() string { v, err := db.SparkItem(ctx, code); return show(v, true, err) }, "7100000000000000001 true <nil>",
			func() error { return db.SetSparkItem(ctx, code, "7100000000000000002") }, "7100000000000000002"},
		{"media failing", "meta.media_failing:" + act, "2026-06-20T10:00:00Z",
			func() string {
				v, err := db.MediaFailingSince(ctx, act)
				return show(v.Format(time.RFC3339), true, err)
			}, "2026-06-20T10:00:00Z true <nil>",
			func() error { return db.SetMediaFailingSince(ctx, act, at) }, "2026-06-20T10:00:00Z"},
		{"not judged", "verdicts.not_judged:" + brand, "2026-06-20T09:00:00Z",
			func() string { v, err := db.NotJudgedSince(ctx, brand); return show(v.Format(time.RFC3339), true, err) }, "2026-06-20T09:00:00Z true <nil>",
			func() error { return db.SetNotJudgedSince(ctx, brand, time.Time{}) }, ""},
		{"digest queued", "digest.queued:" + brand, "2026-06-19",
			func() string { return show(db.DigestQueued(ctx, brand)) }, "2026-06-19 true <nil>",
			func() error { return db.SetDigestQueued(ctx, brand, day.AddDays(1)) }, "2026-06-20"},
		{"token", "token:meta", `{"platform":"meta"}`,
			func() string { v, err := db.TokenRecord(ctx, ads.Meta); return show(string(v), true, err) }, `{"platform":"meta"} true <nil>`,
			func() error { return db.SetTokenRecord(ctx, ads.Meta, []byte(`{"platform":"meta","x":1}`)) }, `{"platform":"meta","x":1}`},
	} {
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO sync_cursors (name, value) VALUES ($1, $2)`, tc.old, tc.value); err != nil {
			t.Fatal(err)
		}
		if got := tc.read(); got != tc.want {
			t.Errorf("%s: read %q under %q, want %q", tc.name, got, tc.old, tc.want)
		}
		if err := tc.write(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got string
		if err := db.SQL().GetContext(ctx, &got, `SELECT value FROM sync_cursors WHERE name = $1`, tc.old); err != nil || got != tc.written {
			t.Errorf("%s: %q holds %q (%v) after the write, want %q", tc.name, tc.old, got, err, tc.written)
		}
	}
	var n int
	if err := db.SQL().GetContext(ctx, &n, `SELECT count(*) FROM sync_cursors`); err != nil || n != 9 {
		t.Errorf("%d cursors (%v), want the 9 old names only", n, err)
	}
	// Unset cursors read as zero, not as errors.
	if v, ok, err := db.InsightsPulled(ctx, ads.Meta, "act_unknown"); ok || err != nil || v != (ads.Date{}) {
		t.Errorf("unset insights cursor: %v %v %v", v, ok, err)
	}
	if v, err := db.OrdersMark(ctx, "unknown.myshopify.com"); !v.IsZero() || err != nil {
		t.Errorf("unset orders mark: %v %v", v, err)
	}
}

// TestAdListMarks: the ads sync's marks are kept per platform and
// account, read as zero before they are set, and a write of the same
// marks writes no row.
func TestAdListMarks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	at := time.Date(2026, 6, 20, 10, 0, 0, 0, time.UTC)
	marks := map[string]store.AdListMarks{
		"meta/act_1":     {Ads: at, Campaigns: at.Add(-time.Hour), Full: at.Add(time.Minute)},
		"meta/act_2":     {Ads: at.Add(time.Second), Full: at.Add(2 * time.Minute)},
		"tiktok/act_1":   {Campaigns: at.Add(time.Hour), Full: at.Add(3 * time.Minute)},
		"tiktok/7100001": {},
	}
	key := func(k string) (ads.Platform, string) { p, a, _ := strings.Cut(k, "/"); return ads.Platform(p), a }
	for k, m := range marks {
		p, a := key(k)
		if err := db.SetAdListMarks(ctx, p, a, m); err != nil {
			t.Fatal(err)
		}
	}
	for k, want := range marks {
		p, a := key(k)
		got, err := db.AdListMarks(ctx, p, a)
		if err != nil || !got.Ads.Equal(want.Ads) || !got.Campaigns.Equal(want.Campaigns) || !got.Full.Equal(want.Full) {
			t.Errorf("%s: %+v %v, want %+v", k, got, err, want)
		}
	}
	if got, err := db.AdListMarks(ctx, ads.Meta, "act_unknown"); err != nil || got != (store.AdListMarks{}) {
		t.Errorf("unset marks: %+v %v", got, err)
	}
	var xid int64
	if err := db.SQL().GetContext(ctx, &xid, `SELECT txid_current() & 4294967295`); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAdListMarks(ctx, ads.Meta, "act_1", marks["meta/act_1"]); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.SQL().GetContext(ctx, &n, `SELECT count(*) FROM sync_cursors WHERE xmin::text::bigint >= $1`, xid); err != nil || n != 0 {
		t.Errorf("the same marks rewrote %d cursors (%v)", n, err)
	}
}
