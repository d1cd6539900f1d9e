// Package reconcile is roasd's pure computation: it maps ads to declared
// variants, attributes every store order at most once to a paid variant, a
// creator's organic code or link, or nothing, adds fees, converts currency
// with configured rates, computes KPIs and decides verdicts. It performs no
// I/O and never reads the clock: callers pass records and "now".
//
// The money rules finance signs off (issue 24):
//
//   - A test lasts N days, N its last checkpoint: start … start+N−1
//     (configs.Test.End). Verdicts, fees and reports use that one window.
//   - A creator's flat fee is one contract per creator: amortized per day
//     over the union of the creator's test windows (each day once) and, on
//     a day when several of the creator's tests run, split evenly between
//     them (FixedFees). Fees accrue to date: nothing is booked after the
//     jobs' today (Input.Through), bonuses included.
//   - A creator's organic revenue by test: on a day when several of the
//     creator's tests run, the creator's organic revenue, organic orders,
//     redemptions and the commission on that revenue are split evenly
//     between them (ads.KPICell); the by-creator view is unaffected.
//
// And the counting rules behind them: an order no rule attributes goes to
// the creator of a link conversion naming it (AttrLinkOrder; the
// conversion stays a duplicate); a code's redemption always belongs to the
// code's owner, whoever gets the revenue, and every creator's code on an
// order counts (ads.LedgerLine.Code); a report's TOTAL is computed from exact
// micro-units and is the same in every dimension (package report).
package reconcile
