package shopifyfake

import (
	"math/big"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
)

// money is a MoneyBag's amount.
type money struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

// moneyBag is a MoneyBag: shop money and, when selected, presentment
// money (the customer's currency, see Order.PresentmentCurrency).
type moneyBag struct {
	ShopMoney        money  `json:"shopMoney"`
	PresentmentMoney *money `json:"presentmentMoney,omitempty"`
}

// presentment converts shop money into an order's presentment currency.
type presentment struct {
	currency string
	rate     int64 // micros of presentment money per unit of shop money
}

func presentmentOf(o *Order, shopCurrency string) presentment {
	p := presentment{currency: shopCurrency, rate: 1_000_000}
	if o.PresentmentCurrency != "" {
		p.currency = o.PresentmentCurrency
	}
	if o.PresentmentRate != "" {
		p.rate = micros(o.PresentmentRate)
	}
	return p
}

// of converts m shop micros to presentment micros, rounded to the cent.
func (p presentment) of(m int64) int64 {
	v := new(big.Int).Mul(big.NewInt(m), big.NewInt(p.rate))
	v.Quo(v, big.NewInt(1_000_000))
	c := v.Int64()
	return (c + 5_000) / 10_000 * 10_000
}

type utmJSON struct {
	Source   *string `json:"source"`
	Medium   *string `json:"medium"`
	Campaign *string `json:"campaign"`
	Content  *string `json:"content"`
	Term     *string `json:"term"`
}

type visitJSON struct {
	LandingPage string `json:"landingPage"`
	// OccurredAt is nil when not selected, else a *string (null or not).
	OccurredAt    any      `json:"occurredAt,omitempty"`
	UTMParameters *utmJSON `json:"utmParameters"`
}

type journeyJSON struct {
	Ready      *bool      `json:"ready,omitempty"`
	FirstVisit *visitJSON `json:"firstVisit"`
	LastVisit  *visitJSON `json:"lastVisit"`
}

// orderJSON is an Order object as the GraphQL Admin API renders it (the
// fields roasd's and similar clients select). Money is in the shop
// currency (shopMoney) and the customer's (presentmentMoney).
type orderJSON struct {
	ID                       string       `json:"id"`
	Name                     string       `json:"name"`
	CreatedAt                *string      `json:"createdAt"`
	UpdatedAt                *string      `json:"updatedAt"`
	CancelledAt              *string      `json:"cancelledAt"`
	CurrencyCode             string       `json:"currencyCode"`
	Test                     bool         `json:"test"`
	DiscountCodes            []string     `json:"discountCodes"`
	SubtotalPriceSet         moneyBag     `json:"subtotalPriceSet"`
	TotalDiscountsSet        moneyBag     `json:"totalDiscountsSet"`
	TotalRefundedSet         moneyBag     `json:"totalRefundedSet"`
	CurrentSubtotalPriceSet  moneyBag     `json:"currentSubtotalPriceSet"`
	CustomerJourneySummary   *journeyJSON `json:"customerJourneySummary"`
	PresentmentCurrencyCode  string       `json:"presentmentCurrencyCode,omitempty"`
	TotalTaxSet              *moneyBag    `json:"totalTaxSet,omitempty"`
	TotalShippingPriceSet    *moneyBag    `json:"totalShippingPriceSet,omitempty"`
	TotalPriceSet            *moneyBag    `json:"totalPriceSet,omitempty"`
	TotalRefundedShippingSet *moneyBag    `json:"totalRefundedShippingSet,omitempty"`
	RefundDiscrepancySet     *moneyBag    `json:"refundDiscrepancySet,omitempty"`
	// Refunds is nil when not selected, else the list, [] when empty
	// ([Refund!]! is never null).
	Refunds *[]refundJSON `json:"refunds,omitempty"`
}

// refundJSON is a Refund object in an order's refunds list.
type refundJSON struct {
	ID               string   `json:"id"`
	CreatedAt        *string  `json:"createdAt"`
	TotalRefundedSet moneyBag `json:"totalRefundedSet"`
}

// selection says which optional fields a query selected: the fake renders
// every field of orderJSON that is not omitempty, and these only when
// named.
type selection struct {
	presentment, occurredAt, ready                      bool
	presentmentCode, tax, shipping, price, refundedShip bool
	discrepancy, refunds                                bool
	// now is the time the orders are read at (journey readiness).
	now time.Time
}

// selects reports whether query names field as a whole word.
func selects(query, field string) bool {
	word := func(b byte) bool {
		return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
	}
	for i := 0; ; {
		j := strings.Index(query[i:], field)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(field)
		if (j == 0 || !word(query[j-1])) && (end == len(query) || !word(query[end])) {
			return true
		}
		i = j + 1
	}
}

