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
// closed: the difference (live − closed) of one creator's KPIs that
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
	ads.KPI
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
func ledgerCreator(r ads.LedgerLine) string {
	if r.Channel == ChannelUnattributed {
		return Unattributed
	}
	return r.Creator
}

// ledgerKPI is the revenue and order count a ledger row adds to its
// creator's cells.
func ledgerKPI(r ads.LedgerLine) ads.KPI {
	counts, paid := revenueChannel(r.Channel)
	if !counts {
		return ads.KPI{}
	}
	var orders int64
	if r.Counted {
		orders = 1
	}
	if paid {
		return ads.KPI{PaidRevenue: r.Revenue, PaidOrders: orders}
	}
	return ads.KPI{OrganicRevenue: r.Revenue, OrganicOrders: orders}
}

// PostCloseAdjustments explains, per creator, how a closed month's figures
// changed since its close: closedCells/liveCells are the month's KPI cells
// (of the days compared) in the snapshot and now, closedLedger/liveLedger
// its ledger rows then and now. Spend and platform numbers are restated
// spend; revenue and orders are explained order by order (late order,
// late refund, order changed, reattributed); fees are fees; the rest is
// other. Lines with no difference are left out; they come ordered by
// creator (Unattributed and "" last) and cause.
func PostCloseAdjustments(month ads.Date, closedCells, liveCells []ads.KPICell, closedLedger, liveLedger []ads.LedgerLine) []Adjustment {
	type lineKey struct{ creator, cause string }
	lines := map[lineKey]*Adjustment{}
	add := func(creator, cause string, m ads.KPI, records int64) {
		if m.IsZero() && records == 0 {
			return
		}
		k := lineKey{creator, cause}
		a := lines[k]
		if a == nil {
			a = &Adjustment{Month: month, Creator: creator, Cause: cause}
			lines[k] = a
		}
		a.KPI = a.KPI.Add(m)
		a.Records += records
	}
	diff := map[string]ads.KPI{}
	for _, c := range liveCells {
		diff[c.Creator] = diff[c.Creator].Add(c.KPI)
	}
	for _, c := range closedCells {
		diff[c.Creator] = diff[c.Creator].Sub(c.KPI)
	}
	// Orders, one by one.
	explained := map[string]ads.KPI{}
	book := func(creator, cause string, m ads.KPI) {
		add(creator, cause, m, 1)
		explained[creator] = explained[creator].Add(m)
	}
	then := map[ledgerKey]ads.LedgerLine{}
	for _, r := range closedLedger {
		then[ledgerKey{r.Source, r.SourceID}] = r
	}
	seen := map[ledgerKey]bool{}
	for _, now := range liveLedger {
		k := ledgerKey{now.Source, now.SourceID}
		seen[k] = true
		was, ok := then[k]
		mNow := ledgerKPI(now)
		if !ok {
			if !mNow.IsZero() {
				book(ledgerCreator(now), CauseLateOrder, mNow)
			}
			continue
		}
		mWas := ledgerKPI(was)
		if mNow == mWas && ledgerCreator(now) == ledgerCreator(was) {
			continue
		}
		if ledgerCreator(now) != ledgerCreator(was) || now.Channel != was.Channel {
			if !mWas.IsZero() {
				book(ledgerCreator(was), CauseReattributed, ads.KPI{}.Sub(mWas))
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
		book(ledgerCreator(now), cause, mNow.Sub(mWas))
	}
	for _, was := range closedLedger {
		if k := (ledgerKey{was.Source, was.SourceID}); !seen[k] {
			if m := ledgerKPI(was); !m.IsZero() {
				book(ledgerCreator(was), CauseOrderChanged, ads.KPI{}.Sub(m))
			}
		}
	}
	for creator, d := range diff {
		add(creator, CauseRestatedSpend, ads.KPI{Spend: d.Spend, PlatformConversions: d.PlatformConversions,
			PlatformValue: d.PlatformValue, Impressions: d.Impressions, Clicks: d.Clicks, Engagements: d.Engagements, Views: d.Views}, 0)
		add(creator, CauseFees, ads.KPI{FlatFees: d.FlatFees, Commission: d.Commission, Bonuses: d.Bonuses}, 0)
		e := explained[creator]
		add(creator, CauseOther, ads.KPI{PaidRevenue: d.PaidRevenue - e.PaidRevenue, OrganicRevenue: d.OrganicRevenue - e.OrganicRevenue,
			PaidOrders: d.PaidOrders - e.PaidOrders, OrganicOrders: d.OrganicOrders - e.OrganicOrders, Redemptions: d.Redemptions}, 0)
	}
	// A creator with ledger changes but no cell difference (a change that
	// cancels out) still gets its other line, so lines sum to the diff.
	for creator, e := range explained {
		if _, ok := diff[creator]; !ok {
			add(creator, CauseOther, ads.KPI{}.Sub(ads.KPI{PaidRevenue: e.PaidRevenue, OrganicRevenue: e.OrganicRevenue,
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
