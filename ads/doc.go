// Package ads holds roasd's platform-neutral records — ads, daily stats,
// whitelisting permissions, store orders, link conversions, ledger lines,
// daily store sales (SalesDay), tests' attribution policies (TestPolicy),
// the KPI vector (KPI, the one sum every report, dashboard, digest and
// verdict reads) and its per-day cells — and the money and calendar
// primitives they are built from.
//
// Money is never a float: amounts are integer micro-units (millionths of a
// currency unit) next to an ISO 4217 currency code. Days are civil dates
// (Date) bucketed in an explicit time zone.
//
// ads imports nothing else from roasd, so every other package may import it.
package ads
