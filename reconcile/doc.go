// Package reconcile is roasd's pure computation: it maps ads to declared
// variants, attributes every store order at most once to a paid variant, a
// creator's organic code or link, or nothing, adds fees, converts currency
// with configured rates, computes KPIs and decides verdicts. It performs no
// I/O and never reads the clock: callers pass records and "now".
package reconcile
