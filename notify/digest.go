package notify

import (
	"fmt"
	"strings"
)

// KindDigest: a brand's daily summary.
const KindDigest = "digest"

// Digest is what a brand's daily summary says. Amounts are micro-units
// of the brand's currency.
type Digest struct {
	// Day is the brand-local date of the digest; Yesterday the day
	// summed in YesterdaySpend and YesterdayRevenue (paid plus organic).
	Day, Yesterday                   string
	YesterdaySpend, YesterdayRevenue int64
	// WindowSpend and WindowRevenue sum the running tests' windows so
	// far; Tests counts those tests.
	Tests                      int
	WindowSpend, WindowRevenue int64
	// AtStake is yesterday's spend on variants judged cut at their
	// latest checkpoint that are still spending; AtStakeVariants names
	// them.
	AtStake         int64
	AtStakeVariants []string
	// Expiring lists permissions that expire within 7 days, each with its
	// date ("@jacq Spark on bundle-spark: 2026-11-24, in 4 days").
	Expiring []string
	// UntaggedAds counts running ads without UTM tags.
	UntaggedAds int
	// FailingSyncs names syncs whose last run failed.
	FailingSyncs []string
}

// DigestAlert is a brand's daily digest: spend and blended ROAS yesterday
// and over the running tests' windows, money at stake, permissions about
// to expire, untagged ads, failing syncs and a link to the dashboard. It
// is posted once per brand-local day, top level.
func DigestAlert(t Target, d Digest) Alert {
	roas := func(rev, spend int64) string {
		if spend == 0 {
			return "—"
		}
		return fmt.Sprintf("%.2fx", float64(rev)/float64(spend))
	}
	fields := []Field{
		{"Spend " + d.Yesterday, money(d.YesterdaySpend, t.Currency)},
		{"Blended ROAS " + d.Yesterday, roas(d.YesterdayRevenue, d.YesterdaySpend)},
		{fmt.Sprintf("Spend, %d running test(s) so far", d.Tests), money(d.WindowSpend, t.Currency)},
		{"Blended ROAS, tests so far", roas(d.WindowRevenue, d.WindowSpend)},
		{"At stake (cut, still spending)", money(d.AtStake, t.Currency)},
		{"Untagged running ads", fmt.Sprint(d.UntaggedAds)},
	}
	var lines []string
	if d.AtStake > 0 {
		lines = append(lines, fmt.Sprintf("• %s spent yesterday on variants judged *cut* (%s): pause those still running.",
			money(d.AtStake, t.Currency), strings.Join(d.AtStakeVariants, ", ")))
	}
	for _, e := range d.Expiring {
		lines = append(lines, "• Permission expiring: "+e)
	}
	if d.UntaggedAds > 0 {
		lines = append(lines, fmt.Sprintf("• %d running ad(s) without UTM tags: their spend counts in no test.", d.UntaggedAds))
	}
	for _, s := range d.FailingSyncs {
		lines = append(lines, "• Sync failing: "+s)
	}
	reason := fmt.Sprintf("%s spent on %s at %s blended ROAS; running tests %s at %s so far.",
		money(d.YesterdaySpend, t.Currency), d.Yesterday, roas(d.YesterdayRevenue, d.YesterdaySpend),
		money(d.WindowSpend, t.Currency), roas(d.WindowRevenue, d.WindowSpend))
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
		Fields:    fields,
		Context:   contextLine(t.Brand, "yesterday is "+d.Yesterday+" in the brand's timezone"),
		ReportURL: t.ReportURL,
	}
}
