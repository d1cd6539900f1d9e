package jobs

import (
	"context"
	"errors"
	"fmt"
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

const lunaShop = "lunaskin.myshopify.com"

// lunaBrand is the second brand of the chunked-reconcile tests: JPY,
// Tokyo, its own shop and Meta account, sharing the creator jacqueline
// with recBrand's glowco.
func lunaBrand(t *testing.T) *configs.Brand {
	t.Helper()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	return &configs.Brand{
		Name: "lunaskin", Currency: "JPY", Timezone: "Asia/Tokyo", Location: tokyo,
		RestatementDays: configs.DefaultRestatementDays, RefundHorizonDays: configs.DefaultRefundHorizonDays,
		Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: lunaShop}},
			Meta: []*configs.MetaAccount{{AdAccount: "luna-acct"}}},
		FXRates: []configs.FXRate{{From: "USD", To: "JPY", Rate: ads.MustRate("150"), Since: ads.MustDate("2026-05-01")}},
		Creators: []*configs.Creator{{Handle: "jacqueline", Codes: []string{"JACQLUNA"},
			Fee: configs.Fee{Flat: ads.MustMicros("30000"), Commission: ads.MustRate("0.05")}}},
		Tests: []*configs.Test{{ID: "luna", Creator: "jacqueline", Start: ads.MustDate("2026-06-01"), Checkpoints: []int{14, 30},
			Variants: []*configs.Variant{{Key: "luna-a", Platform: ads.Meta, UTM: ads.UTM{Content: "luna-a"}}}}},
	}
}

func lunaOrder(n, created, net, content, code, currency string) ads.Order {
	o := recOrder(n, created, net, content, code)
	o.Shop, o.ID, o.Currency = lunaShop, "gid://shopify/Order/8"+n, currency
	return o
}

func lunaLink(id, at, order, amount string) ads.LinkConversion {
	l := recLink(id, at, order, amount)
	l.Currency, l.Brand = "JPY", "lunaskin"
	return l
}

// brandRows are a brand's reconciled tables.
type brandRows struct {
	ledger []ads.LedgerLine
	daily  []ads.KPICell
	sales  []ads.SalesDay
}

func rowsOf(t *testing.T, db *store.DB, brand string) brandRows {
	t.Helper()
	ctx := context.Background()
	from, to := ads.MustDate("2000-01-01"), ads.MustDate("2100-01-01")
	return brandRows{value[[]ads.LedgerLine](t)(db.Ledger(ctx, brand, from, to)),
		value[[]ads.KPICell](t)(db.KPICells(ctx, brand, from, to)), value[[]ads.SalesDay](t)(db.SalesDays(ctx, brand, from, to))}
}

// chunkScenario seeds glowco (USD, New York) and lunaskin (JPY, Tokyo),
// which share the creator jacqueline, reconciles both, then changes their
// sources so that the next incremental reconcile, at the time returned (a
// day later, so a fee day comes due too), covers several runs of days:
// refunds, restated spend, new orders, link conversions naming orders on
// other affected days (a duplicate, and an unattributed order they give
// to their creator), and an order in another currency.
func chunkScenario(t *testing.T) (*store.DB, []*configs.Brand, time.Time) {
	t.Helper()
	ctx := context.Background()
	db := openDB(t)
	glowco, luna := recBrand(t), lunaBrand(t)
	seedReconcile(t, db)
	noErr(t)(db.UpsertOrders(ctx, []ads.Order{
		lunaOrder("2001", "2026-06-02T03:00:00Z", "10000", "luna-a", "", "JPY"),
		lunaOrder("2002", "2026-06-03T03:00:00Z", "4000", "", "JACQLUNA", "JPY"),
		lunaOrder("2003", "2026-06-05T03:00:00Z", "3000", "", "", "JPY"),
		lunaOrder("2005", "2026-06-04T03:00:00Z", "20", "luna-a", "", "USD"),
	}))
	noErr(t)(db.UpsertLinkConversions(ctx, []ads.LinkConversion{
		lunaLink("LL1", "2026-06-04T05:00:00Z", "", "2000"),
		lunaLink("LL3", "2026-06-06T05:00:00Z", "#2006", "6000"), // its order arrives later
	}))
	lunaStat := func(ad, day, spend string) ads.DayStat {
		s := recStat(ads.Meta, ad, day, "JPY", spend)
		s.Account = "luna-acct"
		return s
	}
	noErr(t)(db.UpsertDayStats(ctx, []ads.DayStat{lunaStat("lm1", "2026-06-02", "5000"), lunaStat("luna-untagged", "2026-06-03", "700")}))
	if err := db.ReplaceVariantAds(ctx, "lunaskin", ads.Meta, "", []store.VariantAd{{TestID: "luna", VariantKey: "luna-a", Account: "luna-acct",
		AdID: "lm1", MatchedBy: "utm_content"}}); err != nil {
		t.Fatal(err)
	}
	first := recTime("2026-06-11T12:00:00Z")
	for _, b := range []*configs.Brand{glowco, luna} {
		if _, err := ReconcileBrand(ctx, db, b, first, false); err != nil {
			t.Fatalf("first reconcile of %s: %v", b.Name, err)
		}
	}

	ageSources(t, db)
	restate(t, db)
	refunded := lunaOrder("2001", "2026-06-02T03:00:00Z", "10000", "luna-a", "", "JPY")
	refunded.UpdatedAt, refunded.Refunded = recTime("2026-06-20T12:00:00Z"), ads.MustMicros("2500")
	noErr(t)(db.UpsertOrders(ctx, []ads.Order{
		refunded,
		lunaOrder("2004", "2026-06-09T03:00:00Z", "8000", "luna-a", "", "JPY"),
		lunaOrder("2006", "2026-06-08T03:00:00Z", "6000", "", "JACQLUNA", "JPY"),
	}))
	noErr(t)(db.UpsertLinkConversions(ctx, []ads.LinkConversion{
		lunaLink("LL2", "2026-06-03T05:00:00Z", "#2004", "8000"), // duplicates an order six days later
		lunaLink("LL5", "2026-06-10T05:00:00Z", "2003", "3000"),  // claims an unattributed order five days earlier
	}))
	noErr(t)(db.UpsertDayStats(ctx, []ads.DayStat{lunaStat("lm1", "2026-06-02", "5500")}))
	return db, []*configs.Brand{glowco, luna}, first.Add(25 * time.Hour)
}

