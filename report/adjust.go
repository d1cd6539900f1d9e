package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/reconcile"
)

// Post-close adjustments (issue 18 item 4). A report whose range touches a
// closed month shows that month's figures as they were closed (its
// snapshot) and, apart from them, what changed since: one line per
// creator and cause (reconcile.PostCloseAdjustments) with the difference
// in spend, fees, revenue and orders. The table prints them under the
// TOTAL with the TOTAL they would make; JSON has "closed" and
// "adjustments"; CSV, whose rows must sum to its TOTAL, carries only the
// closed figures — WriteAdjustments prints the lines on their own (in any
// format).

// AdjustmentColumns is the CSV header of WriteAdjustments.
var AdjustmentColumns = []string{"month", "creator", "cause", "records", CurrencyColumn, "spend", "fees", "paid_revenue",
	"organic_revenue", "revenue", "orders", "platform_conversions", "platform_value"}

// adjustmentCells are an adjustment's cells after its keys (month,
// creator, cause), money rounded to the minor unit.
func adjustmentCells(a reconcile.Adjustment, cur string) []cell {
	unit := minorUnit(cur)
	m := func(v int64) cell { return money(roundTo(v, unit), cur) }
	return []cell{count(a.Records), m(a.Spend), m(a.Fees()), m(a.PaidRevenue), m(a.OrganicRevenue), m(a.Revenue()),
		count(a.Orders()), count(a.PlatformConversions), m(a.PlatformValue)}
}

func adjustmentKeys(a reconcile.Adjustment) []string {
	creator := a.Creator
	if creator == "" {
		creator = None
	}
	return []string{reconcile.ClosedMonth{Month: a.Month}.Label(), creator, a.Cause}
}

// WriteAdjustments renders rep's post-close adjustments alone: CSV with
// AdjustmentColumns, JSON as {"brand","currency","from","to","closed",
// "adjustments"}, or the table's adjustments section.
func WriteAdjustments(w io.Writer, format string, rep reconcile.Report) error {
	switch format {
	case FormatCSV:
		cw := csv.NewWriter(w)
		cw.Write(AdjustmentColumns)
		for _, a := range rep.Adjustments {
			line := adjustmentKeys(a)
			cells := adjustmentCells(a, rep.Currency)
			line = append(line, cells[0].plain, rep.Currency)
			for _, c := range cells[1:] {
				line = append(line, c.plain)
			}
			cw.Write(line)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("writing adjustments csv: %w", err)
		}
		return nil
	case FormatJSON:
		b, err := json.Marshal(struct {
			Brand       string            `json:"brand"`
			Currency    string            `json:"currency"`
			From        ads.Date          `json:"from"`
			To          ads.Date          `json:"to"`
			Closed      []jsonClosed      `json:"closed"`
			Adjustments []json.RawMessage `json:"adjustments"`
		}{rep.Brand, rep.Currency, rep.From, rep.To, closedOf(rep), adjustmentsJSON(rep)})
		if err != nil {
			return fmt.Errorf("writing adjustments json: %w", err)
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case FormatTable:
		return writeAdjustmentTable(w, rep)
	}
	return fmt.Errorf("unknown report format %q (want csv, json or table)", format)
}

// jsonClosed is a closed month in JSON.
type jsonClosed struct {
	Month    string `json:"month"`
	ClosedAt string `json:"closed_at"`
}

// closedIfAny is closedOf, nil when the report touches no closed month.
func closedIfAny(rep reconcile.Report) []jsonClosed {
	if len(rep.Closed) == 0 {
		return nil
	}
	return closedOf(rep)
}

func closedOf(rep reconcile.Report) []jsonClosed {
	out := []jsonClosed{}
	for _, c := range rep.Closed {
		out = append(out, jsonClosed{Month: c.Label(), ClosedAt: c.ClosedAt.Format(time.RFC3339)})
	}
	return out
}

// adjustmentsJSON is each adjustment as a JSON object: month, creator,
// cause, records, then money as decimal strings with the currency and
// counts as numbers.
func adjustmentsJSON(rep reconcile.Report) []json.RawMessage {
	names := []string{"month", "creator", "cause"}
	out := []json.RawMessage{}
	for _, a := range rep.Adjustments {
		var buf bytes.Buffer
		buf.WriteByte('{')
		for i, k := range adjustmentKeys(a) {
			v, _ := json.Marshal(k)
			fmt.Fprintf(&buf, "%q:%s,", names[i], v)
		}
		for i, c := range adjustmentCells(a, rep.Currency) {
			if i > 0 {
				buf.WriteByte(',')
			}
			name := AdjustmentColumns[3+i]
			if i > 0 {
				name = AdjustmentColumns[4+i]
			}
			if c.num {
				fmt.Fprintf(&buf, "%q:%s", name, c.text)
			} else {
				v, _ := json.Marshal(c.text)
				fmt.Fprintf(&buf, "%q:%s", name, v)
			}
		}
		buf.WriteByte('}')
		out = append(out, buf.Bytes())
	}
	return out
}

// closedLines are the table's header lines naming closed months.
func closedLines(rep reconcile.Report) []string {
	var out []string
	for _, c := range rep.Closed {
		out = append(out, fmt.Sprintf("%s is closed (at %s): its figures are as closed; later changes are post-close adjustments",
			c.Label(), c.ClosedAt.Format("2006-01-02 15:04 MST")))
	}
	return out
}

// writeAdjustmentTable prints the post-close adjustment lines and the
// TOTAL they would make of the closed one ("" when there are none).
func writeAdjustmentTable(w io.Writer, rep reconcile.Report) error {
	if len(rep.Adjustments) == 0 {
		return nil
	}
	cur := rep.Currency
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Post-close adjustments (not in the closed figures above):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "month\tcreator\tcause\trecords\tspend\tfees\trevenue\torders\t")
	var sum ads.KPI
	for _, a := range rep.Adjustments {
		k := adjustmentKeys(a)
		c := adjustmentCells(a, cur)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", k[0], k[1], k[2], c[0].text, c[1].human, c[2].human, c[5].human, c[6].text)
		sum = sum.Add(a.KPI)
	}
	unit := minorUnit(cur)
	_, total := apportioned(rep)
	adj := func(closed, diff int64) string { return ads.FormatMoney(closed+roundTo(diff, unit), cur) }
	fmt.Fprintf(tw, "TOTAL with adjustments\t\t\t\t%s\t%s\t%s\t%s\t\n", adj(total.Spend, sum.Spend), adj(total.Fees(), sum.Fees()),
		adj(total.Revenue(), sum.Revenue()), strconv.FormatInt(total.Orders()+sum.Orders(), 10))
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing report table: %w", err)
	}
	return nil
}

// adjustedRevenue is the report's printed TOTAL revenue plus its
// post-close adjustments' revenue (rounded to the minor unit): the
// revenue of the cells as they are now, which the tie-out block compares
// with the store's sales now.
func adjustedRevenue(rep reconcile.Report, revenue int64) int64 {
	var sum int64
	for _, a := range rep.Adjustments {
		sum += a.Revenue()
	}
	return revenue + roundTo(sum, minorUnit(rep.Currency))
}
