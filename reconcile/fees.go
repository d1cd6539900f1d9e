package reconcile

import (
	"sort"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// Amortize splits total micro-units over n days so the parts sum exactly to
// total: every day gets total/n and the first total%n days one micro more
// (for a negative total, one micro less). It returns nil for n ≤ 0.
func Amortize(total int64, n int) []int64 {
	if n <= 0 {
		return nil
	}
	out := make([]int64, n)
	base, rem := total/int64(n), total%int64(n)
	step := int64(1)
	if rem < 0 {
		rem, step = -rem, -1
	}
	for i := range out {
		out[i] = base
		if int64(i) < rem {
			out[i] += step
		}
	}
	return out
}

// creatorTests returns the creator's tests ordered by start day, then id.
func creatorTests(b *configs.Brand, handle string) []*configs.Test {
	var ts []*configs.Test
	for _, t := range b.Tests {
		if t.Creator == handle {
			ts = append(ts, t)
		}
	}
	sort.SliceStable(ts, func(i, j int) bool {
		if c := ts[i].Start.Compare(ts[j].Start); c != 0 {
			return c < 0
		}
		return ts[i].ID < ts[j].ID
	})
	return ts
}

// testsOn returns the ids of the tests of ts (a creatorTests list) whose
// window (configs.Test.Window: start … start+N−1) contains day, in ts's
// order; nil when none runs that day.
func testsOn(ts []*configs.Test, day ads.Date) []string {
	var out []string
	for _, t := range ts {
		if t.Window().Contains(day) {
			out = append(out, t.ID)
		}
	}
	return out
}

// FeeDay is one day's share of a creator's fixed fees, booked to one test
// (TestID "" when none of the creator's tests runs that day).
type FeeDay struct {
	Day     ads.Date
	TestID  string
	Creator string
	// Flat is the day's share of the flat fee; Bonus the bonuses due that
	// day. Both in micro-units of the brand currency.
	Flat  int64
	Bonus int64
}

// FixedFees lists the brand's flat-fee and bonus amounts per day and test
// that have accrued through day through (the jobs' today in the brand's
// zone); a zero through lists every day, as if the contracts were over.
//
// Ruling (issue 24): a creator's flat fee is one contract per creator. It
// is amortized per day (Amortize) over the union of the creator's test
// windows — each day once, however many tests run on it — and on a day
// when several of the creator's tests run, that day's share is split
// evenly between them (Amortize again; the odd micro goes to the test that
// started first, then by id). A creator with no test has no window, so the
// flat fee is not booked. Days after through are not booked yet: a fee
// accrues day by day and is never booked in the future, so the booked
// days sum to the configured fee only once the last window day is past.
//
// A bonus is booked on its date (once that date is not after through),
// split evenly in the same way between the creator's tests running that
// day, or to no test when none runs.
func FixedFees(b *configs.Brand, through ads.Date) []FeeDay {
	var out []FeeDay
	due := func(d ads.Date) bool { return through.IsZero() || !d.After(through) }
	for _, c := range b.Creators {
		ts := creatorTests(b, c.Handle)
		if c.Fee.Flat != 0 && len(ts) > 0 {
			days := unionDays(ts)
			for i, v := range Amortize(c.Fee.Flat, len(days)) {
				if !due(days[i]) {
					break
				}
				ids := testsOn(ts, days[i])
				for j, part := range Amortize(v, len(ids)) {
					out = append(out, FeeDay{Day: days[i], TestID: ids[j], Creator: c.Handle, Flat: part})
				}
			}
		}
		for _, bo := range c.Fee.Bonuses {
			if !due(bo.Date) {
				continue
			}
			ids := testsOn(ts, bo.Date)
			if len(ids) == 0 {
				out = append(out, FeeDay{Day: bo.Date, Creator: c.Handle, Bonus: bo.Amount})
				continue
			}
			for j, part := range Amortize(bo.Amount, len(ids)) {
				out = append(out, FeeDay{Day: bo.Date, TestID: ids[j], Creator: c.Handle, Bonus: part})
			}
		}
	}
	return out
}

// unionDays lists, ascending and each once, the days any of ts runs.
func unionDays(ts []*configs.Test) []ads.Date {
	set := map[ads.Date]bool{}
	for _, t := range ts {
		w := t.Window()
		for d := w.From; !w.To.Before(d); d = d.AddDays(1) {
			set[d] = true
		}
	}
	return sortedDays(set)
}

// commissionBase returns the revenue a creator's commission applies to.
func commissionBase(on string, paid, organic int64) int64 {
	switch on {
	case configs.CommissionOnPaid:
		return paid
	case configs.CommissionOnOrganic:
		return organic
	}
	return paid + organic
}