// chunkWatch records the chunks an incremental reconcile builds and the
// orders buffer each gets and gives back.
type chunkWatch struct {
	mu               sync.Mutex
	chunks           []ads.DateRange
	in, out          [][]ads.Order
	placed           [][]time.Time // when out's orders were placed, as built
	inFlight, most   int
	returned, stopAt bool
	// fail, when not nil, is called before chunk i is built; it may
	// return a part to use instead, or an error.
	fail func(i int, chunk ads.DateRange) (*store.ReconcilePart, error)
}

func (w *chunkWatch) chunking(days int) chunking {
	return chunking{days: days, wrap: w.wrap, stopped: func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.stopAt = !w.returned
	}}
}

func (w *chunkWatch) wrap(build chunkBuilder) chunkBuilder {
	return func(ctx context.Context, chunk ads.DateRange, orders []ads.Order) (store.ReconcilePart, []ads.Order, error) {
		w.mu.Lock()
		i := len(w.chunks)
		w.chunks, w.in = append(w.chunks, chunk), append(w.in, orders)
		w.inFlight++
		w.most = max(w.most, w.inFlight)
		w.mu.Unlock()
		defer func() {
			w.mu.Lock()
			w.inFlight--
			w.mu.Unlock()
		}()
		var (
			p   store.ReconcilePart
			out = orders
			err error
		)
		var instead *store.ReconcilePart
		if w.fail != nil {
			instead, err = w.fail(i, chunk)
		}
		switch {
		case err != nil:
		case instead != nil:
			p = *instead
		default:
			p, out, err = build(ctx, chunk, orders)
		}
		// The buffer is overwritten by the next chunk: note now when
		// its orders were placed.
		at := make([]time.Time, len(out))
		for j := range out {
			at[j] = out[j].CreatedAt
		}
		w.mu.Lock()
		w.out, w.placed = append(w.out, out), append(w.placed, at)
		w.mu.Unlock()
		return p, out, err
	}
}

// days lists the days of the chunks.
func (w *chunkWatch) days() []ads.Date {
	var out []ads.Date
	for _, c := range w.chunks {
		for d := c.From; !c.To.Before(d); d = d.AddDays(1) {
			out = append(out, d)
		}
	}
	return out
}

