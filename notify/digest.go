package notify

import (
	"fmt"
	"strings"

	"github.com/roasd/roasd/internal/platformhttp"
	"github.com/roasd/roasd/reconcile"
)

// KindDigest: a brand's daily summary.
const KindDigest = "digest"

// KindWeekly: a brand's weekly summary for finance.
const KindWeekly = "weekly_digest"

// Digest is what a brand's daily summary says. Amounts are micro-units
// of the brand's currency.
type Digest struct {
	// Day is the brand-local date of the digest; Yesterday the day
	// summed in YesterdaySpend, YesterdayFees and YesterdayRevenue (paid
	// plus organic).
	Day, Yesterday                                  string
	YesterdaySpend, YesterdayFees, YesterdayRevenue int64
	// WindowSpend, WindowFees and WindowRevenue sum the running tests'
	// windows so far; Tests counts those tests.
	Tests                                  int
	WindowSpend, WindowFees, WindowRevenue int64
	// AtStake is yesterday's spend on variants judged cut at their
	// latest checkpoint that are still spending; AtStakeVariants names
	// them.
	AtStake         int64
	AtStakeVariants []string
	// Expiring lists permissions that expire within 7 days, each with its
	// date ("@jacq Spark on bundle-spark: 2026-11-24, in 4 days").
	Expiring []string
	// Untagged are the brand's running ads without UTM tags, each with
	// its spend yesterday.
	Untagged []UntaggedAd
	// UntaggedYesterday and UntaggedWindow are the spend of the brand's
	// ads without UTM tags (running or not) yesterday and from
	// UntaggedSince through today: money no test can be credited with.
	UntaggedYesterday, UntaggedWindow int64
	UntaggedSince                     string
	// Unconverted names currencies of untagged spend left out for want
	// of an exchange rate.
	Unconverted []string
	// FailingSyncs are the brand's syncs (and its reconcile) whose latest
	// run failed.
	FailingSyncs []FailingSync
	// NotJudgedSince, when set, is since when the brand's tests have not
	// been judged because of those failures.
	NotJudgedSince string
}

// UntaggedAd is a running ad without UTM tags (utm_content): its orders
// cannot be tied to a variant.
type UntaggedAd struct {
	Platform, AdID, Name string
	// Yesterday is its spend yesterday, in the brand's currency.
	Yesterday int64
}

// maxUntaggedRows bounds the untagged ads listed in the digest.
const maxUntaggedRows = 25

// FailingSync is one of a brand's jobs whose latest run failed.
type FailingSync struct {
	// Job and Scope name it ("meta.insights", "act_123").
	Job, Scope string
	// Since is when its failures began (the first failed run after its
	// last success), as the brand reads it ("2026-11-18 14:00 EST").
	Since string
	// Runs counts the failed runs since then.
	Runs int
	// Error is the latest run's error; DigestAlert keeps its first line,
	// shortened, with anything that looks like a credential removed.
	Error string
}

// maxErrorSummary bounds a failing sync's error in the digest.
const maxErrorSummary = 180

// ErrorSummary is the first line of an error text, shortened to n runes,
// with credentials replaced by "…" — what a Slack message may show of it.
func ErrorSummary(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	s = platformhttp.Credentials(s)
	return clip(s, n)
}

// roas is revenue over cost as "2.43x", "—" without cost.
func roas(rev, cost int64) string {
	if cost == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2fx", float64(rev)/float64(cost))
}

