package jobs

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/report"
	"github.com/roasd/roasd/scheduler"
)

// TestCloseMonthKeepsClosedFigures (issue 18 item 4's done-criterion): two
// brands (glowco USD New York, lunaskin EUR Berlin, sharing a creator) run
// the pipeline on the Meta fake and real Postgres; glowco closes June. A
// month not over is refused, closing twice is the same snapshot. Then Meta
// restates a June day (the fake's SetInsight), an order is refunded late
// and a late June order arrives; the pipeline runs again. glowco's June
// report still shows the closed figures, and the changes show as
// post-close adjustments per creator and cause; the live cells did
// change; lunaskin's report has no close.
func TestCloseMonthKeepsClosedFigures(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	glowco, lunaskin := actBrands(t)
	glowco.Accounts.TikTok, glowco.Tests = nil, glowco.Tests[:1]
	glowco.Accounts.Shopify = []*configs.ShopifyAccount{{Shop: recShop}}
	for _, b := range []*configs.Brand{glowco, lunaskin} {
		b.RestatementDays = reconcile.MetaRestatementDays // pulls re-read what Meta restates
		for _, tt := range b.Tests {
			tt.Actions = configs.ActionsAlert
		}
	}
	ad := func(id, utm string) metafake.Ad {
		return metafake.Ad{ID: id, Name: id, AdSetID: "s" + id, CampaignID: "k" + id, Status: "ACTIVE",
			Creative: metafake.Creative{ID: "c" + id, URLTags: "utm_content=" + utm}}
	}
	meta := metafake.New(metafake.Seed{Token: actToken, Accounts: []metafake.Account{
		{ID: actMeta, Currency: "USD", Timezone: "America/New_York", Ads: []metafake.Ad{ad("m1", "hook-a")},
			Insights: []metafake.Insight{{AdID: "m1", Day: "2026-06-10", SpendMicros: ads.MustMicros("100"), Impressions: 1000}}},
		{ID: actMetaEU, Currency: "EUR", Timezone: "Europe/Berlin", Ads: []metafake.Ad{ad("e1", "eu-a")},
			Insights: []metafake.Insight{{AdID: "e1", Day: "2026-06-12", SpendMicros: ads.MustMicros("50"), Impressions: 500}}},
	}})
	metaSrv := httptest.NewServer(meta)
	defer metaSrv.Close()
	d := &Deps{DB: db, Meta: metaads.New(metaads.Options{BaseURL: metaSrv.URL, AccessToken: actToken, RetryMax: -1})}
	d.Stages = []Stage{ReconcileStage(db)}
	set := &configs.Set{Brands: []*configs.Brand{glowco, lunaskin}}
	paid := recOrder("1", "2026-06-10T15:00:00Z", "300", "hook-a", "")
	noErr(t)(db.UpsertOrders(ctx, []ads.Order{paid, recOrder("2", "2026-06-11T15:00:00Z", "80", "", "")}))

	ny := glowco.Location
	now := time.Date(2026, 7, 2, 12, 0, 0, 0, ny)
	run := func(at time.Time) {
		t.Helper()
		runner := &scheduler.Runner{Rec: db, Replica: "r1", Attempts: 1, Now: func() time.Time { return at }}
		if failed := scheduler.RunOnce(ctx, Jobs(set, d, nil), runner.Execute); len(failed) != 0 {
			t.Fatalf("pipeline failed: %v", failed[0].Err)
		}
	}
	run(now)
	june, july := ads.MustDate("2026-06-01"), ads.MustDate("2026-07-01")
	reportOf := func(brand string) reconcile.Report {
		t.Helper()
		rep, err := report.Service{DB: db}.Report(ctx, report.Query{Brand: brand, From: june, To: ads.MustDate("2026-06-30"), By: reconcile.ByCreator})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	before := reportOf("glowco")
	if before.Total.Spend != ads.MustMicros("100") || before.Total.PaidRevenue != ads.MustMicros("300") || before.Total.OrganicRevenue != ads.MustMicros("80") {
		t.Fatalf("before the close: total %+v", before.Total.KPI)
	}

	// Refusals: a month not over; a brand nobody reconciled.
	var re *report.Error
	if _, err := report.CloseMonth(ctx, db, "glowco", july, now, "test"); !errors.As(err, &re) || re.Status != http.StatusConflict ||
		!strings.Contains(re.Msg, "2026-07 is not over in glowco's zone (America/New_York): it ends 2026-07-31") {
		t.Errorf("closing July on July 2nd: %v", err)
	}
	if _, err := report.CloseMonth(ctx, db, "nobody", june, now, "test"); !errors.As(err, &re) || re.Status != http.StatusNotFound {
		t.Errorf("closing an unknown brand: %v", err)
	}
	first, err := report.CloseMonth(ctx, db, "glowco", june, now, "test")
	if err != nil || !first.Created {
		t.Fatalf("closing June: %+v, %v", first, err)
	}
	again, err := report.CloseMonth(ctx, db, "glowco", june, now.Add(time.Hour), "test")
	if err != nil || again.Created || !again.ClosedAt.Equal(first.ClosedAt) || !strings.Contains(again.Text(), "already closed") {
		t.Errorf("closing June again: %+v (%q), %v; want the same snapshot", again, again.Text(), err)
	}

	// After the close: Meta restates 06-10 (100 → 130), order 1 is
	// refunded 100 late, and a late June order of 40 arrives.
	meta.SetInsight(actMeta, metafake.Insight{AdID: "m1", Day: "2026-06-10", SpendMicros: ads.MustMicros("130"), Impressions: 1300})
	refunded := paid
	refunded.Refunded, refunded.RefundIDs, refunded.UpdatedAt = ads.MustMicros("100"), []string{"gid://shopify/Refund/1"}, recTime("2026-07-02T20:00:00Z")
	late := recOrder("3", "2026-06-20T15:00:00Z", "40", "hook-a", "")
	late.UpdatedAt = recTime("2026-07-02T21:00:00Z")
	noErr(t)(db.UpsertOrders(ctx, []ads.Order{refunded, late}))
	run(now.Add(24 * time.Hour))

	after := reportOf("glowco")
	if after.Total.KPI != before.Total.KPI {
		t.Errorf("closed total changed:\n got %+v\nwant %+v", after.Total.KPI, before.Total.KPI)
	}
	for i := range before.Rows {
		if i >= len(after.Rows) || after.Rows[i].KPI != before.Rows[i].KPI {
			t.Errorf("closed row %v changed", before.Rows[i].Key)
		}
	}
	if len(after.Closed) != 1 || after.Closed[0].Label() != "2026-06" || after.Total.Provisional {
		t.Errorf("closed months %+v, total provisional %v; want June, final", after.Closed, after.Total.Provisional)
	}
	type line struct {
		creator, cause string
		records        int64
		m              ads.KPI
	}
	var got []line
	for _, a := range after.Adjustments {
		if a.Cause == reconcile.CauseFees { // commission: glowco's creator has none
			continue
		}
		got = append(got, line{a.Creator, a.Cause, a.Records, a.KPI})
	}
	m := ads.MustMicros
	want := []line{
		{"jacqueline", reconcile.CauseRestatedSpend, 0, ads.KPI{Spend: m("30"), Impressions: 300}},
		{"jacqueline", reconcile.CauseLateOrder, 1, ads.KPI{PaidRevenue: m("40"), PaidOrders: 1}},
		{"jacqueline", reconcile.CauseLateRefund, 1, ads.KPI{PaidRevenue: m("-100")}},
	}
	if len(got) != len(want) {
		t.Fatalf("adjustments %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("adjustment %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// The live figures did change: the snapshot, not the ledger, is shown.
	var spend, revenue int64
	for _, k := range value[[]ads.KPICell](t)(db.KPICells(ctx, "glowco", june, ads.MustDate("2026-06-30"))) {
		spend, revenue = spend+k.Spend, revenue+k.PaidRevenue
	}
	if spend != m("130") || revenue != m("240") {
		t.Errorf("live June: spend %d revenue %d, want 130 and 240 (300 − 100 + 40)", spend, revenue)
	}
	if luna := reportOf("lunaskin"); len(luna.Closed) != 0 || len(luna.Adjustments) != 0 || luna.Total.Spend != m("50") {
		t.Errorf("lunaskin's June: closed %v adjustments %v spend %d; its month is open", luna.Closed, luna.Adjustments, luna.Total.Spend)
	}
}
