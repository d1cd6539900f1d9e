package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/reconcile"
)

// The report's header and its tie-out block (issue 18 items 2, 5 and 6).
//
// The header states the brand, its zone, the currency, the range (and how
// it was chosen: "month to date") and each test's attribution policy.
//
// The tie-out block reconciles the report with the store: the store's
// sales of the orders placed in the range (days in the brand's zone), as
// they stand now — gross sales − discounts − refunds − cancellations =
// net sales — of which paid-attributed, organic-attributed and
// unattributed (they sum to net sales), the orders held out for want of a
// rate (in their own currency), the report's revenue that is no store
// sale (link conversions of no known order; net sales + it = the report's
// revenue) and what Meta and TikTok reported, beside it and never added.
// Each group of lines is rounded to the currency's minor unit by the
// largest-remainder method (ads.Apportion), so printed lines add up to
// their printed net exactly.

// tieOutShown is a tie-out block as printed: money rounded to the minor
// unit so that each group of lines adds up.
type tieOutShown struct {
	gross, discounts, refunds, cancellations, net int64
	paid, organic, unattributed                   int64
	linkOnly, revenue                             int64
}

// shownTieOut rounds t; revenue is the report's printed TOTAL revenue, so
// that net + link-only prints as exactly it.
func shownTieOut(t reconcile.TieOut, revenue int64) tieOutShown {
	unit := minorUnit(t.Currency)
	var s tieOutShown
	parts, net := ads.Apportion([]int64{t.Gross, -t.Discounts, -t.Refunds, -t.Cancellations}, unit)
	s.gross, s.discounts, s.refunds, s.cancellations, s.net = parts[0], -parts[1], -parts[2], -parts[3], net
	parts, _ = ads.Apportion([]int64{t.Paid, t.Organic, t.Unattributed}, unit)
	s.paid, s.organic, s.unattributed = parts[0], parts[1], parts[2]
	s.revenue = revenue
	s.linkOnly = revenue - s.net
	return s
}

