package jobs

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/store"
)

const recShop = "glowco.myshopify.com"

func recBrand(t *testing.T) *configs.Brand {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return &configs.Brand{
		Name: "glowco", Currency: "USD", Timezone: "America/New_York", Location: loc,
		Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: recShop}}},
		FXRates:  []configs.FXRate{{From: "EUR", To: "USD", Rate: ads.MustRate("1.10"), Since: ads.MustDate("2026-06-01")}},
		Creators: []*configs.Creator{{Handle: "jacqueline", Codes: []string{"JACQ15"},
			Fee: configs.Fee{Flat: ads.MustMicros("300"), Commission: ads.MustRate("0.10")}}},
		Tests: []*configs.Test{{ID: "summer", Creator: "jacqueline", Start: ads.MustDate("2026-06-01"), Checkpoints: []int{14, 30},
			Variants: []*configs.Variant{
				{Key: "hook-a", Platform: ads.Meta, UTM: ads.UTM{Content: "hook-a"}},
				{Key: "hook-b", Platform: ads.TikTok, UTM: ads.UTM{Content: "hook-b"}},
			}}},
	}
}

func recTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func recOrder(n, created, net, content, code string) ads.Order {
	o := ads.Order{Shop: recShop, ID: "gid://shopify/Order/9" + n, Name: "#" + n, CreatedAt: recTime(created),
		UpdatedAt: recTime(created), Currency: "USD", Gross: ads.MustMicros(net), UTM: ads.UTM{Content: content}}
	if code != "" {
		o.DiscountCodes = []string{code}
	}
	return o
}

func recStat(platform ads.Platform, ad, day, cur, spend string) ads.DayStat {
	return ads.DayStat{Platform: platform, Account: "acct", AdID: ad, Day: ads.MustDate(day), Currency: cur,
		Spend: ads.MustMicros(spend), Impressions: 1000}
}

func recLink(id, at, order, amount string) ads.LinkConversion {
	return ads.LinkConversion{Source: "impact", ID: id, Creator: "jacqueline", OrderID: order, Amount: ads.MustMicros(amount),
		Currency: "USD", At: recTime(at), Brand: "glowco"}
}

