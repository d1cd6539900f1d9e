package ads

// KPI is the one additive vector behind every KPI: the quantities a
// reconcile pass derives per day and cell, the store keeps in kpi_daily
// (and a month close's snapshot), and reports, the dashboard, the digest
// and the verdicts sum. Money is in micro-units of the currency of the
// cell or report it belongs to (KPICell.Currency); ratios (ROAS, CPA, …)
// are derived from sums only for display. The db tags name kpi_daily's
// columns.
type KPI struct {
	// Spend is paid media spend.
	Spend int64 `db:"spend_micros"`
	// FlatFees, Commission and Bonuses make up creator fees.
	FlatFees   int64 `db:"flat_fee_micros"`
	Commission int64 `db:"commission_micros"`
	Bonuses    int64 `db:"bonus_micros"`
	// PaidRevenue is store revenue of paid variants; OrganicRevenue of
	// creators' codes, links and link conversions.
	PaidRevenue    int64 `db:"paid_revenue_micros"`
	OrganicRevenue int64 `db:"organic_revenue_micros"`
	// PaidOrders and OrganicOrders count store-confirmed orders (and
	// non-duplicate link conversions) with positive revenue.
	PaidOrders    int64 `db:"paid_orders"`
	OrganicOrders int64 `db:"organic_orders"`
	// Redemptions counts creator discount codes redeemed on counted
	// orders, whichever channel got the revenue.
	Redemptions int64 `db:"redemptions"`
	// PlatformConversions and PlatformValue are what the ad platforms
	// reported, kept beside the store's numbers and never added to them.
	PlatformConversions int64 `db:"platform_conversions"`
	PlatformValue       int64 `db:"platform_value_micros"`
	Impressions         int64 `db:"impressions"`
	Clicks              int64 `db:"clicks"`
	Engagements         int64 `db:"engagements"`
	Views               int64 `db:"views"`
}

// Add returns k + o, field by field: the one way KPIs are summed.
func (k KPI) Add(o KPI) KPI {
	return KPI{
		Spend: k.Spend + o.Spend, FlatFees: k.FlatFees + o.FlatFees, Commission: k.Commission + o.Commission,
		Bonuses: k.Bonuses + o.Bonuses, PaidRevenue: k.PaidRevenue + o.PaidRevenue,
		OrganicRevenue: k.OrganicRevenue + o.OrganicRevenue, PaidOrders: k.PaidOrders + o.PaidOrders,
		OrganicOrders: k.OrganicOrders + o.OrganicOrders, Redemptions: k.Redemptions + o.Redemptions,
		PlatformConversions: k.PlatformConversions + o.PlatformConversions, PlatformValue: k.PlatformValue + o.PlatformValue,
		Impressions: k.Impressions + o.Impressions, Clicks: k.Clicks + o.Clicks, Engagements: k.Engagements + o.Engagements,
		Views: k.Views + o.Views,
	}
}

// Sub returns k − o, field by field (a difference of two sums).
func (k KPI) Sub(o KPI) KPI {
	return k.Add(KPI{
		Spend: -o.Spend, FlatFees: -o.FlatFees, Commission: -o.Commission, Bonuses: -o.Bonuses, PaidRevenue: -o.PaidRevenue,
		OrganicRevenue: -o.OrganicRevenue, PaidOrders: -o.PaidOrders, OrganicOrders: -o.OrganicOrders, Redemptions: -o.Redemptions,
		PlatformConversions: -o.PlatformConversions, PlatformValue: -o.PlatformValue, Impressions: -o.Impressions,
		Clicks: -o.Clicks, Engagements: -o.Engagements, Views: -o.Views,
	})
}

// Fees is flat fees + commission + bonuses.
func (k KPI) Fees() int64 { return k.FlatFees + k.Commission + k.Bonuses }

// Cost is spend + fees.
func (k KPI) Cost() int64 { return k.Spend + k.Fees() }

// Revenue is paid + organic revenue (deduplicated by the ledger).
func (k KPI) Revenue() int64 { return k.PaidRevenue + k.OrganicRevenue }

// Orders is paid + organic store-confirmed orders.
func (k KPI) Orders() int64 { return k.PaidOrders + k.OrganicOrders }

// IsZero reports whether every quantity is zero.
func (k KPI) IsZero() bool { return k == KPI{} }

// KPICell is the KPIs of one day and one (test, variant, creator,
// platform) cell of a brand, in the brand's currency: a row of kpi_daily.
// Which cell holds which quantity (a variant's spend and paid revenue, a
// creator's organic revenue and fees, the unattributed cells) is
// reconcile's rule; see reconcile.Build.
type KPICell struct {
	Day        Date     `db:"day"`
	TestID     string   `db:"test_id"`
	VariantKey string   `db:"variant_key"`
	Creator    string   `db:"creator"`
	Platform   Platform `db:"platform"`
	// Currency is the ISO currency all of the cell's money is in.
	Currency string `db:"currency"`
	KPI
}

// LedgerLine is one store order or link conversion as attributed by
// reconcile, at most one per source record: a row of the ledger table.
// Revenue is in the brand currency (Currency); OrigRevenue in the record's
// own currency. For orders the revenue is the order's net product revenue,
// Order.Net: gross − discounts − the product part of its refunds
// (refunded line items after discounts, plus refund discrepancies), zero
// once cancelled. Refunded tax, shipping and duties never reduce
// attributed revenue: they were never part of it. A later refund or
// cancellation lowers the revenue when the order is reconciled again.
type LedgerLine struct {
	Source   string `db:"source"`
	SourceID string `db:"source_id"`
	// Day is the record's day in the brand's time zone.
	Day Date `db:"day"`
	// TestID and VariantKey are set for paid lines; Creator for paid
	// lines (the test's creator) and organic lines; Platform for paid
	// lines.
	TestID     string   `db:"test_id"`
	VariantKey string   `db:"variant_key"`
	Creator    string   `db:"creator"`
	Platform   Platform `db:"platform"`
	// Channel is the line's revenue channel and Rule the attribution rule
	// that decided it (reconcile's Channel* and Attr* names).
	Channel string `db:"channel"`
	Rule    string `db:"rule"`
	// Policy is the attribution policy that applied (utm-first or
	// code-first; the paid variant's test decides).
	Policy       string `db:"policy"`
	Currency     string `db:"currency"`
	Revenue      int64  `db:"revenue_micros"`
	OrigCurrency string `db:"orig_currency"`
	OrigRevenue  int64  `db:"orig_revenue_micros"`
	// Code lists the creator discount codes redeemed on the order, as
	// typed and comma-separated ("" when none); CodeCreator lists their
	// owners, one per code, in the same order. A redemption always belongs
	// to the code's owner, whichever channel and creator get the revenue:
	// each distinct owner of a counted order gets one redemption.
	Code        string `db:"code"`
	CodeCreator string `db:"code_creator"`
	// Counted reports whether the line counts as a store-confirmed order:
	// it has positive revenue (cancelled and fully refunded orders do not).
	Counted bool `db:"counted"`
}