// headerLines are the report's header lines for people: brand, zone,
// currency, range and attribution policies.
func headerLines(rep reconcile.Report) []string {
	rng := fmt.Sprintf("%s..%s", rep.From, rep.To)
	if rep.Range != "" {
		rng += " (" + rep.Range + ")"
	}
	zone := ""
	if rep.Timezone != "" {
		zone = " · zone " + rep.Timezone
	}
	lines := []string{fmt.Sprintf("brand %s%s · currency %s · %s · by %s", rep.Brand, zone, rep.Currency, rng, rep.By)}
	if len(rep.Policies) > 0 {
		ps := make([]string, len(rep.Policies))
		for i, p := range rep.Policies {
			ps[i] = p.TestID + " " + p.Policy
		}
		lines = append(lines, "attribution: "+strings.Join(ps, ", "))
	}
	return lines
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// TieOutLine is one line of the tie-out block as people read it (the
// table, the dashboard): a label, an amount with its currency, and a note.
type TieOutLine struct {
	Label  string `json:"label"`
	Amount string `json:"amount"`
	Note   string `json:"note,omitempty"`
}

// TieOutLines are the tie-out block's lines for people; paid and organic
// are the range's exact paid and organic revenue (the report's TOTAL),
// which the block's last line ("= report revenue") prints as TOTAL does.
func TieOutLines(t reconcile.TieOut, paid, organic int64) []TieOutLine {
	unit := minorUnit(t.Currency)
	s := shownTieOut(t, roundTo(paid, unit)+roundTo(organic, unit))
	cur := t.Currency
	m := func(v int64) string { return ads.FormatMoney(v, cur) }
	lines := []TieOutLine{
		{"gross sales", m(s.gross), ""},
		{"− discounts", m(s.discounts), ""},
		{"− refunds", m(s.refunds), ""},
		{"− cancellations", m(s.cancellations), ""},
		{"= net sales", m(s.net), plural(t.Orders, "order", "orders")},
		{"  paid-attributed", m(s.paid), ""},
		{"  organic-attributed", m(s.organic), ""},
		{"  unattributed", m(s.unattributed), ""},
		{"+ link conversions, no store order", m(s.linkOnly), ""},
		{"= report revenue", m(s.revenue), ""},
	}
	for _, u := range t.Unconverted {
		days := u.First.String()
		if u.Last != u.First {
			days += ".." + u.Last.String()
		}
		lines = append(lines, TieOutLine{"held out, unconverted", ads.FormatMoney(u.Net, u.Currency),
			fmt.Sprintf("%s, %s: no %s→%s rate configured", plural(u.Orders, "order", "orders"), days, u.Currency, cur)})
	}
	for _, p := range t.Platforms {
		lines = append(lines, TieOutLine{string(p.Platform) + "-reported value", m(roundTo(p.Value, unit)),
			plural(p.Conversions, "conversion", "conversions") + ", beside, never added"})
	}
	return lines
}

// TieOutTitle is the tie-out block's title line for a range and zone.
func TieOutTitle(from, to ads.Date, zone string) string {
	if zone == "" {
		zone = "UTC"
	}
	return fmt.Sprintf("Tie-out with the store: orders placed %s..%s (%s), as they stand now", from, to, zone)
}

// writeTieOutTable writes the tie-out block under the table. A closed
// month's revenue counts with its post-close adjustments: the block
// compares the store's sales now with the cells now.
func writeTieOutTable(w io.Writer, rep reconcile.Report) error {
	paid, organic := rep.Total.PaidRevenue, rep.Total.OrganicRevenue
	for _, a := range rep.Adjustments {
		paid, organic = paid+a.PaidRevenue, organic+a.OrganicRevenue
	}
	lines := TieOutLines(*rep.TieOut, paid, organic)
	lw, vw := 0, 0
	for _, l := range lines {
		lw, vw = max(lw, utf8.RuneCountInString(l.Label)), max(vw, utf8.RuneCountInString(l.Amount))
	}
	if _, err := fmt.Fprintf(w, "\n%s\n", TieOutTitle(rep.From, rep.To, rep.Timezone)); err != nil {
		return fmt.Errorf("writing report tie-out: %w", err)
	}
	for _, l := range lines {
		out := fmt.Sprintf("  %-*s  %*s", lw, l.Label, vw, l.Amount)
		if l.Note != "" {
			out += "  " + l.Note
		}
		if _, err := fmt.Fprintln(w, out); err != nil {
			return fmt.Errorf("writing report tie-out: %w", err)
		}
	}
	return nil
}

// jsonTieOut is the tie-out block in JSON: money as exact decimal strings
// with their currency, as in the rows.
type jsonTieOut struct {
	Description       string            `json:"description"`
	Orders            int64             `json:"orders"`
	Gross             string            `json:"gross_sales"`
	Discounts         string            `json:"discounts"`
	Refunds           string            `json:"refunds"`
	Cancellations     string            `json:"cancellations"`
	Net               string            `json:"net_sales"`
	Paid              string            `json:"paid_attributed"`
	Organic           string            `json:"organic_attributed"`
	Unattributed      string            `json:"unattributed"`
	LinkOnly          string            `json:"link_conversions_no_store_order"`
	Revenue           string            `json:"report_revenue"`
	Unconverted       []jsonUnconverted `json:"unconverted"`
	PlatformsReported []jsonPlatform    `json:"platform_reported"`
}

type jsonUnconverted struct {
	Currency string   `json:"currency"`
	Orders   int64    `json:"orders"`
	Net      string   `json:"net"`
	First    ads.Date `json:"first_day"`
	Last     ads.Date `json:"last_day"`
	Missing  string   `json:"missing_rate"`
}

type jsonPlatform struct {
	Platform    string `json:"platform"`
	Conversions int64  `json:"conversions"`
	Value       string `json:"value"`
}

func tieOutJSON(rep reconcile.Report, revenue int64) *jsonTieOut {
	if rep.TieOut == nil {
		return nil
	}
	t := *rep.TieOut
	s := shownTieOut(t, revenue)
	cur := t.Currency
	m := func(v int64) string { return money(v, cur).text }
	j := &jsonTieOut{
		Description: "store sales of the orders placed in the range (days in the brand's zone), as they stand now",
		Orders:      t.Orders, Gross: m(s.gross), Discounts: m(s.discounts), Refunds: m(s.refunds),
		Cancellations: m(s.cancellations), Net: m(s.net), Paid: m(s.paid), Organic: m(s.organic),
		Unattributed: m(s.unattributed), LinkOnly: m(s.linkOnly), Revenue: m(s.revenue),
		Unconverted: []jsonUnconverted{}, PlatformsReported: []jsonPlatform{},
	}
	for _, u := range t.Unconverted {
		j.Unconverted = append(j.Unconverted, jsonUnconverted{Currency: u.Currency, Orders: u.Orders,
			Net: money(u.Net, u.Currency).text, First: u.First, Last: u.Last, Missing: u.Currency + "→" + cur})
	}
	for _, p := range t.Platforms {
		j.PlatformsReported = append(j.PlatformsReported, jsonPlatform{Platform: string(p.Platform), Conversions: p.Conversions,
			Value: m(roundTo(p.Value, minorUnit(cur)))})
	}
	return j
}