// noErr fails the test when a call returning (value, error) failed.
func noErr(t *testing.T) func(any, error) {
	t.Helper()
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// value returns v, failing the test on err.
func value[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// seedReconcile stores the first state of the scenario.
func seedReconcile(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	noErr(t)(db.UpsertOrders(ctx, []ads.Order{
		recOrder("1001", "2026-06-02T15:00:00Z", "100", "hook-a", "JACQ15"),
		recOrder("1002", "2026-06-03T15:00:00Z", "40", "", "jacq15"),
	}))
	noErr(t)(db.UpsertLinkConversions(ctx, []ads.LinkConversion{
		recLink("L1", "2026-06-04T15:00:00Z", "", "30"),
		recLink("L3", "2026-06-05T15:00:00Z", "#1004", "50"), // its order arrives later
	}))
	noErr(t)(db.UpsertDayStats(ctx, []ads.DayStat{
		recStat(ads.Meta, "m1", "2026-06-02", "USD", "50"),
		recStat(ads.TikTok, "k1", "2026-06-02", "EUR", "100"),
		recStat(ads.Meta, "other", "2026-06-02", "USD", "999"), // no variant
	}))
	if err := db.ReplaceVariantAds(ctx, "glowco", ads.Meta, "", []store.VariantAd{{TestID: "summer", VariantKey: "hook-a", Account: "acct", AdID: "m1", MatchedBy: "utm_content"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceVariantAds(ctx, "glowco", ads.TikTok, "", []store.VariantAd{{TestID: "summer", VariantKey: "hook-b", Account: "acct", AdID: "k1", MatchedBy: "utm_content"}}); err != nil {
		t.Fatal(err)
	}
}

// ageSources moves every source row's changed_at an hour back, as if the
// data had been ingested long before the last reconcile.
func ageSources(t *testing.T, db *store.DB) {
	t.Helper()
	for _, table := range []string{"orders", "link_conversions", "ad_day_stats"} {
		if _, err := db.SQL().Exec(`UPDATE ` + table + ` SET changed_at = changed_at - interval '1 hour'`); err != nil {
			t.Fatal(err)
		}
	}
}

// restate applies the second batch: a spend restatement, a refund after
// the checkpoint, a new paid order, a link conversion duplicating it (on
// another day), and the order an earlier link conversion named.
func restate(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	refunded := recOrder("1001", "2026-06-02T15:00:00Z", "100", "hook-a", "JACQ15")
	refunded.UpdatedAt, refunded.Refunded = recTime("2026-06-20T12:00:00Z"), ads.MustMicros("25")
	noErr(t)(db.UpsertOrders(ctx, []ads.Order{
		refunded,
		recOrder("1003", "2026-06-09T15:00:00Z", "200", "hook-b", ""),
		recOrder("1004", "2026-06-08T15:00:00Z", "50", "", "JACQ15"),
	}))
	noErr(t)(db.UpsertLinkConversions(ctx, []ads.LinkConversion{recLink("L2", "2026-06-03T18:00:00Z", "#1003", "200")}))
	noErr(t)(db.UpsertDayStats(ctx, []ads.DayStat{recStat(ads.Meta, "m1", "2026-06-02", "USD", "65")}))
}

type snapshot struct {
	ledger []ads.LedgerLine
	daily  []ads.KPICell
}

func snap(t *testing.T, db *store.DB) snapshot {
	t.Helper()
	ctx := context.Background()
	from, to := ads.MustDate("2000-01-01"), ads.MustDate("2100-01-01")
	return snapshot{value[[]ads.LedgerLine](t)(db.Ledger(ctx, "glowco", from, to)), value[[]ads.KPICell](t)(db.KPICells(ctx, "glowco", from, to))}
}

type recTotals struct{ spend, paid, organic, flat, commission, fees string }

func totals(t *testing.T, db *store.DB) (recTotals, ads.KPI) {
	t.Helper()
	rows := value[[]ads.KPICell](t)(db.KPICells(context.Background(), "glowco", ads.MustDate("2026-06-01"), ads.MustDate("2026-06-10")))
	var m ads.KPI
	for _, k := range rows {
		m = m.Add(k.KPI)
	}
	f := func(v int64) string { return ads.FormatMicros(v, 2) }
	return recTotals{f(m.Spend), f(m.PaidRevenue), f(m.OrganicRevenue), f(m.FlatFees), f(m.Commission), f(m.Fees())}, m
}

func TestReconcileBrandIncrementalEqualsFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	b := recBrand(t)
	now := recTime("2026-06-11T12:00:00Z")
	seedReconcile(t, db)

	if _, err := ReconcileBrand(ctx, db, b, now, false); err != nil {
		t.Fatal(err)
	}
	got, m := totals(t, db)
	// spend 50 + 100 EUR×1.10 + the untagged ad's 999 (unattributed);
	// paid #1001; organic #1002 + L1 + L3; flat 300/30 days × 10;
	// commission 10% of 100, 40, 30, 50.
	want := recTotals{spend: "1159.00", paid: "100.00", organic: "120.00", flat: "100.00", commission: "22.00", fees: "122.00"}
	if got != want {
		t.Errorf("first reconcile: got %+v, want %+v", got, want)
	}
	if m.Redemptions != 2 {
		t.Errorf("redemptions %d, want 2", m.Redemptions)
	}
	st := value[store.ReconcileState](t)(db.ReconcileState(ctx, "glowco"))
	if st.Currency != "USD" || !st.ReconciledAt.Equal(now) || st.Fingerprint == "" {
		t.Errorf("state %+v", st)
	}

	ageSources(t, db)
	restate(t, db)
	days := value[[]ads.Date](t)(db.AffectedDays(ctx, store.AffectedQuery{Brand: "glowco", Shops: []string{recShop}, Timezone: "America/New_York", Since: st.Watermark}))
	wantDays := []ads.Date{ads.MustDate("2026-06-02"), ads.MustDate("2026-06-03"), ads.MustDate("2026-06-05"),
		ads.MustDate("2026-06-08"), ads.MustDate("2026-06-09")}
	if !reflect.DeepEqual(days, wantDays) {
		t.Fatalf("affected days %v, want %v", days, wantDays)
	}
	n, err := ReconcileBrand(ctx, db, b, now.Add(time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || n > 20 {
		t.Errorf("incremental reconcile wrote %d rows; want a handful (only the 5 affected days)", n)
	}
	got, m = totals(t, db)
	// spend 65 + 110 + 999 untagged; paid #1001 net 75 + #1003 200; organic #1002 40 + L1
	// 30 + #1004 50 (L3 and L2 are now duplicates); commission 10% of
	// 75, 200, 40, 30, 50.
	want = recTotals{spend: "1174.00", paid: "275.00", organic: "120.00", flat: "100.00", commission: "39.50", fees: "139.50"}
	if got != want {
		t.Errorf("after restatement: got %+v, want %+v", got, want)
	}
	if m.Redemptions != 3 {
		t.Errorf("redemptions %d, want 3", m.Redemptions)
	}
	incremental := snap(t, db)
	rules := map[string]string{}
	for _, l := range incremental.ledger {
		rules[l.SourceID] = l.Rule
	}
	if rules["impact:L2"] != reconcile.AttrLinkDup || rules["impact:L3"] != reconcile.AttrLinkDup || rules["impact:L1"] != reconcile.AttrLinkConversion {
		t.Errorf("link rules %v", rules)
	}

	if _, err := ReconcileBrand(ctx, db, b, now.Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
	full := snap(t, db)
	if !reflect.DeepEqual(incremental, full) {
		t.Errorf("incremental and full rebuild differ:\nincremental %+v\nfull        %+v", incremental, full)
	}
	feeDays := func(s snapshot) (n int) {
		for _, d := range s.daily {
			if d.FlatFees != 0 {
				n++
			}
		}
		return n
	}
	// Fees accrue to date: the test runs 06-01 … 06-30, today is 06-11.
	if len(full.ledger) != 7 || feeDays(full) != 11 {
		t.Errorf("full rebuild has %d ledger rows and %d fee days; want 7 and 11 (06-01 … today 06-11)", len(full.ledger), feeDays(full))
	}

	// Nothing changed: the next run reconciles no day.
	ageSources(t, db)
	if _, err := db.SQL().Exec(`UPDATE reconcile_state SET watermark = now() - interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	if n, err := ReconcileBrand(ctx, db, b, now.Add(2*time.Hour), false); err != nil || n != 0 {
		t.Errorf("idle reconcile wrote %d rows, err %v; want 0, nil", n, err)
	}
	if after := snap(t, db); !reflect.DeepEqual(after, full) {
		t.Errorf("idle reconcile changed the tables")
	}

	// Ten days later, with no source change, the fee days that came due
	// are booked, as a rebuild would book them; set back, they go again.
	for _, at := range []time.Time{now.Add(10 * 24 * time.Hour), now.Add(2 * time.Hour)} {
		if _, err := ReconcileBrand(ctx, db, b, at, false); err != nil {
			t.Fatal(err)
		}
		incremental := snap(t, db)
		if _, err := ReconcileBrand(ctx, db, b, at, true); err != nil {
			t.Fatal(err)
		}
		if full := snap(t, db); !reflect.DeepEqual(incremental, full) {
			t.Errorf("at %s: incremental and full rebuild differ:\nincremental %+v\nfull        %+v", at, incremental, full)
		}
		if want := 1 + ads.DateOf(at, b.Location).Sub(ads.MustDate("2026-06-01")); feeDays(incremental) != want {
			t.Errorf("at %s: %d fee days, want %d", at, feeDays(incremental), want)
		}
	}
}

func TestReconcileBrandConfigChangeRebuilds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	b := recBrand(t)
	seedReconcile(t, db)
	if _, err := ReconcileBrand(ctx, db, b, recTime("2026-06-11T12:00:00Z"), false); err != nil {
		t.Fatal(err)
	}
	ageSources(t, db)
	// The commission changes in the YAML: no source row changed, yet every
	// day must be recomputed.
	b.Creators[0].Fee.Commission = ads.MustRate("0.20")
	if _, err := ReconcileBrand(ctx, db, b, recTime("2026-06-11T13:00:00Z"), false); err != nil {
		t.Fatal(err)
	}
	got, _ := totals(t, db)
	if got.commission != "44.00" {
		t.Errorf("commission after config change %s, want 44.00", got.commission)
	}
}

func TestReconcileBrandMissingRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	b := recBrand(t)
	seedReconcile(t, db)
	noErr(t)(db.UpsertDayStats(ctx, []ads.DayStat{recStat(ads.TikTok, "k1", "2026-06-03", "GBP", "10")}))
	_, err := ReconcileBrand(ctx, db, b, recTime("2026-06-11T12:00:00Z"), false)
	if err == nil || !errors.Is(err, reconcile.ErrNoRate) || !strings.Contains(err.Error(), "no GBP→USD rate configured for 2026-06-03") {
		t.Fatalf("got %v, want the missing GBP→USD rate named", err)
	}
	if _, err := db.ReconcileState(ctx, "glowco"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a failed reconcile stored state: %v", err)
	}
}

// TestRebuildBrandChunksEqualOnePass rebuilds the scenario (with a link
// conversion duplicating an order six days later) in chunks of several
// sizes and checks each gives exactly the rows of one reconcile.Build over
// every record, as the rebuild did before it was split by day.
func TestRebuildBrandChunksEqualOnePass(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	b := recBrand(t)
	seedReconcile(t, db)
	restate(t, db)
	// A bonus far from every record widens the span to rebuild.
	b.Creators[0].Fee.Bonuses = []configs.Bonus{{Date: ads.MustDate("2026-07-20"), Amount: ads.MustMicros("75")}}

	va := value[[]store.VariantAd](t)(db.VariantAds(ctx, "glowco"))
	matches := make([]reconcile.VariantMatch, len(va))
	for i, v := range va {
		matches[i] = reconcile.VariantMatch{TestID: v.TestID, VariantKey: v.VariantKey, MatchedBy: v.MatchedBy,
			Ad: ads.Ad{Platform: v.Platform, Account: v.Account, ID: v.AdID}}
	}
	in := reconcile.Input{Brand: b, Ads: matches,
		Orders: value[[]ads.Order](t)(db.Orders(ctx, recShop, time.Time{}, time.Time{})),
		Links:  value[[]ads.LinkConversion](t)(db.LinkConversions(ctx, b.Name, time.Time{}, time.Time{})),
		Stats:  value[[]ads.DayStat](t)(db.DayStats(ctx, "", fullRange))}
	res, err := reconcile.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var want snapshot
	want.ledger, want.daily = res.Ledger, res.Daily
	if len(want.ledger) != 7 {
		t.Fatalf("one pass gave %d ledger rows, want 7", len(want.ledger))
	}

	state := store.ReconcileState{Brand: "glowco", Currency: "USD", Fingerprint: "x", Watermark: recTime("2026-06-11T12:00:00Z"),
		ReconciledAt: recTime("2026-06-11T12:00:00Z")}
	for _, chunk := range []int{1, 2, 7, 1000} {
		n, err := rebuildBrand(ctx, db, b, b.Location, []string{recShop}, matches, nil, ads.Date{}, state, chunk)
		if err != nil {
			t.Fatalf("chunks of %d days: %v", chunk, err)
		}
		if n != int64(len(want.ledger)+len(want.daily)) {
			t.Errorf("chunks of %d days wrote %d rows, want %d", chunk, n, len(want.ledger)+len(want.daily))
		}
		if got := snap(t, db); !reflect.DeepEqual(got, want) {
			t.Errorf("chunks of %d days differ from one pass:\ngot  %+v\nwant %+v", chunk, got, want)
		}
	}
}

// TestRebuildFailingHalfwayKeepsLedger stops full rebuilds part-way — a
// chunk that fails to attribute, the caller's context ending, a write the
// database refuses — and checks each leaves the previous ledger, KPI cells
// and state exactly as they were, with the chunk builder stopped.
func TestRebuildFailingHalfwayKeepsLedger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	b := recBrand(t)
	seedReconcile(t, db)
	restate(t, db)
	if _, err := ReconcileBrand(ctx, db, b, recTime("2026-06-11T12:00:00Z"), true); err != nil {
		t.Fatal(err)
	}
	before := snap(t, db)
	stateBefore := value[store.ReconcileState](t)(db.ReconcileState(ctx, "glowco"))

	// The rebuild to interrupt: another commission changes every day.
	b.Creators[0].Fee.Commission = ads.MustRate("0.25")
	va := value[[]store.VariantAd](t)(db.VariantAds(ctx, "glowco"))
	matches := make([]reconcile.VariantMatch, len(va))
	for i, v := range va {
		matches[i] = reconcile.VariantMatch{TestID: v.TestID, VariantKey: v.VariantKey, MatchedBy: v.MatchedBy,
			Ad: ads.Ad{Platform: v.Platform, Account: v.Account, ID: v.AdID}}
	}
	state := store.ReconcileState{Brand: "glowco", Currency: "USD", Fingerprint: "new", Watermark: recTime("2026-06-11T13:00:00Z"),
		ReconciledAt: recTime("2026-06-11T13:00:00Z")}
	var chunks []ads.DateRange
	for d := ads.MustDate("2026-06-01"); !ads.MustDate("2026-07-01").Before(d); d = d.AddDays(1) {
		chunks = append(chunks, ads.DateRange{From: d, To: d})
	}
	boom := errors.New("boom")
	tests := []struct {
		name string
		// at is called before chunk i is built; it may return a part to
		// use instead, or an error.
		at      func(i int, cancel context.CancelFunc) (*store.ReconcilePart, error)
		wantErr error
	}{
		{"a chunk fails", func(i int, _ context.CancelFunc) (*store.ReconcilePart, error) {
			if i == 10 {
				return nil, boom
			}
			return nil, nil
		}, boom},
		{"the context ends", func(i int, cancel context.CancelFunc) (*store.ReconcilePart, error) {
			if i == 10 {
				cancel()
			}
			return nil, nil
		}, context.Canceled},
		{"a write fails", func(i int, _ context.CancelFunc) (*store.ReconcilePart, error) {
			if i == 10 {
				// Not UTF-8: PostgreSQL refuses the row.
				return &store.ReconcilePart{Days: []ads.Date{chunks[i].From}, Ledger: []ads.LedgerLine{{Source: "order",
					SourceID: "gid://shopify/Order/\xff", Day: chunks[i].From, Channel: "unattributed", Rule: "none",
					Policy: "utm-first", Currency: "USD", OrigCurrency: "USD"}}}, nil
			}
			return nil, nil
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var mu sync.Mutex
			// late counts chunks built after rebuildChunks returned;
			// stopped is set when its building goroutine exits (the
			// only caller of build), which must come first.
			calls, returned, late, stopped := 0, false, 0, false
			build := func(ctx context.Context, chunk ads.DateRange, orders []ads.Order) (store.ReconcilePart, []ads.Order, error) {
				mu.Lock()
				i := calls
				calls++
				if returned {
					late++
				}
				mu.Unlock()
				p, err := tc.at(i, cancel)
				if err != nil {
					return store.ReconcilePart{}, orders, err
				}
				if p != nil {
					return *p, orders, nil
				}
				return buildChunk(ctx, db, b, b.Location, []string{recShop}, matches, nil, nil, ads.Date{}, nil, chunk, orders)
			}
			_, err := rebuildChunks(ctx, db, state, chunks, build, func() {
				mu.Lock()
				defer mu.Unlock()
				stopped = true
			})
			mu.Lock()
			returned = true
			stoppedFirst := stopped
			mu.Unlock()
			switch {
			case err == nil:
				t.Fatal("the interrupted rebuild succeeded")
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			case tc.wantErr == nil && !strings.Contains(err.Error(), "invalid byte sequence"):
				t.Fatalf("err %v, want the refused ledger write", err)
			}
			if calls < 11 {
				t.Errorf("built %d chunks; the failure came before the rebuild was under way", calls)
			}
			// The builder stopped before the rebuild returned, so no chunk
			// can be built after it.
			if !stoppedFirst {
				t.Error("rebuildChunks returned while its chunk builder was still running")
			}
			mu.Lock()
			if late != 0 {
				t.Errorf("%d chunks were built after the rebuild returned", late)
			}
			mu.Unlock()
			if after := snap(t, db); !reflect.DeepEqual(after, before) {
				t.Errorf("an interrupted rebuild changed the tables:\nafter  %+v\nbefore %+v", after, before)
			}
			if st := value[store.ReconcileState](t)(db.ReconcileState(context.Background(), "glowco")); st != stateBefore {
				t.Errorf("state %+v, want %+v", st, stateBefore)
			}
		})
	}

	// And the same rebuild, uninterrupted, does change them.
	if _, err := rebuildChunks(ctx, db, state, chunks, func(ctx context.Context, chunk ads.DateRange, orders []ads.Order) (store.ReconcilePart, []ads.Order, error) {
		return buildChunk(ctx, db, b, b.Location, []string{recShop}, matches, nil, nil, ads.Date{}, nil, chunk, orders)
	}, nil); err != nil {
		t.Fatal(err)
	}
	if after := snap(t, db); reflect.DeepEqual(after, before) {
		t.Error("the uninterrupted rebuild changed nothing; the test proves nothing")
	}
}

// TestReconcileLinkOrderIncremental: a link conversion that arrives days
// after the unattributed order it names gives that order to its creator
// (rule link_order) on the incremental path as on a rebuild.
func TestReconcileLinkOrderIncremental(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	b := recBrand(t)
	now := recTime("2026-06-11T12:00:00Z")
	noErr(t)(db.UpsertOrders(ctx, []ads.Order{recOrder("5001", "2026-06-02T15:00:00Z", "80", "", "")}))
	if _, err := ReconcileBrand(ctx, db, b, now, false); err != nil {
		t.Fatal(err)
	}
	st := value[store.ReconcileState](t)(db.ReconcileState(ctx, "glowco"))
	ageSources(t, db)
	noErr(t)(db.UpsertLinkConversions(ctx, []ads.LinkConversion{recLink("L5", "2026-06-07T15:00:00Z", "5001", "80")}))
	days := value[[]ads.Date](t)(db.AffectedDays(ctx, store.AffectedQuery{Brand: "glowco", Shops: []string{recShop}, Timezone: "America/New_York", Since: st.Watermark}))
	if want := []ads.Date{ads.MustDate("2026-06-02"), ads.MustDate("2026-06-07")}; !reflect.DeepEqual(days, want) {
		t.Fatalf("affected days %v, want %v (the conversion's and its order's)", days, want)
	}
	if _, err := ReconcileBrand(ctx, db, b, now, false); err != nil {
		t.Fatal(err)
	}
	incremental := snap(t, db)
	rules := map[string]string{}
	for _, l := range incremental.ledger {
		rules[l.SourceID] = l.Channel + "/" + l.Rule + "/" + l.Creator
	}
	want := map[string]string{"gid://shopify/Order/95001": "organic/link_order/jacqueline", "impact:L5": "duplicate/link_dup/jacqueline"}
	if !reflect.DeepEqual(rules, want) {
		t.Errorf("ledger %v, want %v", rules, want)
	}
	if _, err := ReconcileBrand(ctx, db, b, now, true); err != nil {
		t.Fatal(err)
	}
	if full := snap(t, db); !reflect.DeepEqual(incremental, full) {
		t.Errorf("incremental and full rebuild differ:\nincremental %+v\nfull        %+v", incremental, full)
	}
}