// TestIncrementalChunksEqualRebuild reconciles the changes of
// chunkScenario incrementally in chunks of several sizes — every size
// splits the affected days into several chunks — and checks each gives
// exactly the ledger, KPI cells and store sales of a full rebuild, for both
// brands, and that the chunks are runs of at most that many affected days,
// in order, covering the affected days and the fee day that came due.
func TestIncrementalChunksEqualRebuild(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1, 2, 3, 1000} {
		t.Run(fmt.Sprintf("chunks of %d days", size), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, brands, at := chunkScenario(t)
			for _, b := range brands {
				before := rowsOf(t, db, b.Name)
				st := value[store.ReconcileState](t)(db.ReconcileState(ctx, b.Name))
				va := value[[]store.VariantAd](t)(brandVariantAds(ctx, db, b))
				matches := make([]reconcile.VariantMatch, len(va))
				for i, v := range va {
					matches[i] = reconcile.VariantMatch{Ad: ads.Ad{Platform: v.Platform, Account: v.Account, ID: v.AdID}}
				}
				affected := value[[]ads.Date](t)(db.AffectedDays(ctx, store.AffectedQuery{Brand: b.Name, Shops: b.Shops(),
					Timezone: b.Timezone, Since: st.Watermark, Accounts: brandAccounts(b, matches)}))
				affected = withAccruedDays(affected, b, ads.DateOf(st.ReconciledAt, b.Location), ads.DateOf(at, b.Location))

				var w chunkWatch
				if _, err := reconcileBrand(ctx, db, b, at, false, w.chunking(size)); err != nil {
					t.Fatalf("%s: %v", b.Name, err)
				}
				if got := value[store.ReconcileState](t)(db.ReconcileState(ctx, b.Name)); got.Fingerprint != st.Fingerprint {
					t.Fatalf("%s: the reconcile was not incremental", b.Name)
				}
				if len(w.chunks) < 2 {
					t.Errorf("%s: %d chunk(s); the affected days %v must span several", b.Name, len(w.chunks), affected)
				}
				for i, c := range w.chunks {
					if n := c.To.Sub(c.From) + 1; n < 1 || n > size {
						t.Errorf("%s: chunk %v has %d days, want 1 to %d", b.Name, c, n, size)
					}
					if i > 0 && !w.chunks[i-1].To.Before(c.From) {
						t.Errorf("%s: chunk %v does not follow %v", b.Name, c, w.chunks[i-1])
					}
				}
				if got := w.days(); !reflect.DeepEqual(got, affected) {
					t.Errorf("%s: chunks cover %v, want the affected days %v", b.Name, got, affected)
				}
				incremental := rowsOf(t, db, b.Name)
				if reflect.DeepEqual(incremental, before) {
					t.Errorf("%s: the incremental reconcile changed nothing; the test proves nothing", b.Name)
				}

				if _, err := ReconcileBrand(ctx, db, b, at, true); err != nil {
					t.Fatalf("%s: %v", b.Name, err)
				}
				if full := rowsOf(t, db, b.Name); !reflect.DeepEqual(incremental, full) {
					t.Errorf("%s: incremental in chunks of %d days and full rebuild differ:\nincremental %+v\nfull        %+v",
						b.Name, size, incremental, full)
				}
			}
			// The shared creator's link conversions and the orders stay
			// with their own brand; the rules across chunks are those of
			// one pass.
			rules := map[string]string{}
			for _, b := range brands {
				for _, l := range rowsOf(t, db, b.Name).ledger {
					rules[b.Name+" "+l.SourceID] = l.Rule
				}
			}
			for k, want := range map[string]string{
				"glowco impact:L2": reconcile.AttrLinkDup, "glowco impact:L3": reconcile.AttrLinkDup,
				"lunaskin impact:LL2": reconcile.AttrLinkDup, "lunaskin impact:LL3": reconcile.AttrLinkDup,
				"lunaskin impact:LL5": reconcile.AttrLinkDup, "lunaskin impact:LL1": reconcile.AttrLinkConversion,
				"lunaskin gid://shopify/Order/82003": reconcile.AttrLinkOrder,
			} {
				if rules[k] != want {
					t.Errorf("%s: rule %q, want %q", k, rules[k], want)
				}
			}
			for k := range rules {
				if strings.HasPrefix(k, "glowco impact:LL") || strings.HasPrefix(k, "glowco gid://shopify/Order/8") ||
					strings.HasPrefix(k, "lunaskin impact:L") && !strings.HasPrefix(k, "lunaskin impact:LL") {
					t.Errorf("%s is in the other brand's ledger", k)
				}
			}
		})
	}
}

// TestIncrementalChunksOneAtATime checks that an incremental reconcile
// builds its chunks one at a time, in order, each into the orders buffer
// the previous chunk gave back, holding only its own days' orders.
func TestIncrementalChunksOneAtATime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, brands, at := chunkScenario(t)
	for _, b := range brands {
		var w chunkWatch
		if _, err := reconcileBrand(ctx, db, b, at, false, w.chunking(1)); err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		if w.most != 1 {
			t.Errorf("%s: %d chunks were built at once, want 1", b.Name, w.most)
		}
		if !w.stopAt {
			t.Errorf("%s: the reconcile returned while its chunk builder was still running", b.Name)
		}
		reused, held := 0, 0
		for i, c := range w.chunks {
			in, out := w.in[i], w.out[i]
			if i == 0 && in != nil {
				t.Errorf("%s: the first chunk got a buffer of %d orders", b.Name, cap(in))
			}
			if i > 0 && !sameBuffer(in, w.out[i-1]) {
				t.Errorf("%s: chunk %v got another buffer than the one chunk %v gave back", b.Name, c, w.chunks[i-1])
			}
			if cap(in) > 0 && sameBuffer(in, out) {
				reused++
			}
			for _, at := range w.placed[i] {
				if d := ads.DateOf(at, b.Location); d.Before(c.From) || c.To.Before(d) {
					t.Errorf("%s: chunk %v held an order of %s", b.Name, c, d)
				}
			}
			held += len(w.placed[i])
		}
		if reused == 0 || held < 3 {
			t.Errorf("%s: %d chunks read their orders into the previous chunk's buffer, %d orders in all; want some of each",
				b.Name, reused, held)
		}
	}
}

