package reconcile

import (
	"testing"

	"github.com/roasd/roasd/ads"
)

// TestPostCloseAdjustments: each change since a close is one line per
// creator and cause, and a creator's lines sum to the difference of its
// cells exactly.
func TestPostCloseAdjustments(t *testing.T) {
	t.Parallel()
	month, d := ads.MustDate("2026-11-01"), ads.MustDate("2026-11-10")
	m := ads.MustMicros
	order := func(id, creator, channel, rev string) ads.LedgerLine {
		return ads.LedgerLine{Source: SourceOrder, SourceID: id, Day: d, Creator: creator, Channel: channel, Revenue: m(rev), Counted: m(rev) > 0}
	}
	closedLedger := []ads.LedgerLine{
		order("1", "ava", ChannelPaid, "100"),     // refunded to 60
		order("2", "ava", ChannelOrganic, "50"),   // reattributed to ben
		order("3", "", ChannelUnattributed, "20"), // deleted (a test order)
		order("4", "ben", ChannelPaid, "10"),      // unchanged
	}
	liveLedger := []ads.LedgerLine{
		order("1", "ava", ChannelPaid, "60"),
		order("2", "ben", ChannelOrganic, "50"),
		order("4", "ben", ChannelPaid, "10"),
		order("5", "ben", ChannelPaid, "30"), // late
	}
	cell := func(creator string, ms ads.KPI) ads.KPICell {
		return ads.KPICell{Day: d, Creator: creator, Currency: "USD", KPI: ms}
	}
	closedCells := []ads.KPICell{
		cell("ava", ads.KPI{Spend: m("40"), PaidRevenue: m("100"), PaidOrders: 1, OrganicRevenue: m("50"), OrganicOrders: 1, Commission: m("15")}),
		cell("ben", ads.KPI{Spend: m("5"), PaidRevenue: m("10"), PaidOrders: 1}),
		cell(Unattributed, ads.KPI{OrganicRevenue: m("20"), OrganicOrders: 1}),
	}
	liveCells := []ads.KPICell{
		cell("ava", ads.KPI{Spend: m("44"), PaidRevenue: m("60"), PaidOrders: 1, Commission: m("6"), Redemptions: 1}),
		cell("ben", ads.KPI{Spend: m("5"), PaidRevenue: m("40"), PaidOrders: 2, OrganicRevenue: m("50"), OrganicOrders: 1}),
	}
	got := PostCloseAdjustments(month, closedCells, liveCells, closedLedger, liveLedger)
	want := []Adjustment{
		{Month: month, Creator: "ava", Cause: CauseRestatedSpend, KPI: ads.KPI{Spend: m("4")}},
		{Month: month, Creator: "ava", Cause: CauseLateRefund, Records: 1, KPI: ads.KPI{PaidRevenue: m("-40")}},
		{Month: month, Creator: "ava", Cause: CauseReattributed, Records: 1, KPI: ads.KPI{OrganicRevenue: m("-50"), OrganicOrders: -1}},
		{Month: month, Creator: "ava", Cause: CauseFees, KPI: ads.KPI{Commission: m("-9")}},
		{Month: month, Creator: "ava", Cause: CauseOther, KPI: ads.KPI{Redemptions: 1}},
		{Month: month, Creator: "ben", Cause: CauseLateOrder, Records: 1, KPI: ads.KPI{PaidRevenue: m("30"), PaidOrders: 1}},
		{Month: month, Creator: "ben", Cause: CauseReattributed, Records: 1, KPI: ads.KPI{OrganicRevenue: m("50"), OrganicOrders: 1}},
		{Month: month, Creator: Unattributed, Cause: CauseOrderChanged, Records: 1, KPI: ads.KPI{OrganicRevenue: m("-20"), OrganicOrders: -1}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// Lines sum to each creator's difference.
	sum := map[string]ads.KPI{}
	for _, a := range got {
		sum[a.Creator] = sum[a.Creator].Add(a.KPI)
	}
	diff := map[string]ads.KPI{}
	for _, c := range liveCells {
		diff[c.Creator] = diff[c.Creator].Add(c.KPI)
	}
	for _, c := range closedCells {
		diff[c.Creator] = diff[c.Creator].Sub(c.KPI)
	}
	for c, want := range diff {
		if sum[c] != want {
			t.Errorf("%s: lines sum to %+v, cells differ by %+v", c, sum[c], want)
		}
	}
}
