package ads

// Sale is one store order's sales, or a sum of them, in one currency's
// micro-units, as the tie-out block counts them: Gross − Discounts −
// Refunds − Cancellations = Net, exactly (reconcile splits an order so).
// The db tags name sales_daily's columns.
type Sale struct {
	Gross         int64 `db:"gross_micros"`
	Discounts     int64 `db:"discounts_micros"`
	Refunds       int64 `db:"refunds_micros"`
	Cancellations int64 `db:"cancellations_micros"`
	Net           int64 `db:"net_micros"`
}

// SalesDay is the store's sales of one day of a brand (in the brand's time
// zone): the brand's store orders placed that day (test orders and
// unconverted ones left out), as they stand now — a refund or cancellation
// made later is counted on the order's day. Money is in micro-units of
// Currency. Gross − Discounts − Refunds − Cancellations = Net, and Paid +
// Organic + Unattributed = Net: the orders' revenue by the ledger channel
// that got it. reconcile derives it; it is a row of sales_daily.
type SalesDay struct {
	Day      Date   `db:"day"`
	Currency string `db:"currency"`
	// Orders counts the orders, cancelled and refunded ones included.
	Orders int64 `db:"orders"`
	Sale
	Paid         int64 `db:"paid_micros"`
	Organic      int64 `db:"organic_micros"`
	Unattributed int64 `db:"unattributed_micros"`
}

// TestPolicy is a test's attribution policy (utm-first or code-first) as a
// reconcile pass applied it; a reconcile state records them and a report's
// header shows them.
type TestPolicy struct {
	TestID string `json:"test"`
	Policy string `json:"policy"`
}
