package reconcile

import (
	"sort"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// addSale counts one order's sale s on d, whose revenue went to channel.
func addSale(d *ads.SalesDay, s ads.Sale, channel string) {
	d.Orders++
	d.Gross += s.Gross
	d.Discounts += s.Discounts
	d.Refunds += s.Refunds
	d.Cancellations += s.Cancellations
	d.Net += s.Net
	switch channel {
	case ChannelPaid:
		d.Paid += s.Net
	case ChannelOrganic:
		d.Organic += s.Net
	default:
		d.Unattributed += s.Net
	}
}

// saleOf splits an order's sales, converted into the brand currency on its
// day: gross (merchandise before discounts), discounts, net (ads.Order.Net,
// what attribution credits), cancellations (what a cancellation took off
// beyond the refunds: gross − discounts − refunded, at least zero, on a
// cancelled order) and refunds as the remainder, so that the parts add up
// to net exactly in the brand currency too. An order known only by its net
// (Gross zero) counts its net plus discounts and refunds as its gross.
func saleOf(o *ads.Order, conv *Converter, day ads.Date) (ads.Sale, error) {
	gross := o.Gross
	if gross == 0 && o.Net != 0 {
		gross = o.Net + o.Discounts + o.Refunded
	}
	var s ads.Sale
	var err error
	if s.Net, err = conv.Convert(o.Net, o.Currency, day); err != nil {
		return ads.Sale{}, err
	}
	if s.Gross, err = conv.Convert(gross, o.Currency, day); err != nil {
		return ads.Sale{}, err
	}
	if s.Discounts, err = conv.Convert(o.Discounts, o.Currency, day); err != nil {
		return ads.Sale{}, err
	}
	if o.Cancelled() {
		if s.Cancellations, err = conv.Convert(max(0, gross-o.Discounts-o.Refunded), o.Currency, day); err != nil {
			return ads.Sale{}, err
		}
	}
	s.Refunds = s.Gross - s.Discounts - s.Cancellations - s.Net
	return s, nil
}

func sortedSales(m map[ads.Date]*ads.SalesDay) []ads.SalesDay {
	if len(m) == 0 {
		return nil
	}
	out := make([]ads.SalesDay, 0, len(m))
	for _, d := range m {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day.Before(out[j].Day) })
	return out
}

// Unconverted is the store orders of one currency held out of a range
// because no rate into the brand currency is configured for their days
// (ChannelUnconverted): how many, their net in their own currency, and
// their first and last day.
type Unconverted struct {
	Currency    string
	Orders      int64
	Net         int64
	First, Last ads.Date
}

// PlatformReported is what one ad platform reported over a range, in the
// brand currency: conversions and their value, kept beside the store's
// numbers and never added to them.
type PlatformReported struct {
	Platform    ads.Platform
	Conversions int64
	Value       int64
}

// TieOut is a report's brand-level reconciliation with the store: the
// store's sales of the orders placed in the range (each day in the brand's
// zone; see ads.SalesDay), of which paid-attributed, organic-attributed and
// unattributed (they sum to Net), the orders held out unconverted, the
// report's revenue that is no store sale (link conversions of no known
// order) and, beside it all, what the ad platforms reported.
type TieOut struct {
	Currency string
	ads.SalesDay
	// LinkOnly is revenue the report counts that is no store order's: link
	// conversions that name no known order (organic revenue of their
	// creator). The report's revenue is Net + LinkOnly.
	LinkOnly int64
	// Unconverted lists the held-out orders per currency.
	Unconverted []Unconverted
	// Platforms lists what each ad platform reported (Meta, TikTok, …).
	Platforms []PlatformReported
}

// TieOutOf sums the sales days of [from, to] and sets what the report
// rows say beside them: the platforms' numbers from daily and LinkOnly as
// the rows' revenue less Net. Days outside the range are skipped.
func TieOutOf(currency string, from, to ads.Date, days []ads.SalesDay, daily []ads.KPICell, unconverted []Unconverted) TieOut {
	t := TieOut{Currency: currency, Unconverted: unconverted}
	rng := ads.DateRange{From: from, To: to}
	for _, d := range days {
		if !rng.Contains(d.Day) {
			continue
		}
		t.Orders += d.Orders
		t.Gross += d.Gross
		t.Discounts += d.Discounts
		t.Refunds += d.Refunds
		t.Cancellations += d.Cancellations
		t.Net += d.Net
		t.Paid += d.Paid
		t.Organic += d.Organic
		t.Unattributed += d.Unattributed
	}
	t.Day, t.SalesDay.Currency = ads.Date{}, currency
	var revenue int64
	byPlatform := map[ads.Platform]*PlatformReported{}
	for _, r := range daily {
		if !rng.Contains(r.Day) {
			continue
		}
		revenue += r.Revenue()
		if r.Platform == "" || (r.PlatformConversions == 0 && r.PlatformValue == 0 && r.Spend == 0) {
			continue
		}
		p := byPlatform[r.Platform]
		if p == nil {
			p = &PlatformReported{Platform: r.Platform}
			byPlatform[r.Platform] = p
		}
		p.Conversions += r.PlatformConversions
		p.Value += r.PlatformValue
	}
	t.LinkOnly = revenue - t.Net
	for _, p := range byPlatform {
		t.Platforms = append(t.Platforms, *p)
	}
	sort.Slice(t.Platforms, func(i, j int) bool { return t.Platforms[i].Platform < t.Platforms[j].Platform })
	return t
}

// Policies lists the attribution policy of each of the brand's tests, in
// declaration order (utm-first unless the test says code-first).
func Policies(b *configs.Brand) []ads.TestPolicy {
	out := make([]ads.TestPolicy, 0, len(b.Tests))
	for _, t := range b.Tests {
		out = append(out, ads.TestPolicy{TestID: t.ID, Policy: policyOf(t)})
	}
	return out
}
