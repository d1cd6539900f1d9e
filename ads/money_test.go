package ads

import (
	"reflect"
	"testing"
)

func TestApportion(t *testing.T) {
	t.Parallel()
	const cent = 10_000
	tests := []struct {
		name  string
		parts []int64
		want  []int64
		total int64
	}{
		// Three thirds of 1.00: 0.333333 each; the total 1.00 needs one
		// cent more than the floors, the first of the equal remainders
		// gets it.
		{"thirds", []int64{333_333, 333_333, 333_334}, []int64{330_000, 330_000, 340_000}, 1_000_000},
		// Rounded row by row these would print 0.01 + 0.01 + 0.01 = 0.03
		// beside a true total of 0.015 → 0.02.
		{"half cents", []int64{5_000, 5_000, 5_000}, []int64{10_000, 10_000, 0}, 20_000},
		{"exact", []int64{10_000, 20_000}, []int64{10_000, 20_000}, 30_000},
		{"negative", []int64{-5_000, -5_000}, []int64{0, -10_000}, -10_000},
		{"mixed signs", []int64{15_000, -4_000}, []int64{10_000, 0}, 10_000},
		{"none", nil, []int64{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, total := Apportion(tc.parts, cent)
			if !reflect.DeepEqual(got, tc.want) || total != tc.total {
				t.Errorf("Apportion(%v) = %v, %d; want %v, %d", tc.parts, got, total, tc.want, tc.total)
			}
			var sum int64
			for i, v := range got {
				sum += v
				if d := v - tc.parts[i]; d <= -cent || d >= cent {
					t.Errorf("part %d moved by %d", i, d)
				}
			}
			if sum != total {
				t.Errorf("parts sum to %d, total %d", sum, total)
			}
		})
	}
}

// TestFormatMoney: the one money format for people, to each currency's
// ISO 4217 minor unit (JPY none, KWD three), rounding half away from zero.
func TestFormatMoney(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		micros        int64
		cur           string
		money, amount string
	}{
		{MustMicros("1234.5"), "USD", "1,234.50 USD", "1234.50"},
		{MustMicros("1234.5"), "JPY", "1,235 JPY", "1235"},
		{MustMicros("-1234.5"), "JPY", "-1,235 JPY", "-1235"},
		{MustMicros("1234567.5675"), "KWD", "1,234,567.568 KWD", "1234567.568"},
		{MustMicros("0.0004"), "KWD", "0.000 KWD", "0.000"},
		{MustMicros("999.995"), "eur", "1,000.00 eur", "1000.00"},
		{MustMicros("12"), "", "12.00", "12.00"},
	} {
		if got := FormatMoney(tc.micros, tc.cur); got != tc.money {
			t.Errorf("FormatMoney(%d, %s) = %q, want %q", tc.micros, tc.cur, got, tc.money)
		}
		if got := FormatAmount(tc.micros, tc.cur); got != tc.amount {
			t.Errorf("FormatAmount(%d, %s) = %q, want %q", tc.micros, tc.cur, got, tc.amount)
		}
	}
}
