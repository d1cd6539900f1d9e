package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Template is the migrated schema every store test starts from.
var template = storetest.Schema

func openDB(t *testing.T, tmpl *pgtest.Template) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), pgtest.DSN(t, tmpl))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateEmptyThenNoop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, nil)
	all, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	if len(applied) != len(all) || len(all) == 0 {
		t.Fatalf("first migrate applied %d of %d migrations", len(applied), len(all))
	}
	again, err := db.Migrate(ctx)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(again) != 0 {
		t.Fatalf("second migrate applied %d migrations, want 0", len(again))
	}
	var n int
	if err := db.SQL().GetContext(ctx, &n, `SELECT count(*) FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	if n != len(all) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(all))
	}
}

func TestUpsertsAreIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	day := ads.MustDate("2026-06-01")
	stats := []ads.DayStat{
		{Platform: ads.Meta, Account: "act_1", AdID: "1", Day: day, Currency: "USD", Spend: ads.MustMicros("12.34"), Impressions: 1000, Conversions: 2, ConversionValue: ads.MustMicros("80")},
		{Platform: ads.Meta, Account: "act_1", AdID: "1", Day: day.AddDays(1), Currency: "USD", Spend: ads.MustMicros("10")},
	}
	tests := []struct {
		name  string
		stats []ads.DayStat
		want  int64
	}{
		{"insert", stats, 2},
		{"rerun unchanged", stats, 0},
		{"restated day", []ads.DayStat{stats[0], func() ads.DayStat { s := stats[1]; s.Spend = ads.MustMicros("11"); return s }()}, 1},
	}
	for _, tc := range tests {
		got, err := db.UpsertDayStats(ctx, tc.stats)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s: changed %d rows, want %d", tc.name, got, tc.want)
		}
	}
	back, err := db.DayStats(ctx, ads.Meta, ads.DateRange{From: day, To: day.AddDays(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[1].Spend != ads.MustMicros("11") || back[0] != stats[0] {
		t.Fatalf("read back %+v", back)
	}

	exp := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	perms := []ads.Permission{{Platform: ads.TikTok, Account: "700", ID: "item1", Creator: "jacq", Status: ads.PermissionActive, ExpiresAt: exp}}
	for i, want := range []int64{1, 0} {
		n, err := db.UpsertPermissions(ctx, perms)
		if err != nil || n != want {
			t.Fatalf("permissions upsert %d: changed %d (%v), want %d", i, n, err, want)
		}
	}
	gotPerms, err := db.Permissions(ctx, ads.TikTok, "")
	if err != nil || len(gotPerms) != 1 || !gotPerms[0].ExpiresAt.Equal(exp) || !gotPerms[0].GrantedAt.IsZero() {
		t.Fatalf("permissions read back %+v (%v)", gotPerms, err)
	}

	adList := []ads.Ad{{Platform: ads.Meta, Account: "act_1", ID: "1", Kind: ads.Whitelisted, URLTags: "utm_content=hook-a", UTM: ads.AdUTM("utm_content=hook-a", "")}}
	for i, want := range []int64{1, 0} {
		n, err := db.UpsertAds(ctx, adList)
		if err != nil || n != want {
			t.Fatalf("ads upsert %d: changed %d (%v), want %d", i, n, err, want)
		}
	}
	gotAds, err := db.Ads(ctx, ads.Meta, "act_1")
	if err != nil || len(gotAds) != 1 || gotAds[0].UTM.Content != "hook-a" {
		t.Fatalf("ads read back %+v (%v)", gotAds, err)
	}
}
