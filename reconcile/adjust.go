package reconcile

import (
	"sort"

	"github.com/roasd/roasd/ads"
)

// Causes of a post-close adjustment (Adjustment.Cause).
const (
	// CauseRestatedSpend: a platform restated spend (or its own
	// conversions, impressions, clicks) of a closed day.
	CauseRestatedSpend = "restated spend"
	// CauseLateOrder: an order (or link conversion) of a closed day that
	// arrived after the close.
	CauseLateOrder = "late order"
	// CauseLateRefund: an order of a closed day refunded (or cancelled)
	// after the close.
	CauseLateRefund = "late refund"
	// CauseOrderChanged: an order of a closed day whose amount grew, or
	// that left the ledger, after the close.
	CauseOrderChanged = "order changed"
	// CauseReattributed: an order of a closed day that now counts for
	// another creator or channel (its revenue leaves one line and joins
	// another).
	CauseReattributed = "reattributed"
	// CauseFees: fees recomputed since (commission on the changes above,
	// a changed fee).
	CauseFees = "fees"
	// CauseOther: whatever of the difference the causes above do not
	// explain (e.g. redemptions).
	CauseOther = "other"
)

// Adjustment is a change to a closed month's figures since it was
// closed: the difference (live − closed) of one creator's measures that
// one cause explains. A closed month's report keeps its closed figures and
// shows these beside them; a creator's adjustments sum to the difference
// of its figures exactly.
type Adjustment struct {
	// Month is the closed month's first day.
	Month ads.Date
	// Creator is the creator handle (Unattributed for what no creator
	// claims, "" for cells of no creator).
	Creator string
	Cause   string
	// Records counts the ledger records (orders, link conversions)
	// behind a late order, refund or change.
	Records int64
	Measures
}

// ledgerKey identifies a ledger row.
type ledgerKey struct{ source, id string }

// revenueChannel reports whether a ledger row's revenue is in the KPI
// cells, and as what: paid, or organic (organic and unattributed).
func revenueChannel(ch string) (counts, paid bool) {
	switch ch {
	case ChannelPaid:
		return true, true
	case ChannelOrganic, ChannelUnattributed:
		return true, false
	}
	return false, false
}

// ledgerCreator is the KPI creator a ledger row's revenue sits on.
func ledgerCreator(r LedgerRow) string {
	if r.Channel == ChannelUnattributed {
		return Unattributed
	}
	return r.Creator
}

// ledgerMeasures is the revenue and order count a ledger row adds to its
// creator's cells.
func ledgerMeasures(r LedgerRow) Measures {
	counts, paid := revenueChannel(r.Channel)
	if !counts {
		return Measures{}
	}
	var orders int64
	if r.Counted {
		orders = 1
	}
	if paid {
		return Measures{PaidRevenue: r.Revenue, PaidOrders: orders}
	}
	return Measures{OrganicRevenue: r.Revenue, OrganicOrders: orders}
}

func (m Measures) sub(o Measures) Measures {
	neg := Measures{
		Spend: -o.Spend, FlatFees: -o.FlatFees, Commission: -o.Commission, Bonuses: -o.Bonuses, PaidRevenue: -o.PaidRevenue,
		OrganicRevenue: -o.OrganicRevenue, PaidOrders: -o.PaidOrders, OrganicOrders: -o.OrganicOrders, Redemptions: -o.Redemptions,
		PlatformConversions: -o.PlatformConversions, PlatformValue: -o.PlatformValue, Impressions: -o.Impressions,
		Clicks: -o.Clicks, Engagements: -o.Engagements, Views: -o.Views,
	}
	return m.Add(neg)
}