// DigestAlert is a brand's daily digest: spend and blended ROAS (revenue
// over spend plus fees) yesterday and over the running tests' windows,
// money at stake, permissions about to expire, the running ads without
// UTM tags and the spend of untagged ads (a table, the brand's one list of
// them), failing syncs and a link to the dashboard. It is posted once per
// brand-local day, top level, also while the brand's tests are not
// judged.
func DigestAlert(t Target, d Digest) Alert {
	fields := []Field{
		{"Spend " + d.Yesterday, money(d.YesterdaySpend, t.Currency)},
		{"Blended ROAS " + d.Yesterday, roas(d.YesterdayRevenue, d.YesterdaySpend+d.YesterdayFees)},
		{fmt.Sprintf("Spend, %d running test(s) so far", d.Tests), money(d.WindowSpend, t.Currency)},
		{"Blended ROAS, tests so far", roas(d.WindowRevenue, d.WindowSpend+d.WindowFees)},
		{"At stake (cut, still spending)", money(d.AtStake, t.Currency)},
		{fmt.Sprintf("Untagged spend %s (%d running ad(s))", d.Yesterday, len(d.Untagged)), money(d.UntaggedYesterday, t.Currency)},
	}
	if d.UntaggedSince != "" {
		fields = append(fields, Field{"Untagged spend since " + d.UntaggedSince, money(d.UntaggedWindow, t.Currency)})
	}
	if len(d.FailingSyncs) > 0 {
		fields = append(fields, Field{"Syncs failing", fmt.Sprint(len(d.FailingSyncs))})
	}
	var lines []string
	if d.NotJudgedSince != "" {
		lines = append(lines, fmt.Sprintf("• Tests not judged since %s: verdicts wait until the failing syncs below recover; figures may be missing their latest data.", d.NotJudgedSince))
	}
	for _, s := range d.FailingSyncs {
		runs := ""
		if s.Runs > 1 {
			runs = fmt.Sprintf(", %d runs", s.Runs)
		}
		line := fmt.Sprintf("• Sync failing: %s %s since %s%s", s.Job, s.Scope, s.Since, runs)
		if e := ErrorSummary(s.Error, maxErrorSummary); e != "" {
			line += " — " + e
		}
		lines = append(lines, line)
	}
	if d.AtStake > 0 {
		lines = append(lines, fmt.Sprintf("• %s spent yesterday on variants judged *cut* (%s): pause those still running.",
			money(d.AtStake, t.Currency), strings.Join(d.AtStakeVariants, ", ")))
	}
	for _, e := range d.Expiring {
		lines = append(lines, "• Permission expiring: "+e)
	}
	var table []string
	if len(d.Untagged) > 0 || d.UntaggedYesterday > 0 || d.UntaggedWindow > 0 {
		line := fmt.Sprintf("• Untagged spend: %s yesterday", money(d.UntaggedYesterday, t.Currency))
		if d.UntaggedSince != "" {
			line += fmt.Sprintf(", %s since %s", money(d.UntaggedWindow, t.Currency), d.UntaggedSince)
		}
		line += fmt.Sprintf(" on ads without UTM tags (%d running, below): their orders count in no test. Next: add utm_content (the variant's key) to each ad's URL parameters.", len(d.Untagged))
		if len(d.Unconverted) > 0 {
			line += fmt.Sprintf(" Spend in %s is left out: no exchange rate.", strings.Join(d.Unconverted, ", "))
		}
		lines = append(lines, line)
	}
	if len(d.Untagged) > 0 {
		table = []string{fmt.Sprintf("%-8s %-20s %-40s %16s", "platform", "untagged ad", "name", "spend "+d.Yesterday)}
		for i, u := range d.Untagged {
			if i == maxUntaggedRows {
				table = append(table, fmt.Sprintf("… %d more on the dashboard", len(d.Untagged)-maxUntaggedRows))
				break
			}
			table = append(table, fmt.Sprintf("%-8s %-20s %-40s %16s", u.Platform, u.AdID, clip(u.Name, 40), money(u.Yesterday, t.Currency)))
		}
	}
	reason := fmt.Sprintf("%s spent on %s at %s blended ROAS; running tests %s at %s so far.",
		money(d.YesterdaySpend, t.Currency), d.Yesterday, roas(d.YesterdayRevenue, d.YesterdaySpend+d.YesterdayFees),
		money(d.WindowSpend, t.Currency), roas(d.WindowRevenue, d.WindowSpend+d.WindowFees))
	if len(lines) > 0 {
		reason += fmt.Sprintf(" %d item(s) need attention:\n", len(lines)) + strings.Join(lines, "\n")
	} else {
		reason += " Nothing needs attention today."
	}
	return Alert{
		Brand: t.Brand, Channel: t.Channel, Kind: KindDigest,
		DedupKey:  fmt.Sprintf("digest:%s:%s", t.Brand, d.Day),
		Title:     fmt.Sprintf("Daily digest — %s, %s", t.Brand, d.Day),
		Reason:    reason,
		Table:     table,
		Fields:    fields,
		Context:   contextLine(t.Brand, "yesterday is "+d.Yesterday+" in the brand's timezone", "blended ROAS = revenue / (spend + fees)"),
		ReportURL: t.ReportURL,
	}
}