// sameBuffer reports whether a and b share their storage (both empty
// without storage counts as the same).
func sameBuffer(a, b []ads.Order) bool {
	if cap(a) != cap(b) {
		return false
	}
	return cap(a) == 0 || &a[:1][0] == &b[:1][0]
}

// TestIncrementalFailingLaterChunkKeepsLedger stops incremental reconciles
// in a later chunk — one that fails to attribute, a write the database
// refuses after earlier chunks were written, the caller's context ending —
// and checks each leaves both brands' ledger, KPI cells, store sales and
// reconcile state exactly as they were, with the chunk builder stopped.
func TestIncrementalFailingLaterChunkKeepsLedger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, brands, at := chunkScenario(t)
	type brandState struct {
		rows  brandRows
		state store.ReconcileState
	}
	before := map[string]brandState{}
	for _, b := range brands {
		before[b.Name] = brandState{rowsOf(t, db, b.Name), value[store.ReconcileState](t)(db.ReconcileState(ctx, b.Name))}
	}
	const late = 3 // the chunk that fails; chunks 0 to 2 come first
	boom := errors.New("boom")
	tests := []struct {
		name    string
		fail    func(i int, chunk ads.DateRange, cancel context.CancelFunc) (*store.ReconcilePart, error)
		wantErr func(error) bool
	}{
		{"a later chunk fails", func(i int, _ ads.DateRange, _ context.CancelFunc) (*store.ReconcilePart, error) {
			if i == late {
				return nil, boom
			}
			return nil, nil
		}, func(err error) bool { return errors.Is(err, boom) }},
		{"a later chunk's write is refused", func(i int, chunk ads.DateRange, _ context.CancelFunc) (*store.ReconcilePart, error) {
			if i == late {
				// Not UTF-8: PostgreSQL refuses the row.
				return &store.ReconcilePart{Days: []ads.Date{chunk.From}, Ledger: []ads.LedgerLine{{Source: "order",
					SourceID: "gid://shopify/Order/\xff", Day: chunk.From, Channel: "unattributed", Rule: "none",
					Policy: "utm-first", Currency: "USD", OrigCurrency: "USD"}}}, nil
			}
			return nil, nil
		}, func(err error) bool { return err != nil && strings.Contains(err.Error(), "invalid byte sequence") }},
		{"the context ends", func(i int, _ ads.DateRange, cancel context.CancelFunc) (*store.ReconcilePart, error) {
			if i == late {
				cancel()
			}
			return nil, nil
		}, func(err error) bool { return errors.Is(err, context.Canceled) }},
	}
	for _, tc := range tests {
		for _, b := range brands {
			t.Run(tc.name+" "+b.Name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				w := chunkWatch{fail: func(i int, chunk ads.DateRange) (*store.ReconcilePart, error) { return tc.fail(i, chunk, cancel) }}
				_, err := reconcileBrand(ctx, db, b, at, false, w.chunking(1))
				w.mu.Lock()
				w.returned = true
				w.mu.Unlock()
				if err == nil || !tc.wantErr(err) {
					t.Fatalf("err %v", err)
				}
				if len(w.chunks) <= late {
					t.Errorf("built %d chunks; the failure came before chunk %d", len(w.chunks), late)
				}
				if !w.stopAt {
					t.Error("the reconcile returned while its chunk builder was still running")
				}
				for _, o := range brands {
					if got := rowsOf(t, db, o.Name); !reflect.DeepEqual(got, before[o.Name].rows) {
						t.Errorf("%s's tables changed:\nafter  %+v\nbefore %+v", o.Name, got, before[o.Name].rows)
					}
					if got := value[store.ReconcileState](t)(db.ReconcileState(context.Background(), o.Name)); got != before[o.Name].state {
						t.Errorf("%s's state %+v, want %+v", o.Name, got, before[o.Name].state)
					}
				}
			})
		}
	}

	// And the same reconciles, uninterrupted, do change them.
	for _, b := range brands {
		if _, err := reconcileBrand(ctx, db, b, at, false, chunking{days: 1}); err != nil {
			t.Fatal(err)
		}
		if reflect.DeepEqual(rowsOf(t, db, b.Name), before[b.Name].rows) {
			t.Errorf("%s: the uninterrupted reconcile changed nothing; the test proves nothing", b.Name)
		}
	}
}
