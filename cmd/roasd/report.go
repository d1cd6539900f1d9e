package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/report"
)

func init() {
	register(&command{
		name:    "report",
		usage:   "[--from YYYY-MM-DD [--to YYYY-MM-DD] | --month YYYY-MM | --last Nd] [--brand NAME] [--by creator|test|variant|platform|day] [--format csv|json|table] [--adjustments]",
		summary: "print the finance report (spend, fees, revenue, ROAS, CPA, …) from the reconciled ledger",
		help: `Reads the reconciled daily KPIs of a brand from DATABASE_URL and prints one
row per creator, test, variant, platform or day over [--from, --to] (both
inclusive, days in the brand's time zone), with a TOTAL row that is the sum
of the rows. Without dates the range is the month to date in the brand's
zone (today on the jobs' clock: ROASD_NOW when set); --month 2026-11 is a
calendar month, --last 30d the 30 days through today, --from alone runs to
today. The table's header states the brand, zone, currency, range and each
test's attribution policy (JSON: timezone, range, attribution).

Under the rows, the tie-out block (table and JSON "tie_out") reconciles
the report with the store: gross sales − discounts − refunds −
cancellations = net sales of the orders placed in the range, of which
paid-attributed, organic-attributed and unattributed; link conversions of
no store order bridge net sales to the report's revenue; orders held out
for want of a currency rate are listed in their own currency; Meta's and
TikTok's reported conversion value stand beside it (README "Tie-out with
the store" says which Shopify report each line matches). Money is printed to the currency's minor unit: in the table
and JSON beside its currency ("1234.50 USD"), in CSV as plain numbers with
one currency column (percentages too: roi_percent, redemption_rate_percent),
so a spreadsheet sums the columns to the TOTAL row. Ratios print "n/a"
(null in JSON, an empty CSV cell) when their denominator is zero.

--brand defaults to the only reconciled brand. --by defaults to creator,
--format to table. GET /api/v1/report serves the same numbers.

Every report says how current it is: "reconciled through DAY at TIME" (in
the table's header, in JSON's "reconciled", on stderr for CSV). When the
brand's latest reconcile failed, the figures are those of the last good
one: a warning says so on stderr (and in the table and JSON); the exit
status stays 0.

Figures that may still change are marked provisional: a day inside a
source's restatement window (Meta 28 days, TikTok 28, restatement_days)
or the refund horizon (refund_horizon_days, default 60), and any total
including one — a "provisional" CSV column (true/false), a "provisional"
field on each JSON row and the total, a last table column, and a line
"days from DAY are provisional: WHY" (the table's header, JSON's
"provisional", stderr for CSV).

A closed month (roasd close) reports its snapshot: the figures as they
were closed. What changed since shows as post-close adjustment lines —
per creator and cause (restated spend, late order, late refund, order
changed, reattributed, fees, other) — under the table's TOTAL (with the
TOTAL they would make) and in JSON's "adjustments"; CSV keeps to the
closed figures, and --adjustments prints the lines alone (in any format).

Columns: spend, fees (flat + commission + bonuses), paid and organic revenue,
ROAS = paid revenue / spend, blended ROAS = revenue / (spend + fees),
ROI = (revenue − cost) / cost, CPA = cost / orders, CPE = cost / engagements,
redemption rate = code redemptions / impressions, platform-reported
conversions and value beside store-confirmed orders and their ratio, and
revenue per creator.

What no creator claims is a row of its own, "(unattributed)" (creator,
test, variant): the spend of the brand's ads that run no declared variant
(by platform it stays on its platform, so the platform view ties to the
platforms' spend) and the store orders nobody claims (as organic revenue
and orders; by platform the "(unattributed)" row), so TOTAL ties to the
shop's orders.`,
		run: runReport,
	})
}

func runReport(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags(env, "report")
	brand := fs.String("brand", "", "brand name (default: the only reconciled brand)")
	from := fs.String("from", "", "first day, YYYY-MM-DD (default: the month to date)")
	to := fs.String("to", "", "last day, YYYY-MM-DD (default: today in the brand's zone)")
	month := fs.String("month", "", "a calendar month, YYYY-MM (instead of --from/--to)")
	last := fs.String("last", "", "the N days through today, e.g. 30d (instead of --from/--to)")
	by := fs.String("by", reconcile.ByCreator, "row dimension: "+strings.Join(reconcile.Dimensions, "|"))
	format := fs.String("format", report.FormatTable, "output format: "+strings.Join(report.Formats, "|"))
	adjustments := fs.Bool("adjustments", false, "print only the post-close adjustments of closed months in the range")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "roasd report: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if !slices.Contains(report.Formats, *format) {
		fmt.Fprintf(env.stderr, "roasd report: --format %q: want %s\n", *format, strings.Join(report.Formats, ", "))
		return errUsage
	}
	q, err := report.ParseQuery(report.Params{Brand: *brand, From: *from, To: *to, Month: *month, Last: *last, By: *by})
	if err != nil {
		fmt.Fprintf(env.stderr, "roasd report: %v\n", err)
		return errUsage
	}
	db, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	clock, err := pinnedClock(env)
	if err != nil {
		return err
	}
	rep, err := report.Service{DB: db, Now: clock}.Report(ctx, q)
	if err != nil {
		return err
	}
	if *format == report.FormatCSV && rep.Reconciled.String() != "" {
		// CSV carries only figures: say how current they are here.
		fmt.Fprintf(env.stderr, "roasd report: %s: %s\n", rep.Brand, rep.Reconciled)
	}
	if t := rep.Finality.String(); *format == report.FormatCSV && t != "" {
		fmt.Fprintf(env.stderr, "roasd report: %s: %s\n", rep.Brand, t)
	}
	if rep.Reconciled.Stale() {
		fmt.Fprintf(env.stderr, "roasd report: warning: %s: %s\n", rep.Brand, rep.Reconciled.Warning())
	}
	if hint := pastTheData(rep); hint != "" {
		fmt.Fprintf(env.stderr, "roasd report: %s: %s\n", rep.Brand, hint)
	}
	if *adjustments {
		return report.WriteAdjustments(env.stdout, *format, rep)
	}
	if n := len(rep.Adjustments); n > 0 && *format == report.FormatCSV {
		// CSV rows sum to its TOTAL: the closed figures only.
		fmt.Fprintf(env.stderr, "roasd report: %s: %d post-close adjustment line(s) of closed months are not in these figures: roasd report --adjustments\n", rep.Brand, n)
	}
	return report.Write(env.stdout, *format, rep)
}

// pastTheData says so when the report's range runs past the day the brand
// was last reconciled (its days after it can only be zeros), naming that
// day; "" otherwise.
func pastTheData(rep reconcile.Report) string {
	at := rep.Reconciled.At
	if at.IsZero() {
		return ""
	}
	last := ads.DateOf(at, at.Location())
	switch {
	case !rep.To.After(last):
		return ""
	case rep.From.After(last):
		return fmt.Sprintf("data reconciled through %s: the range %s..%s is after it, so every figure is zero", last, rep.From, rep.To)
	}
	return fmt.Sprintf("data reconciled through %s: %s..%s, after it, has no data yet", last, last.AddDays(1), rep.To)
}