// Weekly is what a brand's weekly finance digest says: one ISO week's
// figures per creator. Amounts are micro-units of the brand's currency.
type Weekly struct {
	// Week is the ISO week ("2026-W46"), From and To its Monday and
	// Sunday.
	Week, From, To string
	// Rows are the creators (and "(unattributed)": spend of ads that
	// run no declared variant, orders nobody claims), Total their exact
	// sum.
	Rows  []WeeklyRow
	Total WeeklyRow
	// Reconciled says how current the figures are ("reconciled through
	// 2026-11-23 at 08:45 EST"); Warning, when set, why they may be
	// stale or incomplete.
	Reconciled, Warning string
}

// WeeklyRow is one creator's week.
type WeeklyRow struct {
	Creator                                  string
	Spend, Fees, PaidRevenue, OrganicRevenue int64
}

// maxWeeklyRows bounds the creators listed in the weekly table (the
// report has them all).
const maxWeeklyRows = 150

// WeeklyDigestAlert is a brand's weekly digest for finance: spend, fees,
// paid and organic revenue and blended ROAS per creator over one ISO
// week, with the week's totals (the same figures as `roasd report --by
// creator` over that week) and a link to the dashboard. It is posted once
// per week, top level.
func WeeklyDigestAlert(t Target, w Weekly) Alert {
	row := func(name string, r WeeklyRow) string {
		blended := roas(r.PaidRevenue+r.OrganicRevenue, r.Spend+r.Fees)
		if name == reconcile.Unattributed {
			blended = "—" // unclaimed orders over untagged spend: nobody's performance
		}
		return fmt.Sprintf("%-16s %16s %14s %16s %16s %7s", clip(name, 16), money(r.Spend, t.Currency), money(r.Fees, t.Currency),
			money(r.PaidRevenue, t.Currency), money(r.OrganicRevenue, t.Currency), blended)
	}
	table := []string{fmt.Sprintf("%-16s %16s %14s %16s %16s %7s", "creator", "spend", "fees", "paid revenue", "organic revenue", "blended")}
	for i, r := range w.Rows {
		if i == maxWeeklyRows {
			table = append(table, fmt.Sprintf("… %d more creator(s): see the report", len(w.Rows)-maxWeeklyRows))
			break
		}
		table = append(table, row(r.Creator, r))
	}
	table = append(table, row("TOTAL", w.Total))
	tot := w.Total
	reason := fmt.Sprintf("%s spent and %s in creator fees for %s of revenue (%s paid, %s organic): %s blended ROAS.",
		money(tot.Spend, t.Currency), money(tot.Fees, t.Currency), money(tot.PaidRevenue+tot.OrganicRevenue, t.Currency),
		money(tot.PaidRevenue, t.Currency), money(tot.OrganicRevenue, t.Currency), roas(tot.PaidRevenue+tot.OrganicRevenue, tot.Spend+tot.Fees))
	if w.Warning != "" {
		reason += " Warning: " + w.Warning + "."
	}
	reason += fmt.Sprintf(" The same figures as CSV: roasd report --from %s --to %s --by creator --format csv.", w.From, w.To)
	return Alert{
		Brand: t.Brand, Channel: t.Channel, Kind: KindWeekly,
		DedupKey: fmt.Sprintf("weekly:%s:%s", t.Brand, w.Week),
		Title:    fmt.Sprintf("Weekly digest — %s, %s (%s – %s)", t.Brand, w.Week, w.From, w.To),
		Reason:   reason,
		Table:    table,
		Fields: []Field{
			{"Spend", money(tot.Spend, t.Currency)},
			{"Creator fees", money(tot.Fees, t.Currency)},
			{"Paid revenue", money(tot.PaidRevenue, t.Currency)},
			{"Organic revenue", money(tot.OrganicRevenue, t.Currency)},
			{"Blended ROAS", roas(tot.PaidRevenue+tot.OrganicRevenue, tot.Spend+tot.Fees)},
			{"Paid ROAS", roas(tot.PaidRevenue, tot.Spend)},
		},
		Context:   contextLine(t.Brand, w.Reconciled, "blended ROAS = (paid + organic revenue) / (spend + fees)"),
		ReportURL: t.ReportURL,
	}
}
