package notify

import (
	"fmt"

	"github.com/roasd/roasd/ads"
)

// UnconvertedAlert says that orders of day in currency from are held out
// of the brand's figures because the brand configures no from→to rate for
// that day (reconcile.ChannelUnconverted): how many and their net in
// their own currency, and what to do. It is sent once per pair and day;
// once a rate is configured the orders count (the ledger is rebuilt).
func UnconvertedAlert(t Target, from, to string, day ads.Date, orders, net int64) Alert {
	noun := "orders"
	if orders == 1 {
		noun = "order"
	}
	return Alert{
		Brand: t.Brand, Channel: t.Channel, Kind: KindSync,
		DedupKey: fmt.Sprintf("unconverted:%s:%s>%s:%s", t.Brand, from, to, day),
		Title:    fmt.Sprintf("No %s→%s rate configured for %s", from, to, day),
		Reason: fmt.Sprintf("%d %s of %s (%s) are held out of %s's report as unconverted: roasd never converts 1:1. "+
			"Add an fx_rates entry %s→%s in force on %s; the orders count once it is configured.",
			orders, noun, day, money(net, from), t.Brand, from, to, day),
		Fields: []Field{{"Pair", from + "→" + to}, {"Day", day.String()}, {"Orders", fmt.Sprint(orders)},
			{"Held out", money(net, from)}},
		Context:   contextLine(t.Brand, "reconcile"),
		ReportURL: t.ReportURL,
	}
}