// PostCloseAdjustments explains, per creator, how a closed month's figures
// changed since its close: closedCells/liveCells are the month's KPI cells
// (of the days compared) in the snapshot and now, closedLedger/liveLedger
// its ledger rows then and now. Spend and platform numbers are restated
// spend; revenue and orders are explained order by order (late order,
// late refund, order changed, reattributed); fees are fees; the rest is
// other. Lines with no difference are left out; they come ordered by
// creator (Unattributed and "" last) and cause.
func PostCloseAdjustments(month ads.Date, closedCells, liveCells []DailyRow, closedLedger, liveLedger []LedgerRow) []Adjustment {
	type lineKey struct{ creator, cause string }
	lines := map[lineKey]*Adjustment{}
	add := func(creator, cause string, m Measures, records int64) {
		if m.IsZero() && records == 0 {
			return
		}
		k := lineKey{creator, cause}
		a := lines[k]
		if a == nil {
			a = &Adjustment{Month: month, Creator: creator, Cause: cause}
			lines[k] = a
		}
		a.Measures = a.Measures.Add(m)
		a.Records += records
	}
	diff := map[string]Measures{}
	for _, c := range liveCells {
		diff[c.Creator] = diff[c.Creator].Add(c.Measures)
	}
	for _, c := range closedCells {
		diff[c.Creator] = diff[c.Creator].sub(c.Measures)
	}
	// Orders, one by one.
	explained := map[string]Measures{}
	book := func(creator, cause string, m Measures) {
		add(creator, cause, m, 1)
		explained[creator] = explained[creator].Add(m)
	}
	then := map[ledgerKey]LedgerRow{}
	for _, r := range closedLedger {
		then[ledgerKey{r.Source, r.SourceID}] = r
	}
	seen := map[ledgerKey]bool{}
	for _, now := range liveLedger {
		k := ledgerKey{now.Source, now.SourceID}
		seen[k] = true
		was, ok := then[k]
		mNow := ledgerMeasures(now)
		if !ok {
			if !mNow.IsZero() {
				book(ledgerCreator(now), CauseLateOrder, mNow)
			}
			continue
		}
		mWas := ledgerMeasures(was)
		if mNow == mWas && ledgerCreator(now) == ledgerCreator(was) {
			continue
		}
		if ledgerCreator(now) != ledgerCreator(was) || now.Channel != was.Channel {
			if !mWas.IsZero() {
				book(ledgerCreator(was), CauseReattributed, Measures{}.sub(mWas))
			}
			if !mNow.IsZero() {
				book(ledgerCreator(now), CauseReattributed, mNow)
			}
			continue
		}
		cause := CauseOrderChanged
		if now.Revenue < was.Revenue {
			cause = CauseLateRefund
		}
		book(ledgerCreator(now), cause, mNow.sub(mWas))
	}
	for _, was := range closedLedger {
		if k := (ledgerKey{was.Source, was.SourceID}); !seen[k] {
			if m := ledgerMeasures(was); !m.IsZero() {
				book(ledgerCreator(was), CauseOrderChanged, Measures{}.sub(m))
			}
		}
	}
	for creator, d := range diff {
		add(creator, CauseRestatedSpend, Measures{Spend: d.Spend, PlatformConversions: d.PlatformConversions,
			PlatformValue: d.PlatformValue, Impressions: d.Impressions, Clicks: d.Clicks, Engagements: d.Engagements, Views: d.Views}, 0)
		add(creator, CauseFees, Measures{FlatFees: d.FlatFees, Commission: d.Commission, Bonuses: d.Bonuses}, 0)
		e := explained[creator]
		add(creator, CauseOther, Measures{PaidRevenue: d.PaidRevenue - e.PaidRevenue, OrganicRevenue: d.OrganicRevenue - e.OrganicRevenue,
			PaidOrders: d.PaidOrders - e.PaidOrders, OrganicOrders: d.OrganicOrders - e.OrganicOrders, Redemptions: d.Redemptions}, 0)
	}
	// A creator with ledger changes but no cell difference (a change that
	// cancels out) still gets its other line, so lines sum to the diff.
	for creator, e := range explained {
		if _, ok := diff[creator]; !ok {
			add(creator, CauseOther, Measures{}.sub(Measures{PaidRevenue: e.PaidRevenue, OrganicRevenue: e.OrganicRevenue,
				PaidOrders: e.PaidOrders, OrganicOrders: e.OrganicOrders}), 0)
		}
	}
	out := make([]Adjustment, 0, len(lines))
	for _, a := range lines {
		out = append(out, *a)
	}
	causes := map[string]int{CauseRestatedSpend: 0, CauseLateOrder: 1, CauseLateRefund: 2, CauseOrderChanged: 3, CauseReattributed: 4, CauseFees: 5, CauseOther: 6}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Creator != out[j].Creator {
			return keyLess([]string{out[i].Creator}, []string{out[j].Creator})
		}
		return causes[out[i].Cause] < causes[out[j].Cause]
	})
	return out
}
