package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/store"
)

// TestReportTiesToPlatformsAndShop (issue 18, 0c): with an untagged ad
// and orders nobody claims, the report's spend is every stat of the
// brand's own accounts and its store revenue and orders are the shop's
// (besides link conversions of no order), in every dimension, after a
// first reconcile and after an incremental one that restates the untagged
// ad and adds an unclaimed order. Another brand's account and shop stay
// out.
func TestReportTiesToPlatformsAndShop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	b := recBrand(t)
	now := recTime("2026-06-11T12:00:00Z")
	seedReconcile(t, db) // has an untagged Meta ad, "other", 999 USD on 06-02
	otherShop := recOrder("7001", "2026-06-04T15:00:00Z", "500", "", "")
	otherShop.Shop, otherShop.ID = "lunaskin.myshopify.com", "gid://shopify/Order/L7001"
	noErr(t)(db.UpsertOrders(ctx, []ads.Order{recOrder("1005", "2026-06-04T15:00:00Z", "33.33", "", ""), otherShop}))
	noErr(t)(db.UpsertDayStats(ctx, []ads.DayStat{
		{Platform: ads.Meta, Account: "luna-acct", AdID: "luna-ad", Day: ads.MustDate("2026-06-03"), Currency: "EUR",
			Spend: ads.MustMicros("777"), Impressions: 10}, // another brand's account
	}))
	from, to := ads.MustDate("2026-06-01"), ads.MustDate("2026-06-10")
	loc := b.Location
	accounts := []store.AccountRef{{Platform: ads.Meta, Account: "acct"}, {Platform: ads.TikTok, Account: "acct"}}
	conv := reconcile.NewConverter(b.Currency, b.FXRates)

	check := func(stage string, wantUnattributedOrders int64) {
		t.Helper()
		stats := value[[]ads.DayStat](t)(db.AccountDayStats(ctx, accounts, ads.DateRange{From: from, To: to}))
		var spend int64
		for _, s := range stats {
			spend += value[int64](t)(conv.Convert(s.Spend, s.Currency, s.Day))
		}
		orders := value[[]ads.Order](t)(db.ReconcileOrders(ctx, []string{recShop}, from.In(loc), to.AddDays(1).In(loc), nil))
		var revenue, count int64
		for _, o := range orders {
			r := value[int64](t)(conv.Convert(o.Net, o.Currency, ads.DateOf(o.CreatedAt, loc)))
			revenue += r
			if r > 0 {
				count++
			}
		}
		// Link conversions of no order are revenue of their creator, not
		// the shop's.
		for _, l := range value[[]ads.LedgerLine](t)(db.Ledger(ctx, "glowco", from, to)) {
			if l.Source == reconcile.SourceLink && l.Channel == reconcile.ChannelOrganic {
				revenue, count = revenue+l.Revenue, count+1
			}
		}
		daily := value[[]ads.KPICell](t)(db.KPICells(ctx, "glowco", from, to))
		var first ads.KPI
		for i, by := range reconcile.Dimensions {
			rep, err := reconcile.Summarize("glowco", "USD", from, to, by, daily)
			if err != nil {
				t.Fatal(err)
			}
			tot := rep.Total.KPI
			if i == 0 {
				first = tot
			} else if tot != first {
				t.Errorf("%s: total by %s %+v differs from by %s %+v", stage, by, tot, reconcile.Dimensions[0], first)
			}
			if tot.Spend != spend {
				t.Errorf("%s: by %s spend %s, want the accounts' %s", stage, by, ads.FormatMicros(tot.Spend, 2), ads.FormatMicros(spend, 2))
			}
			if tot.Revenue() != revenue || tot.Orders() != count {
				t.Errorf("%s: by %s revenue %s in %d orders, want the shop's (and link conversions') %s in %d", stage, by,
					ads.FormatMicros(tot.Revenue(), 2), tot.Orders(), ads.FormatMicros(revenue, 2), count)
			}
			if by == reconcile.ByDay {
				continue // days have no unattributed row: they hold it
			}
			var un *reconcile.ReportRow
			for j := range rep.Rows {
				if rep.Rows[j].Key[0] == reconcile.Unattributed {
					un = &rep.Rows[j]
				}
			}
			if un == nil {
				t.Errorf("%s: by %s no unattributed row in %+v", stage, by, rep.Rows)
				continue
			}
			if un.OrganicOrders != wantUnattributedOrders || un.Creators != 0 {
				t.Errorf("%s: by %s unattributed row %+v: want %d orders, no creator", stage, by, un, wantUnattributedOrders)
			}
			if by == reconcile.ByPlatform {
				for _, r := range rep.Rows {
					if r.Key[0] == string(ads.Meta) && r.Spend < ads.MustMicros("999") {
						t.Errorf("%s: meta row spend %s leaves out the untagged ad", stage, ads.FormatMicros(r.Spend, 2))
					}
				}
			}
		}
	}

	if _, err := ReconcileBrand(ctx, db, b, now, false); err != nil {
		t.Fatal(err)
	}
	check("first reconcile", 1)

	ageSources(t, db)
	// The untagged ad's new day has nothing else that changed.
	noErr(t)(db.UpsertDayStats(ctx, []ads.DayStat{recStat(ads.Meta, "other", "2026-06-06", "USD", "12.34")}))
	noErr(t)(db.UpsertOrders(ctx, []ads.Order{recOrder("1006", "2026-06-07T15:00:00Z", "10", "", "")}))
	if _, err := ReconcileBrand(ctx, db, b, now.Add(time.Hour), false); err != nil {
		t.Fatal(err)
	}
	check("incremental reconcile", 2)
}
