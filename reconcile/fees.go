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

// testOn returns the creator's first test (by start) whose window contains
// day, or "" when none does. Organic revenue, commission on it and bonuses
// are booked to that test.
func testOn(b *configs.Brand, handle string, day ads.Date) string {
	for _, t := range creatorTests(b, handle) {
		if (ads.DateRange{From: t.Start, To: t.End()}).Contains(day) {
			return t.ID
		}
	}
	return ""
}

// FeeDay is one day's share of a creator's fixed fees.
type FeeDay struct {
	Day     ads.Date
	TestID  string
	Creator string
	// Flat is the day's share of the flat fee; Bonus the bonuses due that
	// day. Both in micro-units of the brand currency.
	Flat  int64
	Bonus int64
}

// FixedFees lists the brand's flat-fee and bonus amounts per day and test.
//
// A creator's flat fee is split exactly (Amortize) across the creator's
// tests, ordered by start then id, and each test's share is amortized per
// day over its window [Start, End()] inclusive; the shares and days always
// sum to the configured fee. A creator with no test has no window, so the
// flat fee is not booked. A bonus is booked on its date to the creator's
// test running that day (or no test).
func FixedFees(b *configs.Brand) []FeeDay {
	var out []FeeDay
	for _, c := range b.Creators {
		ts := creatorTests(b, c.Handle)
		if c.Fee.Flat != 0 && len(ts) > 0 {
			shares := Amortize(c.Fee.Flat, len(ts))
			for i, t := range ts {
				w := ads.DateRange{From: t.Start, To: t.End()}
				for d, v := range Amortize(shares[i], w.Days()) {
					out = append(out, FeeDay{Day: t.Start.AddDays(d), TestID: t.ID, Creator: c.Handle, Flat: v})
				}
			}
		}
		for _, bo := range c.Fee.Bonuses {
			out = append(out, FeeDay{Day: bo.Date, TestID: testOn(b, c.Handle, bo.Date), Creator: c.Handle, Bonus: bo.Amount})
		}
	}
	return out
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