func selectionOf(query string) selection {
	has := func(f string) bool { return selects(query, f) }
	return selection{presentment: has("presentmentMoney"), occurredAt: has("occurredAt"), ready: has("ready"),
		presentmentCode: has("presentmentCurrencyCode"), tax: has("totalTaxSet"), shipping: has("totalShippingPriceSet"),
		price: has("totalPriceSet"), refundedShip: has("totalRefundedShippingSet"), discrepancy: has("refundDiscrepancySet"),
		refunds: has("refunds")}
}

func (sel selection) moneyOf(m int64, currency string, p presentment) moneyBag {
	b := moneyBag{ShopMoney: money{Amount: ads.FormatMicros(m, 2), CurrencyCode: currency}}
	if sel.presentment {
		b.PresentmentMoney = &money{Amount: ads.FormatMicros(p.of(m), 2), CurrencyCode: p.currency}
	}
	return b
}

func timeOrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (sel selection) visitOf(v *Visit) *visitJSON {
	if v == nil {
		return nil
	}
	out := &visitJSON{LandingPage: v.LandingPage}
	if sel.occurredAt {
		out.OccurredAt = timeOrNil(v.OccurredAt)
	}
	if v.Source+v.Medium+v.Campaign+v.Content+v.Term != "" {
		out.UTMParameters = &utmJSON{Source: strOrNil(v.Source), Medium: strOrNil(v.Medium), Campaign: strOrNil(v.Campaign),
			Content: strOrNil(v.Content), Term: strOrNil(v.Term)}
	}
	return out
}

// totals are an order's money fields (micros of the shop currency).
type totals struct {
	lineItems, discounts, subtotal, tax, shipping, price int64
	// refunded is the money returned; refundedItems, refundedShipping the
	// refunded line items' and shipping's subtotals; discrepancy the sum
	// of the refunds' discrepancies (see refundDiscrepancy).
	refunded, refundedItems, refundedShipping, discrepancy int64
}

// amounts derives the order's money fields.
func amounts(o *Order) totals {
	t := totals{lineItems: micros(o.LineItems), discounts: micros(o.Discounts), tax: micros(o.Tax), shipping: micros(o.Shipping)}
	t.subtotal = t.lineItems - t.discounts
	t.price = t.subtotal + t.tax + t.shipping
	for _, r := range o.Refunds {
		t.refunded += refundTotal(r)
		t.refundedItems += micros(r.LineItems)
		t.refundedShipping += micros(r.Shipping)
		t.discrepancy += refundDiscrepancy(r)
	}
	return t
}

// renderOrder renders an Order object as the GraphQL Admin API does:
// currentSubtotalPriceSet drops refunded line items (not refunded
// shipping, tax or discrepancies); totalRefundedSet is all money returned.
// Stored orders are never modified in place (see UpsertOrder), so it needs
// no lock.
func renderOrder(o *Order, currency string, sel selection) orderJSON {
	t := amounts(o)
	p := presentmentOf(o, currency)
	codes := o.DiscountCodes
	if codes == nil {
		codes = []string{}
	}
	m := func(v int64) moneyBag { return sel.moneyOf(v, currency, p) }
	opt := func(on bool, v int64) *moneyBag {
		if !on {
			return nil
		}
		b := m(v)
		return &b
	}
	n := orderJSON{
		ID: "gid://shopify/Order/" + o.ID, Name: o.Name,
		CreatedAt: timeOrNil(o.CreatedAt), UpdatedAt: timeOrNil(o.UpdatedAt), CancelledAt: timeOrNil(o.CancelledAt),
		CurrencyCode: currency, Test: o.Test, DiscountCodes: codes,
		SubtotalPriceSet: m(t.subtotal), TotalDiscountsSet: m(t.discounts), TotalRefundedSet: m(t.refunded),
		CurrentSubtotalPriceSet: m(max(t.subtotal-t.refundedItems, 0)),
		TotalTaxSet:             opt(sel.tax, t.tax), TotalShippingPriceSet: opt(sel.shipping, t.shipping),
		TotalPriceSet: opt(sel.price, t.price), TotalRefundedShippingSet: opt(sel.refundedShip, t.refundedShipping),
		RefundDiscrepancySet: opt(sel.discrepancy, t.discrepancy),
	}
	if sel.presentmentCode {
		n.PresentmentCurrencyCode = p.currency
	}
	if sel.refunds {
		rs := []refundJSON{}
		for _, r := range o.Refunds {
			rs = append(rs, refundJSON{ID: "gid://shopify/Refund/" + r.ID, CreatedAt: timeOrNil(r.CreatedAt),
				TotalRefundedSet: m(refundTotal(r))})
		}
		n.Refunds = &rs
	}
	if o.FirstVisit != nil || o.LastVisit != nil {
		j := &journeyJSON{FirstVisit: sel.visitOf(o.FirstVisit), LastVisit: sel.visitOf(o.LastVisit)}
		ready := !sel.now.Before(o.JourneyReadyAt)
		if !ready {
			// Shopify is still completing the journey: no visits yet.
			j.FirstVisit, j.LastVisit = nil, nil
		}
		if sel.ready {
			j.Ready = &ready
		}
		n.CustomerJourneySummary = j
	}
	return n
}
